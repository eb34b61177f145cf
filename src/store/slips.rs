//! Packing slips in the store: which orders wait for one, and marking them
//! printed once the wave is safely out.

use super::orders::{self, LineRow, OrderFilter, OrderRow};
use super::schema::orders::dsl as o;
use super::{now_micros, with_conn, Conn, Result};
use diesel::prelude::*;

/// The state of an order whose slip was printed.
pub const SLIP_PRINTED: &str = "slip_printed";

/// States whose orders get a slip in the next wave: something ships now.
/// (A `backordered` order has nothing to put in a box yet.)
pub const AWAITING: &[&str] = &["accepted", "partially_accepted"];

/// States of orders whose slip may be printed again.
pub const REPRINTABLE: &[&str] = &[SLIP_PRINTED, "partially_shipped", "shipped", "invoiced", "closed"];

/// Orders waiting for a slip (of one retailer, or all), oldest first, with their lines.
pub fn awaiting(conn: &mut Conn, retailer: Option<&str>) -> Result<Vec<(OrderRow, Vec<LineRow>)>> {
    let mut out = Vec::new();
    for state in AWAITING {
        out.extend(orders::list(
            conn,
            &OrderFilter {
                retailer: retailer.map(str::to_string),
                state: Some((*state).to_string()),
                po: None,
                limit: i64::MAX,
            },
        )?);
    }
    out.sort_by_key(|(o, _)| o.id);
    Ok(out)
}

/// An order the wave printed, with the state it was printed in.
#[derive(Clone, Debug)]
pub struct Printed {
    pub order: i64,
    pub retailer: String,
    pub po: String,
    /// The state the slip was made from: the order is marked only if it
    /// is still in it (a change or cancellation in between wins).
    pub was: String,
}

/// Marks the orders of a wave `slip_printed`, in one transaction, each
/// with an event. Returns the orders that had changed meanwhile and were
/// left as they are.
pub fn mark_printed(conn: &mut Conn, printed: &[Printed], wave: &str) -> Result<Vec<Printed>> {
    conn.write(|conn| {
        let now = now_micros();
        let mut changed = Vec::new();
        for p in printed {
            let n = with_conn!(conn, c => diesel::update(o::orders.filter(o::id.eq(p.order)).filter(o::state.eq(&p.was)))
                .set((o::state.eq(SLIP_PRINTED), o::updated_at.eq(now)))
                .execute(c))?;
            if n == 1 {
                super::event(
                    conn,
                    "slip.printed",
                    Some(&p.retailer),
                    None,
                    Some(p.order),
                    &format!("packing slip for PO {} printed ({wave})", p.po),
                )?;
            } else {
                changed.push(p.clone());
            }
        }
        Ok(changed)
    })
}

/// Records reprinted slips (the orders' states do not change).
pub fn record_reprints(conn: &mut Conn, printed: &[Printed], wave: &str) -> Result<()> {
    conn.write(|conn| {
        for p in printed {
            super::event(
                conn,
                "slip.reprinted",
                Some(&p.retailer),
                None,
                Some(p.order),
                &format!("packing slip for PO {} printed again ({wave})", p.po),
            )?;
        }
        Ok(())
    })
}

/// Slip events of an order, oldest first: (kind, message).
pub fn events_of(conn: &mut Conn, order: i64) -> Result<Vec<(String, String)>> {
    use super::schema::events::dsl as e;
    Ok(with_conn!(conn, c => e::events
        .filter(e::order_id.eq(order))
        .filter(e::kind.like("slip.%"))
        .order(e::id.asc())
        .select((e::kind, e::message))
        .load(c))?)
}
