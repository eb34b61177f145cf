//! dropgate: a drop-ship fulfillment gateway.
//!
//! The crate is laid out along the pipeline:
//! - [`domain`]: pure types and decisions (orders, stock policy);
//! - [`formats`]: pure bytes ⇄ domain conversions (X12 today);

pub mod domain;
pub mod formats;
