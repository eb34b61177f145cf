//! EDIFACT: the reader on third-party samples and on hand-made
//! interchanges (UNA, release character, syntax 4 repetition, character
//! sets, broken counts), the writers checked by tools/edi-validate, and
//! ORDERS through the pipeline on every backend.

mod common;
use common::{ingest, outbox_all};

use dropgate::domain::{Amount, DecisionState, LineDecision, OrderDecision, Party};
use dropgate::formats::edifact::writer::{self, Despatch, Envelope, Invoice, Package, ShippedLine};
use dropgate::formats::edifact::{self, Address, Charset, MessageBody};
use dropgate::formats::{detect, Format};
use dropgate::retailer::Profile;
use dropgate::store::documents::Received;
use dropgate::store::{orders, retailers, stock, Conn, Store};

const ORDERS_SAMPLE: &str = "third_party/edifact/ORDERS_D96A_edifabric_two_messages_CUX_TOD_LOC.edi";

fn orders_of(p: &edifact::ParsedFile) -> Vec<&dropgate::domain::PurchaseOrder> {
    p.interchanges
        .iter()
        .flat_map(|ic| ic.messages.iter())
        .filter_map(|m| match &m.body {
            MessageBody::Order(po) => Some(&**po),
            _ => None,
        })
        .collect()
}

#[test]
fn the_orders_sample_reads_into_orders() {
    let bytes = common::fixture_bytes(ORDERS_SAMPLE);
    assert_eq!(detect(&bytes), Format::Edifact);
    let p = edifact::read(&bytes);
    assert!(p.all_errors().is_empty(), "{:?}", p.all_errors());
    let ic = &p.interchanges[0];
    assert_eq!((ic.sender.id.as_str(), ic.sender.qualifier.as_deref()), ("SENDER1", Some("16")));
    assert_eq!(ic.recipient.id, "RECEIVER1");
    assert_eq!((ic.control.as_str(), ic.charset, ic.syntax_version), ("131", Charset::Unob, 1));
    assert!(ic.ack_requested && ic.test);
    assert_eq!(ic.messages.len(), 2);
    assert_eq!(ic.messages[0].identifier(), "ORDERS:D:96A:UN");
    let pos = orders_of(&p);
    assert_eq!(pos.len(), 2);
    let po = pos[0];
    assert_eq!(po.po_number, "128576");
    assert_eq!(po.purpose, "00");
    assert_eq!(po.order_date.as_deref(), Some("20020830"));
    assert_eq!(po.currency.as_deref(), Some("GBP"));
    assert_eq!(po.party("BY").and_then(|p| p.id.as_deref()), Some("5412345000013"));
    assert_eq!(po.party("BY").and_then(|p| p.id_qualifier.as_deref()), Some("UL"));
    assert_eq!(po.party("SU").and_then(|p| p.id.as_deref()), Some("4012345500004"));
    let contact = &po.party("BY").unwrap().contacts[0];
    assert_eq!((contact.function.as_str(), contact.name.as_deref()), ("OC", Some("P FORGET")));
    assert_eq!(contact.comms[0].value, "0044715632478");
    assert_eq!(po.references[0].qualifier, "CT");
    assert_eq!(po.lines.len(), 1);
    let l = &po.lines[0];
    assert_eq!(l.line_number, "1");
    assert_eq!(l.quantity, Amount::from_units(48), "QTY+21, not the split quantities QTY+11");
    assert_eq!(l.unit_price, Amount::parse("14.58"));
    assert_eq!(l.id(&["EN"]), Some("4000862141404"));
    assert_eq!(l.id(&["IN"]), Some("ABC1234"));
    assert_eq!(l.references[0].value, "AUG93RNG04");
    assert_eq!(po.declared_line_count, Some(1));
}

