//! Pure conversions between bytes and domain types, one module per format.

pub mod x12;
