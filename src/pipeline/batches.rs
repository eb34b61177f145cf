//! Scheduled and manual batches: ship notices (856), invoices (810) and
//! inventory feeds (846) for one retailer (ship notices and invoices in
//! EDIFACT, cXML or CSV for retailers that speak those, see
//! [`super::answers`]), each batch written in one
//! transaction with its run row, its outbox rows and the marks that keep
//! a shipment out of a second notice and a shipment line out of a second
//! invoice. A batch killed midway leaves nothing; one that committed is
//! never made again (the run row of (retailer, kind, moment) is unique,
//! and batches of one retailer and kind take a lock first, so several
//! instances on one PostgreSQL database queue instead of doubling).

use crate::domain::schedule::{self, Cron};
use crate::domain::shipment::{
    available_to_sell, InventoryFeed, InventoryItem, Invoice, InvoiceLine, Notice, NoticeLine,
};
use crate::domain::{Amount, ItemId, PurchaseOrder};
use crate::formats::x12::writer::ship::{write_810, write_846, write_856};
use crate::formats::x12::writer::LineEnd;
use crate::formats::x12::{Envelope, Separators};
use crate::retailer::{FeedMode, Per, Profile};
use crate::store::batches::{self, KINDS};
use crate::store::outbox::{self, NewOutboxRow};
use crate::store::shipments::{self, Full};
use crate::store::{retailers, stock, Conn, Result, StoreError};
use serde::Serialize;
use std::collections::HashMap;

/// What one batch did.
#[derive(Clone, Debug, Serialize)]
pub struct RunOutcome {
    pub run: i64,
    pub retailer: String,
    pub kind: String,
    pub scheduled_for: i64,
    pub trigger: String,
    pub documents: i32,
    pub items: i64,
    pub outbox: Vec<i64>,
}

/// One outbound document of a batch, before it is queued.
struct Doc {
    kind: &'static str,
    functional_id: &'static str,
    isa: u32,
    gs: u32,
    po: String,
    order: Option<i64>,
    bytes: Vec<u8>,
}

fn envelope(p: &Profile, isa: u32, gs: u32, now_s: i64) -> Result<Envelope> {
    let (date, time) = crate::util::datetime_compact(now_s);
    Ok(Envelope {
        sender: p.receiver().map_err(|e| StoreError::Invalid(format!("{e:#}")))?,
        receiver: p.sender().map_err(|e| StoreError::Invalid(format!("{e:#}")))?,
        interchange_control: isa,
        group_control: gs,
        first_set_control: 1,
        version: p.x12.version.clone(),
        usage: 'P',
        ack_requested: p.x12.request_ta1,
        date,
        time: time[..4].to_string(),
        separators: Separators::default(),
    })
}

fn po_of(f: &Full) -> PurchaseOrder {
    serde_json::from_str(&f.order.detail).unwrap_or_default()
}

/// The ids a line was ordered by (our SKU as `VN` when the order had none).
fn line_ids(po: &PurchaseOrder, position: i32, sku: Option<&str>) -> Vec<ItemId> {
    let ids =
        usize::try_from(position - 1).ok().and_then(|i| po.lines.get(i)).map(|l| l.ids.clone()).unwrap_or_default();
    if ids.is_empty() {
        sku.map(|s| vec![ItemId { qualifier: "VN".into(), value: s.into() }]).unwrap_or_default()
    } else {
        ids
    }
}

fn micros_to_compact(micros: i64) -> (String, String) {
    let (d, t) = crate::util::datetime_compact(micros.div_euclid(1_000_000));
    (d, t[..4].to_string())
}

pub(super) fn notice_of(f: &Full) -> Notice {
    let po = po_of(f);
    let (date, time) = micros_to_compact(f.shipment.shipped_at);
    let lines = f
        .lines
        .iter()
        .filter_map(|l| {
            let ol = f.order_lines.iter().find(|o| o.position == l.position)?;
            Some(NoticeLine {
                line_number: ol.line_number.clone(),
                ids: line_ids(&po, l.position, ol.sku.as_deref()),
                quantity: l.quantity,
                ordered: ol.ordered,
                unit: ol.unit.clone(),
                package: usize::try_from(l.package_seq - 1).unwrap_or(0),
            })
        })
        .collect();
    Notice {
        shipment_id: format!("SHP{:09}", f.shipment.id),
        po_number: f.order.po_number.clone(),
        po_date: f.order.order_date.clone(),
        carrier: f.shipment.carrier.clone(),
        service: f.shipment.service.clone(),
        date,
        time,
        ship_to: po.ship_to().cloned(),
        packages: f.packages.iter().filter_map(|p| f.package(p.seq)).collect(),
        lines,
    }
}

