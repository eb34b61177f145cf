//! The X12 writers: strict acknowledgements and responses.
//!
//! Each writer returns one complete interchange (one ISA, at most one GS,
//! sets numbered from [`Envelope::first_set_control`]) as bytes:
//!
//! | function | set | GS01 | from |
//! |---|---|---|---|
//! | [`write_997`] | 997 functional acknowledgment | `FA` | the reader's [`GroupAck`]s |
//! | [`write_999`] | 999 implementation acknowledgment (`005010X231A1`) | `FA` | the reader's [`GroupAck`]s |
//! | [`write_ta1`] | TA1 interchange acknowledgments only | — | [`InterchangeAck`]s |
//! | [`write_855`] | 855 purchase order acknowledgment | `PR` | a [`PurchaseOrder`] and its [`OrderDecision`] |
//! | [`write_865`] | 865 change acknowledgment | `CA` | an [`OrderChange`] and its [`ChangeOutcome`] |
//!
//! Output is always syntactically valid X12: element lengths and types,
//! separators inside values, counts and control numbers are handled by the
//! [`builder`]; its module documentation states what happens to a value
//! that does not fit. Segments end with the envelope's terminator followed
//! by a line feed ([`LineEnd::Lf`], the default); use an [`X12Writer`] with
//! another [`LineEnd`] for partners that want none.
//!
//! Envelope rules: ISA12 follows GS08 (`004010…` → `00401`, `005010…` →
//! `00501`, `003050` → `00305`); ISA11 is the repetition separator from
//! ISA12 `00402` on, `U` before; ISA09/ISA10 and GS04/GS05 come from
//! [`Envelope::date`]/[`Envelope::time`] (GS04 as `CCYYMMDD` from version
//! 004010 on, `YYMMDD` before, as those versions define it).

pub mod ack;
pub mod builder;
pub mod order;
pub mod ship;
pub mod time;
pub mod versions;

pub use builder::{InterchangeBuilder, LineEnd};
pub use time::x12_datetime_utc;
pub use versions::Widths;

use super::ack::{GroupAck, InterchangeAck};
use super::model::Envelope;
use crate::domain::{ChangeOutcome, OrderChange, OrderDecision, PurchaseOrder};

/// The writers with a chosen layout. The free functions use the default
/// (one segment per line).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct X12Writer {
    pub line_end: LineEnd,
}

impl X12Writer {
    /// A writer that puts nothing after segment terminators.
    pub fn compact() -> X12Writer {
        X12Writer { line_end: LineEnd::None }
    }

    /// See [`write_997`].
    pub fn write_997(&self, env: &Envelope, groups: &[GroupAck]) -> Vec<u8> {
        ack::write_997(env, groups, self.line_end)
    }
    /// See [`write_999`].
    pub fn write_999(&self, env: &Envelope, groups: &[GroupAck]) -> Vec<u8> {
        ack::write_999(env, groups, self.line_end)
    }
    /// See [`write_ta1`].
    pub fn write_ta1(&self, env: &Envelope, acks: &[InterchangeAck]) -> Vec<u8> {
        ack::write_ta1(env, acks, self.line_end)
    }
    /// See [`write_855`].
    pub fn write_855(&self, env: &Envelope, po: &PurchaseOrder, decision: &OrderDecision, date: &str) -> Vec<u8> {
        order::write_855(env, po, decision, date, self.line_end)
    }
    /// See [`write_865`].
    pub fn write_865(&self, env: &Envelope, change: &OrderChange, outcome: &ChangeOutcome, date: &str) -> Vec<u8> {
        order::write_865(env, change, outcome, date, self.line_end)
    }
}

/// A 997 (GS01 `FA`, GS08 [`Envelope::version`]) with one transaction set
/// per acknowledged group: AK1, an AK2 loop for every set (accepted ones
/// too) with AK3/AK4 detail and AK5, then AK9. See [`ack`] for the details.
pub fn write_997(env: &Envelope, groups: &[GroupAck]) -> Vec<u8> {
    X12Writer::default().write_997(env, groups)
}

/// A 999 (GS08 and ST03 `005010X231A1`) with one transaction set per
/// acknowledged group: AK1 with the group's version, AK2 (with AK203 when
/// the set had an ST03), IK3/IK4, IK5, AK9.
pub fn write_999(env: &Envelope, groups: &[GroupAck]) -> Vec<u8> {
    X12Writer::default().write_999(env, groups)
}

/// An interchange holding only TA1 segments (no group, IEA01 = 0, ISA14 = 0).
pub fn write_ta1(env: &Envelope, acks: &[InterchangeAck]) -> Vec<u8> {
    X12Writer::default().write_ta1(env, acks)
}

/// An 855 (GS01 `PR`) answering `po` with the stock `decision`, dated
/// `date` (`CCYYMMDD`). See [`order`] for the codes.
pub fn write_855(env: &Envelope, po: &PurchaseOrder, decision: &OrderDecision, date: &str) -> Vec<u8> {
    X12Writer::default().write_855(env, po, decision, date)
}

/// An 865 (GS01 `CA`) answering the change request `change` with what was
/// done (`outcome`), dated `date` (`CCYYMMDD`). See [`order`] for the codes.
pub fn write_865(env: &Envelope, change: &OrderChange, outcome: &ChangeOutcome, date: &str) -> Vec<u8> {
    X12Writer::default().write_865(env, change, outcome, date)
}

#[cfg(test)]
mod tests;
