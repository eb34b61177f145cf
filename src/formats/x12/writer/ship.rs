//! 856, 810 and 846: ship notices, invoices and inventory feeds. Each
//! writer takes the documents of one batch and returns one interchange
//! with one group (GS01 `SH`, `IN`, `IB`) and one transaction set per
//! document, numbered from [`Envelope::first_set_control`].
//!
//! # 856
//! `BSN*00*<shipment id>*<date>*<time>*<structure>`, then the hierarchy:
//! - `S` (shipment): `TD1` (packages and gross weight in kilograms when
//!   every package was weighed), `TD5` (carrier: SCAC qualifier `2` when
//!   the carrier is a 2–4 letter code, and carrier and service as the
//!   routing), `REF*CN` with the first tracking number, `DTM*011` the ship
//!   date, `N1*ST` the consumer's address;
//! - `O` (order): `PRF` with the PO number and date;
//! - S-O-P-I (`BSN05` `0001`): a `P` per package with `TD1` (weight),
//!   `MAN*CP` (tracking) and `MAN*GM` (SSCC-18, when the package has one),
//!   and under it an `I` per order line in the package;
//! - flat (`BSN05` `0004`): the `MAN` segments of every package under the
//!   order, then an `I` per order line (all packages added up);
//! - `I` (item): `LIN` with the order's item ids, `SN1` with the line
//!   number, units shipped and units ordered.
//!
//! `CTT` holds the number of `HL` segments.
//!
//! # 810
//! `BIG*<date>*<invoice number>*<PO date>*<PO number>`, `N1*ST`, `ITD`
//! from the terms when there are any, `DTM*011` the ship date, an `IT1`
//! per line (line number, units shipped, unit, price with basis `PE`, item
//! ids), `TDS` with the total in cents (lines, each rounded to the cent,
//! plus charges less allowances), a `SAC` per allowance or charge (amount
//! in cents), `CTT` with the number of `IT1`s.
//!
//! # 846
//! `BIA*00*MM*<reference>*<date>*<time>`, then per item `LIN` (its ids)
//! and `QTY*33*<available>*EA`, then `CTT` with the number of `LIN`s.

use super::builder::{self, Comp, Delimiters, InterchangeBuilder, LineEnd, Seg, Spec};
use super::order::{id_pairs, unit_of, valid_or};
use super::versions::Widths;
use crate::domain::shipment::{AsnStructure, InventoryFeed, Invoice, Notice, NoticeLine, Package};
use crate::domain::{Amount, Party};
use crate::formats::x12::model::Envelope;

/// The `N1` loop of a party: name, up to two street lines, city/state/postal code/country.
fn party(ic: &mut InterchangeBuilder, p: &Party) {
    ic.put(Seg::new("N1").req(p.role.as_str(), Spec::id(2, 3)).opt(p.name.as_deref().unwrap_or(""), Spec::an(1, 60)));
    let street: Vec<&str> = p.address.iter().map(|s| s.as_str()).filter(|s| !s.trim().is_empty()).take(2).collect();
    if let Some(first) = street.first() {
        ic.put(Seg::new("N3").req(*first, Spec::an(1, 55)).opt(street.get(1).copied().unwrap_or(""), Spec::an(1, 55)));
    }
    if p.city.is_some() || p.postal_code.is_some() {
        ic.put(
            Seg::new("N4")
                .opt(p.city.as_deref().unwrap_or(""), Spec::an(2, 30))
                .opt(p.state.as_deref().unwrap_or(""), Spec::id(2, 2))
                .opt(p.postal_code.as_deref().unwrap_or(""), Spec::id(3, 15))
                .opt(p.country.as_deref().unwrap_or(""), Spec::id(2, 3)),
        );
    }
}

/// Grams as kilograms with up to three decimals.
fn kilograms(grams: i64) -> String {
    Amount::from_raw(grams * 10).to_x12()
}

/// A carrier name that is a SCAC-like code (2 to 4 letters).
fn scac(carrier: &str) -> Option<&str> {
    let c = carrier.trim();
    ((2..=4).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_uppercase())).then_some(c)
}

/// `TD1` of packages: count, and the gross weight when all were weighed.
fn td1(packages: &[&Package]) -> Seg {
    let seg = Seg::new("TD1").req("CTN25", Spec::an(3, 5)).req(packages.len().to_string(), Spec::n0(1, 7));
    let weights: Option<i64> = packages.iter().map(|p| p.weight_g).sum();
    match weights {
        Some(g) if g > 0 => seg
            .empty()
            .empty()
            .empty()
            .req("G", Spec::id(1, 2))
            .req(kilograms(g), Spec::r(1, 10))
            .req("KG", Spec::id(2, 2)),
        _ => seg,
    }
}

fn man(ic: &mut InterchangeBuilder, p: &Package) {
    ic.put(Seg::new("MAN").req("CP", Spec::id(1, 2)).req(&p.tracking, Spec::an(1, 48)));
    if let Some(s) = &p.sscc {
        ic.put(Seg::new("MAN").req("GM", Spec::id(1, 2)).req(s, Spec::an(1, 48)));
    }
}

