//! The pipeline on every backend: changes and cancellations (860 → 865),
//! acknowledgements in both directions (997, 999, TA1, inbound 997),
//! repeats, duplicates and the quarantine.

mod common;
use common::{ingest, outbox_all};

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use dropgate::pipeline;
use dropgate::retailer::Profile;
use dropgate::store::documents::{self, Received};
use dropgate::store::outbox::{self, OutboxRow};
use dropgate::store::{orders, retailers, stock, Conn, Store};

const ACME: &str = "id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACMEHOME\"\nreceiver_id = \"ZZ:DROPGATE\"\n[policy]\non_short = \"backorder\"\n";

fn party(id: &str) -> PartyId {
    PartyId { qualifier: "ZZ".into(), id: id.into() }
}

fn setup(db: &common::TestDb) -> (Store, Conn) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = dropgate::store::connect(&db.url).unwrap();
    retailers::apply(&mut conn, &Profile::from_toml(ACME, "acme").unwrap()).unwrap();
    let item = |sku: &str, n: i64, upc: &str| stock::StockItem {
        sku: sku.into(),
        on_hand: n,
        upc: Some(upc.into()),
        ..Default::default()
    };
    stock::import(&mut conn, &[item("A", 100, "012345678905"), item("B", 10, "012345678929")], false).unwrap();
    (store, conn)
}

fn validate(row: &OutboxRow) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(&row.file_name);
    std::fs::write(&f, &row.payload).unwrap();
    let (ok, out) = common::edi_validate(&f);
    assert!(ok, "{} {} does not validate:\n{out}\n{}", row.kind, row.file_name, String::from_utf8_lossy(&row.payload));
}

fn reserved(conn: &mut Conn, sku: &str) -> i64 {
    stock::get(conn, sku).unwrap().unwrap().reserved
}

fn x12(sender: &str, control: u32, functional: &str, body: &[&str]) -> Vec<u8> {
    let mut s = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*DROPGATE       *261123*1000*U*00401*{control:09}*0*P*>~\n\
         GS*{functional}*{sender}*DROPGATE*20261123*1000*{control}*X*004010~\n"
    );
    for b in body {
        s.push_str(b);
        s.push_str("~\n");
    }
    s.push_str(&format!("GE*1*{control}~\nIEA*1*{control:09}~\n"));
    s.into_bytes()
}

fn changes_and_cancellations(db: &common::TestDb) {
    let (_store, mut conn) = setup(db);
    let file = x12_850(
        &party("ACMEHOME"),
        &party("DROPGATE"),
        1,
        &[
            SamplePo::new("PO1", "Ann", &[("UP", "012345678905", 3), ("UP", "012345678929", 2)]),
            SamplePo::new("PO2", "Bob", &[("UP", "012345678905", 4), ("UP", "012345678929", 8)]),
        ],
    );
    let (_, s) = ingest(&mut conn, "po.edi", &file);
    assert_eq!((s.accepted, s.partial), (2, 0), "{s:?}");
    assert_eq!((reserved(&mut conn, "A"), reserved(&mut conn, "B")), (7, 10));

    // PO1: line 1 down to 1, line 2 deleted.
    let change = x12(
        "ACMEHOME",
        2,
        "PC",
        &["ST*860*0001", "BCH*04*DS*PO1***20261123", "POC*1*QD*1*1*EA", "POC*2*DI*0*0*EA", "CTT*2", "SE*6*0001"],
    );
    let (_, s) = ingest(&mut conn, "chg.edi", &change);
    assert_eq!(s.changes, 1, "{s:?}");
    assert_eq!((reserved(&mut conn, "A"), reserved(&mut conn, "B")), (5, 8));
    let o = orders::find_by_po(&mut conn, "acme", "PO1").unwrap().remove(0);
    let lines = orders::lines_of(&mut conn, o.id).unwrap();
    assert_eq!((lines[0].ordered, lines[0].accepted), (1, 1));
    assert_eq!((lines[1].accepted, lines[1].cancelled), (0, 2));
    assert_eq!(o.state, "partially_accepted");

    // PO2 cancelled as a whole.
    let cancel = x12("ACMEHOME", 3, "PC", &["ST*860*0001", "BCH*01*DS*PO2***20261123", "SE*3*0001"]);
    let (_, s) = ingest(&mut conn, "cancel.edi", &cancel);
    assert_eq!(s.changes, 1);
    assert_eq!((reserved(&mut conn, "A"), reserved(&mut conn, "B")), (1, 0));
    assert_eq!(orders::find_by_po(&mut conn, "acme", "PO2").unwrap()[0].state, "cancelled");

    // A change for an order nobody holds is refused, not lost.
    let unknown =
        x12("ACMEHOME", 4, "PC", &["ST*860*0001", "BCH*04*DS*NOPE***20261123", "POC*1*DI*0*0*EA", "SE*4*0001"]);
    ingest(&mut conn, "unknown.edi", &unknown);

    let out = outbox_all(&mut conn);
    let e865: Vec<_> = out.iter().filter(|r| r.kind == "865").collect();
    assert_eq!(e865.len(), 3);
    let s1 = common::segments(&e865[0].payload);
    let bca = s1.iter().find(|s| s[0] == "BCA").unwrap();
    assert_eq!(bca[3], "PO1");
    let acks: Vec<&str> = s1.iter().filter(|s| s[0] == "ACK").map(|s| s[1].as_str()).collect();
    assert!(acks.contains(&"IA") && acks.contains(&"ID"), "{acks:?}");
    let refused = common::segments(&e865[2].payload);
    assert_eq!(refused.iter().find(|s| s[0] == "BCA").unwrap()[2], "RJ");
    for r in &e865 {
        validate(r);
    }
    // Reservations balance with what the lines hold.
    for (sku, held) in orders::reserved_by_lines(&mut conn).unwrap() {
        assert_eq!(reserved(&mut conn, &sku), held, "{sku}");
    }
}

