//! No oversell, ever: many threads reserving the same SKU at once get
//! exactly the stock there is, on SQLite and on PostgreSQL.

mod common;

use dropgate::store::stock::{self, StockItem};
use dropgate::store::Store;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const THREADS: u64 = 32;
const ATTEMPTS: u64 = 30_000;
const UNITS: i64 = 1_000;

fn hammer(db: &common::TestDb) {
    let store = Store::open(&db.url, THREADS as u32 + 2).expect("open store");
    let mut conn = store.conn().unwrap();
    stock::import(&mut conn, &[StockItem { sku: "HOT".into(), on_hand: UNITS, ..StockItem::default() }], false)
        .unwrap();
    drop(conn);
    let won = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let (store, won) = (store.clone(), won.clone());
            std::thread::spawn(move || {
                let mut conn = store.conn().unwrap();
                let n = ATTEMPTS / THREADS + u64::from(t < ATTEMPTS % THREADS);
                for _ in 0..n {
                    if conn.write(|c| stock::try_reserve(c, "HOT", 1)).unwrap() {
                        won.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let mut conn = store.conn().unwrap();
    let row = stock::get(&mut conn, "HOT").unwrap().unwrap();
    assert_eq!(won.load(Ordering::Relaxed), UNITS as u64, "{}: successful reservations", db.backend);
    assert_eq!(row.reserved, UNITS, "{}: reserved", db.backend);
    assert_eq!(row.on_hand, UNITS, "{}: on hand", db.backend);
    assert_eq!(row.available(), 0);
}

#[test]
fn thirty_two_threads_reserve_exactly_the_stock_on_sqlite() {
    hammer(&common::sqlite_db());
}

#[test]
fn thirty_two_threads_reserve_exactly_the_stock_on_postgres() {
    if let Some(db) = common::pg_db("thirty_two_threads_reserve_exactly_the_stock_on_postgres") {
        hammer(&db);
    }
}