#[test]
fn broken_samples_are_refused_with_reasons() {
    let bad = common::fixture_bytes("third_party/edifact/invalid_ORDERS_D96A_edifabric_corrupt_UNB_tag.edi");
    assert_eq!(detect(&bad), Format::Edifact, "a UNH near the start tells EDIFACT");
    let p = edifact::read(&bad);
    assert!(p.interchanges.is_empty());
    let e = p.errors[0].to_string();
    assert!(e.contains("segment 1") && e.contains("UNB") && e.contains("\"NB\""), "{e}");

    // UNT01 off by one (a real defect of the sample).
    let inv = edifact::read(&common::fixture_bytes("third_party/edifact/INVOIC_D97B_staedi_UNA_custom_separators.edi"));
    let ic = &inv.interchanges[0];
    assert_eq!((ic.syntax.component, ic.syntax.element, ic.syntax.terminator), (b'=', b'*', b'~'));
    assert_eq!(ic.recipient.id, "006415160", "release character in UNB (\"006?415160\")");
    let err = ic.messages[0].errors[0].to_string();
    assert!(err.contains("UNT01 says 23") && err.contains("has 24"), "{err}");

    // UNZ01 counts two messages, there is one.
    let des =
        edifact::read(&common::fixture_bytes("third_party/edifact/DESADV_D01B_EAN007_edifabric_CPS_SSCC_GIN.edi"));
    assert!(des.interchanges[0].refused());
    assert!(des.interchanges[0].errors[0].to_string().contains("UNZ01 says 2"));
}

/// A hand-made interchange: UNA with other characters, syntax 4, UNOC.
fn custom_interchange() -> Vec<u8> {
    let mut v =
        b"UNA=*,!^~\r\nUNB*UNOC=4*5790000000005=14*5790000000012=14*20261202=1015*REF!*1**ORDERS*1~\r\n".to_vec();
    let body: Vec<&[u8]> = vec![
        b"UNH*M1*ORDERS=D=01B=UN=EAN010~",
        b"BGM*220*PO-77!*A*9~",
        b"DTM*137=202612021015=203~",
        b"FTX*GIF***Happy birthday=from Ren\xe9e^second repetition~",
        b"NAD*DP***J\xfcrgen M\xfcller*Hauptstra\xdfe 5*Berlin**10115*DE~",
        b"LIN*1**4006381333931=SRS~",
        b"QTY*21=2,5=PCE~",
        b"PRI*AAA=12,40~",
        b"LIN*2**012345678905=SRS~",
        b"QTY*21=3~",
        b"UNS*S~",
        b"CNT*2=2~",
        b"UNT*13*M1~",
        b"UNZ*1*REF!*1~",
    ];
    for b in body {
        v.extend_from_slice(b);
        v.extend_from_slice(b"\n");
    }
    v
}

#[test]
fn una_release_repetition_and_charset() {
    let p = edifact::read(&custom_interchange());
    assert!(p.all_errors().is_empty(), "{:?}", p.all_errors());
    let ic = &p.interchanges[0];
    assert_eq!(ic.control, "REF*1", "released element separator in the reference");
    assert_eq!((ic.syntax_version, ic.syntax.repetition, ic.syntax.decimal), (4, Some(b'^'), b','));
    let po = orders_of(&p)[0];
    assert_eq!(po.po_number, "PO-77*A");
    let gift = po.gift_message().unwrap();
    assert_eq!(gift, "Happy birthday from Renée", "UNOC read as ISO 8859-1; the repetition is not the text");
    let st = po.ship_to().unwrap();
    assert_eq!(st.name.as_deref(), Some("Jürgen Müller"));
    assert_eq!(st.address, vec!["Hauptstraße 5"]);
    assert_eq!((st.city.as_deref(), st.postal_code.as_deref()), (Some("Berlin"), Some("10115")));
    assert_eq!(po.lines[0].quantity, Amount::parse("2.5").unwrap(), "decimal comma from the UNA");
    assert_eq!(po.lines[0].unit_price, Amount::parse("12.40"));
    assert_eq!(po.lines[1].id(&["UP"]), Some("012345678905"), "12-digit GTIN is a UPC");

    // The same bytes declared UNOB: the é is not ASCII, the message is refused.
    let p = edifact::read(&unob_bytes());
    let e = p.interchanges[0].messages[0].errors[0].to_string();
    assert!(e.contains("0xE9") && e.contains("UNOB"), "{e}");
}

