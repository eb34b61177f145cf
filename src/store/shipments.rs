//! Shipments: confirming one (stock and order lines move with it, in one
//! transaction), and reading them back for ship notices and invoices.

use super::orders::{self, LineRow, OrderRow};
use super::schema::{
    order_lines::dsl as l, orders::dsl as o, packages::dsl as pk, shipment_lines::dsl as sl, shipments::dsl as sh,
    stock::dsl as s,
};
use super::{now_micros, with_conn, Conn, Result, StoreError};
use crate::domain::shipment::{Package, ShipmentRequest};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

pub const PARTIALLY_SHIPPED: &str = "partially_shipped";
pub const SHIPPED: &str = "shipped";

/// Order states a shipment may be confirmed in.
pub const SHIPPABLE: &[&str] = &["accepted", "partially_accepted", "backordered", "slip_printed", PARTIALLY_SHIPPED];

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct ShipmentRow {
    pub id: i64,
    pub order_id: i64,
    #[serde(rename = "retailer")]
    pub retailer_id: String,
    #[serde(skip)]
    pub dedup_key: String,
    pub carrier: String,
    pub service: String,
    pub shipped_at: i64,
    pub source: String,
    pub asn_run: Option<i64>,
    pub created_at: i64,
}

#[derive(Clone, Debug, Serialize, Queryable, Insertable)]
#[diesel(table_name = super::schema::packages)]
pub struct PackageRow {
    pub shipment_id: i64,
    pub seq: i32,
    pub tracking: String,
    pub sscc: Option<String>,
    pub weight_g: Option<i64>,
    pub length_mm: Option<i64>,
    pub width_mm: Option<i64>,
    pub height_mm: Option<i64>,
}

#[derive(Clone, Debug, Serialize, Queryable, Insertable)]
#[diesel(table_name = super::schema::shipment_lines)]
pub struct ShipmentLineRow {
    pub shipment_id: i64,
    pub package_seq: i32,
    pub position: i32,
    pub retailer_id: String,
    pub quantity: i64,
    pub invoice_number: Option<String>,
    pub invoice_run: Option<i64>,
}

/// What confirming a shipment did.
#[derive(Clone, Debug, Serialize)]
pub struct Confirmed {
    pub shipment: i64,
    pub order: i64,
    pub retailer: String,
    pub po: String,
    /// The same confirmation was made before: nothing changed.
    pub repeat: bool,
    pub units: i64,
    pub order_state: String,
}

/// Finds the one order a PO number names (of `retailer` when given).
pub fn order_for_po(conn: &mut Conn, retailer: Option<&str>, po: &str) -> Result<OrderRow> {
    let rows: Vec<OrderRow> = with_conn!(conn, c => {
        let mut q = o::orders.filter(o::po_number.eq(po)).filter(o::state.ne(orders::CANCELLED)).into_boxed();
        if let Some(r) = retailer {
            q = q.filter(o::retailer_id.eq(r.to_string()));
        }
        q.order(o::id.asc()).load::<OrderRow>(c)
    })?;
    match rows.len() {
        0 => Err(StoreError::NotFound(match retailer {
            Some(r) => format!("no open order with PO {po} from retailer {r}"),
            None => format!("no open order with PO {po}"),
        })),
        1 => Ok(rows.into_iter().next().expect("one row")),
        _ => {
            let mut who: Vec<String> = rows.iter().map(|r| r.retailer_id.clone()).collect();
            who.dedup();
            Err(StoreError::Invalid(format!(
                "PO {po} names {} orders (retailers {}): give the retailer",
                rows.len(),
                who.join(", ")
            )))
        }
    }
}

