//! Unit tests of the builder and property tests of the writers: whatever
//! they are given, they do not panic and their envelopes add up.

use super::builder::{
    check, clean, isa12_for, Comp, Delimiters, ElementFault, InterchangeBuilder, LineEnd, Seg, Spec, ValueError,
};
use super::*;
use crate::domain::{
    Amount, DecisionState, ItemId, LineChange, LineChangeOutcome, LineDecision, OrderLine, RejectReason,
};
use crate::formats::x12::ack::{AckCode, ElementError, ElementErrorCode, SegmentError, SetAck};
use crate::formats::x12::ack::{InterchangeNote, SetErrorCode};
use crate::formats::x12::model::{PartyId, Separators};
use proptest::prelude::*;

fn env() -> Envelope {
    Envelope {
        sender: PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() },
        receiver: PartyId { qualifier: "ZZ".into(), id: "ACMEHOME".into() },
        interchange_control: 1,
        group_control: 1,
        first_set_control: 1,
        version: "004010".into(),
        usage: 'P',
        ack_requested: true,
        date: "20240315".into(),
        time: "0930".into(),
        separators: Separators::default(),
    }
}

fn delims() -> Delimiters {
    Delimiters::new(&Separators::default(), "00501")
}

/// Checks a document's envelope: ISA width, one segment per terminator,
/// SE/GE/IEA counts and control numbers, no trailing empty element, only
/// printable ASCII inside segments.
fn check_structure(doc: &[u8]) -> Result<(), String> {
    if doc.len() < 106 || &doc[..3] != b"ISA" {
        return Err("no 106-byte ISA".into());
    }
    let (el, comp, term) = (doc[3], doc[104], doc[105]);
    if doc[..105].iter().filter(|&&b| b == el).count() != 16 {
        return Err("ISA does not have 16 elements".into());
    }
    let mut segs: Vec<Vec<&[u8]>> = Vec::new();
    for raw in doc.split(|&b| b == term) {
        let s = raw.strip_prefix(b"\r").unwrap_or(raw);
        let s = s.strip_prefix(b"\n").unwrap_or(s);
        if s.is_empty() {
            continue;
        }
        let rep = (doc[82] != b'U').then_some(doc[82]);
        let allowed = |b: u8| (0x20..0x7f).contains(&b) || b == el || b == comp || Some(b) == rep;
        if let Some(b) = s.iter().find(|&&b| !allowed(b)) {
            return Err(format!("byte {b:#x} in {}", String::from_utf8_lossy(s)));
        }
        let parts: Vec<&[u8]> = s.split(|&b| b == el).collect();
        if parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
            return Err(format!("trailing empty element: {}", String::from_utf8_lossy(s)));
        }
        segs.push(parts);
    }
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    let isa13 = text(segs[0][13]);
    if isa13.len() != 9 || text(segs[0][16]) != (comp as char).to_string() {
        return Err("ISA13/ISA16".into());
    }
    let (mut groups, mut group, mut set) = (0usize, None::<(String, usize)>, None::<(String, usize)>);
    for s in &segs[1..] {
        if let Some((_, n)) = set.as_mut() {
            *n += 1;
        }
        match text(s[0]).as_str() {
            "GS" => {
                groups += 1;
                group = Some((text(s[6]), 0));
            }
            "ST" => {
                let control = text(s[2]);
                if !(4..=9).contains(&control.len()) {
                    return Err(format!("ST02 {control}"));
                }
                group.as_mut().ok_or("ST outside GS")?.1 += 1;
                set = Some((control, 1));
            }
            "SE" => {
                let (control, n) = set.take().ok_or("SE without ST")?;
                if text(s[1]) != n.to_string() || text(s[2]) != control {
                    return Err(format!("SE {} {} vs {n} {control}", text(s[1]), text(s[2])));
                }
            }
            "GE" => {
                let (control, n) = group.take().ok_or("GE without GS")?;
                if text(s[1]) != n.to_string() || text(s[2]) != control {
                    return Err("GE".into());
                }
            }
            "IEA" if text(s[1]) != groups.to_string() || text(s[2]) != isa13 => {
                return Err("IEA".into());
            }
            id if id.len() < 2 || id.len() > 3 => return Err(format!("segment id {id}")),
            _ => {}
        }
    }
    if set.is_some() || group.is_some() || text(segs.last().unwrap()[0]) != "IEA" {
        return Err("unclosed envelope".into());
    }
    Ok(())
}

