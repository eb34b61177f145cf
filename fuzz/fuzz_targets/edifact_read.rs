//! Feeds arbitrary bytes to the EDIFACT reader, and what it reads to the
//! CONTRL writer.
//!
//! Invariants: no panic; every error carries a message; a rejected message
//! says why; an interchange refused says why; a CONTRL can be written for
//! whatever was read (or refuses a character with a reason).

#![no_main]

use dropgate::formats::edifact::{self, writer, MessageBody};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = edifact::read(data);
    for e in file.all_errors() {
        assert!(!e.message.trim().is_empty(), "error without a message: {e:?}");
        let _ = e.to_string();
    }
    for ic in &file.interchanges {
        let reports: Vec<writer::MessageReport> = ic
            .messages
            .iter()
            .map(|m| {
                if matches!(m.body, MessageBody::Rejected) {
                    assert!(!m.errors.is_empty(), "rejected without an error");
                }
                if let MessageBody::Order(po) = &m.body {
                    assert!(!po.po_number.is_empty() && !po.lines.is_empty());
                }
                writer::MessageReport {
                    reference: m.reference.to_string(),
                    identifier: m.identifier(),
                    errors: m.errors.clone(),
                    first_segment: m.first_segment,
                }
            })
            .collect();
        let env = writer::Envelope::reply_to(ic, 1, "20261202", "1015");
        if let Err(e) = writer::write_contrl(&env, ic, &reports) {
            assert!(!e.to_string().is_empty());
        }
    }
});