/// Confirms a shipment of the order with PO `po`, in one transaction:
/// the order lines' shipped quantities, the order's state and stock
/// (on hand and reserved both drop by what shipped) move together.
/// Confirming the same shipment again (same order, same first tracking
/// number) changes nothing and answers with the shipment made first.
pub fn confirm(
    conn: &mut Conn,
    retailer: Option<&str>,
    po: &str,
    req: &ShipmentRequest,
    source: &str,
    shipped_at: i64,
) -> Result<Confirmed> {
    if req.packages.is_empty() || req.packages.iter().any(|p| p.tracking.is_empty()) {
        return Err(StoreError::Invalid("every package needs a tracking number".into()));
    }
    if req.carrier.trim().is_empty() || req.carrier.len() > 35 {
        return Err(StoreError::Invalid(format!("carrier {:?} must be 1 to 35 characters", req.carrier)));
    }
    if req.service.len() > 35 {
        return Err(StoreError::Invalid(format!("service {:?} is longer than 35 characters", req.service)));
    }
    conn.write(|conn| {
        let order = order_for_po(conn, retailer, po)?;
        let key = format!("{}:{}", order.id, req.packages[0].tracking);
        let existing: Option<ShipmentRow> =
            with_conn!(conn, c => sh::shipments.filter(sh::dedup_key.eq(&key)).first::<ShipmentRow>(c).optional())?;
        if let Some(e) = existing {
            let qs: Vec<i64> = with_conn!(conn, c => sl::shipment_lines
                .filter(sl::shipment_id.eq(e.id))
                .select(sl::quantity)
                .load(c))?;
            let units: i64 = qs.iter().sum();
            return Ok(Confirmed {
                shipment: e.id,
                order: order.id,
                retailer: order.retailer_id.clone(),
                po: order.po_number.clone(),
                repeat: true,
                units,
                order_state: order.state.clone(),
            });
        }
        if !SHIPPABLE.contains(&order.state.as_str()) {
            return Err(StoreError::Invalid(format!(
                "PO {} (retailer {}) is {}: nothing can ship on it",
                order.po_number, order.retailer_id, order.state
            )));
        }
        let mut lines = orders::lines_of(conn, order.id)?;
        let open = |l: &LineRow| l.accepted - l.shipped - l.cancelled;
        // (line position, package) → units.
        let mut take: BTreeMap<(i32, usize), i64> = BTreeMap::new();
        if req.lines.is_empty() {
            for line in &lines {
                if open(line) > 0 {
                    take.insert((line.position, 0), open(line));
                }
            }
            if take.is_empty() {
                return Err(StoreError::Invalid(format!(
                    "PO {}: no line has accepted units left to ship",
                    order.po_number
                )));
            }
        } else {
            for want in &req.lines {
                let Some(line) = lines.iter().find(|l| same_line(&l.line_number, &want.line_number)) else {
                    let known: Vec<&str> = lines.iter().map(|l| l.line_number.as_str()).collect();
                    return Err(StoreError::Invalid(format!(
                        "PO {} has no line {} (lines: {})",
                        order.po_number,
                        want.line_number,
                        known.join(", ")
                    )));
                };
                if want.package >= req.packages.len() {
                    return Err(StoreError::Invalid(format!(
                        "line {}: package {} does not exist ({} given)",
                        want.line_number,
                        want.package + 1,
                        req.packages.len()
                    )));
                }
                *take.entry((line.position, want.package)).or_default() += want.quantity;
            }
        }
        let mut per_line: HashMap<i32, i64> = HashMap::new();
        for ((pos, _), q) in &take {
            *per_line.entry(*pos).or_default() += q;
        }
        let mut per_sku: BTreeMap<String, i64> = BTreeMap::new();
        for line in &mut lines {
            let Some(q) = per_line.get(&line.position).copied() else { continue };
            if q > open(line) {
                return Err(StoreError::Invalid(format!(
                    "PO {} line {}: {q} to ship, but only {} accepted and not yet shipped",
                    order.po_number,
                    line.line_number,
                    open(line).max(0)
                )));
            }
            let Some(sku) = line.sku.clone() else {
                return Err(StoreError::Invalid(format!(
                    "PO {} line {} has no known SKU",
                    order.po_number, line.line_number
                )));
            };
            *per_sku.entry(sku).or_default() += q;
            line.shipped += q;
        }
        let now = now_micros();
        for (sku, q) in &per_sku {
            let n = with_conn!(conn, c => diesel::update(s::stock
                    .filter(s::sku.eq(sku))
                    .filter(s::reserved.ge(*q))
                    .filter(s::on_hand.ge(*q)))
                .set((s::on_hand.eq(s::on_hand - *q), s::reserved.eq(s::reserved - *q), s::updated_at.eq(now)))
                .execute(c))?;
            if n != 1 {
                return Err(StoreError::Invalid(format!(
                    "stock of {sku} holds fewer than {q} reserved units: check `dropgate stock show {sku}`"
                )));
            }
        }
        for line in lines.iter().filter(|l| per_line.contains_key(&l.position)) {
            with_conn!(conn, c => diesel::update(l::order_lines.find((line.order_id, line.position)))
                .set(l::shipped.eq(line.shipped))
                .execute(c))?;
        }
        let done = lines.iter().all(|l| l.backordered <= 0 && open(l) <= 0);
        let state = if done { SHIPPED } else { PARTIALLY_SHIPPED };
        orders::set_state(conn, order.id, state)?;
        let id: i64 = with_conn!(conn, c => diesel::insert_into(sh::shipments)
            .values((
                sh::order_id.eq(order.id),
                sh::retailer_id.eq(&order.retailer_id),
                sh::dedup_key.eq(&key),
                sh::carrier.eq(req.carrier.trim()),
                sh::service.eq(req.service.trim()),
                sh::shipped_at.eq(shipped_at),
                sh::source.eq(source),
                sh::created_at.eq(now),
            ))
            .returning(sh::id)
            .get_result(c))?;
        let packages: Vec<PackageRow> = req
            .packages
            .iter()
            .enumerate()
            .map(|(i, p)| PackageRow {
                shipment_id: id,
                seq: i32::try_from(i + 1).unwrap_or(i32::MAX),
                tracking: p.tracking.clone(),
                sscc: p.sscc.clone(),
                weight_g: p.weight_g,
                length_mm: p.dims_mm.map(|d| d.0),
                width_mm: p.dims_mm.map(|d| d.1),
                height_mm: p.dims_mm.map(|d| d.2),
            })
            .collect();
        with_conn!(conn, c => diesel::insert_into(pk::packages).values(&packages).execute(c))?;
        let rows: Vec<ShipmentLineRow> = take
            .iter()
            .map(|((pos, pkg), q)| ShipmentLineRow {
                shipment_id: id,
                package_seq: i32::try_from(pkg + 1).unwrap_or(i32::MAX),
                position: *pos,
                retailer_id: order.retailer_id.clone(),
                quantity: *q,
                invoice_number: None,
                invoice_run: None,
            })
            .collect();
        with_conn!(conn, c => diesel::insert_into(sl::shipment_lines).values(&rows).execute(c))?;
        let units: i64 = rows.iter().map(|r| r.quantity).sum();
        let tracking: Vec<&str> = req.packages.iter().map(|p| p.tracking.as_str()).collect();
        super::event(
            conn,
            "shipment.confirmed",
            Some(&order.retailer_id),
            None,
            Some(order.id),
            &format!(
                "PO {}: {units} unit(s) in {} package(s) by {} {} ({}), order {state}",
                order.po_number,
                req.packages.len(),
                req.carrier,
                req.service,
                tracking.join(", ")
            ),
        )?;
        Ok(Confirmed {
            shipment: id,
            order: order.id,
            retailer: order.retailer_id.clone(),
            po: order.po_number.clone(),
            repeat: false,
            units,
            order_state: state.to_string(),
        })
    })
}