// ---------------------------------------------------------------- builder

#[test]
fn isa_is_exactly_106_bytes() {
    let mut e = env();
    let mut cases = vec![e.clone()];
    e.sender.id = "X".into();
    e.receiver.id = "A-RECEIVER-ID-LONGER-THAN-FIFTEEN".into();
    e.sender.qualifier = "Q".into();
    e.version = "005010X231A1".into();
    e.interchange_control = u32::MAX;
    cases.push(e.clone());
    e.separators = Separators { element: b'|', component: b':', repetition: None, segment: b'\n' };
    cases.push(e.clone());
    e.separators.element = b':'; // clashes with the component: defaults
    e.date = "garbage".into();
    cases.push(e);
    for e in cases {
        let doc = write_997(&e, &[]);
        let term = doc[105];
        assert_eq!(doc.iter().position(|&b| b == term), Some(105), "{e:?}");
        assert_eq!(doc[..105].iter().filter(|&&b| b == doc[3]).count(), 16);
        check_structure(&doc).unwrap();
    }
    let doc = write_997(&env(), &[]);
    assert_eq!(
        std::str::from_utf8(&doc[..107]).unwrap(),
        "ISA*00*          *00*          *ZZ*DROPGATE       *ZZ*ACMEHOME       \
         *240315*0930*U*00401*000000001*1*P*>~\n"
    );
}

#[test]
fn isa12_and_isa11_follow_the_version() {
    for (gs08, isa12) in [
        ("004010", "00401"),
        ("004010VICS", "00401"),
        ("004010UCS", "00401"),
        ("005010", "00501"),
        ("005010X231A1", "00501"),
        ("003050", "00305"),
        ("003040", "00304"),
        ("004020", "00402"),
        ("004030", "00403"),
        ("junk", "00401"),
        ("", "00401"),
    ] {
        assert_eq!(isa12_for(gs08), isa12, "{gs08}");
    }
    let seps = Separators::default();
    assert_eq!(Delimiters::new(&seps, "00401").repetition, None);
    assert_eq!(Delimiters::new(&seps, "00402").repetition, Some(b'^'));
    let none = Separators { repetition: None, ..seps };
    assert_eq!(Delimiters::new(&none, "00501").repetition, Some(b'^'));
    let clash = Separators { element: b'^', repetition: Some(b'^'), ..seps };
    assert_eq!(Delimiters::new(&clash, "00501").repetition, Some(b'|'));
    for bad in [b'A', b'7', b' ', b'.', b'-', b'\n', 0, 0x7f, 0xC3] {
        let s = Separators { element: bad, ..seps };
        assert_eq!(Delimiters::new(&s, "00401").element, b'*', "{bad}");
    }
}

#[test]
fn separators_and_control_characters_are_cleaned() {
    let d = delims();
    assert_eq!(clean("A*B~C>D^E\r\nF\tG\u{7f}", &d), "A B C D EFG");
    assert_eq!(clean("Café", &d), "Caf?");
    // Without a repetition separator (before 00402) `^` is data.
    let old = Delimiters::new(&Separators::default(), "00401");
    assert_eq!(clean("A^B", &old), "A^B");

    let mut ic = InterchangeBuilder::new(&env(), "004010", false, LineEnd::Lf);
    ic.put(Seg::new("REF").req("ZZ", Spec::id(2, 3)).req("x*y~z", Spec::an(1, 30)));
    let doc = String::from_utf8(ic.finish()).unwrap();
    assert!(doc.contains("\nREF*ZZ*x y z~\n"), "{doc}");
}

