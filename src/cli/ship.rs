//! `dropgate ship PO …` and `dropgate ship import FILE.csv`: shipments
//! confirmed by the warehouse.

use crate::config::{Config, ShipImportProfile};
use crate::domain::shipment::{self, Package, ShipLine, ShipmentRequest};
use crate::store::{shipments, Conn};
use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct ShipArgs {
    #[command(subcommand)]
    pub command: Option<ShipCmd>,
    /// The purchase order number.
    #[arg(value_name = "PO", required = true)]
    pub po: Option<String>,
    #[command(flatten)]
    pub one: OneShipment,
}

#[derive(Args, Debug, Default)]
pub struct OneShipment {
    /// The retailer, when the PO number alone is ambiguous.
    #[arg(long, value_name = "ID")]
    pub retailer: Option<String>,
    /// Carrier (SCAC such as UPSN, or a name such as UPS).
    #[arg(long, default_value = "")]
    pub carrier: String,
    /// Service level (GROUND, 2DAY…).
    #[arg(long, default_value = "")]
    pub service: String,
    /// Tracking number of each package, in package order.
    #[arg(long, value_name = "NUMBER")]
    pub tracking: Vec<String>,
    /// LINE:QTY[@PACKAGE]: units of an order line (in package N, from 1). Without any, everything still open ships.
    #[arg(long = "line", value_name = "LINE:QTY")]
    pub lines: Vec<String>,
    /// weight=2.3kg,dims=30x20x10cm[,sscc=18 digits][,tracking=…]: one per package, in package order.
    #[arg(long = "package", value_name = "SPEC")]
    pub packages: Vec<String>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand, Debug)]
