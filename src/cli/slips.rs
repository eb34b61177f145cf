//! `dropgate slips print|preview`: blind packing slips for the warehouse.

use super::table::{cell, Table};
use crate::config::Config;
use crate::domain::PurchaseOrder;
use crate::retailer::Profile;
use crate::slip::{self, LineState, Logo, Look, Slip, Wave};
use crate::store::orders::{LineRow, OrderFilter, OrderRow};
use crate::store::slips::{self as store_slips, Printed, AWAITING, REPRINTABLE};
use crate::store::stock::{self, ProductInfo};
use crate::store::{orders, retailers, Conn};
use anyhow::{bail, Context};
use clap::{Args, Subcommand, ValueEnum};
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum SlipsCmd {
    /// Print a wave: one PDF with a slip for every accepted order not yet printed, grouped by
    /// retailer and in pick order; the orders become slip_printed once the PDF is written or
    /// handed to the printer.
    Print(PrintArgs),
    /// Show one order's slip (PDF, or HTML with --html) without printing it or changing anything.
    Preview(PreviewArgs),
}

#[derive(Args, Debug)]
pub struct PrintArgs {
    /// Write the PDF here (default: slips-YYYYMMDD-HHMMSS.pdf in the current directory).
    #[arg(long, value_name = "FILE", conflicts_with = "printer")]
    pub out: Option<PathBuf>,
    /// Send the PDF to this CUPS printer (`lp -d NAME`) instead of writing a file.
    #[arg(long, value_name = "NAME")]
    pub printer: Option<String>,
    /// Only this retailer's orders.
    #[arg(long, value_name = "ID")]
    pub retailer: Option<String>,
    /// Order of the slips within each retailer.
    #[arg(long, value_enum, default_value_t = SortKey::Pick)]
    pub sort: SortKey,
    /// Print these orders' slips again, marked "Reprint" (their state does not change).
    #[arg(long, value_name = "PO", num_args = 1..)]
    pub reprint: Vec<String>,
    /// Overwrite the --out file when it exists.
    #[arg(long)]
    pub force: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    /// The order's PO number (or its id).
    pub po: String,
    #[arg(long, value_name = "ID")]
    pub retailer: Option<String>,
    /// Write the slip as HTML (to stdout, or to --out).
    #[arg(long)]
    pub html: bool,
    /// Where to write it (default for the PDF: slip-PO.pdf in the current directory).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

/// How slips are ordered within a retailer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SortKey {
    /// The pick location of the order's first item (from the stock file), else its SKU.
    Pick,
    /// PO number.
    Po,
    /// The order in which the orders arrived.
    Received,
}

pub fn run(config: &Path, c: SlipsCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        SlipsCmd::Print(a) => print(&cfg, &mut conn, &a),
        SlipsCmd::Preview(a) => preview(&cfg, &mut conn, &a),
    }
}

/// A retailer's profile and look, loaded once per run.
struct Retailer {
    profile: Profile,
    look: Look,
}

/// Loads every retailer's profile and look (logos come with [`add_logos`]).
fn retailers_of(conn: &mut Conn, warnings: &mut Vec<String>) -> anyhow::Result<HashMap<String, Retailer>> {
    let mut out = HashMap::new();
    for row in retailers::list(conn)? {
        let profile = match row.profile() {
            Ok(p) => p,
            Err(e) => {
                warnings.push(format!("{e}"));
                continue;
            }
        };
        let look = Look::new(&profile.name, &profile.brand(), None);
        out.insert(profile.id.clone(), Retailer { profile, look });
    }
    Ok(out)
}

/// Reads the logos of the retailers that have slips to print. A logo that
/// cannot be used is left off its slips with a warning: the slips stay
/// blind (they carry the retailer's name) and the warehouse is not held up
/// by one bad file.
fn add_logos<'a>(
    cfg: &Config,
    retailers: &mut HashMap<String, Retailer>,
    ids: impl IntoIterator<Item = &'a str>,
    warnings: &mut Vec<String>,
) {
    let mut done = std::collections::HashSet::new();
    for id in ids {
        if !done.insert(id) {
            continue;
        }
        let Some(r) = retailers.get_mut(id) else { continue };
        let Some(path) = r.profile.brand().logo else { continue };
        match read_logo(&cfg.resolve(&path)) {
            Ok(l) => r.look.logo = Some(l),
            Err(e) => warnings.push(format!("retailer {id}: {e:#}; its slips are printed without a logo")),
        }
    }
}

