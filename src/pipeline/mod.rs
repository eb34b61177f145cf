//! The processing stage: a document in the ledger becomes orders,
//! reservations and outbox rows, in one transaction per document.
//!
//! Everything here is replayable: a document left in state `received` by a
//! crash is processed on the next start, and nothing that was committed is
//! done twice.

pub mod answers;
mod batch;
pub mod batches;
mod change;
mod csv;
pub mod cxml;
mod edifact;
mod order;

use crate::formats::x12::{self, ack::AckCode, Document, Envelope, Interchange, PartyId};
use crate::retailer::Profile;
use crate::store::documents::{self, Arrival, Body, Received, PROCESSED, QUARANTINED};
use crate::store::{blobs, outbox, retailers, Conn, Result, StoreError};
use batch::{Batch, OrderRef};
use serde::Serialize;

/// Counts of what happened, for `ingest` and the logs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub documents: u64,
    pub repeats: u64,
    pub quarantined: u64,
    pub accepted: u64,
    pub partial: u64,
    pub backordered: u64,
    pub rejected: u64,
    pub duplicate: u64,
    pub changes: u64,
    pub acks_received: u64,
    pub sets_rejected: u64,
    pub outbound: u64,
    /// Reasons of quarantined documents and rejected sets, for people.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub problems: Vec<String>,
}

impl Summary {
    pub fn add(&mut self, o: &Summary) {
        self.documents += o.documents;
        self.repeats += o.repeats;
        self.quarantined += o.quarantined;
        self.accepted += o.accepted;
        self.partial += o.partial;
        self.backordered += o.backordered;
        self.rejected += o.rejected;
        self.duplicate += o.duplicate;
        self.changes += o.changes;
        self.acks_received += o.acks_received;
        self.sets_rejected += o.sets_rejected;
        self.outbound += o.outbound;
        self.problems.extend(o.problems.iter().cloned());
    }

    pub fn orders(&self) -> u64 {
        self.accepted + self.partial + self.backordered + self.rejected
    }
}

/// Records an arrival in the ledger and processes it right away, in one
/// transaction (one commit, one wait for the disk). Should processing
/// fail, the arrival is still recorded, alone, and the document waits in
/// the ledger to be processed again. Inside a transaction already open, a
/// processing failure is returned as [`StoreError::ProcessingFailed`]
/// instead, for the caller to record the arrival alone
/// ([`documents::receive`]) once its transaction is rolled back.
/// A repeat of known bytes is answered again with the documents first sent.
pub fn ingest(conn: &mut Conn, arrival: Arrival<'_>) -> Result<(Received, Summary)> {
    let nested = conn.in_transaction();
    match conn.write(|conn| ingest_now(conn, arrival)) {
        Err(StoreError::ProcessingFailed { document, reason }) if !nested => {
            tracing::error!(document_id = document, "processing failed; the document stays in the ledger: {reason}");
            let received = documents::receive(conn, arrival)?;
            let problem = format!("document {}: processing failed: {reason}", received.document());
            Ok((received, Summary { problems: vec![problem], ..Summary::default() }))
        }
        other => other,
    }
}

fn ingest_now(conn: &mut Conn, arrival: Arrival<'_>) -> Result<(Received, Summary)> {
    let received = documents::receive(conn, arrival)?;
    let bytes = match arrival.body {
        Body::Bytes(b) => Some(b),
        Body::Blob(_) => None,
    };
    let outcome = match received {
        Received::New { document, .. } | Received::Resumed { document, .. } => process_loaded(conn, document, bytes),
        Received::Repeat { document, .. } => answer_repeat(conn, document, bytes),
    };
    match outcome {
        Ok(summary) => Ok((received, summary)),
        Err(e) if e.is_transient() => Err(e),
        Err(e) => Err(StoreError::ProcessingFailed { document: received.document(), reason: e.to_string() }),
    }
}

/// Bytes seen before: answered again with the documents first sent (or
/// processed now, if that never happened).
fn answer_repeat(conn: &mut Conn, document: i64, bytes: Option<&[u8]>) -> Result<Summary> {
    let state = documents::meta(conn, document)?.map(|d| d.state).unwrap_or_default();
    let mut s = if state == documents::RECEIVED { process_loaded(conn, document, bytes)? } else { Summary::default() };
    if state != documents::RECEIVED {
        let n = conn.write(|conn| outbox::resend_for_document(conn, document))?;
        s.outbound += n as u64;
    }
    s.repeats += 1;
    Ok(s)
}

