//! The X12 writers, black-box: every document is checked by the independent
//! validator (`tools/edi-validate`) and its content by hand; one 855 and one
//! 997 are compared byte for byte with `tests/snapshots/`
//! (`UPDATE_SNAPSHOTS=1 cargo test --test x12_writers` rewrites them).

use dropgate::domain::{
    Amount, ChangeOutcome, DecisionState, ItemId, LineChange, LineChangeOutcome, LineDecision, OrderChange,
    OrderDecision, OrderLine, PurchaseOrder, Reference, RejectReason,
};
use dropgate::formats::x12::ack::{
    AckCode, ElementError, ElementErrorCode, GroupAck, GroupErrorCode, InterchangeAck, InterchangeNote, SegmentError,
    SegmentErrorCode, SetAck, SetErrorCode,
};
use dropgate::formats::x12::writer::{
    write_855, write_865, write_997, write_999, write_ta1, x12_datetime_utc, X12Writer,
};
use dropgate::formats::x12::{Envelope, PartyId, Separators};
use std::path::{Path, PathBuf};
use std::process::Command;

// ---------------------------------------------------------------- helpers

fn envelope(version: &str) -> Envelope {
    Envelope {
        sender: PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() },
        receiver: PartyId { qualifier: "12".into(), id: "5551234567".into() },
        interchange_control: 42,
        group_control: 7,
        first_set_control: 1,
        version: version.into(),
        usage: 'T',
        ack_requested: false,
        date: "20240315".into(),
        time: "1405".into(),
        separators: Separators::default(),
    }
}

fn validator() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/edi-validate")
}

/// Writes each document to a temporary file and runs the validator on all
/// of them at once; fails with the validator's report and the documents.
/// `X12_WRITERS_KEEP=<dir>` keeps a copy of every document there.
fn assert_valid(docs: &[(&str, &[u8])]) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut cmd = Command::new(validator());
    for (name, bytes) in docs {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).expect("write document");
        if let Some(keep) = std::env::var_os("X12_WRITERS_KEEP") {
            std::fs::create_dir_all(&keep).expect("X12_WRITERS_KEEP dir");
            std::fs::write(Path::new(&keep).join(name), bytes).expect("keep document");
        }
        cmd.arg(path);
    }
    let out = cmd.output().expect("run tools/edi-validate");
    if out.status.code() != Some(0) {
        let mut text = String::new();
        for (name, bytes) in docs {
            text.push_str(&format!("--- {name}\n{}\n", String::from_utf8_lossy(bytes)));
        }
        panic!(
            "tools/edi-validate exited {:?}\n{}{}\n{text}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
        );
    }
}

/// The segments of a document written with the default separators
/// (`*` `>` `~`, one per line), split into elements.
fn segments(doc: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(doc).expect("ASCII output");
    assert!(text.ends_with("~\n"), "every segment ends with ~ and a newline");
    text.split("~\n").filter(|s| !s.is_empty()).map(|s| s.split('*').map(str::to_string).collect()).collect()
}

fn find<'a>(segs: &'a [Vec<String>], id: &str) -> Vec<&'a Vec<String>> {
    segs.iter().filter(|s| s[0] == id).collect()
}

fn joined(seg: &[String]) -> String {
    seg.join("*")
}

