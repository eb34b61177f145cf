//! `dropgate orders list|show`.

use super::table::{cell, Table};
use crate::store::orders::{self, LineRow, OrderFilter, OrderRow};
use anyhow::bail;
use clap::Subcommand;
use serde_json::{json, Value};
use std::path::Path;

#[derive(Subcommand, Debug)]
pub enum OrdersCmd {
    /// List orders, oldest first.
    List {
        #[arg(long, value_name = "ID")]
        retailer: Option<String>,
        /// accepted, partially_accepted, backordered, rejected, slip_printed, cancelled…
        #[arg(long)]
        state: Option<String>,
        #[arg(long, value_name = "PO")]
        po: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: i64,
        #[arg(long)]
        json: bool,
    },
    /// Show one order by id or PO number, with its lines and documents.
    Show {
        /// Order id or PO number.
        order: String,
        #[arg(long, value_name = "ID")]
        retailer: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

fn order_json(o: &OrderRow, lines: &[LineRow]) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("created_at".into(), json!(crate::util::rfc3339_micros(o.created_at)));
        m.insert("updated_at".into(), json!(crate::util::rfc3339_micros(o.updated_at)));
        m.insert("lines".into(), serde_json::to_value(lines).unwrap_or(Value::Null));
    }
    v
}

pub fn run(config: &Path, c: OrdersCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        OrdersCmd::List { retailer, state, po, limit, json } => {
            let rows = orders::list(&mut conn, &OrderFilter { retailer, state, po, limit })?;
            if json {
                let v: Vec<Value> = rows.iter().map(|(o, l)| order_json(o, l)).collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t =
                    Table::new(&["ID", "RETAILER", "PO", "STATE", "LINES", "UNITS ACC/BO/REJ", "SHIP TO", "RECEIVED"]);
                for (o, l) in &rows {
                    let acc: i64 = l.iter().map(|x| x.accepted).sum();
                    let bo: i64 = l.iter().map(|x| x.backordered).sum();
                    let rej: i64 = l.iter().map(|x| x.rejected + x.cancelled).sum();
                    t.row(vec![
                        o.id.to_string(),
                        o.retailer_id.clone(),
                        o.po_number.clone(),
                        o.state.clone(),
                        l.len().to_string(),
                        format!("{acc}/{bo}/{rej}"),
                        cell(o.ship_to_name.as_deref().unwrap_or("-"), 24),
                        crate::util::rfc3339_micros(o.created_at),
                    ]);
                }
                t.print();
            }
        }
        OrdersCmd::Show { order, retailer, json } => {
            let found: Vec<OrderRow> =
                match order.parse::<i64>().ok().map(|id| orders::get(&mut conn, id)).transpose()?.flatten() {
                    Some(o) => vec![o],
                    None => orders::list(
                        &mut conn,
                        &OrderFilter { retailer, po: Some(order.clone()), limit: 100, ..Default::default() },
                    )?
                    .into_iter()
                    .map(|(o, _)| o)
                    .collect(),
                };
            if found.is_empty() {
                bail!("no order {order:?}");
            }
            let mut out = Vec::new();
            for o in &found {
                let lines = orders::lines_of(&mut conn, o.id)?;
                let docs = crate::store::outbox::list(
                    &mut conn,
                    &crate::store::outbox::OutboxFilter {
                        retailer: Some(o.retailer_id.clone()),
                        state: None,
                        limit: 100_000,
                    },
                )?
                .into_iter()
                .filter(|d| d.order_id == Some(o.id))
                .collect::<Vec<_>>();
                if json {
                    let mut v = order_json(o, &lines);
                    if let Value::Object(m) = &mut v {
                        m.insert("detail".into(), serde_json::from_str(&o.detail).unwrap_or(Value::Null));
                        m.insert("outbound".into(), serde_json::to_value(&docs).unwrap_or(Value::Null));
                    }
                    out.push(v);
                    continue;
                }
                println!("order {} — PO {} from {} — {}", o.id, o.po_number, o.retailer_id, o.state);
                println!(
                    "  received {} in document {} (ISA13 {}, ST02 {})",
                    crate::util::rfc3339_micros(o.created_at),
                    o.document_id,
                    o.interchange_control,
                    o.set_control
                );
                if let Ok(po) = serde_json::from_str::<crate::domain::PurchaseOrder>(&o.detail) {
                    if let Some(st) = po.ship_to() {
                        let addr = [
                            st.name.as_deref().unwrap_or_default().to_string(),
                            st.address.join(", "),
                            format!(
                                "{} {} {}",
                                st.city.clone().unwrap_or_default(),
                                st.state.clone().unwrap_or_default(),
                                st.postal_code.clone().unwrap_or_default()
                            ),
                        ];
                        println!(
                            "  ship to: {}",
                            addr.iter().filter(|s| !s.trim().is_empty()).cloned().collect::<Vec<_>>().join(" / ")
                        );
                    }
                    if let Some(g) = po.gift_message() {
                        println!("  gift message: {}", cell(&g, 100));
                    }
                }
                let mut t = Table::new(&[
                    "LINE",
                    "ITEM",
                    "SKU",
                    "ORDERED",
                    "ACCEPTED",
                    "BACKORDERED",
                    "REJECTED",
                    "CANCELLED",
                    "REASON",
                ]);
                for l in &lines {
                    t.row(vec![
                        l.line_number.clone(),
                        l.item.clone(),
                        l.sku.clone().unwrap_or_else(|| "-".into()),
                        l.ordered.to_string(),
                        l.accepted.to_string(),
                        l.backordered.to_string(),
                        l.rejected.to_string(),
                        l.cancelled.to_string(),
                        l.reason.clone().unwrap_or_default(),
                    ]);
                }
                t.print();
                for d in &docs {
                    let when = crate::util::rfc3339_micros(d.created_at);
                    println!("  {when} answered with {} {} (ISA13 {}) — {}", d.kind, d.file_name, d.control, d.state);
                }
            }
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&if out.len() == 1 { out.remove(0) } else { Value::Array(out) })?
                );
            }
        }
    }
    Ok(0)
}
