//! `dropgate batch run|list`: ship notices, invoices and inventory feeds,
//! now or on the retailers' schedules.

use super::table::Table;
use crate::pipeline::batches;
use crate::store::{batches as runs, now_micros, retailers};
use anyhow::bail;
use clap::Subcommand;
use std::path::Path;

#[derive(Subcommand, Debug)]
pub enum BatchCmd {
    /// Run one batch now (or, with --at, as if at another moment): the retailer's shipments not
    /// yet notified (asn), shipment lines not yet invoiced (invoice), or its inventory feed
    /// (inventory). Ship notices and invoices are written in the retailer's language: 856/810
    /// (X12), DESADV/INVOIC (EDIFACT), ShipNoticeRequest/InvoiceDetailRequest (cXML), or CSV files
    /// or PDFs (CSV, `[csv] answers`). The documents are queued in the outbox.
    Run {
        #[arg(long, value_name = "ID")]
        retailer: String,
        #[arg(long, value_parser = ["asn", "invoice", "inventory"])]
        kind: String,
        /// Run as if at this moment (RFC 3339, e.g. 2026-12-01T18:00:00-05:00), to make up a
        /// missed window: the batch is recorded as scheduled for it and its documents are dated
        /// by it. A batch already run for that moment is not run again.
        #[arg(long, value_name = "TIME", value_parser = parse_at)]
        at: Option<i64>,
        /// Also deliver the outbox before returning.
        #[arg(long)]
        deliver: bool,
        #[arg(long)]
        json: bool,
    },
    /// Past batch runs, newest first, and when each schedule is next due.
    List {
        #[arg(long, value_name = "ID")]
        retailer: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
}

/// An RFC 3339 moment as a store timestamp (µs since the epoch).
fn parse_at(s: &str) -> Result<i64, String> {
    let t: jiff::Timestamp =
        s.parse().map_err(|e| format!("{s:?} is not an RFC 3339 time such as 2026-12-01T18:00:00Z: {e}"))?;
    Ok(t.as_microsecond())
}

fn time(micros: i64) -> String {
    crate::util::rfc3339_micros(micros)
}

pub fn run(config: &Path, c: BatchCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        BatchCmd::Run { retailer, kind, at, deliver, json } => {
            let Some(r) = retailers::get(&mut conn, &retailer)? else {
                bail!("no retailer {retailer:?} (see `dropgate retailer list`)");
            };
            let p = r.profile()?;
            let now = at.unwrap_or_else(now_micros);
            let Some(o) = batches::run_batch(&mut conn, &p, &kind, now, "manual", now)? else {
                if at.is_some() {
                    bail!("a {kind} batch for {retailer} was run for {} already", time(now));
                }
                bail!("a {kind} batch for {retailer} was run at this very moment already");
            };
            if deliver {
                crate::deliver::deliver_due(&mut conn, &cfg)?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&o)?);
            } else {
                let detail = runs::list(&mut conn, Some(&retailer), Some(&kind), 1)?
                    .into_iter()
                    .next()
                    .and_then(|r| r.detail)
                    .unwrap_or_default();
                println!("{kind} batch {} for {retailer}: {detail}", o.run);
            }
        }
        BatchCmd::List { retailer, limit, json } => {
            let past = runs::list(&mut conn, retailer.as_deref(), None, limit)?;
            let next: Vec<_> = batches::next_runs(&mut conn, now_micros())?
                .into_iter()
                .filter(|n| retailer.as_ref().is_none_or(|r| *r == n.retailer))
                .collect();
            if json {
                let past: Vec<_> = past
                    .iter()
                    .map(|r| {
                        let mut v = serde_json::to_value(r).unwrap_or_default();
                        if let Some(m) = v.as_object_mut() {
                            m.insert("scheduled_for".into(), time(r.scheduled_for).into());
                            m.insert("started_at".into(), time(r.started_at).into());
                            m.insert("finished_at".into(), time(r.finished_at).into());
                        }
                        v
                    })
                    .collect();
                let next: Vec<_> = next
                    .iter()
                    .map(|n| {
                        serde_json::json!({"retailer": n.retailer, "kind": n.kind, "cron": n.cron,
                            "timezone": n.timezone, "due": n.due.map(time)})
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&serde_json::json!({"past": past, "next": next}))?);
            } else {
                let mut t = Table::new(&["NEXT DUE (UTC)", "RETAILER", "KIND", "CRON", "TIME ZONE"]);
                for n in &next {
                    t.row(vec![
                        n.due.map(time).unwrap_or_else(|| "never".into()),
                        n.retailer.clone(),
                        n.kind.clone(),
                        n.cron.clone(),
                        n.timezone.clone(),
                    ]);
                }
                t.print();
                println!();
                let mut t =
                    Table::new(&["RUN", "SCHEDULED FOR", "RETAILER", "KIND", "TRIGGER", "DOCS", "ITEMS", "DETAIL"]);
                for r in &past {
                    t.row(vec![
                        r.id.to_string(),
                        time(r.scheduled_for),
                        r.retailer_id.clone(),
                        r.kind.clone(),
                        r.trigger.clone(),
                        r.documents.to_string(),
                        r.items.to_string(),
                        r.detail.clone().unwrap_or_default(),
                    ]);
                }
                t.print();
            }
        }
    }
    Ok(0)
}
