//! The X12 writers: strict acknowledgements and responses.
use super::ack::{GroupAck, InterchangeAck};
use super::Envelope;
use crate::domain::{ChangeOutcome, OrderChange, OrderDecision, PurchaseOrder};
pub fn write_997(_env: &Envelope, _groups: &[GroupAck]) -> Vec<u8> {
    Vec::new()
}
pub fn write_999(_env: &Envelope, _groups: &[GroupAck]) -> Vec<u8> {
    Vec::new()
}
pub fn write_ta1(_env: &Envelope, _acks: &[InterchangeAck]) -> Vec<u8> {
    Vec::new()
}
pub fn write_855(_env: &Envelope, _po: &PurchaseOrder, _d: &OrderDecision, _date: &str) -> Vec<u8> {
    Vec::new()
}
pub fn write_865(_env: &Envelope, _c: &OrderChange, _o: &ChangeOutcome, _date: &str) -> Vec<u8> {
    Vec::new()
}
