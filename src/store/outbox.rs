//! The outbox: every document that leaves, with its delivery state, and
//! the control numbers it was given.

use super::schema::{control_numbers::dsl as cn, outbox::dsl as ob, sent_groups::dsl as sg};
use super::{now_micros, with_conn, Conn, Result};
use diesel::prelude::*;
use serde::Serialize;

pub const PENDING: &str = "pending";
pub const DELIVERED: &str = "delivered";
pub const DEAD: &str = "dead";
/// Taken by the retailer from its SFTP `/outbound` (and removed there).
pub const PICKED_UP: &str = "picked_up";

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct OutboxRow {
    pub id: i64,
    #[serde(rename = "retailer")]
    pub retailer_id: String,
    pub document_id: Option<i64>,
    pub order_id: Option<i64>,
    pub kind: String,
    pub control: String,
    pub file_name: String,
    #[serde(skip)]
    pub payload: Vec<u8>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
    pub created_at: i64,
    pub delivered_at: Option<i64>,
    /// Where the bytes of a large document are (then `payload` is empty
    /// as stored; the functions here that return rows fill it in).
    #[serde(skip)]
    pub blob_id: Option<i64>,
}

/// Documents larger than this keep their bytes in a blob.
pub const INLINE_MAX: usize = super::blobs::CHUNK;
/// The chunks of an outbound document's blob: a few SFTP reads each, so a
/// download holds little at a time.
pub const READ_CHUNK: usize = 256 * 1024;

/// Fills in the bytes of rows whose document lives in a blob.
fn with_bytes(conn: &mut Conn, mut rows: Vec<OutboxRow>) -> Result<Vec<OutboxRow>> {
    for r in &mut rows {
        if let Some(blob) = r.blob_id {
            r.payload = super::blobs::read(conn, blob)?;
        }
    }
    Ok(rows)
}

/// Queues the documents first sent for `document` once more, byte for byte
/// (a repeated file is answered again with the same answer).
pub fn resend_for_document(conn: &mut Conn, document: i64) -> Result<usize> {
    let rows: Vec<OutboxRow> = with_conn!(conn, c => ob::outbox
        .filter(ob::document_id.eq(document))
        .order(ob::id.asc())
        .load(c))?;
    let rows = with_bytes(conn, rows)?;
    let now = now_micros();
    let mut seen = std::collections::HashSet::new();
    let again: Vec<NewOutboxRow> = rows
        .into_iter()
        .filter(|r| seen.insert(r.file_name.clone()))
        .map(|r| NewOutboxRow {
            retailer_id: r.retailer_id,
            document_id: None,
            order_id: r.order_id,
            kind: r.kind,
            control: r.control,
            file_name: r.file_name,
            payload: r.payload,
            state: PENDING.to_string(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        })
        .collect();
    Ok(enqueue_many(conn, &again)?.len())
}

/// Due documents, oldest first, leaving out the retailers in `skip`
/// (those who pick their documents up over SFTP).
pub fn due(conn: &mut Conn, limit: i64, skip: &[String]) -> Result<Vec<OutboxRow>> {
    let now = now_micros();
    let rows = with_conn!(conn, c => ob::outbox
        .filter(ob::state.eq(PENDING))
        .filter(ob::next_attempt_at.le(now))
        .filter(diesel::dsl::not(ob::retailer_id.eq_any(skip)))
        .order(ob::id.asc())
        .limit(limit)
        .load(c))?;
    with_bytes(conn, rows)
}

/// A row's document size, wherever its bytes are.
const SIZE_SQL: &str = "CAST(CASE WHEN blob_id IS NULL THEN length(payload) \
     ELSE (SELECT size FROM blobs WHERE blobs.id = outbox.blob_id) END AS BIGINT)";

/// A document waiting in a retailer's SFTP `/outbound`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Waiting {
    pub id: i64,
    pub file_name: String,
    pub size: i64,
    pub created_at: i64,
}

