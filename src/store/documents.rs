//! The ledger: every inbound document's bytes and SHA-256, committed before
//! the source lets go of it, and every arrival of it (receipts).

use super::schema::{documents::dsl as d, interchanges::dsl as ic, receipts::dsl as rc};
use super::{blobs, now_micros, with_conn, Conn, Result};
use diesel::prelude::*;
use serde::Serialize;

/// Document states.
pub const RECEIVED: &str = "received";
pub const PROCESSED: &str = "processed";
pub const QUARANTINED: &str = "quarantined";

/// A document with its bytes.
#[derive(Clone, Debug, Serialize)]
pub struct DocumentRow {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    #[serde(skip)]
    pub bytes: Vec<u8>,
    pub source: String,
    pub name: String,
    pub retailer_id: Option<String>,
    pub format: String,
    pub state: String,
    pub error: Option<String>,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub attempts: i32,
}

/// A document without its bytes, for listings.
#[derive(Clone, Debug, Serialize, Queryable)]
pub struct DocumentSummary {
    pub id: i64,
    pub sha256: String,
    pub size: i64,
    pub source: String,
    pub name: String,
    pub retailer_id: Option<String>,
    pub format: String,
    pub state: String,
    pub error: Option<String>,
    pub received_at: i64,
    pub processed_at: Option<i64>,
    pub attempts: i32,
    /// Where its bytes are (see [`blobs`]).
    #[serde(skip)]
    pub blob_id: i64,
}

impl DocumentSummary {
    fn with_bytes(self, bytes: Vec<u8>) -> DocumentRow {
        DocumentRow {
            id: self.id,
            sha256: self.sha256,
            size: self.size,
            bytes,
            source: self.source,
            name: self.name,
            retailer_id: self.retailer_id,
            format: self.format,
            state: self.state,
            error: self.error,
            received_at: self.received_at,
            processed_at: self.processed_at,
            attempts: self.attempts,
        }
    }
}

/// The columns of a [`DocumentSummary`].
macro_rules! summary_columns {
    () => {
        (
            d::id,
            d::sha256,
            d::size,
            d::source,
            d::name,
            d::retailer_id,
            d::format,
            d::state,
            d::error,
            d::received_at,
            d::processed_at,
            d::attempts,
            d::blob_id,
        )
    };
}

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct ReceiptRow {
    pub id: i64,
    pub document_id: i64,
    pub source: String,
    pub name: String,
    pub repeat: bool,
    pub settled: bool,
    pub received_at: i64,
}

/// An arrival to record.
#[derive(Clone, Copy, Debug)]
pub struct Arrival<'a> {
    /// Where it came from: `folder:acme`, `cli`, `sftp:acme`…
    pub source: &'a str,
    /// The file name as the sender gave it.
    pub name: &'a str,
    pub retailer: Option<&'a str>,
    pub body: Body<'a>,
    /// Whether the source lets go of the input right after the commit (the
    /// CLI does); a folder settles its receipt once the file has moved.
    pub settled: bool,
}

/// The bytes of an arrival.
#[derive(Clone, Copy, Debug)]
pub enum Body<'a> {
    /// In memory: stored with the document.
    Bytes(&'a [u8]),
    /// Streamed into an incomplete blob already (an SFTP upload): it
    /// becomes the document's, or is dropped when the bytes are known.
    Blob(&'a StreamedBlob),
}

/// Bytes streamed into a blob, with what was learnt on the way.
#[derive(Clone, Debug)]
pub struct StreamedBlob {
    pub id: i64,
    pub size: i64,
    pub sha256: String,
    /// The first bytes (at least [`HEAD_BYTES`] when the file is longer).
    pub head: Vec<u8>,
}

/// How many leading bytes tell a document's format.
pub const HEAD_BYTES: usize = 4096;

/// The leading bytes that tell the format: from the first one that is not
/// white space.
pub fn head_of(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(bytes.len());
    bytes[start..bytes.len().min(start + HEAD_BYTES)].to_vec()
}

/// What the ledger made of an arrival.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Received {
    /// First time these bytes were seen.
    New { document: i64, receipt: i64 },
    /// The same bytes arrived before: recorded, to be answered again.
    Repeat { document: i64, receipt: i64 },
    /// The same arrival seen again because the source did not get to let go
    /// of it (a crash between commit and move): nothing new is recorded.
    Resumed { document: i64, receipt: i64 },
}

