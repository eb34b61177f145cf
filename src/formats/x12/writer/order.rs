//! 855 and 865: the answers to purchase orders and change requests.
//!
//! Both follow GS08 for the widths that changed between versions (dates of
//! six digits before 004010, shorter line numbers, quantities and ids in
//! 003xxx: see [`Widths`]). Dates given to the writers are `CCYYMMDD`; an
//! invalid one is replaced by the envelope's date.
//!
//! # 855
//! `BAK*00*<type>*<PO number>*<PO date>[*<release>]`, a `REF` with the
//! customer order number when the PO has one (under the qualifier it came
//! with: `CO`, `PRF` or `OQ`), then per line a `PO1` echoing the order line
//! (line number, quantity, unit, price and basis, up to ten id pairs)
//! followed by its `ACK`s, then `CTT` with the number of PO1s.
//!
//! - BAK02: `AD` when every line is accepted as ordered, `RD` when nothing
//!   is accepted or backordered (no lines included), `AC` otherwise.
//! - BAK04: the 850's BEG05; the acknowledgment date when it has none.
//! - ACK per line: `IA` accepted quantity, `IB` backordered quantity (both
//!   with `068` current schedule ship = the acknowledgment date), `IR`
//!   rejected quantity, or `R2` (invalid item product number) when the
//!   reason is an unknown item. A line whose decision has no quantity at
//!   all (a bad quantity) gets one `IR`/`R2` with the ordered quantity as
//!   sent. A PO line without a decision is answered as rejected in full.
//! - Units that are not a two-character code are written as `EA`; an id
//!   pair that does not fit PO106–PO125 (or that holds a separator, control
//!   or non-ASCII character) is left out rather than cut or altered.
//!
//! # 865
//! `BCA*00*<type>*<PO number>***<PO date>****<ack date>[*<change date>]`,
//! then per line outcome a `POC` (line number, change code, the line's
//! quantity after the change with its unit, the 860's id pairs) and an
//! `ACK`, then `CTT` with the number of POCs.
//!
//! - BCA01: `00` (original): this 865 is our first answer to the 860.
//! - BCA02: `RJ` when the request was refused as a whole (no line detail
//!   then), `AT` when every line change was accepted (or the whole order
//!   was cancelled), `RD` when every line change was rejected, `AC` when
//!   some were and some were not.
//! - ACK01 per line: `ID` (item deleted) for an accepted `DI`, `IA` for
//!   another accepted change, `IR` for a rejected one; ACK02/ACK03 the
//!   line's quantity after the change when known.
//! - BCA06 is the original PO date (BCH06), BCA10 the acknowledgment date,
//!   BCA11 the change request date (BCH11) when known.

use super::builder::{self, Comp, Delimiters, InterchangeBuilder, LineEnd, Seg, Spec};
use super::versions::Widths;
use crate::domain::{
    Amount, ChangeOutcome, ItemId, LineChange, LineDecision, OrderChange, OrderDecision, PurchaseOrder, RejectReason,
};
use crate::formats::x12::model::Envelope;

/// BCA01 of the 865.
pub const BCA_PURPOSE: &str = "00";

/// Units written when a line's own is not a two-character code.
const DEFAULT_UNIT: &str = "EA";

/// How many id pairs PO1 and POC hold (PO106/107 … PO124/125).
const MAX_ID_PAIRS: usize = 10;

/// `date` when it is a valid `CCYYMMDD`, else the envelope's date.
pub(super) fn valid_or(date: Option<&str>, fallback: &str) -> String {
    date.filter(|d| d.len() == 8 && builder::valid_date(d)).unwrap_or(fallback).to_string()
}

pub(super) fn unit_of(unit: Option<&str>, d: &Delimiters) -> String {
    unit.and_then(|u| builder::check(u, Spec::id(2, 2), d).ok()).unwrap_or_else(|| DEFAULT_UNIT.to_string())
}

/// Id pairs that fit (qualifier ID 2/2, value AN 1/`max`), at most ten. An
/// identifier is echoed exactly or not at all: one that cleaning would
/// change (a separator, a control or non-ASCII character in it) is left out.
pub(super) fn id_pairs(ids: &[ItemId], max: usize, d: &Delimiters) -> Vec<(String, String)> {
    ids.iter()
        .filter(|i| builder::clean(&i.value, d) == i.value)
        .filter_map(|i| {
            Some((
                builder::check(&i.qualifier, Spec::id(2, 2), d).ok()?,
                builder::check(&i.value, Spec::an(1, max), d).ok()?,
            ))
        })
        .take(MAX_ID_PAIRS)
        .collect()
}

/// A quantity and its unit, both or neither (X12 pairs them).
fn quantity(q: &str, max: usize, d: &Delimiters) -> Option<String> {
    builder::check(q, Spec::r(1, max), d).ok()
}