pub(super) fn invoice_of(
    f: &Full,
    p: &Profile,
    number: String,
    date: &str,
    prices: &HashMap<String, Amount>,
) -> Invoice {
    let po = po_of(f);
    let mut lines: Vec<InvoiceLine> = Vec::new();
    for l in &f.lines {
        let Some(ol) = f.order_lines.iter().find(|o| o.position == l.position) else { continue };
        if let Some(existing) = lines.iter_mut().find(|x| x.line_number == ol.line_number) {
            existing.quantity += l.quantity;
            continue;
        }
        let price = usize::try_from(l.position - 1)
            .ok()
            .and_then(|i| po.lines.get(i))
            .and_then(|pl| pl.unit_price)
            .or_else(|| ol.sku.as_ref().and_then(|s| prices.get(s).copied()))
            .unwrap_or(Amount::ZERO);
        lines.push(InvoiceLine {
            line_number: ol.line_number.clone(),
            ids: line_ids(&po, l.position, ol.sku.as_deref()),
            quantity: l.quantity,
            unit: ol.unit.clone(),
            unit_price: price,
        });
    }
    Invoice {
        number,
        date: date.to_string(),
        po_number: f.order.po_number.clone(),
        po_date: f.order.order_date.clone(),
        ship_date: micros_to_compact(f.shipment.shipped_at).0,
        ship_to: po.ship_to().cloned(),
        lines,
        terms: p.invoice.terms.clone(),
        charges: p.invoice.charges.clone(),
    }
}

/// Runs one batch of `kind` for the retailer now, as scheduled for
/// `scheduled_for` (µs). `None` when that batch was run already.
pub fn run_batch(
    conn: &mut Conn,
    p: &Profile,
    kind: &str,
    scheduled_for: i64,
    trigger: &str,
    now: i64,
) -> Result<Option<RunOutcome>> {
    if !KINDS.contains(&kind) {
        return Err(StoreError::Invalid(format!("batch kind {kind:?}: asn, invoice or inventory")));
    }
    conn.write(|conn| {
        // Batches of one retailer and kind, one at a time (across instances).
        outbox::allocate_control(conn, &p.id, &format!("batch:{kind}"), 1)?;
        let Some(run) = batches::claim(conn, &p.id, kind, scheduled_for, trigger, now)? else {
            return Ok(None);
        };
        let now_s = now.div_euclid(1_000_000);
        // Retailers that speak EDIFACT, cXML or CSV get theirs (see `answers`).
        let lang = super::answers::language(p);
        if kind != "inventory" && lang != super::answers::Language::X12 {
            let (rows, items, detail) = super::answers::batch(conn, p, lang, kind, run, now)?;
            let ids = outbox::enqueue_many(conn, &rows)?;
            return finish(conn, p, kind, run, scheduled_for, trigger, now, ids, items, &detail).map(Some);
        }
        let (docs, items, detail) = match kind {
            "asn" => asn(conn, p, run, now_s)?,
            "invoice" => invoices(conn, p, run, now_s)?,
            _ => inventory(conn, p, run, now_s, now)?,
        };
        let rows: Vec<NewOutboxRow> = docs
            .iter()
            .map(|d| {
                let control = format!("{:09}", d.isa);
                NewOutboxRow {
                    retailer_id: p.id.clone(),
                    document_id: None,
                    order_id: d.order,
                    kind: d.kind.to_string(),
                    file_name: p.file_name(d.kind, &control, &d.po, now_s, i64::from(d.isa)),
                    control,
                    payload: d.bytes.clone(),
                    state: outbox::PENDING.to_string(),
                    attempts: 0,
                    next_attempt_at: now,
                    created_at: now,
                }
            })
            .collect();
        let ids = outbox::enqueue_many(conn, &rows)?;
        let groups: Vec<(String, String, i64, String)> = docs
            .iter()
            .zip(&ids)
            .map(|(d, id)| (p.id.clone(), d.gs.to_string(), *id, d.functional_id.to_string()))
            .collect();
        outbox::record_sent_groups(conn, &groups)?;
        finish(conn, p, kind, run, scheduled_for, trigger, now, ids, items, &detail).map(Some)
    })
}

