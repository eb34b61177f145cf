//! E-mails per second through the orders mailbox: messages with one 850
//! attached each, DKIM-signed (dkimpy, the test key of `fixtures/mail`),
//! delivered at once into a real dovecot's Maildir while `serve` waits in
//! IDLE; timed until every message is in `Processed` (each one fetched,
//! its DKIM signature verified, its document committed, processed and
//! answered with a 997 and an 855, the message recorded and moved).
//!
//! `cargo bench --bench mail`; `MAIL_BENCH_MESSAGES` (1000). Needs dovecot
//! (Debian `dovecot-imapd`) and `tools/test-venv` (dkimpy). `cargo test
//! --bench mail` runs it unoptimized with 20 messages (for checking the
//! script, not for figures).

#[path = "../tests/common/mod.rs"]
mod common;

use common::mailbox::{message, sign, Dovecot};
use common::{po850, Install, Serve};
use std::time::{Duration, Instant};

fn main() {
    let quick = std::env::args().any(|a| a == "--test") || cfg!(debug_assertions);
    let n: usize =
        std::env::var("MAIL_BENCH_MESSAGES").ok().and_then(|v| v.parse().ok()).unwrap_or(if quick { 20 } else { 1000 });
    let dc = Dovecot::start();
    let i = Install::new(common::sqlite_db());
    let cfg = std::fs::read_to_string(i.config()).unwrap();
    std::fs::write(i.config(), format!("{cfg}{}", dc.config("").replace("poll_secs = 1\n", "poll_secs = 30\n")))
        .unwrap();
    let profile = "id = \"shop\"\nname = \"Shop\"\n[x12]\nsender_id = \"ZZ:SHOP\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
                   [mail]\nsenders = [\"orders@shop.example\"]\n";
    let f = i.path().join("shop.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock(&format!("sku,on_hand,upc\nLAMP,{},012345678905\n", n * 10));

    // The messages, signed before the clock starts.
    let work = tempfile::tempdir().unwrap();
    let files: Vec<_> = (0..n)
        .map(|k| {
            let po = po850("SHOP", 1000 + k as u32, &[(&format!("PO-{k}"), &[("012345678905", 2, "24.50")])]);
            let m = message(
                "orders@shop.example",
                &format!("b{k}@shop.example"),
                &[("po.edi", "application/EDI-X12", &po)],
            );
            let p = work.path().join(format!("{k}.eml"));
            std::fs::write(&p, m).unwrap();
            p
        })
        .collect();
    sign(&files, "test", "shop.example");

    let serve = Serve(i.cmd().arg("serve").spawn().unwrap());
    // Connected and idling on an empty INBOX.
    std::thread::sleep(Duration::from_secs(2));
    let t = Instant::now();
    for (k, p) in files.iter().enumerate() {
        dc.deliver(&format!("{k}.bench"), &std::fs::read(p).unwrap());
    }
    dc.wait_for("Processed", n, Duration::from_secs(600));
    let secs = t.elapsed().as_secs_f64();
    assert!(serve.stop().success());
    let orders = i.json(&["orders", "list", "--limit", &(n * 2).to_string()]);
    assert_eq!(orders.as_array().unwrap().len(), n, "one order per message");
    println!(
        "mail intake: {n} messages (one 850 each, DKIM rsa-sha256 verified) from Maildir to Processed in {secs:.2} s: {:.0} e-mails/s",
        n as f64 / secs
    );
}