/// Reads and checks a logo file.
pub fn read_logo(path: &Path) -> anyhow::Result<Logo> {
    let meta = std::fs::metadata(path).with_context(|| format!("logo {} cannot be read", path.display()))?;
    if meta.len() > slip::logo::MAX_LOGO_BYTES as u64 {
        bail!(
            "logo {}: {}",
            path.display(),
            slip::LogoError::TooLarge(usize::try_from(meta.len()).unwrap_or(usize::MAX))
        );
    }
    let bytes = std::fs::read(path).with_context(|| format!("logo {} cannot be read", path.display()))?;
    Logo::parse(&bytes).with_context(|| format!("logo {} cannot be used", path.display()))
}

/// One order made ready for its slip.
struct Ready {
    order: OrderRow,
    lines: Vec<LineRow>,
    slip: Slip,
    pick: Option<String>,
}

/// The slip of a stored order.
///
/// Its content comes from the order as stored, not from the 850 in the
/// ledger: `orders.detail` is the purchase order exactly as it was read
/// when the order was taken and acknowledged, and the order lines carry
/// the quantities as decided and as changed since (860s, cancellations).
/// Reading the 850 bytes again would depend on today's reader, would have
/// to find the one set again in a file of many, and would not know the
/// changes.
fn ready(order: OrderRow, lines: Vec<LineRow>, products: &HashMap<String, ProductInfo>) -> anyhow::Result<Ready> {
    let po: PurchaseOrder = serde_json::from_str(&order.detail).with_context(|| {
        format!(
            "order {} (PO {} from {}): its stored purchase order cannot be read",
            order.id, order.po_number, order.retailer_id
        )
    })?;
    let states: Vec<LineState> = lines
        .iter()
        .map(|l| LineState {
            position: usize::try_from(l.position).unwrap_or(0),
            sku: l.sku.clone(),
            ordered: l.ordered,
            accepted: l.accepted,
            backordered: l.backordered,
            rejected: l.rejected,
            shipped: l.shipped,
            cancelled: l.cancelled,
        })
        .collect();
    let descriptions: HashMap<String, String> =
        products.iter().filter_map(|(s, p)| p.description.clone().map(|d| (s.clone(), d))).collect();
    let slip = Slip::from_order(&po, &states, &descriptions);
    // The pick key: where the first item in the box is picked from, else its SKU.
    let first = lines
        .iter()
        .find(|l| l.accepted > l.shipped && l.sku.is_some())
        .or_else(|| lines.iter().find(|l| l.sku.is_some()));
    let pick = first.and_then(|l| {
        let sku = l.sku.clone()?;
        Some(products.get(&sku).and_then(|p| p.location.clone()).unwrap_or(sku))
    });
    Ok(Ready { order, lines, slip, pick })
}

fn products_of(conn: &mut Conn, rows: &[(OrderRow, Vec<LineRow>)]) -> anyhow::Result<HashMap<String, ProductInfo>> {
    let mut skus: Vec<&str> = rows.iter().flat_map(|(_, ls)| ls.iter().filter_map(|l| l.sku.as_deref())).collect();
    skus.sort_unstable();
    skus.dedup();
    Ok(stock::products(conn, &skus)?)
}

/// Compares texts with their numbers taken as numbers ("A-2" before "A-10").
fn natural_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    fn chunks(s: &str) -> Vec<(bool, &str)> {
        let mut out = Vec::new();
        let mut start = 0;
        let bytes = s.as_bytes();
        for i in 1..=bytes.len() {
            if i == bytes.len() || bytes[i].is_ascii_digit() != bytes[start].is_ascii_digit() {
                out.push((bytes[start].is_ascii_digit(), &s[start..i]));
                start = i;
            }
        }
        out
    }
    let (ca, cb) = (chunks(a), chunks(b));
    for (x, y) in ca.iter().zip(&cb) {
        let ord = match (x, y) {
            ((true, x), (true, y)) => {
                let (xt, yt) = (x.trim_start_matches('0'), y.trim_start_matches('0'));
                xt.len().cmp(&yt.len()).then_with(|| xt.cmp(yt))
            }
            ((_, x), (_, y)) => x.to_lowercase().cmp(&y.to_lowercase()),
        };
        if ord != std::cmp::Ordering::Equal {
            return ord;
        }
    }
    ca.len().cmp(&cb.len()).then_with(|| a.cmp(b))
}