/// Processes every document waiting in the ledger (after a crash, or
/// after `documents reprocess`).
pub fn process_pending(conn: &mut Conn) -> Result<Summary> {
    let mut total = Summary::default();
    loop {
        let ids = documents::pending(conn, 100)?;
        if ids.is_empty() {
            return Ok(total);
        }
        for id in ids {
            let s = process_document(conn, id)?;
            total.add(&s);
        }
    }
}

/// Why a document cannot be processed as it stands.
struct Quarantine(String);

/// Processes one document of the ledger, if it is still waiting.
pub fn process_document(conn: &mut Conn, id: i64) -> Result<Summary> {
    process_loaded(conn, id, None)
}

/// Processes a document whose bytes may be in hand already.
fn process_loaded(conn: &mut Conn, id: i64, bytes: Option<&[u8]>) -> Result<Summary> {
    let Some(doc) = documents::meta(conn, id)? else {
        return Err(StoreError::NotFound(format!("document {id}")));
    };
    if doc.state != documents::RECEIVED {
        return Ok(Summary::default());
    }
    let label = format!("document {} ({})", doc.id, doc.name);
    let span = tracing::info_span!("document", document_id = doc.id, name = %doc.name);
    let _guard = span.enter();
    let loaded;
    let bytes = match bytes {
        Some(b) => b,
        None => {
            // Only a document that looked like one dropgate reads on arrival is read whole.
            loaded = if doc.format != "unknown" {
                blobs::read(conn, doc.blob_id)?
            } else {
                blobs::head(conn, doc.blob_id, documents::HEAD_BYTES)?
            };
            &loaded[..]
        }
    };
    let outcome = match documents::sniff_format(bytes) {
        "x12" => process_x12(conn, &doc, bytes, &label),
        "edifact" => edifact::process(conn, &doc, bytes, &label),
        "cxml" => cxml::process(conn, &doc, bytes, &label),
        "csv" => csv::process(conn, &doc, bytes, &label),
        _ => Ok(Err(Quarantine(format!(
            "{label}: not a document dropgate reads: expected an X12 interchange starting with \"ISA\", \
             EDIFACT starting with \"UNA\" or \"UNB\", or a cXML document"
        )))),
    };
    match outcome? {
        Ok(mut s) => {
            s.documents += 1;
            Ok(s)
        }
        Err(Quarantine(reason)) => {
            tracing::warn!(reason = %reason, "quarantined");
            conn.write(|conn| {
                documents::finish(conn, id, QUARANTINED, doc.retailer_id.as_deref(), Some(&reason))?;
                crate::store::event(conn, "document.quarantined", doc.retailer_id.as_deref(), Some(id), None, &reason)
            })?;
            Ok(Summary { documents: 1, quarantined: 1, problems: vec![reason], ..Summary::default() })
        }
    }
}

/// Who an order comes from, whatever its format.
struct Origin<'a> {
    retailer: &'a str,
    profile: &'a Profile,
    /// The envelope's control number (ISA13, UNB05, a payload id…).
    interchange_control: &'a str,
}

/// An interchange with the retailer it comes from.
struct Addressed<'a> {
    ic: &'a Interchange,
    retailer: String,
    profile: Profile,
}

