//! CSV orders: the headerless third-party sample with a positional
//! mapping, a header-row profile (names, a repeated header, another
//! encoding), bad rows reported with their line numbers, and CSV orders
//! through the pipeline on every backend.

mod common;

use dropgate::domain::Amount;
use dropgate::formats::csv::{self, Column, Columns, CsvProfile};
use dropgate::formats::{detect, Format};
use dropgate::pipeline::{self, Summary};
use dropgate::retailer::Profile;
use dropgate::store::documents::{Arrival, Body};
use dropgate::store::outbox::{self, OutboxFilter};
use dropgate::store::{orders, retailers, stock, Conn, Store};

const SAMPLE: &str = "third_party/csv/orders_headerless_all_quoted_bots_ORDERSD96A_flat_lines.csv";

fn positional() -> CsvProfile {
    CsvProfile {
        delimiter: ",".into(),
        encoding: "utf-8".into(),
        header: false,
        item_qualifier: "EN".into(),
        date_formats: Vec::new(),
        answers: csv::Answers::Csv,
        columns: Columns {
            po: Some(Column::Position(5)),
            order_date: Some(Column::Position(6)),
            ship_to_id: Some(Column::Position(13)),
            line: Some(Column::Position(26)),
            sku: Some(Column::Position(27)),
            qty: Some(Column::Position(30)),
            ..Columns::default()
        },
    }
}

#[test]
fn the_headerless_sample_reads_with_positions() {
    let bytes = common::fixture_bytes(SAMPLE);
    assert_eq!(detect(&bytes), Format::Csv);
    let f = csv::read(&bytes, &positional());
    assert!(f.errors.is_empty(), "{:?}", f.errors);
    let pos: Vec<&str> = f.orders.iter().map(|o| o.po_number.as_str()).collect();
    assert_eq!(pos, ["BGMREF", "1-4500094289", "1-4500094290", "1-4500094291"]);
    let first = f.orders[0].order.as_ref().unwrap();
    assert_eq!(first.lines.len(), 4);
    assert_eq!(first.order_date.as_deref(), Some("20050819"));
    assert_eq!(first.lines[1].id(&["EN"]), Some("8712345005009"));
    assert_eq!(first.lines[1].line_number, "2");
    assert_eq!(first.ship_to().and_then(|p| p.id.as_deref()), Some("8712345002015"));
    let last = f.orders[3].order.as_ref().unwrap();
    assert_eq!(last.lines[0].quantity, Amount::from_units(9), "\"9.000\"");
    assert_eq!(f.orders[1].first_line, 5);
}

const HEADER_CSV: &str = "order;line;sku;qty;name;street;city;zip;country;gift\r\n\
W-1;1;TEA;2;Ren\u{e9}e Dupont;1 rue de la Paix;Paris;75002;FR;Joyeux anniversaire\r\n\
W-1;2;CUP;1;Ren\u{e9}e Dupont;1 rue de la Paix;Paris;75002;FR;Joyeux anniversaire\r\n\
order;line;sku;qty;name;street;city;zip;country;gift\r\n\
W-2;1;TEA;x;Bob;2 Main St;Leeds;LS1;GB;\r\n\
W-2;2;CUP;1;Bob;2 Main St;Leeds;LS1;GB;\r\n\
;1;TEA;1;Nobody;;;;;\r\n\
W-3;1;CUP;3;\"Smith; Ann\";\"3 \"\"Quoted\"\" Rd\";York;YO1;GB;\r\n";

fn header_profile() -> CsvProfile {
    let n = |s: &str| Some(Column::Name(s.into()));
    CsvProfile {
        delimiter: ";".into(),
        encoding: "windows-1252".into(),
        header: true,
        item_qualifier: "SK".into(),
        date_formats: Vec::new(),
        answers: csv::Answers::Csv,
        columns: Columns {
            po: n("order"),
            line: n("line"),
            sku: n("sku"),
            qty: n("qty"),
            ship_to_name: n("name"),
            ship_to_address1: n("street"),
            ship_to_city: n("city"),
            ship_to_postal_code: n("zip"),
            ship_to_country: n("country"),
            gift_message: n("gift"),
            ..Columns::default()
        },
    }
}

fn windows_1252(s: &str) -> Vec<u8> {
    encoding_rs::WINDOWS_1252.encode(s).0.into_owned()
}

