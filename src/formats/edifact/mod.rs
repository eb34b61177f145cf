//! UN/EDIFACT: a reader for interchanges of ORDERS messages (D96A, D01B;
//! UNA, release character, syntax 4 repetition, UNOA to UNOY) and strict
//! writers for CONTRL, ORDRSP, DESADV and INVOIC.

pub mod reader;
pub mod syntax;
pub mod writer;

pub use reader::{read, Address, Interchange, Message, MessageBody, ParsedFile};
pub use syntax::{Charset, EdifactError, Syntax};