/// Checks the envelope arithmetic: ISA width, SE/GE/IEA counts and control
/// numbers. Returns the ST02s in order.
fn assert_envelope(doc: &[u8]) -> Vec<String> {
    assert_eq!(doc[105], b'~', "ISA is 106 bytes");
    let segs = segments(doc);
    let isa = &segs[0];
    assert_eq!(isa[0], "ISA");
    assert_eq!(isa[13].len(), 9, "ISA13 has 9 digits");
    let iea = segs.last().unwrap();
    assert_eq!(iea[0], "IEA");
    assert_eq!(iea[2], isa[13], "IEA02 = ISA13");
    assert_eq!(iea[1], find(&segs, "GS").len().to_string(), "IEA01");
    let mut controls = Vec::new();
    let mut group: Option<(String, usize)> = None;
    let mut set: Option<(String, usize)> = None;
    for s in &segs {
        if let Some((_, n)) = set.as_mut() {
            *n += 1;
        }
        match s[0].as_str() {
            "GS" => group = Some((s[6].clone(), 0)),
            "ST" => {
                assert!(s[2].len() >= 4, "ST02 has at least 4 digits: {}", s[2]);
                controls.push(s[2].clone());
                set = Some((s[2].clone(), 1));
                group.as_mut().expect("ST inside GS").1 += 1;
            }
            "SE" => {
                let (control, n) = set.take().expect("SE after ST");
                assert_eq!(s[1], n.to_string(), "SE01 counts ST..SE");
                assert_eq!(s[2], control, "SE02 = ST02");
            }
            "GE" => {
                let (control, n) = group.take().expect("GE after GS");
                assert_eq!(s[1], n.to_string(), "GE01 counts sets");
                assert_eq!(s[2], control, "GE02 = GS06");
            }
            _ => {}
        }
    }
    controls
}

/// Compares with `tests/snapshots/<name>`, or rewrites it when
/// `UPDATE_SNAPSHOTS` is set.
fn assert_snapshot(name: &str, doc: &[u8]) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots").join(name);
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, doc).unwrap();
        return;
    }
    let expected =
        std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e} (UPDATE_SNAPSHOTS=1 writes it)", path.display()));
    assert_eq!(String::from_utf8_lossy(doc), String::from_utf8_lossy(&expected), "{name} differs from its snapshot");
}

// ---------------------------------------------------------------- inputs

fn set_ack(control: &str, code: AckCode) -> SetAck {
    SetAck {
        set_id: "850".into(),
        control: control.into(),
        implementation_ref: None,
        code,
        set_errors: vec![],
        segment_errors: vec![],
    }
}

/// A group of two 850s: the first accepted, the second rejected for a bad
/// PO1 (letter O in the quantity, missing unit) and an unknown segment.
fn po_group() -> GroupAck {
    let mut rejected = set_ack("0002", AckCode::Rejected);
    rejected.set_errors = vec![SetErrorCode::SegmentsInError];
    rejected.segment_errors = vec![
        SegmentError {
            segment_id: "PO1".into(),
            position: 7,
            loop_id: Some("PO1".into()),
            code: None,
            elements: vec![
                ElementError {
                    position: 2,
                    component: None,
                    repetition: None,
                    reference: Some(330),
                    code: ElementErrorCode::InvalidCharacter,
                    bad_value: Some("1O".into()),
                },
                ElementError {
                    position: 3,
                    component: None,
                    repetition: None,
                    reference: Some(355),
                    code: ElementErrorCode::ConditionalMissing,
                    bad_value: None,
                },
            ],
            message: "PO102 is not a number; PO103 missing".into(),
        },
        SegmentError {
            segment_id: "ZZZ".into(),
            position: 9,
            loop_id: None,
            code: Some(SegmentErrorCode::Unrecognized),
            elements: vec![],
            message: "unknown segment".into(),
        },
    ];
    GroupAck {
        functional_id: "PO".into(),
        control: "1234".into(),
        version: "004010".into(),
        sets: vec![set_ack("0001", AckCode::Accepted), rejected],
        declared_sets: 2,
        received_sets: 2,
        accepted_sets: 1,
        code: AckCode::PartiallyAccepted,
        group_errors: vec![],
    }
}

fn line(n: &str, qty: i64, price: Option<&str>, ids: &[(&str, &str)]) -> OrderLine {
    OrderLine {
        line_number: n.into(),
        quantity: Amount::from_units(qty),
        unit: "EA".into(),
        unit_price: price.map(|p| Amount::parse(p).unwrap()),
        price_basis: price.map(|_| "PE".into()),
        ids: ids.iter().map(|(q, v)| ItemId { qualifier: (*q).into(), value: (*v).into() }).collect(),
        ..OrderLine::default()
    }
}

