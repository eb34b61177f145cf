//! kill -9 during batches of 2,000 shipments: `dropgate batch run
//! --deliver` is killed again and again, at different moments (while the
//! batch is made, while its documents are written out), then run to the
//! end. Afterwards every shipment line is invoiced exactly once, every
//! shipment is in exactly one ship notice, and every document was
//! delivered at least once; a document written twice lands under the same
//! name (the folder holds one file per outbox row's name).

mod common;

use common::{po850, Install, PoLines};
use dropgate::store::outbox::{self, OutboxFilter};
use dropgate::store::Store;
use std::collections::{HashMap, HashSet};
use std::time::Duration;

const N: usize = 2000;

fn setup() -> Install {
    let i = Install::new(common::sqlite_db());
    i.retailer("acme", "ZZ:ACME", "accept_partial");
    i.stock("sku,on_hand,upc,unit_price\nLAMP,100000,012345678905,24.50\nMUG,100000,012345678912,4.25\n");
    let lines: PoLines<'_> = &[("012345678905", 2, "24.50"), ("012345678912", 1, "4.25")];
    let pos: Vec<String> = (0..N).map(|k| format!("P{k:05}")).collect();
    let set: Vec<(&str, PoLines<'_>)> = pos.iter().map(|p| (p.as_str(), lines)).collect();
    i.ingest("acme", "po.edi", &po850("ACME", 1, &set));
    let mut csv = String::from("po,carrier,service,tracking\n");
    for (k, p) in pos.iter().enumerate() {
        csv.push_str(&format!("{p},UPSN,GROUND,1Z{k:08}\n"));
    }
    let f = i.path().join("ship.csv");
    std::fs::write(&f, csv).unwrap();
    i.ok(&["ship", "import", f.to_str().unwrap()]);
    i
}

fn kill_during(i: &Install, kind: &str, after: Duration) {
    let mut child = i
        .cmd()
        .args(["batch", "run", "--retailer", "acme", "--kind", kind, "--deliver"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(after);
    let _ = child.kill(); // SIGKILL
    let _ = child.wait();
}

#[test]
fn kill_9_during_batches_of_2000_shipments() {
    let i = setup();
    for kind in ["asn", "invoice"] {
        let kills = [30, 150, 400, 700, 1000, 1500, 2500];
        for ms in kills {
            kill_during(&i, kind, Duration::from_millis(ms));
        }
        // The kills did land inside the work: some batch never committed
        // (a killed batch leaves no run), or documents were left undelivered.
        let runs = i.json(&["batch", "list", "--retailer", "acme"])["past"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == kind)
            .count();
        let pending = i.json(&["outbox", "list", "--state", "pending", "--limit", "100000"]).as_array().unwrap().len();
        assert!(
            runs < kills.len() || pending > 0,
            "{kind}: no kill interrupted anything ({runs} runs, {pending} pending)"
        );
        // The restart: run to the end (delivers what is still pending).
        i.ok(&["batch", "run", "--retailer", "acme", "--kind", kind, "--deliver"]);
    }
    let store = Store::open(&i.db.url, 1).unwrap();
    let mut conn = store.conn().unwrap();
    let rows = outbox::list(&mut conn, &OutboxFilter { retailer: Some("acme".into()), state: None, limit: 1_000_000 })
        .unwrap();
    let out = i.outbound("acme");
    let mut per_po: HashMap<(&str, String), usize> = HashMap::new();
    let mut it1_units: HashMap<String, i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.kind == "856" || r.kind == "810") {
        assert_eq!(r.state, "delivered", "outbox {} ({}) not delivered", r.id, r.file_name);
        assert_eq!(std::fs::read(out.join(&r.file_name)).unwrap(), r.payload, "{}", r.file_name);
        for seg in common::segments(&r.payload) {
            match (r.kind.as_str(), seg[0].as_str()) {
                ("856", "PRF") => *per_po.entry(("856", seg[1].clone())).or_default() += 1,
                ("810", "BIG") => *per_po.entry(("810", seg[4].clone())).or_default() += 1,
                ("810", "IT1") => *it1_units.entry(seg[1].clone()).or_default() += seg[2].parse::<i64>().unwrap(),
                _ => {}
            }
        }
    }
    for kind in ["856", "810"] {
        let pos: Vec<&String> = per_po.iter().filter(|((k, _), _)| *k == kind).map(|((_, p), _)| p).collect();
        assert_eq!(pos.len(), N, "{kind}: every PO");
        assert!(per_po.iter().filter(|((k, _), _)| *k == kind).all(|(_, n)| *n == 1), "{kind}: a PO twice");
    }
    assert_eq!(it1_units.get("1"), Some(&(2 * N as i64)), "line 1 units invoiced exactly once");
    assert_eq!(it1_units.get("2"), Some(&(N as i64)), "line 2 units invoiced exactly once");
    // The folder holds exactly the documents' names (a rewrite replaced its file).
    let files: HashSet<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    let names: HashSet<String> = rows.iter().map(|r| r.file_name.clone()).collect();
    assert!(names.iter().all(|n| files.contains(n)));
    // What a kill left half written is under a temporary dot-name, never a document's.
    assert!(files.iter().all(|f| f.starts_with('.') || names.contains(f)), "{files:?}");
}