#[test]
fn values_are_checked_against_type_and_length() {
    let d = delims();
    assert_eq!(check("42", Spec::n0(9, 9), &d).unwrap(), "000000042");
    assert_eq!(check("0001234", Spec::n0(1, 4), &d).unwrap(), "1234");
    assert_eq!(check("007", Spec::n0(1, 9), &d).unwrap(), "007");
    assert_eq!(check("-0", Spec::n0(1, 2), &d).unwrap(), "0");
    assert_eq!(check("12345", Spec::n0(1, 4), &d), Err(ValueError::TooLong { len: 5, max: 4 }));
    assert!(matches!(check("1.5", Spec::n0(1, 4), &d), Err(ValueError::NotNumeric(_))));
    for (v, out) in [("012.500", "12.5"), ("-0", "0"), (".5", "0.5"), ("-3.0", "-3"), ("+7", "7")] {
        assert_eq!(check(v, Spec::r(1, 15), &d).unwrap(), out, "{v}");
    }
    assert!(check("1234567890123456", Spec::r(1, 15), &d).is_err());
    assert!(check("12345678901234.5", Spec::r(1, 15), &d).is_ok());
    assert_eq!(check("AB  ", Spec::an(1, 2), &d).unwrap(), "AB");
    assert_eq!(check("A", Spec::an(4, 9), &d).unwrap(), "A   ");
    assert_eq!(check("E", Spec::id(2, 2), &d), Err(ValueError::TooShort { len: 1, min: 2 }));
    assert_eq!(check("   ", Spec::an(1, 9), &d), Err(ValueError::Empty));
    assert_eq!(check("20240229", Spec::dt(8), &d).unwrap(), "20240229");
    for bad in ["20230229", "20241301", "2024031", "240315", "2024-03-15"] {
        assert!(check(bad, Spec::dt(8), &d).is_err(), "{bad}");
    }
    assert!(check("240315", Spec::dt(6), &d).is_ok());
    assert!(check("2359", Spec::tm(4, 4), &d).is_ok());
    for bad in ["2400", "1260", "930", "12345"] {
        assert!(check(bad, Spec::tm(4, 8), &d).is_err(), "{bad}");
    }
}

#[test]
fn over_long_values_are_refused_when_checked_and_repaired_when_not() {
    let seg = || {
        Seg::new("BAK")
            .req("00", Spec::id(2, 2))
            .req("AD", Spec::id(2, 2))
            .req("P".repeat(30), Spec::an(1, 22))
            .req("20240315", Spec::dt(8))
            .opt("R".repeat(31), Spec::an(1, 30))
    };
    let mut ic = InterchangeBuilder::new(&env(), "004010", false, LineEnd::Lf);
    ic.begin_group("PR", "004010");
    ic.begin_set("855", None);
    assert_eq!(
        ic.try_put(seg()),
        Err(ElementFault { segment: "BAK", position: 3, error: ValueError::TooLong { len: 30, max: 22 } })
    );
    ic.put(seg());
    ic.put(
        Seg::new("CTT").req("12345678", Spec::n0(1, 6)).text("x".repeat(120), Spec::an(1, 99)).opt("", Spec::an(1, 2)),
    );
    let doc = String::from_utf8(ic.finish()).unwrap();
    // The refused segment was not written; the repaired one is cut, the
    // optional over-long element left out, the number saturated.
    assert!(doc.contains(&format!("\nBAK*00*AD*{}*20240315~\n", "P".repeat(22))), "{doc}");
    assert!(doc.contains(&format!("\nCTT*999999*{}~\n", "x".repeat(99))), "{doc}");
    assert!(doc.contains("\nSE*4*0001~\n"), "{doc}");
    check_structure(doc.as_bytes()).unwrap();
}

#[test]
fn trailing_empty_elements_and_components_are_trimmed() {
    let mut ic = InterchangeBuilder::new(&env(), "005010", false, LineEnd::None);
    ic.put(
        Seg::new("AK4")
            .composite(vec![
                Comp::req("3", Spec::n0(1, 2)),
                Comp::opt("", Spec::n0(1, 2)),
                Comp::opt("", Spec::n0(1, 4)),
            ])
            .opt("", Spec::n0(1, 4))
            .req("1", Spec::id(1, 3))
            .empty()
            .opt("", Spec::an(1, 99)),
    );
    ic.put(Seg::new("X1").empty().composite(vec![Comp::opt("", Spec::an(1, 2))]));
    let doc = String::from_utf8(ic.finish()).unwrap();
    assert!(doc.contains("~AK4*3**1~X1~IEA"), "{doc}");
}

#[test]
fn a_newline_terminator_gets_no_second_newline() {
    let mut e = env();
    e.separators.segment = b'\n';
    let doc = write_ta1(
        &e,
        &[InterchangeAck {
            control: "5".into(),
            date: "240315".into(),
            time: "0930".into(),
            code: AckCode::Accepted,
            note: InterchangeNote::NoError,
        }],
    );
    let text = String::from_utf8(doc).unwrap();
    assert!(!text.contains("\n\n"));
    assert!(text.ends_with("\nTA1*000000005*240315*0930*A*000\nIEA*0*000000001\n"));
}

