//! Packing slips as a warehouse prints them: a wave rendered with the real
//! font and logos, then read back with poppler (pdftotext, pdffonts,
//! pdftoppm) and zbar (zbarimg), as independent readers of the PDF.

mod common;

use dropgate::domain::Amount;
use dropgate::retailer::Brand;
use dropgate::slip::{self, Logo, Look, Paper, Slip, SlipLine, Wave};
use std::path::{Path, PathBuf};
use std::process::Command;

const COMPANY: &str = "Hidden Wholesale Ltd";

fn logo(name: &str) -> Logo {
    Logo::parse(&common::fixture_bytes(&format!("brand/{name}"))).unwrap()
}

fn acme(logo_file: Option<&str>) -> Look {
    let brand = Brand {
        name: Some("Acme Home".into()),
        return_address: vec!["Acme Home Returns".into(), "100 Harbor Way, Dock 4".into(), "Portland, OR 97201".into()],
        phone: Some("+1 800 555 0100".into()),
        email: Some("care@acme.example".into()),
        url: Some("acme.example/help".into()),
        footer: Some("Thank you for shopping with Acme Home. Returns are free within 30 days.".into()),
        accent_color: Some("#1F5FAD".into()),
        ..Brand::default()
    };
    Look::new("Acme Home", &brand, logo_file.map(logo))
}

fn line(ordered: i64, shipped: i64, item: &str, upc: &str, desc: &str) -> SlipLine {
    SlipLine {
        ordered,
        shipped,
        item: Some(item.into()),
        gtin: Some(("UPC", upc.into())),
        description: Some(desc.into()),
        ..SlipLine::default()
    }
}

fn one_line() -> Slip {
    Slip {
        po_number: "DEMO-1001".into(),
        customer_order: Some("W-88231907".into()),
        order_date: Some("20261123".into()),
        ship_method: Some("UPS Ground".into()),
        ship_to: vec!["Alex Example".into(), "12 Sample Street".into(), "Springfield, IL 62701".into()],
        lines: vec![line(2, 2, "100234", "012345678905", "Brass desk lamp with linen shade")],
        ..Slip::default()
    }
}

const THINGS: &[&str] = &[
    "Stoneware mug, 350 ml, speckled oat glaze",
    "Wool rug 120 × 180 cm, hand-knotted, natural undyed wool with a narrow charcoal border",
    "Linen napkins, set of 4",
    "Cast-iron skillet 26 cm",
    "Beeswax candles, pair",
    "Oak serving board with juice groove and leather hanging loop",
];

fn sixty() -> Slip {
    let lines = (0..60)
        .map(|i| {
            let mut l = line(
                1 + i % 4,
                1 + i % 4,
                &format!("{}", 700_100 + i),
                &format!("0{:011}", 12_345_600_000 + i),
                THINGS[i as usize % THINGS.len()],
            );
            if i % 9 == 4 {
                l.shipped -= 1;
                l.backordered = 1;
            }
            if i % 13 == 7 {
                l.shipped = 0;
                l.not_shipped = l.ordered;
            }
            l.price = Amount::parse(&format!("{}.99", 4 + i % 30));
            l
        })
        .collect();
    Slip {
        po_number: "4500012345".into(),
        customer_order: Some("111-3973054-1555434".into()),
        order_date: Some("20261120".into()),
        ship_method: Some("FedEx Home Delivery".into()),
        ship_to: vec!["Jordan Miller".into(), "88 Elm Avenue, Apt 5C".into(), "Brooklyn, NY 11201".into()],
        lines,
        currency: Some("USD".into()),
        messages: vec!["This shipment completes your order.".into()],
        ..Slip::default()
    }
}

fn gift() -> Slip {
    Slip {
        po_number: "GIFT-77".into(),
        order_date: Some("20261201".into()),
        ship_method: Some("USPS Priority".into()),
        ship_to: vec![
            "Ms. Anneliese Müller-Lüdenscheidt-Oberhausen von Hohenzollern-Sigmaringen".into(),
            "c/o Ærøskøbing Handelskompagni ApS, Großbeerenstraße 123, Hinterhaus, 3. OG links".into(),
            "Seattle, WA 98104".into(),
        ],
        lines: vec![line(1, 1, "ST-4410", "012345678929", "Wool throw, herringbone, forest green")],
        gift_message: Some(
            "Happy birthday, Anneliese! We hope this keeps you warm on the long winter evenings.\nLove, Sam & Jo"
                .into(),
        ),
        messages: vec!["Gift receipt enclosed: prices are not shown.".into()],
        ..Slip::default()
    }
}

