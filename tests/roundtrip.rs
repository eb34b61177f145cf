//! Property tests: what our writers emit, our reader reads back to the same
//! verdicts; orders written in X12 read back field for field.

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::ack::{
    AckCode, ElementError, ElementErrorCode, GroupAck, SegmentError, SegmentErrorCode, SetAck,
};
use dropgate::formats::x12::{reader, writer, Document, Envelope, PartyId, Separators};
use proptest::prelude::*;

fn env(version: &str) -> Envelope {
    Envelope {
        sender: PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() },
        receiver: PartyId { qualifier: "ZZ".into(), id: "ACMEHOME".into() },
        interchange_control: 7,
        group_control: 7,
        first_set_control: 1,
        version: version.into(),
        usage: 'P',
        ack_requested: false,
        date: "20261123".into(),
        time: "1200".into(),
        separators: Separators::default(),
    }
}

fn set_ack() -> impl Strategy<Value = SetAck> {
    (any::<bool>(), 1u32..9999, prop::sample::select(vec!["PO1", "BEG", "N1", "DTM"]), 2u32..60, 1u32..9).prop_map(
        |(ok, control, seg, pos, el)| SetAck {
            set_id: "850".into(),
            control: format!("{control:04}").into(),
            implementation_ref: None,
            code: if ok { AckCode::Accepted } else { AckCode::Rejected },
            set_errors: Vec::new(),
            segment_errors: if ok {
                Vec::new()
            } else {
                vec![SegmentError {
                    segment_id: seg.into(),
                    position: pos,
                    loop_id: None,
                    code: Some(SegmentErrorCode::HasElementErrors),
                    elements: vec![ElementError {
                        position: el,
                        component: None,
                        repetition: None,
                        reference: None,
                        code: ElementErrorCode::InvalidCharacter,
                        bad_value: Some("X1".into()),
                    }],
                    message: "bad".into(),
                }]
            },
        },
    )
}

fn group_ack() -> impl Strategy<Value = GroupAck> {
    (prop::collection::vec(set_ack(), 1..20), 1u32..999_999).prop_map(|(mut sets, control)| {
        for (i, s) in sets.iter_mut().enumerate() {
            s.control = format!("{:04}", i + 1).into();
        }
        let accepted = sets.iter().filter(|s| s.code == AckCode::Accepted).count() as u32;
        let n = sets.len() as u32;
        GroupAck {
            functional_id: "PO".into(),
            control: control.to_string(),
            version: "004010".into(),
            declared_sets: n,
            received_sets: n,
            accepted_sets: accepted,
            code: if accepted == n {
                AckCode::Accepted
            } else if accepted == 0 {
                AckCode::Rejected
            } else {
                AckCode::PartiallyAccepted
            },
            group_errors: Vec::new(),
            sets,
        }
    })
}

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 .,'-]{0,30}[A-Za-z0-9]"
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn acknowledgements_read_back(g in group_ack(), five010 in any::<bool>()) {
        let bytes = if five010 {
            writer::write_999(&env("005010X231A1"), std::slice::from_ref(&g))
        } else {
            writer::write_997(&env("004010"), std::slice::from_ref(&g))
        };
        let parsed = reader::read(&bytes);
        prop_assert!(parsed.all_errors().is_empty(), "{:?}\n{}", parsed.all_errors(), String::from_utf8_lossy(&bytes));
        let set = &parsed.interchanges[0].groups[0].sets[0];
        let Document::FunctionalAck(a) = &set.document else { panic!("not read as an acknowledgement: {:?}", set.document) };
        prop_assert_eq!(&a.kind, if five010 { "999" } else { "997" });
        prop_assert_eq!(&a.functional_id, "PO");
        prop_assert_eq!(&a.group_control, &g.control);
        prop_assert_eq!(&a.group_code, g.code.code());
        prop_assert_eq!(a.sets.len(), g.sets.len());
        for (got, want) in a.sets.iter().zip(&g.sets) {
            prop_assert_eq!(&got.control, &want.control);
            prop_assert_eq!(&got.code, want.code.code());
            prop_assert_eq!(got.errors.is_empty(), want.segment_errors.is_empty());
        }
    }

    #[test]
    fn orders_read_back(
        orders in prop::collection::vec(
            ("[A-Z0-9]{1,22}", text(), prop::collection::vec((prop::sample::select(vec!["UP", "VN", "SK", "IN", "BP", "EN", "UK"]), "[A-Z0-9]{1,20}", 1i64..100_000), 1..8)),
            1..12,
        ),
        control in 1u32..999_999_999,
    ) {
        let pos: Vec<SamplePo> = orders
            .iter()
            .map(|(po, who, lines)| SamplePo {
                po_number: po.clone(),
                ship_to: who.clone(),
                lines: lines.iter().map(|(q, id, n)| ((*q).to_string(), id.clone(), *n)).collect(),
                gift_message: None,
            })
            .collect();
        let sender = PartyId { qualifier: "ZZ".into(), id: "ACMEHOME".into() };
        let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
        let parsed = reader::read(&x12_850(&sender, &receiver, control, &pos));
        prop_assert!(parsed.all_errors().is_empty(), "{:?}", parsed.all_errors());
        let ic = &parsed.interchanges[0];
        prop_assert_eq!(&ic.sender, &sender);
        prop_assert_eq!(ic.control.parse::<u32>().unwrap(), control);
        let sets = &ic.groups[0].sets;
        prop_assert_eq!(sets.len(), pos.len());
        for (set, want) in sets.iter().zip(&pos) {
            let Document::PurchaseOrder(po) = &set.document else { panic!("not an order") };
            prop_assert_eq!(&po.po_number, &want.po_number);
            prop_assert_eq!(po.ship_to().and_then(|p| p.name.as_deref()), Some(want.ship_to.as_str()));
            prop_assert_eq!(po.lines.len(), want.lines.len());
            for (l, (q, id, n)) in po.lines.iter().zip(&want.lines) {
                prop_assert_eq!(l.quantity.whole_units(), Some(*n));
                prop_assert_eq!(l.id(&[q.as_str()]), Some(id.as_str()));
            }
        }
    }
}
