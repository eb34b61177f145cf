//! Batches as the admin runs them: shipments confirmed with `dropgate
//! ship`, then `dropgate batch run` for ship notices, invoices and the
//! inventory feed. Every document goes through `tools/edi-validate`;
//! quantities, tracking numbers and totals are checked against the
//! shipments exactly. On SQLite and, when `DROPGATE_TEST_PG` is set, on
//! PostgreSQL.

mod common;

use common::{po850, segments, Install};
use serde_json::Value;

const STOCK: &str = "sku,on_hand,upc,description,unit_price\nLAMP,10,012345678905,Brass lamp,24.50\nMUG,10,012345678912,Mug,4.25\nRUG,4,012345678929,Rug,89.00\n";

const PROFILE: &str = r#"id = "acme"
name = "Acme Home"
[x12]
sender_id = "ZZ:ACME"
receiver_id = "ZZ:DROPGATE"
[outbound]
file_name = "{doc}_{po}_{control}.edi"
[asn]
structure = "sopi"
[invoice]
prefix = "AC"
terms = { type_code = "08", discount_percent = "2", discount_days = 10, net_days = 30, description = "2% 10 NET 30" }
charges = [{ indicator = "C", code = "D240", amount = "5.95", description = "Freight" }]
[inventory]
safety_buffer = 1
skus = { LAMP = "ACME-100" }
"#;

fn setup(db: common::TestDb, profile: &str) -> Install {
    let i = Install::new(db);
    let f = i.path().join("acme.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock(STOCK);
    let two: &[(&str, u32, &str)] = &[("012345678905", 3, "24.50"), ("012345678912", 2, "4.3333")];
    let one: &[(&str, u32, &str)] = &[("012345678905", 1, "24.50")];
    i.ingest("acme", "po.edi", &po850("ACME", 1, &[("PO1", two), ("PO2", one)]));
    i
}

/// Validates an outbound document and returns its segments.
fn outbound(i: &Install, id: i64) -> Vec<Vec<String>> {
    let out = i.cmd().args(["outbox", "show", &id.to_string(), "--raw"]).output().unwrap();
    assert!(out.status.success());
    let f = i.path().join(format!("out-{id}.edi"));
    std::fs::write(&f, &out.stdout).unwrap();
    let (ok, report) = common::edi_validate(&f);
    assert!(ok, "outbox {id} is not valid X12:\n{report}\n{}", String::from_utf8_lossy(&out.stdout));
    segments(&out.stdout)
}

fn ids(v: &Value) -> Vec<i64> {
    v["outbox"].as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

fn of<'a>(s: &'a [Vec<String>], id: &str) -> Vec<&'a Vec<String>> {
    s.iter().filter(|x| x[0] == id).collect()
}

