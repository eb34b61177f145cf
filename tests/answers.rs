//! Every retailer gets its answers in its own language: after shipments
//! are confirmed, the `asn` and `invoice` batches write DESADV and INVOIC
//! for an EDIFACT retailer (checked by tools/edi-validate), a
//! ShipNoticeRequest (tools/cxml-validate) and an InvoiceDetailRequest
//! (read back) for a cXML buyer, and CSV files or branded PDFs (rendered
//! with pdftoppm, read with pdftotext) for a CSV retailer. Quantities,
//! tracking numbers and totals are checked against the shipments; no
//! shipment line is invoiced twice. On SQLite and, when
//! `DROPGATE_TEST_PG` is set, on PostgreSQL.

mod common;
use common::{ingest, outbox_all};

use dropgate::domain::shipment::{Package, ShipLine, ShipmentRequest};
use dropgate::formats::cxml::{self, Limits};
use dropgate::pipeline::batches::run_batch;
use dropgate::pipeline::{self, Summary};
use dropgate::retailer::Profile;
use dropgate::store::documents::{Arrival, Body};
use dropgate::store::outbox::OutboxRow;
use dropgate::store::{retailers, shipments, stock, Conn, Store};
use std::path::{Path, PathBuf};
use std::process::Command;

/// 2026-11-23 08:00:00 UTC, in µs: when the parcels leave.
const SHIPPED: i64 = 1_795_420_800_000_000;
/// 2026-11-24 18:00:00 UTC: the batches.
const BATCH: i64 = 1_795_543_200_000_000;

fn open(db: &common::TestDb, profile: &str, items: &[stock::StockItem]) -> (Store, Conn, Profile) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = dropgate::store::connect(&db.url).unwrap();
    let p = Profile::from_toml(profile, "retailer.toml").unwrap();
    retailers::apply(&mut conn, &p).unwrap();
    stock::import(&mut conn, items, false).unwrap();
    (store, conn, p)
}

/// Runs one batch now (each call its own moment); returns its new outbox rows.
fn batch(conn: &mut Conn, p: &Profile, kind: &str, n: i64) -> Vec<OutboxRow> {
    let before = outbox_all(conn).last().map_or(0, |r| r.id);
    let o = run_batch(conn, p, kind, BATCH + n, "manual", BATCH + n).unwrap().expect("a new run");
    let rows: Vec<OutboxRow> = outbox_all(conn).into_iter().filter(|r| r.id > before).collect();
    assert_eq!(rows.len(), usize::try_from(o.documents).unwrap(), "{o:?}");
    rows
}

fn ship(conn: &mut Conn, retailer: &str, po: &str, carrier: &str, packages: &[&str], lines: &[(&str, i64, usize)]) {
    let req = ShipmentRequest {
        carrier: carrier.into(),
        service: "GROUND".into(),
        packages: packages.iter().map(|t| Package { tracking: (*t).into(), ..Package::default() }).collect(),
        lines: lines
            .iter()
            .map(|(l, q, pkg)| ShipLine { line_number: (*l).into(), quantity: *q, package: *pkg })
            .collect(),
    };
    shipments::confirm(conn, Some(retailer), po, &req, "test", SHIPPED).unwrap();
}

/// EDIFACT segments (`'` terminators, one per line as dropgate writes them).
fn segs(bytes: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(bytes).lines().map(|l| l.trim_end_matches('\'').to_string()).collect()
}

fn with<'a>(s: &'a [String], tag: &str) -> Vec<&'a str> {
    s.iter().filter(|x| x.starts_with(&format!("{tag}+"))).map(String::as_str).collect()
}

// ---- EDIFACT ----

const EURO: &str =
    "id = \"euro\"\nname = \"Euro Retail\"\n[edifact]\nsender_id = \"SENDER1:16\"\nreceiver_id = \"RECEIVER1:01\"\n\
[outbound]\nfile_name = \"{doc}_{po}_{control}.edi\"\n\
[invoice]\nprefix = \"EU\"\nterms = { net_days = 30, description = \"NET 30\" }\n\
charges = [{ indicator = \"C\", code = \"D240\", amount = \"5.95\", description = \"Freight\" }]\n";

