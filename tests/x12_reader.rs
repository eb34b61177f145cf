//! The X12 reader against real third-party samples (fixtures/third_party/x12)
//! and against synthetic files for each quirk, envelope error and
//! validation rule; plus property tests that nothing panics.

use dropgate::domain::{Amount, NoteKind, OrderChange, PurchaseOrder};
use dropgate::formats::x12::ack::{
    AckCode, ElementErrorCode, GroupErrorCode, InterchangeNote, SegmentErrorCode, SetErrorCode,
};
use dropgate::formats::x12::reader::{self, accepted_sets, read};
use dropgate::formats::x12::{Document, Group, InboundAck, ParsedFile, TransactionSet};
use proptest::prelude::*;
use std::path::PathBuf;

// ------------------------------------------------------------------ helpers

fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/third_party/x12")
}

fn fixture(prefix: &str) -> Vec<u8> {
    let dir = fixture_dir();
    let mut found: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with(prefix)))
        .collect();
    assert_eq!(found.len(), 1, "exactly one fixture starts with {prefix}");
    std::fs::read(found.pop().unwrap()).unwrap()
}

fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| (p.file_name().unwrap().to_string_lossy().into_owned(), std::fs::read(&p).unwrap()))
        .collect();
    v.sort();
    assert!(v.len() >= 17, "fixtures missing");
    v
}

fn sets(f: &ParsedFile) -> Vec<&TransactionSet> {
    f.interchanges.iter().flat_map(|i| &i.groups).flat_map(|g| &g.sets).collect()
}

fn groups(f: &ParsedFile) -> Vec<&Group> {
    f.interchanges.iter().flat_map(|i| &i.groups).collect()
}

fn orders(f: &ParsedFile) -> Vec<&PurchaseOrder> {
    sets(f)
        .into_iter()
        .filter_map(|s| match &s.document {
            Document::PurchaseOrder(p) => Some(&**p),
            _ => None,
        })
        .collect()
}

fn only_order(f: &ParsedFile) -> &PurchaseOrder {
    let o = orders(f);
    assert_eq!(o.len(), 1, "{:#?}", f.all_errors());
    o[0]
}

fn change(f: &ParsedFile) -> &OrderChange {
    match &sets(f)[0].document {
        Document::OrderChange(c) => c,
        d => panic!("not an 860: {d:?}"),
    }
}

fn inbound_ack(f: &ParsedFile) -> &InboundAck {
    match &sets(f)[0].document {
        Document::FunctionalAck(a) => a,
        d => panic!("not a 997/999: {d:?}"),
    }
}

fn amount(s: &str) -> Amount {
    Amount::parse(s).unwrap()
}

fn messages(f: &ParsedFile) -> String {
    f.all_errors().iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n")
}

fn assert_clean(f: &ParsedFile) {
    assert!(f.all_errors().is_empty(), "unexpected errors:\n{}", messages(f));
    for ic in &f.interchanges {
        assert_eq!(ic.ta1.code, AckCode::Accepted);
        for g in &ic.groups {
            assert_eq!(g.ack.code, AckCode::Accepted, "group {}", g.control);
        }
    }
}

/// Every error must say something; counts must add up.
fn check_invariants(f: &ParsedFile) {
    for e in f.all_errors() {
        assert!(!e.message.trim().is_empty(), "empty error message: {e:?}");
        assert!(!e.to_string().is_empty());
    }
    for ic in &f.interchanges {
        for g in &ic.groups {
            assert_eq!(g.ack.received_sets as usize, g.sets.len());
            assert_eq!(g.ack.sets.len(), g.sets.len());
            assert!(g.ack.accepted_sets <= g.ack.received_sets);
            for s in &g.sets {
                if s.ack.code == AckCode::Rejected {
                    assert!(!s.ack.set_errors.is_empty(), "R without a reason: {s:?}");
                    assert!(!s.errors.is_empty(), "R without an error: {s:?}");
                }
                for se in &s.ack.segment_errors {
                    assert!(se.position >= 1);
                    assert!(!se.message.is_empty());
                }
            }
        }
    }
}

// ----------------------------------------------------------- synthetic files

/// A standard 106-byte-wide ISA without its terminator, `*` and `>` as
/// separators (replaced by [`render`]).
fn isa(control: u32, version: &str, isa11: char, usage: char) -> String {
    let s = format!(
        "ISA*00*          *00*          *ZZ*{:<15}*ZZ*{:<15}*240115*1030*{isa11}*{version}*{control:09}*0*{usage}*>",
        "RETAILER", "DROPGATE"
    );
    assert_eq!(s.len(), 105, "{s}");
    s
}

fn order_lines(st02: &str, po: &str, lines: &[&str]) -> Vec<String> {
    let mut v = vec![
        format!("ST*850*{st02}"),
        format!("BEG*00*DS*{po}**20240115"),
        "N1*ST*Jane Doe".to_string(),
        "N3*1 Main St".to_string(),
        "N4*Springfield*IL*62701*US".to_string(),
    ];
    for l in lines {
        v.push(l.to_string());
    }
    v.push(format!("CTT*{}", lines.iter().filter(|l| l.starts_with("PO1")).count()));
    v.push(format!("SE*{}*{st02}", v.len() + 1));
    v
}

fn order(st02: &str, po: &str) -> Vec<String> {
    order_lines(st02, po, &["PO1*1*2*EA*9.99**UP*012345678905*VN*SKU-1", "PID*F****Widget"])
}

fn group(control: u32, version: &str, sets: &[Vec<String>]) -> Vec<String> {
    let mut v = vec![format!("GS*PO*RETAILER*DROPGATE*20240115*1030*{control}*X*{version}")];
    for s in sets {
        v.extend(s.iter().cloned());
    }
    v.push(format!("GE*{}*{control}", sets.len()));
    v
}

fn interchange(control: u32, version: &str, groups: &[Vec<String>]) -> Vec<String> {
    let mut v = vec![isa(control, version, '^', 'P')];
    for g in groups {
        v.extend(g.iter().cloned());
    }
    v.push(format!("IEA*{}*{control:09}", groups.len()));
    v
}