/// The documents waiting for a retailer to pick them up, one per file name
/// (the newest when a document was queued again), by name.
pub fn waiting(conn: &mut Conn, retailer: &str) -> Result<Vec<Waiting>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let rows: Vec<(i64, String, i64, i64)> = with_conn!(conn, c => ob::outbox
        .select((ob::id, ob::file_name, sql::<BigInt>(SIZE_SQL), ob::created_at))
        .filter(ob::retailer_id.eq(retailer))
        .filter(ob::state.eq(PENDING))
        .order(ob::id.asc())
        .load(c))?;
    let mut by_name: std::collections::BTreeMap<String, Waiting> = std::collections::BTreeMap::new();
    for (id, file_name, size, created_at) in rows {
        by_name.insert(file_name.clone(), Waiting { id, file_name, size, created_at });
    }
    Ok(by_name.into_values().collect())
}

/// One waiting document by file name (the newest of that name).
pub fn waiting_one(conn: &mut Conn, retailer: &str, file_name: &str) -> Result<Option<Waiting>> {
    use diesel::dsl::sql;
    use diesel::sql_types::BigInt;
    let row: Option<(i64, String, i64, i64)> = with_conn!(conn, c => ob::outbox
        .select((ob::id, ob::file_name, sql::<BigInt>(SIZE_SQL), ob::created_at))
        .filter(ob::retailer_id.eq(retailer))
        .filter(ob::state.eq(PENDING))
        .filter(ob::file_name.eq(file_name))
        .order(ob::id.desc())
        .first(c)
        .optional())?;
    Ok(row.map(|(id, file_name, size, created_at)| Waiting { id, file_name, size, created_at }))
}

/// Where the bytes of a waiting document are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WaitingBytes {
    /// Small: here they are.
    Inline(Vec<u8>),
    /// Large: in this blob, of this size, to be read chunk by chunk
    /// ([`super::blobs::chunk`]; every chunk but the last as long as the first).
    Blob { blob: i64, size: u64 },
}

/// The bytes of a waiting document, by file name (the newest of that name).
pub fn waiting_bytes(conn: &mut Conn, retailer: &str, file_name: &str) -> Result<Option<(i64, WaitingBytes)>> {
    let row: Option<(i64, Vec<u8>, Option<i64>)> = with_conn!(conn, c => ob::outbox
        .select((ob::id, ob::payload, ob::blob_id))
        .filter(ob::retailer_id.eq(retailer))
        .filter(ob::state.eq(PENDING))
        .filter(ob::file_name.eq(file_name))
        .order(ob::id.desc())
        .first(c)
        .optional())?;
    let Some((id, payload, blob)) = row else { return Ok(None) };
    let Some(blob) = blob else { return Ok(Some((id, WaitingBytes::Inline(payload)))) };
    let size: Option<i64> = with_conn!(conn, c => super::schema::blobs::dsl::blobs
        .select(super::schema::blobs::dsl::size)
        .find(blob)
        .first(c)
        .optional())?;
    Ok(Some((id, WaitingBytes::Blob { blob, size: u64::try_from(size.unwrap_or(0)).unwrap_or(0) })))
}

/// Marks every waiting document of that name as picked up; returns how many.
pub fn pick_up(conn: &mut Conn, retailer: &str, file_name: &str) -> Result<usize> {
    let now = now_micros();
    Ok(with_conn!(conn, c => diesel::update(ob::outbox
            .filter(ob::retailer_id.eq(retailer))
            .filter(ob::state.eq(PENDING))
            .filter(ob::file_name.eq(file_name)))
        .set((ob::state.eq(PICKED_UP), ob::delivered_at.eq(Some(now)), ob::last_error.eq(None::<String>)))
        .execute(c))?)
}

pub fn mark_delivered(conn: &mut Conn, id: i64) -> Result<()> {
    let now = now_micros();
    with_conn!(conn, c => diesel::update(ob::outbox.find(id))
        .set((ob::state.eq(DELIVERED), ob::delivered_at.eq(Some(now)), ob::attempts.eq(ob::attempts + 1), ob::last_error.eq(None::<String>)))
        .execute(c))?;
    Ok(())
}

