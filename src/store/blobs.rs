//! Chunked bytes: the ledger's document bytes, and files waiting under a
//! temporary name in an SFTP `/inbound`. An upload streams into a blob
//! chunk by chunk while it arrives; the blob is complete when the document
//! (or the waiting file) that refers to it is committed. An incomplete blob
//! that nobody touched for a while is left over from a dropped connection
//! or a crash, and is swept.
//!
//! A blob stored whole at once and no longer than [`INLINE`] keeps its
//! bytes in its own row instead, read as its one chunk (number 0).

use super::schema::{blob_chunks::dsl as bc, blobs::dsl as b};
use super::{now_micros, with_conn, Conn, Result};
use diesel::prelude::*;

/// Bytes per chunk.
pub const CHUNK: usize = 2 * 1024 * 1024;

/// Bytes kept in the blob's row at most: row and bytes fit one 4 KiB page,
/// and the commit of a small document writes neither a chunk nor a page of
/// the chunks' index (two pages of the ten or so it writes).
pub const INLINE: usize = 3 * 1024;

/// Starts an incomplete, empty blob.
pub fn create(conn: &mut Conn) -> Result<i64> {
    let now = now_micros();
    Ok(with_conn!(conn, c => diesel::insert_into(b::blobs)
        .values((b::size.eq(0i64), b::complete.eq(false), b::touched_at.eq(now)))
        .returning(b::id)
        .get_result(c))?)
}

/// Adds chunk `seq` (0, 1, 2…) to a blob.
pub fn append(conn: &mut Conn, blob: i64, seq: i32, bytes: &[u8]) -> Result<()> {
    let now = now_micros();
    let len = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    with_conn!(conn, c => diesel::insert_into(bc::blob_chunks)
        .values((bc::blob_id.eq(blob), bc::seq.eq(seq), bc::bytes.eq(bytes)))
        .execute(c))?;
    with_conn!(conn, c => diesel::update(b::blobs.find(blob))
        .set((b::size.eq(b::size + len), b::touched_at.eq(now)))
        .execute(c))?;
    Ok(())
}

/// Marks a blob complete: it is referred to and kept.
pub fn complete(conn: &mut Conn, blob: i64) -> Result<()> {
    with_conn!(conn, c => diesel::update(b::blobs.find(blob)).set(b::complete.eq(true)).execute(c))?;
    Ok(())
}

/// Stores bytes held in memory as a complete blob.
pub fn store(conn: &mut Conn, bytes: &[u8]) -> Result<i64> {
    store_in_chunks(conn, bytes, CHUNK)
}

/// Stores bytes held in memory as a complete blob of chunks of `chunk`
/// bytes (the last one shorter).
pub fn store_in_chunks(conn: &mut Conn, bytes: &[u8], chunk: usize) -> Result<i64> {
    if bytes.len() <= chunk {
        let now = now_micros();
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let kept = (bytes.len() <= INLINE).then_some(bytes);
        let blob: i64 = with_conn!(conn, c => diesel::insert_into(b::blobs)
            .values((b::size.eq(size), b::complete.eq(true), b::touched_at.eq(now), b::bytes.eq(kept)))
            .returning(b::id)
            .get_result(c))?;
        if kept.is_none() {
            with_conn!(conn, c => diesel::insert_into(bc::blob_chunks)
                .values((bc::blob_id.eq(blob), bc::seq.eq(0), bc::bytes.eq(bytes)))
                .execute(c))?;
        }
        return Ok(blob);
    }
    let now = now_micros();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    let blob: i64 = with_conn!(conn, c => diesel::insert_into(b::blobs)
        .values((b::size.eq(size), b::complete.eq(false), b::touched_at.eq(now)))
        .returning(b::id)
        .get_result(c))?;
    // A few chunks per statement: fewer round trips, bounded statement size.
    let parts: Vec<(i32, &[u8])> = bytes
        .chunks(chunk.max(1))
        .enumerate()
        .map(|(seq, part)| (i32::try_from(seq).unwrap_or(i32::MAX), part))
        .collect();
    for group in parts.chunks(8) {
        let rows: Vec<_> =
            group.iter().map(|(seq, part)| (bc::blob_id.eq(blob), bc::seq.eq(*seq), bc::bytes.eq(*part))).collect();
        with_conn!(conn, c => diesel::insert_into(bc::blob_chunks).values(&rows).execute(c))?;
    }
    complete(conn, blob)?;
    Ok(blob)
}

/// The bytes kept in a blob's row, if it keeps them there.
fn inline(conn: &mut Conn, blob: i64) -> Result<Option<Vec<u8>>> {
    let row: Option<Option<Vec<u8>>> = with_conn!(conn, c => b::blobs.select(b::bytes).find(blob).first(c).optional())?;
    Ok(row.flatten())
}

