//! An 850 (or any purchase order) becomes an order with reserved stock and
//! an 855 in the outbox; a duplicate gets the same answer again.

use super::{queue_interchange, reply_envelope, Addressed, Summary};
use crate::domain::{decide, DecisionState, LineDecision, LineRequest, OrderDecision, PurchaseOrder, RejectReason};
use crate::formats::x12::{self, TransactionSet};
use crate::store::orders::{self, LineRow, NewOrder};
use crate::store::{outbox, stock, Conn, Result};

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

pub(super) fn process(
    conn: &mut Conn,
    doc_id: i64,
    a: &Addressed<'_>,
    set: &TransactionSet,
    po: &PurchaseOrder,
    now_s: i64,
    s: &mut Summary,
) -> Result<()> {
    let key = ship_to_key(po);
    let span = tracing::info_span!("order", retailer = %a.retailer, po = %po.po_number);
    let _g = span.enter();
    if let Some(existing) = orders::find(conn, &a.retailer, &po.po_number, &key)? {
        // Same PO again: the same answer, nothing reserved.
        let lines = orders::lines_of(conn, existing.id)?;
        let original: PurchaseOrder = serde_json::from_str(&existing.detail).unwrap_or_else(|_| po.clone());
        let decision = decision_of(&lines);
        send_855(conn, a, Some(doc_id), existing.id, &original, &decision, now_s)?;
        crate::store::event(
            conn,
            "order.duplicate",
            Some(&a.retailer),
            Some(doc_id),
            Some(existing.id),
            &format!("PO {} again (first in document {}): answered again", po.po_number, existing.document_id),
        )?;
        s.duplicate += 1;
        s.outbound += 1;
        return Ok(());
    }

    // Which SKU each line means.
    let values: Vec<String> = po.lines.iter().flat_map(|l| l.ids.iter().map(|i| i.value.clone())).collect();
    let resolved = stock::resolve_aliases(conn, &values)?;
    let mut requests = Vec::with_capacity(po.lines.len());
    let mut items = Vec::with_capacity(po.lines.len());
    for line in &po.lines {
        let mut ids: Vec<&crate::domain::ItemId> = line.ids.iter().collect();
        ids.sort_by_key(|i| ID_PREFERENCE.iter().position(|q| *q == i.qualifier).unwrap_or(ID_PREFERENCE.len()));
        let hit = ids.iter().find_map(|i| resolved.get(&i.value).map(|sku| (*i, sku.clone())));
        let item = hit.as_ref().map(|(i, _)| *i).or(ids.first().copied());
        items.push(item.map(|i| format!("{}:{}", i.qualifier, i.value)).unwrap_or_default());
        let quantity = line.quantity.whole_units().filter(|q| *q > 0);
        requests.push(LineRequest { sku: hit.map(|(_, sku)| sku), quantity });
    }
    let mut skus: Vec<&str> = requests.iter().filter_map(|r| r.sku.as_deref()).collect();
    skus.sort_unstable();
    skus.dedup();
    let available = stock::available(conn, &skus)?;
    let decision = decide(a.profile.policy.on_short, &requests, &available);
    for (sku, qty) in decision.reservations(&requests) {
        stock::reserve(conn, sku, qty)?;
    }

    let mut rows: Vec<LineRow> = po
        .lines
        .iter()
        .zip(&decision.lines)
        .zip(requests.iter().zip(items))
        .enumerate()
        .map(|(i, ((line, d), (req, item)))| LineRow {
            order_id: 0,
            position: i32::try_from(i + 1).unwrap_or(i32::MAX),
            line_number: line.line_number.clone(),
            sku: req.sku.clone(),
            item,
            unit: line.unit.clone(),
            ordered: d.ordered,
            accepted: d.accepted,
            backordered: d.backordered,
            rejected: d.rejected,
            shipped: 0,
            cancelled: 0,
            reason: d.reason.map(|r| r.as_str().to_string()),
        })
        .collect();
    let detail = serde_json::to_string(po).unwrap_or_default();
    let ship_to_name = po.ship_to().and_then(|p| p.name.clone());
    let order_id = orders::insert(
        conn,
        &NewOrder {
            retailer: &a.retailer,
            po_number: &po.po_number,
            ship_to_key: &key,
            document: doc_id,
            interchange_control: &a.ic.control,
            set_control: &set.control,
            state: decision.state.as_str(),
            order_date: po.order_date.as_deref(),
            ship_to_name: ship_to_name.as_deref(),
            detail: &detail,
        },
        &mut rows,
    )?;
    send_855(conn, a, Some(doc_id), order_id, po, &decision, now_s)?;
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
pub(super) fn send_855(
    conn: &mut Conn,
    a: &Addressed<'_>,
    doc: Option<i64>,
    order_id: i64,
    po: &PurchaseOrder,
    decision: &OrderDecision,
    now_s: i64,
) -> Result<i64> {
    let isa = outbox::allocate_control(conn, &a.retailer, "isa", 1)?;
    let gs = outbox::allocate_control(conn, &a.retailer, "gs", 1)?;
    let mut env = reply_envelope(a.ic, isa, gs, &a.profile.x12.version, now_s);
    env.ack_requested = a.profile.x12.request_ta1;
    let bytes = x12::writer::write_855(&env, po, decision, &env.date.clone());
    let id = queue_interchange(conn, a, doc, Some(order_id), "855", &po.po_number, isa, now_s, &bytes)?;
    outbox::record_sent_group(conn, &a.retailer, &gs.to_string(), id, "PR")?;
    Ok(id)
}
