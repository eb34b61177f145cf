//! Files waiting under a temporary name in a retailer's SFTP `/inbound`.

use super::schema::sftp_staged::dsl as st;
use super::{now_micros, with_conn, Conn, Result};
use diesel::prelude::*;

/// A waiting file: (name, size, staged_at).
pub type StagedFile = (String, i64, i64);

/// Keeps a file under a name, replacing one of that name.
pub fn stage(conn: &mut Conn, retailer: &str, name: &str, bytes: &[u8]) -> Result<()> {
    let now = now_micros();
    let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
    conn.write(|conn| {
        with_conn!(conn, c => diesel::delete(st::sftp_staged.find((retailer, name))).execute(c))?;
        with_conn!(conn, c => diesel::insert_into(st::sftp_staged)
            .values((
                st::retailer_id.eq(retailer),
                st::name.eq(name),
                st::bytes.eq(bytes),
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

pub fn bytes(conn: &mut Conn, retailer: &str, name: &str) -> Result<Option<Vec<u8>>> {
    Ok(with_conn!(conn, c => st::sftp_staged.select(st::bytes).find((retailer, name)).first(c).optional())?)
}

/// Removes a waiting file; returns whether there was one.
pub fn remove(conn: &mut Conn, retailer: &str, name: &str) -> Result<bool> {
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
            with_conn!(conn, c => diesel::delete(st::sftp_staged.find((retailer, to))).execute(c))?;
        }
        with_conn!(conn, c => diesel::update(st::sftp_staged.find((retailer, from))).set(st::name.eq(to)).execute(c))?;
        Ok(Renamed::Done)
    })
}
