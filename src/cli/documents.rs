//! `dropgate documents list|show|reprocess` and `dropgate outbox list|show`.

use super::table::{cell, Table};
use crate::store::documents::{self, DocumentFilter};
use crate::store::outbox::{self, OutboxFilter};
use anyhow::bail;
use clap::Subcommand;
use serde_json::{json, Value};
use std::io::Write;
use std::path::Path;

#[derive(Subcommand, Debug)]
pub enum DocumentsCmd {
    /// List the ledger, newest first; --sftp lists the SFTP activity instead (logins, uploads, downloads, pickups), --mail the messages of the orders mailbox.
    List {
        /// received, processed, quarantined
        #[arg(long, conflicts_with_all = ["sftp", "mail"])]
        state: Option<String>,
        /// The retailers' SFTP activity: logins (and failed ones), uploads, downloads, pickups.
        #[arg(long, conflicts_with = "mail")]
        sftp: bool,
        /// The messages taken from the orders mailbox: processed (with their documents) or rejected (with the reason).
        #[arg(long)]
        mail: bool,
        #[arg(long, value_name = "ID")]
        retailer: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show one document: its receipts, state and reason; --raw prints its bytes. With --mail, ID is a message of `documents list --mail`.
    Show {
        id: i64,
        /// ID is a message of the orders mailbox (`documents list --mail`); --raw prints it whole.
        #[arg(long)]
        mail: bool,
        #[arg(long)]
        json: bool,
        /// Write the document's bytes, exactly as received, to standard output.
        #[arg(long, conflicts_with = "json")]
        raw: bool,
    },
    /// Process quarantined documents again (after fixing the retailer profile or stock).
    Reprocess {
        /// Document ids.
        #[arg(value_name = "ID", required_unless_present = "all_quarantined")]
        ids: Vec<i64>,
        /// Every quarantined document.
        #[arg(long)]
        all_quarantined: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum OutboxCmd {
    /// List outbound documents, newest first.
    List {
        /// pending, delivered, dead, picked_up
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_name = "ID")]
        retailer: Option<String>,
        #[arg(long, default_value_t = 100)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Deliver an outbound document again (a dead letter once its cause is fixed, or a resend).
    Retry { id: i64 },
    /// Show one outbound document; --raw prints its bytes.
    Show {
        id: i64,
        #[arg(long)]
        raw: bool,
    },
}

fn time(micros: i64) -> String {
    crate::util::rfc3339_micros(micros)
}

pub fn run(config: &Path, c: DocumentsCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        DocumentsCmd::List { sftp: true, retailer, limit, json, .. } => {
            let rows = crate::store::events(&mut conn, "sftp.", retailer.as_deref(), limit)?;
            if json {
                let v: Vec<Value> = rows
                    .iter()
                    .map(|e| {
                        json!({
                            "id": e.id,
                            "at": time(e.at),
                            "what": e.kind.trim_start_matches("sftp."),
                            "retailer_id": e.retailer_id,
                            "document_id": e.document_id,
                            "detail": e.message,
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t = Table::new(&["AT", "RETAILER", "WHAT", "DOCUMENT", "DETAIL"]);
                for e in &rows {
                    t.row(vec![
                        time(e.at),
                        e.retailer_id.clone().unwrap_or_else(|| "-".into()),
                        e.kind.trim_start_matches("sftp.").replace('_', " "),
                        e.document_id.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                        cell(&e.message, 90),
                    ]);
                }
                t.print();
            }
        }
        DocumentsCmd::List { mail: true, retailer, limit, json, .. } => {
            let rows = crate::store::mail::list(&mut conn, retailer.as_deref(), limit)?;
            if json {
                let v: Vec<Value> = rows
                    .iter()
                    .map(|m| {
                        let mut v = serde_json::to_value(m).unwrap_or(Value::Null);
                        if let Value::Object(o) = &mut v {
                            o.insert("received_at".into(), json!(time(m.received_at)));
                            o.insert("moved_at".into(), json!(m.moved_at.map(time)));
                            o.insert("documents".into(), json!(m.document_ids()));
                        }
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t =
                    Table::new(&["ID", "RECEIVED", "FROM", "MESSAGE-ID", "RETAILER", "STATE", "DOCUMENTS", "REASON"]);
                for m in &rows {
                    t.row(vec![
                        m.id.to_string(),
                        time(m.received_at),
                        cell(&m.sender, 32),
                        cell(&m.message_id, 40),
                        m.retailer_id.clone().unwrap_or_else(|| "-".into()),
                        format!("{}{}", m.state, if m.moved_at.is_none() { " (not moved yet)" } else { "" }),
                        if m.documents.is_empty() { "-".into() } else { m.documents.clone() },
                        cell(m.reason.as_deref().unwrap_or(""), 90),
                    ]);
                }
                t.print();
            }
        }
        DocumentsCmd::Show { id, mail: true, json, raw } => {
            let Some(m) = crate::store::mail::get(&mut conn, id)? else { bail!("no mail message {id}") };
            if raw {
                let Some(bytes) = crate::store::mail::bytes(&mut conn, &m)? else {
                    bail!("mail message {id} was too large to fetch; it is whole in the mailbox's rejected folder")
                };
                std::io::stdout().write_all(&bytes)?;
                return Ok(0);
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&m)?);
            } else {
                println!("mail message {} — {} ({} bytes, sha256 {})", m.id, m.message_id, m.size, m.sha256);
                println!("  from:      {}", m.sender);
                println!("  subject:   {}", m.subject);
                println!("  state:     {}", m.state);
                if let Some(r) = &m.reason {
                    println!("  reason:    {r}");
                }
                println!("  retailer:  {}", m.retailer_id.as_deref().unwrap_or("-"));
                println!("  documents: {}", if m.documents.is_empty() { "-" } else { &m.documents });
                println!(
                    "  received {}; {}",
                    time(m.received_at),
                    m.moved_at.map_or("not moved yet".into(), |t| format!("moved {}", time(t)))
                );
            }
        }
        DocumentsCmd::List { state, retailer, limit, json, .. } => {
            let rows = documents::list(&mut conn, &DocumentFilter { state, retailer, limit })?;
            if json {
                let v: Vec<Value> = rows
                    .iter()
                    .map(|d| {
                        let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert("received_at".into(), json!(time(d.received_at)));
                        }
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t = Table::new(&["ID", "RECEIVED", "SOURCE", "NAME", "RETAILER", "SIZE", "STATE", "REASON"]);
                for d in &rows {
                    t.row(vec![
                        d.id.to_string(),
                        time(d.received_at),
                        d.source.clone(),
                        cell(&d.name, 32),
                        d.retailer_id.clone().unwrap_or_else(|| "-".into()),
                        d.size.to_string(),
                        d.state.clone(),
                        cell(d.error.as_deref().unwrap_or(""), 90),
                    ]);
                }
                t.print();
            }
        }
        DocumentsCmd::Show { id, json, raw, .. } => {
            let Some(d) = documents::get(&mut conn, id)? else { bail!("no document {id}") };
            if raw {
                std::io::stdout().write_all(&d.bytes)?;
                return Ok(0);
            }
            let receipts = documents::receipts_of(&mut conn, id)?;
            let sent = outbox::list(
                &mut conn,
                &OutboxFilter { retailer: d.retailer_id.clone(), state: None, limit: 100_000 },
            )?
            .into_iter()
            .filter(|o| o.document_id == Some(id))
            .collect::<Vec<_>>();
            if json {
                let mut v = serde_json::to_value(&d)?;
                if let Value::Object(m) = &mut v {
                    m.insert("receipts".into(), serde_json::to_value(&receipts)?);
                    m.insert("outbound".into(), serde_json::to_value(&sent)?);
                }
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                println!("document {} — {} ({} bytes, sha256 {})", d.id, d.name, d.size, d.sha256);
                println!("  state:    {}", d.state);
                if let Some(e) = &d.error {
                    println!("  reason:   {e}");
                }
                println!("  retailer: {}", d.retailer_id.as_deref().unwrap_or("-"));
                for r in &receipts {
                    println!(
                        "  received {} from {} as {}{}",
                        time(r.received_at),
                        r.source,
                        r.name,
                        if r.repeat { " (repeat)" } else { "" }
                    );
                }
                for o in &sent {
                    println!("  answered with {} {} — {}", o.kind, o.file_name, o.state);
                }
                if d.state == documents::QUARANTINED {
                    println!("  after fixing the cause: dropgate documents reprocess {}", d.id);
                }
            }
        }
        DocumentsCmd::Reprocess { ids, all_quarantined, json } => {
            let mut ids = ids;
            if all_quarantined {
                ids.extend(
                    documents::list(
                        &mut conn,
                        &DocumentFilter { state: Some(documents::QUARANTINED.into()), retailer: None, limit: i64::MAX },
                    )?
                    .iter()
                    .map(|d| d.id),
                );
            }
            let mut total = crate::pipeline::Summary::default();
            let mut refused = 0;
            for id in ids {
                match documents::meta(&mut conn, id)? {
                    None => {
                        eprintln!("error: no document {id}");
                        refused += 1;
                    }
                    Some(d) if d.state == documents::PROCESSED => {
                        eprintln!("document {id} was processed already; nothing to do");
                    }
                    Some(_) => {
                        conn.write(|c| documents::requeue(c, id))?;
                        let s = crate::pipeline::process_document(&mut conn, id)?;
                        let after = documents::meta(&mut conn, id)?.map(|d| (d.state, d.error)).unwrap_or_default();
                        if !json {
                            println!(
                                "document {id}: {}{}",
                                after.0,
                                after.1.map(|e| format!(" — {e}")).unwrap_or_default()
                            );
                        }
                        total.add(&s);
                    }
                }
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&total)?);
            }
            return Ok(i32::from(refused > 0 || total.quarantined > 0));
        }
    }
    Ok(0)
}

pub fn run_outbox(config: &Path, c: OutboxCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        OutboxCmd::List { state, retailer, limit, json } => {
            let rows = outbox::list(&mut conn, &OutboxFilter { retailer, state, limit })?;
            if json {
                let v: Vec<Value> = rows
                    .iter()
                    .map(|o| {
                        let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
                        if let Value::Object(m) = &mut v {
                            m.insert("created_at".into(), json!(time(o.created_at)));
                            m.insert("size".into(), json!(o.payload.len()));
                            m.insert("ack".into(), json!(outbox::ack_state_of(&mut conn, o.id).ok().flatten()));
                        }
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t = Table::new(&[
                    "ID",
                    "CREATED",
                    "RETAILER",
                    "KIND",
                    "FILE",
                    "STATE",
                    "ATTEMPTS",
                    "ACK",
                    "LAST ERROR",
                ]);
                for o in &rows {
                    t.row(vec![
                        o.id.to_string(),
                        time(o.created_at),
                        o.retailer_id.clone(),
                        o.kind.clone(),
                        o.file_name.clone(),
                        o.state.clone(),
                        o.attempts.to_string(),
                        outbox::ack_state_of(&mut conn, o.id)?.unwrap_or_default(),
                        cell(o.last_error.as_deref().unwrap_or(""), 60),
                    ]);
                }
                t.print();
            }
        }
        OutboxCmd::Retry { id } => {
            let Some(o) = outbox::get(&mut conn, id)? else { bail!("no outbound document {id}") };
            outbox::retry(&mut conn, id)?;
            println!(
                "outbound {id} ({} {} for {}) queued again (was {} after {} attempt(s))",
                o.kind, o.file_name, o.retailer_id, o.state, o.attempts
            );
        }
        OutboxCmd::Show { id, raw } => {
            let Some(o) = outbox::get(&mut conn, id)? else { bail!("no outbound document {id}") };
            if raw {
                std::io::stdout().write_all(&o.payload)?;
            } else {
                println!(
                    "outbound {} — {} {} for {} — {} after {} attempt(s)",
                    o.id, o.kind, o.file_name, o.retailer_id, o.state, o.attempts
                );
                if let Some(e) = &o.last_error {
                    println!("  last error: {e}");
                }
                if let Some(s) = outbox::ack_state_of(&mut conn, o.id)? {
                    println!("  retailer's acknowledgement: {s}");
                }
                println!("{}", String::from_utf8_lossy(&o.payload));
            }
        }
    }
    Ok(0)
}