#[test]
fn ship_notices_invoices_and_feeds() {
    for db in common::all_dbs("ship_notices_invoices_and_feeds") {
        let i = setup(db, PROFILE);
        i.ok(&[
            "ship",
            "PO1",
            "--carrier",
            "UPSN",
            "--service",
            "GROUND",
            "--tracking",
            "1ZA0001",
            "--tracking",
            "1ZA0002",
            "--line",
            "1:2",
            "--line",
            "2:1@2",
            "--package",
            "weight=2kg,sscc=000123456789012350",
            "--package",
            "weight=0.5kg",
        ]);
        i.ok(&["ship", "PO2", "--carrier", "FDEG", "--service", "HOME", "--tracking", "7700001"]);

        // Ship notices: one per shipment, S-O-P-I, tracking per package.
        let asn = i.json(&["batch", "run", "--retailer", "acme", "--kind", "asn"]);
        assert_eq!(asn["documents"], 2);
        let docs = ids(&asn);
        let s = outbound(&i, docs[0]);
        assert_eq!(of(&s, "PRF")[0][1], "PO1");
        let man: Vec<(&str, &str)> = of(&s, "MAN").iter().map(|m| (m[1].as_str(), m[2].as_str())).collect();
        assert_eq!(man, [("CP", "1ZA0001"), ("GM", "000123456789012350"), ("CP", "1ZA0002")]);
        let sn1: Vec<(&str, &str, &str)> =
            of(&s, "SN1").iter().map(|x| (x[1].as_str(), x[2].as_str(), x[5].as_str())).collect();
        assert_eq!(sn1, [("1", "2", "3"), ("2", "1", "2")], "line, shipped, ordered");
        assert_eq!(of(&s, "TD1")[0][7], "2.5");
        let s2 = outbound(&i, docs[1]);
        assert_eq!((of(&s2, "PRF")[0][1].as_str(), of(&s2, "MAN")[0][2].as_str()), ("PO2", "7700001"));
        let names: Vec<String> = i
            .json(&["outbox", "list", "--retailer", "acme"])
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["kind"] == "856")
            .map(|r| r["file_name"].as_str().unwrap().to_string())
            .collect();
        assert!(
            names.iter().any(|n| n.starts_with("856_PO1_")) && names.iter().any(|n| n.starts_with("856_PO2_")),
            "{names:?}"
        );
        // Nothing twice.
        assert_eq!(i.json(&["batch", "run", "--retailer", "acme", "--kind", "asn"])["documents"], 0);

        // Invoices: shipped quantities only, terms, charges, totals in cents.
        let inv = i.json(&["batch", "run", "--retailer", "acme", "--kind", "invoice"]);
        assert_eq!(inv["documents"], 2);
        let docs = ids(&inv);
        let s = outbound(&i, docs[0]);
        assert_eq!(of(&s, "BIG")[0][2], "AC000000001");
        assert_eq!(of(&s, "BIG")[0][4], "PO1");
        let it1: Vec<(&str, &str, &str)> =
            of(&s, "IT1").iter().map(|x| (x[1].as_str(), x[2].as_str(), x[4].as_str())).collect();
        assert_eq!(it1, [("1", "2", "24.5"), ("2", "1", "4.3333")]);
        // 2 × 24.50 + 1 × 4.3333 (4.33) + 5.95 freight.
        assert_eq!(of(&s, "TDS")[0][1], (4900 + 433 + 595).to_string());
        assert_eq!(of(&s, "ITD")[0][1], "08");
        assert_eq!(of(&s, "SAC")[0][5], "595");
        let s2 = outbound(&i, docs[1]);
        assert_eq!((of(&s2, "BIG")[0][2].as_str(), of(&s2, "TDS")[0][1].as_str()), ("AC000000002", "3045"));
        assert_eq!(i.json(&["batch", "run", "--retailer", "acme", "--kind", "invoice"])["documents"], 0, "never twice");
        // The rest of PO1 ships and is invoiced alone, under the next number.
        i.ok(&["ship", "PO1", "--carrier", "UPSN", "--service", "GROUND", "--tracking", "1ZA0003"]);
        let inv = i.json(&["batch", "run", "--retailer", "acme", "--kind", "invoice"]);
        let s = outbound(&i, ids(&inv)[0]);
        let it1: Vec<(&str, &str)> = of(&s, "IT1").iter().map(|x| (x[1].as_str(), x[2].as_str())).collect();
        assert_eq!(it1, [("1", "1"), ("2", "1")]);
        assert_eq!(of(&s, "BIG")[0][2], "AC000000003");
        assert_eq!(of(&s, "TDS")[0][1], (2450 + 433 + 595).to_string());

        // Inventory: on hand − reserved − buffer, never below 0; the retailer's ids.
        i.stock("sku,on_hand\nRUG,1\n");
        let feed = i.json(&["batch", "run", "--retailer", "acme", "--kind", "inventory"]);
        let s = outbound(&i, ids(&feed)[0]);
        let lines: Vec<(String, String)> =
            of(&s, "LIN").iter().zip(of(&s, "QTY")).map(|(l, q)| (l[1..].join(" "), q[2].clone())).collect();
        assert_eq!(
            lines,
            [
                (" SK ACME-100 VN LAMP UP 012345678905".to_string(), "5".to_string()),
                (" VN MUG UP 012345678912".to_string(), "7".to_string()),
                (" VN RUG UP 012345678929".to_string(), "0".to_string()),
            ],
            "LAMP: 10 − 4 shipped = 6 on hand, 0 reserved, buffer 1"
        );
        let list = i.json(&["batch", "list", "--retailer", "acme"]);
        assert_eq!(list["past"].as_array().unwrap().len(), 6);
    }
}

#[test]
fn batches_of_one_interchange_and_delta_feeds() {
    let profile = PROFILE
        .replace("structure = \"sopi\"", "structure = \"flat\"\nper = \"batch\"")
        .replace("prefix = \"AC\"", "prefix = \"AC\"\nper = \"batch\"")
        .replace("safety_buffer = 1", "safety_buffer = 0\nmode = \"delta\"");
    for db in common::all_dbs("batches_of_one_interchange_and_delta_feeds") {
        let i = setup(db, &profile);
        i.ok(&["ship", "PO1", "--carrier", "UPSN", "--tracking", "1ZB1"]);
        i.ok(&["ship", "PO2", "--carrier", "UPSN", "--tracking", "1ZB2"]);
        let asn = i.json(&["batch", "run", "--retailer", "acme", "--kind", "asn"]);
        assert_eq!(asn["documents"], 1);
        let s = outbound(&i, ids(&asn)[0]);
        assert_eq!(of(&s, "ST").len(), 2);
        assert_eq!(of(&s, "BSN")[0][5], "0004");
        let hl: Vec<&str> = of(&s, "HL").iter().map(|h| h[3].as_str()).collect();
        assert_eq!(hl, ["S", "O", "I", "I", "S", "O", "I"]);
        let inv = i.json(&["batch", "run", "--retailer", "acme", "--kind", "invoice"]);
        let s = outbound(&i, ids(&inv)[0]);
        let tds: Vec<&str> = of(&s, "TDS").iter().map(|t| t[1].as_str()).collect();
        assert_eq!(tds, [(7350 + 867 + 595).to_string(), (2450 + 595).to_string()]);
        // Delta: a first feed has everything, the next only what changed.
        let first = i.json(&["batch", "run", "--retailer", "acme", "--kind", "inventory"]);
        assert_eq!(first["items"], 3);
        assert_eq!(i.json(&["batch", "run", "--retailer", "acme", "--kind", "inventory"])["documents"], 0);
        i.stock("sku,on_hand\nMUG,3\n");
        let d = i.json(&["batch", "run", "--retailer", "acme", "--kind", "inventory"]);
        let s = outbound(&i, ids(&d)[0]);
        assert_eq!(of(&s, "LIN").len(), 1);
        assert_eq!((of(&s, "LIN")[0][3].as_str(), of(&s, "QTY")[0][2].as_str()), ("MUG", "3"));
    }
}

