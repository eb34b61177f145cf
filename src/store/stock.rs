//! Products, their aliases (UPC, vendor and buyer item numbers) and stock.

use super::schema::{products::dsl as p, sku_aliases::dsl as a, stock::dsl as s};
use super::{now_micros, with_conn, Conn, Result, StoreError};
use diesel::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Clone, Debug, Serialize, Queryable)]
pub struct StockRow {
    pub sku: String,
    pub on_hand: i64,
    pub reserved: i64,
    #[serde(skip)]
    pub updated_at: i64,
}

impl StockRow {
    /// Free to promise: on hand − reserved, never below zero.
    pub fn available(&self) -> i64 {
        (self.on_hand - self.reserved).max(0)
    }
}

/// One row of a stock file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StockItem {
    pub sku: String,
    pub on_hand: i64,
    pub upc: Option<String>,
    pub vendor_sku: Option<String>,
    pub description: Option<String>,
    pub unit_price: Option<String>,
    /// Where it is picked from (aisle, bay, bin): packing slips are sorted by it.
    pub location: Option<String>,
}

#[derive(Clone, Debug, Default, Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub zeroed: usize,
    /// SKUs whose new on-hand is below what is already reserved.
    pub oversold: Vec<(String, i64)>,
}

/// Identifier spellings tried for a value: as given, and for GTINs (8 to 14
/// digits) the zero-padded GTIN-14, so a UPC-A matches a `UK` GTIN-14.
pub fn alias_keys(value: &str) -> Vec<String> {
    let v = value.trim();
    let mut out = vec![v.to_string()];
    if (8..=14).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
        let gtin = format!("{v:0>14}");
        if gtin != v {
            out.push(gtin);
        }
    }
    out
}

/// Applies a stock file in one transaction: products, aliases and on-hand
/// (replaced, reservations kept). With `full`, SKUs missing from the file
/// get on-hand 0.
pub fn import(conn: &mut Conn, items: &[StockItem], full: bool) -> Result<ImportSummary> {
    let now = now_micros();
    conn.write(|conn| {
        let mut sum = ImportSummary::default();
        let existing: HashMap<String, StockRow> =
            with_conn!(conn, c => s::stock.load::<StockRow>(c))?.into_iter().map(|r| (r.sku.clone(), r)).collect();
        for it in items {
            with_conn!(conn, c => diesel::insert_into(p::products)
                .values((p::sku.eq(&it.sku), p::description.eq(&it.description), p::unit_price.eq(&it.unit_price), p::location.eq(&it.location), p::updated_at.eq(now)))
                .on_conflict(p::sku)
                .do_update()
                .set((
                    p::description.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>("COALESCE(excluded.description, products.description)")),
                    p::unit_price.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>("COALESCE(excluded.unit_price, products.unit_price)")),
                    p::location.eq(diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>("COALESCE(excluded.location, products.location)")),
                    p::updated_at.eq(now),
                ))
                .execute(c))?;
            let mut aliases: Vec<(String, &str)> = vec![(it.sku.clone(), "sku")];
            for (v, kind) in [(&it.upc, "upc"), (&it.vendor_sku, "vendor_sku")] {
                if let Some(v) = v {
                    aliases.extend(alias_keys(v).into_iter().map(|k| (k, kind)));
                }
            }
            for (alias, kind) in aliases {
                with_conn!(conn, c => diesel::insert_into(a::sku_aliases)
                    .values((a::alias.eq(&alias), a::sku.eq(&it.sku), a::kind.eq(kind)))
                    .on_conflict(a::alias)
                    .do_update()
                    .set((a::sku.eq(&it.sku), a::kind.eq(kind)))
                    .execute(c))?;
            }
            match existing.get(&it.sku) {
                Some(row) => {
                    if row.on_hand != it.on_hand {
                        with_conn!(conn, c => diesel::update(s::stock.find(&it.sku))
                            .set((s::on_hand.eq(it.on_hand), s::updated_at.eq(now)))
                            .execute(c))?;
                    }
                    if it.on_hand < row.reserved {
                        sum.oversold.push((it.sku.clone(), row.reserved - it.on_hand));
                    }
                    sum.updated += 1;
                }
                None => {
                    with_conn!(conn, c => diesel::insert_into(s::stock)
                        .values((s::sku.eq(&it.sku), s::on_hand.eq(it.on_hand), s::reserved.eq(0_i64), s::updated_at.eq(now)))
                        .execute(c))?;
                    sum.created += 1;
                }
            }
        }
        if full {
            let listed: std::collections::HashSet<&str> = items.iter().map(|i| i.sku.as_str()).collect();
            for (sku, row) in &existing {
                if !listed.contains(sku.as_str()) && row.on_hand != 0 {
                    with_conn!(conn, c => diesel::update(s::stock.find(sku)).set((s::on_hand.eq(0_i64), s::updated_at.eq(now))).execute(c))?;
                    sum.zeroed += 1;
                    if row.reserved > 0 {
                        sum.oversold.push((sku.clone(), row.reserved));
                    }
                }
            }
        }
        super::event(
            conn,
            "stock.imported",
            None,
            None,
            None,
            &format!("{} created, {} updated, {} zeroed", sum.created, sum.updated, sum.zeroed),
        )?;
        Ok(sum)
    })
}

pub fn list(conn: &mut Conn, sku_prefix: Option<&str>) -> Result<Vec<StockRow>> {
    Ok(with_conn!(conn, c => {
        let mut q = s::stock.order(s::sku.asc()).into_boxed();
        if let Some(pfx) = sku_prefix {
            q = q.filter(s::sku.like(format!("{}%", pfx.replace('%', "\\%").replace('_', "\\_"))).escape('\\'));
        }
        q.load::<StockRow>(c)
    })?)
}