/// Segments written with `*` and `>` rendered with other separators.
fn render(segs: &[String], element: char, component: char, terminator: &str) -> String {
    let mut out = String::new();
    for s in segs {
        out.push_str(&s.replace('*', &element.to_string()).replace('>', &component.to_string()));
        out.push_str(terminator);
    }
    out
}

fn x12(segs: &[String]) -> Vec<u8> {
    render(segs, '*', '>', "~\n").into_bytes()
}

fn simple() -> Vec<String> {
    interchange(1, "00401", &[group(1, "004010", &[order("0001", "PO-1")])])
}

/// Replaces the first segment starting with `prefix`.
fn with(mut segs: Vec<String>, prefix: &str, replacement: &str) -> Vec<String> {
    let i = segs.iter().position(|s| s.starts_with(prefix)).unwrap();
    segs[i] = replacement.to_string();
    segs
}

fn without(mut segs: Vec<String>, prefix: &str) -> Vec<String> {
    let i = segs.iter().position(|s| s.starts_with(prefix)).unwrap();
    segs.remove(i);
    segs
}

// ------------------------------------------------------------------ samples

#[test]
fn every_fixture_reads_without_panic_and_with_messages() {
    for (name, bytes) in all_fixtures() {
        let f = read(&bytes);
        check_invariants(&f);
        if name.starts_with("invalid_") {
            assert!(!f.all_errors().is_empty(), "{name} read without errors");
        }
    }
}

#[test]
fn amazon_drop_ship_850() {
    let f = read(&fixture("850_4010_newedi_amazon"));
    assert_clean(&f);
    assert_eq!(f.interchanges.len(), 1);
    let ic = &f.interchanges[0];
    assert_eq!(ic.sender.id, "AMAZONDS");
    assert!(ic.ack_requested);
    assert_eq!(ic.groups.len(), 1);
    assert_eq!(ic.groups[0].sets.len(), 1);
    let po = only_order(&f);
    assert_eq!(po.po_number, "T7Fd9Zn54");
    assert_eq!(po.order_type, "DS");
    assert_eq!(po.purpose, "00");
    assert_eq!(po.order_date.as_deref(), Some("20220428"));
    assert_eq!(po.currency.as_deref(), Some("USD"));
    assert_eq!(po.customer_order_number(), Some("111-3973054-1555434"));
    // REF04 composite OS>hi kept as its own reference.
    assert!(po.references.iter().any(|r| r.qualifier == "OS" && r.value == "hi"));
    let d = &po.dates[0];
    assert_eq!((d.qualifier.as_str(), d.date.as_str()), ("010", "20220503"));
    assert_eq!(d.time.as_deref(), Some("2030"));
    assert_eq!(d.zone.as_deref(), Some("GM"));
    let st = po.ship_to().unwrap();
    assert_eq!(st.name.as_deref(), Some("Charlie Smith"));
    assert_eq!(st.extra_names, ["Darla Smith"]);
    assert_eq!(st.address, ["11254 Main St", "Suite 112"]);
    assert_eq!(st.city.as_deref(), Some("Seattle"));
    assert_eq!(st.postal_code.as_deref(), Some("98104"));
    assert_eq!(st.country.as_deref(), Some("US"));
    let lw = po.party("LW").unwrap();
    assert_eq!(lw.name.as_deref(), Some("Amber Smith"));
    assert_eq!(lw.contacts[0].comms[0].value, "2065551212");
    assert_eq!(po.carriers[0].scac.as_deref(), Some("UPS_GR_RES"));
    assert_eq!(po.carriers[0].service_level.as_deref(), Some("RES"));
    // Three packing-slip messages (N9*ZZ in a drop-ship order), no gift message.
    assert_eq!(po.notes.len(), 3);
    assert!(po.notes.iter().all(|n| n.kind == NoteKind::Slip));
    assert_eq!(po.notes[0].text, "This shipment completes your order.");
    assert_eq!(po.notes[2].reference.as_deref(), Some("07"));
    assert_eq!(po.gift_message(), None);
    assert_eq!(po.lines.len(), 3);
    assert_eq!(po.declared_line_count, Some(3));
    let l = &po.lines[0];
    assert_eq!(l.line_number, "1");
    assert_eq!(l.quantity, amount("3"));
    assert_eq!(l.unit, "EA");
    assert_eq!(l.unit_price, Some(amount("18.04")));
    assert_eq!(l.price_basis.as_deref(), Some("NT"));
    assert_eq!(l.id(&["SK"]), Some("1617"));
    let q: Vec<&str> = l.ids.iter().map(|i| i.qualifier.as_str()).collect();
    assert_eq!(q, ["SK", "BL", "ZZ"]);
    assert_eq!(l.prices[0].qualifier.as_deref(), Some("PUR"));
    assert_eq!(l.prices[0].amount, Some(amount("19.99")));
    assert_eq!(l.messages, ["Wide Tracker Activity Walker"]);
    let qty: Vec<Amount> = po.lines.iter().map(|l| l.quantity).collect();
    assert_eq!(qty, [amount("3"), amount("2"), amount("1")]);
}

#[test]
fn newline_terminated_vics_850() {
    let f = read(&fixture("850_4010VICS_nodex12"));
    assert_clean(&f);
    let ic = &f.interchanges[0];
    assert_eq!(ic.separators.segment, b'\n');
    assert_eq!(ic.groups[0].version, "004010VICS");
    assert!(!ic.groups[0].wants_999());
    let po = only_order(&f);
    assert_eq!(po.po_number, "08292233294");
    assert_eq!(po.lines.len(), 6);
    assert_eq!(po.declared_line_count, Some(6));
    assert_eq!(po.ship_to().unwrap().name.as_deref(), Some("XYZ RETAIL"));
    let l = &po.lines[5];
    assert_eq!(l.quantity, amount("696"));
    assert_eq!(l.id(&["VN"]), Some("DX1875"));
    assert_eq!(l.id(&["CB"]), Some("067504-118"));
    assert_eq!(l.description.as_deref(), Some("ORANGE WIDGET"));
    let pack = l.pack.as_ref().unwrap();
    assert_eq!((pack.pack, pack.size), (Some(amount("6")), Some(amount("6"))));
    assert_eq!(po.carriers[0].routing.as_deref(), Some("SEE XYZ RETAIL ROUTING GUIDE"));
}

