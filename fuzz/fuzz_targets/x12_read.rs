//! Feeds arbitrary bytes to the X12 reader and the tokenizer.
//!
//! Invariants: no panic; every error carries a message; the counts in each
//! group acknowledgement match the sets read; a rejected set says why.

#![no_main]

use dropgate::formats::x12::ack::AckCode;
use dropgate::formats::x12::reader;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let file = reader::read(data);
    for e in file.all_errors() {
        assert!(
            !e.message.trim().is_empty(),
            "error without a message: {e:?}"
        );
        let _ = e.to_string();
    }
    for ic in &file.interchanges {
        for g in &ic.groups {
            assert_eq!(g.ack.received_sets as usize, g.sets.len());
            assert_eq!(g.ack.sets.len(), g.sets.len());
            assert!(g.ack.accepted_sets <= g.ack.received_sets);
            for s in &g.sets {
                if s.ack.code == AckCode::Rejected {
                    assert!(!s.ack.set_errors.is_empty(), "rejected without a code");
                    assert!(!s.errors.is_empty(), "rejected without an error");
                }
            }
        }
    }
    let _ = reader::accepted_sets(&file).count();
    if let Ok(segments) = reader::segments(data) {
        for s in segments {
            let _ = s.id();
            let _ = s.elements().count();
        }
    }
});
