//! Batch runs: one row per (retailer, kind, moment), written in the
//! transaction that writes the batch's documents.

use super::schema::{batch_runs::dsl as br, inventory_sent::dsl as inv};
use super::{with_conn, Conn, Result};
use diesel::prelude::*;
use serde::Serialize;

pub const KINDS: &[&str] = &["asn", "invoice", "inventory"];

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct RunRow {
    pub id: i64,
    #[serde(rename = "retailer")]
    pub retailer_id: String,
    pub kind: String,
    pub scheduled_for: i64,
    /// `schedule`, `missed` (due while `serve` was not running) or `manual`.
    pub trigger: String,
    pub state: String,
    pub documents: i32,
    /// Shipments (asn, invoice) or SKUs (inventory) in the batch.
    pub items: i64,
    pub detail: Option<String>,
    pub started_at: i64,
    pub finished_at: i64,
}

/// Claims the run of (retailer, kind, scheduled_for); `None` when it was
/// run already (by this instance or another). On PostgreSQL a claim made
/// by another transaction still open waits for it to end.
pub fn claim(
    conn: &mut Conn,
    retailer: &str,
    kind: &str,
    scheduled_for: i64,
    trigger: &str,
    now: i64,
) -> Result<Option<i64>> {
    Ok(with_conn!(conn, c => diesel::insert_into(br::batch_runs)
        .values((
            br::retailer_id.eq(retailer),
            br::kind.eq(kind),
            br::scheduled_for.eq(scheduled_for),
            br::trigger.eq(trigger),
            br::state.eq("running"),
            br::documents.eq(0),
            br::items.eq(0_i64),
            br::started_at.eq(now),
            br::finished_at.eq(now),
        ))
        .on_conflict_do_nothing()
        .returning(br::id)
        .get_result::<i64>(c)
        .optional())?)
}

/// Records what a claimed run produced (in the same transaction).
pub fn finish(conn: &mut Conn, id: i64, documents: i32, items: i64, detail: &str, now: i64) -> Result<()> {
    with_conn!(conn, c => diesel::update(br::batch_runs.find(id))
        .set((
            br::state.eq("done"),
            br::documents.eq(documents),
            br::items.eq(items),
            br::detail.eq(Some(detail)),
            br::finished_at.eq(now),
        ))
        .execute(c))?;
    Ok(())
}

/// The latest moment a run of (retailer, kind) was scheduled for.
pub fn last_scheduled(conn: &mut Conn, retailer: &str, kind: &str) -> Result<Option<i64>> {
    Ok(with_conn!(conn, c => br::batch_runs
        .filter(br::retailer_id.eq(retailer))
        .filter(br::kind.eq(kind))
        .filter(br::trigger.ne("manual"))
        .select(diesel::dsl::max(br::scheduled_for))
        .first::<Option<i64>>(c))?)
}

/// Past runs, newest first.
pub fn list(conn: &mut Conn, retailer: Option<&str>, kind: Option<&str>, limit: i64) -> Result<Vec<RunRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = br::batch_runs.order(br::id.desc()).limit(limit).into_boxed();
        if let Some(r) = retailer {
            q = q.filter(br::retailer_id.eq(r.to_string()));
        }
        if let Some(k) = kind {
            q = q.filter(br::kind.eq(k.to_string()));
        }
        q.load::<RunRow>(c)
    })?)
}

/// What the last feed told a retailer: SKU → available.
pub fn inventory_sent(conn: &mut Conn, retailer: &str) -> Result<std::collections::HashMap<String, i64>> {
    let rows: Vec<(String, i64)> = with_conn!(conn, c => inv::inventory_sent
        .filter(inv::retailer_id.eq(retailer))
        .select((inv::sku, inv::available))
        .load(c))?;
    Ok(rows.into_iter().collect())
}

/// Remembers what a feed told a retailer.
pub fn record_inventory_sent(conn: &mut Conn, retailer: &str, items: &[(String, i64)], now: i64) -> Result<()> {
    for chunk in items.chunks(500) {
        let values: Vec<_> = chunk
            .iter()
            .map(|(sku, a)| {
                (inv::retailer_id.eq(retailer), inv::sku.eq(sku), inv::available.eq(*a), inv::sent_at.eq(now))
            })
            .collect();
        with_conn!(conn, c => diesel::insert_into(inv::inventory_sent)
            .values(&values)
            .on_conflict((inv::retailer_id, inv::sku))
            .do_update()
            .set((
                inv::available.eq(diesel::dsl::sql::<diesel::sql_types::BigInt>("excluded.available")),
                inv::sent_at.eq(now),
            ))
            .execute(c))?;
    }
    Ok(())
}