fn non_latin() -> Slip {
    Slip {
        po_number: "RU-5512".into(),
        order_date: Some("20261202".into()),
        ship_method: Some("DHL Express".into()),
        ship_to: vec![
            "Жанна Ивановна Кузнецова".into(),
            "ул. Большая Садовая, д. 10, кв. 50".into(),
            "Москва 123001".into(),
            "Russia".into(),
        ],
        lines: vec![
            line(2, 2, "GR-1", "012345678936", "Κούπα πορσελάνης λευκή, 300 ml (λ)"),
            line(1, 1, "DE-2", "012345678943", "Schäfer Größe XL — Straße, señor, Ørsted, Жук"),
        ],
        gift_message: Some("С днём рождения! Χρόνια πολλά! Alles Gute, Jürgen — ça va? ñ ø ß".into()),
        ..Slip::default()
    }
}

/// A tool of poppler-utils or zbar-tools; the test fails when it is missing.
fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name).args(args).output().unwrap_or_else(|e| {
        panic!("{name} is needed (Debian poppler-utils / zbar-tools; tools/test installs them): {e}")
    });
    assert!(out.status.success() || name == "zbarimg", "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_text(pdf: &Path, page: usize) -> String {
    let p = page.to_string();
    tool("pdftotext", &["-f", &p, "-l", &p, "-layout", pdf.to_str().unwrap(), "-"])
}

