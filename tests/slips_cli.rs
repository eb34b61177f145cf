//! `dropgate slips` as the warehouse runs it: the real binary on a temp
//! installation, orders ingested from 850s, the wave read back with
//! poppler and zbar. The store tests run on SQLite and, when
//! `DROPGATE_TEST_PG` is set, on PostgreSQL.

mod common;

use common::Install;
use std::path::{Path, PathBuf};
use std::process::Command;

const STOCK: &str = "sku,on_hand,upc,vendor_sku,description,unit_price,location
LAMP,100,012345678905,,Brass desk lamp by Hidden Wholesale Ltd,24.50,B-10-2
MUG,100,012345678912,,Stoneware mug,4.25,A-2-1
RUG,100,012345678929,,Wool rug,89.00,A-10-1
";

/// One 850 transaction set body (between ST and SE).
struct Po<'a> {
    po: &'a str,
    ship_to: &'a str,
    /// (UPC, quantity, PID description)
    lines: Vec<(&'a str, u32, Option<&'a str>)>,
    gift: Option<&'a str>,
    slip_message: Option<&'a str>,
}

impl<'a> Po<'a> {
    fn new(po: &'a str, ship_to: &'a str, lines: Vec<(&'a str, u32, Option<&'a str>)>) -> Po<'a> {
        Po { po, ship_to, lines, gift: None, slip_message: None }
    }
}

fn x12(sender: &str, control: u32, pos: &[Po<'_>]) -> Vec<u8> {
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{:<15}*261123*0900*U*00401*{control:09}*0*P*>~\n\
         GS*PO*{sender}*DROPGATE*20261123*0900*{control}*X*004010~\n",
        "DROPGATE"
    );
    for (n, p) in pos.iter().enumerate() {
        let mut segs = vec![
            format!("ST*850*{:04}", n + 1),
            format!("BEG*00*DS*{}**20261123", p.po),
            format!("REF*CO*{}-C", p.po),
            "TD5*****UPS Ground".to_string(),
        ];
        if let Some(g) = p.gift {
            segs.push("N9*ZZ*GIFT".into());
            segs.push(format!("MSG*{g}"));
        }
        if let Some(m) = p.slip_message {
            segs.push("N9*L1*PACKING SLIP".into());
            segs.push(format!("MSG*{m}"));
        }
        segs.push(format!("N1*ST*{}", p.ship_to));
        segs.push("N3*12 Sample Street".into());
        segs.push("N4*Springfield*IL*62701*US".into());
        for (i, (upc, qty, pid)) in p.lines.iter().enumerate() {
            segs.push(format!("PO1*{}*{qty}*EA*9.99**UP*{upc}", i + 1));
            if let Some(d) = pid {
                segs.push(format!("PID*F****{d}"));
            }
        }
        segs.push(format!("CTT*{}", p.lines.len()));
        segs.push(format!("SE*{}*{:04}", segs.len() + 1, n + 1));
        for s in segs {
            out.push_str(&s);
            out.push_str("~\n");
        }
    }
    out.push_str(&format!("GE*{}*{control}~\nIEA*1*{control:09}~\n", pos.len()));
    out.into_bytes()
}

fn profile(i: &Install, id: &str, sender: &str, brand: &str) {
    let text = format!(
        "id = \"{id}\"\nname = \"{id} stores\"\n[x12]\nsender_id = \"ZZ:{sender}\"\nreceiver_id = \"ZZ:DROPGATE\"\n{brand}"
    );
    let f = i.path().join(format!("{id}.toml"));
    std::fs::write(&f, text).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
}

fn ingest(i: &Install, name: &str, bytes: &[u8]) {
    let f = i.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    i.ok(&["ingest", f.to_str().unwrap()]);
}

fn copy_logos(i: &Install) {
    std::fs::create_dir_all(i.path().join("brands")).unwrap();
    for f in ["acme-logo.png", "acme-logo.svg"] {
        std::fs::copy(common::fixture(&format!("brand/{f}")), i.path().join("brands").join(f)).unwrap();
    }
}

const ACME_BRAND: &str = "[brand]\nname = \"Acme Home\"\nlogo = \"brands/acme-logo.svg\"\n\
return_address = [\"Acme Home Returns\", \"100 Harbor Way\", \"Portland, OR 97201\"]\n\
phone = \"+1 800 555 0100\"\naccent_color = \"#1F5FAD\"\n";

