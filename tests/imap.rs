//! The orders mailbox against a real IMAP server (dovecot, started from a
//! temporary config; messages delivered into its Maildir), with DKIM
//! signatures made by dkimpy with the test key of `fixtures/mail`.

mod common;

use common::mailbox::{message, signed, Dovecot};
use common::{po850, Install, Serve};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(60);

fn install(dc: &Dovecot, dkim: &str) -> Install {
    install_on(dc, dkim, common::sqlite_db())
}

fn install_on(dc: &Dovecot, dkim: &str, db: common::TestDb) -> Install {
    install_with(&dc.config(""), dkim, db)
}

/// An installation reading the mailbox with this `[mail]` section.
fn install_with(mail: &str, dkim: &str, db: common::TestDb) -> Install {
    let i = Install::new(db);
    let cfg = std::fs::read_to_string(i.config()).unwrap();
    std::fs::write(i.config(), format!("{cfg}{mail}")).unwrap();
    let profile = format!(
        "id = \"shop\"\nname = \"Shop\"\n[x12]\nsender_id = \"ZZ:SHOP\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
         [mail]\nsenders = [\"orders@shop.example\", \"@mail.shop.example\"]\ndkim = \"{dkim}\"\n"
    );
    let f = i.path().join("shop.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock("sku,on_hand,upc\nLAMP,100,012345678905\n");
    i
}

fn po(control: u32, number: &str) -> Vec<u8> {
    po850("SHOP", control, &[(number, &[("012345678905", 2, "24.50")])])
}

fn orders(i: &Install) -> Vec<serde_json::Value> {
    i.json(&["orders", "list"]).as_array().unwrap().clone()
}

fn outbox_kinds(i: &Install) -> Vec<String> {
    let mut v: Vec<String> = i
        .json(&["outbox", "list"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["kind"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

fn mail_rows(i: &Install) -> Vec<serde_json::Value> {
    i.json(&["documents", "list", "--mail"]).as_array().unwrap().clone()
}

/// Bytes with every bare LF made CRLF.
fn crlf(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len() + 64);
    for (n, &c) in b.iter().enumerate() {
        if c == b'\n' && (n == 0 || b[n - 1] != b'\r') {
            out.push(b'\r');
        }
        out.push(c);
    }
    out
}

fn serve(i: &Install) -> Serve {
    Serve(i.cmd().arg("serve").spawn().unwrap())
}

#[test]
fn signed_orders_are_taken_answered_and_moved() {
    for db in common::all_dbs("imap") {
        signed_orders_on(db);
    }
}

fn signed_orders_on(db: common::TestDb) {
    let dc = Dovecot::start();
    let i = install_on(&dc, "required", db);
    let po1 = po(101, "PO-M1");
    let po2 = po(102, "PO-M2");
    let m = signed(
        &message(
            "orders@shop.example",
            "m1@shop.example",
            &[("po1.edi", "application/EDI-X12", &po1), ("po2.edi", "application/octet-stream", &po2)],
        ),
        "test",
        "shop.example",
    );
    dc.deliver("1.m1", &m);
    let s = serve(&i);
    dc.wait_for("Processed", 1, WAIT);
    assert!(s.stop().success());
    let o = orders(&i);
    assert_eq!(o.len(), 2, "{o:?}");
    assert_eq!(outbox_kinds(&i), ["855", "855", "997", "997"]);
    // The attachments are in the ledger byte for byte, from the retailer's mail.
    let docs = i.json(&["documents", "list"]);
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2);
    for d in docs {
        assert_eq!(d["source"], "mail:shop");
        assert_eq!(d["state"], "processed");
        let raw = i.cmd().args(["documents", "show", &d["id"].to_string(), "--raw"]).output().unwrap().stdout;
        assert!(raw == po1 || raw == po2);
    }
    // The message itself, whole, in the record of the mailbox.
    let rows = mail_rows(&i);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["state"], "processed");
    assert_eq!(rows[0]["message_id"], "<m1@shop.example>");
    assert!(rows[0]["moved_at"].is_string());
    let raw =
        i.cmd().args(["documents", "show", "--mail", &rows[0]["id"].to_string(), "--raw"]).output().unwrap().stdout;
    assert_eq!(raw, crlf(&m), "the message as the server gave it (IMAP line ends are CRLF)");
    // doctor reaches the mailbox and counts what it brought.
    let out = i.run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["mail"]["messages"], 1, "{v}");
    assert_eq!(v["mail"]["problems"].as_array().unwrap().len(), 0, "{v}");
}

#[test]
fn the_mailbox_over_tls_and_starttls() {
    let (dc, imaps, ca) = Dovecot::start_tls();
    let keys = common::mailbox::fixture("dkim-test-keys.toml");
    let section = |tls: &str, port: u16, ca: Option<&std::path::Path>| {
        format!(
            "[mail]\nhost = \"localhost\"\nport = {port}\ntls = \"{tls}\"\nuser = \"orders\"\npassword = \"secret\"\n\
             poll_secs = 1\ntimeout_secs = 20\ndkim_keys = \"{}\"\n{}",
            keys.display(),
            ca.map(|c| format!("ca_file = \"{}\"\n", c.display())).unwrap_or_default()
        )
    };
    for (n, (tls, port)) in [("tls", imaps), ("starttls", dc.port)].into_iter().enumerate() {
        // A certificate from a CA nobody trusts: doctor says so, and why.
        let i = install_with(&section(tls, port, None), "required", common::sqlite_db());
        let out = i.run(&["doctor", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let problems = v["mail"]["problems"].to_string();
        assert!(problems.contains("certificate"), "{tls}: {v}");
        // Trusting the test CA: the order comes in over TLS.
        let i = install_with(&section(tls, port, Some(&ca)), "required", common::sqlite_db());
        let po_n = format!("PO-T{n}");
        let m = signed(
            &message(
                "orders@shop.example",
                &format!("t{n}@shop.example"),
                &[("po.edi", "application/EDI-X12", &po(300 + n as u32, &po_n))],
            ),
            "test",
            "shop.example",
        );
        dc.deliver(&format!("t{n}"), &m);
        let s = serve(&i);
        dc.wait_for("Processed", n + 1, WAIT);
        assert!(s.stop().success());
        let o = orders(&i);
        assert_eq!(o.len(), 1, "{tls}: {o:?}");
        assert_eq!(o[0]["po_number"], po_n.as_str(), "{tls}");
        let out = i.run(&["doctor", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(v["mail"]["problems"].as_array().unwrap().len(), 0, "{tls}: {v}");
    }
}

#[test]
fn spoofed_and_unknown_senders_are_rejected_with_the_reason() {
    let dc = Dovecot::start();
    let i = install(&dc, "required");
    let order = po(201, "PO-S1");
    let att: &[(&str, &str, &[u8])] = &[("po.edi", "application/EDI-X12", &order)];
    // Unsigned, pretending to be the shop.
    dc.deliver("1.unsigned", &message("orders@shop.example", "s1@evil.example", att));
    // Validly signed, but by another domain than the From's.
    dc.deliver("2.evil", &signed(&message("orders@shop.example", "s2@evil.example", att), "evil", "evil.example"));
    // Signed by the shop, then changed on the way.
    let tampered =
        String::from_utf8(signed(&message("orders@shop.example", "s3@shop.example", att), "test", "shop.example"))
            .unwrap()
            .replace("Our order is attached.", "Our order is attached!");
    dc.deliver("3.tampered", tampered.as_bytes());
    // Nobody's address.
    dc.deliver("4.unknown", &message("someone@elsewhere.example", "s4@elsewhere.example", att));
    let s = serve(&i);
    dc.wait_for("Rejected", 4, WAIT);
    assert!(s.stop().success());
    assert!(orders(&i).is_empty());
    assert!(outbox_kinds(&i).is_empty());
    let rows = mail_rows(&i);
    assert_eq!(rows.len(), 4);
    let reason = |mid: &str| {
        let r = rows.iter().find(|r| r["message_id"] == mid).unwrap_or_else(|| panic!("no {mid}: {rows:?}"));
        assert_eq!(r["state"], "rejected");
        r["reason"].as_str().unwrap().to_string()
    };
    assert!(reason("<s1@evil.example>").contains("no DKIM signature"), "{rows:?}");
    let evil = reason("<s2@evil.example>");
    assert!(evil.contains("d=evil.example is valid but not aligned with shop.example"), "{evil}");
    assert!(reason("<s3@shop.example>").contains("body hash"), "{rows:?}");
    assert!(reason("<s4@elsewhere.example>").contains("unknown sender someone@elsewhere.example"), "{rows:?}");
    // Rejected messages are kept whole in the ledger, not as documents.
    assert!(i.json(&["documents", "list"]).as_array().unwrap().is_empty());
    let id = rows[0]["id"].to_string();
    assert!(!i.cmd().args(["documents", "show", "--mail", &id, "--raw"]).output().unwrap().stdout.is_empty());
}

#[test]
fn the_same_message_twice_makes_one_order() {
    let dc = Dovecot::start();
    let i = install(&dc, "required");
    let order = po(301, "PO-D1");
    let m = signed(
        &message("orders@shop.example", "d1@shop.example", &[("po.edi", "application/EDI-X12", &order)]),
        "test",
        "shop.example",
    );
    dc.deliver("1.first", &m);
    dc.deliver("2.copy", &m);
    let s = serve(&i);
    dc.wait_for("Processed", 2, WAIT);
    let t = std::time::Instant::now();
    while mail_rows(&i).first().is_none_or(|r| r["moved_at"].is_null()) {
        assert!(t.elapsed() < WAIT);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(orders(&i).len(), 1);
    assert_eq!(outbox_kinds(&i), ["855", "997"], "the copy is not answered");
    // The same PO in a new message (a retailer sending it again) is a repeat, answered again.
    let again = signed(
        &message("ap@mail.shop.example", "d2@mail.shop.example", &[("po.edi", "application/EDI-X12", &order)]),
        "test",
        "shop.example",
    );
    dc.deliver("3.again", &again);
    dc.wait_for("Processed", 3, WAIT);
    assert!(s.stop().success());
    assert_eq!(orders(&i).len(), 1);
    let rows = mail_rows(&i);
    assert_eq!(rows.len(), 2, "the copy is recognised as the same message: {rows:?}");
    assert_eq!(i.json(&["documents", "list"]).as_array().unwrap().len(), 1);
    // A retailer's new message with known bytes is a repeat: answered again, never reserved twice.
    assert_eq!(outbox_kinds(&i), ["855", "855", "997", "997"]);
    assert_eq!(i.stock_of("LAMP"), (100, 2));
}

#[test]
fn a_crash_between_commit_and_move_leaves_one_order() {
    let dc = Dovecot::start();
    let i = install(&dc, "required");
    let order = po(401, "PO-K1");
    let m = signed(
        &message("orders@shop.example", "k1@shop.example", &[("po.edi", "application/EDI-X12", &order)]),
        "test",
        "shop.example",
    );
    dc.deliver("1.k1", &m);
    // Dies right after the commit, before the move.
    let mut crashed = Serve(i.cmd().arg("serve").env("DROPGATE_FAULT", "mail_after_commit").spawn().unwrap());
    let t = std::time::Instant::now();
    let status = loop {
        if let Some(s) = crashed.0.try_wait().unwrap() {
            break s;
        }
        assert!(t.elapsed() < WAIT, "serve did not reach the fault");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success());
    assert_eq!(dc.folder("").len(), 1, "the message is still in the INBOX");
    assert_eq!(orders(&i).len(), 1, "its order is committed");
    assert!(mail_rows(&i)[0]["moved_at"].is_null());
    let s = serve(&i);
    dc.wait_for("Processed", 1, WAIT);
    let t = std::time::Instant::now();
    while mail_rows(&i)[0]["moved_at"].is_null() {
        assert!(t.elapsed() < WAIT);
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.stop().success());
    assert_eq!(orders(&i).len(), 1);
    assert_eq!(outbox_kinds(&i), ["855", "997"]);
    assert_eq!(mail_rows(&i).len(), 1);
}

#[test]
fn a_broken_attachment_is_quarantined_and_the_message_processed() {
    let dc = Dovecot::start();
    let i = install(&dc, "optional");
    let good = po(501, "PO-B1");
    let mut broken = po(502, "PO-B2");
    let cut = broken.len() - 30;
    broken.truncate(cut);
    // Unsigned: this retailer trusts the From address alone.
    let m = message(
        "orders@shop.example",
        "b1@shop.example",
        &[("good.edi", "application/EDI-X12", &good), ("broken.edi", "application/EDI-X12", &broken)],
    );
    dc.deliver("1.b1", &m);
    let s = serve(&i);
    dc.wait_for("Processed", 1, WAIT);
    assert!(s.stop().success());
    assert_eq!(orders(&i).len(), 1);
    let docs = i.json(&["documents", "list", "--state", "quarantined"]);
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 1, "{docs:?}");
    assert_eq!(docs[0]["name"], "broken.edi");
    assert!(docs[0]["error"].as_str().unwrap().contains("broken.edi"), "{docs:?}");
    let rows = mail_rows(&i);
    assert_eq!(rows[0]["state"], "processed");
    assert!(rows[0]["reason"].as_str().unwrap().contains("broken.edi"));
}

#[test]
fn without_move_or_idle_messages_are_copied_expunged_and_polled() {
    // A server that offers neither MOVE nor IDLE.
    let dc = Dovecot::start_with("imap_capability = IMAP4rev1 LITERAL+ UIDPLUS\n");
    let i = install(&dc, "required");
    let log = i.path().join("serve.log");
    let s = Serve(
        i.cmd()
            .arg("serve")
            .env("RUST_LOG", "dropgate=info")
            .stderr(std::fs::File::create(&log).unwrap())
            .stdout(std::fs::File::create(i.path().join("serve.out")).unwrap())
            .spawn()
            .unwrap(),
    );
    std::thread::sleep(Duration::from_millis(1500));
    let order = po(601, "PO-P1");
    let att: &[(&str, &str, &[u8])] = &[("po.edi", "application/EDI-X12", &order)];
    dc.deliver("1.p1", &signed(&message("orders@shop.example", "p1@shop.example", att), "test", "shop.example"));
    dc.deliver("2.p2", &message("nobody@elsewhere.example", "p2@elsewhere.example", att));
    dc.wait_for("Processed", 1, WAIT);
    dc.wait_for("Rejected", 1, WAIT);
    assert!(s.stop().success());
    assert_eq!(orders(&i).len(), 1);
    assert!(dc.folder("").is_empty(), "copied, then expunged from the INBOX");
    assert!(mail_rows(&i).iter().all(|r| r["moved_at"].is_string()));
    let log = std::fs::read_to_string(&log).unwrap() + &std::fs::read_to_string(i.path().join("serve.out")).unwrap();
    assert!(log.contains("COPY + EXPUNGE") && log.contains("idle=false"), "{log}");
}