#[test]
fn safeway_850_with_sac_ctp_msg_and_trailing_blank_lines() {
    let f = read(&fixture("850_4010_bots_safeway"));
    assert_clean(&f);
    let po = only_order(&f);
    assert_eq!(po.po_number, "520981");
    assert_eq!(po.parties.len(), 3);
    let st = po.ship_to().unwrap();
    assert_eq!(st.extra_names, ["CENTRAL GM/HBC CALGARY"]);
    assert_eq!(st.postal_code.as_deref(), Some("T2C4C7"));
    // PO101 is empty: the position stands in.
    let numbers: Vec<&str> = po.lines.iter().map(|l| l.line_number.as_str()).collect();
    assert_eq!(numbers, ["1", "2"]);
    let l = &po.lines[0];
    assert_eq!(l.quantity, amount("20"));
    assert_eq!(l.unit, "CA");
    assert_eq!(l.id(&["UA"]), Some("006299966412"));
    assert_eq!(l.id(&["IN"]), Some("71039103"));
    assert_eq!(l.prices[0].class_of_trade.as_deref(), Some("RS"));
    assert_eq!(l.prices[0].qualifier.as_deref(), Some("FCP"));
    // SAC05 has two implied decimals.
    assert_eq!(l.charges[0].indicator, "A");
    assert_eq!(l.charges[0].code, "B280");
    assert_eq!(l.charges[0].amount, Some(amount("451.20")));
    assert_eq!(po.lines[1].price_basis.as_deref(), Some("PP"));
    let note = &po.notes[0];
    assert_eq!(note.kind, NoteKind::Other);
    assert_eq!(note.qualifier.as_deref(), Some("AH"));
    assert_eq!(note.text.lines().count(), 5);
    assert!(note.text.starts_with("ALL COSTS & ALLOWANCES"));
    assert_eq!(po.contacts[0].name.as_deref(), Some("Buyer Name"));
}

#[test]
fn microcenter_850_pipe_component_and_whitespace_before_terminator() {
    let f = read(&fixture("850_4010_edidocs_microcenter"));
    assert_clean(&f);
    let ic = &f.interchanges[0];
    assert_eq!(ic.separators.component, b'|');
    assert!(ic.ack_requested);
    let po = only_order(&f);
    assert_eq!(po.po_number, "PO2343");
    assert_eq!(po.notes.len(), 1);
    assert_eq!(po.notes[0].reference.as_deref(), Some("Shipping instructions"));
    assert_eq!(po.notes[0].text, "Ship it now");
    assert_eq!(po.ship_to().unwrap().name.as_deref(), Some("Micro Center"));
    assert_eq!(po.ship_to().unwrap().address, ["123 Fake St", "Suite A"]);
    assert_eq!(po.lines.len(), 2);
    assert_eq!(po.lines[0].id(&["VP"]), Some("FIN12343MC001"));
    assert_eq!(po.lines[0].id(&["BP"]), Some("12343MC"));
    assert_eq!(po.lines[1].unit_price, Some(amount("0.12")));
    assert_eq!(po.carriers[0].routing.as_deref(), Some("Ship it in there"));
}

#[test]
fn edifabric_two_groups_in_one_interchange() {
    let f = read(&fixture("850x2_4010_edifabric"));
    assert_clean(&f);
    assert_eq!(f.interchanges.len(), 1);
    let g = groups(&f);
    assert_eq!(g.len(), 2);
    // GS01 'IN' for an 850 is tolerated; the same ST02 in two groups is fine.
    assert_eq!(g[0].functional_id, "IN");
    assert_eq!(g[1].control, "000000002");
    let o = orders(&f);
    assert_eq!(o.len(), 2);
    for po in o {
        assert_eq!(po.po_number, "201177");
        assert_eq!(po.lines.len(), 1);
        assert_eq!(po.lines[0].quantity, amount("120.6"));
        assert_eq!(po.lines[0].line_number, "2");
        assert_eq!(po.lines[0].id(&["PR"]), Some("RO"));
        assert_eq!(po.ship_to().unwrap().name.as_deref(), Some("COMPANY INC"));
        assert_eq!(po.notes[0].text, "THIS PURCHASE ORDER IS SUBJECT TO THE SAME TERMS AND\nCONDITIONS");
    }
}

#[test]
fn officemax_cr_terminated_three_orders() {
    let f = read(&fixture("850x3_4010VICS_mule_officemax"));
    assert_clean(&f);
    assert_eq!(f.interchanges[0].separators.segment, b'\r');
    let o = orders(&f);
    let numbers: Vec<&str> = o.iter().map(|p| p.po_number.as_str()).collect();
    assert_eq!(numbers, ["2069107513", "2069118312", "2069122021"]);
    for po in &o {
        assert_eq!(po.lines.len(), 2);
        let st = po.ship_to().unwrap();
        assert_eq!(st.name, None);
        assert_eq!(st.id_qualifier.as_deref(), Some("92"));
    }
    assert_eq!(o[0].ship_to().unwrap().id.as_deref(), Some("0791"));
    assert_eq!(o[0].lines[0].id(&["UP"]), Some("00056035352232"));
    assert_eq!(o[0].lines[0].unit_price, Some(amount("6.30")));
    assert_eq!(o[1].lines[1].pack.as_ref().unwrap().pack, Some(amount("18")));
}

#[test]
fn microcenter_860_delete_item() {
    let f = read(&fixture("860_4010_edidocs_microcenter"));
    assert_clean(&f);
    let ic = &f.interchanges[0];
    assert_eq!(ic.separators.component, b'}');
    assert_eq!(ic.usage, 'T');
    let c = change(&f);
    assert_eq!(c.po_number, "193845");
    assert_eq!(c.purpose, "04");
    assert_eq!(c.order_type, "CP");
    assert_eq!(c.order_date.as_deref(), Some("20120409"));
    assert_eq!(c.change_date.as_deref(), Some("20120413"));
    assert!(!c.cancels_order());
    assert_eq!(c.changes.len(), 1);
    let l = &c.changes[0];
    assert_eq!(l.line_number, "1");
    assert_eq!(l.change_code, "DI");
    assert_eq!(l.quantity, Some(amount("10")));
    assert_eq!(l.quantity_left, Some(amount("0")));
    assert_eq!(l.unit.as_deref(), Some("EA"));
    assert_eq!(l.unit_price, Some(amount("0.36")));
    assert_eq!(l.ids.len(), 3);
    assert_eq!(l.ids[2].qualifier, "UP");
    assert_eq!(l.description.as_deref(), Some("9x7.625x1.75 32ect B"));
    assert_eq!(c.notes[0].text, "Purchase Order Notes");
}

