//! Pure domain types and decisions: orders, change requests, stock policy.
//!
//! Nothing here does I/O; the formats turn bytes into these types and the
//! pipeline stores them.

pub mod amount;
pub mod order;
pub mod outbound;
pub mod policy;
pub mod schedule;
pub mod shipment;

pub use amount::Amount;
/// The string type of the domain model: short values (codes, numbers,
/// names) are kept inline, without a heap allocation.
pub use compact_str::CompactString;
pub use order::*;
pub use outbound::*;
pub use policy::*;