fn decision(ordered: i64, accepted: i64, backordered: i64, reason: Option<RejectReason>) -> LineDecision {
    LineDecision { ordered, accepted, backordered, rejected: ordered - accepted - backordered, reason }
}

/// Three lines: one accepted in full, one partly backordered, one unknown item.
fn purchase_order() -> (PurchaseOrder, OrderDecision) {
    let po = PurchaseOrder {
        po_number: "PO-1001".into(),
        purpose: "00".into(),
        order_type: "DS".into(),
        order_date: Some("20240314".into()),
        references: vec![Reference { qualifier: "CO".into(), value: "CO-778899".into(), description: None }],
        lines: vec![
            line("1", 5, Some("12.50"), &[("UP", "012345678905"), ("VN", "SKU-1")]),
            line("2", 10, Some("3"), &[("VN", "SKU-2")]),
            line("3", 2, None, &[("UP", "999999999993")]),
        ],
        ..PurchaseOrder::default()
    };
    let d = OrderDecision {
        state: DecisionState::PartiallyAccepted,
        lines: vec![
            decision(5, 5, 0, None),
            decision(10, 6, 4, None),
            decision(2, 0, 0, Some(RejectReason::UnknownItem)),
        ],
    };
    (po, d)
}

// ---------------------------------------------------------------- 997 / 999 / TA1

#[test]
fn a_997_lists_every_set_with_its_errors() {
    let accepted_group = GroupAck {
        functional_id: "PC".into(),
        control: "000000077".into(),
        version: "004010".into(),
        sets: vec![SetAck { set_id: "860".into(), ..set_ack("10030001", AckCode::Accepted) }],
        declared_sets: 1,
        received_sets: 1,
        accepted_sets: 1,
        code: AckCode::Accepted,
        group_errors: vec![],
    };
    let doc = write_997(&envelope("004010"), &[po_group(), accepted_group]);
    assert_valid(&[("997.edi", &doc)]);
    assert_eq!(assert_envelope(&doc), ["0001", "0002"]);
    let segs = segments(&doc);
    assert_eq!(&segs[0][11..13], ["U", "00401"], "ISA11 U and ISA12 00401");
    assert_eq!(segs[0][13], "000000042");
    assert_eq!(joined(&segs[1]), "GS*FA*DROPGATE*5551234567*20240315*1405*7*X*004010");
    let lines: Vec<String> = segs.iter().map(|s| joined(s)).collect();
    let first_set: Vec<&str> =
        lines[3..lines.iter().position(|l| l.starts_with("SE")).unwrap()].iter().map(String::as_str).collect();
    assert_eq!(
        first_set,
        [
            "AK1*PO*1234",
            "AK2*850*0001",
            "AK5*A",
            "AK2*850*0002",
            "AK3*PO1*7*PO1*8",
            "AK4*2*330*6*1O",
            "AK4*3*355*2",
            "AK3*ZZZ*9**1",
            "AK5*R*5",
            "AK9*P*2*2*1",
        ]
    );
    assert!(lines.contains(&"AK1*PC*000000077".to_string()));
    assert!(lines.contains(&"AK2*860*10030001".to_string()));
    assert!(lines.contains(&"AK9*A*1*1*1".to_string()));
    assert_snapshot("997_accept_and_reject.edi", &doc);
}

#[test]
fn a_997_for_a_rejected_group_and_a_composite_position() {
    let mut g = po_group();
    g.code = AckCode::Rejected;
    g.accepted_sets = 0;
    g.declared_sets = 3;
    g.group_errors = vec![GroupErrorCode::SetCountMismatch];
    g.sets[0].code = AckCode::Rejected;
    g.sets[0].set_errors = vec![SetErrorCode::SegmentCountMismatch, SetErrorCode::ControlNumberMismatch];
    g.sets[1].segment_errors[0].elements[0].component = Some(2);
    let doc = write_997(&envelope("004010VICS"), &[g]);
    assert_valid(&[("997_rejected.edi", &doc)]);
    assert_envelope(&doc);
    let lines: Vec<String> = segments(&doc).iter().map(|s| joined(s)).collect();
    for expected in
        ["AK5*R*4*3", "AK4*2>2*330*6*1O", "AK9*R*3*2*0*5", "GS*FA*DROPGATE*5551234567*20240315*1405*7*X*004010VICS"]
    {
        assert!(lines.contains(&expected.to_string()), "{expected} in {lines:#?}");
    }
}

