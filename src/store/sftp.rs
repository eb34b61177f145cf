//! Files waiting under a temporary name in a retailer's SFTP `/inbound`.
//! Their bytes are blobs (see [`super::blobs`]); a waiting file renamed to
//! its final name hands its blob to the ledger.

use super::schema::sftp_staged::dsl as st;
use super::{blobs, now_micros, with_conn, Conn, Result};
use diesel::prelude::*;

/// A waiting file: (name, size, staged_at).
pub type StagedFile = (String, i64, i64);

/// Keeps a complete upload (blob) under a name, replacing a file of that name.
pub fn stage(conn: &mut Conn, retailer: &str, name: &str, blob: i64, size: i64) -> Result<()> {
    let now = now_micros();
    conn.write(|conn| {
        remove(conn, retailer, name)?;
        blobs::complete(conn, blob)?;
        with_conn!(conn, c => diesel::insert_into(st::sftp_staged)
            .values((
                st::retailer_id.eq(retailer),
                st::name.eq(name),
                st::blob_id.eq(blob),
                st::size.eq(size),
                st::staged_at.eq(now),
            ))
            .execute(c))?;
        Ok(())
    })
}

pub fn list(conn: &mut Conn, retailer: &str) -> Result<Vec<StagedFile>> {
    Ok(with_conn!(conn, c => st::sftp_staged
        .select((st::name, st::size, st::staged_at))
        .filter(st::retailer_id.eq(retailer))
        .order(st::name.asc())
        .load(c))?)
}

pub fn get(conn: &mut Conn, retailer: &str, name: &str) -> Result<Option<StagedFile>> {
    Ok(with_conn!(conn, c => st::sftp_staged
        .select((st::name, st::size, st::staged_at))
        .find((retailer, name))
        .first(c)
        .optional())?)
}

/// The blob and size of a waiting file.
pub fn blob_of(conn: &mut Conn, retailer: &str, name: &str) -> Result<Option<(i64, i64)>> {
    Ok(with_conn!(conn, c => st::sftp_staged
        .select((st::blob_id, st::size))
        .find((retailer, name))
        .first(c)
        .optional())?)
}

/// Removes a waiting file and its bytes; returns whether there was one.
pub fn remove(conn: &mut Conn, retailer: &str, name: &str) -> Result<bool> {
    conn.write(|conn| {
        let Some((blob, _)) = blob_of(conn, retailer, name)? else { return Ok(false) };
        with_conn!(conn, c => diesel::delete(st::sftp_staged.find((retailer, name))).execute(c))?;
        blobs::delete(conn, blob)?;
        Ok(true)
    })
}

/// Stops a file waiting, keeping its bytes (which the caller takes over).
pub fn release(conn: &mut Conn, retailer: &str, name: &str) -> Result<bool> {
    let n = conn
        .write(|conn| Ok(with_conn!(conn, c => diesel::delete(st::sftp_staged.find((retailer, name))).execute(c))?))?;
    Ok(n > 0)
}

/// What a rename between two temporary names did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Renamed {
    Done,
    NoSource,
    TargetExists,
}

/// Renames a waiting file; an existing target is replaced only with `overwrite`.
pub fn rename(conn: &mut Conn, retailer: &str, from: &str, to: &str, overwrite: bool) -> Result<Renamed> {
    if from == to {
        return Ok(if get(conn, retailer, from)?.is_some() { Renamed::Done } else { Renamed::NoSource });
    }
    conn.write(|conn| {
        if get(conn, retailer, from)?.is_none() {
            return Ok(Renamed::NoSource);
        }
        if get(conn, retailer, to)?.is_some() {
            if !overwrite {
                return Ok(Renamed::TargetExists);
            }
            remove(conn, retailer, to)?;
        }
        with_conn!(conn, c => diesel::update(st::sftp_staged.find((retailer, from))).set(st::name.eq(to)).execute(c))?;
        Ok(Renamed::Done)
    })
}

/// How many files wait under a temporary name, over all retailers.
pub fn count_all(conn: &mut Conn) -> Result<i64> {
    Ok(with_conn!(conn, c => st::sftp_staged.count().get_result(c))?)
}

/// Removes the files that have waited since before `older_than` (µs),
/// recording each removal; returns (retailer, name, size) of each.
pub fn expire(conn: &mut Conn, older_than: i64) -> Result<Vec<(String, String, i64)>> {
    let old: Vec<(String, String, i64)> = with_conn!(conn, c => st::sftp_staged
        .select((st::retailer_id, st::name, st::size))
        .filter(st::staged_at.lt(older_than))
        .load(c))?;
    for (retailer, name, size) in &old {
        conn.write(|c| {
            if remove(c, retailer, name)? {
                let message = format!("{name} ({size} bytes) waited for its rename too long and was removed");
                super::event(c, "sftp.expired", Some(retailer), None, None, &message)?;
            }
            Ok(())
        })?;
    }
    Ok(old)
}