fn sort(ready: &mut [Ready], key: SortKey) {
    ready.sort_by(|a, b| {
        a.order.retailer_id.cmp(&b.order.retailer_id).then_with(|| match key {
            SortKey::Pick => match (&a.pick, &b.pick) {
                (Some(x), Some(y)) => natural_cmp(x, y),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| natural_cmp(&a.order.po_number, &b.order.po_number))
            .then(a.order.id.cmp(&b.order.id)),
            SortKey::Po => natural_cmp(&a.order.po_number, &b.order.po_number).then(a.order.id.cmp(&b.order.id)),
            SortKey::Received => a.order.id.cmp(&b.order.id),
        })
    });
}

/// Orders with this PO number (or id), of one retailer.
fn find_orders(conn: &mut Conn, po: &str, retailer: Option<&str>) -> anyhow::Result<Vec<(OrderRow, Vec<LineRow>)>> {
    let mut found = orders::list(
        conn,
        &OrderFilter {
            retailer: retailer.map(str::to_string),
            po: Some(po.to_string()),
            limit: 100,
            ..Default::default()
        },
    )?;
    if found.is_empty() {
        if let Ok(id) = po.parse::<i64>() {
            if let Some(o) = orders::get(conn, id)? {
                if retailer.is_none_or(|r| r == o.retailer_id) {
                    let lines = orders::lines_of(conn, o.id)?;
                    found.push((o, lines));
                }
            }
        }
    }
    if found.is_empty() {
        bail!("no order with PO number {po:?}{}", retailer.map(|r| format!(" from retailer {r}")).unwrap_or_default());
    }
    let mut who: Vec<&str> = found.iter().map(|(o, _)| o.retailer_id.as_str()).collect();
    who.sort_unstable();
    who.dedup();
    if who.len() > 1 {
        bail!("PO number {po:?} is used by several retailers ({}): name one with --retailer", who.join(", "));
    }
    Ok(found)
}