#[test]
fn ack_types() {
    use order::{ack_type_855, ack_type_865};
    let d = |o, a, b, r| LineDecision { ordered: o, accepted: a, backordered: b, rejected: r, reason: None };
    assert_eq!(ack_type_855(&[d(2, 2, 0, 0), d(1, 1, 0, 0)]), "AD");
    assert_eq!(ack_type_855(&[d(2, 2, 0, 0), d(1, 0, 1, 0)]), "AC");
    assert_eq!(ack_type_855(&[d(2, 0, 2, 0)]), "AC");
    assert_eq!(ack_type_855(&[d(2, 1, 0, 1)]), "AC");
    assert_eq!(ack_type_855(&[d(2, 0, 0, 2), d(0, 0, 0, 0)]), "RD");
    assert_eq!(ack_type_855(&[]), "RD");
    let line = |accepted| LineChangeOutcome { accepted, ..LineChangeOutcome::default() };
    let o = |lines, refused| ChangeOutcome { refused, lines, ..ChangeOutcome::default() };
    assert_eq!(ack_type_865(&o(vec![line(true), line(true)], false)), "AT");
    assert_eq!(ack_type_865(&o(vec![line(true), line(false)], false)), "AC");
    assert_eq!(ack_type_865(&o(vec![line(false)], false)), "RD");
    assert_eq!(ack_type_865(&o(vec![], false)), "AT");
    assert_eq!(ack_type_865(&o(vec![line(true)], true)), "RJ");
}

// ---------------------------------------------------------------- properties

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ -~]{0,60}",
        "[A-Z0-9*~>^ ]{0,30}",
        Just(String::new()),
        Just("20240229".to_string()),
    ]
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        (text(), text(), text(), text()),
        (any::<u32>(), any::<u32>(), any::<u32>()),
        prop_oneof![text(), Just("004010".into()), Just("005010".into()), Just("003050".into())],
        (any::<char>(), any::<bool>(), text(), text()),
        (any::<u8>(), any::<u8>(), any::<Option<u8>>(), any::<u8>()),
    )
        .prop_map(|((sq, si, rq, ri), (ic, gc, sc), version, (usage, ack, date, time), s)| Envelope {
            sender: PartyId { qualifier: sq, id: si },
            receiver: PartyId { qualifier: rq, id: ri },
            interchange_control: ic,
            group_control: gc,
            first_set_control: sc,
            version,
            usage,
            ack_requested: ack,
            date,
            time,
            separators: Separators { element: s.0, component: s.1, repetition: s.2, segment: s.3 },
        })
}

fn order_line() -> impl Strategy<Value = OrderLine> {
    (text(), any::<i64>(), text(), any::<Option<i64>>(), proptest::collection::vec((text(), text()), 0..14)).prop_map(
        |(n, q, unit, price, ids)| OrderLine {
            line_number: n.into(),
            quantity: Amount::from_raw(q),
            unit: unit.into(),
            unit_price: price.map(Amount::from_raw),
            price_basis: Some("PE".into()),
            ids: ids
                .into_iter()
                .map(|(qualifier, value)| ItemId { qualifier: qualifier.into(), value: value.into() })
                .collect(),
            ..OrderLine::default()
        },
    )
}

fn line_decision() -> impl Strategy<Value = LineDecision> {
    (
        any::<i64>(),
        prop_oneof![any::<i64>(), 0..100i64],
        prop_oneof![any::<i64>(), 0..100i64],
        prop_oneof![any::<i64>(), 0..100i64],
        any::<bool>(),
    )
        .prop_map(|(ordered, accepted, backordered, rejected, unknown)| LineDecision {
            ordered,
            accepted,
            backordered,
            rejected,
            reason: unknown.then_some(RejectReason::UnknownItem),
        })
}

