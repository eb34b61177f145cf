//! Retailer profiles in the database.

use super::schema::retailers::dsl as r;
use super::{now_micros, with_conn, Conn, Result, StoreError};
use crate::retailer::Profile;
use diesel::prelude::*;

#[derive(Clone, Debug, Queryable)]
pub struct RetailerRow {
    pub id: String,
    pub name: String,
    pub sender_qualifier: String,
    pub sender_id: String,
    pub receiver_qualifier: String,
    pub receiver_id: String,
    pub profile: String,
    pub created_at: i64,
    pub updated_at: i64,
}

impl RetailerRow {
    pub fn profile(&self) -> Result<Profile> {
        serde_json::from_str(&self.profile)
            .map_err(|e| StoreError::Invalid(format!("stored profile of retailer {} is unreadable: {e}", self.id)))
    }
}

/// Whether `apply` created, changed or left a profile alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    Created,
    Updated,
    Unchanged,
}

/// Inserts or updates a retailer profile (idempotent).
pub fn apply(conn: &mut Conn, p: &Profile) -> Result<Applied> {
    let sender = p.sender().map_err(|e| StoreError::Invalid(format!("{e:#}")))?;
    let receiver = p.receiver().map_err(|e| StoreError::Invalid(format!("{e:#}")))?;
    let json = serde_json::to_string(p).map_err(|e| StoreError::Invalid(e.to_string()))?;
    let now = now_micros();
    conn.write(|conn| {
        if let Some(other) = find_by_sender(conn, &sender.qualifier, &sender.id)? {
            if other.id != p.id {
                return Err(StoreError::Invalid(format!(
                    "x12.sender_id {sender} is already used by retailer {:?}",
                    other.id
                )));
            }
        }
        let existing = get(conn, &p.id)?;
        match existing {
            Some(row) if row.profile == json && row.name == p.name => Ok(Applied::Unchanged),
            Some(_) => {
                with_conn!(conn, c => diesel::update(r::retailers.find(&p.id))
                    .set((
                        r::name.eq(&p.name),
                        r::sender_qualifier.eq(&sender.qualifier),
                        r::sender_id.eq(&sender.id),
                        r::receiver_qualifier.eq(&receiver.qualifier),
                        r::receiver_id.eq(&receiver.id),
                        r::profile.eq(&json),
                        r::updated_at.eq(now),
                    ))
                    .execute(c))?;
                super::event(conn, "retailer.updated", Some(&p.id), None, None, "profile applied")?;
                Ok(Applied::Updated)
            }
            None => {
                with_conn!(conn, c => diesel::insert_into(r::retailers)
                    .values((
                        r::id.eq(&p.id),
                        r::name.eq(&p.name),
                        r::sender_qualifier.eq(&sender.qualifier),
                        r::sender_id.eq(&sender.id),
                        r::receiver_qualifier.eq(&receiver.qualifier),
                        r::receiver_id.eq(&receiver.id),
                        r::profile.eq(&json),
                        r::created_at.eq(now),
                        r::updated_at.eq(now),
                    ))
                    .execute(c))?;
                super::event(conn, "retailer.created", Some(&p.id), None, None, "profile applied")?;
                Ok(Applied::Created)
            }
        }
    })
}

pub fn get(conn: &mut Conn, id: &str) -> Result<Option<RetailerRow>> {
    Ok(with_conn!(conn, c => r::retailers.find(id).first::<RetailerRow>(c).optional())?)
}

pub fn find_by_sender(conn: &mut Conn, qualifier: &str, id: &str) -> Result<Option<RetailerRow>> {
    Ok(with_conn!(conn, c => r::retailers
        .filter(r::sender_qualifier.eq(qualifier))
        .filter(r::sender_id.eq(id))
        .first::<RetailerRow>(c)
        .optional())?)
}

/// A retailer by its interchange id; qualifiers `01`/`ZZ` differences are
/// common in practice, so an id that matches under another qualifier is
/// taken when it is the only one.
pub fn find_by_sender_loose(conn: &mut Conn, qualifier: &str, id: &str) -> Result<Option<RetailerRow>> {
    if let Some(row) = find_by_sender(conn, qualifier, id)? {
        return Ok(Some(row));
    }
    let rows: Vec<RetailerRow> = with_conn!(conn, c => r::retailers.filter(r::sender_id.eq(id)).load(c))?;
    Ok(if rows.len() == 1 { rows.into_iter().next() } else { None })
}

pub fn list(conn: &mut Conn) -> Result<Vec<RetailerRow>> {
    Ok(with_conn!(conn, c => r::retailers.order(r::id.asc()).load(c))?)
}

/// Sets (or replaces) a retailer's SFTP password hash (argon2, PHC string).
pub fn set_password(conn: &mut Conn, retailer: &str, hash: &str) -> Result<()> {
    use super::schema::retailer_passwords::dsl as pw;
    let now = now_micros();
    conn.write(|conn| {
        if get(conn, retailer)?.is_none() {
            return Err(StoreError::NotFound(format!("retailer {retailer:?}")));
        }
        let n = with_conn!(conn, c => diesel::update(pw::retailer_passwords.find(retailer))
            .set((pw::hash.eq(hash), pw::updated_at.eq(now)))
            .execute(c))?;
        if n == 0 {
            with_conn!(conn, c => diesel::insert_into(pw::retailer_passwords)
                .values((pw::retailer_id.eq(retailer), pw::hash.eq(hash), pw::updated_at.eq(now)))
                .execute(c))?;
        }
        super::event(conn, "retailer.password", Some(retailer), None, None, "SFTP password set")
    })
}

/// A retailer's SFTP password hash, if one is set.
pub fn password_hash(conn: &mut Conn, retailer: &str) -> Result<Option<String>> {
    use super::schema::retailer_passwords::dsl as pw;
    Ok(with_conn!(conn, c => pw::retailer_passwords.select(pw::hash).find(retailer).first(c).optional())?)
}