fn process_x12(
    conn: &mut Conn,
    doc: &documents::DocumentSummary,
    bytes: &[u8],
    label: &str,
) -> Result<Result<Summary, Quarantine>> {
    let parsed = x12::reader::read(bytes);
    if parsed.interchanges.is_empty() {
        let why = parsed.errors.first().map(ToString::to_string).unwrap_or_else(|| "no interchange found".into());
        return Ok(Err(Quarantine(format!("{label}: {why}"))));
    }
    // Who sent each interchange, and is it addressed to us?
    let mut addressed = Vec::new();
    let mut problems = Vec::new();
    for (n, ic) in parsed.interchanges.iter().enumerate() {
        let at = format!("{label}, interchange {} (ISA13 {}, segment {})", n + 1, ic.control, ic.first_segment);
        let Some(row) = retailers::find_by_sender_loose(conn, &ic.sender.qualifier, &ic.sender.id)? else {
            return Ok(Err(Quarantine(format!(
                "{at}: sender {} is not a known retailer: add a retailer whose x12.sender_id is \"{}\" \
                 (dropgate retailer apply FILE), then run `dropgate documents reprocess {}`",
                ic.sender, ic.sender, doc.id
            ))));
        };
        let profile = row.profile()?;
        let ours = profile.receiver().map_err(|e| StoreError::Invalid(format!("{e:#}")))?;
        if !same_party(&ours, &ic.receiver) {
            return Ok(Err(Quarantine(format!(
                "{at}: addressed to {}, but retailer {} sends to us as {} (x12.receiver_id); fix the profile \
                 or the partner's set-up, then run `dropgate documents reprocess {}`",
                ic.receiver, row.id, ours, doc.id
            ))));
        }
        if let Some(r) = &doc.retailer_id {
            if *r != row.id {
                return Ok(Err(Quarantine(format!(
                    "{at}: arrived through retailer {r}'s channel but is from {} (retailer {})",
                    ic.sender, row.id
                ))));
            }
        }
        if ic.refused() {
            problems.push(format!(
                "{at}: interchange refused (TA1 note {}): {}",
                ic.ta1.note.code(),
                ic.errors.first().map(ToString::to_string).unwrap_or_default()
            ));
        }
        addressed.push(Addressed { ic, retailer: row.id, profile });
    }
    let retailer_of_doc = addressed.first().map(|a| a.retailer.clone());
    let all_refused = addressed.iter().all(|a| a.ic.refused());
    let now_s = crate::util::unix_now();
    let doc_id = doc.id;
    let reprocessing = doc.attempts > 0;

    conn.write(|conn| {
        let mut s = Summary { problems: problems.clone(), ..Summary::default() };
        for a in &addressed {
            let sender = a.ic.sender.to_string();
            let first = documents::record_interchange(conn, doc_id, &sender, &a.ic.control)?;
            // An admin's `reprocess` (the document was finished before) overrides the check.
            if let (Some(first), false) = (first, reprocessing) {
                return Ok(Err(Quarantine(format!(
                    "{label}: interchange control number {} from {} was already received in document {first}; \
                     if the partner reused it for new content, check document {first}, then run \
                     `dropgate documents reprocess {doc_id}`",
                    a.ic.control, sender
                ))));
            }
        }
        let mut batch = Batch::default();
        for a in &addressed {
            let (isa, gs) = controls_needed(a.ic);
            batch.controls.reserve(conn, &a.retailer, "isa", isa)?;
            batch.controls.reserve(conn, &a.retailer, "gs", gs)?;
            let pos: Vec<&crate::domain::PurchaseOrder> = processable(a.ic)
                .filter_map(|(_, set)| match &set.document {
                    Document::PurchaseOrder(po) => Some(&**po),
                    _ => None,
                })
                .collect();
            batch.prefetch(conn, &a.retailer, &pos)?;
        }
        for a in &addressed {
            answer_interchange(conn, &mut batch, doc_id, a, now_s, &mut s)?;
        }
        batch.flush(conn)?;
        // Refused as a whole (answered with TA1 R or CONTRL): the bytes stay for the admin.
        settle(conn, doc_id, all_refused, retailer_of_doc.as_deref(), &mut s)?;
        Ok(Ok(s))
    })
}

/// Marks a document processed (with its problems as a note) or, when all of
/// it was refused, quarantined with them as the reason.
pub(super) fn settle(
    conn: &mut Conn,
    doc_id: i64,
    all_refused: bool,
    retailer: Option<&str>,
    s: &mut Summary,
) -> Result<()> {
    if all_refused {
        let reason = s.problems.join("; ");
        documents::finish(conn, doc_id, QUARANTINED, retailer, Some(&reason))?;
        crate::store::event(conn, "document.quarantined", retailer, Some(doc_id), None, &reason)?;
        s.quarantined += 1;
    } else {
        let note = (!s.problems.is_empty()).then(|| s.problems.join("; "));
        documents::finish(conn, doc_id, PROCESSED, retailer, note.as_deref())?;
    }
    Ok(())
}

fn same_party(a: &PartyId, b: &PartyId) -> bool {
    a.id.eq_ignore_ascii_case(&b.id)
}

/// The envelope of an answer to `ic`, dated now.
fn reply_envelope(ic: &Interchange, isa: u32, gs: u32, version: &str, now_s: i64) -> Envelope {
    let (date, time) = crate::util::datetime_compact(now_s);
    x12::respond::reply_envelope(ic, isa, gs, version, &date, &time)
}

