//! cXML: the reader on third-party samples and own fixtures, its limits
//! against hostile XML, the writers checked against the official DTDs by
//! tools/cxml-validate, OrderRequest through the pipeline on every
//! backend, and `POST /cxml` on a running `serve`.

mod common;
use common::{ingest, outbox_all};

use dropgate::domain::{Amount, Despatch, Invoice, LineDecision, OrderDecision, Package, ShippedLine};
use dropgate::formats::cxml::{self, writer, Body, Credential, Limits};
use dropgate::formats::{detect, Format};
use dropgate::pipeline;
use dropgate::retailer::Profile;
use dropgate::store::documents::{Arrival, Body as DocBody, Received};
use dropgate::store::{orders, retailers, stock, Conn, Store};
use std::io::{Read, Write};

const SAMPLE: &str = "third_party/cxml/OrderRequest_1.2.014_officeluv_coupa_distribution.xml";

fn assert_valid(name: &str, bytes: &[u8]) {
    let (code, text) = common::cxml_validate(name, bytes);
    assert_eq!(code, 0, "{name} is not valid cXML:\n{text}\n{}", String::from_utf8_lossy(bytes));
}

fn order_of(bytes: &[u8]) -> Box<dropgate::domain::PurchaseOrder> {
    match cxml::read(bytes, &Limits::default(), None).unwrap().body {
        Body::OrderRequest(po) => po,
        other => panic!("not an order: {other:?}"),
    }
}

#[test]
fn the_order_request_sample_reads_into_an_order() {
    let bytes = common::fixture_bytes(SAMPLE);
    assert_eq!(detect(&bytes), Format::Cxml);
    let m = cxml::read(&bytes, &Limits::default(), None).unwrap();
    assert_eq!(m.header.payload_id, "1452186890.009162@ip-10-7-14-126");
    assert_eq!(m.header.from, vec![Credential { domain: "duns".into(), identity: "dell".into() }]);
    assert_eq!(m.header.to[0].identity, "128293714");
    assert_eq!(m.header.user_agent.as_deref(), Some("Coupa Procurement 1.0"));
    assert_eq!(m.dtd.as_deref(), Some("cXML.dtd"), "named, never read");
    let Body::OrderRequest(po) = m.body else { panic!() };
    assert_eq!(po.po_number, "6112");
    assert_eq!(po.order_date.as_deref(), Some("20080107"));
    assert_eq!(po.currency.as_deref(), Some("USD"));
    let st = po.ship_to().unwrap();
    assert_eq!(st.name.as_deref(), Some("j maddedn"), "the DeliverTo person first");
    assert_eq!(st.extra_names, vec!["jmadden"]);
    assert_eq!(st.address, vec!["333 East Hill Dr"]);
    assert_eq!(
        (st.city.as_deref(), st.state.as_deref(), st.postal_code.as_deref(), st.country.as_deref()),
        (Some("san leandro"), Some("ca"), Some("22222"), Some("US"))
    );
    assert_eq!(st.contacts[0].comms[0].value, "jmadden@coupa1.com");
    assert_eq!(po.party("BT").unwrap().city.as_deref(), Some("West Index"));
    assert_eq!(po.notes[0].text, "header comment goes here if entered by user");
    assert_eq!(po.lines.len(), 2);
    let l = &po.lines[1];
    assert_eq!((l.line_number.as_str(), l.quantity, l.unit.as_str()), ("2", Amount::from_units(2), "EA"));
    assert_eq!(l.id(&["VN"]), Some("223-4511"));
    assert_eq!(l.id(&["VA"]), Some("1005379527029\\1"), "the backslash kept");
    assert_eq!(l.unit_price, Amount::parse("1505.0"));
    assert!(l.description.as_deref().unwrap().starts_with("OptiPlex 755"));
    assert_eq!(l.messages, vec!["line item comment goes here if entered by user"]);
}