fn edifact_retailer(db: &common::TestDb) {
    let item =
        stock::StockItem { sku: "TEA".into(), on_hand: 100, upc: Some("4000862141404".into()), ..Default::default() };
    let (_store, mut conn, p) = open(db, EURO, &[item]);
    let (_, s) = ingest(
        &mut conn,
        "orders.edi",
        &common::fixture_bytes("third_party/edifact/ORDERS_D96A_edifabric_two_messages_CUX_TOD_LOC.edi"),
    );
    assert_eq!(s.accepted, 1, "{s:?}");
    let answered: Vec<u32> = outbox_all(&mut conn).iter().map(|r| r.control.parse().unwrap()).collect();
    // 48 ordered: 30 and 10 in two parcels now, 8 later.
    ship(&mut conn, "euro", "128576", "DHL", &["JD0001", "JD0002"], &[("1", 30, 0), ("1", 10, 1)]);

    let asn = batch(&mut conn, &p, "asn", 1);
    assert_eq!(asn.len(), 1);
    let d = &asn[0];
    assert_eq!(d.kind, "DESADV");
    common::edi_validate_bytes("desadv.edi", &d.payload);
    insta::assert_snapshot!("desadv", String::from_utf8(d.payload.clone()).unwrap());
    let control: u32 = d.control.parse().unwrap();
    assert!(answered.iter().all(|a| *a < control), "the UNB sequence of CONTRL and ORDRSP: {answered:?} {control}");
    assert_eq!(d.file_name, format!("DESADV_128576_{control}.edi"));
    let s = segs(&d.payload);
    assert!(s[1].starts_with(&format!("UNB+UNOC:3+RECEIVER1:01+SENDER1:16+261124:1800+{control}")), "{s:?}");
    assert_eq!(with(&s, "UNH"), ["UNH+1+DESADV:D:96A:UN"]);
    assert_eq!(with(&s, "RFF"), ["RFF+ON:128576"]);
    assert_eq!(with(&s, "DTM")[1], "DTM+11:20261123:102", "shipped");
    assert_eq!(with(&s, "GIN"), ["GIN+AW+JD0001", "GIN+AW+JD0002"]);
    assert_eq!(with(&s, "QTY"), ["QTY+12:30", "QTY+12:10"]);
    assert_eq!(with(&s, "LIN"), ["LIN+1++4000862141404:SRS", "LIN+1++4000862141404:SRS"]);
    assert!(batch(&mut conn, &p, "asn", 2).is_empty(), "a shipment is in one notice");

    let inv = batch(&mut conn, &p, "invoice", 3);
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].kind, "INVOIC");
    common::edi_validate_bytes("invoic.edi", &inv[0].payload);
    insta::assert_snapshot!("invoic", String::from_utf8(inv[0].payload.clone()).unwrap());
    let s = segs(&inv[0].payload);
    assert_eq!(with(&s, "BGM"), ["BGM+380+EU000000001+9"]);
    assert_eq!(with(&s, "QTY"), ["QTY+47:40"]);
    assert_eq!(with(&s, "PRI"), ["PRI+AAA:14.58"]);
    assert_eq!(with(&s, "CUX"), ["CUX+2:GBP:4"]);
    assert_eq!(with(&s, "PAT"), ["PAT+1++5:3:D:30"]);
    assert_eq!(with(&s, "FTX"), ["FTX+AAB+++NET 30"]);
    assert_eq!(with(&s, "ALC"), ["ALC+C++++FC:::Freight"]);
    // 40 × 14.58 = 583.20, plus 5.95 freight.
    assert_eq!(with(&s, "MOA"), ["MOA+8:5.95", "MOA+203:583.2", "MOA+77:589.15", "MOA+79:583.2", "MOA+131:5.95"]);

    // Never twice: the same batch again writes nothing; the rest is billed when it ships.
    assert!(batch(&mut conn, &p, "invoice", 4).is_empty());
    ship(&mut conn, "euro", "128576", "DHL", &["JD0003"], &[("1", 8, 0)]);
    assert_eq!(batch(&mut conn, &p, "asn", 5).len(), 1);
    let inv = batch(&mut conn, &p, "invoice", 6);
    let s = segs(&inv[0].payload);
    assert_eq!((with(&s, "BGM")[0], with(&s, "QTY")[0]), ("BGM+380+EU000000002+9", "QTY+47:8"));
    assert!(with(&s, "MOA").contains(&"MOA+77:122.59"), "8 × 14.58 + 5.95: {s:?}");
    common::edi_validate_bytes("invoic2.edi", &inv[0].payload);
}

#[test]
fn edifact_retailer_sqlite() {
    edifact_retailer(&common::sqlite_db());
}