/// Records a failed attempt: retried with exponential backoff (1 s, 2 s,
/// 4 s… capped at 1 h), dead-lettered after `max_attempts`.
pub fn mark_failed(conn: &mut Conn, row: &OutboxRow, error: &str, max_attempts: i32) -> Result<bool> {
    let attempts = row.attempts + 1;
    let dead = attempts >= max_attempts;
    let delay_s: i64 = 1_i64 << attempts.clamp(0, 12);
    let next = now_micros() + delay_s.min(3600) * 1_000_000;
    with_conn!(conn, c => diesel::update(ob::outbox.find(row.id))
        .set((
            ob::state.eq(if dead { DEAD } else { PENDING }),
            ob::attempts.eq(attempts),
            ob::next_attempt_at.eq(next),
            ob::last_error.eq(Some(error)),
        ))
        .execute(c))?;
    Ok(dead)
}

/// Queues a document again for delivery now, with a fresh count of
/// attempts (a dead letter once its cause is fixed). The last error is
/// kept until the next attempt. `false` when there is no such document.
pub fn retry(conn: &mut Conn, id: i64) -> Result<bool> {
    let now = now_micros();
    let n = conn.write(|conn| {
        with_conn!(conn, c => diesel::update(ob::outbox.find(id))
            .set((ob::state.eq(PENDING), ob::attempts.eq(0), ob::next_attempt_at.eq(now), ob::delivered_at.eq(None::<i64>)))
            .execute(c))
        .map_err(Into::into)
    })?;
    Ok(n == 1)
}

#[derive(Clone, Debug, Default)]
pub struct OutboxFilter {
    pub retailer: Option<String>,
    pub state: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut Conn, f: &OutboxFilter) -> Result<Vec<OutboxRow>> {
    let rows = with_conn!(conn, c => {
        let mut q = ob::outbox.order(ob::id.desc()).limit(f.limit).into_boxed();
        if let Some(r) = &f.retailer {
            q = q.filter(ob::retailer_id.eq(r.clone()));
        }
        if let Some(s) = &f.state {
            q = q.filter(ob::state.eq(s.clone()));
        }
        q.load::<OutboxRow>(c)
    })?;
    with_bytes(conn, rows)
}

pub fn get(conn: &mut Conn, id: i64) -> Result<Option<OutboxRow>> {
    let row = with_conn!(conn, c => ob::outbox.find(id).first::<OutboxRow>(c).optional())?;
    Ok(with_bytes(conn, row.into_iter().collect())?.pop())
}

/// Allocates `n` consecutive control numbers of a kind (`isa`, `gs`) for a
/// retailer, in the caller's transaction; returns the first. Numbers run
/// 1..=999,999,999 and then start over at 1.
pub fn allocate_control(conn: &mut Conn, retailer: &str, kind: &str, n: i64) -> Result<u32> {
    const MAX: i64 = 999_999_999;
    // One atomic increment: the row stays locked until the caller's
    // transaction ends, so concurrent allocators (other instances on
    // PostgreSQL) queue instead of reading the same last value.
    for _ in 0..2 {
        let bumped: Option<i64> = with_conn!(conn, c => diesel::update(cn::control_numbers
                .filter(cn::retailer_id.eq(retailer))
                .filter(cn::kind.eq(kind)))
            .set(cn::last_value.eq(cn::last_value + n))
            .returning(cn::last_value)
            .get_result(c)
            .optional())?;
        match bumped {
            Some(v) if v > MAX => {
                with_conn!(conn, c => diesel::update(cn::control_numbers
                        .filter(cn::retailer_id.eq(retailer))
                        .filter(cn::kind.eq(kind)))
                    .set(cn::last_value.eq(n))
                    .execute(c))?;
                return Ok(1);
            }
            Some(v) => return Ok(u32::try_from(v - n + 1).unwrap_or(1)),
            None => {
                // The first number of its kind; another instance may be
                // making the row at this moment: then increment theirs.
                let made = with_conn!(conn, c => diesel::insert_into(cn::control_numbers)
                    .values((cn::retailer_id.eq(retailer), cn::kind.eq(kind), cn::last_value.eq(n)))
                    .on_conflict_do_nothing()
                    .execute(c))?;
                if made == 1 {
                    return Ok(1);
                }
            }
        }
    }
    Err(super::StoreError::Conflict(format!("allocating {kind} control numbers for {retailer}")))
}

