//! Feeds arbitrary bytes to the cXML reader (and its XML layer), with
//! small limits so that every limit is reached often.
//!
//! Invariants: no panic; an error has a message; an order read has a PO
//! number and lines with positive quantities; a confirmation can be
//! written for it and read back.

#![no_main]

use dropgate::formats::cxml::{self, writer, xml, Body, Limits};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let small = Limits { max_bytes: 1 << 16, max_depth: 16, max_elements: 2000, max_attributes: 8, max_text: 4096 };
    for limits in [small, Limits::default()] {
        match cxml::read(data, &limits, Some(encoding_rs::WINDOWS_1252)) {
            Err(e) => assert!(!e.message.trim().is_empty(), "error without a message"),
            Ok(m) => {
                if let Body::OrderRequest(po) = &m.body {
                    assert!(!po.po_number.is_empty() && !po.lines.is_empty());
                    assert!(po.lines.iter().all(|l| l.quantity.raw() > 0));
                    let d = dropgate::domain::OrderDecision {
                        state: dropgate::domain::DecisionState::Accepted,
                        lines: po
                            .lines
                            .iter()
                            .map(|l| dropgate::domain::LineDecision {
                                ordered: l.quantity.whole_units().unwrap_or(1),
                                accepted: l.quantity.whole_units().unwrap_or(1),
                                ..Default::default()
                            })
                            .collect(),
                    };
                    let stamp = writer::Stamp::new(0, "1", "fuzz");
                    let out = writer::confirmation(&stamp, &writer::Parties::default(), po, &d);
                    xml::parse(&out, &Limits::default(), None).expect("our own output reads back");
                }
            }
        }
    }
});
