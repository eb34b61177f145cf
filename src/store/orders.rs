//! Orders and their lines.

use super::schema::{order_lines::dsl as l, orders::dsl as o};
use super::{now_micros, with_conn, Conn, Result};
use diesel::prelude::*;
use serde::Serialize;

/// Order states.
pub const CANCELLED: &str = "cancelled";

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct OrderRow {
    pub id: i64,
    #[serde(rename = "retailer")]
    pub retailer_id: String,
    pub po_number: String,
    #[serde(skip)]
    pub ship_to_key: String,
    pub document_id: i64,
    pub interchange_control: String,
    pub set_control: String,
    pub state: String,
    pub order_date: Option<String>,
    pub ship_to_name: Option<String>,
    #[serde(skip)]
    pub detail: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Clone, Debug, Serialize, Queryable, Insertable, AsChangeset)]
#[diesel(table_name = super::schema::order_lines)]
pub struct LineRow {
    #[serde(skip)]
    pub order_id: i64,
    #[serde(skip)]
    pub position: i32,
    #[serde(rename = "line")]
    pub line_number: String,
    pub sku: Option<String>,
    /// The identifier the retailer ordered by (`UP:012345678905`).
    pub item: String,
    pub unit: String,
    pub ordered: i64,
    pub accepted: i64,
    pub backordered: i64,
    pub rejected: i64,
    pub shipped: i64,
    pub cancelled: i64,
    pub reason: Option<String>,
}

pub fn find_by_po(conn: &mut Conn, retailer: &str, po: &str) -> Result<Vec<OrderRow>> {
    Ok(with_conn!(conn, c => o::orders
        .filter(o::retailer_id.eq(retailer))
        .filter(o::po_number.eq(po))
        .order(o::id.asc())
        .load::<OrderRow>(c))?)
}

pub fn get(conn: &mut Conn, id: i64) -> Result<Option<OrderRow>> {
    Ok(with_conn!(conn, c => o::orders.find(id).first::<OrderRow>(c).optional())?)
}

pub fn lines_of(conn: &mut Conn, order: i64) -> Result<Vec<LineRow>> {
    Ok(with_conn!(conn, c => l::order_lines.filter(l::order_id.eq(order)).order(l::position.asc()).load::<LineRow>(c))?)
}

pub fn update_line(conn: &mut Conn, line: &LineRow) -> Result<()> {
    with_conn!(conn, c => diesel::update(l::order_lines.find((line.order_id, line.position))).set(line).execute(c))?;
    Ok(())
}

pub fn set_state(conn: &mut Conn, order: i64, state: &str) -> Result<()> {
    let now = now_micros();
    with_conn!(conn, c => diesel::update(o::orders.find(order)).set((o::state.eq(state), o::updated_at.eq(now))).execute(c))?;
    Ok(())
}

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub retailer: Option<String>,
    pub state: Option<String>,
    pub po: Option<String>,
    pub limit: i64,
}

pub fn list(conn: &mut Conn, f: &OrderFilter) -> Result<Vec<(OrderRow, Vec<LineRow>)>> {
    let rows: Vec<OrderRow> = with_conn!(conn, c => {
        let mut q = o::orders.order(o::id.asc()).limit(f.limit).into_boxed();
        if let Some(r) = &f.retailer {
            q = q.filter(o::retailer_id.eq(r.clone()));
        }
        if let Some(s) = &f.state {
            q = q.filter(o::state.eq(s.clone()));
        }
        if let Some(p) = &f.po {
            q = q.filter(o::po_number.eq(p.clone()));
        }
        q.load::<OrderRow>(c)
    })?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut lines: Vec<LineRow> = Vec::new();
    for chunk in ids.chunks(500) {
        lines.extend(with_conn!(conn, c => l::order_lines
            .filter(l::order_id.eq_any(chunk))
            .order((l::order_id.asc(), l::position.asc()))
            .load::<LineRow>(c))?);
    }
    let mut by_order: std::collections::HashMap<i64, Vec<LineRow>> = std::collections::HashMap::new();
    for line in lines {
        by_order.entry(line.order_id).or_default().push(line);
    }
    Ok(rows
        .into_iter()
        .map(|r| {
            let ls = by_order.remove(&r.id).unwrap_or_default();
            (r, ls)
        })
        .collect())
}

/// Units reserved per SKU by open order lines (accepted − shipped − cancelled):
/// what `stock.reserved` must equal.
pub fn reserved_by_lines(conn: &mut Conn) -> Result<Vec<(String, i64)>> {
    let rows: Vec<(Option<String>, i64, i64)> = with_conn!(conn, c => l::order_lines
        .inner_join(o::orders)
        .filter(o::state.ne(CANCELLED))
        .select((l::sku, l::accepted, l::shipped))
        .load(c))?;
    let mut m: std::collections::BTreeMap<String, i64> = std::collections::BTreeMap::new();
    for (sku, acc, shipped) in rows {
        if let Some(s) = sku {
            *m.entry(s).or_default() += acc - shipped;
        }
    }
    Ok(m.into_iter().collect())
}

/// An order row to insert with others in one statement.
#[derive(Clone, Debug, Insertable)]
#[diesel(table_name = super::schema::orders)]
pub struct NewOrderRow {
    pub retailer_id: String,
    pub po_number: String,
    pub ship_to_key: String,
    pub document_id: i64,
    pub interchange_control: String,
    pub set_control: String,
    pub state: String,
    pub order_date: Option<String>,
    pub ship_to_name: Option<String>,
    pub detail: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// Inserts many orders with their lines; returns the order ids in order.
pub fn insert_many(conn: &mut Conn, rows: &[NewOrderRow], lines: &mut [Vec<LineRow>]) -> Result<Vec<i64>> {
    let mut ids = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(200) {
        let got: Vec<i64> =
            with_conn!(conn, c => diesel::insert_into(o::orders).values(chunk).returning(o::id).get_results(c))?;
        ids.extend(got);
    }
    let mut all: Vec<LineRow> = Vec::new();
    for (id, ls) in ids.iter().zip(lines.iter_mut()) {
        for l in ls.iter_mut() {
            l.order_id = *id;
        }
        all.extend(ls.iter().cloned());
    }
    for chunk in all.chunks(300) {
        with_conn!(conn, c => diesel::insert_into(l::order_lines).values(chunk).execute(c))?;
    }
    Ok(ids)
}

/// Orders of a retailer with any of these PO numbers.
pub fn find_many(conn: &mut Conn, retailer: &str, pos: &[&str]) -> Result<Vec<OrderRow>> {
    let mut out = Vec::new();
    for chunk in pos.chunks(500) {
        out.extend(with_conn!(conn, c => o::orders
            .filter(o::retailer_id.eq(retailer))
            .filter(o::po_number.eq_any(chunk))
            .load::<OrderRow>(c))?);
    }
    Ok(out)
}
