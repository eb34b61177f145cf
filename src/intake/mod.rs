//! Sources: every way a document comes in ends in the ledger.

pub mod folder;
pub mod http;
pub mod mail;
pub mod sftp;