/// An inbound 997 from ACME answering our group `gs` of functional id `fid`.
fn ack997(control: u32, fid: &str, gs: &str, set: &str, code: &str) -> Vec<u8> {
    format!(
        "ISA*00*          *00*          *ZZ*ACME           *ZZ*DROPGATE       *261124*1000*U*00401*{control:09}*0*P*>~\n\
         GS*FA*ACME*DROPGATE*20261124*1000*{control}*X*004010~\nST*997*0001~\nAK1*{fid}*{gs}~\nAK2*{set}*0001~\n\
         AK5*{code}~\nAK9*{code}*1*1*{}~\nSE*6*0001~\nGE*1*{control}~\nIEA*1*{control:09}~\n",
        if code == "A" { 1 } else { 0 }
    )
    .into_bytes()
}

#[test]
fn the_retailers_997_marks_our_documents() {
    for db in common::all_dbs("the_retailers_997_marks_our_documents") {
        let i = setup(db, PROFILE);
        i.ok(&["ship", "PO1", "--carrier", "UPSN", "--tracking", "1ZC1"]);
        let asn = ids(&i.json(&["batch", "run", "--retailer", "acme", "--kind", "asn"]))[0];
        let inv = ids(&i.json(&["batch", "run", "--retailer", "acme", "--kind", "invoice"]))[0];
        let gs_of = |id: i64| of(&outbound(&i, id), "GS")[0][6].clone();
        i.ingest("acme", "ack1.edi", &ack997(501, "SH", &gs_of(asn), "856", "A"));
        i.ingest("acme", "ack2.edi", &ack997(502, "IN", &gs_of(inv), "810", "R"));
        let rows = i.json(&["outbox", "list", "--retailer", "acme"]);
        let ack = |id: i64| rows.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap()["ack"].clone();
        assert_eq!((ack(asn), ack(inv)), (Value::from("accepted"), Value::from("rejected")));
        let show = i.ok(&["outbox", "show", &inv.to_string()]);
        assert!(show.contains("retailer's acknowledgement: rejected"), "{show}");
        let doctor = i.run(&["doctor"]);
        assert!(String::from_utf8_lossy(&doctor.stdout).contains("1 rejected by the retailer's 997"), "{doctor:?}");
    }
}

#[test]
fn a_missed_window_is_run_as_if_at_its_moment() {
    for db in common::all_dbs("a_missed_window_is_run_as_if_at_its_moment") {
        let i = setup(db, PROFILE);
        i.ok(&["ship", "PO1", "--carrier", "UPSN", "--tracking", "1ZD1"]);
        let at = ["batch", "run", "--retailer", "acme", "--kind", "asn", "--at", "2026-11-30T13:00:00-05:00"];
        let asn = i.json(&at);
        assert_eq!(asn["documents"], 1);
        assert_eq!(asn["scheduled_for"], 1_796_061_600_000_000_i64, "2026-11-30T18:00:00Z");
        let s = outbound(&i, ids(&asn)[0]);
        assert_eq!((of(&s, "ISA")[0][9].as_str(), of(&s, "ISA")[0][10].as_str()), ("261130", "1800"));
        assert_eq!(of(&s, "GS")[0][4], "20261130");
        // That moment's batch is made once; the next one finds nothing left.
        let again = i.run(&[&at[..], &["--json"]].concat());
        assert!(!again.status.success());
        assert!(String::from_utf8_lossy(&again.stderr).contains("was run for 2026-11-30T18:00:00"), "{again:?}");
        assert_eq!(i.json(&["batch", "run", "--retailer", "acme", "--kind", "asn"])["documents"], 0);
        let bad = i.run(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--at", "yesterday"]);
        assert!(!bad.status.success());
        assert!(String::from_utf8_lossy(&bad.stderr).contains("RFC 3339"), "{bad:?}");
    }
}
