//! What the X12 reader produces and what the writers take.

use super::ack::{GroupAck, InterchangeAck, SetAck};
use crate::domain::{CompactString, OrderChange, PurchaseOrder};
use serde::{Deserialize, Serialize};
use std::fmt;

/// An interchange party: ISA05/ISA06 (or ISA07/ISA08), trimmed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PartyId {
    pub qualifier: String,
    pub id: String,
}

impl PartyId {
    /// Parses `"ZZ:ACMEHOME"`.
    pub fn parse(text: &str) -> Option<PartyId> {
        let (q, id) = text.split_once(':')?;
        let (q, id) = (q.trim(), id.trim());
        (!q.is_empty() && q.len() == 2 && !id.is_empty() && id.len() <= 15)
            .then(|| PartyId { qualifier: q.to_string(), id: id.to_string() })
    }
}

impl fmt::Display for PartyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.qualifier, self.id)
    }
}

/// The delimiters of an interchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Separators {
    pub element: u8,
    pub component: u8,
    /// ISA11 when the version (≥ 00402) uses it as a repetition separator.
    pub repetition: Option<u8>,
    pub segment: u8,
}

impl Default for Separators {
    /// What dropgate writes unless a partner asks otherwise: `*` `>` `^` `~`.
    fn default() -> Self {
        Separators { element: b'*', component: b'>', repetition: Some(b'^'), segment: b'~' }
    }
}

/// A problem found while reading, located for a person to act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct X12Error {
    /// 1-based index of the segment in the file (ISA = 1); 0 when the file
    /// could not be split into segments at all.
    pub segment_index: usize,
    /// The segment identifier as read (`"PO1"`), empty when unknown.
    pub segment_id: String,
    /// 1-based element position, when the error is about one element.
    pub element: Option<u32>,
    /// 1-based component position inside the element, when relevant.
    pub component: Option<u32>,
    pub message: String,
}

impl fmt::Display for X12Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segment_index > 0 {
            write!(f, "segment {}", self.segment_index)?;
            if !self.segment_id.is_empty() {
                write!(f, " ({})", self.segment_id)?;
            }
            if let Some(e) = self.element {
                write!(f, ", element {}{e:02}", self.segment_id)?;
                if let Some(c) = self.component {
                    write!(f, "-{c}")?;
                }
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// An inbound 997 or 999: a partner's verdict on a group we sent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundAck {
    /// `997` or `999`.
    pub kind: String,
    /// AK101: functional identifier of the group acknowledged.
    pub functional_id: String,
    /// AK102: our GS06.
    pub group_control: String,
    /// AK2/AK5 pairs: (set id, ST02, AK501 code).
    pub sets: Vec<InboundSetAck>,
    /// AK901.
    pub group_code: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundSetAck {
    pub set_id: String,
    pub control: String,
    pub code: String,
    /// Errors the partner reported, in words (AK3/AK4 rendered).
    pub errors: Vec<String>,
}

/// The business content of a transaction set, when it could be read.
///
/// The documents are boxed: a file holds thousands of sets, and a set
/// stays small while its document is built in a place of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Document {
    PurchaseOrder(Box<PurchaseOrder>),
    OrderChange(Box<OrderChange>),
    FunctionalAck(Box<InboundAck>),
    /// A set dropgate does not take (ST01 named here), acknowledged with AK5*R*1.
    Unsupported {
        set_id: CompactString,
    },
    /// A set with errors serious enough that it was rejected (see its ack).
    Rejected,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionSet {
    pub set_id: CompactString,
    pub control: CompactString,
    /// 1-based index in the file of its ST and SE (SE = 0 when missing).
    pub first_segment: usize,
    pub last_segment: usize,
    pub document: Document,
    pub ack: SetAck,
    pub errors: Vec<X12Error>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub functional_id: String,
    pub app_sender: String,
    pub app_receiver: String,
    /// GS04 (CCYYMMDD) and GS05.
    pub date: String,
    pub time: String,
    pub control: String,
    /// GS08 as sent (`004010VICS`, `005010`, `005010X231A1`…).
    pub version: String,
    pub sets: Vec<TransactionSet>,
    pub ack: GroupAck,
    pub errors: Vec<X12Error>,
}

impl Group {
    /// Whether the partner expects a 999 (5010 and later) instead of a 997.
    pub fn wants_999(&self) -> bool {
        self.version.get(..6).and_then(|v| v.parse::<u32>().ok()).is_some_and(|v| v >= 5010)
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Interchange {
    pub sender: PartyId,
    pub receiver: PartyId,
    /// ISA13 as sent.
    pub control: String,
    /// ISA09 (YYMMDD) and ISA10 (HHMM).
    pub date: String,
    pub time: String,
    /// ISA12, e.g. `00401`.
    pub version: String,
    /// ISA14 = 1.
    pub ack_requested: bool,
    /// ISA15: `P` production, `T` test.
    pub usage: char,
    pub separators: Separators,
    pub groups: Vec<Group>,
    /// The envelope verdict: a TA1 is sent when this is not accepted, or
    /// when the sender asked for one (ISA14 = 1).
    pub ta1: InterchangeAck,
    /// First segment (ISA) index in the file.
    pub first_segment: usize,
    pub errors: Vec<X12Error>,
}

impl Interchange {
    /// True when the envelope was refused as a whole (TA1 R): nothing in it is processed.
    pub fn refused(&self) -> bool {
        self.ta1.code == super::ack::AckCode::Rejected
    }
}

/// Everything the reader made of one file.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ParsedFile {
    pub interchanges: Vec<Interchange>,
    /// Errors outside any interchange (not X12 at all, garbage between
    /// interchanges, a truncated file…).
    pub errors: Vec<X12Error>,
}

impl ParsedFile {
    /// Every error in the file, in file order.
    pub fn all_errors(&self) -> Vec<&X12Error> {
        let mut out: Vec<&X12Error> = self.errors.iter().collect();
        for ic in &self.interchanges {
            out.extend(&ic.errors);
            for g in &ic.groups {
                out.extend(&g.errors);
                for s in &g.sets {
                    out.extend(&s.errors);
                }
            }
        }
        out.sort_by_key(|e| e.segment_index);
        out
    }
}

/// How an outbound interchange is addressed and numbered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Envelope {
    /// Our id (ISA05/06, GS02).
    pub sender: PartyId,
    /// The partner's id (ISA07/08, GS03).
    pub receiver: PartyId,
    /// ISA13, 1..=999_999_999.
    pub interchange_control: u32,
    /// GS06, 1..=999_999_999.
    pub group_control: u32,
    /// First ST02 of the group; following sets count up from it.
    pub first_set_control: u32,
    /// GS08 (`004010`, `005010`, `004010VICS`…): picks ISA12 too.
    pub version: String,
    /// ISA15: `P` or `T` (echo the partner's).
    pub usage: char,
    /// ISA14: whether we ask for a TA1.
    pub ack_requested: bool,
    /// Date CCYYMMDD and time HHMM of creation.
    pub date: String,
    pub time: String,
    pub separators: Separators,
}