/// BAK02 for a set of line decisions.
pub fn ack_type_855(lines: &[LineDecision]) -> &'static str {
    if lines.iter().all(|d| d.accepted <= 0 && d.backordered <= 0) {
        "RD"
    } else if lines.iter().all(|d| d.backordered <= 0 && d.rejected <= 0 && d.accepted >= d.ordered) {
        "AD"
    } else {
        "AC"
    }
}

/// The reference under which the customer order number was found.
fn customer_order_ref(po: &PurchaseOrder) -> Option<(&str, &str)> {
    ["CO", "PRF", "OQ"].iter().find_map(|q| {
        po.references
            .iter()
            .find(|r| r.qualifier == *q && !r.value.trim().is_empty())
            .map(|r| (r.qualifier.as_str(), r.value.as_str()))
    })
}

/// See [`crate::formats::x12::writer::write_855`].
pub fn write_855(
    env: &Envelope,
    po: &PurchaseOrder,
    decision: &OrderDecision,
    date: &str,
    line_end: LineEnd,
) -> Vec<u8> {
    let w = Widths::of(&env.version);
    let mut ic = InterchangeBuilder::new(env, &env.version, env.ack_requested, line_end);
    let delims = *ic.delimiters();
    let ack_date = valid_or(Some(date), ic.date());
    let po_date = w.format_date(&valid_or(po.order_date.as_deref(), &ack_date));
    let date = w.format_date(&ack_date);
    // A PO line without a decision is rejected in full.
    let decisions: Vec<LineDecision> = po
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            decision.lines.get(i).cloned().unwrap_or_else(|| {
                let ordered = line.quantity.whole_units().unwrap_or(0).max(0);
                LineDecision { ordered, rejected: ordered, ..LineDecision::default() }
            })
        })
        .collect();

    ic.begin_group("PR", &env.version);
    ic.begin_set("855", None);
    ic.put(
        Seg::new("BAK")
            .req("00", Spec::id(2, 2))
            .req(ack_type_855(&decisions), Spec::id(2, 2))
            .req(po.po_number.as_str(), Spec::an(1, 22))
            .req(&po_date, Spec::dt(w.date()))
            .opt(po.release_number.as_deref().unwrap_or(""), Spec::an(1, 30)),
    );
    let reference = customer_order_ref(po).and_then(|(q, v)| {
        let q = builder::check(q, Spec::id(2, w.reference_qualifier()), &delims).ok()?;
        Some(Seg::new("REF").req(q, Spec::id(2, 3)).req(v, Spec::an(1, 30)))
    });
    if let Some(seg) = reference {
        ic.put(seg);
    }
    let mut count = 0u64;
    for (i, (line, d)) in po.lines.iter().zip(&decisions).enumerate() {
        let unit = unit_of(Some(&line.unit), &delims);
        let line_number =
            if line.line_number.trim().is_empty() { (i + 1).to_string() } else { line.line_number.to_string() };
        let qty = quantity(&line.quantity.to_x12(), w.quantity(), &delims);
        let price = line.unit_price.and_then(|p| quantity(&p.to_x12(), w.price(), &delims));
        let mut po1 = Seg::new("PO1").opt(line_number, Spec::an(1, w.line_number()));
        po1 = match &qty {
            Some(q) => po1.req(q, Spec::r(1, w.quantity())).req(&unit, Spec::id(2, 2)),
            None => po1.empty().empty(),
        };
        po1 = match &price {
            Some(p) => po1.req(p, Spec::r(1, w.price())).opt(line.price_basis.as_deref().unwrap_or(""), Spec::id(2, 2)),
            None => po1.empty().empty(),
        };
        for (q, v) in id_pairs(&line.ids, w.item_id(), &delims) {
            po1 = po1.req(q, Spec::id(2, 2)).req(v, Spec::an(1, w.item_id()));
        }
        ic.put(po1);
        count += 1;

        let dated = |code: &str, n: i64| {
            ack(code, &n.to_string(), &unit, &delims).req("068", Spec::id(3, 3)).req(&date, Spec::dt(w.date()))
        };
        let reject_code = if d.reason == Some(RejectReason::UnknownItem) { "R2" } else { "IR" };
        if d.accepted > 0 {
            ic.put(dated("IA", d.accepted));
        }
        if d.backordered > 0 {
            ic.put(dated("IB", d.backordered));
        }
        if d.rejected > 0 {
            ic.put(ack(reject_code, &d.rejected.to_string(), &unit, &delims));
        }
        if d.accepted <= 0 && d.backordered <= 0 && d.rejected <= 0 {
            let q = if d.ordered > 0 { d.ordered.to_string() } else { line.quantity.to_x12() };
            ic.put(ack(reject_code, &q, &unit, &delims));
        }
    }
    ic.put(Seg::new("CTT").req(count.to_string(), Spec::n0(1, 6)));
    ic.finish()
}