/// Renders pages to PNG at `dpi`; returns the files in page order.
fn pngs(pdf: &Path, dpi: u32, first: usize, last: usize) -> Vec<PathBuf> {
    let dir = pdf.with_extension(format!("png-{first}-{last}"));
    std::fs::create_dir_all(&dir).unwrap();
    let prefix = dir.join("page");
    tool(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-f",
            &first.to_string(),
            "-l",
            &last.to_string(),
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert_eq!(files.len(), last - first + 1, "{files:?}");
    files
}

/// Barcodes zbarimg reads on a page: ("CODE-128", text), ("QR-Code", text).
fn barcodes(png: &Path) -> Vec<(String, String)> {
    tool("zbarimg", &["--quiet", png.to_str().unwrap()])
        .lines()
        .filter_map(|l| l.split_once(':').map(|(k, v)| (k.to_string(), v.to_string())))
        .collect()
}

/// When `SLIPS_KEEP` names a directory, rendered files are copied there to be looked at.
fn keep(files: &[PathBuf]) {
    if let Ok(dir) = std::env::var("SLIPS_KEEP") {
        std::fs::create_dir_all(&dir).unwrap();
        for f in files {
            let name = format!(
                "{}-{}",
                f.parent().and_then(|p| p.file_name()).unwrap().to_string_lossy(),
                f.file_name().unwrap().to_string_lossy()
            );
            std::fs::copy(f, Path::new(&dir).join(name)).unwrap();
        }
    }
}

#[test]
fn a_wave_reads_back_with_poppler_and_zbar() {
    let dir = tempfile::tempdir().unwrap();
    let png_look = acme(Some("acme-logo.png"));
    let mut svg_look = acme(Some("acme-logo.svg"));
    svg_look.show_prices = true;
    svg_look.qr = Some("https://acme.example/returns?po={po}".into());
    svg_look.qr_label = Some("Start a return".into());
    let plain = Look::new("Nordic Living", &Brand::default(), None);

    let mut reprint = one_line();
    reprint.reprint = true;
    let slips: Vec<(Slip, &Look)> = vec![
        (one_line(), &png_look),
        (sixty(), &svg_look),
        (gift(), &png_look),
        (non_latin(), &plain),
        (reprint, &png_look),
    ];
    let mut wave = Wave::new(Paper::Letter, vec![COMPANY.to_string()]);
    let mut placed = Vec::new();
    for (s, l) in &slips {
        placed.push(wave.add(s, l));
    }
    let pages = wave.pages();
    let pdf = dir.path().join("wave.pdf");
    std::fs::write(&pdf, wave.finish().unwrap()).unwrap();
    keep(std::slice::from_ref(&pdf));

    for p in &placed {
        assert!(p.missing.is_empty(), "every character has a glyph: {:?}", p.missing);
        assert!(!p.no_barcode && !p.no_qr && p.redacted.is_empty(), "{p:?}");
    }
    let n60 = placed[1].pages;
    assert!((3..=4).contains(&n60), "a 60-line order takes a few pages, not {n60}");
    assert_eq!(placed.iter().map(|p| p.pages).collect::<Vec<_>>(), [1, n60, 1, 1, 1]);
    assert_eq!(placed.iter().map(|p| p.first_page).collect::<Vec<_>>(), [0, 1, 1 + n60, 2 + n60, 3 + n60]);
    assert_eq!(pages, 4 + n60);

    // Only the bundled font, embedded as subsets.
    let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(rows.len() >= 2, "{fonts}");
    for r in &rows {
        let cols: Vec<&str> = r.split_whitespace().collect();
        assert!(r.contains("DejaVuSans"), "{r}");
        let n = cols.len();
        assert_eq!(&cols[n - 5..n - 2], ["yes", "yes", "yes"], "emb, sub, uni: {r}");
        assert!(cols[0].len() > 7 && cols[0].as_bytes()[6] == b'+', "subset prefix: {r}");
    }

    // The text as pdftotext reads it.
    let all = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    assert!(!all.to_lowercase().contains(&COMPANY.to_lowercase()), "the wholesaler is never named");
    let p1 = page_text(&pdf, 1);
    for want in [
        "Acme Home",
        "Packing slip",
        "DEMO-1001",
        "W-88231907",
        "Nov 23, 2026",
        "UPS Ground",
        "Alex Example",
        "Springfield, IL 62701",
        "100 Harbor Way, Dock 4",
        "100234",
        "UPC 012345678905",
        "Brass desk lamp with linen shade",
        "care@acme.example",
        "Page 1 of 1",
    ] {
        assert!(p1.contains(want), "{want:?} on page 1:\n{p1}");
    }
    assert!(!p1.contains("PRICE") && !p1.contains("9.99"), "no prices unless the brand shows them");
    for n in 2..=1 + n60 {
        let t = page_text(&pdf, n);
        assert!(t.contains(&format!("Page {} of {n60}", n - 1)), "{t}");
        assert!(t.contains("4500012345"), "every page names the order");
        assert!(t.contains("DESCRIPTION"), "headings repeated on every page of the table");
    }
    let sixty_text: String = (2..=1 + n60).map(|n| page_text(&pdf, n)).collect();
    for i in 0..60 {
        assert!(sixty_text.contains(&format!("{}", 700_100 + i)), "line {i} printed once the order paginates");
    }
    assert!(sixty_text.contains("Backordered: 1 — ships separately"));
    assert!(sixty_text.contains("Not shipped: "));
    assert!(sixty_text.contains("PRICE") && sixty_text.contains("Total (USD)") && sixty_text.contains("2,518.71"));
    assert!(sixty_text.contains("Start a return"));
    let g = page_text(&pdf, 2 + n60);
    assert!(g.contains("GIFT MESSAGE") && g.contains("Love, Sam & Jo"), "{g}");
    assert!(g.contains("Lüdenscheidt") && g.contains("Ærøskøbing"), "long names wrap and stay whole:\n{g}");
    let nl = page_text(&pdf, 3 + n60);
    for want in
        ["Жанна Ивановна Кузнецова", "Κούπα πορσελάνης λευκή", "Größe", "señor", "Ørsted", "ñ ø ß", "Nordic Living"]
    {
        assert!(nl.contains(want), "{want:?}:\n{nl}");
    }
    let rp = page_text(&pdf, 4 + n60);
    assert!(rp.contains("REPRINT") && rp.contains("Reprint"), "a reprint says so:\n{rp}");

    // Every page's Code 128 reads back to the exact PO number; the QR to the returns page.
    let files = pngs(&pdf, 300, 1, pages);
    keep(&files);
    let mut expect = vec!["DEMO-1001"];
    expect.extend(std::iter::repeat_n("4500012345", n60));
    expect.extend(["GIFT-77", "RU-5512", "DEMO-1001"]);
    assert_eq!(files.len(), expect.len());
    for (f, po) in files.iter().zip(expect) {
        let codes = barcodes(f);
        let c128: Vec<&str> = codes.iter().filter(|(k, _)| k == "CODE-128").map(|(_, v)| v.as_str()).collect();
        assert_eq!(c128, [po], "{f:?}: {codes:?}");
    }
    let last_of_sixty = barcodes(&files[n60]);
    assert!(
        last_of_sixty.contains(&("QR-Code".to_string(), "https://acme.example/returns?po=4500012345".to_string())),
        "{last_of_sixty:?}"
    );
    assert!(!barcodes(&files[0]).iter().any(|(k, _)| k == "QR-Code"), "no QR unless the brand asks");
}

/// The first purchase order of an 850 fixture, as the reader makes it.
fn fixture_po(name: &str) -> dropgate::domain::PurchaseOrder {
    let parsed = dropgate::formats::x12::reader::read(&common::fixture_bytes(&format!("third_party/x12/{name}")));
    parsed
        .interchanges
        .iter()
        .flat_map(|i| &i.groups)
        .flat_map(|g| &g.sets)
        .find_map(|s| match &s.document {
            dropgate::formats::x12::Document::PurchaseOrder(po) => Some((**po).clone()),
            _ => None,
        })
        .unwrap()
}

fn accepted(po: &dropgate::domain::PurchaseOrder) -> Vec<slip::LineState> {
    po.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let q = l.quantity.whole_units().unwrap_or(1);
            slip::LineState { position: i + 1, ordered: q, accepted: q, ..Default::default() }
        })
        .collect()
}

