//! The work of one document, gathered in memory and written in a few
//! statements at the end: orders and their lines, stock reservations (one
//! guarded update per SKU), outbox rows and control numbers (one block per
//! retailer). Each order is still decided in turn against what is left.

use crate::domain::{OrderDecision, PurchaseOrder};
use crate::store::orders::{self, LineRow, NewOrderRow};
use crate::store::outbox::{self, NewOutboxRow};
use crate::store::{now_micros, stock, Conn, Result};
use std::collections::{BTreeMap, HashMap};

/// Control numbers handed out from blocks allocated in the transaction.
#[derive(Default)]
pub(super) struct Controls {
    blocks: HashMap<(String, &'static str), (u32, u32)>,
}

impl Controls {
    /// Allocates `n` numbers of `kind` for `retailer` in one statement.
    pub fn reserve(&mut self, conn: &mut Conn, retailer: &str, kind: &'static str, n: u32) -> Result<()> {
        if n > 0 {
            let first = outbox::allocate_control(conn, retailer, kind, i64::from(n))?;
            self.blocks.insert((retailer.to_string(), kind), (first, n));
        }
        Ok(())
    }

    /// The next number of `kind` for `retailer`.
    pub fn next(&mut self, conn: &mut Conn, retailer: &str, kind: &'static str) -> Result<u32> {
        if let Some((next, left)) = self.blocks.get_mut(&(retailer.to_string(), kind)) {
            if *left > 0 {
                let n = *next;
                *next += 1;
                *left -= 1;
                return Ok(n);
            }
        }
        outbox::allocate_control(conn, retailer, kind, 1)
    }
}

/// Which order an outbound document belongs to.
#[derive(Clone, Copy, Debug)]
pub(super) enum OrderRef {
    None,
    Existing(i64),
    New(usize),
}

/// An order known in this document: stored before, or new in it.
#[derive(Clone, Debug)]
pub(super) struct Known {
    pub order: OrderRef,
    pub po: PurchaseOrder,
    pub decision: OrderDecision,
}

struct Out {
    row: NewOutboxRow,
    order: OrderRef,
    /// (group control, functional id) of a document whose 997 we expect.
    group: Option<(String, &'static str)>,
}

#[derive(Default)]
pub(super) struct Batch {
    pub controls: Controls,
    /// Free units per SKU as this document sees them.
    free: HashMap<String, i64>,
    /// Units to reserve per SKU when the batch is written.
    take: BTreeMap<String, i64>,
    orders: Vec<NewOrderRow>,
    lines: Vec<Vec<LineRow>>,
    out: Vec<Out>,
    /// Identifier value → SKU.
    pub aliases: HashMap<String, String>,
    /// (retailer, PO number, ship-to key) → order.
    pub known: HashMap<(String, String, String), Known>,
}

impl Batch {
    /// Loads in a few queries what the orders of this document will look up.
    pub fn prefetch(&mut self, conn: &mut Conn, retailer: &str, pos: &[&PurchaseOrder]) -> Result<()> {
        let values: Vec<String> =
            pos.iter().flat_map(|p| p.lines.iter().flat_map(|l| l.ids.iter().map(|i| i.value.to_string()))).collect();
        self.aliases.extend(stock::resolve_aliases(conn, &values)?);
        let mut skus: Vec<&str> =
            self.aliases.values().map(String::as_str).filter(|s| !self.free.contains_key(*s)).collect();
        skus.sort_unstable();
        skus.dedup();
        let free = stock::available(conn, &skus)?;
        for s in skus {
            self.free.insert(s.to_string(), free.get(s).copied().unwrap_or(0));
        }
        let numbers: Vec<&str> = pos.iter().map(|p| p.po_number.as_str()).collect();
        for row in orders::find_many(conn, retailer, &numbers)? {
            if row.state == orders::CANCELLED {
                continue;
            }
            let lines = orders::lines_of(conn, row.id)?;
            let po: PurchaseOrder = serde_json::from_str(&row.detail).unwrap_or_default();
            self.known.insert(
                (retailer.to_string(), row.po_number.clone(), row.ship_to_key.clone()),
                Known { order: OrderRef::Existing(row.id), po, decision: super::order::decision_of(&lines) },
            );
        }
        Ok(())
    }

    /// Free units of `sku` (loaded on first use).
    pub fn free(&mut self, conn: &mut Conn, sku: &str) -> Result<i64> {
        if let Some(f) = self.free.get(sku) {
            return Ok(*f);
        }
        let f = stock::available(conn, &[sku])?.get(sku).copied().unwrap_or(0);
        self.free.insert(sku.to_string(), f);
        Ok(f)
    }

    /// Takes units of `sku` for an order.
    pub fn take(&mut self, sku: &str, qty: i64) {
        if qty > 0 {
            *self.take.entry(sku.to_string()).or_default() += qty;
            *self.free.entry(sku.to_string()).or_default() -= qty;
        }
    }

    /// Adds a new order; returns its reference.
    pub fn add_order(&mut self, row: NewOrderRow, lines: Vec<LineRow>) -> OrderRef {
        self.orders.push(row);
        self.lines.push(lines);
        OrderRef::New(self.orders.len() - 1)
    }

    /// Queues an outbound document.
    #[allow(clippy::too_many_arguments)]
    pub fn queue(
        &mut self,
        retailer: &str,
        document: Option<i64>,
        order: OrderRef,
        kind: &str,
        control: String,
        file_name: String,
        payload: Vec<u8>,
        group: Option<(String, &'static str)>,
    ) {
        let now = now_micros();
        let order_id = match order {
            OrderRef::Existing(id) => Some(id),
            _ => None,
        };
        self.out.push(Out {
            row: NewOutboxRow {
                retailer_id: retailer.to_string(),
                document_id: document,
                order_id,
                kind: kind.to_string(),
                control,
                file_name,
                payload,
                state: outbox::PENDING.to_string(),
                attempts: 0,
                next_attempt_at: now,
                created_at: now,
            },
            order,
            group,
        });
    }

    /// Writes everything gathered so far. A reservation that no longer
    /// fits (another instance took the stock meanwhile) fails the
    /// transaction as a conflict, and the document is processed again.
    pub fn flush(&mut self, conn: &mut Conn) -> Result<()> {
        for (sku, qty) in std::mem::take(&mut self.take) {
            stock::reserve(conn, &sku, qty)?;
        }
        let mut lines = std::mem::take(&mut self.lines);
        let new_ids = orders::insert_many(conn, &std::mem::take(&mut self.orders), &mut lines)?;
        let out = std::mem::take(&mut self.out);
        let mut rows = Vec::with_capacity(out.len());
        for o in &out {
            let mut row = o.row.clone();
            if let OrderRef::New(i) = o.order {
                row.order_id = new_ids.get(i).copied();
            }
            rows.push(row);
        }
        let ids = outbox::enqueue_many(conn, &rows)?;
        let groups: Vec<(String, String, i64, String)> = out
            .iter()
            .zip(&ids)
            .filter_map(|(o, id)| {
                o.group.as_ref().map(|(g, f)| (o.row.retailer_id.clone(), g.clone(), *id, (*f).to_string()))
            })
            .collect();
        outbox::record_sent_groups(conn, &groups)?;
        // Orders written are now stored ones; free stock is read afresh.
        for k in self.known.values_mut() {
            if let OrderRef::New(i) = k.order {
                if let Some(id) = new_ids.get(i) {
                    k.order = OrderRef::Existing(*id);
                }
            }
        }
        self.free.clear();
        Ok(())
    }
}