/// Line numbers match as written, or as numbers (`1` is `001`).
fn same_line(stored: &str, given: &str) -> bool {
    let (a, b) = (stored.trim(), given.trim());
    a == b
        || (!a.is_empty()
            && a.bytes().all(|c| c.is_ascii_digit())
            && b.bytes().all(|c| c.is_ascii_digit())
            && !b.is_empty()
            && a.trim_start_matches('0') == b.trim_start_matches('0'))
}

/// A shipment with everything a ship notice or invoice says of it.
#[derive(Clone, Debug)]
pub struct Full {
    pub shipment: ShipmentRow,
    pub order: OrderRow,
    pub order_lines: Vec<LineRow>,
    pub packages: Vec<PackageRow>,
    pub lines: Vec<ShipmentLineRow>,
}

impl Full {
    pub fn package(&self, seq: i32) -> Option<Package> {
        self.packages.iter().find(|p| p.seq == seq).map(|p| Package {
            tracking: p.tracking.clone(),
            sscc: p.sscc.clone(),
            weight_g: p.weight_g,
            dims_mm: match (p.length_mm, p.width_mm, p.height_mm) {
                (Some(a), Some(b), Some(c)) => Some((a, b, c)),
                _ => None,
            },
        })
    }
}

/// Loads shipments with their orders, packages and lines, in a few queries.
pub fn load_full(conn: &mut Conn, shipments: Vec<ShipmentRow>) -> Result<Vec<Full>> {
    let ids: Vec<i64> = shipments.iter().map(|s| s.id).collect();
    let mut order_ids: Vec<i64> = shipments.iter().map(|s| s.order_id).collect();
    order_ids.sort_unstable();
    order_ids.dedup();
    let mut orders_by: HashMap<i64, OrderRow> = HashMap::new();
    let mut lines_by: HashMap<i64, Vec<LineRow>> = HashMap::new();
    for chunk in order_ids.chunks(1000) {
        let rows: Vec<OrderRow> = with_conn!(conn, c => o::orders.filter(o::id.eq_any(chunk)).load(c))?;
        orders_by.extend(rows.into_iter().map(|r| (r.id, r)));
        let ls: Vec<LineRow> = with_conn!(conn, c => l::order_lines
            .filter(l::order_id.eq_any(chunk))
            .order((l::order_id.asc(), l::position.asc()))
            .load(c))?;
        for line in ls {
            lines_by.entry(line.order_id).or_default().push(line);
        }
    }
    let mut pk_by: HashMap<i64, Vec<PackageRow>> = HashMap::new();
    let mut sl_by: HashMap<i64, Vec<ShipmentLineRow>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        let ps: Vec<PackageRow> = with_conn!(conn, c => pk::packages
            .filter(pk::shipment_id.eq_any(chunk))
            .order((pk::shipment_id.asc(), pk::seq.asc()))
            .load(c))?;
        for p in ps {
            pk_by.entry(p.shipment_id).or_default().push(p);
        }
        let ls: Vec<ShipmentLineRow> = with_conn!(conn, c => sl::shipment_lines
            .filter(sl::shipment_id.eq_any(chunk))
            .order((sl::shipment_id.asc(), sl::package_seq.asc(), sl::position.asc()))
            .load(c))?;
        for line in ls {
            sl_by.entry(line.shipment_id).or_default().push(line);
        }
    }
    // An order is moved into the last of its shipments, copied into the others.
    let mut left: HashMap<i64, usize> = HashMap::with_capacity(order_ids.len());
    for s in &shipments {
        *left.entry(s.order_id).or_default() += 1;
    }
    let mut out = Vec::with_capacity(shipments.len());
    for s in shipments {
        let n = left.get_mut(&s.order_id).expect("counted above");
        *n -= 1;
        let (order, order_lines) = if *n == 0 {
            (orders_by.remove(&s.order_id), lines_by.remove(&s.order_id))
        } else {
            (orders_by.get(&s.order_id).cloned(), lines_by.get(&s.order_id).cloned())
        };
        let Some(order) = order else { continue };
        out.push(Full {
            order_lines: order_lines.unwrap_or_default(),
            packages: pk_by.remove(&s.id).unwrap_or_default(),
            lines: sl_by.remove(&s.id).unwrap_or_default(),
            order,
            shipment: s,
        });
    }
    Ok(out)
}