/// Records a batch's run as done, with its documents (outbox ids).
#[allow(clippy::too_many_arguments)]
fn finish(
    conn: &mut Conn,
    p: &Profile,
    kind: &str,
    run: i64,
    scheduled_for: i64,
    trigger: &str,
    now: i64,
    ids: Vec<i64>,
    items: i64,
    detail: &str,
) -> Result<RunOutcome> {
    let n = i32::try_from(ids.len()).unwrap_or(i32::MAX);
    batches::finish(conn, run, n, items, detail, now)?;
    crate::store::event(
        conn,
        &format!("batch.{kind}"),
        Some(&p.id),
        None,
        None,
        &format!("{kind} batch {run} ({trigger}): {detail}"),
    )?;
    Ok(RunOutcome {
        run,
        retailer: p.id.clone(),
        kind: kind.to_string(),
        scheduled_for,
        trigger: trigger.to_string(),
        documents: n,
        items,
        outbox: ids,
    })
}

/// Interchange and group numbers for `n` documents (one interchange each,
/// or one for the whole batch).
fn controls(conn: &mut Conn, retailer: &str, n: usize, per: Per) -> Result<Vec<(u32, u32)>> {
    if n == 0 {
        return Ok(Vec::new());
    }
    let k = if per == Per::Batch { 1 } else { n };
    let k64 = i64::try_from(k).unwrap_or(i64::MAX);
    let isa = outbox::allocate_control(conn, retailer, "isa", k64)?;
    let gs = outbox::allocate_control(conn, retailer, "gs", k64)?;
    Ok((0..k).map(|i| (isa + i as u32, gs + i as u32)).collect())
}

type Made = (Vec<Doc>, i64, String);

fn asn(conn: &mut Conn, p: &Profile, run: i64, now_s: i64) -> Result<Made> {
    let ships = shipments::awaiting_asn(conn, &p.id, i64::MAX)?;
    let ids: Vec<i64> = ships.iter().map(|s| s.id).collect();
    let full = shipments::load_full(conn, ships)?;
    let notices: Vec<(Notice, i64)> = full.iter().map(|f| (notice_of(f), f.order.id)).collect();
    let numbers = controls(conn, &p.id, notices.len(), p.asn.per)?;
    let mut docs = Vec::new();
    match p.asn.per {
        Per::Batch => {
            if let Some(&(isa, gs)) = numbers.first() {
                let all: Vec<Notice> = notices.iter().map(|(n, _)| n.clone()).collect();
                let env = envelope(p, isa, gs, now_s)?;
                let bytes = write_856(&env, &all, p.asn.structure, LineEnd::Lf);
                docs.push(Doc { kind: "856", functional_id: "SH", isa, gs, po: String::new(), order: None, bytes });
            }
        }
        Per::Shipment => {
            for ((n, order), (isa, gs)) in notices.iter().zip(numbers) {
                let env = envelope(p, isa, gs, now_s)?;
                let bytes = write_856(&env, std::slice::from_ref(n), p.asn.structure, LineEnd::Lf);
                docs.push(Doc {
                    kind: "856",
                    functional_id: "SH",
                    isa,
                    gs,
                    po: n.po_number.clone(),
                    order: Some(*order),
                    bytes,
                });
            }
        }
    }
    shipments::mark_asn(conn, &ids, run)?;
    let detail = format!("{} shipment(s) in {} ship notice document(s)", ids.len(), docs.len());
    Ok((docs, i64::try_from(ids.len()).unwrap_or(i64::MAX), detail))
}

