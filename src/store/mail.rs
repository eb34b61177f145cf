//! Messages of the orders mailbox: each one whole (its bytes in a blob),
//! who sent it, what became of it and whether it has left the mailbox's
//! folder. A message is recorded after its attachments are committed as
//! documents, and moved on the server after that; seen again (a crash
//! before the move, a second copy of the same bytes) it is only moved.

use super::schema::mail_messages::dsl as m;
use super::{blobs, now_micros, with_conn, Conn, Result};
use diesel::prelude::*;
use serde::Serialize;

/// Message states.
pub const PROCESSED: &str = "processed";
pub const REJECTED: &str = "rejected";

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct MailRow {
    pub id: i64,
    pub sha256: String,
    pub message_id: String,
    pub sender: String,
    pub subject: String,
    pub retailer_id: Option<String>,
    #[serde(skip)]
    pub blob_id: Option<i64>,
    pub size: i64,
    pub state: String,
    pub reason: Option<String>,
    /// Ledger documents made of its attachments, comma separated.
    pub documents: String,
    pub received_at: i64,
    pub moved_at: Option<i64>,
}

impl MailRow {
    pub fn document_ids(&self) -> Vec<i64> {
        self.documents.split(',').filter_map(|d| d.trim().parse().ok()).collect()
    }
}

/// A message to record.
#[derive(Clone, Copy, Debug)]
pub struct NewMail<'a> {
    /// SHA-256 of the bytes (or a key of its own for a message not fetched).
    pub sha256: &'a str,
    pub message_id: &'a str,
    pub sender: &'a str,
    pub subject: &'a str,
    pub retailer: Option<&'a str>,
    /// The whole message, when fetched.
    pub bytes: Option<&'a [u8]>,
    pub size: i64,
    pub state: &'a str,
    pub reason: Option<&'a str>,
    pub documents: &'a [i64],
}

/// The message with these bytes, if it was recorded before.
pub fn find(conn: &mut Conn, sha256: &str) -> Result<Option<MailRow>> {
    Ok(with_conn!(conn, c => m::mail_messages.filter(m::sha256.eq(sha256)).first(c).optional())?)
}

/// Records a message (its bytes too) with an event for the audit trail;
/// returns its id. Known bytes are not recorded twice: the first record's
/// id is returned.
pub fn record(conn: &mut Conn, n: &NewMail<'_>) -> Result<i64> {
    conn.write(|conn| {
        if let Some(row) = find(conn, n.sha256)? {
            return Ok(row.id);
        }
        let blob = match n.bytes {
            Some(b) => Some(blobs::store(conn, b)?),
            None => None,
        };
        let docs: Vec<String> = n.documents.iter().map(ToString::to_string).collect();
        let id: i64 = with_conn!(conn, c => diesel::insert_into(m::mail_messages)
            .values((
                m::sha256.eq(n.sha256),
                m::message_id.eq(n.message_id),
                m::sender.eq(n.sender),
                m::subject.eq(n.subject),
                m::retailer_id.eq(n.retailer),
                m::blob_id.eq(blob),
                m::size.eq(n.size),
                m::state.eq(n.state),
                m::reason.eq(n.reason),
                m::documents.eq(docs.join(",")),
                m::received_at.eq(now_micros()),
            ))
            .returning(m::id)
            .get_result(c))?;
        let what = match n.reason {
            Some(r) => format!("message {} from {}: {r}", shown(n.message_id), n.sender),
            None => format!(
                "message {} from {}: documents {}",
                shown(n.message_id),
                n.sender,
                if docs.is_empty() { "-".to_string() } else { docs.join(", ") }
            ),
        };
        super::event(conn, &format!("mail.{}", n.state), n.retailer, n.documents.first().copied(), None, &what)?;
        Ok(id)
    })
}

fn shown(message_id: &str) -> &str {
    if message_id.is_empty() {
        "(no Message-ID)"
    } else {
        message_id
    }
}

/// Notes that the message has left the mailbox's folder.
pub fn moved(conn: &mut Conn, id: i64) -> Result<()> {
    let now = now_micros();
    conn.write(|conn| {
        with_conn!(conn, c => diesel::update(m::mail_messages.find(id).filter(m::moved_at.is_null()))
            .set(m::moved_at.eq(Some(now)))
            .execute(c))?;
        Ok(())
    })
}

/// Recorded messages, newest first.
pub fn list(conn: &mut Conn, retailer: Option<&str>, limit: i64) -> Result<Vec<MailRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = m::mail_messages.order(m::id.desc()).limit(limit).into_boxed();
        if let Some(r) = retailer {
            q = q.filter(m::retailer_id.eq(r.to_string()));
        }
        q.load::<MailRow>(c)
    })?)
}

pub fn get(conn: &mut Conn, id: i64) -> Result<Option<MailRow>> {
    Ok(with_conn!(conn, c => m::mail_messages.find(id).first(c).optional())?)
}

/// The message's bytes, as fetched.
pub fn bytes(conn: &mut Conn, row: &MailRow) -> Result<Option<Vec<u8>>> {
    match row.blob_id {
        Some(b) => Ok(Some(blobs::read(conn, b)?)),
        None => Ok(None),
    }
}

/// Counts of messages per state.
pub fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    Ok(with_conn!(conn, c => m::mail_messages
        .group_by(m::state)
        .select((m::state, diesel::dsl::count_star()))
        .load(c))?)
}