/// What the catalogue says of a product, for packing slips.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProductInfo {
    pub description: Option<String>,
    /// Where it is picked from.
    pub location: Option<String>,
}

/// Catalogue text and pick location of each SKU given (those known).
pub fn products(conn: &mut Conn, skus: &[&str]) -> Result<HashMap<String, ProductInfo>> {
    let mut out = HashMap::new();
    for chunk in skus.chunks(500) {
        let rows: Vec<(String, Option<String>, Option<String>)> = with_conn!(conn, c => p::products
            .select((p::sku, p::description, p::location))
            .filter(p::sku.eq_any(chunk))
            .load(c))?;
        out.extend(rows.into_iter().map(|(s, description, location)| (s, ProductInfo { description, location })));
    }
    Ok(out)
}

pub fn get(conn: &mut Conn, sku: &str) -> Result<Option<StockRow>> {
    Ok(with_conn!(conn, c => s::stock.find(sku).first::<StockRow>(c).optional())?)
}

/// Resolves identifier values to SKUs: value → SKU for every value known.
pub fn resolve_aliases(conn: &mut Conn, values: &[String]) -> Result<HashMap<String, String>> {
    if values.is_empty() {
        return Ok(HashMap::new());
    }
    let mut keys: Vec<String> = values.iter().flat_map(|v| alias_keys(v)).collect();
    keys.sort();
    keys.dedup();
    let mut found: HashMap<String, String> = HashMap::new();
    for chunk in keys.chunks(500) {
        let rows: Vec<(String, String)> =
            with_conn!(conn, c => a::sku_aliases.select((a::alias, a::sku)).filter(a::alias.eq_any(chunk)).load(c))?;
        found.extend(rows);
    }
    let mut out = HashMap::new();
    for v in values {
        if let Some(sku) = alias_keys(v).iter().find_map(|k| found.get(k)) {
            out.insert(v.clone(), sku.clone());
        }
    }
    Ok(out)
}

/// Free stock (on hand − reserved) for each SKU, as seen in this transaction.
pub fn available(conn: &mut Conn, skus: &[&str]) -> Result<HashMap<String, i64>> {
    if skus.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<StockRow> = with_conn!(conn, c => s::stock.filter(s::sku.eq_any(skus)).load(c))?;
    Ok(rows.into_iter().map(|r| (r.sku.clone(), r.available())).collect())
}

/// Reserves `qty` units of `sku` with one conditional update: it succeeds
/// only while enough is free. A refusal means stock changed since it was
/// read; the caller's transaction is then retried ([`StoreError::Conflict`]).
pub fn reserve(conn: &mut Conn, sku: &str, qty: i64) -> Result<()> {
    if qty <= 0 {
        return Ok(());
    }
    let now = now_micros();
    let n = with_conn!(conn, c => diesel::update(s::stock.filter(s::sku.eq(sku)).filter((s::on_hand - s::reserved).ge(qty)))
        .set((s::reserved.eq(s::reserved + qty), s::updated_at.eq(now)))
        .execute(c))?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("stock of {sku} changed while reserving {qty}")))
    }
}

/// Reserves one unit if any is free; `Ok(false)` when none is.
pub fn try_reserve(conn: &mut Conn, sku: &str, qty: i64) -> Result<bool> {
    match reserve(conn, sku, qty) {
        Ok(()) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Gives reserved units back (cancelled lines).
pub fn release(conn: &mut Conn, sku: &str, qty: i64) -> Result<()> {
    if qty <= 0 {
        return Ok(());
    }
    let now = now_micros();
    let n = with_conn!(conn, c => diesel::update(s::stock.filter(s::sku.eq(sku)).filter(s::reserved.ge(qty)))
        .set((s::reserved.eq(s::reserved - qty), s::updated_at.eq(now)))
        .execute(c))?;
    if n == 1 {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!("cannot release {qty} of {sku}: fewer are reserved")))
    }
}

/// The catalogue unit price of each SKU given that has one.
pub fn unit_prices(conn: &mut Conn, skus: &[&str]) -> Result<HashMap<String, crate::domain::Amount>> {
    let mut out = HashMap::new();
    let mut uniq: Vec<&str> = skus.to_vec();
    uniq.sort_unstable();
    uniq.dedup();
    for chunk in uniq.chunks(500) {
        let rows: Vec<(String, Option<String>)> =
            with_conn!(conn, c => p::products.select((p::sku, p::unit_price)).filter(p::sku.eq_any(chunk)).load(c))?;
        for (sku, price) in rows {
            if let Some(a) = price.as_deref().and_then(crate::domain::Amount::parse) {
                out.insert(sku, a);
            }
        }
    }
    Ok(out)
}

/// The UPC of each SKU that has one (as imported, not the padded GTIN-14).
pub fn upcs(conn: &mut Conn) -> Result<HashMap<String, String>> {
    let rows: Vec<(String, String)> =
        with_conn!(conn, c => a::sku_aliases.select((a::sku, a::alias)).filter(a::kind.eq("upc")).load(c))?;
    let mut out: HashMap<String, String> = HashMap::new();
    for (sku, alias) in rows {
        match out.get(&sku) {
            Some(have) if have.len() <= alias.len() => {}
            _ => {
                out.insert(sku, alias);
            }
        }
    }
    Ok(out)
}
