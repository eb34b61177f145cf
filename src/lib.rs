//! dropgate: a drop-ship fulfillment gateway.
//!
//! The crate is laid out along the pipeline:
//! - [`domain`]: pure types and decisions (orders, stock policy);
//! - [`formats`]: pure bytes ⇄ domain conversions (X12 today);

pub mod cli;
pub mod config;
pub mod deliver;
pub mod demo;
pub mod domain;
pub mod formats;
pub mod intake;
pub mod pipeline;
pub mod retailer;
pub mod server;
pub mod store;
pub mod util;