/// The retailer's shipments with lines not invoiced yet (only those lines),
/// and the unit prices of their items.
pub(super) fn uninvoiced(conn: &mut Conn, retailer: &str) -> Result<(Vec<Full>, HashMap<String, Amount>)> {
    let ships = shipments::awaiting_invoice(conn, retailer, i64::MAX)?;
    let mut full = shipments::load_full(conn, ships)?;
    for f in &mut full {
        f.lines.retain(|l| l.invoice_number.is_none());
    }
    full.retain(|f| !f.lines.is_empty());
    let skus: Vec<&str> = full.iter().flat_map(|f| f.order_lines.iter().filter_map(|l| l.sku.as_deref())).collect();
    let prices = stock::unit_prices(conn, &skus)?;
    Ok((full, prices))
}

fn invoices(conn: &mut Conn, p: &Profile, run: i64, now_s: i64) -> Result<Made> {
    let (full, prices) = uninvoiced(conn, &p.id)?;
    let n = full.len();
    let first =
        if n > 0 { outbox::allocate_control(conn, &p.id, "invoice", i64::try_from(n).unwrap_or(i64::MAX))? } else { 0 };
    let date = crate::util::datetime_compact(now_s).0;
    let invs: Vec<(Invoice, i64, i64)> = full
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let number = format!("{}{:09}", p.invoice.prefix, first as usize + i);
            (invoice_of(f, p, number, &date, &prices), f.order.id, f.shipment.id)
        })
        .collect();
    let numbers = controls(conn, &p.id, invs.len(), p.invoice.per)?;
    let mut docs = Vec::new();
    match p.invoice.per {
        Per::Batch => {
            if let Some(&(isa, gs)) = numbers.first() {
                let all: Vec<Invoice> = invs.iter().map(|(inv, _, _)| inv.clone()).collect();
                let env = envelope(p, isa, gs, now_s)?;
                let bytes = write_810(&env, &all, LineEnd::Lf);
                docs.push(Doc { kind: "810", functional_id: "IN", isa, gs, po: String::new(), order: None, bytes });
            }
        }
        Per::Shipment => {
            for ((inv, order, _), (isa, gs)) in invs.iter().zip(numbers) {
                let env = envelope(p, isa, gs, now_s)?;
                let bytes = write_810(&env, std::slice::from_ref(inv), LineEnd::Lf);
                docs.push(Doc {
                    kind: "810",
                    functional_id: "IN",
                    isa,
                    gs,
                    po: inv.po_number.clone(),
                    order: Some(*order),
                    bytes,
                });
            }
        }
    }
    let marks: Vec<(i64, String)> = invs.iter().map(|(inv, _, s)| (*s, inv.number.clone())).collect();
    let expected: usize = full.iter().map(|f| f.lines.len()).sum();
    let marked = shipments::mark_invoiced(conn, &p.id, &marks, run)?;
    if marked != expected {
        return Err(StoreError::Conflict(format!(
            "invoicing retailer {}: {marked} shipment lines marked, {expected} expected",
            p.id
        )));
    }
    let total: i64 = invs.iter().map(|(inv, _, _)| inv.total_cents()).sum();
    let detail = format!(
        "{} invoice(s), {} line(s), total {} in {} document(s)",
        invs.len(),
        expected,
        Amount::from_cents(total),
        docs.len()
    );
    Ok((docs, i64::try_from(invs.len()).unwrap_or(i64::MAX), detail))
}