fn item(ic: &mut InterchangeBuilder, w: Widths, d: &Delimiters, line: &NoticeLine, quantity: i64) {
    let mut lin = Seg::new("LIN").empty();
    let pairs = id_pairs(&line.ids, w.item_id(), d);
    for (q, v) in &pairs {
        lin = lin.req(q, Spec::id(2, 2)).req(v, Spec::an(1, w.item_id()));
    }
    if !pairs.is_empty() {
        ic.put(lin);
    }
    let unit = unit_of(Some(&line.unit), d);
    ic.put(
        Seg::new("SN1")
            .opt(&line.line_number, Spec::an(1, 20))
            .req(quantity.to_string(), Spec::r(1, 10))
            .req(&unit, Spec::id(2, 2))
            .empty()
            .opt(line.ordered.to_string(), Spec::r(1, 15))
            .opt(&unit, Spec::id(2, 2)),
    );
}

/// See the module documentation; `structure` picks S-O-P-I or flat.
pub fn write_856(env: &Envelope, notices: &[Notice], structure: AsnStructure, line_end: LineEnd) -> Vec<u8> {
    let w = Widths::of(&env.version);
    let mut ic = InterchangeBuilder::new(env, &env.version, env.ack_requested, line_end);
    let d = *ic.delimiters();
    ic.begin_group("SH", &env.version);
    for n in notices {
        ic.begin_set("856", None);
        let date = w.format_date(&valid_or(Some(&n.date), ic.date()));
        let time = n.time.get(..4).filter(|t| builder::valid_time(t)).unwrap_or("0000").to_string();
        let code = match structure {
            AsnStructure::Sopi => "0001",
            AsnStructure::Flat => "0004",
        };
        ic.put(
            Seg::new("BSN")
                .req("00", Spec::id(2, 2))
                .req(&n.shipment_id, Spec::an(2, 30))
                .req(&date, Spec::dt(w.date()))
                .req(&time, Spec::tm(4, 8))
                .req(code, Spec::id(4, 4)),
        );
        let mut hl = 0u32;
        let mut next_hl = |parent: Option<u32>, level: &str, ic: &mut InterchangeBuilder| {
            hl += 1;
            ic.put(
                Seg::new("HL")
                    .req(hl.to_string(), Spec::an(1, 12))
                    .opt(parent.map(|p| p.to_string()).unwrap_or_default(), Spec::an(1, 12))
                    .req(level, Spec::id(1, 2)),
            );
            hl
        };
        let s = next_hl(None, "S", &mut ic);
        let all: Vec<&Package> = n.packages.iter().collect();
        ic.put(td1(&all));
        let routing = format!("{} {}", n.carrier, n.service);
        let td5 = match scac(&n.carrier) {
            Some(c) => Seg::new("TD5").empty().req("2", Spec::id(1, 2)).req(c, Spec::an(2, 80)),
            None => Seg::new("TD5").empty().empty().empty(),
        };
        ic.put(td5.req("U", Spec::id(1, 2)).req(routing.trim(), Spec::an(1, 35)));
        if let Some(p) = n.packages.first() {
            ic.put(Seg::new("REF").req("CN", Spec::id(2, 3)).req(&p.tracking, Spec::an(1, 30)));
        }
        ic.put(Seg::new("DTM").req("011", Spec::id(3, 3)).req(&date, Spec::dt(w.date())).req(&time, Spec::tm(4, 8)));
        if let Some(p) = &n.ship_to {
            party(&mut ic, p);
        }
        let o = next_hl(Some(s), "O", &mut ic);
        let po_date = n.po_date.as_deref().filter(|d| d.len() == 8 && builder::valid_date(d)).map(|d| w.format_date(d));
        ic.put(
            Seg::new("PRF")
                .req(&n.po_number, Spec::an(1, 22))
                .empty()
                .empty()
                .opt(po_date.unwrap_or_default(), Spec::dt(w.date())),
        );
        match structure {
            AsnStructure::Sopi => {
                for (i, p) in n.packages.iter().enumerate() {
                    let pk = next_hl(Some(o), "P", &mut ic);
                    if p.weight_g.is_some() {
                        ic.put(td1(&[p]));
                    }
                    man(&mut ic, p);
                    for line in n.lines.iter().filter(|l| l.package == i) {
                        next_hl(Some(pk), "I", &mut ic);
                        item(&mut ic, w, &d, line, line.quantity);
                    }
                }
            }
            AsnStructure::Flat => {
                for p in &n.packages {
                    man(&mut ic, p);
                }
                let mut seen: Vec<&str> = Vec::new();
                for line in &n.lines {
                    if seen.contains(&line.line_number.as_str()) {
                        continue;
                    }
                    seen.push(&line.line_number);
                    let q: i64 = n.lines.iter().filter(|l| l.line_number == line.line_number).map(|l| l.quantity).sum();
                    next_hl(Some(o), "I", &mut ic);
                    item(&mut ic, w, &d, line, q);
                }
            }
        }
        ic.put(Seg::new("CTT").req(hl.to_string(), Spec::n0(1, 6)));
        ic.end_set();
    }
    ic.end_group();
    ic.finish()
}

