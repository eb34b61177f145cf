//! An 850 (or any purchase order) becomes an order with reserved stock and
//! an 855 in the outbox; a duplicate gets the same answer again.

use super::batch::{Batch, Known, OrderRef};
use super::{queue_interchange, reply_envelope, Addressed, Origin, Summary};
use crate::domain::{decide, DecisionState, LineDecision, LineRequest, OrderDecision, PurchaseOrder, RejectReason};
use crate::formats::x12;
use crate::store::orders::{LineRow, NewOrderRow};
use crate::store::{Conn, Result};
use std::collections::HashMap;

/// Identifier qualifiers in the order they are tried against the catalogue:
/// our own numbers first, then GTINs, then the buyer's.
const ID_PREFERENCE: &[&str] =
    &["SK", "VN", "VP", "VA", "MG", "UP", "UK", "EN", "EA", "UA", "UI", "IN", "BP", "PI", "CB"];

/// The duplicate key part for the ship-to address.
pub fn ship_to_key(po: &PurchaseOrder) -> String {
    match po.ship_to() {
        Some(p) => crate::util::sha256_hex(p.address_key().as_bytes())[..16].to_string(),
        None => String::new(),
    }
}

/// How an order is answered in its own format (an 855, an ORDRSP…),
/// given the order it belongs to and the decision.
pub(super) type Answer<'x> =
    dyn FnMut(&mut Conn, &mut Batch, OrderRef, &PurchaseOrder, &OrderDecision) -> Result<()> + 'x;

/// Decides a purchase order, whatever format it came in: the same
/// duplicate check (retailer, PO number, ship-to), the same reservation,
/// and an answer queued through `answer`.
#[allow(clippy::too_many_arguments)]
pub(super) fn process(
    conn: &mut Conn,
    batch: &mut Batch,
    doc_id: i64,
    a: &Origin<'_>,
    set_control: &str,
    po: &PurchaseOrder,
    s: &mut Summary,
    answer: &mut Answer<'_>,
) -> Result<()> {
    let key = (a.retailer.to_string(), po.po_number.to_string(), ship_to_key(po));
    if let Some(known) = batch.known.get(&key).cloned() {
        // Same PO again: the same answer, nothing reserved.
        answer(conn, batch, known.order, &known.po, &known.decision)?;
        tracing::info!(retailer = %a.retailer, po = %po.po_number, "duplicate purchase order answered again");
        s.duplicate += 1;
        s.outbound += 1;
        return Ok(());
    }

    // Which SKU each line means.
    let mut requests = Vec::with_capacity(po.lines.len());
    let mut items = Vec::with_capacity(po.lines.len());
    for line in &po.lines {
        let mut ids: Vec<&crate::domain::ItemId> = line.ids.iter().collect();
        ids.sort_by_key(|i| ID_PREFERENCE.iter().position(|q| *q == i.qualifier).unwrap_or(ID_PREFERENCE.len()));
        let hit = ids.iter().find_map(|i| batch.aliases.get(i.value.as_str()).map(|sku| (*i, sku.clone())));
        let item = hit.as_ref().map(|(i, _)| *i).or(ids.first().copied());
        items.push(item.map(|i| format!("{}:{}", i.qualifier, i.value)).unwrap_or_default());
        let quantity = line.quantity.whole_units().filter(|q| *q > 0);
        requests.push(LineRequest { sku: hit.map(|(_, sku)| sku), quantity });
    }
    let mut available = HashMap::new();
    for sku in requests.iter().filter_map(|r| r.sku.as_deref()) {
        let free = batch.free(conn, sku)?;
        available.insert(sku.to_string(), free);
    }
    let decision = decide(a.profile.policy.on_short, &requests, &available);
    for (sku, qty) in decision.reservations(&requests) {
        batch.take(sku, qty);
    }

    let lines: Vec<LineRow> = po
        .lines
        .iter()
        .zip(&decision.lines)
        .zip(requests.iter().zip(items))
        .enumerate()
        .map(|(i, ((line, d), (req, item)))| LineRow {
            order_id: 0,
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            line_number: line.line_number.to_string(),
            sku: req.sku.clone(),
            item,
            unit: line.unit.to_string(),
            ordered: d.ordered,
            accepted: d.accepted,
            backordered: d.backordered,
            rejected: d.rejected,
            shipped: 0,
            cancelled: 0,
            reason: d.reason.map(|r| r.as_str().to_string()),
        })
        .collect();
    let now = crate::store::now_micros();
    let order = batch.add_order(
        NewOrderRow {
            retailer_id: a.retailer.to_string(),
            po_number: po.po_number.to_string(),
            ship_to_key: key.2.clone(),
            document_id: doc_id,
            interchange_control: a.interchange_control.to_string(),
            set_control: set_control.to_string(),
            state: decision.state.as_str().to_string(),
            order_date: po.order_date.as_deref().map(str::to_string),
            ship_to_name: po.ship_to().and_then(|p| p.name.as_deref().map(str::to_string)),
            detail: serde_json::to_string(po).unwrap_or_default(),
            created_at: now,
            updated_at: now,
        },
        lines,
    );
    answer(conn, batch, order, po, &decision)?;
    batch.known.insert(key, Known { order, po: po.clone(), decision: decision.clone() });
    match decision.state {
        DecisionState::Accepted => s.accepted += 1,
        DecisionState::PartiallyAccepted => s.partial += 1,
        DecisionState::Backordered => s.backordered += 1,
        DecisionState::Rejected => s.rejected += 1,
    }
    s.outbound += 1;
    Ok(())
}

/// The decision an order's stored lines amount to.
pub fn decision_of(lines: &[LineRow]) -> OrderDecision {
    let ls: Vec<LineDecision> = lines
        .iter()
        .map(|l| LineDecision {
            ordered: l.ordered,
            accepted: l.accepted,
            backordered: l.backordered,
            rejected: l.rejected + l.cancelled,
            reason: l.reason.as_deref().and_then(reason_from_str),
        })
        .collect();
    OrderDecision { state: crate::domain::state_of(&ls), lines: ls }
}

fn reason_from_str(s: &str) -> Option<RejectReason> {
    Some(match s {
        "unknown_item" => RejectReason::UnknownItem,
        "bad_quantity" => RejectReason::BadQuantity,
        "out_of_stock" => RejectReason::OutOfStock,
        "order_rejected" => RejectReason::OrderRejected,
        "cancelled" => RejectReason::Cancelled,
        _ => return None,
    })
}

/// Writes an 855 for an order and queues it.
#[allow(clippy::too_many_arguments)]
pub(super) fn send_855(
    conn: &mut Conn,
    batch: &mut Batch,
    a: &Addressed<'_>,
    doc: i64,
    order: OrderRef,
    po: &PurchaseOrder,
    decision: &OrderDecision,
    now_s: i64,
) -> Result<()> {
    let isa = batch.controls.next(conn, &a.retailer, "isa")?;
    let gs = batch.controls.next(conn, &a.retailer, "gs")?;
    let mut env = reply_envelope(a.ic, isa, gs, &a.profile.x12.version, now_s);
    env.ack_requested = a.profile.x12.request_ta1;
    let bytes = x12::writer::write_855(&env, po, decision, &env.date.clone());
    queue_interchange(batch, a, doc, order, "855", &po.po_number, isa, now_s, bytes, Some((gs.to_string(), "PR")));
    Ok(())
}