#[test]
fn a_999_uses_ik_segments_and_the_x231_version() {
    let mut g = po_group();
    g.version = "005010".into();
    g.sets[0].implementation_ref = Some("005010X220A1".into());
    g.sets[1].segment_errors[0].elements[1].repetition = Some(2);
    let doc = write_999(&envelope("005010"), &[g]);
    assert_valid(&[("999.edi", &doc)]);
    assert_eq!(assert_envelope(&doc), ["0001"]);
    let segs = segments(&doc);
    assert_eq!(&segs[0][11..13], ["^", "00501"], "ISA11 repetition separator");
    let lines: Vec<String> = segs.iter().map(|s| joined(s)).collect();
    assert_eq!(
        lines[1..lines.len() - 1],
        [
            "GS*FA*DROPGATE*5551234567*20240315*1405*7*X*005010X231A1",
            "ST*999*0001*005010X231A1",
            "AK1*PO*1234*005010",
            "AK2*850*0001*005010X220A1",
            "IK5*A",
            "AK2*850*0002",
            "IK3*PO1*7*PO1*8",
            "IK4*2*330*6*1O",
            "IK4*3>>2*355*2",
            "IK3*ZZZ*9**1",
            "IK5*R*5",
            "AK9*P*2*2*1",
            "SE*12*0001",
            "GE*1*7",
        ]
    );

    // A 997 to a 5010 partner has the same additions (AK103, AK203, AK401-3).
    let mut g = po_group();
    g.sets[0].implementation_ref = Some("005010X220A1".into());
    g.sets[1].segment_errors[0].elements[1].repetition = Some(2);
    let doc = write_997(&envelope("005010"), &[g]);
    assert_valid(&[("997_5010.edi", &doc)]);
    assert_envelope(&doc);
    let lines: Vec<String> = segments(&doc).iter().map(|s| joined(s)).collect();
    for expected in ["AK1*PO*1234*004010", "AK2*850*0001*005010X220A1", "AK4*3>>2*355*2"] {
        assert!(lines.contains(&expected.to_string()), "{expected} in {lines:#?}");
    }
}

#[test]
fn ta1_interchanges_accepted_and_rejected() {
    let env = envelope("004010");
    let accepted = InterchangeAck {
        control: "000000905".into(),
        date: "240314".into(),
        time: "2359".into(),
        code: AckCode::Accepted,
        note: InterchangeNote::NoError,
    };
    let rejected = InterchangeAck {
        control: "17".into(),
        date: "241399".into(), // not a date: the envelope's is written
        time: "1200".into(),
        code: AckCode::Rejected,
        note: InterchangeNote::InvalidDate,
    };
    let one = write_ta1(&env, std::slice::from_ref(&accepted));
    let two = write_ta1(&env, &[rejected.clone(), accepted.clone()]);
    assert_valid(&[("ta1_accepted.edi", &one), ("ta1_rejected.edi", &two)]);
    for doc in [&one, &two] {
        assert_envelope(doc);
        let segs = segments(doc);
        assert_eq!(segs[0][14], "0", "no TA1 asked for a TA1");
        assert!(find(&segs, "GS").is_empty());
        assert_eq!(joined(segs.last().unwrap()), "IEA*0*000000042");
    }
    let lines: Vec<String> = segments(&two).iter().map(|s| joined(s)).collect();
    assert_eq!(lines[1..3], ["TA1*000000017*240315*1200*R*014", "TA1*000000905*240314*2359*A*000"]);
}

// ---------------------------------------------------------------- 855