/// An own order: Latin-1 declared, entities and character references, a gift message.
fn own_order(order_id: &str, payload: &str, sku: &str, qty: u32) -> Vec<u8> {
    let text = format!(
        "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n\
<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd\">\n\
<cXML payloadID=\"{payload}\" timestamp=\"2026-12-02T10:15:00+01:00\">\n\
<Header><From><Credential domain=\"NetworkID\"><Identity>AN0100</Identity></Credential></From>\n\
<To><Credential domain=\"DUNS\"><Identity>999888777</Identity></Credential></To>\n\
<Sender><Credential domain=\"NetworkID\"><Identity>AN0100</Identity><SharedSecret>s3cret &amp; more</SharedSecret></Credential><UserAgent>Buyer 2</UserAgent></Sender></Header>\n\
<Request deploymentMode=\"test\"><OrderRequest>\n\
<OrderRequestHeader orderID=\"{order_id}\" orderDate=\"2026-12-02T10:15:00+01:00\" type=\"new\">\n\
<Total><Money currency=\"EUR\">20.00</Money></Total>\n\
<ShipTo><Address addressID=\"HOME\"><Name xml:lang=\"de\">Privat</Name><PostalAddress><DeliverTo>J\u{fc}rgen M\u{fc}ller</DeliverTo>\
<Street>Stra\u{df}e &#8470; 5</Street><City>K&#246;ln</City><PostalCode>50667</PostalCode><Country isoCountryCode=\"DE\">Deutschland</Country></PostalAddress></Address></ShipTo>\n\
<Extrinsic name=\"GiftMessage\">Alles Gute &lt;3</Extrinsic>\n\
</OrderRequestHeader>\n\
<ItemOut quantity=\"{qty}\" lineNumber=\"1\" requestedDeliveryDate=\"2026-12-10\"><ItemID><SupplierPartID>{sku}</SupplierPartID></ItemID>\
<ItemDetail><UnitPrice><Money currency=\"EUR\">10.00</Money></UnitPrice><Description xml:lang=\"de\">Teekanne</Description><UnitOfMeasure>EA</UnitOfMeasure></ItemDetail></ItemOut>\n\
</OrderRequest></Request></cXML>\n"
    );
    // ISO-8859-1 bytes, as declared (№ is not Latin-1: a character reference).
    text.chars().map(|c| u8::try_from(u32::from(c)).expect("Latin-1")).collect()
}