fn inventory(conn: &mut Conn, p: &Profile, run: i64, now_s: i64, now: i64) -> Result<Made> {
    let rows = stock::list(conn, None)?;
    let upcs = stock::upcs(conn)?;
    let sent = if p.inventory.mode == FeedMode::Delta { batches::inventory_sent(conn, &p.id)? } else { HashMap::new() };
    let mut items = Vec::new();
    let mut record = Vec::new();
    for r in &rows {
        let theirs = p.inventory.skus.get(&r.sku);
        if p.inventory.only_listed && theirs.is_none() {
            continue;
        }
        let available = available_to_sell(r.on_hand, r.reserved, p.inventory.safety_buffer);
        if p.inventory.mode == FeedMode::Delta && sent.get(&r.sku) == Some(&available) {
            continue;
        }
        let mut ids = Vec::new();
        if let Some(t) = theirs {
            ids.push(ItemId { qualifier: "SK".into(), value: t.as_str().into() });
        }
        ids.push(ItemId { qualifier: "VN".into(), value: r.sku.as_str().into() });
        if let Some(u) = upcs.get(&r.sku) {
            ids.push(ItemId { qualifier: "UP".into(), value: u.as_str().into() });
        }
        items.push(InventoryItem { ids, available });
        record.push((r.sku.clone(), available));
    }
    let mut docs = Vec::new();
    if !items.is_empty() || p.inventory.mode == FeedMode::Full {
        let (isa, gs) = controls(conn, &p.id, 1, Per::Batch)?[0];
        let (date, time) = crate::util::datetime_compact(now_s);
        let feed = InventoryFeed { reference: format!("FEED{run:09}"), date, time: time[..4].to_string(), items };
        let env = envelope(p, isa, gs, now_s)?;
        let bytes = write_846(&env, &feed, LineEnd::Lf);
        docs.push(Doc { kind: "846", functional_id: "IB", isa, gs, po: String::new(), order: None, bytes });
    }
    batches::record_inventory_sent(conn, &p.id, &record, now)?;
    let detail = format!(
        "{} SKU(s) ({}) in {} document(s)",
        record.len(),
        if p.inventory.mode == FeedMode::Delta { "changes since the last feed" } else { "full feed" },
        docs.len()
    );
    Ok((docs, i64::try_from(record.len()).unwrap_or(i64::MAX), detail))
}

/// A scheduled batch and when it is next due.
#[derive(Clone, Debug, Serialize)]
pub struct Next {
    pub retailer: String,
    pub kind: String,
    pub cron: String,
    pub timezone: String,
    /// µs since the epoch.
    pub due: Option<i64>,
}

fn to_ts(micros: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_microsecond(micros).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

fn to_micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

/// The schedules of every retailer, with when each is next due after `now` (µs).
pub fn next_runs(conn: &mut Conn, now: i64) -> Result<Vec<Next>> {
    let mut out = Vec::new();
    for r in retailers::list(conn)? {
        let p = r.profile()?;
        let Some(sc) = &p.schedule else { continue };
        let Ok(tz) = schedule::zone(&sc.timezone) else { continue };
        for kind in KINDS {
            let Some(text) = sc.cron(kind) else { continue };
            let Ok(cron) = Cron::parse(text) else { continue };
            out.push(Next {
                retailer: p.id.clone(),
                kind: (*kind).to_string(),
                cron: text.to_string(),
                timezone: sc.timezone.clone(),
                due: cron.next_after(&tz, to_ts(now)).map(to_micros),
            });
        }
    }
    Ok(out)
}

/// Runs every scheduled batch due at `now` (µs): for each retailer and
/// kind, the latest moment due since its last run (a run missed while
/// nothing was running is made once, not once per missed moment). The
/// first moment looked at is the retailer's onboarding.
pub fn run_due(conn: &mut Conn, now: i64) -> Result<Vec<RunOutcome>> {
    let mut out = Vec::new();
    for r in retailers::list(conn)? {
        let p = match r.profile() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(retailer = %r.id, "{e}");
                continue;
            }
        };
        let Some(sc) = &p.schedule else { continue };
        let tz = match schedule::zone(&sc.timezone) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(retailer = %p.id, "{e}");
                continue;
            }
        };
        for kind in KINDS {
            let Some(text) = sc.cron(kind) else { continue };
            let Ok(cron) = Cron::parse(text) else { continue };
            let since = batches::last_scheduled(conn, &p.id, kind)?.unwrap_or(r.created_at);
            let Some(due) = cron.latest_due(&tz, to_ts(since), to_ts(now)) else { continue };
            let due = to_micros(due);
            let missed = cron.next_after(&tz, to_ts(since)).is_some_and(|first| to_micros(first) < due)
                || now - due > 60_000_000;
            let trigger = if missed { "missed" } else { "schedule" };
            if let Some(o) = run_batch(conn, &p, kind, due, trigger, now)? {
                tracing::info!(retailer = %p.id, kind, run = o.run, documents = o.documents, trigger, "batch run");
                out.push(o);
            }
        }
    }
    Ok(out)
}
