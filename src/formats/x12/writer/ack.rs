//! 997, 999 and TA1: the acknowledgements of what the reader found.
//!
//! - Every set of an acknowledged group gets its AK2 loop, accepted ones
//!   too: X12 requires it only for sets not accepted, but many retailers
//!   match every set they sent.
//! - An AK3/IK3 always carries its error code (AK304/IK304); a segment
//!   reported only for its elements gets `8` (segment has data element
//!   errors). At most 99 AK4/IK4 per segment (the 997's maximum use).
//! - AK5/IK5 carry at most five set error codes, AK9 at most five group
//!   error codes (the elements X12 has for them).
//! - A set cannot be partially accepted: a `P` on a set is written as `E`
//!   (accepted with errors); likewise in TA104.
//! - The AK9 counts are written as the reader gave them.

use super::builder::{Comp, InterchangeBuilder, LineEnd, Seg, Spec};
use super::versions::Widths;
use crate::formats::x12::ack::{AckCode, GroupAck, InterchangeAck, SegmentErrorCode};
use crate::formats::x12::model::Envelope;

/// ST03 and GS08 of the 999 dropgate writes.
pub const X231_VERSION: &str = "005010X231A1";

/// How many AK4/IK4 one AK3/IK3 may carry.
const MAX_ELEMENT_ERRORS: usize = 99;

/// AK501/IK501 and TA104: sets and interchanges are not partially accepted.
fn set_code(code: AckCode) -> &'static str {
    match code {
        AckCode::PartiallyAccepted => AckCode::AcceptedWithErrors.code(),
        c => c.code(),
    }
}

/// The two forms differ in segment names, widths and a few elements.
struct Form {
    /// `AK3`/`AK4`/`AK5` or `IK3`/`IK4`/`IK5`.
    seg3: &'static str,
    seg4: &'static str,
    seg5: &'static str,
    widths: Widths,
}

fn write_acks(
    env: &Envelope,
    groups: &[GroupAck],
    line_end: LineEnd,
    set_id: &str,
    version: &str,
    form: &Form,
) -> Vec<u8> {
    let implementation_ref = (form.seg3 == "IK3").then_some(X231_VERSION);
    let w = form.widths;
    let mut ic = InterchangeBuilder::new(env, version, env.ack_requested, line_end);
    if !groups.is_empty() {
        ic.begin_group("FA", version);
    }
    for g in groups {
        ic.begin_set(set_id, implementation_ref);
        let mut ak1 = Seg::new("AK1").req(&g.functional_id, Spec::id(2, 2)).req(&g.control, Spec::n0(1, 9));
        if w.ack_versions() {
            // AK103 is required by the 999 guide: the group's GS08.
            let v = if g.version.trim().is_empty() { "005010" } else { g.version.as_str() };
            ak1 = ak1.req(v, Spec::an(1, 12));
        }
        ic.put(ak1);
        for s in &g.sets {
            let mut ak2 =
                Seg::new("AK2").req(s.set_id.as_str(), Spec::id(3, 3)).req(s.control.as_str(), Spec::an(4, 9));
            if w.ack_versions() {
                ak2 = ak2.opt(s.implementation_ref.as_deref().unwrap_or(""), Spec::an(1, 35));
            }
            ic.put(ak2);
            for e in &s.segment_errors {
                let code = e.code.unwrap_or(SegmentErrorCode::HasElementErrors);
                ic.put(
                    Seg::new(form.seg3)
                        .req(&e.segment_id, Spec::id(2, 3))
                        .req(e.position.to_string(), Spec::n0(1, w.segment_position()))
                        .opt(e.loop_id.as_deref().unwrap_or(""), Spec::an(1, w.loop_id()))
                        .req(code.code(), Spec::id(1, 3)),
                );
                for el in e.elements.iter().take(MAX_ELEMENT_ERRORS) {
                    let mut pos = vec![Comp::req(el.position.to_string(), Spec::n0(1, 2))];
                    if w.element_composite() {
                        pos.push(Comp::opt(num(el.component), Spec::n0(1, 2)));
                    }
                    if w.element_repetition() {
                        pos.push(Comp::opt(num(el.repetition), Spec::n0(1, 4)));
                    }
                    ic.put(
                        Seg::new(form.seg4)
                            .composite(pos)
                            .opt(num(el.reference), Spec::n0(1, 4))
                            .req(el.code.code(), Spec::id(1, 3))
                            .text(el.bad_value.as_deref().unwrap_or(""), Spec::an(1, 99)),
                    );
                }
            }
            let mut ak5 = Seg::new(form.seg5).req(set_code(s.code), Spec::id(1, 1));
            for c in s.set_errors.iter().take(5) {
                ak5 = ak5.req(c.code(), Spec::id(1, 3));
            }
            ic.put(ak5);
        }
        let mut ak9 = Seg::new("AK9")
            .req(g.code.code(), Spec::id(1, 1))
            .req(g.declared_sets.to_string(), Spec::n0(1, 6))
            .req(g.received_sets.to_string(), Spec::n0(1, 6))
            .req(g.accepted_sets.to_string(), Spec::n0(1, 6));
        for c in g.group_errors.iter().take(5) {
            ak9 = ak9.req(c.code(), Spec::id(1, 3));
        }
        ic.put(ak9);
    }
    ic.finish()
}

fn num(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// See [`crate::formats::x12::writer::write_997`]. The widths and shapes
/// follow GS08 (see [`Widths`]): AK103/AK203 from 004050 on, the AK401
/// repetition from 004020 on, no AK401 component in 003040.
pub fn write_997(env: &Envelope, groups: &[GroupAck], line_end: LineEnd) -> Vec<u8> {
    let form = Form { seg3: "AK3", seg4: "AK4", seg5: "AK5", widths: Widths::of(&env.version) };
    write_acks(env, groups, line_end, "997", &env.version, &form)
}

/// See [`crate::formats::x12::writer::write_999`].
pub fn write_999(env: &Envelope, groups: &[GroupAck], line_end: LineEnd) -> Vec<u8> {
    let form = Form { seg3: "IK3", seg4: "IK4", seg5: "IK5", widths: Widths::of(X231_VERSION) };
    write_acks(env, groups, line_end, "999", X231_VERSION, &form)
}

/// See [`crate::formats::x12::writer::write_ta1`]. TA102/TA103 must be a
/// real date and time: when the acknowledged ISA09/ISA10 were not (note
/// 014/015), the envelope's own are written.
pub fn write_ta1(env: &Envelope, acks: &[InterchangeAck], line_end: LineEnd) -> Vec<u8> {
    let mut ic = InterchangeBuilder::new(env, &env.version, false, line_end);
    for a in acks {
        let control = a.control.trim();
        let control = if control.len() <= 9 && control.bytes().all(|b| b.is_ascii_digit()) { control } else { "0" };
        ic.put(
            Seg::new("TA1")
                .req(control, Spec::n0(9, 9))
                .req(&a.date, Spec::dt(6))
                .req(&a.time, Spec::tm(4, 4))
                .req(set_code(a.code), Spec::id(1, 1))
                .req(a.note.code(), Spec::id(3, 3)),
        );
    }
    ic.finish()
}