/// Acme (branded), Walmart-like (no slips) and a retailer without a brand, with orders.
fn setup(db: common::TestDb) -> Install {
    let i = Install::new(db);
    copy_logos(&i);
    profile(&i, "acme", "ACMEHOME", ACME_BRAND);
    profile(&i, "wm", "WMDSV", "[brand]\npacking_slip = false\n");
    profile(&i, "plain", "PLAINCO", "");
    i.stock(STOCK);
    let mut a1 = Po::new("A1", "Casey Rivera", vec![("012345678929", 1, Some("Wool rug, natural"))]);
    a1.gift = Some("Happy housewarming!");
    let mut a2 = Po::new("A2", "Jordan Miller", vec![("012345678912", 4, Some("Stoneware mug"))]);
    a2.slip_message = Some("Thank you for your order.");
    let a3 = Po::new("A3", "Zoë Ørsted", vec![("012345678905", 1, None), ("012345678912", 2, Some("Mug"))]);
    ingest(&i, "acme.edi", &x12("ACMEHOME", 1, &[a1, a2, a3]));
    ingest(&i, "wm.edi", &x12("WMDSV", 1, &[Po::new("W1", "Walt Mart", vec![("012345678912", 1, None)])]));
    ingest(&i, "plain.edi", &x12("PLAINCO", 1, &[Po::new("P1", "Pat Plain", vec![("012345678912", 1, None)])]));
    i
}