fn acknowledgements(db: &common::TestDb) {
    let (_store, mut conn) = setup(db);
    // ISA14 = 1 asks for a TA1; a 5010 group gets a 999.
    let file = String::from_utf8(x12_850(
        &party("ACMEHOME"),
        &party("DROPGATE"),
        10,
        &[SamplePo::new("P10", "Cy", &[("UP", "012345678905", 1)])],
    ))
    .unwrap()
    .replace("*00401*000000010*0*P", "*00501*000000010*1*P")
    .replace("*X*004010~", "*X*005010~");
    let (_, s) = ingest(&mut conn, "5010.edi", file.as_bytes());
    assert_eq!(s.accepted, 1, "{s:?}");
    let out = outbox_all(&mut conn);
    let kinds: Vec<&str> = out.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, vec!["TA1", "999", "855"]);
    for r in &out {
        validate(r);
    }
    let ta1 = common::segments(&out[0].payload);
    let ta1 = ta1.iter().find(|s| s[0] == "TA1").unwrap();
    assert_eq!((ta1[1].as_str(), ta1[4].as_str(), ta1[5].as_str()), ("000000010", "A", "000"));
    assert!(common::segments(&out[1].payload).iter().any(|s| s[0] == "IK5" && s[1] == "A"));

    // The retailer's 997 for our 855 marks it rejected.
    let gs855 = common::segments(&out[2].payload).iter().find(|s| s[0] == "GS").unwrap()[6].clone();
    let fa = x12(
        "ACMEHOME",
        11,
        "FA",
        &["ST*997*0001", &format!("AK1*PR*{gs855}"), "AK2*855*0001", "AK5*R*5", "AK9*R*1*1*0", "SE*6*0001"],
    );
    let (_, s) = ingest(&mut conn, "fa.edi", &fa);
    assert_eq!(s.acks_received, 1, "{s:?}");
    assert_eq!(outbox::ack_state_of(&mut conn, out[2].id).unwrap().as_deref(), Some("rejected"));
    assert_eq!(outbox_all(&mut conn).len(), 3, "a 997 is not acknowledged");
}