#[test]
fn declared_encodings_entities_and_gift_messages() {
    let bytes = own_order("PO-9", "p9@buyer", "TEA", 2);
    assert!(std::str::from_utf8(&bytes).is_err(), "the fixture is Latin-1, not UTF-8");
    let po = order_of(&bytes);
    let st = po.ship_to().unwrap();
    assert_eq!(st.name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(st.address, vec!["Straße № 5"]);
    assert_eq!(st.city.as_deref(), Some("Köln"));
    assert_eq!(po.gift_message().as_deref(), Some("Alles Gute <3"));
    assert_eq!(po.lines[0].dates[0].date, "20261210");
    let m = cxml::read(&bytes, &Limits::default(), None).unwrap();
    assert_eq!(m.header.shared_secret.as_deref(), Some("s3cret & more"));

    // Undeclared Latin-1: refused unless the retailer's encoding says how to read it.
    let undeclared: Vec<u8> = String::from_utf8_lossy(&bytes).replace(" encoding=\"ISO-8859-1\"", "").into_bytes();
    let latin1: Vec<u8> =
        String::from_utf8_lossy(&undeclared).chars().map(|c| if c == '\u{fffd}' { 0xFC } else { c as u8 }).collect();
    let e = cxml::read(&latin1, &Limits::default(), None).unwrap_err();
    assert!(e.to_string().contains("not UTF-8") && e.to_string().contains("encoding"), "{e}");
    let m = cxml::read(&latin1, &Limits::default(), Some(encoding_rs::WINDOWS_1252)).unwrap();
    let Body::OrderRequest(po) = m.body else { panic!() };
    assert_eq!(po.ship_to().unwrap().name.as_deref(), Some("Jürgen Müller"));
}

#[test]
fn bad_orders_are_refused_with_line_numbers() {
    let good = String::from_utf8(common::fixture_bytes(SAMPLE)).unwrap();
    for (from, to, why) in [
        ("quantity=\"2\"", "quantity=\"two\"", "line 100: ItemOut 2: quantity \"two\""),
        ("orderID=\"6112\" ", "", "no orderID"),
        ("type=\"new\"", "type=\"delete\"", "type=\"delete\""),
        ("<SupplierPartID>223-4511</SupplierPartID>", "", "no ItemID/SupplierPartID"),
        ("</cXML>", "", "not closed"),
        (
            "<Money currency=\"USD\">1505.0</Money>\n                  <!-- Currency",
            "<Money currency=\"USD\">lots</Money>\n                  <!-- Currency",
            "UnitPrice \"lots\"",
        ),
    ] {
        let text = good.replacen(from, to, 1);
        assert_ne!(text, good, "{why}");
        let e = cxml::read(text.as_bytes(), &Limits::default(), None).unwrap_err().to_string();
        assert!(e.contains(why), "{why}: {e}");
    }
}

fn time_and_refuse(what: &str, bytes: &[u8], why: &str) {
    let t = std::time::Instant::now();
    let e = cxml::read(bytes, &Limits::default(), None).unwrap_err().to_string();
    let took = t.elapsed();
    assert!(e.contains(why), "{what}: {e}");
    // Not a timed assertion on the outcome: printed for the record.
    eprintln!("{what}: refused in {took:?}: {e}");
}

#[test]
fn hostile_xml_is_refused() {
    let laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [\n<!ENTITY lol \"lol\">\n<!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n\
<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n<!ENTITY lol9 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n]>\n<cXML payloadID=\"x\">&lol9;</cXML>";
    time_and_refuse("billion laughs", laughs.as_bytes(), "internal subset");
    let external = "<?xml version=\"1.0\"?>\n<!DOCTYPE cXML [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>\n<cXML payloadID=\"x\"><Request>&xxe;</Request></cXML>";
    time_and_refuse("external entity", external.as_bytes(), "internal subset");
    // Without a DOCTYPE at all, an entity has no definition: never looked up.
    let undeclared = "<cXML payloadID=\"x\"><Request>&xxe;</Request></cXML>";
    time_and_refuse("undeclared entity", undeclared.as_bytes(), "entity &xxe; is not one of XML's five");
    // A parameter-entity style external DTD in the DOCTYPE is named, not fetched.
    let external_dtd = "<!DOCTYPE cXML SYSTEM \"http://127.0.0.1:9/evil.dtd\"><cXML payloadID=\"x\"><Request><Nothing/></Request></cXML>";
    let m = cxml::read(external_dtd.as_bytes(), &Limits::default(), None).unwrap();
    assert_eq!(m.dtd.as_deref(), Some("evil.dtd"));

    // 100 MB of text: refused on its size, before any parsing.
    let mut huge =
        b"<cXML payloadID=\"x\"><Request><OrderRequest><OrderRequestHeader orderID=\"1\"><Comments>".to_vec();
    huge.resize(huge.len() + 100 * 1024 * 1024, b'a');
    huge.extend_from_slice(b"</Comments></OrderRequestHeader></OrderRequest></Request></cXML>");
    time_and_refuse("100 MB text node", &huge, "at most 16777216 are read");
    drop(huge);
    // Under the size cap, one text node is still capped.
    let mut big = b"<cXML payloadID=\"x\"><Request><OrderRequest><OrderRequestHeader orderID=\"1\"><Comments>".to_vec();
    big.resize(big.len() + 3 * 1024 * 1024, b'a');
    big.extend_from_slice(b"</Comments></OrderRequestHeader></OrderRequest></Request></cXML>");
    time_and_refuse("3 MB text node", &big, "text in <Comments> longer than 1048576 bytes");

    // 100,000 nested elements.
    let mut deep = String::from("<cXML payloadID=\"x\">");
    for _ in 0..100_000 {
        deep.push_str("<a>");
    }
    for _ in 0..100_000 {
        deep.push_str("</a>");
    }
    deep.push_str("</cXML>");
    time_and_refuse("100k-deep nesting", deep.as_bytes(), "nested deeper than 64 levels");
    // Many elements, flat.
    let mut wide = String::from("<cXML payloadID=\"x\"><Request>");
    for _ in 0..250_000 {
        wide.push_str("<b/>");
    }
    wide.push_str("</Request></cXML>");
    time_and_refuse("250k elements", wide.as_bytes(), "more than 200000 elements");
    let mut attrs = String::from("<cXML payloadID=\"x\"");
    for i in 0..100 {
        attrs.push_str(&format!(" a{i}=\"1\""));
    }
    attrs.push_str("/>");
    time_and_refuse("100 attributes", attrs.as_bytes(), "more than 64 attributes");
}

#[test]
fn a_declaration_with_an_unquoted_encoding_is_refused() {
    // Found by the fuzz target: the byte after `encoding=` is not a quote.
    let bytes = b"<?xml version=\"1.0\" encoding=\xab\xabx\xab\"?>\n<cXML payloadID=\"1\"/>";
    let e = cxml::read(bytes, &Limits::default(), None).unwrap_err();
    assert!(!e.message.is_empty());
    let e = cxml::read(b"<?xml version=\"1.0\" encoding=\"klingon\"?><cXML/>", &Limits::default(), None).unwrap_err();
    assert!(e.to_string().contains("\"klingon\" is not one dropgate knows"), "{e}");
}

#[test]
fn every_prefix_reads_without_panic() {
    let bytes = own_order("PO-9", "p9@buyer", "TEA", 2);
    for n in 0..bytes.len() {
        let _ = cxml::read(&bytes[..n], &Limits::default(), None);
    }
}

fn parties() -> writer::Parties {
    writer::Parties {
        from: Credential { domain: "DUNS".into(), identity: "128293714".into() },
        to: Credential { domain: "duns".into(), identity: "dell".into() },
        user_agent: "dropgate test".into(),
    }
}

fn decision(lines: &[(i64, i64, i64)]) -> OrderDecision {
    let ls: Vec<LineDecision> = lines
        .iter()
        .map(|&(ordered, accepted, backordered)| LineDecision {
            ordered,
            accepted,
            backordered,
            rejected: ordered - accepted - backordered,
            reason: None,
        })
        .collect();
    OrderDecision { state: dropgate::domain::state_of(&ls), lines: ls }
}

#[test]
fn outbound_documents_are_valid_cxml() {
    let po = order_of(&common::fixture_bytes(SAMPLE));
    let stamp = writer::Stamp::new(1_795_420_800, "7", "supplier.example");
    for (n, d) in
        [decision(&[(1, 1, 0), (2, 2, 0)]), decision(&[(1, 1, 0), (2, 1, 1)]), decision(&[(1, 0, 0), (2, 0, 0)])]
            .iter()
            .enumerate()
    {
        let bytes = writer::confirmation(&stamp, &parties(), &po, d);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert!(text.contains(["type=\"accept\"", "type=\"detail\"", "type=\"reject\""][n]), "{text}");
        assert!(
            text.contains("<DocumentReference payloadID=\"1452186890.009162@ip-10-7-14-126\"/>"),
            "quotes the order's payloadID: {text}"
        );
        assert!(text.contains("orderDate=\"2008-01-07T09:14:50-08:00\""), "and its orderDate as sent");
        if n == 1 {
            assert!(text.contains("<ConfirmationStatus quantity=\"1\" type=\"backordered\">"), "{text}");
        }
        assert_valid(&format!("confirmation{n}.xml"), &bytes);
    }
    let line = |n: &str, q: i64| ShippedLine {
        line_number: n.into(),
        sku: Some("223-4511".into()),
        description: Some("OptiPlex & co".into()),
        quantity: q,
        unit_price: Amount::parse("1505.0"),
        ..Default::default()
    };
    let ship = Despatch {
        number: "SHP-1".into(),
        ship_date: "20261202".into(),
        po_number: "6112".into(),
        carrier: Some("UPS".into()),
        ship_to: None,
        packages: vec![Package {
            sscc: None,
            tracking: Some("1Z999AA10123456784".into()),
            lines: vec![line("1", 1), line("2", 2)],
        }],
    };
    let bytes = writer::ship_notice(&stamp, &parties(), &po, &ship);
    let text = String::from_utf8_lossy(&bytes).into_owned();
    assert!(
        text.contains("<ShipmentIdentifier domain=\"trackingNumber\">1Z999AA10123456784</ShipmentIdentifier>"),
        "{text}"
    );
    assert_valid("shipnotice.xml", &bytes);
    assert_valid("response.xml", &writer::response(&stamp, 200, "OK", ""));
    assert_valid("response400.xml", &writer::response(&stamp, 400, "Bad Request", "line 3: <a> & <b>"));

    // The invoice: no DTD here, so its structure is checked by reading it back.
    let inv = Invoice {
        number: "INV-1".into(),
        date: "20261202".into(),
        po_number: "6112".into(),
        currency: Some("USD".into()),
        buyer: None,
        supplier: None,
        lines: vec![line("1", 1), line("2", 2)],
        ..Invoice::default()
    };
    let bytes = writer::invoice(&stamp, &parties(), &po, &inv);
    let (code, out) = common::cxml_validate("invoice.xml", &bytes);
    assert_eq!(code, 3, "reported unchecked, not valid: {out}");
    let doc = cxml::xml::parse(&bytes, &Limits::default(), None).unwrap();
    assert_eq!(doc.doctype.as_deref(), Some("InvoiceDetail.dtd"));
    let req = doc.root.at(&["Request", "InvoiceDetailRequest"]).expect("InvoiceDetailRequest");
    let names: Vec<&str> = req.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["InvoiceDetailRequestHeader", "InvoiceDetailOrder", "InvoiceDetailSummary"]);
    let h = req.child("InvoiceDetailRequestHeader").unwrap();
    assert_eq!(
        (h.attr("invoiceID"), h.attr("purpose"), h.attr("operation")),
        (Some("INV-1"), Some("standard"), Some("new"))
    );
    assert_eq!(h.attr("invoiceDate"), Some("2026-12-02T00:00:00+00:00"));
    let order = req.child("InvoiceDetailOrder").unwrap();
    let reference = order.at(&["InvoiceDetailOrderInfo", "OrderReference"]).unwrap();
    assert_eq!(reference.attr("orderID"), Some("6112"));
    assert_eq!(
        reference.child("DocumentReference").unwrap().attr("payloadID"),
        Some("1452186890.009162@ip-10-7-14-126")
    );
    let items: Vec<_> = order.children_named("InvoiceDetailItem").collect();
    assert_eq!(items.len(), 2);
    assert_eq!((items[1].attr("invoiceLineNumber"), items[1].attr("quantity")), (Some("2"), Some("2")));
    assert_eq!(items[1].text_at(&["SubtotalAmount", "Money"]), Some("3010.00"));
    assert_eq!(items[1].at(&["InvoiceDetailItemReference"]).unwrap().attr("lineNumber"), Some("2"));
    assert_eq!(items[1].text_at(&["InvoiceDetailItemReference", "Description"]), Some("OptiPlex & co"));
    let summary = req.child("InvoiceDetailSummary").unwrap();
    let order_of_summary: Vec<&str> = summary.children.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(order_of_summary, ["SubtotalAmount", "Tax", "GrossAmount", "NetAmount", "DueAmount"]);
    assert_eq!(summary.text_at(&["DueAmount", "Money"]), Some("4515.00"));
    // The shared invoice sample has the same outline.
    let sample = cxml::xml::parse(
        &common::fixture_bytes("third_party/cxml/InvoiceDetailRequest_1.2.020_officeluv_two_orders.xml"),
        &Limits::default(),
        None,
    )
    .unwrap();
    let sreq = sample.root.at(&["Request", "InvoiceDetailRequest"]).unwrap();
    assert!(
        sreq.child("InvoiceDetailRequestHeader").is_some()
            && sreq.child("InvoiceDetailOrder").is_some()
            && sreq.child("InvoiceDetailSummary").is_some()
    );
    // The validator is not a rubber stamp.
    let broken = String::from_utf8(writer::confirmation(&stamp, &parties(), &po, &decision(&[(1, 1, 0), (2, 2, 0)])))
        .unwrap()
        .replace("type=\"accept\"", "type=\"maybe\"");
    assert_eq!(common::cxml_validate("broken.xml", broken.as_bytes()).0, 1);
}

// ---- through the pipeline ----

const BUYER: &str = "id = \"coupa\"\nname = \"Coupa buyer\"\n[cxml]\nidentity = \"dell\"\ndomain = \"DUNS\"\nshared_secret = \"open sesame\"\n[policy]\non_short = \"backorder\"\n";
const BUYER2: &str = "id = \"an\"\nname = \"Network buyer\"\n[cxml]\nidentity = \"AN0100\"\nshared_secret = \"s3cret & more\"\nencoding = \"windows-1252\"\n";

fn setup(db: &common::TestDb) -> (Store, Conn) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = dropgate::store::connect(&db.url).unwrap();
    for p in [BUYER, BUYER2] {
        retailers::apply(&mut conn, &Profile::from_toml(p, "buyer").unwrap()).unwrap();
    }
    let items = [
        stock::StockItem { sku: "OPTI".into(), on_hand: 2, vendor_sku: Some("223-4511".into()), ..Default::default() },
        stock::StockItem { sku: "TEA".into(), on_hand: 50, ..Default::default() },
    ];
    stock::import(&mut conn, &items, false).unwrap();
    (store, conn)
}

