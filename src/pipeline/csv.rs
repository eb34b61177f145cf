//! CSV order files: read with the mapping of the retailer whose channel
//! (folder, SFTP account, mailbox) they came through, each order decided
//! by [`super::order::process`] and confirmed with a CSV in the outbox
//! (a PDF when the retailer takes its answers as PDFs).

use super::batch::{Batch, OrderRef};
use super::{order, Origin, Quarantine, Summary};
use crate::domain::{OrderDecision, PurchaseOrder};
use crate::formats::csv as fcsv;
use crate::store::documents::{self, PROCESSED};
use crate::store::{retailers, Conn, Result};

pub(super) fn process(
    conn: &mut Conn,
    doc: &documents::DocumentSummary,
    bytes: &[u8],
    label: &str,
) -> Result<Result<Summary, Quarantine>> {
    let Some(retailer) = doc.retailer_id.clone() else {
        return Ok(Err(Quarantine(format!(
            "{label}: a CSV file says nothing of who sent it: it must arrive through a retailer's folder, SFTP \
             account or mailbox"
        ))));
    };
    let Some(row) = retailers::get(conn, &retailer)? else {
        return Ok(Err(Quarantine(format!("{label}: retailer {retailer} is not known"))));
    };
    let profile = row.profile()?;
    let Some(mapping) = &profile.csv else {
        return Ok(Err(Quarantine(format!(
            "{label}: retailer {retailer} has no [csv] mapping in its profile; add one (dropgate retailer apply \
             FILE), then run `dropgate documents reprocess {}`",
            doc.id
        ))));
    };
    let file = fcsv::read(bytes, mapping);
    let mut problems: Vec<String> = file.errors.iter().map(|e| format!("{label}: {e}")).collect();
    let mut good: Vec<(&fcsv::CsvOrder, &PurchaseOrder)> = Vec::new();
    let mut bad = 0u64;
    for o in &file.orders {
        match &o.order {
            Ok(po) => good.push((o, po)),
            Err(why) => {
                bad += 1;
                problems.push(format!(
                    "{label}: PO {} (from line {}) rejected: {}",
                    o.po_number,
                    o.first_line,
                    why.join("; ")
                ));
            }
        }
    }
    if good.is_empty() {
        return Ok(Err(Quarantine(if problems.is_empty() {
            format!("{label}: no orders")
        } else {
            problems.join("; ")
        })));
    }
    let now_s = crate::util::unix_now();
    let doc_id = doc.id;
    conn.write(|conn| {
        let mut s = Summary { problems: problems.clone(), sets_rejected: bad, ..Summary::default() };
        let mut batch = Batch::default();
        let pos: Vec<&PurchaseOrder> = good.iter().map(|(_, p)| *p).collect();
        batch.prefetch(conn, &retailer, &pos)?;
        let origin = Origin { retailer: &retailer, profile: &profile, interchange_control: "" };
        let mut refused: Vec<String> = Vec::new();
        for (o, po) in &good {
            let mut answer =
                |conn: &mut Conn, batch: &mut Batch, order: OrderRef, po: &PurchaseOrder, d: &OrderDecision| {
                    let seq = batch.controls.next(conn, &retailer, "csv")?;
                    let control = seq.to_string();
                    if super::answers::confirms_in_pdf(&profile) {
                        let bytes = super::answers::confirmation_pdf(conn, &profile, po, d, now_s)?;
                        let name =
                            super::answers::pdf_name(&profile, "confirmation", &control, &po.po_number, now_s, seq);
                        batch.queue(&retailer, Some(doc_id), order, "confirmation.pdf", control, name, bytes, None);
                        return Ok(());
                    }
                    let name = profile.file_name("confirmation", &control, &po.po_number, now_s, i64::from(seq));
                    let text = String::from_utf8(fcsv::write_confirmation(po, d)).unwrap_or_default();
                    match fcsv::encode_for(&text, &mapping.encoding) {
                        Ok(bytes) => {
                            batch.queue(&retailer, Some(doc_id), order, "confirmation.csv", control, name, bytes, None);
                        }
                        Err(c) => refused.push(format!(
                            "confirmation for PO {} not written: {c:?} (U+{:04X}) cannot be written in {} and has \
                             no usual transliteration",
                            po.po_number,
                            u32::from(c),
                            mapping.encoding
                        )),
                    }
                    Ok(())
                };
            order::process(conn, &mut batch, doc_id, &origin, &o.first_line.to_string(), po, &mut s, &mut answer)?;
        }
        for r in &refused {
            // Counted as sent by the order stage; it was not written.
            s.outbound = s.outbound.saturating_sub(1);
            crate::store::event(conn, "outbound.refused", Some(&retailer), Some(doc_id), None, r)?;
        }
        s.problems.extend(refused);
        batch.flush(conn)?;
        let note = (!s.problems.is_empty()).then(|| s.problems.join("; "));
        documents::finish(conn, doc_id, PROCESSED, Some(&retailer), note.as_deref())?;
        Ok(Ok(s))
    })
}