fn repeats_duplicates_quarantine(db: &common::TestDb) {
    let (_store, mut conn) = setup(db);
    let po = |n: &str, who: &str| SamplePo::new(n, who, &[("UP", "012345678905", 2)]);
    let file = x12_850(&party("ACMEHOME"), &party("DROPGATE"), 20, &[po("D1", "Dee")]);
    let (r, _) = ingest(&mut conn, "a.edi", &file);
    let first_out = outbox_all(&mut conn);
    assert_eq!(first_out.len(), 2);

    // The same bytes again: a repeat, answered again byte for byte, nothing reserved.
    let (r2, s) = ingest(&mut conn, "a-copy.edi", &file);
    assert!(matches!(r2, Received::Repeat { document, .. } if document == r.document()));
    assert_eq!(s.repeats, 1);
    let out = outbox_all(&mut conn);
    assert_eq!(out.len(), 4);
    assert_eq!(out[2].payload, first_out[0].payload);
    assert_eq!(out[3].file_name, first_out[1].file_name);
    assert_eq!(reserved(&mut conn, "A"), 2);

    // Same PO and ship-to in a new interchange: a duplicate, the same answer, nothing reserved.
    let again = x12_850(&party("ACMEHOME"), &party("DROPGATE"), 21, &[po("D1", "Dee"), po("D1", "Someone Else")]);
    let (_, s) = ingest(&mut conn, "b.edi", &again);
    assert_eq!((s.duplicate, s.accepted), (1, 1), "another ship-to is another order: {s:?}");
    assert_eq!(reserved(&mut conn, "A"), 4);

    // A reused interchange control number with other content: quarantined, with the reason.
    let reused = x12_850(&party("ACMEHOME"), &party("DROPGATE"), 21, &[po("D9", "Eve")]);
    let (r3, s) = ingest(&mut conn, "c.edi", &reused);
    assert_eq!(s.quarantined, 1);
    let d = documents::get(&mut conn, r3.document()).unwrap().unwrap();
    assert_eq!(d.state, "quarantined");
    assert!(d.error.as_deref().unwrap().contains("already received"), "{:?}", d.error);
    // The admin looked and re-drives it: processed.
    conn.write(|c| documents::requeue(c, r3.document())).unwrap();
    let s = pipeline::process_document(&mut conn, r3.document()).unwrap();
    assert_eq!(s.accepted, 1, "{s:?}");

    // An unknown sender: quarantined until the retailer exists, then re-driven.
    let stranger = x12_850(&party("STRANGER"), &party("DROPGATE"), 1, &[po("S1", "Fay")]);
    let (r4, s) = ingest(&mut conn, "s.edi", &stranger);
    assert_eq!(s.quarantined, 1);
    let d = documents::get(&mut conn, r4.document()).unwrap().unwrap();
    let reason = d.error.unwrap();
    assert!(reason.contains("s.edi") && reason.contains("ZZ:STRANGER") && reason.contains("segment 1"), "{reason}");
    let p = Profile::from_toml(&ACME.replace("acme", "strange").replace("ACMEHOME", "STRANGER"), "x").unwrap();
    retailers::apply(&mut conn, &p).unwrap();
    conn.write(|c| documents::requeue(c, r4.document())).unwrap();
    let s = pipeline::process_document(&mut conn, r4.document()).unwrap();
    assert_eq!(s.accepted, 1);
    assert_eq!(documents::get(&mut conn, r4.document()).unwrap().unwrap().state, "processed");

    // Not X12 at all, and a broken envelope: quarantined, bytes kept, never a panic.
    for (name, bytes) in [
        ("random.txt", b"Random file".to_vec()),
        ("broken.edi", common::fixture_bytes("third_party/x12/invalid_850_4010_edifabric_corrupt_ISA_tag.edi")),
    ] {
        let (r, s) = ingest(&mut conn, name, &bytes);
        assert_eq!(s.quarantined, 1, "{name}");
        let d = documents::get(&mut conn, r.document()).unwrap().unwrap();
        assert_eq!(d.bytes, bytes);
        assert!(d.error.unwrap().contains(name));
    }

    // Processing that fails (here: a stored profile no one can read) keeps
    // the arrival in the ledger, waiting, and nothing of the processing.
    let before = outbox_all(&mut conn).len();
    {
        use diesel::connection::SimpleConnection;
        dropgate::with_conn!(&mut conn, c => c.batch_execute("UPDATE retailers SET profile = 'not toml' WHERE id = 'acme'"))
            .unwrap();
    }
    let late = x12_850(&party("ACMEHOME"), &party("DROPGATE"), 30, &[po("L1", "Lou")]);
    let (r5, s) = ingest(&mut conn, "late.edi", &late);
    assert!(s.problems.iter().any(|p| p.contains("processing failed")), "{s:?}");
    let d = documents::get(&mut conn, r5.document()).unwrap().unwrap();
    assert_eq!((d.state.as_str(), d.bytes.len()), ("received", late.len()));
    assert_eq!(documents::receipts_of(&mut conn, r5.document()).unwrap().len(), 1);
    assert_eq!(outbox_all(&mut conn).len(), before, "nothing answered");
    // Once the profile is fixed, the waiting document is processed.
    retailers::apply(&mut conn, &Profile::from_toml(&ACME.replace("backorder", "accept_partial"), "acme").unwrap())
        .unwrap();
    let s = pipeline::process_pending(&mut conn).unwrap();
    assert_eq!((s.documents, s.accepted), (1, 1), "{s:?}");
}

#[test]
fn changes_and_cancellations_on_every_backend() {
    for db in common::all_dbs("changes_and_cancellations_on_every_backend") {
        changes_and_cancellations(&db);
    }
}

#[test]
fn acknowledgements_on_every_backend() {
    for db in common::all_dbs("acknowledgements_on_every_backend") {
        acknowledgements(&db);
    }
}

#[test]
fn repeats_duplicates_and_quarantine_on_every_backend() {
    for db in common::all_dbs("repeats_duplicates_and_quarantine_on_every_backend") {
        repeats_duplicates_quarantine(&db);
    }
}