fn unob_bytes() -> Vec<u8> {
    let mut b = custom_interchange();
    let i = b.windows(4).position(|w| w == b"UNOC").unwrap();
    b[i..i + 4].copy_from_slice(b"UNOB");
    b
}

#[test]
fn envelope_counts_and_references_are_checked() {
    let good = String::from_utf8(common::fixture_bytes(ORDERS_SAMPLE)).unwrap();
    for (from, to, why) in [
        ("UNT+38+000000102'", "UNT+37+000000102'", "UNT01 says 37"),
        ("UNT+38+000000102'", "UNT+38+000000999'", "UNT02 \"000000999\""),
        ("UNZ+2+131'", "UNZ+3+131'", "UNZ01 says 3"),
        ("UNZ+2+131'", "UNZ+2+132'", "UNZ02 \"132\""),
        ("UNZ+2+131'", "", "no UNZ"),
        ("CNT+2:1'\nUNT+38+000000101'", "CNT+2:2'\nUNT+38+000000101'", "CNT+2 says 2"),
        ("QTY+21:48'\nMOA+203:699.84'\nPRI+AAA:14.58:CT:AAE:1:KGM'\nRFF+PL:AUG93RNG04'\nDTM+171:20020801:102'\nPAC+2+:51+CS'\nPCI+14'\nLOC+7+3312345502000::9'\nQTY+11:24'\nDTM+2:20020915:102'\nLOC+7+3312345501003::9'\nQTY+11:24'\nDTM+2:20020913:102'\nTAX+7+VAT+++:::17.5+S'\nUNS+S'\nCNT+2:1'\nUNT+38+000000101'", "QTY+21:4x8'\nMOA+203:699.84'\nPRI+AAA:14.58:CT:AAE:1:KGM'\nRFF+PL:AUG93RNG04'\nDTM+171:20020801:102'\nPAC+2+:51+CS'\nPCI+14'\nLOC+7+3312345502000::9'\nQTY+11:24'\nDTM+2:20020915:102'\nLOC+7+3312345501003::9'\nQTY+11:24'\nDTM+2:20020913:102'\nTAX+7+VAT+++:::17.5+S'\nUNS+S'\nCNT+2:1'\nUNT+38+000000101'", "\"4x8\" is not a number"),
    ] {
        let text = good.replacen(from, to, 1);
        assert_ne!(text, good, "{why}: the sample changed");
        let p = edifact::read(text.as_bytes());
        let all: Vec<String> = p.all_errors().iter().map(ToString::to_string).collect();
        assert!(all.iter().any(|e| e.contains(why)), "{why}: {all:?}");
    }
    // One bad message leaves the other one standing.
    let text = good.replacen("UNT+38+000000102'", "UNT+37+000000102'", 1);
    let p = edifact::read(text.as_bytes());
    assert_eq!(orders_of(&p).len(), 1);
    assert!(!p.interchanges[0].refused());
}

#[test]
fn every_prefix_and_byte_flip_reads_without_panic() {
    let bytes = custom_interchange();
    for n in 0..bytes.len() {
        let _ = edifact::read(&bytes[..n]);
    }
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] = b[i].wrapping_add(0x5A);
        let _ = edifact::read(&b);
    }
}

