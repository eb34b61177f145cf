//! Feeds arbitrary bytes to the CSV reader under a positional and a
//! header-row mapping.
//!
//! Invariants: no panic; every order read has lines with positive
//! quantities; every refused order says why, with a line number.

#![no_main]

use dropgate::formats::csv::{self, Column, Columns, CsvProfile};
use libfuzzer_sys::fuzz_target;

fn profiles() -> [CsvProfile; 2] {
    let n = |s: &str| Some(Column::Name(s.into()));
    let p = |i| Some(Column::Position(i));
    [
        CsvProfile {
            delimiter: ",".into(),
            encoding: "utf-8".into(),
            header: false,
            item_qualifier: "EN".into(),
            date_formats: Vec::new(),
            answers: csv::Answers::Csv,
            columns: Columns {
                po: p(1),
                line: p(2),
                sku: p(3),
                qty: p(4),
                order_date: p(5),
                unit_price: p(6),
                gift_message: p(7),
                ..Columns::default()
            },
        },
        CsvProfile {
            delimiter: ";".into(),
            encoding: "windows-1252".into(),
            header: true,
            item_qualifier: "SK".into(),
            date_formats: Vec::new(),
            answers: csv::Answers::Csv,
            columns: Columns {
                po: n("po"),
                sku: n("sku"),
                qty: n("qty"),
                ship_to_name: n("name"),
                ..Columns::default()
            },
        },
    ]
}

fuzz_target!(|data: &[u8]| {
    for p in profiles() {
        let f = csv::read(data, &p);
        for o in &f.orders {
            match &o.order {
                Ok(po) => {
                    assert!(!po.lines.is_empty());
                    assert!(po.lines.iter().all(|l| l.quantity.raw() > 0 && !l.line_number.is_empty()));
                }
                Err(why) => assert!(!why.is_empty() && why.iter().all(|w| w.starts_with("line "))),
            }
        }
    }
});