fn tool(name: &str, args: &[&str]) -> String {
    let out = Command::new(name)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{name} is needed (tools/test installs it): {e}"));
    assert!(out.status.success() || name == "zbarimg", "{name} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The Code 128 barcodes of every page, in page order.
fn page_barcodes(pdf: &Path) -> Vec<String> {
    let dir = pdf.with_extension("pages");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    tool("pdftoppm", &["-r", "250", "-png", pdf.to_str().unwrap(), dir.join("p").to_str().unwrap()]);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .map(|f| {
            let out = tool("zbarimg", &["--quiet", f.to_str().unwrap()]);
            let codes: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("CODE-128:")).collect();
            assert_eq!(codes.len(), 1, "{f:?}: {out}");
            codes[0].to_string()
        })
        .collect()
}

fn states(i: &Install) -> Vec<(String, String)> {
    let v = i.json(&["orders", "list"]);
    v.as_array()
        .unwrap()
        .iter()
        .map(|o| (o["po_number"].as_str().unwrap().to_string(), o["state"].as_str().unwrap().to_string()))
        .collect()
}

fn state_of(i: &Install, po: &str) -> String {
    states(i).into_iter().find(|(p, _)| p == po).map(|(_, s)| s).unwrap_or_default()
}

fn order_id(i: &Install, po: &str) -> i64 {
    let v = i.json(&["orders", "list", "--po", po]);
    v[0]["id"].as_i64().unwrap()
}

fn slip_events(i: &Install, po: &str) -> Vec<String> {
    let mut conn = dropgate::store::connect(&i.db.url).unwrap();
    dropgate::store::slips::events_of(&mut conn, order_id(i, po)).unwrap().into_iter().map(|(k, _)| k).collect()
}

#[test]
fn a_wave_prints_marks_and_reprints() {
    for db in common::all_dbs("slips_cli::a_wave_prints_marks_and_reprints") {
        let backend = db.backend;
        let i = setup(db);
        let out = i.run(&["slips", "print", "--out", "wave.pdf", "--json"]);
        assert!(out.status.success(), "{backend}: {out:?}");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let order: Vec<&str> = v["slips"].as_array().unwrap().iter().map(|s| s["po"].as_str().unwrap()).collect();
        // Grouped by retailer, in pick order: A-2-1, A-10-1, B-10-2.
        assert_eq!(order, ["A2", "A1", "A3", "P1"], "{backend}: {v}");
        assert_eq!(v["no_slip_required"][0]["po"], "W1");
        assert!(stderr.contains("PO A3: the company name was taken out of line 1"), "{stderr}");

        let pdf = i.path().join("wave.pdf");
        let text = tool("pdftotext", &[pdf.to_str().unwrap(), "-"]);
        for want in [
            "Acme Home",
            "plain stores",
            "Casey Rivera",
            "Happy housewarming!",
            "Thank you for your order.",
            "Zoë Ørsted",
            "Brass desk lamp by",
        ] {
            assert!(text.contains(want), "{backend}: {want:?} in\n{text}");
        }
        assert!(!text.to_lowercase().contains("hidden wholesale"), "{backend}: the company name is on a slip:\n{text}");
        assert!(!text.contains("W1") && !text.contains("Walt Mart"), "no slip for a retailer that forbids them");
        assert!(!text.contains("9.99"), "the wholesale price never shows");
        assert_eq!(page_barcodes(&pdf), ["A2", "A1", "A3", "P1"]);
        let fonts = tool("pdffonts", &[pdf.to_str().unwrap()]);
        for r in fonts.lines().skip(2) {
            assert!(r.contains("+DejaVuSans") && r.split_whitespace().filter(|w| *w == "yes").count() >= 3, "{r}");
        }

        let st = states(&i);
        for (po, s) in &st {
            let want = if po == "W1" { "accepted" } else { "slip_printed" };
            assert_eq!(s, want, "{backend}: {po}");
        }
        assert_eq!(slip_events(&i, "A1"), ["slip.printed"]);

        // Nothing left to print; the no-slip retailer's order is still listed.
        let again = i.ok(&["slips", "print", "--out", "wave2.pdf"]);
        assert!(again.contains("no slip required: wm PO W1"), "{again}");
        assert!(!i.path().join("wave2.pdf").exists());

        // A reprint says so, keeps the state, and is recorded.
        let re = i.ok(&["slips", "print", "--reprint", "A1", "--out", "re.pdf"]);
        assert!(re.contains("reprinted: 1 slip on 1 page"), "{re}");
        let text = tool("pdftotext", &[i.path().join("re.pdf").to_str().unwrap(), "-"]);
        assert!(text.contains("REPRINT") && text.contains("Casey Rivera"), "{text}");
        assert_eq!(state_of(&i, "A1"), "slip_printed");
        assert_eq!(slip_events(&i, "A1"), ["slip.printed", "slip.reprinted"]);
        for (po, why) in [("W1", "takes no packing slips"), ("NOPE", "no order with PO number"), ("A1 A9", "no order")]
        {
            let mut args = vec!["slips", "print", "--out", "x.pdf", "--reprint"];
            args.extend(po.split(' '));
            let err = i.run(&args);
            assert!(!err.status.success(), "{po}");
            assert!(String::from_utf8_lossy(&err.stderr).contains(why), "{po}: {err:?}");
        }

        // A wave whose file cannot be written marks nothing.
        ingest(&i, "acme2.edi", &x12("ACMEHOME", 2, &[Po::new("A4", "Sam Four", vec![("012345678912", 1, None)])]));
        let err = i.run(&["slips", "print", "--out", "wave.pdf"]);
        assert!(!err.status.success());
        assert!(String::from_utf8_lossy(&err.stderr).contains("exists already"), "{err:?}");
        assert_eq!(state_of(&i, "A4"), "accepted");
        let err = i.run(&["slips", "print", "--out", "no/such/dir/wave.pdf"]);
        assert!(!err.status.success());
        assert_eq!(state_of(&i, "A4"), "accepted");
        i.ok(&["slips", "print", "--out", "wave.pdf", "--force"]);
        assert_eq!(state_of(&i, "A4"), "slip_printed");
        assert_eq!(page_barcodes(&pdf), ["A4"]);
    }
}

/// A stand-in for CUPS' `lp` that keeps what it was given, or fails.
fn fake_lp(dir: &Path, fail: bool) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = if fail {
        "#!/bin/sh\necho 'lp: printer Zebra1 is offline' >&2\nexit 1\n".to_string()
    } else {
        format!(
            "#!/bin/sh\necho \"$@\" > {0}/lp-args\nfor last; do :; done\ncp \"$last\" {0}/printed.pdf\necho 'request id is Zebra1-7 (1 file(s))'\n",
            dir.display()
        )
    };
    let lp = bin.join("lp");
    std::fs::write(&lp, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&lp, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

#[test]
fn a_wave_goes_to_a_printer_through_lp() {
    let i = setup(common::sqlite_db());
    let spool = tempfile::tempdir().unwrap();
    let path = fake_lp(spool.path(), true);
    let out = i.cmd().env("PATH", &path).args(["slips", "print", "--printer", "Zebra1"]).output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("printer Zebra1 is offline") && err.contains("no order was marked"),
        "{err}"
    );
    assert_eq!(state_of(&i, "A1"), "accepted", "a wave the printer refused marks nothing");

    let path = fake_lp(spool.path(), false);
    let out = i.cmd().env("PATH", &path).args(["slips", "print", "--printer", "Zebra1"]).output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let args = std::fs::read_to_string(spool.path().join("lp-args")).unwrap();
    assert!(args.starts_with("-d Zebra1 -t packing slips"), "{args}");
    assert_eq!(page_barcodes(&spool.path().join("printed.pdf")), ["A2", "A1", "A3", "P1"]);
    assert_eq!(state_of(&i, "A1"), "slip_printed");
    // The spooled copy is not left behind.
    let left: Vec<_> = std::fs::read_dir(i.path().join("data/slips")).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[test]
fn logo_problems_are_named() {
    let i = Install::new(common::sqlite_db());
    copy_logos(&i);
    // Applying a profile whose logo is missing or not an image fails, naming both.
    let f = i.path().join("acme.toml");
    let text = |logo: &str| {
        format!("id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACMEHOME\"\nreceiver_id = \"ZZ:DROPGATE\"\n[brand]\nlogo = \"{logo}\"\n")
    };
    std::fs::write(&f, text("brands/nope.png")).unwrap();
    let out = i.run(&["retailer", "apply", f.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("brands/nope.png") && err.contains("acme"), "{err}");
    std::fs::write(i.path().join("brands/notes.txt"), "not a picture").unwrap();
    std::fs::write(&f, text("brands/notes.txt")).unwrap();
    let err = String::from_utf8_lossy(&i.run(&["retailer", "apply", f.to_str().unwrap()]).stderr).to_string();
    assert!(err.contains("not a PNG, JPEG or SVG"), "{err}");

    std::fs::write(&f, text("brands/acme-logo.png")).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock(STOCK);
    let two =
        [Po::new("L1", "One", vec![("012345678912", 1, None)]), Po::new("L2", "Two", vec![("012345678912", 1, None)])];
    ingest(&i, "l.edi", &x12("ACMEHOME", 1, &two));
    i.ok(&["slips", "print", "--out", "with.pdf"]);
    let images = tool("pdfimages", &["-list", i.path().join("with.pdf").to_str().unwrap()]);
    // The logo is drawn on both slips from one image object (with its alpha mask).
    let rows: Vec<Vec<&str>> = images.lines().skip(2).map(|r| r.split_whitespace().collect()).collect();
    let logos: Vec<&Vec<&str>> = rows.iter().filter(|r| r[2] == "image").collect();
    assert_eq!(logos.iter().map(|r| r[0]).collect::<Vec<_>>(), ["1", "2"], "{images}");
    let objects: std::collections::BTreeSet<&str> = logos.iter().map(|r| r[10]).collect();
    assert_eq!(objects.len(), 1, "the logo is embedded once: {images}");

    // The logo file goes bad after onboarding: slips still print, without it, with a warning.
    std::fs::write(i.path().join("brands/acme-logo.png"), b"\x89PNG\r\n\x1a\n broken").unwrap();
    ingest(&i, "l3.edi", &x12("ACMEHOME", 2, &[Po::new("L3", "Three", vec![("012345678912", 1, None)])]));
    let out = i.run(&["slips", "print", "--out", "without.pdf"]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("retailer acme") && err.contains("brands/acme-logo.png") && err.contains("without a logo"),
        "{err}"
    );
    let images = tool("pdfimages", &["-list", i.path().join("without.pdf").to_str().unwrap()]);
    assert_eq!(images.lines().count(), 2, "no image: {images}");
    assert_eq!(page_barcodes(&i.path().join("without.pdf")), ["L3"]);
}

#[test]
fn preview_changes_nothing() {
    let i = setup(common::sqlite_db());
    let html = i.ok(&["slips", "preview", "A1", "--html"]);
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("Acme Home") && html.contains("Happy housewarming!"));
    assert!(html.contains("data:image/svg+xml;base64,"), "the logo is in the page");
    let out = i.ok(&["slips", "preview", "A3"]);
    assert!(out.contains("wrote slip-A3.pdf (1 slip, 1 page)"), "{out}");
    let text = tool("pdftotext", &[i.path().join("slip-A3.pdf").to_str().unwrap(), "-"]);
    assert!(text.contains("Zoë Ørsted") && !text.to_lowercase().contains("hidden wholesale"), "{text}");
    let out = i.run(&["slips", "preview", "W1"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("takes no packing slips"), "{out:?}");
    assert!(states(&i).iter().all(|(_, s)| s == "accepted"), "{:?}", states(&i));
    assert!(slip_events(&i, "A1").is_empty());
    let err = i.run(&["slips", "preview", "A77"]);
    assert!(!err.status.success() && String::from_utf8_lossy(&err.stderr).contains("no order with PO number \"A77\""));
}

#[test]
fn an_unreadable_order_is_skipped_and_the_rest_printed() {
    let i = setup(common::sqlite_db());
    {
        use diesel::connection::SimpleConnection;
        let mut conn = dropgate::store::connect(&i.db.url).unwrap();
        dropgate::with_conn!(&mut conn, c => c.batch_execute("UPDATE orders SET detail = '{' WHERE po_number = 'A2'"))
            .unwrap();
    }
    let out = i.run(&["slips", "print", "--out", "wave.pdf", "--sort", "po"]);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("(PO A2 from acme): its stored purchase order cannot be read"), "{text}");
    assert!(text.contains("no slip printed for it"), "{text}");
    // By PO number this time.
    assert_eq!(page_barcodes(&i.path().join("wave.pdf")), ["A1", "A3", "P1"]);
    assert_eq!(state_of(&i, "A2"), "accepted");
    assert_eq!(state_of(&i, "A1"), "slip_printed");
}
