//! `dropgate stock import|show`.

use super::table::Table;
use crate::store::stock::{self, StockItem};
use anyhow::{bail, Context};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum StockCmd {
    /// Import a stock file (CSV with a header row: sku,on_hand required; upc, vendor_sku,
    /// description, unit_price, location optional). On-hand is replaced, reservations are kept.
    /// Nothing is imported when any row is bad.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// The file is the whole catalogue: SKUs missing from it get on-hand 0.
        #[arg(long)]
        full: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show stock: on hand, reserved, available.
    Show {
        /// Only SKUs starting with this.
        sku: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// Reads a stock CSV; every bad row is reported with its line number.
pub fn parse_stock_csv(bytes: &[u8], name: &str) -> Result<Vec<StockItem>, Vec<String>> {
    let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(bytes);
    let headers = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim_start_matches('\u{feff}').to_ascii_lowercase()).collect::<Vec<_>>(),
        Err(e) => return Err(vec![format!("{name}: cannot read the header row: {e}")]),
    };
    let col = |n: &str| headers.iter().position(|h| h == n);
    let (Some(sku_c), Some(qty_c)) = (col("sku"), col("on_hand")) else {
        return Err(vec![format!(
            "{name}: line 1: the header must name the columns sku and on_hand (found: {})",
            headers.join(",")
        )]);
    };
    let (upc_c, vsku_c, desc_c, price_c) = (col("upc"), col("vendor_sku"), col("description"), col("unit_price"));
    let loc_c = col("location");
    let mut items = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{name}: line {line}: {e}"));
                continue;
            }
        };
        let get =
            |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let Some(sku) = get(Some(sku_c)) else {
            errors.push(format!("{name}: line {line}: sku is empty"));
            continue;
        };
        if sku.len() > 64 || sku.chars().any(char::is_control) {
            errors.push(format!(
                "{name}: line {line}: sku {sku:?} is longer than 64 characters or has control characters"
            ));
            continue;
        }
        let on_hand = match get(Some(qty_c)).map(|q| q.parse::<i64>()) {
            Some(Ok(q)) if q >= 0 => q,
            other => {
                let v = get(Some(qty_c)).unwrap_or_default();
                let _ = other;
                errors.push(format!("{name}: line {line}: on_hand {v:?} is not a whole number ≥ 0"));
                continue;
            }
        };
        let unit_price = get(price_c);
        if let Some(p) = &unit_price {
            if crate::domain::Amount::parse(p).is_none() {
                errors.push(format!("{name}: line {line}: unit_price {p:?} is not a decimal number"));
                continue;
            }
        }
        if let Some(first) = seen.insert(sku.clone(), line) {
            errors.push(format!("{name}: line {line}: sku {sku} was already on line {first}"));
            continue;
        }
        items.push(StockItem {
            sku,
            on_hand,
            upc: get(upc_c),
            vendor_sku: get(vsku_c),
            description: get(desc_c),
            unit_price,
            location: get(loc_c),
        });
    }
    if errors.is_empty() {
        Ok(items)
    } else {
        Err(errors)
    }
}

pub fn run(config: &Path, c: StockCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        StockCmd::Import { file, full, json } => {
            let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let items = match parse_stock_csv(&bytes, &file.display().to_string()) {
                Ok(i) => i,
                Err(errs) => {
                    for e in &errs {
                        eprintln!("error: {e}");
                    }
                    bail!("{} bad row(s): nothing imported", errs.len());
                }
            };
            let sum = stock::import(&mut conn, &items, full)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&sum)?);
            } else {
                println!(
                    "{}: {} SKUs ({} new, {} updated{})",
                    file.display(),
                    items.len(),
                    sum.created,
                    sum.updated,
                    if full { format!(", {} not in the file set to 0", sum.zeroed) } else { String::new() }
                );
                for (sku, over) in &sum.oversold {
                    println!(
                        "  ! {sku}: {over} unit(s) more reserved than on hand; orders holding them need attention"
                    );
                }
            }
        }
        StockCmd::Show { sku, json } => {
            let rows = stock::list(&mut conn, sku.as_deref())?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| serde_json::json!({"sku": r.sku, "on_hand": r.on_hand, "reserved": r.reserved, "available": r.available()}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t = Table::new(&["SKU", "ON HAND", "RESERVED", "AVAILABLE"]);
                for r in &rows {
                    t.row(vec![
                        r.sku.clone(),
                        r.on_hand.to_string(),
                        r.reserved.to_string(),
                        r.available().to_string(),
                    ]);
                }
                t.print();
            }
        }
    }
    Ok(0)
}