fn orders_through_the_pipeline(db: &common::TestDb) {
    let (_store, mut conn) = setup(db);
    let bytes = common::fixture_bytes(SAMPLE);
    let (_, s) = ingest(&mut conn, "order.xml", &bytes);
    // 1 + 2 of OPTI, 2 on hand: the second line is short and backordered.
    assert_eq!((s.partial + s.backordered, s.quarantined), (1, 0), "{s:?}");
    assert_eq!(stock::get(&mut conn, "OPTI").unwrap().unwrap().reserved, 2);
    let o = orders::find_by_po(&mut conn, "coupa", "6112").unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(o[0].interchange_control, "1452186890.009162@ip-10-7-14-126");
    assert_eq!(o[0].ship_to_name.as_deref(), Some("j maddedn"));
    let out = outbox_all(&mut conn);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, "ConfirmationRequest");
    assert_eq!(out[0].order_id, Some(o[0].id));
    let text = String::from_utf8_lossy(&out[0].payload).into_owned();
    assert!(text.contains("type=\"detail\"") && text.contains("type=\"backordered\""), "{text}");
    assert!(text.contains("<Identity>128293714</Identity>"), "from us as the order's To: {text}");
    assert_valid("confirmation.xml", &out[0].payload);

    // Again: a repeat, answered again; nothing reserved twice.
    let (r, s) = ingest(&mut conn, "order-again.xml", &bytes);
    assert!(matches!(r, Received::Repeat { .. }));
    assert_eq!(s.orders(), 0);
    assert_eq!(stock::get(&mut conn, "OPTI").unwrap().unwrap().reserved, 2);
    // Same payloadID, other bytes: refused like a reused control number.
    let (_, s) = ingest(
        &mut conn,
        "reused.xml",
        &String::from_utf8(bytes.clone()).unwrap().replace("6112", "6113").into_bytes(),
    );
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("payloadID") && s.problems[0].contains("already received"), "{s:?}");
    // Same PO and ship-to under a new payloadID: a duplicate, answered, not reserved.
    let (_, s) = ingest(
        &mut conn,
        "dup.xml",
        &String::from_utf8(bytes.clone()).unwrap().replace("1452186890.009162", "1452186890.5").into_bytes(),
    );
    assert_eq!(s.duplicate, 1, "{s:?}");
    // Unknown buyer and broken XML: quarantined with the reason and line.
    let (_, s) = ingest(
        &mut conn,
        "stranger.xml",
        &String::from_utf8(bytes.clone()).unwrap().replace(">dell<", ">acme<").replace("1452186890", "99").into_bytes(),
    );
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("duns:acme") && s.problems[0].contains("cxml.identity"), "{s:?}");
    let (_, s) = ingest(
        &mut conn,
        "broken.xml",
        b"<?xml version=\"1.0\"?>\n<cXML payloadID=\"b\">\n<Request><OrderRequest></Request></cXML>",
    );
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("broken.xml") && s.problems[0].contains("line 3"), "{s:?}");
    // An own order through its retailer's channel, Latin-1 undeclared: its profile's encoding reads it.
    let latin: Vec<u8> = {
        let t = own_order("PO-9", "p9@buyer", "TEA", 2);
        let s: String = t.iter().map(|&b| char::from(b)).collect();
        s.replace(" encoding=\"ISO-8859-1\"", "").chars().map(|c| c as u8).collect()
    };
    let (_, s) = pipeline::ingest(
        &mut conn,
        Arrival { source: "test", name: "an.xml", retailer: Some("an"), body: DocBody::Bytes(&latin), settled: true },
    )
    .unwrap();
    assert_eq!(s.accepted, 1, "{s:?}");
    let o = orders::find_by_po(&mut conn, "an", "PO-9").unwrap();
    assert_eq!(o[0].ship_to_name.as_deref(), Some("Jürgen Müller"));
}

