//! Sinks: documents leave through the outbox, at least once, under
//! deterministic names.

pub mod folder;
pub mod sftp;
pub mod smtp;

use crate::config::Config;
use crate::retailer::{Method, Profile};
use crate::store::{outbox, retailers, Conn, Result};
use std::collections::HashMap;

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    NoDestination(String),
    /// Worth trying again later (a server down, a connection dropped).
    #[error("{0}")]
    Transient(String),
    /// Will fail the same way until someone changes something (refused
    /// credentials, a bad address): dead-lettered at once.
    #[error("{0}")]
    Permanent(String),
}

impl DeliveryError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, DeliveryError::Permanent(_) | DeliveryError::NoDestination(_))
    }
}

/// Delivers one document the way its retailer takes them.
fn deliver_one(cfg: &Config, p: &Profile, row: &outbox::OutboxRow) -> Result<(), DeliveryError> {
    let none = |what: &str| DeliveryError::NoDestination(format!("retailer {}: {what}", row.retailer_id));
    match p.method() {
        Method::Folder => match p.outbound_folder() {
            Some(dir) => Ok(folder::deliver(&cfg.resolve(dir), &row.file_name, &row.payload)?),
            None => Err(none("no outbound folder: set [folders] outbound or delivery.folder")),
        },
        Method::Email => {
            let smtp = cfg.smtp.as_ref().ok_or_else(|| none("delivery by e-mail needs [smtp] in dropgate.toml"))?;
            let to = p.delivery.as_ref().and_then(|d| d.email.as_ref()).ok_or_else(|| none("no [delivery.email]"))?;
            smtp::deliver(smtp, to, row)
        }
        Method::SftpPush => {
            let to = p.delivery.as_ref().and_then(|d| d.sftp.as_ref()).ok_or_else(|| none("no [delivery.sftp]"))?;
            sftp::deliver(cfg, to, row)
        }
        Method::SftpOutbox => Err(none("documents wait in its SFTP /outbound")),
    }
}

/// Delivers every due outbox document once; returns (delivered, failed).
///
/// A retailer who picks its documents up from its SFTP `/outbound` (the
/// default without `[folders]` or `[delivery]`) keeps its rows pending,
/// untouched (no attempt is counted against them). A transient failure is
/// retried with exponential backoff and dead-lettered after
/// `outbox.max_attempts`; a permanent one is dead-lettered at once.
pub fn deliver_due(conn: &mut Conn, cfg: &Config) -> Result<(usize, usize)> {
    let mut profiles: HashMap<String, Option<Profile>> = HashMap::new();
    let mut pickup_only: Vec<String> = Vec::new();
    for r in retailers::list(conn)? {
        match r.profile() {
            Ok(p) => {
                if p.method() == Method::SftpOutbox {
                    pickup_only.push(r.id.clone());
                }
                profiles.insert(r.id.clone(), Some(p));
            }
            Err(e) => tracing::error!(retailer = %r.id, "{e}"),
        }
    }
    let (mut ok, mut failed) = (0, 0);
    loop {
        let rows = outbox::due(conn, 200, &pickup_only)?;
        if rows.is_empty() {
            return Ok((ok, failed));
        }
        let mut progressed = false;
        for row in rows {
            if !profiles.contains_key(&row.retailer_id) {
                let p = retailers::get(conn, &row.retailer_id)?.map(|r| r.profile()).transpose()?;
                profiles.insert(row.retailer_id.clone(), p);
            }
            let result = match profiles.get(&row.retailer_id).and_then(Option::as_ref) {
                Some(p) => deliver_one(cfg, p, &row),
                None => Err(DeliveryError::NoDestination(format!("no retailer {}", row.retailer_id))),
            };
            match result {
                Ok(()) => {
                    conn.write(|c| outbox::mark_delivered(c, row.id))?;
                    tracing::info!(outbox_id = row.id, retailer = %row.retailer_id, file = %row.file_name, kind = %row.kind, "delivered");
                    ok += 1;
                    progressed = true;
                }
                Err(e) => {
                    let msg = e.to_string();
                    let max = if e.is_permanent() { row.attempts + 1 } else { cfg.outbox.max_attempts };
                    let dead = conn.write(|c| outbox::mark_failed(c, &row, &msg, max))?;
                    if dead {
                        tracing::error!(outbox_id = row.id, retailer = %row.retailer_id, error = %msg, "dead-lettered");
                    } else {
                        tracing::warn!(outbox_id = row.id, retailer = %row.retailer_id, error = %msg, "delivery failed; will retry");
                    }
                    failed += 1;
                }
            }
        }
        if !progressed {
            return Ok((ok, failed));
        }
    }
}