/// Writes one outbound interchange into the batch, named by the retailer's pattern.
#[allow(clippy::too_many_arguments)]
fn queue_interchange(
    batch: &mut Batch,
    a: &Addressed<'_>,
    document: i64,
    order: OrderRef,
    kind: &str,
    po: &str,
    isa: u32,
    now_s: i64,
    payload: Vec<u8>,
    group: Option<(String, &'static str)>,
) {
    let control = format!("{isa:09}");
    let name = a.profile.file_name(kind, &control, po, now_s, i64::from(isa));
    batch.queue(&a.retailer, Some(document), order, kind, control, name, payload, group);
}

/// The sets of an interchange that are to be acted on: not in a refused
/// interchange or a rejected group, and not rejected themselves.
fn processable(ic: &Interchange) -> impl Iterator<Item = (&x12::Group, &x12::TransactionSet)> {
    ic.groups
        .iter()
        .filter(|g| !ic.refused() && g.ack.code != AckCode::Rejected)
        .flat_map(|g| g.sets.iter().map(move |s| (g, s)))
        .filter(|(_, s)| s.ack.code != AckCode::Rejected)
}

/// How many interchange and group control numbers the answers to `ic` take.
fn controls_needed(ic: &Interchange) -> (u32, u32) {
    let mut isa = u32::from(ic.ack_requested || ic.refused());
    let mut gs = 0;
    if !ic.refused() {
        let fa = ic.groups.iter().filter(|g| g.functional_id != "FA");
        let (n999, n997) = fa.fold((0, 0), |(a, b), g| if g.wants_999() { (1, b) } else { (a, 1) });
        isa += n997 + n999;
        gs += n997 + n999;
        let answered = processable(ic)
            .filter(|(_, s)| matches!(s.document, Document::PurchaseOrder(_) | Document::OrderChange(_)))
            .count();
        let answered = u32::try_from(answered).unwrap_or(u32::MAX);
        isa += answered;
        gs += answered;
    }
    (isa, gs)
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
    let (date, time) = crate::util::datetime_compact(now_s);
    let replies =
        x12::respond::acknowledgements(ic, &date, &time, |kind| batch.controls.next(conn, &a.retailer, kind))?;
    for r in replies {
        queue_interchange(batch, a, doc_id, OrderRef::None, r.kind, "", r.interchange_control, now_s, r.bytes, None);
        s.outbound += 1;
    }
    for g in &ic.groups {
        for set in &g.sets {
            if ic.refused() || g.ack.code == AckCode::Rejected || set.ack.code == AckCode::Rejected {
                s.sets_rejected += 1;
                let why = set
                    .errors
                    .first()
                    .or(g.errors.first())
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "rejected".into());
                s.problems
                    .push(format!("set {} (ST02 {}) of group {} rejected: {why}", set.set_id, set.control, g.control));
            }
        }
    }
    for (_, set) in processable(ic) {
        {
            match &set.document {
                Document::PurchaseOrder(po) => {
                    let origin =
                        Origin { retailer: &a.retailer, profile: &a.profile, interchange_control: &ic.control };
                    let mut answer = |conn: &mut Conn,
                                      batch: &mut Batch,
                                      order: OrderRef,
                                      po: &crate::domain::PurchaseOrder,
                                      d: &crate::domain::OrderDecision| {
                        order::send_855(conn, batch, a, doc_id, order, po, d, now_s)
                    };
                    order::process(conn, batch, doc_id, &origin, &set.control, po, s, &mut answer)?;
                }
                Document::OrderChange(ch) => {
                    // A change may concern an order of this very document: write what is gathered first.
                    batch.flush(conn)?;
                    change::process(conn, batch, doc_id, a, ch, now_s, s)?;
                }
                Document::FunctionalAck(ack) => {
                    let state = match ack.group_code.as_str() {
                        "A" => "accepted",
                        "E" => "accepted_with_errors",
                        "P" => "partially_accepted",
                        _ => "rejected",
                    };
                    let detail = serde_json::to_string(ack).unwrap_or_default();
                    if !outbox::apply_group_ack(conn, &a.retailer, &ack.group_control, state, &detail)? {
                        s.problems.push(format!(
                            "{} for group {} that dropgate did not send to {}",
                            ack.kind, ack.group_control, a.retailer
                        ));
                    }
                    if state == "rejected" || state == "partially_accepted" {
                        crate::store::event(
                            conn,
                            "ack.rejected",
                            Some(&a.retailer),
                            Some(doc_id),
                            None,
                            &format!("{} {state} our group {}", a.retailer, ack.group_control),
                        )?;
                    }
                    s.acks_received += 1;
                }
                Document::Unsupported { .. } | Document::Rejected => {}
            }
        }
    }
    Ok(())
}
