//! The 856, 810 and 846 writers, black-box: every document goes through
//! the independent validator (`tools/edi-validate`), its content is
//! checked segment by segment, and its bytes are kept as insta snapshots
//! (`cargo insta review` after a deliberate change).

mod common;

use dropgate::domain::shipment::{
    AsnStructure, InventoryFeed, InventoryItem, Invoice, InvoiceCharge, InvoiceLine, Notice, NoticeLine, Package, Terms,
};
use dropgate::domain::{Amount, ItemId, Party};
use dropgate::formats::x12::writer::ship::{write_810, write_846, write_856};
use dropgate::formats::x12::writer::LineEnd;
use dropgate::formats::x12::{Envelope, PartyId, Separators};

fn envelope() -> Envelope {
    Envelope {
        sender: PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() },
        receiver: PartyId { qualifier: "ZZ".into(), id: "ACME".into() },
        interchange_control: 42,
        group_control: 7,
        first_set_control: 1,
        version: "004010".into(),
        usage: 'P',
        ack_requested: false,
        date: "20261124".into(),
        time: "1805".into(),
        separators: Separators::default(),
    }
}

fn validate(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let (ok, report) = common::edi_validate(&f);
    assert!(ok, "{name} is not valid X12:\n{report}\n{}", String::from_utf8_lossy(bytes));
}

fn ids(upc: &str, sku: &str) -> Vec<ItemId> {
    vec![ItemId { qualifier: "UP".into(), value: upc.into() }, ItemId { qualifier: "VN".into(), value: sku.into() }]
}

fn consumer() -> Party {
    Party {
        role: "ST".into(),
        name: Some("Pat Doe".into()),
        address: vec!["12 Sample Street".into()],
        city: Some("Springfield".into()),
        state: Some("IL".into()),
        postal_code: Some("62701".into()),
        country: Some("US".into()),
        ..Party::default()
    }
}

fn notice() -> Notice {
    Notice {
        shipment_id: "SHP000017".into(),
        po_number: "PO1001".into(),
        po_date: Some("20261123".into()),
        carrier: "UPSN".into(),
        service: "GROUND".into(),
        date: "20261124".into(),
        time: "1530".into(),
        ship_to: Some(consumer()),
        packages: vec![
            Package {
                tracking: "1Z999AA10123456784".into(),
                sscc: Some("000123456789012350".into()),
                weight_g: Some(2300),
                dims_mm: Some((300, 200, 100)),
            },
            Package { tracking: "1Z999AA10123456795".into(), sscc: None, weight_g: Some(500), dims_mm: None },
        ],
        lines: vec![
            NoticeLine {
                line_number: "1".into(),
                ids: ids("012345678905", "LAMP"),
                quantity: 2,
                ordered: 3,
                unit: "EA".into(),
                package: 0,
            },
            NoticeLine {
                line_number: "2".into(),
                ids: ids("012345678912", "MUG"),
                quantity: 1,
                ordered: 2,
                unit: "EA".into(),
                package: 0,
            },
            NoticeLine {
                line_number: "2".into(),
                ids: ids("012345678912", "MUG"),
                quantity: 1,
                ordered: 2,
                unit: "EA".into(),
                package: 1,
            },
        ],
    }
}

fn segs(bytes: &[u8]) -> Vec<Vec<String>> {
    common::segments(bytes)
}

fn find<'a>(s: &'a [Vec<String>], id: &str) -> Vec<&'a Vec<String>> {
    s.iter().filter(|x| x[0] == id).collect()
}

#[test]
fn ship_notice_sopi() {
    let bytes = write_856(&envelope(), &[notice()], AsnStructure::Sopi, LineEnd::Lf);
    validate("856_sopi.edi", &bytes);
    let s = segs(&bytes);
    let hl: Vec<&str> = find(&s, "HL").iter().map(|h| h[3].as_str()).collect();
    assert_eq!(hl, ["S", "O", "P", "I", "I", "P", "I"]);
    let man: Vec<(&str, &str)> = find(&s, "MAN").iter().map(|m| (m[1].as_str(), m[2].as_str())).collect();
    assert_eq!(man, [("CP", "1Z999AA10123456784"), ("GM", "000123456789012350"), ("CP", "1Z999AA10123456795")]);
    assert_eq!(find(&s, "PRF")[0][1], "PO1001");
    assert_eq!(find(&s, "TD1")[0], &["TD1", "CTN25", "2", "", "", "", "G", "2.8", "KG"]);
    let sn1: Vec<&str> = find(&s, "SN1").iter().map(|x| x[2].as_str()).collect();
    assert_eq!(sn1, ["2", "1", "1"]);
    assert_eq!(find(&s, "BSN")[0][5], "0001");
    assert_eq!(find(&s, "CTT")[0][1], "7");
    insta::assert_snapshot!("856_sopi", String::from_utf8(bytes).unwrap());
}