/// Applies a retailer's 997/999 to a group we sent; `false` when no such group.
pub fn apply_group_ack(
    conn: &mut Conn,
    retailer: &str,
    group_control: &str,
    state: &str,
    detail: &str,
) -> Result<bool> {
    let trimmed = group_control.trim_start_matches('0');
    let n = with_conn!(conn, c => diesel::update(sg::sent_groups
            .filter(sg::retailer_id.eq(retailer))
            .filter(sg::group_control.eq(trimmed)))
        .set((sg::ack_state.eq(state), sg::ack_detail.eq(Some(detail))))
        .execute(c))?;
    Ok(n > 0)
}

/// The acknowledgement state of the group an outbox document was sent in.
pub fn ack_state_of(conn: &mut Conn, outbox_id: i64) -> Result<Option<String>> {
    Ok(
        with_conn!(conn, c => sg::sent_groups.select(sg::ack_state).filter(sg::outbox_id.eq(outbox_id)).first(c).optional())?,
    )
}

/// An outbox row to insert with others in one statement.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = super::schema::outbox)]
pub struct NewOutboxRow {
    pub retailer_id: String,
    pub document_id: Option<i64>,
    pub order_id: Option<i64>,
    pub kind: String,
    pub control: String,
    pub file_name: String,
    pub payload: Vec<u8>,
    pub state: String,
    pub attempts: i32,
    pub next_attempt_at: i64,
    pub created_at: i64,
}

/// A row as inserted: the bytes in the row, or in a blob when large.
#[derive(Insertable)]
#[diesel(table_name = super::schema::outbox)]
struct Stored<'a> {
    retailer_id: &'a str,
    document_id: Option<i64>,
    order_id: Option<i64>,
    kind: &'a str,
    control: &'a str,
    file_name: &'a str,
    payload: &'a [u8],
    state: &'a str,
    attempts: i32,
    next_attempt_at: i64,
    created_at: i64,
    blob_id: Option<i64>,
}

/// Inserts many outbox rows; returns their ids in order. A document larger
/// than [`INLINE_MAX`] is stored as a blob first.
pub fn enqueue_many(conn: &mut Conn, rows: &[NewOutboxRow]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let mut stored = Vec::with_capacity(chunk.len());
        for r in chunk {
            let large = r.payload.len() > INLINE_MAX;
            let blob_id = if large { Some(super::blobs::store_in_chunks(conn, &r.payload, READ_CHUNK)?) } else { None };
            stored.push(Stored {
                retailer_id: &r.retailer_id,
                document_id: r.document_id,
                order_id: r.order_id,
                kind: &r.kind,
                control: &r.control,
                file_name: &r.file_name,
                payload: if large { &[] } else { &r.payload },
                state: &r.state,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                created_at: r.created_at,
                blob_id,
            });
        }
        let got: Vec<i64> =
            with_conn!(conn, c => diesel::insert_into(ob::outbox).values(&stored).returning(ob::id).get_results(c))?;
        ids.extend(got);
    }
    Ok(ids)
}

/// Remembers many groups we sent: (retailer, group control, outbox id, functional id).
pub fn record_sent_groups(conn: &mut Conn, rows: &[(String, String, i64, String)]) -> Result<()> {
    for chunk in rows.chunks(500) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(r, g, o, f)| {
                (
                    sg::retailer_id.eq(r),
                    sg::group_control.eq(g),
                    sg::outbox_id.eq(*o),
                    sg::functional_id.eq(f),
                    sg::ack_state.eq("awaiting"),
                )
            })
            .collect();
        with_conn!(conn, c => diesel::insert_into(sg::sent_groups).values(&values).execute(c))?;
    }
    Ok(())
}

/// How many documents we sent the retailers rejected (in whole or in part) in their 997/999.
pub fn rejected_count(conn: &mut Conn) -> Result<i64> {
    Ok(with_conn!(conn, c => sg::sent_groups
        .filter(sg::ack_state.eq_any(["rejected", "partially_accepted"]))
        .count()
        .get_result(c))?)
}

/// Counts of outbox rows per state.
pub fn counts(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    Ok(with_conn!(conn, c => ob::outbox
        .group_by(ob::state)
        .select((ob::state, diesel::dsl::count_star()))
        .load(c))?)
}