/// See the module documentation.
pub fn write_810(env: &Envelope, invoices: &[Invoice], line_end: LineEnd) -> Vec<u8> {
    let w = Widths::of(&env.version);
    let mut ic = InterchangeBuilder::new(env, &env.version, env.ack_requested, line_end);
    let d = *ic.delimiters();
    ic.begin_group("IN", &env.version);
    for inv in invoices {
        ic.begin_set("810", None);
        let date = w.format_date(&valid_or(Some(&inv.date), ic.date()));
        let po_date =
            inv.po_date.as_deref().filter(|d| d.len() == 8 && builder::valid_date(d)).map(|d| w.format_date(d));
        ic.put(
            Seg::new("BIG")
                .req(&date, Spec::dt(w.date()))
                .req(&inv.number, Spec::an(1, 22))
                .opt(po_date.unwrap_or_default(), Spec::dt(w.date()))
                .opt(&inv.po_number, Spec::an(1, 22)),
        );
        if let Some(p) = &inv.ship_to {
            party(&mut ic, p);
        }
        if let Some(t) = &inv.terms {
            ic.put(
                Seg::new("ITD")
                    .opt(&t.type_code, Spec::id(2, 2))
                    .opt(&t.basis, Spec::id(1, 2))
                    .opt(t.discount_percent.map(|p| p.to_x12()).unwrap_or_default(), Spec::r(1, 6))
                    .empty()
                    .opt(t.discount_days.map(|n| n.to_string()).unwrap_or_default(), Spec::n0(1, 3))
                    .empty()
                    .opt(t.net_days.map(|n| n.to_string()).unwrap_or_default(), Spec::n0(1, 3))
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .opt(t.description.as_deref().unwrap_or(""), Spec::an(1, 80)),
            );
        }
        let ship = w.format_date(&valid_or(Some(&inv.ship_date), ic.date()));
        ic.put(Seg::new("DTM").req("011", Spec::id(3, 3)).req(ship, Spec::dt(w.date())));
        for line in &inv.lines {
            let mut it1 = Seg::new("IT1")
                .opt(&line.line_number, Spec::an(1, 20))
                .req(line.quantity.to_string(), Spec::r(1, 10))
                .req(unit_of(Some(&line.unit), &d), Spec::id(2, 2))
                .req(line.unit_price.to_x12(), Spec::r(1, 17))
                .req("PE", Spec::id(2, 2));
            for (q, v) in id_pairs(&line.ids, w.item_id(), &d) {
                it1 = it1.req(q, Spec::id(2, 2)).req(v, Spec::an(1, w.item_id()));
            }
            ic.put(it1);
        }
        ic.put(Seg::new("TDS").req(inv.total_cents().to_string(), Spec::n0(1, 15)));
        for c in &inv.charges {
            ic.put(
                Seg::new("SAC")
                    .req(&c.indicator, Spec::id(1, 1))
                    .req(&c.code, Spec::id(4, 4))
                    .empty()
                    .empty()
                    .req(c.amount.cents().to_string(), Spec::n0(1, 15))
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .empty()
                    .opt(c.description.as_deref().unwrap_or(""), Spec::an(1, 80)),
            );
        }
        ic.put(Seg::new("CTT").req(inv.lines.len().to_string(), Spec::n0(1, 6)));
        ic.end_set();
    }
    ic.end_group();
    ic.finish()
}

/// See the module documentation.
pub fn write_846(env: &Envelope, feed: &InventoryFeed, line_end: LineEnd) -> Vec<u8> {
    let w = Widths::of(&env.version);
    let mut ic = InterchangeBuilder::new(env, &env.version, env.ack_requested, line_end);
    let d = *ic.delimiters();
    ic.begin_group("IB", &env.version);
    ic.begin_set("846", None);
    let date = w.format_date(&valid_or(Some(&feed.date), ic.date()));
    let time = feed.time.get(..4).filter(|t| builder::valid_time(t)).unwrap_or("0000").to_string();
    ic.put(
        Seg::new("BIA")
            .req("00", Spec::id(2, 2))
            .req("MM", Spec::id(2, 2))
            .req(&feed.reference, Spec::an(1, 30))
            .req(&date, Spec::dt(w.date()))
            .opt(&time, Spec::tm(4, 8)),
    );
    let mut count = 0u64;
    for it in &feed.items {
        let pairs = id_pairs(&it.ids, w.item_id(), &d);
        if pairs.is_empty() {
            continue;
        }
        let mut lin = Seg::new("LIN").empty();
        for (q, v) in &pairs {
            lin = lin.req(q, Spec::id(2, 2)).req(v, Spec::an(1, w.item_id()));
        }
        ic.put(lin);
        ic.put(
            Seg::new("QTY")
                .req("33", Spec::id(2, 2))
                .req(it.available.max(0).to_string(), Spec::r(1, 15))
                .composite(vec![Comp::req("EA", Spec::id(2, 2))]),
        );
        count += 1;
    }
    ic.put(Seg::new("CTT").req(count.to_string(), Spec::n0(1, 6)));
    ic.end_set();
    ic.end_group();
    ic.finish()
}