/// The numbers of a blob's chunks, in order.
pub fn chunk_numbers(conn: &mut Conn, blob: i64) -> Result<Vec<i32>> {
    let seqs: Vec<i32> = with_conn!(conn, c => bc::blob_chunks
        .select(bc::seq)
        .filter(bc::blob_id.eq(blob))
        .order(bc::seq.asc())
        .load(c))?;
    if seqs.is_empty() {
        let kept: Option<bool> =
            with_conn!(conn, c => b::blobs.select(b::bytes.is_not_null()).find(blob).first(c).optional())?;
        if kept == Some(true) {
            return Ok(vec![0]);
        }
    }
    Ok(seqs)
}

/// One chunk's bytes.
pub fn chunk(conn: &mut Conn, blob: i64, seq: i32) -> Result<Option<Vec<u8>>> {
    let bytes = with_conn!(conn, c => bc::blob_chunks.select(bc::bytes).find((blob, seq)).first(c).optional())?;
    match bytes {
        None if seq == 0 => inline(conn, blob),
        other => Ok(other),
    }
}

/// A blob's SHA-256, size and leading bytes (see [`super::documents::head_of`]).
pub fn describe(conn: &mut Conn, blob: i64) -> Result<super::documents::StreamedBlob> {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    let mut size = 0usize;
    let mut head = None;
    for seq in chunk_numbers(conn, blob)? {
        let bytes = chunk(conn, blob, seq)?.unwrap_or_default();
        if head.is_none() {
            head = Some(super::documents::head_of(&bytes));
        }
        hasher.update(&bytes);
        size += bytes.len();
    }
    Ok(super::documents::StreamedBlob {
        id: blob,
        size: i64::try_from(size).unwrap_or(i64::MAX),
        sha256: crate::util::sha256_finish(hasher),
        head: head.unwrap_or_default(),
    })
}

/// All of a blob's bytes.
pub fn read(conn: &mut Conn, blob: i64) -> Result<Vec<u8>> {
    if let Some(bytes) = inline(conn, blob)? {
        return Ok(bytes);
    }
    let seqs = chunk_numbers(conn, blob)?;
    if seqs.len() == 1 {
        return Ok(chunk(conn, blob, seqs[0])?.unwrap_or_default());
    }
    let size: Option<i64> = with_conn!(conn, c => b::blobs.select(b::size).find(blob).first(c).optional())?;
    let mut out = Vec::with_capacity(usize::try_from(size.unwrap_or(0)).unwrap_or(0));
    for seq in seqs {
        if let Some(bytes) = chunk(conn, blob, seq)? {
            out.extend_from_slice(&bytes);
        }
    }
    Ok(out)
}

/// The first `n` bytes of a blob (or all, if shorter).
pub fn head(conn: &mut Conn, blob: i64, n: usize) -> Result<Vec<u8>> {
    if let Some(mut bytes) = inline(conn, blob)? {
        bytes.truncate(n);
        return Ok(bytes);
    }
    let first: Option<Vec<u8>> = with_conn!(conn, c => bc::blob_chunks
        .select(bc::bytes)
        .filter(bc::blob_id.eq(blob))
        .order(bc::seq.asc())
        .first(c)
        .optional())?;
    let mut v = first.unwrap_or_default();
    v.truncate(n);
    Ok(v)
}

/// Removes a blob and its chunks.
pub fn delete(conn: &mut Conn, blob: i64) -> Result<()> {
    with_conn!(conn, c => diesel::delete(bc::blob_chunks.filter(bc::blob_id.eq(blob))).execute(c))?;
    with_conn!(conn, c => diesel::delete(b::blobs.find(blob)).execute(c))?;
    Ok(())
}

/// Removes incomplete blobs last touched before `before` (µs); returns how many.
pub fn sweep(conn: &mut Conn, before: i64) -> Result<usize> {
    // `NOT complete` as written in the partial index, so that it is used.
    let stale: Vec<i64> = with_conn!(conn, c => b::blobs
        .select(b::id)
        .filter(diesel::dsl::not(b::complete))
        .filter(b::touched_at.lt(before))
        .load(c))?;
    for id in &stale {
        conn.write(|c| delete(c, *id))?;
    }
    Ok(stale.len())
}

/// Incomplete blobs: (count, bytes). Uploads in progress, or left over.
pub fn open_count(conn: &mut Conn) -> Result<(i64, i64)> {
    let rows: Vec<i64> = with_conn!(conn, c => b::blobs.select(b::size).filter(diesel::dsl::not(b::complete)).load(c))?;
    Ok((i64::try_from(rows.len()).unwrap_or(i64::MAX), rows.iter().sum()))
}
