//! EDIFACT documents through the same stages as X12: the sender found by
//! its UNB party, the interchange reference checked per sender, each
//! ORDERS message decided by [`super::order::process`] and answered with
//! an ORDRSP, the interchange answered with a CONTRL when asked (or when
//! something was rejected).

use super::batch::{Batch, OrderRef};
use super::{order, Origin, Quarantine, Summary};
use crate::domain::{OrderDecision, PurchaseOrder};
use crate::formats::edifact::writer::{self, Envelope, MessageReport};
use crate::formats::edifact::{self, Address, Interchange, MessageBody};
use crate::retailer::{ContrlPolicy, Profile};
use crate::store::documents;
use crate::store::{retailers, Conn, Result};

struct Addressed<'a> {
    ic: &'a Interchange,
    retailer: String,
    profile: Profile,
}

fn same(a: &Address, b: &Address) -> bool {
    a.id.eq_ignore_ascii_case(&b.id)
        && match (&a.qualifier, &b.qualifier) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            _ => true,
        }
}

/// The retailer whose `[edifact]` sender is `who`.
fn find_retailer(conn: &mut Conn, who: &Address) -> Result<Option<(String, Profile)>> {
    for row in retailers::list(conn)? {
        let p = row.profile()?;
        if let Some(e) = &p.edifact {
            if e.sender().is_ok_and(|s| same(&s, who)) {
                return Ok(Some((row.id, p)));
            }
        }
    }
    Ok(None)
}

pub(super) fn process(
    conn: &mut Conn,
    doc: &documents::DocumentSummary,
    bytes: &[u8],
    label: &str,
) -> Result<Result<Summary, Quarantine>> {
    let parsed = edifact::read(bytes);
    if parsed.interchanges.is_empty() {
        let why = parsed.errors.first().map(ToString::to_string).unwrap_or_else(|| "no interchange found".into());
        return Ok(Err(Quarantine(format!("{label}: {why}"))));
    }
    let mut problems: Vec<String> = parsed.errors.iter().map(|e| format!("{label}: {e}")).collect();
    let mut addressed = Vec::new();
    for (n, ic) in parsed.interchanges.iter().enumerate() {
        let at = format!("{label}, interchange {} (UNB05 {}, segment {})", n + 1, ic.control, ic.first_segment);
        let Some((retailer, profile)) = find_retailer(conn, &ic.sender)? else {
            return Ok(Err(Quarantine(format!(
                "{at}: sender {} is not a known retailer: add a retailer whose edifact.sender_id is \"{}\" \
                 (dropgate retailer apply FILE), then run `dropgate documents reprocess {}`",
                ic.sender, ic.sender, doc.id
            ))));
        };
        let ours = profile
            .edifact
            .as_ref()
            .map(|e| e.receiver())
            .transpose()
            .map_err(|e| crate::store::StoreError::Invalid(format!("{e:#}")))?;
        if let Some(ours) = ours.filter(|o| !same(o, &ic.recipient)) {
            return Ok(Err(Quarantine(format!(
                "{at}: addressed to {}, but retailer {retailer} sends to us as {ours} (edifact.receiver_id); fix the \
                 profile or the partner's set-up, then run `dropgate documents reprocess {}`",
                ic.recipient, doc.id
            ))));
        }
        if let Some(r) = &doc.retailer_id {
            if *r != retailer {
                return Ok(Err(Quarantine(format!(
                    "{at}: arrived through retailer {r}'s channel but is from {} (retailer {retailer})",
                    ic.sender
                ))));
            }
        }
        if ic.refused() {
            problems.push(format!(
                "{at}: interchange rejected: {}",
                ic.errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
            ));
        }
        addressed.push(Addressed { ic, retailer, profile });
    }
    let retailer_of_doc = addressed.first().map(|a| a.retailer.clone());
    let all_refused = addressed.iter().all(|a| a.ic.refused());
    let now_s = crate::util::unix_now();
    let doc_id = doc.id;
    let reprocessing = doc.attempts > 0;

    conn.write(|conn| {
        let mut s = Summary { problems: problems.clone(), ..Summary::default() };
        for a in &addressed {
            let sender = format!("UNB:{}", a.ic.sender);
            let first = documents::record_interchange(conn, doc_id, &sender, &a.ic.control)?;
            if let (Some(first), false) = (first, reprocessing) {
                return Ok(Err(Quarantine(format!(
                    "{label}: interchange control reference {} from {} was already received in document {first}; \
                     if the partner reused it for new content, check document {first}, then run \
                     `dropgate documents reprocess {doc_id}`",
                    a.ic.control, a.ic.sender
                ))));
            }
        }
        let mut batch = Batch::default();
        for a in &addressed {
            let pos: Vec<&PurchaseOrder> =
                a.ic.messages
                    .iter()
                    .filter(|_| !a.ic.refused())
                    .filter_map(|m| match &m.body {
                        MessageBody::Order(po) => Some(&**po),
                        _ => None,
                    })
                    .collect();
            batch.prefetch(conn, &a.retailer, &pos)?;
        }
        for a in &addressed {
            answer_interchange(conn, &mut batch, doc_id, a, now_s, &mut s)?;
        }
        batch.flush(conn)?;
        super::settle(conn, doc_id, all_refused, retailer_of_doc.as_deref(), &mut s)?;
        Ok(Ok(s))
    })
}