fn reply_env(charset: Charset, version: u8) -> Envelope {
    Envelope {
        syntax: edifact::Syntax::default(),
        charset,
        syntax_version: version,
        sender: Address::parse("5790000000012:14").unwrap(),
        recipient: Address::parse("5790000000005:14").unwrap(),
        date: "20261202".into(),
        time: "1015".into(),
        control: "42".into(),
        application_ref: None,
        test: false,
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
fn ordrsp_and_contrl_validate() {
    let p = edifact::read(&common::fixture_bytes(ORDERS_SAMPLE));
    let ic = &p.interchanges[0];
    let po = orders_of(&p)[0];
    for (n, d) in [decision(&[(48, 48, 0)]), decision(&[(48, 20, 28)]), decision(&[(48, 0, 0)])].iter().enumerate() {
        let env = Envelope::reply_to(ic, 7, "20261202", "1015");
        let bytes = writer::write_ordrsp(&env, "96A", "7", po, d).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let bgm = ["BGM+231+7+29'", "BGM+231+7+4'", "BGM+231+7+27'"][n];
        assert!(text.contains(bgm), "{text}");
        assert!(text.contains("UNB+UNOB:3+RECEIVER1:01:ZZUK+SENDER1:16:ZZUK+"), "parties swapped: {text}");
        assert!(text.contains("RFF+ON:128576'"));
        assert!(text.contains(["LIN+1+5+4000862141404:SRS'", "LIN+1+3+", "LIN+1+7+"][n]), "{text}");
        common::edi_validate_bytes(&format!("ordrsp{n}.edi"), &bytes);
        // D01B as well.
        common::edi_validate_bytes(
            &format!("ordrsp{n}_d01b.edi"),
            &writer::write_ordrsp(&env, "01B", "7", po, d).unwrap(),
        );
    }
    let d = &decision(&[(48, 0, 48)]);
    assert_eq!(d.state, DecisionState::Backordered);
    let env = Envelope::reply_to(ic, 8, "20261202", "1015");
    let text = String::from_utf8(writer::write_ordrsp(&env, "96A", "8", po, d).unwrap()).unwrap();
    assert!(text.contains("QTY+83:48'"), "{text}");

    // CONTRL: all good, and with a rejected message.
    let reports = |p: &edifact::ParsedFile| -> Vec<writer::MessageReport> {
        p.interchanges[0]
            .messages
            .iter()
            .map(|m| writer::MessageReport {
                reference: m.reference.to_string(),
                identifier: m.identifier(),
                errors: m.errors.clone(),
                first_segment: m.first_segment,
            })
            .collect()
    };
    let env = Envelope::reply_to(ic, 9, "20261202", "1015");
    let ok = writer::write_contrl(&env, ic, &reports(&p)).unwrap();
    let text = String::from_utf8_lossy(&ok).into_owned();
    assert!(text.contains("UCI+131+SENDER1:16:ZZUK+RECEIVER1:01:ZZUK+7'"), "{text}");
    assert!(text.contains("UCM+000000101+ORDERS:D:96A:UN+7'"), "{text}");
    validate_contrl(&ok);
    let bad_text =
        String::from_utf8(common::fixture_bytes(ORDERS_SAMPLE)).unwrap().replacen("QTY+21:48'", "QTY+21:4x8'", 1);
    let bad = edifact::read(bad_text.as_bytes());
    let nok = writer::write_contrl(&env, &bad.interchanges[0], &reports(&bad)).unwrap();
    let text = String::from_utf8_lossy(&nok).into_owned();
    assert!(text.contains("UCM+000000101+ORDERS:D:96A:UN+4'\nUCS+22+12'\nUCD+12+1:2'"), "{text}");
    assert!(text.contains("UCM+000000102+ORDERS:D:96A:UN+7'"), "{text}");
    validate_contrl(&nok);
    // A refused interchange: UCI action 4 with the error and the segment.
    let cut = String::from_utf8(common::fixture_bytes(ORDERS_SAMPLE)).unwrap().replacen("UNZ+2+131'", "UNZ+3+131'", 1);
    let refused = edifact::read(cut.as_bytes());
    let text = String::from_utf8(writer::write_contrl(&env, &refused.interchanges[0], &[]).unwrap()).unwrap();
    assert!(text.contains("+4+29+UNZ'"), "{text}");
}

/// CONTRL is a service message the validator has a grammar for in
/// tools/edifact-grammars (ISO 9735-5 CONTRL, syntax 3).
fn validate_contrl(bytes: &[u8]) {
    common::edi_validate_bytes("contrl.edi", bytes);
}

#[test]
fn desadv_and_invoic_validate() {
    let ship_to = Party {
        role: "ST".into(),
        name: Some("Åsa Öberg".into()),
        address: vec!["Storgatan 1".into()],
        city: Some("Malmö".into()),
        postal_code: Some("21122".into()),
        country: Some("SE".into()),
        ..Party::default()
    };
    let lines = vec![
        ShippedLine {
            line_number: "1".into(),
            gtin: Some("4000862141404".into()),
            sku: Some("A-1".into()),
            description: Some("Teapot, 1 l".into()),
            quantity: 2,
            unit_price: Amount::parse("14.58"),
        },
        ShippedLine {
            line_number: "2".into(),
            sku: Some("B+2".into()),
            quantity: 1,
            unit_price: Amount::parse("3"),
            ..Default::default()
        },
    ];
    let d = Despatch {
        number: "SHP-1".into(),
        ship_date: "20261202".into(),
        po_number: "128576".into(),
        carrier: Some("UPS".into()),
        ship_to: Some(ship_to.clone()),
        packages: vec![
            Package {
                sscc: Some("003456789012345675".into()),
                tracking: Some("1Z999AA10123456784".into()),
                lines: lines[..1].to_vec(),
            },
            Package { sscc: None, tracking: None, lines: lines[1..].to_vec() },
        ],
    };
    for (charset, release) in [(Charset::Unoc, "96A"), (Charset::Unoa, "01B"), (Charset::Unow, "96A")] {
        let env = reply_env(charset, 3);
        let bytes = writer::write_desadv(&env, release, &d).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert!(text.contains("GIN+BJ+003456789012345675'"), "{text}");
        assert!(text.contains("PIA+5+B?+2:SA'"), "release character before +: {text}");
        if charset == Charset::Unoa {
            assert!(text.contains("ASA OBERG"), "UNOA: transliterated and upper case: {text}");
        }
        common::edi_validate_bytes(&format!("desadv_{}.edi", charset.code()), &bytes);
        let inv = Invoice {
            number: "INV-1".into(),
            date: "20261202".into(),
            po_number: "128576".into(),
            currency: Some("EUR".into()),
            buyer: Some(Party {
                role: "BY".into(),
                id: Some("5412345000013".into()),
                id_qualifier: Some("UL".into()),
                ..Party::default()
            }),
            supplier: None,
            lines: lines.clone(),
            ..Invoice::default()
        };
        assert_eq!(inv.total(), Amount::parse("32.16").unwrap());
        let bytes = writer::write_invoic(&env, release, &inv).unwrap();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        assert!(text.contains("MOA+77:32.16'") && text.contains("MOA+203:29.16'"), "{text}");
        common::edi_validate_bytes(&format!("invoic_{}.edi", charset.code()), &bytes);
    }
    // Characters no set can spell are refused with a reason, never dropped.
    let mut d2 = d.clone();
    d2.ship_to.as_mut().unwrap().name = Some("王小明".into());
    let e = writer::write_desadv(&reply_env(Charset::Unoc, 3), "96A", &d2).unwrap_err();
    assert!(e.to_string().contains("NAD") && e.to_string().contains("UNOC") && e.to_string().contains('王'), "{e}");
    assert!(writer::write_desadv(&reply_env(Charset::Unow, 3), "96A", &d2).is_ok());
}

// ---- through the pipeline ----

const SENDER1: &str = "id = \"euro\"\nname = \"Euro Retail\"\n[edifact]\nsender_id = \"SENDER1:16\"\nreceiver_id = \"RECEIVER1:01\"\n[policy]\non_short = \"backorder\"\n";

fn setup(db: &common::TestDb) -> (Store, Conn) {
    let store = Store::open(&db.url, 2).unwrap();
    let mut conn = dropgate::store::connect(&db.url).unwrap();
    retailers::apply(&mut conn, &Profile::from_toml(SENDER1, "euro").unwrap()).unwrap();
    let item =
        stock::StockItem { sku: "TEA".into(), on_hand: 100, upc: Some("4000862141404".into()), ..Default::default() };
    stock::import(&mut conn, &[item], false).unwrap();
    (store, conn)
}

fn orders_through_the_pipeline(db: &common::TestDb) {
    let (_store, mut conn) = setup(db);
    let bytes = common::fixture_bytes(ORDERS_SAMPLE);
    let (r, s) = ingest(&mut conn, "orders.edi", &bytes);
    assert!(matches!(r, Received::New { .. }));
    // The second message is the same PO to the same place: answered, not reserved twice.
    assert_eq!((s.accepted, s.duplicate, s.quarantined), (1, 1, 0), "{s:?}");
    assert_eq!(stock::get(&mut conn, "TEA").unwrap().unwrap().reserved, 48);
    let o = orders::find_by_po(&mut conn, "euro", "128576").unwrap();
    assert_eq!(o.len(), 1);
    assert_eq!(
        (o[0].state.as_str(), o[0].interchange_control.as_str(), o[0].set_control.as_str()),
        ("accepted", "131", "000000101")
    );
    let out = outbox_all(&mut conn);
    let kinds: Vec<&str> = out.iter().map(|r| r.kind.as_str()).collect();
    assert_eq!(kinds, ["CONTRL", "ORDRSP", "ORDRSP"], "UNB asks for a CONTRL");
    for row in &out {
        common::edi_validate_bytes(&row.file_name, &row.payload);
    }
    assert!(String::from_utf8_lossy(&out[1].payload).contains("LIN+1+5+4000862141404:SRS'"));
    assert_eq!(out[1].order_id, Some(o[0].id));

    // The same file again: a repeat, answered again, nothing new.
    let (r, s) = ingest(&mut conn, "orders-again.edi", &bytes);
    assert!(matches!(r, Received::Repeat { .. }), "{r:?}");
    assert_eq!(s.orders(), 0);
    assert_eq!(stock::get(&mut conn, "TEA").unwrap().unwrap().reserved, 48);

    // Same interchange reference with other bytes: the duplicate check per sender.
    let text = String::from_utf8(bytes.clone()).unwrap().replace("128576", "128577");
    let (_, s) = ingest(&mut conn, "reused.edi", text.as_bytes());
    assert_eq!(s.quarantined, 1, "{s:?}");
    assert!(s.problems[0].contains("control reference 131") && s.problems[0].contains("already received"), "{s:?}");

    // A message that does not add up is rejected in the CONTRL, the other goes on.
    let text = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("+131+", "+132+")
        .replace("UNZ+2+131'", "UNZ+2+132'")
        .replace("128576", "555")
        .replacen("QTY+21:48'", "QTY+21:'", 1);
    let (_, s) = ingest(&mut conn, "half.edi", text.as_bytes());
    assert_eq!((s.accepted, s.sets_rejected), (1, 1), "{s:?}");
    assert!(s.problems.iter().any(|p| p.contains("000000101") && p.contains("QTY")), "{s:?}");
    let out = outbox_all(&mut conn);
    let contrl = out.iter().rev().find(|r| r.kind == "CONTRL").unwrap();
    let t = String::from_utf8_lossy(&contrl.payload);
    assert!(t.contains("UCM+000000101+ORDERS:D:96A:UN+4'") && t.contains("UCM+000000102+ORDERS:D:96A:UN+7'"), "{t}");
    common::edi_validate_bytes("contrl.edi", &contrl.payload);

    // An unknown sender and the broken sample land in quarantine with a reason.
    let stranger = String::from_utf8(bytes.clone()).unwrap().replace("SENDER1", "STRANGER").replace("+131", "+133");
    let (_, s) = ingest(&mut conn, "stranger.edi", stranger.as_bytes());
    assert_eq!(s.quarantined, 1);
    assert!(
        s.problems[0].contains("STRANGER:16 is not a known retailer") && s.problems[0].contains("edifact.sender_id"),
        "{s:?}"
    );
    let (_, s) = ingest(
        &mut conn,
        "bad.edi",
        &common::fixture_bytes("third_party/edifact/invalid_ORDERS_D96A_edifabric_corrupt_UNB_tag.edi"),
    );
    assert_eq!(s.quarantined, 1);
    assert!(s.problems[0].contains("bad.edi") && s.problems[0].contains("segment 1 (NB)"), "{s:?}");
}

#[test]
fn orders_through_the_pipeline_sqlite() {
    orders_through_the_pipeline(&common::sqlite_db());
}

#[test]
fn orders_through_the_pipeline_postgres() {
    if let Some(db) = common::pg_db("edifact::orders_through_the_pipeline") {
        orders_through_the_pipeline(&db);
    }
}

#[test]
fn inspect_reads_edifact() {
    let f = common::fixture(ORDERS_SAMPLE);
    let out = std::process::Command::new(common::bin()).arg("inspect").arg(&f).arg("--json").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["format"], "edifact");
    assert_eq!(v["orders"].as_array().unwrap().len(), 2);
    assert_eq!(v["orders"][0]["po_number"], "128576");
    assert_eq!(v["interchanges"][0]["sender"], "SENDER1:16");
    let bad = common::fixture("third_party/edifact/invalid_ORDERS_D96A_edifabric_corrupt_UNB_tag.edi");
    let out = std::process::Command::new(common::bin()).arg("inspect").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("expected an interchange header UNB"), "{out:?}");
    let out = std::process::Command::new(common::bin()).arg("inspect").arg(&f).arg("--ack").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("UNH+1+CONTRL:D:3:UN'") && text.contains("UCI+131+"), "{text}");
}