pub enum ShipCmd {
    /// Confirm shipments from a CSV export of the carrier software (one row per line and package).
    /// Good rows are applied, bad rows reported with their line numbers.
    Import {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Column mapping: a `[ship_import.NAME]` table of dropgate.toml (default: columns named po,
        /// retailer, carrier, service, tracking, line, quantity, weight, dims, sscc).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(config: &Path, a: ShipArgs) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match a.command {
        Some(ShipCmd::Import { file, profile, json }) => import(&cfg, &mut conn, &file, profile.as_deref(), json),
        None => {
            let po = a.po.unwrap_or_default();
            let req = request(&a.one).map_err(|e| anyhow::anyhow!(e))?;
            let c =
                shipments::confirm(&mut conn, a.one.retailer.as_deref(), &po, &req, "cli", crate::store::now_micros())?;
            if a.one.json {
                println!("{}", serde_json::to_string_pretty(&c)?);
            } else if c.repeat {
                println!("PO {} ({}): already confirmed as shipment {}; nothing changed", c.po, c.retailer, c.shipment);
            } else {
                println!(
                    "PO {} ({}): shipment {} with {} unit(s); order {}",
                    c.po, c.retailer, c.shipment, c.units, c.order_state
                );
            }
            Ok(0)
        }
    }
}

fn request(a: &OneShipment) -> Result<ShipmentRequest, String> {
    if a.carrier.trim().is_empty() {
        return Err("--carrier is required (e.g. --carrier UPS)".into());
    }
    let mut packages: Vec<Package> =
        a.packages.iter().map(|p| shipment::parse_package_arg(p)).collect::<Result<_, _>>()?;
    let n = packages.len().max(a.tracking.len());
    packages.resize_with(n, Package::default);
    for (p, t) in packages.iter_mut().zip(&a.tracking) {
        shipment::check_tracking(t)?;
        p.tracking.clone_from(t);
    }
    if packages.is_empty() {
        return Err("--tracking is required (one per package)".into());
    }
    if let Some(i) = packages.iter().position(|p| p.tracking.is_empty()) {
        return Err(format!("package {} has no tracking number: add --tracking", i + 1));
    }
    let lines: Vec<ShipLine> = a.lines.iter().map(|l| shipment::parse_line_arg(l)).collect::<Result<_, _>>()?;
    Ok(ShipmentRequest {
        carrier: a.carrier.trim().to_string(),
        service: a.service.trim().to_string(),
        packages,
        lines,
    })
}

/// One row of a file: retailer, PO, carrier, service, its package, its line.
type Row = (Option<String>, String, String, String, Package, Option<ShipLine>);

/// One shipment gathered from the rows of a file.
#[derive(Debug, Default)]
pub struct FileShipment {
    pub retailer: Option<String>,
    pub po: String,
    pub request: ShipmentRequest,
    /// The file's line numbers of its rows.
    pub rows: Vec<usize>,
}

/// Reads a shipment CSV with a column mapping. Rows of one PO (and
/// retailer) make one shipment, rows of one tracking number one package.
/// Returns the shipments and the bad rows (`FILE: line N: reason`).
pub fn parse_ship_csv(bytes: &[u8], name: &str, profile: &ShipImportProfile) -> (Vec<FileShipment>, Vec<String>) {
    let mut errors = Vec::new();
    let mut rdr = csv::ReaderBuilder::new()
        .delimiter(profile.delimiter_byte())
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(bytes);
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|s| s.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect(),
        Err(e) => return (Vec::new(), vec![format!("{name}: line 1: cannot read the header row: {e}")]),
    };
    let col = |n: &str| headers.iter().position(|h| *h == n.to_ascii_lowercase());
    let c = |n: &Option<String>, default: &str| col(n.as_deref().unwrap_or(default));
    let (po_c, tr_c) = (c(&profile.po, "po"), c(&profile.tracking, "tracking"));
    let (Some(po_c), Some(tr_c)) = (po_c, tr_c) else {
        return (
            Vec::new(),
            vec![format!(
                "{name}: line 1: the header must have the columns {:?} and {:?} (found: {})",
                profile.po.as_deref().unwrap_or("po"),
                profile.tracking.as_deref().unwrap_or("tracking"),
                headers.join(",")
            )],
        );
    };
    let ret_c = c(&profile.retailer, "retailer");
    let car_c = c(&profile.carrier, "carrier");
    let svc_c = c(&profile.service, "service");
    let line_c = c(&profile.line, "line");
    let qty_c = c(&profile.quantity, "quantity");
    let w_c = c(&profile.weight, "weight");
    let d_c = c(&profile.dims, "dims");
    let ss_c = c(&profile.sscc, "sscc");
    let mut out: Vec<FileShipment> = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{name}: line {line}: {e}"));
                continue;
            }
        };
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).unwrap_or("").to_string();
        let row = (|| -> Result<Row, String> {
            let po = get(Some(po_c));
            if po.is_empty() {
                return Err("the PO number is empty".into());
            }
            let tracking = get(Some(tr_c));
            shipment::check_tracking(&tracking)?;
            let carrier = match (get(car_c), &profile.carrier_default) {
                (c, _) if !c.is_empty() => c,
                (_, Some(d)) => d.clone(),
                _ => return Err("the carrier is empty".into()),
            };
            let service = match (get(svc_c), &profile.service_default) {
                (s, _) if !s.is_empty() => s,
                (_, Some(d)) => d.clone(),
                _ => String::new(),
            };
            let mut pkg = Package { tracking, ..Package::default() };
            let w = get(w_c);
            if !w.is_empty() {
                let w = if w.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
                    format!("{w}{}", profile.weight_unit.as_deref().unwrap_or("kg"))
                } else {
                    w
                };
                pkg.weight_g = Some(shipment::parse_weight(&w)?);
            }
            let d = get(d_c);
            if !d.is_empty() {
                pkg.dims_mm = Some(shipment::parse_dims(&d)?);
            }
            let s = get(ss_c);
            if !s.is_empty() {
                if !shipment::valid_sscc(&s) {
                    return Err(format!("sscc {s:?} is not 18 digits with a valid check digit"));
                }
                pkg.sscc = Some(s);
            }
            let (ln, q) = (get(line_c), get(qty_c));
            let ship_line = match (ln.is_empty(), q.is_empty()) {
                (true, true) => None,
                (false, false) => {
                    let mut l = shipment::parse_line_arg(&format!("{ln}:{q}"))
                        .map_err(|e| e.replace("--line ", "line and quantity "))?;
                    l.package = 0;
                    Some(l)
                }
                (false, true) => return Err(format!("line {ln} has no quantity")),
                (true, false) => return Err(format!("quantity {q} has no line number")),
            };
            let retailer = Some(get(ret_c)).filter(|r| !r.is_empty());
            Ok((retailer, po, carrier, service, pkg, ship_line))
        })();
        let (retailer, po, carrier, service, pkg, ship_line) = match row {
            Ok(r) => r,
            Err(e) => {
                errors.push(format!("{name}: line {line}: {e}"));
                continue;
            }
        };
        let idx = match out.iter().position(|s| s.po == po && s.retailer == retailer) {
            Some(i) => i,
            None => {
                out.push(FileShipment {
                    retailer: retailer.clone(),
                    po: po.clone(),
                    request: ShipmentRequest {
                        carrier: carrier.clone(),
                        service: service.clone(),
                        ..Default::default()
                    },
                    rows: Vec::new(),
                });
                out.len() - 1
            }
        };
        let s = &mut out[idx];
        let pkg_idx = match s.request.packages.iter().position(|p| p.tracking == pkg.tracking) {
            Some(i) => {
                let p = &mut s.request.packages[i];
                p.weight_g = p.weight_g.or(pkg.weight_g);
                p.dims_mm = p.dims_mm.or(pkg.dims_mm);
                p.sscc = p.sscc.clone().or(pkg.sscc);
                i
            }
            None => {
                s.request.packages.push(pkg);
                s.request.packages.len() - 1
            }
        };
        if let Some(mut l) = ship_line {
            l.package = pkg_idx;
            s.request.lines.push(l);
        }
        s.rows.push(line);
    }
    (out, errors)
}