#[test]
fn an_855_with_accepted_backordered_and_unknown_lines() {
    let (po, d) = purchase_order();
    let doc = write_855(&envelope("004010"), &po, &d, "20240315");
    assert_valid(&[("855.edi", &doc)]);
    assert_eq!(assert_envelope(&doc), ["0001"]);
    let lines: Vec<String> = segments(&doc).iter().map(|s| joined(s)).collect();
    assert_eq!(
        lines[1..],
        [
            "GS*PR*DROPGATE*5551234567*20240315*1405*7*X*004010",
            "ST*855*0001",
            "BAK*00*AC*PO-1001*20240314",
            "REF*CO*CO-778899",
            "PO1*1*5*EA*12.5*PE*UP*012345678905*VN*SKU-1",
            "ACK*IA*5*EA*068*20240315",
            "PO1*2*10*EA*3*PE*VN*SKU-2",
            "ACK*IA*6*EA*068*20240315",
            "ACK*IB*4*EA*068*20240315",
            "PO1*3*2*EA***UP*999999999993",
            "ACK*R2*2*EA",
            "CTT*3",
            "SE*12*0001",
            "GE*1*7",
            "IEA*1*000000042",
        ]
    );
    assert_snapshot("855_partial.edi", &doc);
}

#[test]
fn an_855_acknowledges_a_fully_accepted_order_with_ad() {
    let (po, mut d) = purchase_order();
    d.lines[1] = decision(10, 10, 0, None);
    d.lines[2] = decision(2, 2, 0, None);
    d.state = DecisionState::Accepted;
    let doc = write_855(&envelope("004010"), &po, &d, "20240315");
    assert_valid(&[("855_accepted.edi", &doc)]);
    let segs = segments(&doc);
    assert_eq!(find(&segs, "BAK")[0][2], "AD");
    let acks: Vec<String> = find(&segs, "ACK").iter().map(|s| joined(s)).collect();
    assert_eq!(acks, ["ACK*IA*5*EA*068*20240315", "ACK*IA*10*EA*068*20240315", "ACK*IA*2*EA*068*20240315"]);
}

#[test]
fn an_855_rejecting_everything() {
    let (mut po, _) = purchase_order();
    po.order_date = None; // BAK04 falls back to the acknowledgment date
    po.references.clear();
    let d = OrderDecision {
        state: DecisionState::Rejected,
        lines: vec![
            decision(5, 0, 0, Some(RejectReason::OrderRejected)),
            decision(10, 0, 0, Some(RejectReason::OutOfStock)),
            decision(2, 0, 0, Some(RejectReason::UnknownItem)),
        ],
    };
    let doc = write_855(&envelope("004010"), &po, &d, "20240316");
    assert_valid(&[("855_rejected.edi", &doc)]);
    assert_envelope(&doc);
    let segs = segments(&doc);
    assert_eq!(joined(find(&segs, "BAK")[0]), "BAK*00*RD*PO-1001*20240316");
    assert!(find(&segs, "REF").is_empty());
    let acks: Vec<String> = find(&segs, "ACK").iter().map(|s| joined(s)).collect();
    assert_eq!(acks, ["ACK*IR*5*EA", "ACK*IR*10*EA", "ACK*R2*2*EA"]);
    assert_eq!(joined(find(&segs, "CTT")[0]), "CTT*3");
}

// ---------------------------------------------------------------- 865

