//! 860 purchase order change request → [`OrderChange`], with the segment
//! checks that feed AK3/AK4. Same loop rules as the 850 reader.

use super::common::{self, el, opt, req, Fields, Issues, LineLabel, SetText};
use super::lexer::Segment;
use super::po850::{self, next_state, Loop, NoteDraft};
use crate::domain::{LineChange, OrderChange};
use crate::formats::x12::ack::{ElementErrorCode, SegmentErrorCode};
use compact_str::ToCompactString;

/// Segment ids that may appear in an 860 (003040 to 005010, all loops).
fn known(id: &[u8]) -> bool {
    matches!(id, b"BCH" | b"POC") || (id != b"BEG" && id != b"PO1" && po850::known(id))
}

/// BCH: purpose, type, PO number and dates, checked.
fn bch(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>, oc: &mut OrderChange) {
    for (n, reference, what) in [
        (1, 353, "BCH: transaction set purpose"),
        (2, 92, "BCH: purchase order type"),
        (3, 324, "BCH: purchase order number"),
        (6, 373, "BCH: purchase order date"),
    ] {
        if el(f, n).is_empty() {
            iss.missing(seg, n as u32, reference, format_args!("{what}"));
        }
    }
    iss.max_len(seg, f, 3, 324, 22, format_args!("BCH: purchase order number"));
    oc.purpose = req(f, 1);
    oc.order_type = req(f, 2);
    oc.po_number = req(f, 3);
    oc.order_date = iss.date(seg, f, 6, 373, format_args!("BCH: purchase order date"));
    oc.change_date = iss.date(seg, f, 11, 373, format_args!("BCH: change request date"));
}

/// POC: one line change, checked.
fn poc(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>, position: usize) -> LineChange {
    let number = el(f, 1);
    let label = LineLabel { seg: "POC", number, position };
    iss.max_len(seg, f, 1, 350, 20, format_args!("{label}: line number"));
    let code = el(f, 2);
    if code.is_empty() {
        iss.missing(seg, 2, 670, format_args!("{label}: change or response type code"));
    }
    let quantity = iss.decimal(seg, f, 3, 330, format_args!("{label}: quantity ordered"));
    let quantity_left = iss.decimal(seg, f, 4, 671, format_args!("{label}: quantity left to receive"));
    let unit = el(f, 5);
    if unit.is_empty() {
        if !el(f, 3).is_empty() {
            iss.element(
                seg,
                5,
                Some(355),
                ElementErrorCode::ConditionalMissing,
                b"",
                format!("{label}: the unit of measure (POC05) is missing for quantity {}", common::quote(el(f, 3), 20)),
            );
        }
    } else {
        po850::check_unit(iss, seg, 5, 355, unit, &label);
    }
    let unit_price = iss.decimal(seg, f, 6, 212, format_args!("{label}: unit price"));
    let ids = po850::item_ids(iss, seg, f, 8, &label);
    LineChange {
        line_number: if number.is_empty() { position.to_compact_string() } else { req(f, 1) },
        change_code: req(f, 2),
        quantity,
        quantity_left,
        unit: opt(f, 5),
        unit_price,
        ids,
        description: None,
    }
}

/// Reads the segments between ST and SE of an 860.
pub(crate) fn read<'a>(
    st: &Segment<'a>,
    body: &[Segment<'a>],
    se: &Segment<'a>,
    iss: &mut Issues,
    text: Option<SetText<'a>>,
) -> OrderChange {
    let mut oc = OrderChange::default();
    let mut f = Fields::with_capacity(32);
    let mut state = Loop::Header;
    let mut bch_seen = false;
    let mut notes: Vec<NoteDraft> = Vec::new();
    let mut ctt = None;

    for seg in body {
        f.split(seg, text.and_then(|t| t.segment(seg)));
        let id = f.first().copied().unwrap_or(b"");
        state = next_state(state, id);
        let in_line = matches!(state, Loop::Line | Loop::LineN1);
        match id {
            b"BCH" => {
                if bch_seen {
                    iss.segment(
                        seg,
                        None,
                        SegmentErrorCode::ExceedsMaximumUse,
                        "BCH appears more than once".to_string(),
                    );
                } else {
                    bch_seen = true;
                    bch(iss, seg, &f, &mut oc);
                }
            }
            b"REF" => {
                if !in_line {
                    po850::references(seg, &f, &mut oc.references);
                }
            }
            b"PER" => {
                if let (Loop::HeaderN1, Some(p)) = (state, oc.parties.last_mut()) {
                    p.contacts.push(po850::contact(&f));
                }
            }
            b"DTM" => {
                po850::date_ref(iss, seg, &f);
            }
            b"N9" => {
                if !in_line {
                    state = Loop::HeaderN9;
                    notes.push(NoteDraft::from_n9(&f));
                }
            }
            b"MSG" | b"NTE" => {
                let msg = if id == b"MSG" { 1 } else { 2 };
                match (state, notes.last_mut()) {
                    (Loop::HeaderN9, Some(n)) => n.push_line(&f, msg),
                    (Loop::Line | Loop::LineN1, _) => {}
                    _ => {
                        let mut n = NoteDraft::standalone();
                        n.push_line(&f, msg);
                        notes.push(n);
                    }
                }
            }
            b"N1" => {
                let p = po850::party(iss, seg, &f);
                if in_line {
                    state = Loop::LineN1;
                } else {
                    state = Loop::HeaderN1;
                    oc.parties.push(p);
                }
            }
            b"N2" | b"N3" | b"N4" | b"NX2" => match (state, oc.parties.last_mut()) {
                (Loop::HeaderN1, Some(p)) => po850::party_detail(p, id, &f),
                (Loop::LineN1, _) => {}
                _ => iss.segment(
                    seg,
                    None,
                    SegmentErrorCode::OutOfSequence,
                    format!("{} is not inside an N1 loop: the address has no party", common::text(id)),
                ),
            },
            b"POC" => {
                state = Loop::Line;
                let position = oc.changes.len() + 1;
                oc.changes.push(poc(iss, seg, &f, position));
            }
            b"PID" => {
                if let (true, Some(l)) = (in_line, oc.changes.last_mut()) {
                    po850::add_description(&mut l.description, &f);
                }
            }
            b"CTP" => {
                po850::price(iss, seg, &f);
            }
            b"SAC" => {
                po850::charge(iss, seg, &f);
            }
            b"PO4" => {
                po850::pack(iss, seg, &f);
            }
            b"CTT" => {
                ctt = po850::ctt_count(iss, seg, &f).map(|n| (*seg, n));
            }
            _ if known(id) => {}
            _ => po850::unknown_segment(iss, seg, "860"),
        }
    }

    let drop_ship = oc.order_type == "DS";
    for n in notes {
        match n.finish(drop_ship) {
            Ok(note) => oc.notes.push(note),
            Err(reference) => oc.references.push(reference),
        }
    }
    if !bch_seen {
        iss.missing_segment(
            "BCH",
            2,
            st.index(),
            "ST",
            "the 860 has no BCH segment: the purchase order number and change purpose are missing".to_string(),
        );
    }
    // A whole-order cancellation (BCH01 = 01) needs no POC lines.
    if oc.changes.is_empty() && bch_seen && !oc.cancels_order() {
        iss.missing_segment(
            "POC",
            iss.position(se.index()),
            se.index(),
            "SE",
            format!(
                "the 860 changes nothing: no POC line, and BCH01 is {} (not 01, a cancellation)",
                common::quote(oc.purpose.as_bytes(), 5)
            ),
        );
    }
    po850::check_ctt(iss, ctt, oc.changes.len(), "POC");
    oc
}