#[test]
fn a_header_row_profile_with_bad_rows_reported_by_line() {
    let bytes = windows_1252(HEADER_CSV);
    assert!(std::str::from_utf8(&bytes).is_err());
    assert_eq!(detect(&bytes), Format::Csv);
    let f = csv::read(&bytes, &header_profile());
    assert_eq!(f.errors, vec!["line 7: no PO number (csv.columns.po)"]);
    let pos: Vec<&str> = f.orders.iter().map(|o| o.po_number.as_str()).collect();
    assert_eq!(pos, ["W-1", "W-2", "W-3"], "the repeated header is skipped");
    let w1 = f.orders[0].order.as_ref().unwrap();
    assert_eq!(w1.lines.len(), 2);
    let st = w1.ship_to().unwrap();
    assert_eq!(st.name.as_deref(), Some("Renée Dupont"), "read as windows-1252");
    assert_eq!(w1.gift_message().as_deref(), Some("Joyeux anniversaire"));
    assert_eq!(f.orders[1].order, Err(vec!["line 5: quantity \"x\" is not a positive number".to_string()]));
    let w3 = f.orders[2].order.as_ref().unwrap();
    assert_eq!(w3.ship_to().unwrap().name.as_deref(), Some("Smith; Ann"));
    assert_eq!(w3.ship_to().unwrap().address, vec!["3 \"Quoted\" Rd"]);

    // A header without a mapped column is named.
    let mut p = header_profile();
    p.columns.qty = Some(Column::Name("quantity".into()));
    let f = csv::read(&bytes, &p);
    assert!(f.orders.is_empty());
    assert!(f.errors[0].contains("line 1") && f.errors[0].contains("\"quantity\""), "{:?}", f.errors);
    // UTF-8 expected, other bytes found: the line is named.
    let mut p = header_profile();
    p.encoding = "utf-8".into();
    let f = csv::read(&bytes, &p);
    assert!(f.errors[0].starts_with("line 2: bytes that are not UTF-8"), "{:?}", f.errors);
    // Profiles are checked when applied.
    let mut p = header_profile();
    p.header = false;
    assert!(p.validate().unwrap_err().contains("give its position"));
    p.delimiter = ";;".into();
    assert!(p.validate().unwrap_err().contains("one ASCII character"));
}

const SHOP: &str = "id = \"shop\"\nname = \"Web shop\"\n[policy]\non_short = \"backorder\"\n[outbound]\nfile_name = \"{doc}_{po}.csv\"\n\
[csv]\ndelimiter = \";\"\nencoding = \"windows-1252\"\nheader = true\n\
[csv.columns]\npo = \"order\"\nline = \"line\"\nsku = \"sku\"\nqty = \"qty\"\nship_to_name = \"name\"\nship_to_address1 = \"street\"\nship_to_city = \"city\"\nship_to_postal_code = \"zip\"\nship_to_country = \"country\"\ngift_message = \"gift\"\n";

fn through_the_pipeline(db: &common::TestDb) {
    let _store = Store::open(&db.url, 2).unwrap();
    let mut conn = dropgate::store::connect(&db.url).unwrap();
    retailers::apply(&mut conn, &Profile::from_toml(SHOP, "shop.toml").unwrap()).unwrap();
    let items = [
        stock::StockItem { sku: "TEA".into(), on_hand: 10, ..Default::default() },
        stock::StockItem { sku: "CUP".into(), on_hand: 3, ..Default::default() },
    ];
    stock::import(&mut conn, &items, false).unwrap();
    let bytes = windows_1252(HEADER_CSV);
    let ingest = |conn: &mut Conn, retailer: Option<&str>, name: &str, b: &[u8]| -> Summary {
        pipeline::ingest(conn, Arrival { source: "test", name, retailer, body: Body::Bytes(b), settled: true })
            .unwrap()
            .1
    };
    let s = ingest(&mut conn, Some("shop"), "orders.csv", &bytes);
    // W-1 and W-3 taken (CUP: 1 + 3 of 3 on hand), W-2 rejected for its line 5.
    assert_eq!((s.accepted + s.partial + s.backordered, s.sets_rejected, s.quarantined), (2, 1, 0), "{s:?}");
    assert!(s.problems.iter().any(|p| p.contains("PO W-2") && p.contains("line 5")), "{s:?}");
    assert!(s.problems.iter().any(|p| p.contains("line 7: no PO number")), "{s:?}");
    assert_eq!(stock::get(&mut conn, "CUP").unwrap().unwrap().reserved, 3);
    let w1 = orders::find_by_po(&mut conn, "shop", "W-1").unwrap();
    assert_eq!(w1[0].ship_to_name.as_deref(), Some("Renée Dupont"));
    assert!(orders::find_by_po(&mut conn, "shop", "W-2").unwrap().is_empty());
    let out = outbox::list(&mut conn, &OutboxFilter { limit: 100, ..Default::default() }).unwrap();
    let mut names: Vec<&str> = out.iter().map(|r| r.file_name.as_str()).collect();
    names.sort_unstable();
    assert_eq!(names, ["confirmation_W-1.csv", "confirmation_W-3.csv"]);
    let w3 = out.iter().find(|r| r.file_name == "confirmation_W-3.csv").unwrap();
    let text = String::from_utf8(w3.payload.clone()).unwrap();
    assert_eq!(text, "po,line,item,ordered,accepted,backordered,rejected,status\nW-3,1,CUP,3,2,1,0,backordered\n");

    // The same orders again in another file: duplicates, nothing reserved twice.
    let again = windows_1252(&HEADER_CSV.replace("W-2;1;TEA;x", "W-2;1;TEA;1"));
    let s = ingest(&mut conn, Some("shop"), "again.csv", &again);
    assert_eq!((s.duplicate, s.accepted + s.partial + s.backordered), (2, 1), "{s:?}");
    // W-2's TEA is taken, its CUP backordered (none free); W-1 and W-3 are not taken again.
    assert_eq!(stock::get(&mut conn, "TEA").unwrap().unwrap().reserved, 3);
    assert_eq!(stock::get(&mut conn, "CUP").unwrap().unwrap().reserved, 3);
    // Without a channel saying who sent it, a CSV waits in quarantine.
    let s = ingest(&mut conn, None, "stray.csv", b"a,b\n1,2\n");
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("says nothing of who sent it"), "{s:?}");
    // Nothing but bad rows: quarantined with every reason.
    let s = ingest(
        &mut conn,
        Some("shop"),
        "bad.csv",
        b"order;line;sku;qty;name;street;city;zip;country;gift\nB-1;1;TEA;zero;;;;;;\nB-2;1;;1;;;;;;\n",
    );
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("line 2: quantity \"zero\"") && s.problems[0].contains("line 3: no item"), "{s:?}");
}