#[test]
fn an_edifact_file_in_a_watched_folder_is_answered() {
    let i = common::Install::new(common::sqlite_db());
    let profile = format!("{SENDER1}[folders]\ninbound = \"data/euro/in\"\noutbound = \"data/euro/out\"\n");
    let f = i.path().join("euro.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock("sku,on_hand,upc\nTEA,100,4000862141404\n");
    let serve = common::Serve(
        i.cmd().arg("serve").stdout(std::process::Stdio::null()).stderr(std::process::Stdio::null()).spawn().unwrap(),
    );
    let inbound = i.inbound("euro");
    std::fs::create_dir_all(&inbound).unwrap();
    // A name that says nothing about the format.
    std::fs::write(inbound.join("incoming.part"), common::fixture_bytes(ORDERS_SAMPLE)).unwrap();
    std::fs::rename(inbound.join("incoming.part"), inbound.join("incoming.dat")).unwrap();
    let files = common::wait_for_files(&i.outbound("euro"), 3, std::time::Duration::from_secs(60));
    assert!(serve.stop().success());
    let names: Vec<String> = files.iter().map(|p| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
    assert_eq!(names.len(), 3, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("CONTRL_")).count(), 1, "{names:?}");
    assert_eq!(names.iter().filter(|n| n.starts_with("ORDRSP_")).count(), 2, "{names:?}");
    for f in &files {
        let (ok, out) = common::edi_validate(f);
        assert!(ok, "{out}");
    }
    assert!(inbound.join("processed/incoming.dat").exists());
    let o = i.json(&["orders", "list"]);
    assert_eq!(o.as_array().map(Vec::len), Some(1), "{o}");
}