#[test]
fn inbound_997s() {
    let f = read(&fixture("997_4010_bots_OUTPUT"));
    assert_clean(&f);
    let a = inbound_ack(&f);
    assert_eq!(a.kind, "997");
    assert_eq!((a.functional_id.as_str(), a.group_control.as_str()), ("PO", "214"));
    assert_eq!(a.sets.len(), 1);
    assert_eq!(a.sets[0].set_id, "850");
    assert_eq!(a.sets[0].control, "000000390");
    assert_eq!(a.sets[0].code, "A");
    assert_eq!(a.group_code, "A");

    let f = read(&fixture("997_4010_edifabric"));
    assert_clean(&f);
    let a = inbound_ack(&f);
    assert_eq!(a.functional_id, "IN");
    assert_eq!(a.sets.len(), 2);
    assert_eq!(a.sets[0].code, "A");
    assert!(a.sets[0].errors.is_empty());
    assert_eq!(a.sets[1].code, "R");
    let words = a.sets[1].errors.join("\n");
    assert!(words.contains("segment TXI at position 54"), "{words}");
    assert!(words.contains("data element 963"), "{words}");
    assert!(words.contains("invalid code value"), "{words}");
    assert!(words.contains("'C1'"), "{words}");
    assert!(words.contains("one or more segments in error"), "{words}");
    assert_eq!(a.group_code, "R");
}

#[test]
fn other_sets_are_unsupported() {
    for (prefix, n) in [("810_", 1), ("846x2_", 2), ("855_", 1), ("856_", 1), ("856x2_", 2)] {
        let f = read(&fixture(prefix));
        check_invariants(&f);
        assert_eq!(f.interchanges.len(), 1, "{prefix}");
        assert!(!f.interchanges[0].refused(), "{prefix}");
        let s = sets(&f);
        assert_eq!(s.len(), n, "{prefix}");
        for s in s {
            assert!(
                matches!(&s.document, Document::Unsupported { set_id } if *set_id == s.set_id),
                "{prefix}: {:?}",
                s.document
            );
            assert_eq!(s.ack.code, AckCode::Rejected);
            assert_eq!(s.ack.set_errors, [SetErrorCode::NotSupported]);
            assert!(s.errors[0].message.contains("not supported"));
        }
        assert_eq!(groups(&f)[0].ack.code, AckCode::Rejected);
    }
    // The Kohl's 855 also declares two sets in GE01 but has one.
    let f = read(&fixture("855_"));
    let g = groups(&f)[0];
    assert_eq!(g.ack.group_errors, [GroupErrorCode::SetCountMismatch]);
    assert_eq!((g.ack.declared_sets, g.ack.received_sets), (2, 1));
    assert_eq!(g.errors[0].segment_id, "GE");
}

#[test]
fn corrupt_isa_tag_is_refused() {
    let f = read(&fixture("invalid_850_4010_edifabric_corrupt_ISA_tag"));
    assert!(f.interchanges.is_empty());
    assert_eq!(f.errors.len(), 1);
    let e = &f.errors[0];
    assert!(e.message.starts_with("not an X12 interchange: the file does not start with ISA"), "{e}");
    assert!(e.message.contains("'SA*00*"), "{e}");
}