#[test]
fn ship_notice_flat_several_sets() {
    let mut second = notice();
    second.shipment_id = "SHP000018".into();
    second.carrier = "Acme Freight".into();
    second.packages.truncate(1);
    second.packages[0].weight_g = None;
    for l in &mut second.lines {
        l.package = 0;
    }
    let bytes = write_856(&envelope(), &[notice(), second], AsnStructure::Flat, LineEnd::Lf);
    validate("856_flat.edi", &bytes);
    let s = segs(&bytes);
    assert_eq!(find(&s, "ST").len(), 2);
    let hl: Vec<&str> = find(&s, "HL").iter().map(|h| h[3].as_str()).collect();
    assert_eq!(hl, ["S", "O", "I", "I", "S", "O", "I", "I"]);
    let sn1: Vec<&str> = find(&s, "SN1").iter().map(|x| x[2].as_str()).collect();
    assert_eq!(sn1, ["2", "2", "2", "2"], "flat: a line's units over all packages");
    assert_eq!(find(&s, "BSN")[1][5], "0004");
    assert_eq!(find(&s, "TD5")[1], &["TD5", "", "", "", "U", "Acme Freight GROUND"], "no SCAC: routing only");
    insta::assert_snapshot!("856_flat", String::from_utf8(bytes).unwrap());
}

fn invoice() -> Invoice {
    Invoice {
        number: "INV000001".into(),
        date: "20261124".into(),
        po_number: "PO1001".into(),
        po_date: Some("20261123".into()),
        ship_date: "20261124".into(),
        ship_to: Some(consumer()),
        lines: vec![
            InvoiceLine {
                line_number: "1".into(),
                ids: ids("012345678905", "LAMP"),
                quantity: 2,
                unit: "EA".into(),
                unit_price: Amount::parse("24.50").unwrap(),
            },
            InvoiceLine {
                line_number: "2".into(),
                ids: ids("012345678912", "MUG"),
                quantity: 3,
                unit: "EA".into(),
                unit_price: Amount::parse("4.3333").unwrap(),
            },
        ],
        terms: Some(Terms {
            type_code: "08".into(),
            basis: "3".into(),
            discount_percent: Some(Amount::parse("2").unwrap()),
            discount_days: Some(10),
            net_days: Some(30),
            description: Some("2% 10 NET 30".into()),
        }),
        charges: vec![
            InvoiceCharge {
                indicator: "C".into(),
                code: "D240".into(),
                amount: Amount::parse("5.95").unwrap(),
                description: Some("Freight".into()),
            },
            InvoiceCharge {
                indicator: "A".into(),
                code: "C310".into(),
                amount: Amount::parse("1.50").unwrap(),
                description: None,
            },
        ],
    }
}

#[test]
fn invoice_totals_in_cents() {
    let inv = invoice();
    // 2 × 24.50 = 49.00; 3 × 4.3333 = 12.9999 → 13.00; + 5.95 − 1.50.
    assert_eq!(inv.total_cents(), 4900 + 1300 + 595 - 150);
    let bytes = write_810(&envelope(), &[inv], LineEnd::Lf);
    validate("810.edi", &bytes);
    let s = segs(&bytes);
    assert_eq!(find(&s, "BIG")[0], &["BIG", "20261124", "INV000001", "20261123", "PO1001"]);
    assert_eq!(find(&s, "TDS")[0][1], "6645");
    let sac: Vec<(&str, &str, &str)> =
        find(&s, "SAC").iter().map(|x| (x[1].as_str(), x[2].as_str(), x[5].as_str())).collect();
    assert_eq!(sac, [("C", "D240", "595"), ("A", "C310", "150")]);
    assert_eq!(find(&s, "SAC")[0].get(15).map(String::as_str), Some("Freight"));
    assert_eq!(find(&s, "ITD")[0][1..8], ["08", "3", "2", "", "10", "", "30"]);
    let it1: Vec<(&str, &str)> = find(&s, "IT1").iter().map(|x| (x[2].as_str(), x[4].as_str())).collect();
    assert_eq!(it1, [("2", "24.5"), ("3", "4.3333")]);
    assert_eq!(find(&s, "CTT")[0][1], "2");
    insta::assert_snapshot!("810", String::from_utf8(bytes).unwrap());
}

#[test]
fn inventory_feed() {
    let feed = InventoryFeed {
        reference: "INV-acme-20261124-1800".into(),
        date: "20261124".into(),
        time: "1800".into(),
        items: vec![
            InventoryItem {
                ids: vec![
                    ItemId { qualifier: "SK".into(), value: "ACME-LAMP".into() },
                    ItemId { qualifier: "VN".into(), value: "LAMP".into() },
                ],
                available: 5,
            },
            InventoryItem { ids: ids("012345678912", "MUG"), available: 0 },
        ],
    };
    let bytes = write_846(&envelope(), &feed, LineEnd::Lf);
    validate("846.edi", &bytes);
    let s = segs(&bytes);
    assert_eq!(find(&s, "LIN")[0], &["LIN", "", "SK", "ACME-LAMP", "VN", "LAMP"]);
    let qty: Vec<&str> = find(&s, "QTY").iter().map(|x| x[2].as_str()).collect();
    assert_eq!(qty, ["5", "0"]);
    assert_eq!(find(&s, "CTT")[0][1], "2");
    insta::assert_snapshot!("846", String::from_utf8(bytes).unwrap());
}