/// `ACK*<code>*<quantity>*<unit>`; quantity and unit are left out together
/// when the quantity does not fit ACK02.
fn ack(code: &str, qty: &str, unit: &str, d: &Delimiters) -> Seg {
    let seg = Seg::new("ACK").req(code, Spec::id(2, 2));
    match quantity(qty, 15, d) {
        Some(q) => seg.req(q, Spec::r(1, 15)).req(unit, Spec::id(2, 2)),
        None => seg.empty().empty(),
    }
}

/// BCA02 for a change outcome.
pub fn ack_type_865(outcome: &ChangeOutcome) -> &'static str {
    if outcome.refused {
        "RJ"
    } else if outcome.lines.iter().all(|l| l.accepted) {
        "AT"
    } else if outcome.lines.iter().all(|l| !l.accepted) {
        "RD"
    } else {
        "AC"
    }
}

/// See [`crate::formats::x12::writer::write_865`].
pub fn write_865(
    env: &Envelope,
    change: &OrderChange,
    outcome: &ChangeOutcome,
    date: &str,
    line_end: LineEnd,
) -> Vec<u8> {
    let w = Widths::of(&env.version);
    let mut ic = InterchangeBuilder::new(env, &env.version, env.ack_requested, line_end);
    let delims = *ic.delimiters();
    let date = valid_or(Some(date), ic.date());
    let po_date = w.format_date(&valid_or(change.order_date.as_deref(), &date));
    let change_date = change
        .change_date
        .as_deref()
        .filter(|d| d.len() == 8 && builder::valid_date(d))
        .map(|d| w.format_date(d))
        .unwrap_or_default();
    let date = w.format_date(&date);

    ic.begin_group("CA", &env.version);
    ic.begin_set("865", None);
    ic.put(
        Seg::new("BCA")
            .req(BCA_PURPOSE, Spec::id(2, 2))
            .req(ack_type_865(outcome), Spec::id(2, 2))
            .req(change.po_number.as_str(), Spec::an(1, 22))
            .empty()
            .empty()
            .req(&po_date, Spec::dt(w.date()))
            .empty()
            .empty()
            .empty()
            .req(&date, Spec::dt(w.date()))
            .opt(change_date, Spec::dt(w.date())),
    );
    let mut count = 0u64;
    let lines = if outcome.refused { &[][..] } else { &outcome.lines[..] };
    for l in lines {
        let requested: Option<&LineChange> =
            change.changes.iter().find(|c| c.line_number.trim() == l.line_number.trim());
        let code_spec = Spec::id(2, 2);
        let change_code = builder::check(&l.change_code, code_spec, &delims)
            .ok()
            .or_else(|| requested.and_then(|r| builder::check(&r.change_code, code_spec, &delims).ok()))
            .unwrap_or_else(|| "CA".to_string());
        let unit = unit_of(l.unit.as_deref().or_else(|| requested.and_then(|r| r.unit.as_deref())), &delims);
        let qty = l
            .quantity
            .or_else(|| requested.and_then(|r| r.quantity).and_then(Amount::whole_units))
            .and_then(|q| quantity(&q.to_string(), w.quantity(), &delims));
        let mut poc =
            Seg::new("POC").opt(&l.line_number, Spec::an(1, w.line_number())).req(&change_code, Spec::id(2, 2));
        poc = match &qty {
            // POC03 with its unit in POC05 (C001-01).
            Some(q) => poc.req(q, Spec::r(1, w.quantity())).empty().composite(vec![Comp::req(&unit, Spec::id(2, 2))]),
            None => poc.empty().empty().empty(),
        };
        if let Some(r) = requested {
            let pairs = id_pairs(&r.ids, w.item_id(), &delims);
            if !pairs.is_empty() {
                poc = poc.empty().empty();
                for (q, v) in pairs {
                    poc = poc.req(q, Spec::id(2, 2)).req(v, Spec::an(1, w.item_id()));
                }
            }
        }
        ic.put(poc);
        count += 1;
        let code = match (l.accepted, change_code.as_str()) {
            (true, "DI") => "ID",
            (true, _) => "IA",
            (false, _) => "IR",
        };
        let seg = Seg::new("ACK").req(code, Spec::id(2, 2));
        ic.put(match &qty {
            Some(q) => seg.req(q, Spec::r(1, 15)).req(&unit, Spec::id(2, 2)),
            None => seg,
        });
    }
    ic.put(Seg::new("CTT").req(count.to_string(), Spec::n0(1, 6)));
    ic.finish()
}