#[test]
fn orders_through_the_pipeline_sqlite() {
    orders_through_the_pipeline(&common::sqlite_db());
}

#[test]
fn orders_through_the_pipeline_postgres() {
    if let Some(db) = common::pg_db("cxml::orders_through_the_pipeline") {
        orders_through_the_pipeline(&db);
    }
}

// ---- POST /cxml ----

/// Sends one request; returns the status and the body.
fn post(port: u16, head_extra: &str, body: &[u8]) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let head = format!(
        "POST /cxml HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n{head_extra}\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    let _ = s.write_all(body);
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, text)
}

fn wait_for_port(port: u16) {
    let t = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < std::time::Duration::from_secs(60), "serve did not listen on {port}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn post_cxml_answers_synchronously() {
    let i = common::Install::new(common::sqlite_db());
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let cfg = std::fs::read_to_string(i.config()).unwrap();
    std::fs::write(
        i.config(),
        format!("{cfg}[http]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\nmax_body_bytes = 1000000\n"),
    )
    .unwrap();
    for (n, p) in [BUYER, BUYER2].iter().enumerate() {
        let f = i.path().join(format!("b{n}.toml"));
        std::fs::write(&f, p).unwrap();
        i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    }
    i.stock("sku,on_hand\nTEA,10\n");
    let serve = common::Serve(
        i.cmd().arg("serve").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap(),
    );
    wait_for_port(port);

    let order = own_order("PO-H1", "h1@buyer", "TEA", 3);
    let (status, text) = post(port, "", &order);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("<Status code=\"200\" text=\"OK\""), "{text}");
    let body = &text[text.find("<?xml").unwrap()..];
    assert_valid("response.xml", body.as_bytes());
    // The same post again (a retry): 200, one order.
    let (status, text) = post(port, "", &order);
    assert_eq!(status, 200, "{text}");
    assert!(text.contains("answered again"), "{text}");

    // Wrong secret, unknown buyer: 401; nothing taken.
    let wrong = String::from_utf8_lossy(&own_order("PO-H2", "h2@buyer", "TEA", 1))
        .replace("s3cret &amp; more", "guess")
        .chars()
        .map(|c| c as u8)
        .collect::<Vec<u8>>();
    assert_eq!(post(port, "", &wrong).0, 401);
    let stranger = String::from_utf8_lossy(&own_order("PO-H3", "h3@buyer", "TEA", 1))
        .replace("AN0100", "NOBODY")
        .chars()
        .map(|c| c as u8)
        .collect::<Vec<u8>>();
    assert_eq!(post(port, "", &stranger).0, 401);
    // Bad input: 4xx with the reason, never 5xx.
    let (status, text) = post(port, "", b"<cXML payloadID=\"x\"><Request>&xxe;</Request></cXML>");
    assert_eq!(status, 400);
    assert!(text.contains("entity &amp;xxe;"), "{text}");
    let (status, text) = post(
        port,
        "",
        &String::from_utf8_lossy(&own_order("PO-H4", "h4@buyer", "TEA", 1))
            .replace("quantity=\"1\"", "quantity=\"-1\"")
            .chars()
            .map(|c| c as u8)
            .collect::<Vec<u8>>(),
    );
    assert_eq!(status, 400, "{text}");
    assert!(text.contains("quantity"), "{text}");
    // Too large: refused on its Content-Length, before the body is read.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"POST /cxml HTTP/1.1\r\nHost: x\r\nContent-Length: 104857600\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 413"), "{out}");
    // Not the endpoint.
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.write_all(b"GET /admin HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 404"), "{out}");

    assert!(serve.stop().success());
    let o = i.json(&["orders", "list"]);
    let pos: Vec<&str> = o.as_array().unwrap().iter().filter_map(|x| x["po_number"].as_str()).collect();
    assert_eq!(pos, ["PO-H1"], "{o}");
    let out = i.json(&["outbox", "list"]);
    let kinds: Vec<&str> = out.as_array().unwrap().iter().filter_map(|x| x["kind"].as_str()).collect();
    assert!(kinds.iter().all(|k| *k == "ConfirmationRequest") && !kinds.is_empty(), "{out}");
}