impl Received {
    pub fn document(&self) -> i64 {
        match self {
            Received::New { document, .. } | Received::Repeat { document, .. } | Received::Resumed { document, .. } => {
                *document
            }
        }
    }
    pub fn receipt(&self) -> i64 {
        match self {
            Received::New { receipt, .. } | Received::Repeat { receipt, .. } | Received::Resumed { receipt, .. } => {
                *receipt
            }
        }
    }
}

/// Guesses the format from the content, not the name.
pub fn sniff_format(bytes: &[u8]) -> &'static str {
    crate::formats::detect(bytes).as_str()
}

/// Records an arrival in one transaction.
pub fn receive(conn: &mut Conn, a: Arrival<'_>) -> Result<Received> {
    let (sha, size, head) = match a.body {
        Body::Bytes(bytes) => (crate::util::sha256_hex(bytes), i64::try_from(bytes.len()).unwrap_or(i64::MAX), bytes),
        Body::Blob(s) => (s.sha256.clone(), s.size, &s.head[..]),
    };
    let format = sniff_format(head);
    conn.write(|conn| {
        let now = now_micros();
        let existing: Option<i64> =
            with_conn!(conn, c => d::documents.select(d::id).filter(d::sha256.eq(&sha)).first(c).optional())?;
        if let Some(doc) = existing {
            // Known bytes: a streamed copy is not kept.
            if let Body::Blob(s) = a.body {
                blobs::delete(conn, s.id)?;
            }
            let open: Option<i64> = with_conn!(conn, c => rc::receipts
                .select(rc::id)
                .filter(rc::document_id.eq(doc))
                .filter(rc::source.eq(a.source))
                .filter(rc::name.eq(a.name))
                .filter(rc::settled.eq(false))
                .first(c)
                .optional())?;
            if let Some(receipt) = open {
                return Ok(Received::Resumed { document: doc, receipt });
            }
            let receipt = insert_receipt(conn, doc, &a, true, now)?;
            super::event(
                conn,
                "document.repeat",
                a.retailer,
                Some(doc),
                None,
                &format!("{} from {} again", a.name, a.source),
            )?;
            return Ok(Received::Repeat { document: doc, receipt });
        }
        let blob = match a.body {
            Body::Bytes(bytes) => blobs::store(conn, bytes)?,
            Body::Blob(s) => {
                blobs::complete(conn, s.id)?;
                s.id
            }
        };
        let doc: i64 = with_conn!(conn, c => diesel::insert_into(d::documents)
            .values((
                d::sha256.eq(&sha),
                d::size.eq(size),
                d::blob_id.eq(blob),
                d::source.eq(a.source),
                d::name.eq(a.name),
                d::retailer_id.eq(a.retailer),
                d::format.eq(format),
                d::state.eq(RECEIVED),
                d::received_at.eq(now),
                d::attempts.eq(0),
            ))
            .returning(d::id)
            .get_result(c))?;
        let receipt = insert_receipt(conn, doc, &a, false, now)?;
        Ok(Received::New { document: doc, receipt })
    })
}

fn insert_receipt(conn: &mut Conn, doc: i64, a: &Arrival<'_>, repeat: bool, now: i64) -> Result<i64> {
    Ok(with_conn!(conn, c => diesel::insert_into(rc::receipts)
        .values((
            rc::document_id.eq(doc),
            rc::source.eq(a.source),
            rc::name.eq(a.name),
            rc::repeat.eq(repeat),
            rc::settled.eq(a.settled),
            rc::received_at.eq(now),
        ))
        .returning(rc::id)
        .get_result(c))?)
}

/// Marks a receipt as let go by its source (the folder file has moved).
pub fn settle(conn: &mut Conn, receipt: i64) -> Result<()> {
    with_conn!(conn, c => diesel::update(rc::receipts.find(receipt)).set(rc::settled.eq(true)).execute(c))?;
    Ok(())
}

