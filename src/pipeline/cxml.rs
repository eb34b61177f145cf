//! cXML documents through the same stages: the buyer found by its `From`
//! credential, the `payloadID` checked per sender like a control number,
//! an `OrderRequest` decided by [`super::order::process`] and answered
//! with a `ConfirmationRequest` in the outbox.

use super::batch::{Batch, OrderRef};
use super::{order, Origin, Quarantine, Summary};
use crate::domain::{OrderDecision, PurchaseOrder};
use crate::formats::cxml::{self, writer, Body, Credential, Limits, Message};
use crate::retailer::Profile;
use crate::store::documents::{self, PROCESSED};
use crate::store::{retailers, Conn, Result};

/// The retailer whose `[cxml]` identity is one of the `From` credentials.
pub fn find_retailer(conn: &mut Conn, m: &Message) -> Result<Option<(String, Profile)>> {
    for row in retailers::list(conn)? {
        let p = row.profile()?;
        if let Some(c) = &p.cxml {
            if m.header.from.iter().any(|f| c.matches(&f.domain, &f.identity)) {
                return Ok(Some((row.id, p)));
            }
        }
    }
    Ok(None)
}

/// The retailer's fallback encoding, when the document came through its channel.
fn fallback(conn: &mut Conn, retailer: Option<&str>) -> Result<Option<&'static encoding_rs::Encoding>> {
    let Some(id) = retailer else { return Ok(None) };
    Ok(retailers::get(conn, id)?
        .map(|r| r.profile())
        .transpose()?
        .and_then(|p| p.cxml.and_then(|c| c.fallback_encoding())))
}

pub(super) fn process(
    conn: &mut Conn,
    doc: &documents::DocumentSummary,
    bytes: &[u8],
    label: &str,
) -> Result<Result<Summary, Quarantine>> {
    let enc = fallback(conn, doc.retailer_id.as_deref())?;
    let m = match cxml::read(bytes, &Limits::default(), enc) {
        Ok(m) => m,
        Err(e) => return Ok(Err(Quarantine(format!("{label}: {e}")))),
    };
    let Some((retailer, profile)) = find_retailer(conn, &m)? else {
        let from: Vec<String> = m.header.from.iter().map(ToString::to_string).collect();
        return Ok(Err(Quarantine(format!(
            "{label}: cXML from {} is not from a known retailer: add a retailer whose cxml.identity is one of \
             these (dropgate retailer apply FILE), then run `dropgate documents reprocess {}`",
            if from.is_empty() { "(no From credential)".to_string() } else { from.join(", ") },
            doc.id
        ))));
    };
    if let Some(r) = &doc.retailer_id {
        if *r != retailer {
            return Ok(Err(Quarantine(format!(
                "{label}: arrived through retailer {r}'s channel but is from retailer {retailer}"
            ))));
        }
    }
    let po = match &m.body {
        Body::OrderRequest(po) => po,
        Body::Response { code, text } => {
            tracing::info!(retailer = %retailer, code = %code, text = %text, "cXML Response received");
            conn.write(|conn| documents::finish(conn, doc.id, PROCESSED, Some(&retailer), None))?;
            return Ok(Ok(Summary { acks_received: 1, ..Summary::default() }));
        }
        Body::Other { request } => {
            return Ok(Err(Quarantine(format!(
                "{label}: a cXML {request} is not a document dropgate takes (OrderRequest)"
            ))))
        }
    };
    let now_s = crate::util::unix_now();
    let doc_id = doc.id;
    let reprocessing = doc.attempts > 0;
    let sender = format!("cXML:{}", m.header.from.first().map(ToString::to_string).unwrap_or_default());
    let parties = writer::Parties {
        from: our_credential(&profile, &m),
        to: m.header.from.first().cloned().unwrap_or_default(),
        user_agent: format!("dropgate {}", env!("CARGO_PKG_VERSION")),
    };
    conn.write(|conn| {
        let first = documents::record_interchange(conn, doc_id, &sender, &m.header.payload_id)?;
        if let (Some(first), false) = (first, reprocessing) {
            return Ok(Err(Quarantine(format!(
                "{label}: payloadID {} from {sender} was already received in document {first}; check document \
                 {first}, then run `dropgate documents reprocess {doc_id}` if this is new content",
                m.header.payload_id
            ))));
        }
        let mut s = Summary::default();
        let mut batch = Batch::default();
        batch.prefetch(conn, &retailer, &[&**po])?;
        let origin = Origin { retailer: &retailer, profile: &profile, interchange_control: &m.header.payload_id };
        let mut answer =
            |conn: &mut Conn, batch: &mut Batch, order: OrderRef, po: &PurchaseOrder, d: &OrderDecision| {
                let seq = batch.controls.next(conn, &retailer, "cxml")?;
                let domain = parties.from.identity.replace(|c: char| !c.is_ascii_alphanumeric(), "");
                let stamp = writer::Stamp::new(now_s, &seq.to_string(), &format!("{domain}.dropgate"));
                let bytes = writer::confirmation(&stamp, &parties, po, d);
                let control = seq.to_string();
                let name = profile.file_name("ConfirmationRequest", &control, &po.po_number, now_s, i64::from(seq));
                batch.queue(&retailer, Some(doc_id), order, "ConfirmationRequest", control, name, bytes, None);
                Ok(())
            };
        order::process(conn, &mut batch, doc_id, &origin, &m.header.payload_id, po, &mut s, &mut answer)?;
        batch.flush(conn)?;
        documents::finish(conn, doc_id, PROCESSED, Some(&retailer), None)?;
        Ok(Ok(s))
    })
}

/// Our credential in documents to this retailer.
fn our_credential(p: &Profile, m: &Message) -> Credential {
    if let Some((domain, identity)) =
        p.cxml.as_ref().and_then(|c| c.our_credential.as_deref()).and_then(|o| o.split_once(':'))
    {
        return Credential { domain: domain.trim().to_string(), identity: identity.trim().to_string() };
    }
    m.header.to.first().cloned().unwrap_or(Credential { domain: "NetworkID".into(), identity: "dropgate".into() })
}