#[test]
fn confirmations_are_written_in_the_retailers_encoding() {
    assert_eq!(csv::encode_for("Renée 5 €", "windows-1252").unwrap(), b"Ren\xe9e 5 \x80");
    // WHATWG reads "iso-8859-1" as windows-1252 (which has €); ISO 8859-2 has no €.
    assert_eq!(csv::encode_for("Łódź ß €", "iso-8859-2").unwrap(), b"\xa3\xf3d\xbc \xdf EUR");
    assert_eq!(csv::encode_for("王", "windows-1252"), Err('王'));
    assert_eq!(csv::encode_for("王", "utf-8").unwrap(), "王".as_bytes());
}

#[test]
fn through_the_pipeline_sqlite() {
    through_the_pipeline(&common::sqlite_db());
}

#[test]
fn through_the_pipeline_postgres() {
    if let Some(db) = common::pg_db("csv::through_the_pipeline") {
        through_the_pipeline(&db);
    }
}

#[test]
fn a_csv_and_a_cxml_file_in_watched_folders_are_answered() {
    let i = common::Install::new(common::sqlite_db());
    let shop = format!("{SHOP}[folders]\ninbound = \"data/shop/in\"\noutbound = \"data/shop/out\"\n");
    let buyer = "id = \"coupa\"\nname = \"Coupa buyer\"\n[cxml]\nidentity = \"dell\"\n[folders]\ninbound = \"data/coupa/in\"\noutbound = \"data/coupa/out\"\n";
    for (name, text) in [("shop.toml", shop.as_str()), ("coupa.toml", buyer)] {
        let f = i.path().join(name);
        std::fs::write(&f, text).unwrap();
        i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    }
    i.stock("sku,on_hand,upc,vendor_sku\nTEA,10,,\nCUP,10,,\nOPTI,5,,223-4511\n");
    let serve = common::Serve(
        i.cmd().arg("serve").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap(),
    );
    for (id, name, bytes) in [
        ("shop", "orders.txt", windows_1252(HEADER_CSV)),
        (
            "coupa",
            "po.dat",
            common::fixture_bytes("third_party/cxml/OrderRequest_1.2.014_officeluv_coupa_distribution.xml"),
        ),
    ] {
        let inbound = i.inbound(id);
        std::fs::create_dir_all(&inbound).unwrap();
        std::fs::write(inbound.join(format!("{name}.part")), bytes).unwrap();
        std::fs::rename(inbound.join(format!("{name}.part")), inbound.join(name)).unwrap();
    }
    let wait = |dir: std::path::PathBuf, n: usize| {
        let t = std::time::Instant::now();
        loop {
            let mut v: Vec<String> = std::fs::read_dir(&dir)
                .map(|rd| {
                    rd.filter_map(|e| e.ok())
                        .filter(|e| e.path().is_file())
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect()
                })
                .unwrap_or_default();
            if v.len() >= n || t.elapsed() > std::time::Duration::from_secs(60) {
                v.sort();
                return v;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    };
    assert_eq!(wait(i.outbound("shop"), 2), ["confirmation_W-1.csv", "confirmation_W-3.csv"]);
    assert_eq!(wait(i.outbound("coupa"), 1).len(), 1);
    assert!(serve.stop().success());
    assert!(i.inbound("shop").join("processed/orders.txt").exists());
    assert!(i.inbound("coupa").join("processed/po.dat").exists());
    let o = i.json(&["orders", "list"]);
    let mut pos: Vec<&str> = o.as_array().unwrap().iter().filter_map(|x| x["po_number"].as_str()).collect();
    pos.sort_unstable();
    assert_eq!(pos, ["6112", "W-1", "W-3"], "{o}");
}
