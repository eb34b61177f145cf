//! One batch of 100,000 shipments: the 856 and the 810 written and queued
//! in the outbox (`per = "batch"`: one interchange each, a set per
//! shipment), on SQLite and (when `DROPGATE_TEST_PG` names a server)
//! PostgreSQL. The orders come in through the pipeline first, the
//! shipments are inserted directly (then, on PostgreSQL, `ANALYZE`, as a
//! database in service has its statistics); only the two batches are timed.
//!
//! `cargo bench --bench batches` (set `BATCH_SHIPMENTS` for another size).

use diesel::prelude::*;
use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use dropgate::retailer::Profile;
use dropgate::store::schema::{
    order_lines::dsl as l, orders::dsl as o, packages::dsl as pk, shipment_lines::dsl as sl, shipments::dsl as sh,
};
use dropgate::store::{stock, with_conn, Store};
use std::time::Instant;

const PROFILE: &str = "id = \"bench\"\nname = \"Bench\"\n[x12]\nsender_id = \"ZZ:BENCHCO\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
[asn]\nper = \"batch\"\n[invoice]\nper = \"batch\"\ncharges = [{ indicator = \"C\", code = \"D240\", amount = \"4.95\" }]\n";

fn seed(url: &str, n: usize) -> (Store, Profile) {
    let store = Store::open(url, 4).expect("open store");
    let mut conn = store.conn().unwrap();
    let p = Profile::from_toml(PROFILE, "bench").unwrap();
    dropgate::store::retailers::apply(&mut conn, &p).unwrap();
    let items: Vec<stock::StockItem> = [("A", "012345678905"), ("C", "012345678936")]
        .iter()
        .map(|(sku, upc)| stock::StockItem {
            sku: (*sku).into(),
            on_hand: 10_000_000,
            upc: Some((*upc).into()),
            unit_price: Some("12.34".into()),
            ..Default::default()
        })
        .collect();
    stock::import(&mut conn, &items, false).unwrap();
    let sender = PartyId { qualifier: "ZZ".into(), id: "BENCHCO".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    for (chunk, start) in (0..n).step_by(20_000).map(|s| ((s..(s + 20_000).min(n)), s)) {
        let pos: Vec<SamplePo> = chunk
            .map(|k| {
                SamplePo::new(
                    &format!("B{k:07}"),
                    &format!("Consumer {k}"),
                    &[("UP", "012345678905", 2), ("UP", "012345678936", 1)],
                )
            })
            .collect();
        let file = x12_850(&sender, &receiver, u32::try_from(start / 20_000 + 1).unwrap(), &pos);
        dropgate::pipeline::ingest(
            &mut conn,
            dropgate::store::documents::Arrival {
                source: "cli",
                name: "bench.edi",
                retailer: None,
                body: dropgate::store::documents::Body::Bytes(&file),
                settled: true,
            },
        )
        .unwrap();
    }
    // Every order ships whole, in one package.
    let orders: Vec<i64> = with_conn!(&mut *conn, c => o::orders.select(o::id).order(o::id.asc()).load(c)).unwrap();
    let lines: Vec<(i64, i32, i64)> =
        with_conn!(&mut *conn, c => l::order_lines.select((l::order_id, l::position, l::accepted)).load(c)).unwrap();
    let now = dropgate::store::now_micros();
    conn.write(|conn| {
        for chunk in orders.chunks(2000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|id| {
                    (
                        sh::order_id.eq(*id),
                        sh::retailer_id.eq("bench"),
                        sh::dedup_key.eq(format!("{id}:1Z{id:012}")),
                        sh::carrier.eq("UPSN"),
                        sh::service.eq("GROUND"),
                        sh::shipped_at.eq(now),
                        sh::source.eq("bench"),
                        sh::created_at.eq(now),
                    )
                })
                .collect();
            with_conn!(conn, c => diesel::insert_into(sh::shipments).values(&rows).execute(c))?;
        }
        let ships: Vec<(i64, i64)> = with_conn!(conn, c => sh::shipments.select((sh::id, sh::order_id)).load(c))?;
        let by_order: std::collections::HashMap<i64, i64> = ships.iter().map(|(s, o)| (*o, *s)).collect();
        for chunk in ships.chunks(2000) {
            let rows: Vec<_> = chunk
                .iter()
                .map(|(s, _)| {
                    (
                        pk::shipment_id.eq(*s),
                        pk::seq.eq(1),
                        pk::tracking.eq(format!("1Z{s:012}")),
                        pk::weight_g.eq(Some(1200_i64)),
                    )
                })
                .collect();
            with_conn!(conn, c => diesel::insert_into(pk::packages).values(&rows).execute(c))?;
        }
        for chunk in lines.chunks(2000) {
            let rows: Vec<_> = chunk
                .iter()
                .filter(|(_, _, q)| *q > 0)
                .map(|(o, pos, q)| {
                    (
                        sl::shipment_id.eq(by_order[o]),
                        sl::package_seq.eq(1),
                        sl::position.eq(*pos),
                        sl::retailer_id.eq("bench"),
                        sl::quantity.eq(*q),
                    )
                })
                .collect();
            with_conn!(conn, c => diesel::insert_into(sl::shipment_lines).values(&rows).execute(c))?;
        }
        Ok(())
    })
    .unwrap();
    // A database in service has its planner statistics; one just filled has not yet.
    if let dropgate::store::Conn::Pg(c) = &mut *conn {
        use diesel::connection::SimpleConnection;
        c.batch_execute("ANALYZE").unwrap();
    }
    drop(conn);
    (store, p)
}

fn run(label: &str, url: &str, n: usize) {
    let t = Instant::now();
    let (store, p) = seed(url, n);
    let seeded = t.elapsed().as_secs_f64();
    let mut conn = store.conn().unwrap();
    let now = dropgate::store::now_micros();
    let mut total = 0.0;
    for kind in ["asn", "invoice"] {
        let t = Instant::now();
        let o = dropgate::pipeline::batches::run_batch(&mut conn, &p, kind, now, "manual", now).unwrap().unwrap();
        let secs = t.elapsed().as_secs_f64();
        total += secs;
        let row = dropgate::store::outbox::get(&mut conn, o.outbox[0]).unwrap().unwrap();
        assert_eq!(o.items as usize, n);
        println!(
            "batch {label:<8} {kind:<7} {n} shipments in {secs:.2} s ({:.0}/s), one document of {:.1} MB queued",
            n as f64 / secs,
            row.payload.len() as f64 / 1e6
        );
    }
    println!("batch {label:<8} 856 + 810 for {n} shipments: {total:.2} s (seeding took {seeded:.0} s)");
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("BATCH_SHIPMENTS").ok().and_then(|s| s.parse().ok()).unwrap_or(100_000);
    let dir = tempfile::tempdir().unwrap();
    run("sqlite", &format!("sqlite://{}", dir.path().join("bench.db").display()), n);
    if let Ok(admin) = std::env::var("DROPGATE_TEST_PG") {
        use diesel::connection::SimpleConnection;
        let name = format!("dropgate_bench_{}", std::process::id());
        if let Ok(dropgate::store::Conn::Pg(mut c)) = dropgate::store::connect(&admin) {
            c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
            run("postgres", &url, n);
            let _ = c.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
        }
    } else {
        println!("batch postgres: set DROPGATE_TEST_PG to measure");
    }
}