#[test]
fn a_slip_from_a_real_drop_ship_850() {
    let po = fixture_po("850_4010_newedi_amazon_dropship_DS_N1_LW_N9_MSG_CTP_PUR.edi");
    let mut states = accepted(&po);
    states[1].accepted = 1;
    states[1].backordered = 1;
    let s = Slip::from_order(&po, &states, &Default::default());
    assert_eq!(s.po_number, "T7Fd9Zn54");
    assert_eq!(s.customer_order.as_deref(), Some("111-3973054-1555434"), "REF*OQ");
    assert_eq!(s.ship_method.as_deref(), Some("UPS_GR_RES"), "TD503 when there is no routing text");
    assert_eq!(s.ship_to, ["Charlie Smith", "Darla Smith", "11254 Main St", "Suite 112", "Seattle, WA 98104"]);
    assert_eq!(s.messages.len(), 3, "the N9*ZZ messages of a drop-ship order are for the slip");
    assert!(s.messages[0].contains("This shipment completes your order."));
    assert_eq!(s.lines[0].item.as_deref(), Some("1617"));
    assert_eq!(s.lines[0].description.as_deref(), Some("Wide Tracker Activity Walker"), "line MSG as description");
    assert_eq!(s.lines[0].price, Amount::parse("19.99"), "CTP PUR, the consumer's price");
    assert_eq!((s.lines[1].shipped, s.lines[1].backordered), (1, 1));
    // PO104 (18.04, 54.42, 18) is what the retailer pays: never on the slip.
    let mut look = acme(None);
    look.show_prices = true;
    let mut redacted = Vec::new();
    let html = slip::html::render(&s, &look, &[], &mut redacted);
    for wholesale in ["18.04", "54.42", "54.00", "18.00"] {
        assert!(!html.contains(wholesale), "{wholesale} on the slip");
    }
    assert!(html.contains("19.99") && html.contains("59.99"));
    look.show_prices = false;
    let html = slip::html::render(&s, &look, &[], &mut redacted);
    assert!(!html.contains("19.99"), "no prices unless the brand shows them");

    // Safeway's N9*AH terms are not for the consumer; its vendor numbers are not the retailer's.
    let po = fixture_po("850_4010_bots_safeway_CTP_SAC_MSG_trailing_blank_lines.edi");
    let s = Slip::from_order(&po, &accepted(&po), &Default::default());
    assert!(s.messages.is_empty(), "{:?}", s.messages);
    assert!(s.lines.iter().all(|l| l.description.is_some()), "PID descriptions");
}

#[test]
fn nothing_leaves_the_page() {
    for paper in [Paper::Letter, Paper::A4] {
        let mut hostile = gift();
        hostile.ship_to.push("x".repeat(400));
        hostile.gift_message = Some("A very long gift message that goes on. ".repeat(120));
        hostile.lines[0].description = Some("Supercalifragilisticexpialidocious".repeat(30));
        let look = acme(Some("acme-logo.svg"));
        for s in [one_line(), sixty(), gift(), non_latin(), hostile] {
            let (pages, (pw, ph)) = slip::boxes(&s, &look, paper);
            for (n, ops) in pages.iter().enumerate() {
                for (x, y, w, h) in ops {
                    assert!(
                        *x >= 35.9 && *y >= 0.0 && x + w <= pw - 35.9 && y + h <= ph - 18.0,
                        "{} page {}: ({x}, {y}, {w}, {h}) leaves the printable area",
                        s.po_number,
                        n + 1
                    );
                }
            }
        }
    }
}

