//! End to end through a running `serve`: a file of 50 purchase orders is
//! dropped into a retailer's watched folder; the 997, every 855, the order
//! states and the stock are checked exactly.

mod common;

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use std::collections::HashMap;
use std::process::Stdio;
use std::time::Duration;

fn start_serve(i: &common::Install) -> common::Serve {
    common::Serve(i.cmd().arg("serve").stdout(Stdio::null()).stderr(Stdio::null()).spawn().expect("start serve"))
}

fn fifty_pos() -> Vec<u8> {
    let mut pos: Vec<SamplePo> = Vec::new();
    for n in 1..=44 {
        pos.push(SamplePo::new(&format!("PO{n:04}"), &format!("Consumer {n}"), &[("UP", "012345678905", 2)]));
    }
    // Short on stock: 5 units of B for three orders of 3.
    for n in 45..=47 {
        pos.push(SamplePo::new(&format!("PO{n:04}"), &format!("Consumer {n}"), &[("VN", "B-VENDOR", 3)]));
    }
    // PO0001 again, same ship-to: a duplicate.
    pos.push(SamplePo::new("PO0001", "Consumer 1", &[("UP", "012345678905", 2)]));
    // An item nobody sells.
    pos.push(SamplePo::new("PO0049", "Consumer 49", &[("UP", "099999999999", 1), ("UP", "012345678905", 1)]));
    // A malformed set: its quantity is not a number.
    pos.push(SamplePo::new("PO0050", "Consumer 50", &[("UP", "012345678905", 77)]));
    let sender = PartyId { qualifier: "ZZ".into(), id: "ACMEHOME".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    let text = String::from_utf8(x12_850(&sender, &receiver, 4242, &pos)).unwrap();
    assert_eq!(text.matches("PO1*1*77*EA").count(), 1);
    text.replace("PO1*1*77*EA", "PO1*1*SEVEN*EA").into_bytes()
}

fn run(db: common::TestDb) {
    let i = common::Install::new(db);
    i.retailer("acme", "ZZ:ACMEHOME", "backorder");
    i.stock("sku,on_hand,upc,vendor_sku\nA,1000,012345678905,A-VENDOR\nB,5,012345678929,B-VENDOR\n");
    let serve = start_serve(&i);

    // Upload as a retailer would: a temporary name, then a rename into place.
    let inbound = i.inbound("acme");
    std::fs::create_dir_all(&inbound).unwrap();
    std::fs::write(inbound.join("PO_4242.edi.part"), fifty_pos()).unwrap();
    std::fs::rename(inbound.join("PO_4242.edi.part"), inbound.join("PO_4242.edi")).unwrap();

    // 1 997 + 49 855 (48 orders, and the duplicate answered again).
    let files = common::wait_for_files(&i.outbound("acme"), 50, Duration::from_secs(60));
    assert_eq!(files.len(), 50, "outbound: {files:?}");
    assert!(inbound.join("processed/PO_4242.edi").exists(), "the file moves to processed/ once committed");

    let mut by_kind: HashMap<String, Vec<Vec<Vec<String>>>> = HashMap::new();
    for f in &files {
        let segs = common::segments(&std::fs::read(f).unwrap());
        let st = segs.iter().find(|s| s[0] == "ST").expect("a transaction set").clone();
        // Sender and receiver swapped.
        let isa = &segs[0];
        assert_eq!((isa[6].trim(), isa[8].trim()), ("DROPGATE", "ACMEHOME"), "{}", f.display());
        by_kind.entry(st[1].clone()).or_default().push(segs);
    }
    assert_eq!(by_kind["997"].len(), 1);
    assert_eq!(by_kind["855"].len(), 49);

    // The 997: 50 sets seen, 49 accepted, the malformed one rejected with detail.
    let fa = &by_kind["997"][0];
    let ak9 = fa.iter().find(|s| s[0] == "AK9").unwrap();
    assert_eq!(&ak9[1..5], ["P", "50", "50", "49"], "AK9");
    let ak1 = fa.iter().find(|s| s[0] == "AK1").unwrap();
    assert_eq!(&ak1[1..3], ["PO", "4242"]);
    let rejected: Vec<_> = fa.windows(1).filter(|w| w[0][0] == "AK5" && w[0][1] == "R").collect();
    assert_eq!(rejected.len(), 1, "one set rejected");
    let ak3 = fa.iter().find(|s| s[0] == "AK3").expect("AK3 for the bad segment");
    assert_eq!(ak3[1], "PO1");
    let ak4 = fa.iter().find(|s| s[0] == "AK4").expect("AK4 for the bad element");
    assert!(ak4[1].starts_with('2'), "AK4 points at PO102: {ak4:?}");
    let ak2_pos = fa.iter().position(|s| s[0] == "AK2" && s.get(2).map(String::as_str) == Some("0050"));
    assert!(ak2_pos.is_some(), "the malformed set is ST02 0050: {fa:?}");

    // Each 855: BAK and line ACK codes.
    let mut answers: HashMap<String, Vec<Vec<Vec<String>>>> = HashMap::new();
    for segs in &by_kind["855"] {
        let bak = segs.iter().find(|s| s[0] == "BAK").unwrap();
        answers.entry(bak[3].clone()).or_default().push(segs.clone());
    }
    let acks = |po: &str| -> Vec<(String, String)> {
        answers[po][0].iter().filter(|s| s[0] == "ACK").map(|s| (s[1].clone(), s[2].clone())).collect()
    };
    let bak02 = |po: &str| answers[po][0].iter().find(|s| s[0] == "BAK").unwrap()[2].clone();
    for n in 2..=44 {
        let po = format!("PO{n:04}");
        assert_eq!(acks(&po), vec![("IA".into(), "2".into())], "{po}");
        assert_eq!(bak02(&po), "AD", "{po}");
    }
    assert_eq!(answers["PO0001"].len(), 2, "the duplicate is answered again");
    assert_eq!(
        answers["PO0001"][0].iter().filter(|s| s[0] == "ACK").collect::<Vec<_>>(),
        answers["PO0001"][1].iter().filter(|s| s[0] == "ACK").collect::<Vec<_>>(),
        "with the same answer"
    );
    assert_eq!(acks("PO0045"), vec![("IA".into(), "3".into())]);
    assert_eq!(acks("PO0046"), vec![("IA".into(), "2".into()), ("IB".into(), "1".into())]);
    assert_eq!(acks("PO0047"), vec![("IB".into(), "3".into())]);
    assert_eq!(bak02("PO0046"), "AC");
    let a49 = acks("PO0049");
    assert_eq!(a49.len(), 2, "{a49:?}");
    assert!(a49[0].0 == "R2" || a49[0].0 == "IR", "unknown item rejected: {a49:?}");
    assert_eq!(a49[1], ("IA".into(), "1".into()));
    assert!(!answers.contains_key("PO0050"), "no 855 for the malformed set");

    // Order states.
    let orders = i.json(&["orders", "list"]);
    let orders = orders.as_array().unwrap();
    assert_eq!(orders.len(), 48);
    let state = |po: &str| orders.iter().find(|o| o["po_number"] == po).unwrap()["state"].as_str().unwrap().to_string();
    assert_eq!(state("PO0001"), "accepted");
    assert_eq!(state("PO0045"), "accepted");
    assert_eq!(state("PO0046"), "partially_accepted");
    assert_eq!(state("PO0047"), "backordered");
    assert_eq!(state("PO0049"), "partially_accepted");
    let o47 = orders.iter().find(|o| o["po_number"] == "PO0047").unwrap();
    assert_eq!(o47["lines"][0]["backordered"], 3);
    assert_eq!(o47["lines"][0]["sku"], "B");
    let o49 = orders.iter().find(|o| o["po_number"] == "PO0049").unwrap();
    assert_eq!(o49["lines"][0]["rejected"], 1);
    assert!(o49["lines"][0]["sku"].is_null());

    // Stock: 44 + 1 orders × A, B all taken.
    let stock = i.json(&["stock", "show"]);
    let row = |sku: &str| stock.as_array().unwrap().iter().find(|r| r["sku"] == sku).unwrap().clone();
    assert_eq!((row("A")["on_hand"].as_i64(), row("A")["reserved"].as_i64()), (Some(1000), Some(44 * 2 + 1)));
    assert_eq!(
        (row("B")["on_hand"].as_i64(), row("B")["reserved"].as_i64(), row("B")["available"].as_i64()),
        (Some(5), Some(5), Some(0))
    );

    // Everything we wrote passes the independent validator.
    for f in files.iter().take(6) {
        let (ok, out) = common::edi_validate(f);
        assert!(ok, "{} does not validate:\n{out}", f.display());
    }

    let status = serve.stop();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status:?}");
}

#[test]
fn fifty_orders_through_a_watched_folder_on_sqlite() {
    run(common::sqlite_db());
}

#[test]
fn fifty_orders_through_a_watched_folder_on_postgres() {
    if let Some(db) = common::pg_db("fifty_orders_through_a_watched_folder_on_postgres") {
        run(db);
    }
}