fn group_ack() -> impl Strategy<Value = GroupAck> {
    let element =
        (any::<u32>(), any::<Option<u32>>(), any::<Option<u32>>(), any::<Option<u32>>(), proptest::option::of(text()))
            .prop_map(|(position, component, repetition, reference, bad_value)| ElementError {
                position,
                component,
                repetition,
                reference,
                code: ElementErrorCode::TooLong,
                bad_value,
            });
    let segment = (text(), any::<u32>(), proptest::option::of(text()), proptest::collection::vec(element, 0..4))
        .prop_map(|(segment_id, position, loop_id, elements)| SegmentError {
            segment_id,
            position,
            loop_id,
            code: None,
            elements,
            message: String::new(),
        });
    let set = (text(), text(), proptest::option::of(text()), proptest::collection::vec(segment, 0..3), 0..8usize)
        .prop_map(|(set_id, control, implementation_ref, segment_errors, n)| SetAck {
            set_id: set_id.into(),
            control: control.into(),
            implementation_ref: implementation_ref.map(Into::into),
            code: AckCode::PartiallyAccepted,
            set_errors: vec![SetErrorCode::SegmentsInError; n],
            segment_errors,
        });
    (text(), text(), text(), proptest::collection::vec(set, 0..4), any::<(u32, u32, u32)>()).prop_map(
        |(functional_id, control, version, sets, (a, b, c))| GroupAck {
            functional_id,
            control,
            version,
            sets,
            declared_sets: a,
            received_sets: b,
            accepted_sets: c,
            code: AckCode::Rejected,
            group_errors: vec![],
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn the_855_writer_never_panics_and_adds_up(
        e in envelope(),
        po_number in text(),
        order_date in proptest::option::of(text()),
        lines in proptest::collection::vec(order_line(), 0..6),
        decisions in proptest::collection::vec(line_decision(), 0..7),
        date in text(),
    ) {
        let po = PurchaseOrder {
            po_number: po_number.into(),
            order_date: order_date.map(Into::into),
            lines,
            ..PurchaseOrder::default()
        };
        let d = OrderDecision { state: DecisionState::Rejected, lines: decisions };
        let doc = write_855(&e, &po, &d, &date);
        prop_assert!(check_structure(&doc).is_ok(), "{:?}\n{}", check_structure(&doc), String::from_utf8_lossy(&doc));
        let compact = X12Writer::compact().write_855(&e, &po, &d, &date);
        prop_assert!(check_structure(&compact).is_ok());
    }

    #[test]
    fn the_865_writer_never_panics_and_adds_up(
        e in envelope(),
        po_number in text(),
        order_date in proptest::option::of(text()),
        changes in proptest::collection::vec((text(), text(), any::<Option<i64>>(), proptest::option::of(text())), 0..5),
        outcomes in proptest::collection::vec((text(), text(), any::<bool>(), any::<Option<i64>>(), proptest::option::of(text())), 0..5),
        refused in any::<bool>(),
        date in text(),
    ) {
        let change = OrderChange {
            po_number: po_number.into(),
            order_date: order_date.map(Into::into),
            changes: changes.into_iter().map(|(line_number, change_code, q, unit)| LineChange {
                line_number: line_number.into(),
                change_code: change_code.into(),
                quantity: q.map(Amount::from_raw),
                unit: unit.map(Into::into),
                ..LineChange::default()
            }).collect(),
            ..OrderChange::default()
        };
        let outcome = ChangeOutcome {
            refused,
            lines: outcomes.into_iter().map(|(line_number, change_code, accepted, quantity, unit)| LineChangeOutcome {
                line_number, change_code, accepted, quantity, unit, reason: None,
            }).collect(),
            ..ChangeOutcome::default()
        };
        let doc = write_865(&e, &change, &outcome, &date);
        prop_assert!(check_structure(&doc).is_ok(), "{:?}\n{}", check_structure(&doc), String::from_utf8_lossy(&doc));
    }

    #[test]
    fn the_ack_writers_never_panic_and_add_up(
        e in envelope(),
        groups in proptest::collection::vec(group_ack(), 0..3),
        ta1 in proptest::collection::vec((text(), text(), text()), 0..3),
    ) {
        for doc in [write_997(&e, &groups), write_999(&e, &groups)] {
            prop_assert!(check_structure(&doc).is_ok(), "{:?}\n{}", check_structure(&doc), String::from_utf8_lossy(&doc));
        }
        let acks: Vec<InterchangeAck> = ta1.into_iter().map(|(control, date, time)| InterchangeAck {
            control, date, time, code: AckCode::PartiallyAccepted, note: InterchangeNote::InvalidControlNumber,
        }).collect();
        let doc = write_ta1(&e, &acks);
        prop_assert!(check_structure(&doc).is_ok(), "{:?}", check_structure(&doc));
    }
}