/// Shipments of a retailer not yet in a ship notice, oldest first.
pub fn awaiting_asn(conn: &mut Conn, retailer: &str, limit: i64) -> Result<Vec<ShipmentRow>> {
    Ok(with_conn!(conn, c => sh::shipments
        .filter(sh::retailer_id.eq(retailer))
        .filter(sh::asn_run.is_null())
        .order(sh::id.asc())
        .limit(limit)
        .load(c))?)
}

/// Shipments of a retailer with lines not yet invoiced, oldest first.
pub fn awaiting_invoice(conn: &mut Conn, retailer: &str, limit: i64) -> Result<Vec<ShipmentRow>> {
    let ids: Vec<i64> = with_conn!(conn, c => sl::shipment_lines
        .filter(sl::retailer_id.eq(retailer))
        .filter(sl::invoice_number.is_null())
        .select(sl::shipment_id)
        .distinct()
        .order(sl::shipment_id.asc())
        .limit(limit)
        .load(c))?;
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(1000) {
        out.extend(with_conn!(conn, c => sh::shipments.filter(sh::id.eq_any(chunk)).order(sh::id.asc()).load::<ShipmentRow>(c))?);
    }
    Ok(out)
}

/// Marks shipments as sent in the ship notice of batch run `run`.
pub fn mark_asn(conn: &mut Conn, ids: &[i64], run: i64) -> Result<()> {
    for chunk in ids.chunks(1000) {
        with_conn!(conn, c => diesel::update(sh::shipments.filter(sh::id.eq_any(chunk)).filter(sh::asn_run.is_null()))
            .set(sh::asn_run.eq(Some(run)))
            .execute(c))?;
    }
    Ok(())
}