/// CCYYMMDD and HHMM, now.
fn stamp(now_s: i64) -> (String, String) {
    let (date, time) = crate::util::datetime_compact(now_s);
    (date, time[..4].to_string())
}

fn answer_interchange(
    conn: &mut Conn,
    batch: &mut Batch,
    doc_id: i64,
    a: &Addressed<'_>,
    now_s: i64,
    s: &mut Summary,
) -> Result<()> {
    let ic = a.ic;
    let (date, time) = stamp(now_s);
    let rejected_any = ic.refused() || ic.messages.iter().any(|m| !m.errors.is_empty());
    let only_contrl = !ic.messages.is_empty() && ic.messages.iter().all(|m| m.kind == "CONTRL");
    let policy = a.profile.edifact.as_ref().map(|e| e.contrl).unwrap_or_default();
    if !only_contrl && (ic.ack_requested || rejected_any || policy == ContrlPolicy::Always) {
        let control = batch.controls.next(conn, &a.retailer, "unb")?;
        let env = Envelope::reply_to(ic, control, &date, &time);
        let reports: Vec<MessageReport> = ic
            .messages
            .iter()
            .map(|m| MessageReport {
                reference: m.reference.to_string(),
                identifier: m.identifier(),
                errors: m.errors.clone(),
                first_segment: m.first_segment,
            })
            .collect();
        match writer::write_contrl(&env, ic, &reports) {
            Ok(bytes) => {
                queue(batch, a, doc_id, OrderRef::None, "CONTRL", "", control, now_s, bytes);
                s.outbound += 1;
            }
            Err(e) => s.problems.push(format!("CONTRL for interchange {} not written: {e}", ic.control)),
        }
    }
    for m in &ic.messages {
        if ic.refused() || !m.errors.is_empty() {
            s.sets_rejected += 1;
            let why =
                m.errors.first().or(ic.errors.first()).map(ToString::to_string).unwrap_or_else(|| "rejected".into());
            s.problems
                .push(format!("message {} ({}) of interchange {} rejected: {why}", m.reference, m.kind, ic.control));
            continue;
        }
        match &m.body {
            MessageBody::Order(po) => {
                let origin = Origin { retailer: &a.retailer, profile: &a.profile, interchange_control: &ic.control };
                let mut refused: Vec<String> = Vec::new();
                let mut answer =
                    |conn: &mut Conn, batch: &mut Batch, order: OrderRef, po: &PurchaseOrder, d: &OrderDecision| {
                        let control = batch.controls.next(conn, &a.retailer, "unb")?;
                        let env = Envelope::reply_to(ic, control, &date, &time);
                        match writer::write_ordrsp(&env, &m.release, &format!("{control}"), po, d) {
                            Ok(bytes) => queue(batch, a, doc_id, order, "ORDRSP", &po.po_number, control, now_s, bytes),
                            Err(e) => refused.push(format!("ORDRSP for PO {} not written: {e}", po.po_number)),
                        }
                        Ok(())
                    };
                order::process(conn, batch, doc_id, &origin, &m.reference, po, s, &mut answer)?;
                if !refused.is_empty() {
                    // Counted as sent by the order stage; it was not written.
                    s.outbound = s.outbound.saturating_sub(1);
                    for r in &refused {
                        crate::store::event(conn, "outbound.refused", Some(&a.retailer), Some(doc_id), None, r)?;
                    }
                    s.problems.extend(refused);
                }
            }
            MessageBody::Contrl { interchange, action } => {
                tracing::info!(retailer = %a.retailer, interchange = %interchange, action = %action, "CONTRL received");
                s.acks_received += 1;
            }
            MessageBody::Unsupported | MessageBody::Rejected => {}
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn queue(
    batch: &mut Batch,
    a: &Addressed<'_>,
    document: i64,
    order: OrderRef,
    kind: &str,
    po: &str,
    control: u32,
    now_s: i64,
    payload: Vec<u8>,
) {
    let control = control.to_string();
    let name = a.profile.file_name(kind, &control, po, now_s, control.parse().unwrap_or(0));
    batch.queue(&a.retailer, Some(document), order, kind, control, name, payload, None);
}