fn change_request() -> (OrderChange, ChangeOutcome) {
    let change = OrderChange {
        po_number: "PO-1001".into(),
        purpose: "04".into(),
        order_type: "DS".into(),
        order_date: Some("20240314".into()),
        change_date: Some("20240315".into()),
        changes: vec![
            LineChange {
                line_number: "2".into(),
                change_code: "DI".into(),
                quantity: Some(Amount::ZERO),
                unit: Some("EA".into()),
                ids: vec![ItemId { qualifier: "VN".into(), value: "SKU-2".into() }],
                ..LineChange::default()
            },
            LineChange {
                line_number: "1".into(),
                change_code: "QD".into(),
                quantity: Some(Amount::from_units(3)),
                unit: Some("EA".into()),
                ids: vec![
                    ItemId { qualifier: "UP".into(), value: "012345678905".into() },
                    ItemId { qualifier: "VN".into(), value: "SKU-1".into() },
                ],
                ..LineChange::default()
            },
        ],
        ..OrderChange::default()
    };
    let outcome = ChangeOutcome {
        order_cancelled: false,
        refused: false,
        reason: None,
        lines: vec![
            LineChangeOutcome {
                line_number: "2".into(),
                change_code: "DI".into(),
                accepted: true,
                quantity: Some(0),
                unit: Some("EA".into()),
                reason: None,
            },
            LineChangeOutcome {
                line_number: "1".into(),
                change_code: "QD".into(),
                accepted: true,
                quantity: Some(3),
                unit: Some("EA".into()),
                reason: None,
            },
        ],
    };
    (change, outcome)
}

#[test]
fn an_865_for_a_cancelled_line_and_a_quantity_change() {
    let (change, outcome) = change_request();
    let doc = write_865(&envelope("004010"), &change, &outcome, "20240316");
    assert_valid(&[("865.edi", &doc)]);
    assert_eq!(assert_envelope(&doc), ["0001"]);
    let lines: Vec<String> = segments(&doc).iter().map(|s| joined(s)).collect();
    assert_eq!(
        lines[1..lines.len() - 2],
        [
            "GS*CA*DROPGATE*5551234567*20240315*1405*7*X*004010",
            "ST*865*0001",
            "BCA*00*AT*PO-1001***20240314****20240316*20240315",
            "POC*2*DI*0**EA***VN*SKU-2",
            "ACK*ID*0*EA",
            "POC*1*QD*3**EA***UP*012345678905*VN*SKU-1",
            "ACK*IA*3*EA",
            "CTT*2",
            "SE*8*0001",
        ]
    );

    // The same request with the quantity change refused: AC, IR.
    let mut partly = outcome.clone();
    partly.lines[1].accepted = false;
    partly.lines[1].quantity = Some(5);
    partly.lines[1].reason = Some("already picked".into());
    let doc = write_865(&envelope("004010"), &change, &partly, "20240316");
    assert_valid(&[("865_partly.edi", &doc)]);
    let segs = segments(&doc);
    assert_eq!(find(&segs, "BCA")[0][2], "AC");
    let acks: Vec<String> = find(&segs, "ACK").iter().map(|s| joined(s)).collect();
    assert_eq!(acks, ["ACK*ID*0*EA", "ACK*IR*5*EA"]);
}

#[test]
fn an_865_for_a_whole_order_cancellation_and_a_refusal() {
    let (mut change, _) = change_request();
    change.purpose = "01".into();
    change.changes.clear();
    let cancelled = ChangeOutcome { order_cancelled: true, ..ChangeOutcome::default() };
    let refused =
        ChangeOutcome { refused: true, reason: Some("order already shipped".into()), ..ChangeOutcome::default() };
    let a = write_865(&envelope("004010"), &change, &cancelled, "20240316");
    let b = write_865(&envelope("004010"), &change, &refused, "20240316");
    assert_valid(&[("865_cancel.edi", &a), ("865_refused.edi", &b)]);
    for (doc, code) in [(&a, "AT"), (&b, "RJ")] {
        assert_envelope(doc);
        let segs = segments(doc);
        assert_eq!(find(&segs, "BCA")[0][2], code);
        assert!(find(&segs, "POC").is_empty());
        assert_eq!(joined(find(&segs, "CTT")[0]), "CTT*0");
    }
}

// ---------------------------------------------------------------- odd input

