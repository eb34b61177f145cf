//! The X12 reader: bytes in, interchanges, groups, sets and domain documents out.
//!
//! [`read`] takes a whole file and never fails: what cannot be read is in
//! the errors of the file, interchange, group or set it belongs to, each
//! located by segment index (ISA = 1), segment id and element, and in the
//! acknowledgement model (TA1 note, AK9, AK5 with AK3/AK4) the writers
//! answer with. [`segments`] is the bare zero-copy tokenizer underneath.
//!
//! Tolerated, because real partners do it and it hurts nobody: any segment
//! terminator the ISA declares (`~`, LF, CR, with or without CR LF after
//! it), whitespace and blank lines between segments and before a
//! terminator, trailing blank lines, GS01 that does not match the sets
//! (`IN` for 850s), hash totals in CTT, six-digit dates, header segments
//! out of their standard order. Not tolerated: broken envelopes (counts,
//! control numbers, missing trailers), missing mandatory data, numbers and
//! dates that do not parse, segments that do not belong in the set.
//!
//! Choices worth knowing when using the documents:
//! - a set is `Document::Rejected` as soon as its AK5 is R; process only
//!   what [`accepted_sets`] yields (a group without GE, for instance, is
//!   AK9 R even when each of its sets is fine);
//! - GE01 that does not match the sets is AK9 E (accepted, error noted),
//!   stray segments between sets or groups likewise (TA1 E, note 024);
//! - REF04 (composite C040) pairs are kept as references of their own,
//!   right after their REF, described `REF04 of <REF01> <REF02>`;
//! - an N9 without MSG (and without N903 text) is a reference, not a note;
//!   notes are classified by one rule (`common::note_kind`): `Gift` when
//!   the N9 reference or description contains GIFT or the text starts with
//!   "gift message"/"gift note"; `Slip` when they contain PACK or SLIP, or
//!   for `N9*ZZ` in a drop-ship order (BEG02 `DS`, Amazon-like); else `Other`;
//! - six-digit dates are read as CCYYMMDD (00–49 → 20xx); SAC05 has two
//!   implied decimals unless it carries a decimal point;
//! - a line-level N1 loop (ship-to per line) is checked but not kept;
//! - an 860 with BCH01 `01` (cancel the order) needs no POC line.
//!
//! Layout: `lexer` (separators and segments), `envelope` (ISA…IEA walk and
//! verdicts), `po850`, `pc860`, `ack997` (one reader per set), `common`
//! (element helpers and the error collector).

mod ack997;
mod common;
mod envelope;
pub mod lexer;
mod pc860;
mod po850;

pub use lexer::{segments, Elements, Segment, Segments};

use super::ack::AckCode;
use super::model::{Group, Interchange, ParsedFile, TransactionSet};

/// Reads a file of X12 interchanges. Never panics, whatever the bytes.
pub fn read(bytes: &[u8]) -> ParsedFile {
    envelope::read(bytes)
}

/// The sets whose documents may be processed: the interchange was not
/// refused (TA1 R), the group was not rejected as a whole (AK9 R) and the
/// set itself was accepted (AK5 A or E).
pub fn accepted_sets(file: &ParsedFile) -> impl Iterator<Item = (&Interchange, &Group, &TransactionSet)> {
    file.interchanges
        .iter()
        .filter(|ic| !ic.refused())
        .flat_map(|ic| {
            ic.groups
                .iter()
                .filter(|g| g.ack.code != AckCode::Rejected)
                .flat_map(move |g| g.sets.iter().map(move |s| (ic, g, s)))
        })
        .filter(|(_, _, s)| matches!(s.ack.code, AckCode::Accepted | AckCode::AcceptedWithErrors))
}