#[test]
fn edifact_retailer_postgres() {
    if let Some(db) = common::pg_db("answers::edifact_retailer") {
        edifact_retailer(&db);
    }
}

// ---- cXML ----

const BUYER: &str = "id = \"coupa\"\nname = \"Coupa buyer\"\n[cxml]\nidentity = \"dell\"\ndomain = \"DUNS\"\n";

fn cxml_buyer(db: &common::TestDb) {
    let item =
        stock::StockItem { sku: "OPTI".into(), on_hand: 5, vendor_sku: Some("223-4511".into()), ..Default::default() };
    let (_store, mut conn, p) = open(db, BUYER, &[item]);
    let sample = "third_party/cxml/OrderRequest_1.2.014_officeluv_coupa_distribution.xml";
    let (_, s) = ingest(&mut conn, "order.xml", &common::fixture_bytes(sample));
    assert_eq!(s.accepted, 1, "{s:?}");
    ship(&mut conn, "coupa", "6112", "UPS", &["1Z999AA10123456784"], &[]);

    let asn = batch(&mut conn, &p, "asn", 1);
    assert_eq!(asn.len(), 1);
    let n = &asn[0];
    assert_eq!(
        (n.kind.as_str(), n.file_name.as_str()),
        ("ShipNoticeRequest", format!("ShipNoticeRequest_{}.xml", n.control).as_str())
    );
    let (code, out) = common::cxml_validate("shipnotice.xml", &n.payload);
    assert_eq!(code, 0, "not valid against Fulfill.dtd:\n{out}\n{}", String::from_utf8_lossy(&n.payload));
    insta::assert_snapshot!("ship_notice_request", String::from_utf8(n.payload.clone()).unwrap());
    let doc = cxml::xml::parse(&n.payload, &Limits::default(), None).unwrap();
    assert_eq!(
        doc.root.attr("payloadID").map(str::to_string),
        Some(format!("{}.{}@128293714.dropgate", BATCH.div_euclid(1_000_000), n.control)),
        "deterministic: the batch time, the retailer's cXML sequence, our identity"
    );
    let from = doc.root.at(&["Header", "From", "Credential", "Identity"]).unwrap();
    assert_eq!(from.text.trim(), "128293714", "us, as the order's To");
    let to = doc.root.at(&["Header", "To", "Credential", "Identity"]).unwrap();
    assert_eq!(to.text.trim(), "dell");
    let req = doc.root.at(&["Request", "ShipNoticeRequest"]).unwrap();
    let ctl = req.child("ShipControl").unwrap();
    assert_eq!(ctl.child("ShipmentIdentifier").unwrap().text.trim(), "1Z999AA10123456784");
    let portion = req.child("ShipNoticePortion").unwrap();
    assert_eq!(portion.child("OrderReference").unwrap().attr("orderID"), Some("6112"));
    let items: Vec<(Option<&str>, Option<&str>)> = portion
        .children
        .iter()
        .filter(|c| c.name == "ShipNoticeItem")
        .map(|c| (c.attr("lineNumber"), c.attr("quantity")))
        .collect();
    assert_eq!(items, [(Some("1"), Some("1")), (Some("2"), Some("2"))]);
    assert!(batch(&mut conn, &p, "asn", 2).is_empty());

    let inv = batch(&mut conn, &p, "invoice", 3);
    assert_eq!(inv.len(), 1);
    assert_eq!(inv[0].kind, "InvoiceDetailRequest");
    let (code, out) = common::cxml_validate("invoice.xml", &inv[0].payload);
    assert_eq!(code, 3, "no InvoiceDetail.dtd here: reported unchecked: {out}");
    insta::assert_snapshot!("invoice_detail_request", String::from_utf8(inv[0].payload.clone()).unwrap());
    let doc = cxml::xml::parse(&inv[0].payload, &Limits::default(), None).unwrap();
    assert_ne!(
        doc.root.attr("payloadID"),
        Some(format!("{}.{}@128293714.dropgate", BATCH / 1_000_000, n.control).as_str())
    );
    let req = doc.root.at(&["Request", "InvoiceDetailRequest"]).unwrap();
    let names: Vec<&str> = req.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["InvoiceDetailRequestHeader", "InvoiceDetailOrder", "InvoiceDetailSummary"]);
    assert_eq!(req.child("InvoiceDetailRequestHeader").unwrap().attr("invoiceID"), Some("INV000000001"));
    let order = req.child("InvoiceDetailOrder").unwrap();
    let lines: Vec<(Option<&str>, String, String)> = order
        .children
        .iter()
        .filter(|c| c.name == "InvoiceDetailItem")
        .map(|c| {
            (
                c.attr("quantity"),
                c.at(&["UnitPrice", "Money"]).unwrap().text.trim().to_string(),
                c.at(&["SubtotalAmount", "Money"]).unwrap().text.trim().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [(Some("1"), "1505.00".into(), "1505.00".into()), (Some("2"), "1505.00".into(), "3010.00".into())]
    );
    let sum = req.child("InvoiceDetailSummary").unwrap();
    for (what, v) in [("SubtotalAmount", "4515.00"), ("NetAmount", "4515.00"), ("DueAmount", "4515.00")] {
        assert_eq!(sum.at(&[what, "Money"]).unwrap().text.trim(), v, "{what}");
        assert_eq!(sum.at(&[what, "Money"]).unwrap().attr("currency"), Some("USD"));
    }
    assert!(batch(&mut conn, &p, "invoice", 4).is_empty(), "never invoiced twice");
}

#[test]
fn cxml_buyer_sqlite() {
    cxml_buyer(&common::sqlite_db());
}

#[test]
fn cxml_buyer_postgres() {
    if let Some(db) = common::pg_db("answers::cxml_buyer") {
        cxml_buyer(&db);
    }
}

// ---- CSV ----

fn shop(answers: &str) -> String {
    format!(
        "id = \"shop\"\nname = \"Web shop\"\n[outbound]\nfile_name = \"{{doc}}_{{po}}.csv\"\n\
         [brand]\nname = \"Corner Tea Shop\"\nlogo = \"brand/acme-logo.png\"\naccent_color = \"#1F5FAD\"\nemail = \"help@tea.example\"\nfooter = \"Thank you for trading with us.\"\n\
         [invoice]\nterms = {{ net_days = 14 }}\ncharges = [{{ indicator = \"A\", code = \"C310\", amount = \"1.00\", description = \"Loyalty discount\" }}]\n\
         [csv]\ndelimiter = \";\"\nheader = true\nanswers = \"{answers}\"\n\
         [csv.columns]\npo = \"order\"\nline = \"line\"\nsku = \"sku\"\nqty = \"qty\"\nship_to_name = \"name\"\nship_to_address1 = \"street\"\nship_to_city = \"city\"\nship_to_postal_code = \"zip\"\nship_to_country = \"country\"\n"
    )
}

const ORDERS: &str = "order;line;sku;qty;name;street;city;zip;country\n\
W-1;1;TEA;2;Ann Smith;3 Mill Lane;York;YO1 7HH;GB\n\
W-1;2;CUP;3;Ann Smith;3 Mill Lane;York;YO1 7HH;GB\n";

fn csv_items() -> Vec<stock::StockItem> {
    vec![
        stock::StockItem {
            sku: "TEA".into(),
            on_hand: 10,
            description: Some("Assam tea, 250 g".into()),
            unit_price: Some("3.50".into()),
            ..Default::default()
        },
        stock::StockItem {
            sku: "CUP".into(),
            on_hand: 2,
            description: Some("Stoneware cup".into()),
            unit_price: Some("7.25".into()),
            ..Default::default()
        },
    ]
}

fn from_shop(conn: &mut Conn, name: &str, bytes: &[u8]) -> Summary {
    pipeline::ingest(
        conn,
        Arrival { source: "test", name, retailer: Some("shop"), body: Body::Bytes(bytes), settled: true },
    )
    .unwrap()
    .1
}

fn csv_retailer(db: &common::TestDb) {
    let (_store, mut conn, p) = open(db, &shop("csv"), &csv_items());
    let s = from_shop(&mut conn, "orders.csv", ORDERS.as_bytes());
    assert_eq!(s.partial + s.backordered + s.accepted, 1, "{s:?}");
    let first = outbox_all(&mut conn);
    assert_eq!(first.iter().map(|r| r.kind.as_str()).collect::<Vec<_>>(), ["confirmation.csv"]);
    ship(&mut conn, "shop", "W-1", "UPS", &["1Z0001", "1Z0002"], &[("1", 2, 0), ("2", 2, 1)]);

    let asn = batch(&mut conn, &p, "asn", 1);
    assert_eq!(asn.len(), 1);
    assert_eq!((asn[0].kind.as_str(), asn[0].file_name.as_str()), ("shipment.csv", "shipment_W-1.csv"));
    assert_eq!(
        String::from_utf8(asn[0].payload.clone()).unwrap(),
        "po,line,item,sku,quantity_shipped,carrier,service,tracking,ship_date,shipment\n\
         W-1,1,TEA,TEA,2,UPS,GROUND,1Z0001,20261123,SHP000000001\n\
         W-1,2,CUP,CUP,2,UPS,GROUND,1Z0002,20261123,SHP000000001\n"
    );
    assert!(batch(&mut conn, &p, "asn", 2).is_empty());

    let inv = batch(&mut conn, &p, "invoice", 3);
    assert_eq!(inv.len(), 1);
    assert_eq!((inv[0].kind.as_str(), inv[0].file_name.as_str()), ("invoice.csv", "invoice_W-1.csv"));
    // 2 × 3.50 + 2 × 7.25 − 1.00 = 20.50.
    assert_eq!(
        String::from_utf8(inv[0].payload.clone()).unwrap(),
        "invoice,invoice_date,po,line,item,sku,quantity,unit_price,amount,invoice_total,terms\n\
         INV000000001,20261124,W-1,1,TEA,TEA,2,3.5,7.00,20.50,net 14 days\n\
         INV000000001,20261124,W-1,2,CUP,CUP,2,7.25,14.50,20.50,net 14 days\n\
         INV000000001,20261124,W-1,,C310,,,,-1.00,20.50,net 14 days\n"
    );
    assert!(batch(&mut conn, &p, "invoice", 4).is_empty(), "never invoiced twice");
}

#[test]
fn csv_retailer_sqlite() {
    csv_retailer(&common::sqlite_db());
}

#[test]
fn csv_retailer_postgres() {
    if let Some(db) = common::pg_db("answers::csv_retailer") {
        csv_retailer(&db);
    }
}

fn tool(name: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (Debian poppler-utils; tools/test installs it): {e}"));
    assert!(out.status.success(), "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// The PDF's text (pdftotext), after checking its first page renders to a
/// picture that is not blank: a PNG to look at, and a grey map whose dark
/// pixels are counted.
fn read_back(dir: &Path, name: &str, pdf: &[u8]) -> String {
    assert!(pdf.starts_with(b"%PDF-"), "{name}");
    let f = dir.join(name);
    std::fs::write(&f, pdf).unwrap();
    let stem = dir.join(name.trim_end_matches(".pdf"));
    tool(
        "pdftoppm",
        &["-r", "60", "-f", "1", "-l", "1", "-singlefile", "-png", f.to_str().unwrap(), stem.to_str().unwrap()],
    );
    let png: PathBuf = stem.with_extension("png");
    assert!(std::fs::metadata(&png).unwrap().len() > 2_000, "{name}: a PNG of some content");
    let pgm = tool("pdftoppm", &["-r", "30", "-f", "1", "-l", "1", "-singlefile", "-gray", f.to_str().unwrap()]);
    // P5 header: magic, width, height, maximum, each ending in one whitespace byte.
    let mut fields = 0;
    let mut at = 0;
    while fields < 4 && at < pgm.len() {
        if pgm[at].is_ascii_whitespace() && at > 0 && !pgm[at - 1].is_ascii_whitespace() {
            fields += 1;
        }
        at += 1;
    }
    let pixels = &pgm[at..];
    let dark = pixels.iter().filter(|&&v| v < 160).count();
    assert!(pixels.len() > 10_000, "{name}: {} pixels", pixels.len());
    assert!(dark * 1000 > pixels.len() * 5, "{name} looks blank: {dark} dark of {} pixels", pixels.len());
    if let Ok(keep) = std::env::var("ANSWERS_KEEP") {
        std::fs::create_dir_all(&keep).unwrap();
        std::fs::copy(&png, Path::new(&keep).join(png.file_name().unwrap())).unwrap();
        std::fs::copy(&f, Path::new(&keep).join(name)).unwrap();
    }
    String::from_utf8(tool("pdftotext", &["-layout", f.to_str().unwrap(), "-"])).unwrap()
}

fn pdf_answers(db: &common::TestDb) {
    // As `dropgate` sets it from dropgate.toml: logos relative to its directory, the wholesaler's name hidden.
    pipeline::answers::configure(pipeline::answers::PaperSettings {
        base_dir: Some(common::fixture("")),
        paper: dropgate::slip::Paper::A4,
        hidden: vec!["Hidden Wholesale Ltd".into()],
    });
    let (_store, mut conn, p) = open(db, &shop("pdf"), &csv_items());
    let dir = tempfile::tempdir().unwrap();
    // CUP: 3 ordered, 2 on hand; the retailer's default policy takes what there is.
    from_shop(&mut conn, "orders.csv", ORDERS.as_bytes());
    let out = outbox_all(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].kind.as_str(), out[0].file_name.as_str()), ("confirmation.pdf", "confirmation_W-1.pdf"));
    let text = read_back(dir.path(), "confirmation.pdf", &out[0].payload);
    for want in [
        "Corner Tea Shop",
        "Order confirmation",
        "W-1",
        "TEA",
        "CUP",
        "Assam tea, 250 g",
        "Ann Smith",
        "help@tea.example",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    let cup = text.lines().find(|l| l.contains("CUP")).unwrap();
    let numbers: Vec<&str> = cup.split_whitespace().filter(|w| w.bytes().all(|b| b.is_ascii_digit())).collect();
    assert_eq!(&numbers[numbers.len() - 4..], ["3", "2", "1", "0"], "ordered, accepted, backordered, rejected: {cup}");

    ship(&mut conn, "shop", "W-1", "UPS", &["1Z0001"], &[]);
    let asn = batch(&mut conn, &p, "asn", 1);
    assert_eq!((asn[0].kind.as_str(), asn[0].file_name.as_str()), ("shipment.pdf", "shipment_W-1.pdf"));
    let text = read_back(dir.path(), "shipment.pdf", &asn[0].payload);
    for want in ["Shipment confirmation", "W-1", "TEA", "CUP", "1Z0001", "UPS GROUND", "Units shipped"] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }

    let inv = batch(&mut conn, &p, "invoice", 2);
    assert_eq!((inv[0].kind.as_str(), inv[0].file_name.as_str()), ("invoice.pdf", "invoice_W-1.pdf"));
    let text = read_back(dir.path(), "invoice.pdf", &inv[0].payload);
    let images =
        String::from_utf8(tool("pdfimages", &["-list", dir.path().join("invoice.pdf").to_str().unwrap()])).unwrap();
    let logos: Vec<&str> = images.lines().skip(2).filter(|l| l.split_whitespace().nth(2) == Some("image")).collect();
    assert_eq!(logos.len(), 1, "the retailer's logo, once: {images}");
    assert!(logos[0].split_whitespace().nth(3) == Some("320"), "{images}");
    // 2 × 3.50 + 2 × 7.25 − 1.00 = 20.50.
    for want in [
        "Invoice",
        "INV000000001",
        "W-1",
        "TEA",
        "CUP",
        "3.50",
        "7.00",
        "7.25",
        "14.50",
        "Stoneware cup",
        "Subtotal",
        "21.50",
        "Loyalty discount",
        "-1.00",
        "20.50",
        "net 14 days",
        "Thank you for trading with us.",
    ] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    assert!(batch(&mut conn, &p, "invoice", 3).is_empty(), "never invoiced twice");
}

#[test]
fn pdf_answers_sqlite() {
    pdf_answers(&common::sqlite_db());
}

#[test]
fn pdf_answers_postgres() {
    if let Some(db) = common::pg_db("answers::pdf_answers") {
        pdf_answers(&db);
    }
}

// ---- what a character set cannot hold ----

/// An ORDERS in UTF-8 (UNOW) for a consumer whose name no Latin set spells.
const ORDERS_UNOW: &str = "UNA:+.? '\nUNB+UNOW:3+SENDER1:16+RECEIVER1:01+261123:0900+900'\nUNH+1+ORDERS:D:96A:UN'\n\
BGM+220+PO-CJK+9'\nDTM+137:20261123:102'\nNAD+DP+++王小明+1 Chang An Avenue+Beijing++100000+CN'\n\
LIN+1++4000862141404:SRS'\nQTY+21:2'\nPRI+AAA:10'\nUNS+S'\nCNT+2:1'\nUNT+10+1'\nUNZ+1+900'\n";

fn refused_until_the_charset_fits(db: &common::TestDb) {
    let item =
        stock::StockItem { sku: "TEA".into(), on_hand: 10, upc: Some("4000862141404".into()), ..Default::default() };
    let (_store, mut conn, p) = open(db, EURO, &[item]);
    let (_, s) = ingest(&mut conn, "cjk.edi", ORDERS_UNOW.as_bytes());
    assert_eq!(s.accepted, 1, "{s:?}");
    ship(&mut conn, "euro", "PO-CJK", "DHL", &["JD0009"], &[]);
    // Batches go out in UNOC by default: the ship-to cannot be written, nothing is sent or marked.
    assert!(batch(&mut conn, &p, "asn", 1).is_empty());
    let ev = dropgate::store::events(&mut conn, "outbound.refused", Some("euro"), 10).unwrap();
    assert_eq!(ev.len(), 1, "{ev:?}");
    assert!(ev[0].message.contains("DESADV for PO PO-CJK") && ev[0].message.contains("UNOC"), "{ev:?}");
    // With the retailer's batches in UNOW, the same shipment goes out in the next batch.
    let p = Profile::from_toml(&EURO.replace("[outbound]", "charset = \"UNOW\"\n[outbound]"), "euro").unwrap();
    assert_eq!(p.edifact.as_ref().unwrap().charset.as_deref(), Some("UNOW"));
    retailers::apply(&mut conn, &p).unwrap();
    let asn = batch(&mut conn, &p, "asn", 2);
    assert_eq!(asn.len(), 1);
    let text = String::from_utf8(asn[0].payload.clone()).unwrap();
    assert!(text.contains("UNB+UNOW:3+") && text.contains("NAD+DP+++王小明+"), "{text}");
    common::edi_validate_bytes("desadv_unow.edi", &asn[0].payload);
}

#[test]
fn refused_until_the_charset_fits_sqlite() {
    refused_until_the_charset_fits(&common::sqlite_db());
}

#[test]
fn refused_until_the_charset_fits_postgres() {
    if let Some(db) = common::pg_db("answers::refused_until_the_charset_fits") {
        refused_until_the_charset_fits(&db);
    }
}

// ---- through the command line ----

#[test]
fn a_pdf_shop_through_the_command_line() {
    let i = common::Install::new(common::sqlite_db());
    std::fs::create_dir_all(i.path().join("brand")).unwrap();
    std::fs::copy(common::fixture("brand/acme-logo.png"), i.path().join("brand/acme-logo.png")).unwrap();
    let profile = shop("pdf")
        .replace("[outbound]", "[folders]\ninbound = \"data/shop/in\"\noutbound = \"data/shop/out\"\n[outbound]");
    std::fs::write(i.path().join("shop.toml"), profile).unwrap();
    i.ok(&["retailer", "apply", "shop.toml"]);
    i.stock("sku,on_hand,description,unit_price\nTEA,10,Assam tea,3.50\nCUP,5,Stoneware cup,7.25\n");
    i.ingest("shop", "orders.csv", ORDERS.as_bytes());
    i.ok(&["ship", "W-1", "--carrier", "UPS", "--service", "GROUND", "--tracking", "1Z0001"]);
    let asn = i.json(&["batch", "run", "--retailer", "shop", "--kind", "asn", "--deliver"]);
    assert_eq!(asn["documents"], 1, "{asn}");
    let inv = i.json(&["batch", "run", "--retailer", "shop", "--kind", "invoice", "--deliver"]);
    assert_eq!(inv["documents"], 1, "{inv}");
    let again = i.json(&["batch", "run", "--retailer", "shop", "--kind", "invoice"]);
    assert_eq!(again["documents"], 0, "never invoiced twice: {again}");
    let out = i.outbound("shop");
    let mut names: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    assert_eq!(names, ["confirmation_W-1.pdf", "invoice_W-1.pdf", "shipment_W-1.pdf"]);
    let f = out.join("invoice_W-1.pdf");
    let text = String::from_utf8(tool("pdftotext", &["-layout", f.to_str().unwrap(), "-"])).unwrap();
    // 2 × 3.50 + 3 × 7.25 − 1.00 = 27.75.
    for want in ["Corner Tea Shop", "Invoice", "W-1", "Assam tea", "21.75", "27.75"] {
        assert!(text.contains(want), "{want:?} in:\n{text}");
    }
    assert!(!text.contains("Hidden Wholesale"), "{text}");
    let images = String::from_utf8(tool("pdfimages", &["-list", f.to_str().unwrap()])).unwrap();
    assert!(images.lines().skip(2).any(|l| l.split_whitespace().nth(2) == Some("image")), "the logo: {images}");
}