/// A document with its bytes.
pub fn get(conn: &mut Conn, id: i64) -> Result<Option<DocumentRow>> {
    let Some(m) = meta(conn, id)? else { return Ok(None) };
    let bytes = blobs::read(conn, m.blob_id)?;
    Ok(Some(m.with_bytes(bytes)))
}

/// A document without its bytes.
pub fn meta(conn: &mut Conn, id: i64) -> Result<Option<DocumentSummary>> {
    Ok(with_conn!(conn, c => d::documents.select(summary_columns!()).find(id).first(c).optional())?)
}

pub fn receipts_of(conn: &mut Conn, id: i64) -> Result<Vec<ReceiptRow>> {
    Ok(with_conn!(conn, c => rc::receipts.filter(rc::document_id.eq(id)).order(rc::id.asc()).load(c))?)
}

/// Documents waiting to be processed (after a crash or a reprocess request).
pub fn pending(conn: &mut Conn, limit: i64) -> Result<Vec<i64>> {
    Ok(with_conn!(conn, c => d::documents
        .select(d::id)
        .filter(d::state.eq(RECEIVED))
        .order(d::id.asc())
        .limit(limit)
        .load(c))?)
}

#[derive(Clone, Debug, Default)]
pub struct DocumentFilter {
    pub state: Option<String>,
    pub retailer: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut Conn, f: &DocumentFilter) -> Result<Vec<DocumentSummary>> {
    Ok(with_conn!(conn, c => {
        let mut q = d::documents
            .select(summary_columns!())
            .order(d::id.desc())
            .limit(f.limit)
            .into_boxed();
        if let Some(s) = &f.state {
            q = q.filter(d::state.eq(s.clone()));
        }
        if let Some(r) = &f.retailer {
            q = q.filter(d::retailer_id.eq(r.clone()));
        }
        q.load::<DocumentSummary>(c)
    })?)
}

/// Sets a document's outcome.
pub fn finish(conn: &mut Conn, id: i64, state: &str, retailer: Option<&str>, error: Option<&str>) -> Result<()> {
    let now = now_micros();
    with_conn!(conn, c => diesel::update(d::documents.find(id))
        .set((
            d::state.eq(state),
            d::error.eq(error),
            d::retailer_id.eq(retailer),
            d::processed_at.eq(Some(now)),
            d::attempts.eq(d::attempts + 1),
        ))
        .execute(c))?;
    Ok(())
}

/// Puts a document back in the queue (`documents reprocess`).
pub fn requeue(conn: &mut Conn, id: i64) -> Result<bool> {
    let n = with_conn!(conn, c => diesel::update(d::documents.find(id).filter(d::state.ne(PROCESSED)))
        .set((d::state.eq(RECEIVED), d::error.eq(None::<String>)))
        .execute(c))?;
    Ok(n == 1)
}

/// Records an interchange; `Some(document)` when (sender, control) was
/// already received in another document.
pub fn record_interchange(conn: &mut Conn, document: i64, sender: &str, control: &str) -> Result<Option<i64>> {
    let seen: Option<i64> = with_conn!(conn, c => ic::interchanges
        .select(ic::document_id)
        .filter(ic::sender.eq(sender))
        .filter(ic::control.eq(control))
        .first(c)
        .optional())?;
    match seen {
        Some(doc) if doc != document => Ok(Some(doc)),
        Some(_) => Ok(None),
        None => {
            let now = now_micros();
            with_conn!(conn, c => diesel::insert_into(ic::interchanges)
                .values((ic::document_id.eq(document), ic::sender.eq(sender), ic::control.eq(control), ic::received_at.eq(now)))
                .execute(c))?;
            Ok(None)
        }
    }
}

/// Counts of documents per state.
pub fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    Ok(with_conn!(conn, c => d::documents
        .group_by(d::state)
        .select((d::state, diesel::dsl::count_star()))
        .load(c))?)
}

/// Settles the receipts of a document from `source` that are still open
/// (a mail message has left the mailbox's folder).
pub fn settle_open(conn: &mut Conn, document: i64, source: &str) -> Result<()> {
    with_conn!(conn, c => diesel::update(
        rc::receipts.filter(rc::document_id.eq(document)).filter(rc::source.eq(source)).filter(rc::settled.eq(false)),
    )
    .set(rc::settled.eq(true))
    .execute(c))?;
    Ok(())
}
