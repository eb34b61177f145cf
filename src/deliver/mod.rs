//! Sinks: documents leave through the outbox, at least once, under
//! deterministic names.

pub mod folder;

use crate::config::Config;
use crate::retailer::Profile;
use crate::store::{outbox, retailers, Conn, Result};
use std::collections::HashMap;

/// Why one delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    NoDestination(String),
}

/// Delivers every due outbox document once; returns (delivered, failed).
///
/// A retailer without `[folders] outbound` picks its documents up from
/// its SFTP `/outbound`: its rows stay pending, untouched (no attempt is
/// counted against them).
pub fn deliver_due(conn: &mut Conn, cfg: &Config) -> Result<(usize, usize)> {
    let mut profiles: HashMap<String, Option<Profile>> = HashMap::new();
    let mut pickup_only: Vec<String> = Vec::new();
    for r in retailers::list(conn)? {
        match r.profile() {
            Ok(p) => {
                if p.folders.is_none() {
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
            let profile = profiles.get(&row.retailer_id).and_then(Option::as_ref);
            let result = match profile.and_then(|p| p.folders.as_ref()) {
                Some(f) => folder::deliver(&cfg.resolve(&f.outbound), &row.file_name, &row.payload)
                    .map_err(DeliveryError::from),
                None => Err(DeliveryError::NoDestination(format!(
                    "retailer {} has no outbound destination: set [folders] outbound in its profile",
                    row.retailer_id
                ))),
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
                    let dead = conn.write(|c| outbox::mark_failed(c, &row, &msg, cfg.outbox.max_attempts))?;
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
