//! Packing slips: one wave PDF of 1,000 slips (1 to 5 lines each) with the
//! real logo (PNG and SVG) and the bundled font, on one thread, and one of
//! 100 slips of 60 lines. Prints slips per second and bytes per slip;
//! nothing is asserted.
//!
//! `cargo bench --bench slips` (set `SLIPS` for another count).

use dropgate::domain::Amount;
use dropgate::retailer::Brand;
use dropgate::slip::{Logo, Look, Paper, Slip, SlipLine, Wave};
use std::time::Instant;

const FIRST: &[&str] = &["Alex", "Jordan", "Casey", "Zoë", "Jürgen", "María", "Søren", "Anneliese", "Chidi", "Priya"];
const LAST: &[&str] = &["Example", "Miller", "Rivera", "Müller", "Ørsted", "Nakamura", "García", "O'Brien", "Kowalski"];
const ITEMS: &[&str] = &[
    "Brass desk lamp with linen shade",
    "Stoneware mug, 350 ml, speckled oat glaze",
    "Wool rug 120 × 180 cm, hand-knotted",
    "Linen napkins, set of 4",
    "Cast-iron skillet 26 cm",
    "Oak serving board with juice groove",
];

fn slip(k: usize) -> Slip {
    slip_with(k, 1 + k % 5)
}

fn slip_with(k: usize, lines: usize) -> Slip {
    let lines = (0..lines)
        .map(|i| SlipLine {
            ordered: 1 + (i % 3) as i64,
            shipped: 1 + (i % 3) as i64,
            item: Some(format!("{}", 100_000 + (k * 7 + i) % 90_000)),
            gtin: Some(("UPC", format!("0{:011}", 12_345_600_000 + (k * 13 + i) as u64 % 100_000))),
            description: Some(ITEMS[(k + i) % ITEMS.len()].to_string()),
            price: Amount::parse("19.99"),
            ..SlipLine::default()
        })
        .collect();
    Slip {
        po_number: format!("PO{:08}", 40_000_000 + k),
        customer_order: Some(format!("{:03}-{:07}-{:07}", k % 1000, k * 31 % 10_000_000, k * 17 % 10_000_000)),
        order_date: Some("20261123".into()),
        ship_method: Some("UPS Ground".into()),
        ship_to: vec![
            format!("{} {}", FIRST[k % FIRST.len()], LAST[k % LAST.len()]),
            format!("{} Elm Avenue, Apt {}", 10 + k % 900, 1 + k % 40),
            "Springfield, IL 62701".into(),
        ],
        lines,
        gift_message: k.is_multiple_of(10).then(|| "Happy birthday! With love from all of us.".to_string()),
        ..Slip::default()
    }
}

fn look(logo_file: &str) -> Look {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/brand").join(logo_file);
    let logo = Logo::parse(&std::fs::read(path).unwrap()).unwrap();
    let brand = Brand {
        return_address: vec!["Acme Home Returns".into(), "100 Harbor Way".into(), "Portland, OR 97201".into()],
        phone: Some("+1 800 555 0100".into()),
        url: Some("acme.example/help".into()),
        footer: Some("Thank you for shopping with Acme Home.".into()),
        accent_color: Some("#1F5FAD".into()),
        ..Brand::default()
    };
    Look::new("Acme Home", &brand, Some(logo))
}

fn run(label: &str, look: &Look, slips: &[Slip]) {
    // Fonts are parsed once per process: take that out of the figure.
    let _ = dropgate::slip::font::fonts();
    let t = Instant::now();
    let mut wave = Wave::new(Paper::Letter, vec!["Hidden Wholesale Ltd".into()]);
    for s in slips {
        wave.add(s, look);
    }
    let pages = wave.pages();
    let laid = t.elapsed().as_secs_f64();
    let bytes = wave.finish().unwrap();
    let secs = t.elapsed().as_secs_f64();
    let n = slips.len();
    println!(
        "slips {label:<9} {n} slips ({pages} pages) in one PDF in {secs:.2} s: {:.0} slips/s, {} bytes/slip \
         ({:.1} MB; layout and pages {:.0}%, finishing {:.0}%)",
        n as f64 / secs,
        bytes.len() / n,
        bytes.len() as f64 / 1e6,
        100.0 * laid / secs,
        100.0 * (secs - laid) / secs
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n: usize = std::env::var("SLIPS").ok().and_then(|s| s.parse().ok()).unwrap_or(1000);
    let slips: Vec<Slip> = (0..n).map(slip).collect();
    run("png logo", &look("acme-logo.png"), &slips);
    run("svg logo", &look("acme-logo.svg"), &slips);
    let long: Vec<Slip> = (0..n / 10).map(|k| slip_with(k, 60)).collect();
    run("60 lines", &look("acme-logo.png"), &long);
}
