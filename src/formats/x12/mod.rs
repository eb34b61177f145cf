//! ANSI X12: a tolerant reader (any terminator, whitespace between
//! segments, several interchanges per file, 003040 to 005010) and strict
//! writers (997, 999, TA1, 855, 865).

pub mod ack;
pub mod model;
pub mod reader;
pub mod respond;
pub mod writer;

pub use model::*;