#[test]
fn missing_ge_rejects_the_group_and_the_next_interchange_is_read() {
    let f = read(&fixture("invalid_850x2_5010_mule_missing_GE_trailer"));
    check_invariants(&f);
    assert_eq!(f.interchanges.len(), 2);
    let g = &f.interchanges[0].groups[0];
    assert!(g.wants_999());
    assert_eq!(g.ack.code, AckCode::Rejected);
    assert_eq!(g.ack.group_errors, [GroupErrorCode::TrailerMissing]);
    let e = &g.errors[0];
    assert_eq!(e.segment_id, "IEA");
    assert_eq!(e.segment_index, 24);
    assert!(e.message.starts_with("GE missing for group PO 123456789"), "{e}");
    // The second interchange is intact.
    let ic2 = &f.interchanges[1];
    assert_eq!(ic2.control, "223456790");
    assert_eq!(ic2.ta1.code, AckCode::Accepted);
    assert_eq!(ic2.groups[0].ack.code, AckCode::Accepted);
    let ok: Vec<&str> = accepted_sets(&f)
        .filter_map(|(_, _, s)| match &s.document {
            Document::PurchaseOrder(p) => Some(p.po_number.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(ok, ["PO02"]);
}

#[test]
fn random_text_is_refused() {
    let f = read(&fixture("invalid_not_edi_random_text"));
    assert!(f.interchanges.is_empty());
    assert_eq!(f.errors.len(), 1);
    assert!(f.errors[0].message.contains("not an X12 interchange"));
    assert!(reader::segments(b"Random file").is_err());
    for empty in [&b""[..], b"   \r\n\n"] {
        let f = read(empty);
        assert!(f.errors[0].message.starts_with("not an X12 interchange"));
    }
}

// ------------------------------------------------------------------- quirks

#[test]
fn every_terminator_style_reads_the_same() {
    for term in ["~", "\n", "\r", "\r\n", "~\r\n", "~\n", "~\n\n", "\r\n\r\n"] {
        let text = render(&simple(), '*', '>', term);
        let f = read(text.as_bytes());
        assert_clean(&f);
        let po = only_order(&f);
        assert_eq!(po.po_number, "PO-1", "{term:?}");
        assert_eq!(po.lines[0].id(&["UP"]), Some("012345678905"), "{term:?}");
    }
}

#[test]
fn blank_lines_indentation_and_trailing_whitespace() {
    let mut text = String::from("\u{feff}\n\n");
    for s in simple() {
        text.push_str("   \t");
        text.push_str(&s);
        text.push_str("  ~\r\n\r\n");
    }
    text.push_str("\n\n   \n");
    let f = read(text.as_bytes());
    assert_clean(&f);
    assert_eq!(only_order(&f).ship_to().unwrap().name.as_deref(), Some("Jane Doe"));
}

#[test]
fn component_separators() {
    for comp in ['/', '}', '|', '>', ':'] {
        let segs = interchange(
            1,
            "00401",
            &[group(1, "004010", &[order_lines("0001", "PO-1", &["REF*OQ*123*note*OS>hi", "PO1*1*1*EA*1**UP*1"])])],
        );
        let f = read(render(&segs, '*', comp, "~").as_bytes());
        assert_clean(&f);
        assert_eq!(f.interchanges[0].separators.component, comp as u8);
        let r = &only_order(&f).references;
        assert_eq!(r[1].qualifier, "OS", "{comp}");
        assert_eq!(r[1].value, "hi", "{comp}");
    }
    // Other element separators too.
    let f = read(render(&simple(), '|', '^', "\n").as_bytes());
    assert_clean(&f);
    assert_eq!(f.interchanges[0].separators.element, b'|');
}

#[test]
fn repetition_separator_depends_on_the_version() {
    let f = read(&x12(&interchange(1, "00501", &[group(1, "005010", &[order("0001", "P")])])));
    assert_eq!(f.interchanges[0].separators.repetition, Some(b'^'));
    assert!(f.interchanges[0].groups[0].wants_999());
    let f = read(&x12(&simple()));
    assert_eq!(f.interchanges[0].separators.repetition, None);
    let mut segs = simple();
    segs[0] = isa(1, "00401", 'U', 'P');
    let f = read(&x12(&segs));
    assert_clean(&f);
    assert_eq!(f.interchanges[0].separators.repetition, None);
    let mut segs = interchange(1, "00501", &[group(1, "005010X220A1", &[order("0001", "P")])]);
    segs[0] = isa(1, "00501", 'U', 'P');
    let f = read(&x12(&segs));
    assert_clean(&f);
    assert_eq!(f.interchanges[0].separators.repetition, None);
    assert!(f.interchanges[0].groups[0].wants_999());
}

#[test]
fn several_interchanges_and_groups() {
    let mut segs = interchange(
        7,
        "00401",
        &[
            group(1, "004010", &[order("0001", "A1"), order("0002", "A2")]),
            group(2, "004010VICS", &[order("0001", "A3")]),
        ],
    );
    segs.extend(interchange(8, "00501", &[group(1, "005010", &[order("0001", "B1")])]));
    let f = read(&x12(&segs));
    assert_clean(&f);
    assert_eq!(f.interchanges.len(), 2);
    assert_eq!(f.interchanges[0].groups.len(), 2);
    let numbers: Vec<&str> = orders(&f).iter().map(|p| p.po_number.as_str()).collect();
    assert_eq!(numbers, ["A1", "A2", "A3", "B1"]);
    // ISA, GS, 2 × 9, GE, GS, 9, GE, IEA: the second ISA is segment 34.
    assert_eq!(f.interchanges[1].first_segment, 34);
    assert_eq!(accepted_sets(&f).count(), 4);
}

#[test]
fn garbage_between_interchanges_is_reported_and_skipped() {
    let a = render(&interchange(1, "00401", &[group(1, "004010", &[order("0001", "A")])]), '*', '>', "~\n");
    let b = render(&interchange(2, "00401", &[group(1, "004010", &[order("0001", "B")])]), '*', '>', "~\n");
    let text = format!("{a}this is not EDI\nat all{b}");
    let f = read(text.as_bytes());
    assert_eq!(f.interchanges.len(), 2);
    assert_eq!(orders(&f).len(), 2);
    assert_eq!(f.errors.len(), 1);
    assert!(f.errors[0].message.contains("after the end of an interchange"), "{}", f.errors[0]);
    // And before the first one.
    let f = read(format!("hello{a}").as_bytes());
    assert_eq!(f.interchanges.len(), 1);
    assert!(f.errors[0].message.contains("does not start with ISA"));
}

fn ta1(f: &ParsedFile) -> (AckCode, InterchangeNote) {
    (f.interchanges[0].ta1.code, f.interchanges[0].ta1.note)
}

#[test]
fn interchange_envelope_errors() {
    let rejected = |segs: Vec<String>, note: InterchangeNote, id: &str| {
        let f = read(&x12(&segs));
        check_invariants(&f);
        assert_eq!(ta1(&f), (AckCode::Rejected, note), "{}", messages(&f));
        assert!(f.interchanges[0].refused());
        let e = &f.interchanges[0].errors[0];
        assert_eq!(e.segment_id, id, "{e}");
        assert_eq!(accepted_sets(&f).count(), 0);
        f
    };
    let f = rejected(with(simple(), "IEA", "IEA*1*000000002"), InterchangeNote::ControlNumberMismatch, "IEA");
    assert!(f.interchanges[0].errors[0].message.contains("IEA02"));
    rejected(with(simple(), "IEA", "IEA*3*000000001"), InterchangeNote::GroupCountMismatch, "IEA");
    let f = rejected(without(simple(), "IEA"), InterchangeNote::PrematureEnd, "GE");
    assert!(f.interchanges[0].errors[0].message.starts_with("IEA missing"));
    rejected(with(simple(), "ISA", &isa(1, "00401", '^', 'X')), InterchangeNote::InvalidTestIndicator, "ISA");
    let bad_date = isa(1, "00401", '^', 'P').replace("240115", "241315");
    rejected(with(simple(), "ISA", &bad_date), InterchangeNote::InvalidDate, "ISA");
    let bad_time = isa(1, "00401", '^', 'P').replace("*1030*", "*2561*");
    rejected(with(simple(), "ISA", &bad_time), InterchangeNote::InvalidTime, "ISA");
    // Not fixed width (sender id not padded): refused, but still read.
    let short = isa(1, "00401", '^', 'P').replace("RETAILER       ", "RETAILER");
    let f = rejected(with(simple(), "ISA", &short), InterchangeNote::InvalidControlStructure, "ISA");
    assert!(f.interchanges[0].errors[0].message.contains("ISA06"), "{}", messages(&f));
    assert_eq!(f.interchanges[0].sender.id, "RETAILER");
    assert_eq!(orders(&f).len(), 1);
    // An alphanumeric element separator cannot be read at all.
    let text = render(&simple(), 'X', '>', "~");
    let f = read(text.as_bytes());
    check_invariants(&f);
    assert_eq!(ta1(&f), (AckCode::Rejected, InterchangeNote::InvalidElementSeparator));
    assert_eq!(f.interchanges[0].control, "000000001");
}

#[test]
fn duplicate_control_numbers() {
    // ISA13 twice in one file.
    let mut segs = simple();
    segs.extend(simple());
    let f = read(&x12(&segs));
    assert_eq!(f.interchanges.len(), 2);
    assert_eq!(f.interchanges[0].ta1.code, AckCode::Accepted);
    assert_eq!(
        (f.interchanges[1].ta1.code, f.interchanges[1].ta1.note),
        (AckCode::Rejected, InterchangeNote::DuplicateControlNumber)
    );
    // GS06 twice in one interchange.
    let segs = interchange(
        1,
        "00401",
        &[group(5, "004010", &[order("0001", "A")]), group(5, "004010", &[order("0002", "B")])],
    );
    let f = read(&x12(&segs));
    let g = groups(&f);
    assert_eq!(g[0].ack.code, AckCode::Accepted);
    assert_eq!(g[1].ack.code, AckCode::Rejected);
    assert_eq!(g[1].ack.group_errors, [GroupErrorCode::DuplicateControlNumber]);
    assert_eq!(g[1].ack.group_errors[0].code(), "19");
    // ST02 twice in one group.
    let segs = interchange(1, "00401", &[group(1, "004010", &[order("0007", "A"), order("0007", "B")])]);
    let f = read(&x12(&segs));
    let s = sets(&f);
    assert_eq!(s[0].ack.code, AckCode::Accepted);
    assert_eq!(s[1].ack.set_errors, [SetErrorCode::DuplicateControlNumber]);
    assert_eq!(s[1].errors[0].element, Some(2));
    assert_eq!(groups(&f)[0].ack.code, AckCode::PartiallyAccepted);
}

#[test]
fn group_envelope_errors() {
    let f = read(&x12(&with(simple(), "GE", "GE*1*2")));
    let g = groups(&f)[0];
    assert_eq!(g.ack.code, AckCode::Rejected);
    assert_eq!(g.ack.group_errors, [GroupErrorCode::ControlNumberMismatch]);
    assert_eq!(g.ack.group_errors[0].code(), "4");
    assert_eq!(g.errors[0].element, Some(2));
    assert_eq!(accepted_sets(&f).count(), 0);

    let f = read(&x12(&with(simple(), "GE", "GE*2*1")));
    let g = groups(&f)[0];
    assert_eq!(g.ack.group_errors, [GroupErrorCode::SetCountMismatch]);
    assert_eq!(g.ack.code, AckCode::AcceptedWithErrors);
    assert_eq!((g.ack.declared_sets, g.ack.received_sets, g.ack.accepted_sets), (2, 1, 1));

    let f = read(&x12(&without(simple(), "GE")));
    let g = groups(&f)[0];
    assert_eq!(g.ack.group_errors, [GroupErrorCode::TrailerMissing]);
    assert_eq!(g.ack.code, AckCode::Rejected);
    assert_eq!(g.errors[0].segment_id, "IEA");
    assert!(g.errors[0].message.starts_with("GE missing for group PO 1"), "{}", g.errors[0]);
    // The interchange envelope itself is intact.
    assert_eq!(ta1(&f), (AckCode::Accepted, InterchangeNote::NoError));

    let f = read(&x12(&with(simple(), "GS", "GS*PO*A*B*20240115*1030*1*X*002001")));
    assert_eq!(groups(&f)[0].ack.group_errors, [GroupErrorCode::VersionNotSupported]);
}

#[test]
fn set_envelope_errors() {
    let f = read(&x12(&with(simple(), "SE", "SE*9*0002")));
    let s = sets(&f)[0];
    assert_eq!(s.ack.code, AckCode::Rejected);
    assert_eq!(s.ack.set_errors, [SetErrorCode::ControlNumberMismatch]);
    assert_eq!(s.document, Document::Rejected);
    assert_eq!(groups(&f)[0].ack.code, AckCode::Rejected);

    let f = read(&x12(&with(simple(), "SE", "SE*12*0001")));
    let s = sets(&f)[0];
    assert_eq!(s.ack.set_errors, [SetErrorCode::SegmentCountMismatch]);
    assert_eq!(s.ack.set_errors[0].code(), "4");
    assert!(s.errors[0].message.contains("SE01 says '12' segments"), "{}", s.errors[0]);

    let f = read(&x12(&without(simple(), "SE")));
    let s = sets(&f)[0];
    assert_eq!(s.ack.set_errors, [SetErrorCode::TrailerMissing]);
    assert_eq!(s.last_segment, 0);
    assert_eq!(s.errors[0].segment_id, "GE");
    assert!(s.errors[0].message.starts_with("SE missing for transaction set 850 0001"));
}

#[test]
fn fifty_sets_with_one_bad_one() {
    let mut all = Vec::new();
    for i in 1..=50 {
        let st02 = format!("{i:04}");
        if i == 17 {
            all.push(order_lines(&st02, "BAD", &["PO1*1*ABC*EA*9.99**UP*012345678905"]));
        } else {
            all.push(order(&st02, &format!("PO-{i}")));
        }
    }
    let f = read(&x12(&interchange(1, "00401", &[group(1, "004010", &all)])));
    check_invariants(&f);
    let g = groups(&f)[0];
    assert_eq!(g.ack.code, AckCode::PartiallyAccepted);
    assert_eq!((g.ack.received_sets, g.ack.accepted_sets), (50, 49));
    assert_eq!(accepted_sets(&f).count(), 49);
    let bad = &g.sets[16];
    assert_eq!(bad.control, "0017");
    assert_eq!(bad.document, Document::Rejected);
    assert_eq!(bad.ack.set_errors, [SetErrorCode::SegmentsInError]);
    let ak3 = &bad.ack.segment_errors[0];
    assert_eq!(ak3.segment_id, "PO1");
    assert_eq!(ak3.position, 6);
    let ak4 = &ak3.elements[0];
    assert_eq!(ak4.position, 2);
    assert_eq!(ak4.reference, Some(330));
    assert_eq!(ak4.code, ElementErrorCode::InvalidCharacter);
    assert_eq!(ak4.bad_value.as_deref(), Some("ABC"));
    let e = &bad.errors[0];
    assert_eq!(e.element, Some(2));
    assert_eq!(e.segment_id, "PO1");
    assert_eq!(e.message, "PO1 line 1: quantity 'ABC' is not a number");
    assert_eq!(e.segment_index, g.sets[16].first_segment + 5);
    assert!(e.to_string().contains("element PO102"), "{e}");
}

/// One 850 whose body is `lines` (after BEG and the ship-to), read.
fn one_set(beg: &str, lines: &[&str]) -> ParsedFile {
    let mut segs = order_lines("0001", "X", lines);
    segs[1] = beg.to_string();
    read(&x12(&interchange(1, "00401", &[group(1, "004010", &[segs])])))
}

/// (segment id, position, AK304, [(AK401, AK403)]) of the first set.
type AkRows = Vec<(String, u32, Option<SegmentErrorCode>, Vec<(u32, ElementErrorCode)>)>;

fn ak(f: &ParsedFile) -> AkRows {
    sets(f)[0]
        .ack
        .segment_errors
        .iter()
        .map(|s| (s.segment_id.clone(), s.position, s.code, s.elements.iter().map(|e| (e.position, e.code)).collect()))
        .collect()
}

#[test]
fn segment_and_element_validation() {
    use ElementErrorCode as E;
    use SegmentErrorCode as S;
    let line = "PO1*1*2*EA*9.99**UP*1";
    let f = one_set("BEG*00*SA***20240115", &[line]);
    assert_eq!(ak(&f), [("BEG".to_string(), 2, None, vec![(3, E::MandatoryMissing)])]);
    assert!(sets(&f)[0].errors[0].message.contains("purchase order number (BEG03) is missing"));

    let f = one_set("BEG*00*SA*X*", &[line]);
    assert_eq!(ak(&f)[0].3, [(5, E::MandatoryMissing)]);
    let f = one_set("BEG*00*SA*X**20241301", &[line]);
    assert_eq!(ak(&f)[0].3, [(5, E::InvalidDate)]);
    let f = one_set("BEG*00*SA*ABCDEFGHIJKLMNOPQRSTUVWXYZ**20240115", &[line]);
    assert_eq!(ak(&f)[0].3, [(3, E::TooLong)]);

    let f = one_set("REF*XX*1", &[line]);
    assert_eq!(ak(&f), [("BEG".to_string(), 2, Some(S::MandatoryMissing), vec![])]);

    let f = one_set("BEG*00*SA*X**20240115", &[]);
    assert_eq!(ak(&f)[0].0, "PO1");
    assert_eq!(ak(&f)[0].2, Some(S::MandatoryMissing));

    let f = one_set("BEG*00*SA*X**20240115", &["ZZZ*1", line]);
    assert_eq!(ak(&f)[0], ("ZZZ".to_string(), 6, Some(S::Unexpected), vec![]));
    let f = one_set("BEG*00*SA*X**20240115", &["zz%*1", line]);
    assert_eq!(ak(&f)[0].2, Some(S::Unrecognized));

    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1**EA*9.99**UP*1"]);
    assert_eq!(ak(&f)[0].3, [(2, E::MandatoryMissing)]);
    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1*2**9.99**UP*1"]);
    assert_eq!(ak(&f)[0].3, [(3, E::ConditionalMissing)]);
    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1*2*EACH*9.99**UP*1"]);
    assert_eq!(ak(&f)[0].3, [(3, E::TooLong)]);
    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1*2*EA*9,99**UP*1"]);
    assert_eq!(ak(&f)[0].3, [(4, E::InvalidCharacter)]);
    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1*2*EA*9.99**UP"]);
    assert_eq!(ak(&f)[0].3, [(7, E::ConditionalMissing)]);
    // Several element errors in one segment: one AK3, several AK4.
    let f = one_set("BEG*00*SA*X**20240115", &["PO1*1*A*EA*B**UP*1"]);
    assert_eq!(ak(&f)[0].3, [(2, E::InvalidCharacter), (4, E::InvalidCharacter)]);

    let f = one_set("BEG*00*SA*X**20240115", &[line, "DTM*002*20240230"]);
    assert_eq!(ak(&f)[0].3, [(2, E::InvalidDate)]);
    let f = one_set("BEG*00*SA*X**20240115", &[line, "DTM*002*20240228*2575"]);
    assert_eq!(ak(&f)[0].3, [(3, E::InvalidTime)]);
    let f = one_set("BEG*00*SA*X**20240115", &[line, "SAC*C*D240***12A"]);
    assert_eq!(ak(&f)[0].3, [(5, E::InvalidCharacter)]);
    let f = one_set("BEG*00*SA*X**20240115", &[line, "CTP**MSR*x"]);
    assert_eq!(ak(&f)[0].3, [(3, E::InvalidCharacter)]);

    // An address with no N1 before it.
    let mut segs = order("0001", "X");
    segs.remove(2);
    let f = read(&x12(&interchange(1, "00401", &[group(1, "004010", &[segs])])));
    assert_eq!(ak(&f)[0].2, Some(S::OutOfSequence));

    // CTT01 that does not match the lines.
    let segs = with(order("0001", "X"), "CTT", "CTT*3");
    let f = read(&x12(&interchange(1, "00401", &[group(1, "004010", &[segs])])));
    assert_eq!(ak(&f)[0].0, "CTT");
    assert!(sets(&f)[0].errors[0].message.contains("CTT01 says 3 line items"));
}

#[test]
fn tolerated_quirks_are_not_errors() {
    // CTT hash totals, six-digit dates, header segments in odd order,
    // a missing PO101, ITD/FOB/PKG/AMT, REF without REF02.
    let f = one_set(
        "BEG*00*SA*X**240115",
        &[
            "REF*00***00>C04002",
            "ITD*14*3*2**45**46",
            "FOB*PP",
            "PKG*F*68***PALLETIZE",
            "PO1**2*EA*9.99**UP*1*VN*A",
            "DTM*002*240120",
            "AMT*TT*19.98",
        ],
    );
    assert_clean(&f);
    let po = only_order(&f);
    assert_eq!(po.order_date.as_deref(), Some("20240115"));
    assert_eq!(po.lines[0].line_number, "1");
    assert_eq!(po.lines[0].dates[0].date, "20240120");
}

#[test]
fn gift_and_slip_messages() {
    let f = one_set(
        "BEG*00*DS*X**20240115",
        &[
            "N9*ZZ*GIFT MESSAGE",
            "MSG*Happy birthday, Sam!",
            "MSG*Love, Alex",
            "N9*L1*PACKING SLIP",
            "MSG*Thank you for your order",
            "N9*L1**Shipping instructions",
            "MSG*Leave at the back door",
            "N9*IA*12345",
            "PO1*1*1*EA*1**UP*1",
        ],
    );
    assert_clean(&f);
    let po = only_order(&f);
    assert_eq!(po.gift_message().as_deref(), Some("Happy birthday, Sam!\nLove, Alex"));
    let kinds: Vec<NoteKind> = po.notes.iter().map(|n| n.kind).collect();
    assert_eq!(kinds, [NoteKind::Gift, NoteKind::Slip, NoteKind::Other]);
    // An N9 without text is a reference.
    assert!(po.references.iter().any(|r| r.qualifier == "IA" && r.value == "12345"));
}

#[test]
fn non_utf8_text_is_kept_as_latin1() {
    let mut bytes = x12(&simple());
    let at = bytes.windows(8).position(|w| w == b"Jane Doe").unwrap();
    bytes[at + 1] = 0xE9; // 'é' in Latin-1
    let f = read(&bytes);
    assert_clean(&f);
    assert_eq!(only_order(&f).ship_to().unwrap().name.as_deref(), Some("Jéne Doe"));
}

#[test]
fn an_860_and_a_999() {
    let c = vec!["ST*860*0001".to_string(), "BCH*01*DS*PO-9***20240110".to_string(), "SE*3*0001".to_string()];
    let f = read(&x12(&interchange(1, "00401", &[group(1, "004010", &[c])])));
    assert_clean(&f);
    assert!(change(&f).cancels_order());

    let c = vec!["ST*860*0001".to_string(), "BCH*04*DS*PO-9***20240110".to_string(), "SE*3*0001".to_string()];
    let f = read(&x12(&interchange(1, "00401", &[group(1, "004010", &[c])])));
    assert_eq!(sets(&f)[0].ack.segment_errors[0].segment_id, "POC");

    let a = vec![
        "ST*999*0001*005010X231A1".to_string(),
        "AK1*PR*12*005010".to_string(),
        "AK2*855*0001".to_string(),
        "IK3*BAK*2**8".to_string(),
        "IK4*3>1*324*1".to_string(),
        "IK5*R*5".to_string(),
        "AK9*R*1*1*0".to_string(),
        "SE*8*0001".to_string(),
    ];
    let f = read(&x12(&interchange(1, "00501", &[group(1, "005010X231A1", &[a])])));
    assert_clean(&f);
    let ack = inbound_ack(&f);
    assert_eq!(ack.kind, "999");
    assert_eq!(sets(&f)[0].ack.implementation_ref.as_deref(), Some("005010X231A1"));
    assert_eq!(ack.sets[0].code, "R");
    let words = ack.sets[0].errors.join("\n");
    assert!(words.contains("element 3-1 (data element 324): required data element missing"), "{words}");
}

#[test]
fn truncated_files_never_panic_and_say_what_is_missing() {
    let bytes = x12(&simple());
    for cut in 0..bytes.len() {
        let f = read(&bytes[..cut]);
        check_invariants(&f);
        // Only the final "~\n" may go unnoticed.
        assert!(cut + 2 >= bytes.len() || !f.all_errors().is_empty(), "cut at {cut}");
    }
}

#[test]
fn tokenizer_yields_every_segment_zero_copy() {
    let bytes = fixture("850_4010_newedi_amazon");
    let segs: Vec<_> = reader::segments(&bytes).unwrap().collect();
    assert_eq!(segs.len(), 39);
    assert_eq!(segs[0].id(), b"ISA");
    assert_eq!(segs[38].id(), b"IEA");
    let po1 = segs.iter().find(|s| s.id() == b"PO1").unwrap();
    assert_eq!(po1.element(2), Some(&b"3"[..]));
    assert_eq!(po1.element(15), Some(&b"Amazon.com"[..]));
    // Borrowed from the input.
    let start = bytes.as_ptr() as usize;
    let p = po1.raw().as_ptr() as usize;
    assert!(p >= start && p < start + bytes.len());
}

// --------------------------------------------------------------- properties

fn samples() -> Vec<Vec<u8>> {
    all_fixtures().into_iter().map(|(_, b)| b).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let f = read(&bytes);
        check_invariants(&f);
        let _ = reader::segments(&bytes).map(|s| s.count());
    }

    #[test]
    fn random_bytes_after_an_isa_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut bytes = isa(1, "00501", '^', 'P').into_bytes();
        bytes.push(b'~');
        bytes.extend(tail);
        let f = read(&bytes);
        check_invariants(&f);
    }

    #[test]
    fn mutated_samples_never_panic(
        which in 0usize..64,
        edits in proptest::collection::vec((any::<u16>(), any::<u8>(), 0u8..4), 1..12),
    ) {
        let all = samples();
        let mut bytes = all[which % all.len()].clone();
        for (at, byte, kind) in edits {
            if bytes.is_empty() {
                bytes.push(byte);
                continue;
            }
            let i = at as usize % bytes.len();
            match kind {
                0 => bytes[i] = byte,
                1 => bytes.insert(i, byte),
                2 => { bytes.remove(i); }
                _ => bytes.truncate(i),
            }
        }
        let f = read(&bytes);
        check_invariants(&f);
    }

    #[test]
    fn mutated_synthetic_orders_never_panic(
        edits in proptest::collection::vec((any::<u16>(), prop::sample::select(b"*>^~\n\r0123456789AZ:|ISGE ".to_vec())), 1..8),
    ) {
        let mut bytes = x12(&simple());
        for (at, byte) in edits {
            let i = at as usize % bytes.len();
            bytes[i] = byte;
        }
        let f = read(&bytes);
        check_invariants(&f);
    }
}
