//! Reader throughput on one core for EDIFACT ORDERS, cXML OrderRequest and
//! CSV orders: bytes → domain orders, 5 lines each.
//!
//! Run with `cargo bench --bench formats`. Prints MB/s and orders/s per
//! format (best of several rounds).

use dropgate::formats::csv::{self, Column, Columns, CsvProfile};
use dropgate::formats::cxml::{self, Body, Limits};
use dropgate::formats::edifact::{self, MessageBody};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// The allocator the `dropgate` binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const ORDERS: usize = 10_000;
const LINES: usize = 5;

fn edifact_file() -> Vec<u8> {
    let mut s = String::from("UNA:+.? '\nUNB+UNOC:3+5412345000013:14+5790000000012:14+261202:1015+1++ORDERS'\n");
    for o in 1..=ORDERS {
        let mut segs = vec![
            format!("UNH+{o}+ORDERS:D:96A:UN:EAN008"),
            format!("BGM+220+PO{o:08}+9"),
            "DTM+137:20261202:102".into(),
            "DTM+2:20261210:102".into(),
            "FTX+GIF+++Happy birthday?!".into(),
            "NAD+BY+5412345000013::9".into(),
            "NAD+DP+++Charlie Smith+11254 Main St:Suite 112+Seattle+WA+98104+US".into(),
            "CUX+2:EUR:9".into(),
        ];
        for l in 1..=LINES {
            segs.push(format!("LIN+{l}++40123456789{l:02}:SRS"));
            segs.push(format!("PIA+1+SKU-{o}-{l}:SA"));
            segs.push("IMD+F++:::Wide Tracker Activity Walker".into());
            segs.push(format!("QTY+21:{l}"));
            segs.push("PRI+AAA:18.04".into());
        }
        segs.push("UNS+S".into());
        segs.push(format!("CNT+2:{LINES}"));
        for seg in &segs {
            s.push_str(seg);
            s.push_str("'\n");
        }
        s.push_str(&format!("UNT+{}+{o}'\n", segs.len() + 1));
    }
    s.push_str(&format!("UNZ+{ORDERS}+1'\n"));
    s.into_bytes()
}

fn cxml_doc(o: usize) -> Vec<u8> {
    let mut s = format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd\">\n\
<cXML payloadID=\"{o}@buyer\" timestamp=\"2026-12-02T10:15:00+00:00\"><Header><From><Credential domain=\"NetworkID\"><Identity>AN01</Identity></Credential></From>\
<To><Credential domain=\"DUNS\"><Identity>123</Identity></Credential></To><Sender><Credential domain=\"NetworkID\"><Identity>AN01</Identity><SharedSecret>x</SharedSecret></Credential><UserAgent>b</UserAgent></Sender></Header>\
<Request><OrderRequest><OrderRequestHeader orderID=\"PO{o:08}\" orderDate=\"2026-12-02T10:15:00+00:00\" type=\"new\"><Total><Money currency=\"USD\">90.20</Money></Total>\
<ShipTo><Address addressID=\"H\"><Name xml:lang=\"en\">Home</Name><PostalAddress><DeliverTo>Charlie Smith</DeliverTo><Street>11254 Main St</Street><City>Seattle</City><State>WA</State><PostalCode>98104</PostalCode><Country isoCountryCode=\"US\">US</Country></PostalAddress></Address></ShipTo>\
<Extrinsic name=\"giftMessage\">Happy birthday!</Extrinsic></OrderRequestHeader>\n"
    );
    for l in 1..=LINES {
        s.push_str(&format!(
            "<ItemOut quantity=\"{l}\" lineNumber=\"{l}\"><ItemID><SupplierPartID>SKU-{o}-{l}</SupplierPartID></ItemID><ItemDetail><UnitPrice><Money currency=\"USD\">18.04</Money></UnitPrice><Description xml:lang=\"en\">Wide Tracker Activity Walker</Description><UnitOfMeasure>EA</UnitOfMeasure></ItemDetail></ItemOut>\n"
        ));
    }
    s.push_str("</OrderRequest></Request></cXML>\n");
    s.into_bytes()
}

fn csv_file() -> Vec<u8> {
    let mut s = String::from("order,line,sku,qty,price,name,street,city,state,zip,country,gift\n");
    for o in 1..=ORDERS {
        for l in 1..=LINES {
            s.push_str(&format!(
                "PO{o:08},{l},SKU-{o}-{l},{l},18.04,Charlie Smith,11254 Main St,Seattle,WA,98104,US,Happy birthday!\n"
            ));
        }
    }
    s.into_bytes()
}

fn best_of(rounds: usize, mut f: impl FnMut() -> usize) -> (Duration, usize) {
    let mut best = Duration::MAX;
    let mut out = 0;
    for _ in 0..rounds {
        let t = Instant::now();
        out = black_box(f());
        best = best.min(t.elapsed());
    }
    (best, out)
}

fn report(what: &str, bytes: usize, (t, orders): (Duration, usize)) {
    assert_eq!(orders, ORDERS, "{what}: every order read");
    let s = t.as_secs_f64();
    println!("{what:<28} {:>8.1} MB/s {:>10.0} orders/s", bytes as f64 / s / 1e6, orders as f64 / s);
}

fn main() {
    let e = edifact_file();
    report(
        "EDIFACT ORDERS -> orders",
        e.len(),
        best_of(5, || {
            edifact::read(&e)
                .interchanges
                .iter()
                .flat_map(|ic| ic.messages.iter())
                .filter(|m| matches!(m.body, MessageBody::Order(_)))
                .count()
        }),
    );
    let docs: Vec<Vec<u8>> = (1..=ORDERS).map(cxml_doc).collect();
    let size: usize = docs.iter().map(Vec::len).sum();
    report(
        "cXML OrderRequest -> orders",
        size,
        best_of(5, || {
            docs.iter()
                .filter(|d| {
                    matches!(cxml::read(d, &Limits::default(), None).map(|m| m.body), Ok(Body::OrderRequest(_)))
                })
                .count()
        }),
    );
    let c = csv_file();
    let n = |s: &str| Some(Column::Name(s.into()));
    let profile = CsvProfile {
        delimiter: ",".into(),
        encoding: "utf-8".into(),
        header: true,
        item_qualifier: "SK".into(),
        date_formats: Vec::new(),
        answers: csv::Answers::Csv,
        columns: Columns {
            po: n("order"),
            line: n("line"),
            sku: n("sku"),
            qty: n("qty"),
            unit_price: n("price"),
            ship_to_name: n("name"),
            ship_to_address1: n("street"),
            ship_to_city: n("city"),
            ship_to_state: n("state"),
            ship_to_postal_code: n("zip"),
            ship_to_country: n("country"),
            gift_message: n("gift"),
            ..Columns::default()
        },
    };
    report(
        "CSV rows -> orders",
        c.len(),
        best_of(5, || csv::read(&c, &profile).orders.iter().filter(|o| o.order.is_ok()).count()),
    );
}
