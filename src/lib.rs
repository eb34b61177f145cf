//! dropgate: a drop-ship fulfillment gateway.
//!
//! The crate is laid out along the pipeline:
//! - [`domain`]: pure types and decisions (orders, stock policy);
//! - [`formats`]: pure bytes ⇄ domain conversions (X12 today);
//! - [`slip`]: pure layout of packing slips, (slip, brand) → PDF or HTML;
//! - [`intake`]: the doors (folders, SFTP, the orders mailbox, `POST /cxml`), each ending in the ledger;
//! - [`store`]: the database; [`pipeline`]: the stages; [`cli`]: the commands.

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
pub mod slip;
pub mod store;
pub mod util;