fn print(cfg: &Config, conn: &mut Conn, a: &PrintArgs) -> anyhow::Result<i32> {
    let mut warnings = Vec::new();
    let mut retailers = retailers_of(conn, &mut warnings)?;
    if let Some(r) = &a.retailer {
        if !retailers.contains_key(r) {
            bail!("no retailer {r:?} (see `dropgate retailer list`)");
        }
    }
    let reprint = !a.reprint.is_empty();
    let mut rows: Vec<(OrderRow, Vec<LineRow>)> = Vec::new();
    if reprint {
        for po in &a.reprint {
            for (o, ls) in find_orders(conn, po, a.retailer.as_deref())? {
                let takes_slips = retailers.get(&o.retailer_id).is_none_or(|r| r.profile.brand().packing_slip);
                if !takes_slips {
                    bail!("PO {po}: retailer {} takes no packing slips (brand.packing_slip = false)", o.retailer_id);
                }
                if AWAITING.contains(&o.state.as_str()) {
                    bail!("PO {po} has no slip yet ({}): it is in the next `dropgate slips print`", o.state);
                }
                if !REPRINTABLE.contains(&o.state.as_str()) {
                    bail!("PO {po} is {}: it gets no packing slip", o.state);
                }
                if !rows.iter().any(|(x, _)| x.id == o.id) {
                    rows.push((o, ls));
                }
            }
        }
    } else {
        rows = store_slips::awaiting(conn, a.retailer.as_deref())?;
    }
    // Retailers that forbid slips: listed, not printed.
    let (rows, no_slip): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|(o, _)| retailers.get(&o.retailer_id).is_none_or(|r| r.profile.brand().packing_slip));
    let products = products_of(conn, &rows)?;
    let mut problems = Vec::new();
    let mut ready_list = Vec::new();
    for (o, ls) in rows {
        match ready(o, ls, &products) {
            Ok(mut r) => {
                r.slip.reprint = reprint;
                ready_list.push(r);
            }
            Err(e) => problems.push(format!("{e:#}; no slip printed for it")),
        }
    }
    if !reprint {
        sort(&mut ready_list, a.sort);
    }
    add_logos(cfg, &mut retailers, ready_list.iter().map(|r| r.order.retailer_id.as_str()), &mut warnings);

    let mut report = Vec::new();
    let mut delivered_to = None;
    if !ready_list.is_empty() {
        let fallback = Look::new("", &crate::retailer::Brand::default(), None);
        let mut wave = Wave::new(cfg.slips.paper, vec![cfg.company.name.clone()]);
        for r in &ready_list {
            let look = retailers.get(&r.order.retailer_id).map_or(&fallback, |x| &x.look);
            let placed = wave.add(&r.slip, look);
            let po = &r.order.po_number;
            if !placed.missing.is_empty() {
                let chars: String = placed.missing.iter().map(|c| format!(" {c} (U+{:04X})", u32::from(*c))).collect();
                warnings.push(format!("PO {po}: the font has no glyph for{chars}; printed as ?"));
            }
            for what in &placed.redacted {
                warnings.push(format!("PO {po}: the company name was taken out of {what}"));
            }
            if placed.no_barcode {
                warnings.push(format!("PO {po}: the PO number cannot be put in a Code 128 barcode; the slip has none"));
            }
            if placed.no_qr {
                warnings.push(format!("PO {po}: the QR text is too long for a QR code; the slip has none"));
            }
            report.push((r, placed.pages));
        }
        let pages = wave.pages();
        let bytes = wave.finish()?;
        let target = match &a.printer {
            Some(name) => {
                send_to_printer(cfg, name, &bytes, ready_list.len())?;
                format!("printer {name}")
            }
            None => {
                let path = a.out.clone().unwrap_or_else(|| {
                    let (d, t) = crate::util::datetime_compact(crate::util::unix_now());
                    PathBuf::from(format!("slips-{d}-{t}.pdf"))
                });
                write_new(&path, &bytes, a.force)?;
                path.display().to_string()
            }
        };
        let printed: Vec<Printed> = ready_list
            .iter()
            .map(|r| Printed {
                order: r.order.id,
                retailer: r.order.retailer_id.clone(),
                po: r.order.po_number.clone(),
                was: r.order.state.clone(),
            })
            .collect();
        let label = format!("wave of {} slips to {target}", printed.len());
        if reprint {
            store_slips::record_reprints(conn, &printed, &label)?;
        } else {
            for p in store_slips::mark_printed(conn, &printed, &label)? {
                warnings.push(format!(
                    "PO {} changed while the wave was printed and stays as it is now: discard its slip",
                    p.po
                ));
            }
        }
        delivered_to = Some((target, pages, bytes.len()));
    }

    if a.json {
        let v = json!({
            "output": delivered_to.as_ref().map(|d| d.0.clone()),
            "pages": delivered_to.as_ref().map_or(0, |d| d.1),
            "bytes": delivered_to.as_ref().map_or(0, |d| d.2),
            "reprint": reprint,
            "slips": report.iter().map(|(r, pages)| json!({
                "order": r.order.id, "retailer": r.order.retailer_id, "po": r.order.po_number,
                "pages": pages, "units": r.slip.units(), "pick": r.pick,
            })).collect::<Vec<_>>(),
            "no_slip_required": no_slip.iter().map(|(o, _)| json!({
                "order": o.id, "retailer": o.retailer_id, "po": o.po_number,
            })).collect::<Vec<_>>(),
            "warnings": warnings,
            "problems": problems,
        });
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        match &delivered_to {
            Some((target, pages, _)) => {
                let mut per: BTreeMap<&str, usize> = BTreeMap::new();
                for (r, _) in &report {
                    *per.entry(&r.order.retailer_id).or_default() += 1;
                }
                let per: Vec<String> = per.iter().map(|(k, v)| format!("{k} {v}")).collect();
                println!(
                    "{}{} slip{} on {pages} page{} to {target} ({})",
                    if reprint { "reprinted: " } else { "" },
                    report.len(),
                    plural(report.len()),
                    plural(*pages),
                    per.join(", ")
                );
                let mut t = Table::new(&["RETAILER", "PO", "SHIP TO", "LINES", "UNITS", "PAGES", "PICK"]);
                for (r, pages) in &report {
                    t.row(vec![
                        r.order.retailer_id.clone(),
                        r.order.po_number.clone(),
                        cell(r.order.ship_to_name.as_deref().unwrap_or("-"), 24),
                        r.lines.len().to_string(),
                        r.slip.units().to_string(),
                        pages.to_string(),
                        r.pick.clone().unwrap_or_else(|| "-".into()),
                    ]);
                }
                t.print();
                if !reprint {
                    let n = report.len();
                    let verb = if n == 1 { "order is" } else { "orders are" };
                    println!("{n} {verb} now {}", store_slips::SLIP_PRINTED);
                }
            }
            None if no_slip.is_empty() && problems.is_empty() => println!("no orders are waiting for a packing slip"),
            None => println!("no slips printed"),
        }
        for (o, _) in &no_slip {
            println!(
                "no slip required: {} PO {} ({}; {} takes no packing slips)",
                o.retailer_id,
                o.po_number,
                cell(o.ship_to_name.as_deref().unwrap_or("-"), 24),
                o.retailer_id
            );
        }
        for p in &problems {
            println!("  ! {p}");
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(i32::from(!problems.is_empty() && delivered_to.is_none()))
}

/// Writes a file that must not be half-written: to a temporary name
/// beside it, synced, then renamed into place.
fn write_new(path: &Path, bytes: &[u8], force: bool) -> anyhow::Result<()> {
    if path.exists() && !force {
        bail!("{} exists already (use --force to overwrite it, or --out another file)", path.display());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("slips.pdf");
    let tmp = path.with_file_name(format!(".{name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(e).with_context(|| format!("cannot write {}", path.display()));
    }
    Ok(())
}

/// Hands the PDF to CUPS (`lp`), which spools it before answering.
fn send_to_printer(cfg: &Config, printer: &str, bytes: &[u8], slips: usize) -> anyhow::Result<()> {
    let dir = cfg.data_dir().join("slips");
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let (d, t) = crate::util::datetime_compact(crate::util::unix_now());
    let path = dir.join(format!("wave-{d}-{t}-{}.pdf", std::process::id()));
    write_new(&path, bytes, true)?;
    let out = std::process::Command::new("lp")
        .arg("-d")
        .arg(printer)
        .arg("-t")
        .arg(format!("packing slips {d}-{t} ({slips})"))
        .arg("--")
        .arg(&path)
        .output();
    let _ = std::fs::remove_file(&path);
    let out = out.context("cannot run lp, the CUPS client (Debian package cups-client)")?;
    if !out.status.success() {
        bail!(
            "lp -d {printer} failed ({}): {}; no order was marked printed",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn preview(cfg: &Config, conn: &mut Conn, a: &PreviewArgs) -> anyhow::Result<i32> {
    let mut warnings = Vec::new();
    let mut retailers = retailers_of(conn, &mut warnings)?;
    let found = find_orders(conn, &a.po, a.retailer.as_deref())?;
    add_logos(cfg, &mut retailers, found.iter().map(|(o, _)| o.retailer_id.as_str()), &mut warnings);
    let products = products_of(conn, &found)?;
    let mut out_bytes: Vec<u8> = Vec::new();
    let mut pages = 0;
    let mut shown = Vec::new();
    let fallback = Look::new("", &crate::retailer::Brand::default(), None);
    let hidden = vec![cfg.company.name.clone()];
    let mut wave = Wave::new(cfg.slips.paper, hidden.clone());
    for (o, ls) in found {
        let r = ready(o, ls, &products)?;
        let who = retailers.get(&r.order.retailer_id);
        if who.is_some_and(|x| !x.profile.brand().packing_slip) {
            warnings
                .push(format!("retailer {} takes no packing slips: this slip is never printed", r.order.retailer_id));
        }
        let look = who.map_or(&fallback, |x| &x.look);
        if a.html {
            let mut redacted = Vec::new();
            out_bytes.extend(slip::html::render(&r.slip, look, &hidden, &mut redacted).into_bytes());
        } else {
            let placed = wave.add(&r.slip, look);
            pages += placed.pages;
            if !placed.missing.is_empty() {
                warnings.push(format!(
                    "the font has no glyph for {}; printed as ?",
                    placed.missing.iter().collect::<String>()
                ));
            }
        }
        shown.push(r.order.po_number.clone());
    }
    if !a.html {
        out_bytes = wave.finish()?;
    }
    match (&a.out, a.html) {
        (None, true) => std::io::stdout().write_all(&out_bytes)?,
        (out, _) => {
            let path = out
                .clone()
                .unwrap_or_else(|| PathBuf::from(format!("slip-{}.pdf", crate::util::safe_file_name(&a.po))));
            write_new(&path, &out_bytes, true)?;
            if a.html {
                println!("wrote {}", path.display());
            } else {
                println!(
                    "wrote {} ({} slip{}, {pages} page{})",
                    path.display(),
                    shown.len(),
                    plural(shown.len()),
                    plural(pages)
                );
            }
        }
    }
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(0)
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

#[cfg(test)]
mod tests {
    use super::natural_cmp;
    use std::cmp::Ordering;

    #[test]
    fn locations_sort_as_a_picker_walks() {
        assert_eq!(natural_cmp("A-2-1", "A-10-1"), Ordering::Less);
        assert_eq!(natural_cmp("A-02", "A-2"), Ordering::Less, "equal numbers, then the text decides");
        assert_eq!(natural_cmp("b-1", "A-9"), Ordering::Greater);
        let mut v = vec!["C-1", "A-10", "A-9", "B-3"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["A-9", "A-10", "B-3", "C-1"]);
    }
}
