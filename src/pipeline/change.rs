//! An 860 changes or cancels an order we hold; the answer is an 865.

use super::batch::{Batch, OrderRef};
use super::{queue_interchange, reply_envelope, Addressed, Summary};
use crate::domain::{ChangeOutcome, LineChangeOutcome, OrderChange, OrderDecision};
use crate::formats::x12;
use crate::store::orders::{self, LineRow, CANCELLED};
use crate::store::{stock, Conn, Result};

/// Order states in which a change can still be made.
const CHANGEABLE: &[&str] = &["accepted", "partially_accepted", "backordered", "rejected"];

fn same_line(a: &str, b: &str) -> bool {
    a.trim_start_matches('0') == b.trim_start_matches('0')
}

pub(super) fn process(
    conn: &mut Conn,
    batch: &mut Batch,
    doc_id: i64,
    a: &Addressed<'_>,
    ch: &OrderChange,
    now_s: i64,
    s: &mut Summary,
) -> Result<()> {
    let candidates = orders::find_by_po(conn, &a.retailer, &ch.po_number)?;
    let order = candidates.into_iter().rev().find(|o| o.state != CANCELLED);
    let mut outcome = ChangeOutcome::default();
    match &order {
        None => {
            outcome.refused = true;
            outcome.reason = Some(format!("no open order {} from {}", ch.po_number, a.retailer));
        }
        Some(o) if !CHANGEABLE.contains(&o.state.as_str()) => {
            outcome.refused = true;
            outcome.reason = Some(format!("order {} is {} and can no longer be changed", ch.po_number, o.state));
        }
        Some(o) => {
            let mut lines = orders::lines_of(conn, o.id)?;
            if ch.cancels_order() {
                for l in &mut lines {
                    cancel_line(conn, l)?;
                    orders::update_line(conn, l)?;
                }
                orders::set_state(conn, o.id, CANCELLED)?;
                outcome.order_cancelled = true;
            } else {
                for c in &ch.changes {
                    let r = apply_line_change(conn, &mut lines, c, a)?;
                    outcome.lines.push(r);
                }
                for l in &lines {
                    orders::update_line(conn, l)?;
                }
                let all_cancelled = lines.iter().all(|l| l.ordered == l.cancelled);
                let state = if all_cancelled { CANCELLED } else { super::order::decision_of(&lines).state.as_str() };
                orders::set_state(conn, o.id, state)?;
            }
            crate::store::event(
                conn,
                "order.changed",
                Some(&a.retailer),
                Some(doc_id),
                Some(o.id),
                &format!(
                    "860 for PO {}: {}",
                    ch.po_number,
                    if outcome.order_cancelled { "order cancelled" } else { "lines changed" }
                ),
            )?;
        }
    }
    let isa = batch.controls.next(conn, &a.retailer, "isa")?;
    let gs = batch.controls.next(conn, &a.retailer, "gs")?;
    let env = reply_envelope(a.ic, isa, gs, &a.profile.x12.version, now_s);
    let bytes = x12::writer::write_865(&env, ch, &outcome, &env.date.clone());
    let order_ref = order.as_ref().map_or(OrderRef::None, |o| OrderRef::Existing(o.id));
    let group = Some((gs.to_string(), "CA"));
    queue_interchange(batch, a, doc_id, order_ref, "865", &ch.po_number, isa, now_s, bytes, group);
    s.changes += 1;
    s.outbound += 1;
    Ok(())
}

/// Cancels what is left of a line, giving its reservation back.
fn cancel_line(conn: &mut Conn, l: &mut LineRow) -> Result<()> {
    let open = l.accepted - l.shipped;
    if let (Some(sku), true) = (&l.sku, open > 0) {
        stock::release(conn, sku, open)?;
    }
    l.cancelled += open + l.backordered;
    l.accepted = l.shipped;
    l.backordered = 0;
    l.reason = Some("cancelled".into());
    Ok(())
}

fn apply_line_change(
    conn: &mut Conn,
    lines: &mut [LineRow],
    c: &crate::domain::LineChange,
    a: &Addressed<'_>,
) -> Result<LineChangeOutcome> {
    let mut out = LineChangeOutcome {
        line_number: c.line_number.to_string(),
        change_code: c.change_code.to_string(),
        unit: c.unit.as_deref().map(str::to_string),
        ..LineChangeOutcome::default()
    };
    let Some(l) = lines.iter_mut().find(|l| same_line(&l.line_number, &c.line_number)) else {
        out.reason = Some(if c.change_code == "AI" {
            "adding lines by 860 is not supported: send the items on a new purchase order".into()
        } else {
            format!("line {} is not on the order", c.line_number)
        });
        return Ok(out);
    };
    out.unit = Some(l.unit.clone());
    match c.change_code.as_str() {
        "DI" => {
            cancel_line(conn, l)?;
            out.accepted = true;
            out.quantity = Some(0);
        }
        "QD" | "QI" | "CA" | "RZ" | "CT" => {
            let Some(q) = c.quantity.and_then(|q| q.whole_units()).filter(|q| *q >= 0) else {
                if c.change_code == "CA" {
                    out.accepted = true;
                    out.quantity = Some(l.ordered - l.cancelled);
                } else {
                    out.reason = Some("the new quantity (POC03) is missing or not a whole number".into());
                }
                return Ok(out);
            };
            let current = l.ordered - l.cancelled;
            if q < l.shipped {
                out.reason = Some(format!("{} already shipped; cannot go down to {q}", l.shipped));
                return Ok(out);
            }
            if q < current {
                // Take off backorders first, then accepted units.
                let mut drop = current - q;
                let from_bo = drop.min(l.backordered);
                l.backordered -= from_bo;
                drop -= from_bo;
                let from_acc = drop.min(l.accepted - l.shipped);
                if let (Some(sku), true) = (&l.sku, from_acc > 0) {
                    stock::release(conn, sku, from_acc)?;
                }
                l.accepted -= from_acc;
                drop -= from_acc;
                let from_rej = drop.min(l.rejected);
                l.rejected -= from_rej;
                l.ordered = q + l.cancelled;
            } else if q > current {
                let Some(sku) = l.sku.clone() else {
                    out.reason = Some("the item of this line is unknown; it cannot be increased".into());
                    return Ok(out);
                };
                let extra = q - current;
                let avail = stock::available(conn, &[sku.as_str()])?.get(&sku).copied().unwrap_or(0);
                let d: OrderDecision = crate::domain::decide(
                    a.profile.policy.on_short,
                    &[crate::domain::LineRequest { sku: Some(sku.clone()), quantity: Some(extra) }],
                    &std::iter::once((sku.clone(), avail)).collect(),
                );
                let ld = &d.lines[0];
                stock::reserve(conn, &sku, ld.accepted)?;
                l.accepted += ld.accepted;
                l.backordered += ld.backordered;
                l.rejected += ld.rejected;
                l.ordered += extra;
            }
            out.accepted = true;
            out.quantity = Some(q);
        }
        "PC" | "PR" | "DC" | "SC" => {
            out.accepted = true;
            out.quantity = Some(l.ordered - l.cancelled);
        }
        other => {
            out.reason = Some(format!("change type {other} is not supported"));
        }
    }
    Ok(out)
}