#[test]
fn text_without_a_glyph_is_reported() {
    let mut s = one_line();
    s.ship_to[0] = "王小明 (Wang Xiaoming)".into();
    let (bytes, placed) = slip::pdf(&s, &acme(None), Paper::Letter, vec![]).unwrap();
    assert_eq!(placed.missing.iter().collect::<String>(), "小明王");
    assert!(bytes.starts_with(b"%PDF"));
}

#[test]
fn a_po_number_a_barcode_cannot_carry() {
    let mut s = one_line();
    s.po_number = "PO-Zoë-7".into();
    let (bytes, placed) = slip::pdf(&s, &acme(None), Paper::Letter, vec![]).unwrap();
    assert!(placed.no_barcode && placed.missing.is_empty());
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("s.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    assert!(
        tool("pdftotext", &[pdf.to_str().unwrap(), "-"]).contains("Order no. PO-Zoë-7"),
        "the number in words instead"
    );
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 40, ..Default::default() })]

    /// Whatever a purchase order carries, a slip lays out without a panic
    /// and nothing leaves the page.
    #[test]
    fn any_text_lays_out_inside_the_page(
        name in "\\PC{0,200}",
        street in "[ -~\\p{Cyrillic}\\p{Greek}\u{00C0}-\u{017F}]{0,120}",
        desc in "\\PC{0,400}",
        po in "\\PC{1,30}",
        lines in 0usize..40,
        gift in proptest::option::of("\\PC{0,600}"),
    ) {
        let mut s = one_line();
        s.po_number = po;
        s.ship_to = vec![name, street];
        s.gift_message = gift;
        s.lines = (0..lines).map(|i| line(i as i64, i as i64, &desc, "012345678905", &desc)).collect();
        let look = acme(None);
        let (pages, (pw, ph)) = slip::boxes(&s, &look, Paper::A4);
        proptest::prop_assert!(!pages.is_empty());
        for ops in &pages {
            for (x, y, w, h) in ops {
                proptest::prop_assert!(*x >= 35.9 && *y >= 0.0 && x + w <= pw - 35.9 && y + h <= ph - 18.0, "({x}, {y}, {w}, {h})");
            }
        }
        let (bytes, _) = slip::pdf(&s, &look, Paper::A4, vec![COMPANY.into()]).unwrap();
        proptest::prop_assert!(bytes.starts_with(b"%PDF"));
    }
}

#[test]
fn the_company_name_is_taken_out() {
    let mut s = one_line();
    s.lines[0].description = Some(format!("Brass lamp by {}", COMPANY.to_uppercase()));
    s.messages.push(format!("Shipped for you by {COMPANY}."));
    let (bytes, placed) = slip::pdf(&s, &acme(None), Paper::Letter, vec![COMPANY.into()]).unwrap();
    let mut places = placed.redacted.clone();
    places.sort();
    assert_eq!(places, ["a slip message", "line 1"]);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("s.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let t = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    assert!(t.contains("Brass lamp by") && !t.to_lowercase().contains("hidden wholesale"), "{t}");
    let mut redacted = Vec::new();
    let html = slip::html::render(&s, &acme(None), &[COMPANY.into()], &mut redacted);
    assert!(!html.to_lowercase().contains("hidden wholesale"));
}

#[test]
fn html_slips() {
    let mut redacted = Vec::new();
    let mut look = acme(None);
    insta::assert_snapshot!("html_one_line", slip::html::render(&one_line(), &look, &[], &mut redacted));
    insta::assert_snapshot!("html_gift", slip::html::render(&gift(), &look, &[], &mut redacted));
    insta::assert_snapshot!("html_non_latin", slip::html::render(&non_latin(), &look, &[], &mut redacted));
    look.show_prices = true;
    look.qr = Some("https://acme.example/returns?po={po}".into());
    let mut s = sixty();
    s.lines.truncate(3);
    s.reprint = true;
    insta::assert_snapshot!("html_prices_reprint_qr", slip::html::render(&s, &look, &[], &mut redacted));
    // A logo is embedded, so the page stands alone in an e-mail.
    let html = slip::html::render(&one_line(), &acme(Some("acme-logo.png")), &[], &mut redacted);
    assert!(html.contains("<img class=\"logo\" alt=\"Acme Home\" src=\"data:image/png;base64,iVBORw0KGgo"));
    let html = slip::html::render(&one_line(), &acme(Some("acme-logo.svg")), &[], &mut redacted);
    assert!(html.contains("src=\"data:image/svg+xml;base64,"));
    assert!(redacted.is_empty());
}