fn import(cfg: &Config, conn: &mut Conn, file: &Path, profile: Option<&str>, json: bool) -> anyhow::Result<i32> {
    let prof = match profile {
        Some(n) => {
            cfg.ship_import.get(n).cloned().with_context(|| format!("no [ship_import.{n}] in the configuration"))?
        }
        None => cfg.ship_import.get("default").cloned().unwrap_or_default(),
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let name = file.display().to_string();
    let (ships, mut errors) = parse_ship_csv(&bytes, &name, &prof);
    let mut done = Vec::new();
    for s in &ships {
        if !s.request.lines.is_empty() && s.rows.len() != s.request.lines.len() {
            errors.push(format!(
                "{name}: lines {}: PO {}: every row of a PO names a line and quantity, or none does",
                join_rows(&s.rows),
                s.po
            ));
            continue;
        }
        match shipments::confirm(conn, s.retailer.as_deref(), &s.po, &s.request, "csv", crate::store::now_micros()) {
            Ok(c) => done.push(c),
            Err(e) => errors.push(format!(
                "{name}: line{} {}: {e}",
                if s.rows.len() > 1 { "s" } else { "" },
                join_rows(&s.rows)
            )),
        }
    }
    errors.sort_by_key(|e| first_line(e));
    if json {
        println!("{}", serde_json::to_string_pretty(&serde_json::json!({"shipments": done, "errors": errors}))?);
    } else {
        let units: i64 = done.iter().filter(|c| !c.repeat).map(|c| c.units).sum();
        let repeats = done.iter().filter(|c| c.repeat).count();
        println!(
            "{name}: {} shipment(s) confirmed ({units} unit(s)), {repeats} already confirmed, {} bad row(s)",
            done.len() - repeats,
            errors.len()
        );
    }
    for e in &errors {
        eprintln!("error: {e}");
    }
    if errors.is_empty() {
        Ok(0)
    } else if done.is_empty() && ships.is_empty() {
        bail!("{} bad row(s): nothing confirmed", errors.len())
    } else {
        Ok(1)
    }
}

fn join_rows(rows: &[usize]) -> String {
    rows.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

fn first_line(e: &str) -> usize {
    e.split("line")
        .nth(1)
        .and_then(|r| r.trim_start_matches('s').trim().split([':', ',']).next()?.trim().parse().ok())
        .unwrap_or(0)
}