/// Inputs a careless caller could pass: the documents must still validate.
#[test]
fn odd_inputs_still_give_valid_documents() {
    let mut env = envelope("004010");
    env.sender.id = "A*VERY~LONG>SENDER^ID".into();
    env.interchange_control = 4_000_000_000;
    env.first_set_control = 999_999_999;
    env.date = "2024-03-15".into();
    env.usage = 'X';

    let mut po = PurchaseOrder::default();
    let doc_empty = write_855(&env, &po, &OrderDecision { state: DecisionState::Rejected, lines: vec![] }, "bad");

    po.po_number = "PO*WITH~SEPARATORS>AND-A-VERY-LONG-TAIL".into();
    po.order_date = Some("20240230".into());
    po.lines = vec![
        OrderLine {
            line_number: Default::default(),
            quantity: Amount::from_raw(i64::MAX),
            unit: "E".into(),
            unit_price: Some(Amount::from_raw(-12_345)),
            price_basis: Some("P~".into()),
            ids: vec![
                ItemId { qualifier: "U".into(), value: "x".into() },
                ItemId { qualifier: "VN".into(), value: "é\t*~".into() },
                ItemId { qualifier: "VN".into(), value: "v".repeat(60).into() },
            ],
            ..OrderLine::default()
        },
        line("2", 3, Some("0.0001"), &[]),
    ];
    let d = OrderDecision {
        state: DecisionState::PartiallyAccepted,
        lines: vec![LineDecision { ordered: i64::MAX, accepted: i64::MAX, backordered: 1, rejected: -5, reason: None }],
    };
    let doc_odd = write_855(&env, &po, &d, "20240315");

    let mut g = po_group();
    g.functional_id = String::new();
    g.control = "not-a-number".into();
    g.sets[1].control = "1".into();
    g.sets[1].segment_errors[0].segment_id = "TOOLONG".into();
    g.sets[1].segment_errors[0].position = u32::MAX;
    g.sets[1].segment_errors[0].elements[0].bad_value = Some("x~*>^\n".repeat(40));
    g.sets[1].segment_errors[0].elements[0].position = 123;
    g.declared_sets = u32::MAX;
    let doc_997 = write_997(&env, &[g.clone()]);
    let doc_999 = write_999(&env, &[g]);
    let doc_empty_997 = write_997(&env, &[]);

    let (mut change, mut outcome) = change_request();
    change.po_number = Default::default();
    change.order_date = Some("x".into());
    outcome.lines[0].change_code = "?".into();
    outcome.lines[1].quantity = Some(i64::MIN);
    let doc_865 = write_865(&env, &change, &outcome, "");

    assert_valid(&[
        ("855_empty.edi", &doc_empty),
        ("855_odd.edi", &doc_odd),
        ("997_odd.edi", &doc_997),
        ("999_odd.edi", &doc_999),
        ("997_nothing.edi", &doc_empty_997),
        ("865_odd.edi", &doc_865),
    ]);
    for doc in [&doc_empty, &doc_odd, &doc_997, &doc_999, &doc_empty_997, &doc_865] {
        assert_envelope(doc);
    }
    let segs = segments(&doc_odd);
    assert_eq!(segs[0][13], "000000000", "ISA13 wraps at 10^9");
    assert_eq!(find(&segs, "ST")[0][2], "999999999");
}

#[test]
fn a_compact_writer_puts_no_newlines() {
    let (po, d) = purchase_order();
    let env = envelope("004010");
    let compact = X12Writer::compact().write_855(&env, &po, &d, "20240315");
    let default = write_855(&env, &po, &d, "20240315");
    assert!(!compact.contains(&b'\n'));
    assert_eq!(compact, default.iter().copied().filter(|&b| b != b'\n').collect::<Vec<u8>>());
    assert_valid(&[("855_compact.edi", &compact)]);
}

#[test]
fn envelope_dates_from_unix_time() {
    let (date, time) = x12_datetime_utc(1_710_511_500);
    assert_eq!((date.as_str(), time.as_str()), ("20240315", "1405"));
    let mut env = envelope("003050");
    env.date = date;
    env.time = time;
    let doc = write_997(&env, &[po_group()]);
    assert_valid(&[("997_3050.edi", &doc)]);
    let segs = segments(&doc);
    assert_eq!(&segs[0][9..13], ["240315", "1405", "U", "00305"]);
    assert_eq!(segs[1][4], "240315", "GS04 is YYMMDD before 004010");
}
