//! kill -9 at any moment loses nothing and duplicates nothing: `serve` is
//! killed again and again while 2,000 purchase orders arrive in 100 files;
//! after a last restart every PO exists exactly once, every file was taken,
//! and reservations balance exactly.

mod common;

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 100;
const PER_FILE: usize = 20;
const B_STOCK: i64 = 500;

/// Starts `serve`; its log is drained by a thread, which says when it is
/// serving (its signal handling is in place then).
fn start(i: &common::Install) -> (Child, std::sync::mpsc::Receiver<()>) {
    use std::io::BufRead;
    let mut child = i
        .cmd()
        .arg("serve")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start serve");
    let err = child.stderr.take().expect("piped stderr");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(err).lines().map_while(Result::ok) {
            if line.contains("dropgate serving") {
                let _ = tx.send(());
            }
        }
    });
    (child, rx)
}

fn file(n: usize) -> Vec<u8> {
    let pos: Vec<SamplePo> = (0..PER_FILE)
        .map(|k| {
            let po = format!("C{n:03}-{k:02}");
            SamplePo::new(&po, &format!("Buyer {po}"), &[("UP", "012345678905", 1), ("VN", "B-VENDOR", 1)])
        })
        .collect();
    let sender = PartyId { qualifier: "ZZ".into(), id: "CRASHCO".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    x12_850(&sender, &receiver, u32::try_from(n + 1).unwrap(), &pos)
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .filter(|e| e.path().is_file() && !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
        .unwrap_or(0)
}

fn run(db: common::TestDb) {
    let i = common::Install::new(db);
    i.retailer("crash", "ZZ:CRASHCO", "backorder");
    i.stock(&format!("sku,on_hand,upc,vendor_sku\nA,100000,012345678905,A-V\nB,{B_STOCK},012345678929,B-VENDOR\n"));
    let inbound = i.inbound("crash");
    std::fs::create_dir_all(&inbound).unwrap();

    let mut seed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    eprintln!("crash test seed {seed}");
    let mut rand = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };

    let mut kills = 0;
    let mut next = 0;
    let (mut serve, mut ready) = start(&i);
    let t0 = Instant::now();
    while next < FILES {
        // A few files arrive (renamed into place, as uploads do)...
        for _ in 0..(1 + rand(4)) {
            if next == FILES {
                break;
            }
            let part = inbound.join(format!("f{next:03}.edi.part"));
            std::fs::write(&part, file(next)).unwrap();
            std::fs::rename(&part, inbound.join(format!("f{next:03}.edi"))).unwrap();
            next += 1;
        }
        // ...and the daemon dies at a random moment.
        std::thread::sleep(Duration::from_millis(30 + rand(400)));
        serve.kill().unwrap();
        serve.wait().unwrap();
        kills += 1;
        (serve, ready) = start(&i);
    }
    // Let the last one finish everything.
    let out = i.outbound("crash");
    let expected_out = FILES + FILES * PER_FILE;
    let deadline = Instant::now() + Duration::from_secs(180);
    while (count_files(&inbound) > 0 || count_files(&out) < expected_out) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(200));
    }
    ready.recv_timeout(Duration::from_secs(60)).expect("serve did not start");
    let _ = std::process::Command::new("kill").arg("-TERM").arg(serve.id().to_string()).status();
    let status = serve.wait().unwrap();
    assert!(status.success(), "clean stop: {status:?}");
    eprintln!("{kills} kills in {:?}", t0.elapsed());

    assert_eq!(count_files(&inbound), 0, "every file was taken");
    assert_eq!(count_files(&inbound.join("processed")), FILES, "every file processed");
    let docs = i.json(&["documents", "list", "--limit", "1000"]);
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), FILES, "one ledger entry per file");
    assert!(docs.iter().all(|d| d["state"] == "processed"), "all processed: {docs:?}");

    let orders = i.json(&["orders", "list", "--limit", "100000"]);
    let orders = orders.as_array().unwrap();
    let pos: HashSet<&str> = orders.iter().map(|o| o["po_number"].as_str().unwrap()).collect();
    assert_eq!(orders.len(), FILES * PER_FILE, "no order lost or doubled");
    assert_eq!(pos.len(), FILES * PER_FILE);

    // Reservations balance: stock.reserved equals what the order lines hold.
    let (mut acc_a, mut acc_b, mut bo_b) = (0, 0, 0);
    for o in orders {
        for l in o["lines"].as_array().unwrap() {
            match l["sku"].as_str() {
                Some("A") => acc_a += l["accepted"].as_i64().unwrap(),
                Some("B") => {
                    acc_b += l["accepted"].as_i64().unwrap();
                    bo_b += l["backordered"].as_i64().unwrap();
                }
                other => panic!("unexpected sku {other:?}"),
            }
        }
    }
    let stock = i.json(&["stock", "show"]);
    let row = |sku: &str| stock.as_array().unwrap().iter().find(|r| r["sku"] == sku).unwrap().clone();
    assert_eq!(acc_a, (FILES * PER_FILE) as i64);
    assert_eq!(row("A")["reserved"].as_i64().unwrap(), acc_a);
    assert_eq!(acc_b, B_STOCK);
    assert_eq!(bo_b, (FILES * PER_FILE) as i64 - B_STOCK);
    assert_eq!(row("B")["reserved"].as_i64().unwrap(), B_STOCK);

    // Every answer delivered once under its own name: one 997 per file, one 855 per PO.
    assert_eq!(count_files(&out), expected_out);
    let outbox = i.json(&["outbox", "list", "--limit", "100000"]);
    let outbox = outbox.as_array().unwrap();
    assert_eq!(outbox.len(), expected_out, "no answer queued twice");
    assert!(outbox.iter().all(|o| o["state"] == "delivered"));
}

#[test]
fn kill_9_while_two_thousand_orders_arrive_on_sqlite() {
    run(common::sqlite_db());
}

#[test]
fn kill_9_while_two_thousand_orders_arrive_on_postgres() {
    if let Some(db) = common::pg_db("kill_9_while_two_thousand_orders_arrive_on_postgres") {
        run(db);
    }
}