diesel::table! {
    /// The invoice number of each shipment of an invoice batch, for
    /// [`mark_invoiced`] (a temporary table, there only while it runs).
    invoice_marks (shipment_id) {
        shipment_id -> BigInt,
        number -> Text,
    }
}

/// Marks the uninvoiced lines of the retailer's shipments as invoiced, each
/// shipment's under its number, in batch run `run`; returns how many lines
/// that was (a shipment invoiced meanwhile by another run adds none). The
/// numbers go to a temporary table first, so that one statement marks every
/// line, in one pass, instead of a statement per chunk of shipments.
pub fn mark_invoiced(conn: &mut Conn, retailer: &str, marks: &[(i64, String)], run: i64) -> Result<usize> {
    use diesel::sql_types::Text;
    if marks.is_empty() {
        return Ok(0);
    }
    let param = match conn.backend() {
        super::Backend::Sqlite => "?",
        super::Backend::Postgres => "$1",
    };
    let update = format!(
        "UPDATE shipment_lines SET invoice_number = invoice_marks.number, invoice_run = {run} \
         FROM invoice_marks WHERE shipment_lines.shipment_id = invoice_marks.shipment_id \
         AND shipment_lines.retailer_id = {param} AND shipment_lines.invoice_number IS NULL"
    );
    // In a transaction of its own when not in one already: the temporary
    // table goes with it, whatever happens.
    conn.write(|conn| {
        with_conn!(conn, c => {
            diesel::sql_query(
                "CREATE TEMPORARY TABLE invoice_marks (shipment_id BIGINT PRIMARY KEY NOT NULL, number TEXT NOT NULL)",
            )
            .execute(c)?;
            // Two parameters a row: well within SQLite's and PostgreSQL's limits.
            for chunk in marks.chunks(5000) {
                let rows: Vec<_> = chunk
                    .iter()
                    .map(|(s, n)| (invoice_marks::shipment_id.eq(*s), invoice_marks::number.eq(n)))
                    .collect();
                diesel::insert_into(invoice_marks::table).values(&rows).execute(c)?;
            }
            let n = diesel::sql_query(&update).bind::<Text, _>(retailer).execute(c)?;
            diesel::sql_query("DROP TABLE invoice_marks").execute(c)?;
            Ok(n)
        })
    })
}

/// Shipments of an order (or all of a retailer), newest first.
pub fn list(conn: &mut Conn, retailer: Option<&str>, limit: i64) -> Result<Vec<ShipmentRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = sh::shipments.order(sh::id.desc()).limit(limit).into_boxed();
        if let Some(r) = retailer {
            q = q.filter(sh::retailer_id.eq(r.to_string()));
        }
        q.load::<ShipmentRow>(c)
    })?)
}
