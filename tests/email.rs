//! Delivery by e-mail against a real SMTP server process (aiosmtpd from
//! PyPI, through `tools/test-venv`, writing a Maildir): the attachment
//! arrives byte for byte, the Message-ID is the outbox row's, and a
//! message sent again after the connection dropped carries the same one.

mod common;

use common::{po850, Install, Serve};
use std::io::BufRead;
use std::path::Path;
use std::process::{Child, Command, Stdio};

struct Smtpd(Child);

impl Drop for Smtpd {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn venv() -> Command {
    Command::new(Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/test-venv"))
}

fn smtpd(port: u16, maildir: &Path, drop_first: bool) -> Smtpd {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_maildir.py");
    let mut c = venv();
    c.arg("python").arg(script).arg(port.to_string()).arg(maildir).stdout(Stdio::piped());
    if drop_first {
        c.arg("--drop-first");
    }
    let mut child = c.spawn().expect("start aiosmtpd");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "aiosmtpd did not start (tools/test-venv exit 90: no venv)");
    Smtpd(child)
}

/// A message as stored: its Message-ID and its attachments (name, bytes).
type Mail = (String, Vec<(String, Vec<u8>)>);

/// The messages of a Maildir.
fn maildir(path: &Path) -> Vec<Mail> {
    let code = r#"
import base64, email, json, mailbox, sys
box = mailbox.Maildir(sys.argv[1], create=False)
out = []
for key in sorted(box.keys()):
    msg = email.message_from_bytes(box.get_bytes(key))
    atts = [(p.get_filename(), base64.b64encode(p.get_payload(decode=True)).decode())
            for p in msg.walk() if p.get_filename()]
    out.append((msg['Message-ID'], atts))
print(json.dumps(out))
"#;
    let out = venv().args(["python", "-c", code]).arg(path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: Vec<(String, Vec<(String, String)>)> = serde_json::from_slice(&out.stdout).unwrap();
    use base64::Engine;
    v.into_iter()
        .map(|(id, atts)| {
            let atts = atts
                .into_iter()
                .map(|(n, b)| (n, base64::engine::general_purpose::STANDARD.decode(b).unwrap()))
                .collect();
            (id, atts)
        })
        .collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn install(port: u16) -> Install {
    let i = Install::new(common::sqlite_db());
    let cfg = std::fs::read_to_string(i.config()).unwrap();
    std::fs::write(
        i.config(),
        format!(
            "{cfg}[smtp]\nhost = \"127.0.0.1\"\nport = {port}\nfrom = \"edi@wholesale.example\"\ntimeout_secs = 5\n"
        ),
    )
    .unwrap();
    let profile = "id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACME\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
                   [delivery]\nmethod = \"email\"\n[delivery.email]\nto = [\"edi@acme.example\"]\ncc = [\"ops@acme.example\"]\n\
                   subject = \"{doc} from Wholesale: {file}\"\n";
    let f = i.path().join("acme.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock("sku,on_hand,upc\nLAMP,10,012345678905\n");
    let lines: &[(&str, u32, &str)] = &[("012345678905", 2, "24.50")];
    i.ingest("acme", "po.edi", &po850("ACME", 1, &[("PO1", lines)]));
    i.ok(&["ship", "PO1", "--carrier", "UPSN", "--tracking", "1ZM1"]);
    i
}

fn outbox(i: &Install) -> Vec<serde_json::Value> {
    i.json(&["outbox", "list"]).as_array().unwrap().clone()
}

fn payload(i: &Install, id: i64) -> Vec<u8> {
    i.cmd().args(["outbox", "show", &id.to_string(), "--raw"]).output().unwrap().stdout
}

#[test]
fn documents_arrive_as_attachments_with_their_message_id() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let _smtpd = smtpd(port, &dir.path().join("mail"), false);
    let i = install(port);
    i.ok(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    // Delivered already: the 997 and 855 of the order, and the 856.
    let rows = outbox(&i);
    assert!(rows.iter().all(|r| r["state"] == "delivered"), "{rows:?}");
    let mail = maildir(&dir.path().join("mail"));
    assert_eq!(mail.len(), rows.len());
    for r in &rows {
        let id = r["id"].as_i64().unwrap();
        let expected = format!("<dropgate.acme.{id}.{}@wholesale.example>", r["control"].as_str().unwrap());
        let (_, atts) = mail.iter().find(|(m, _)| *m == expected).unwrap_or_else(|| panic!("no message {expected}"));
        assert_eq!(atts.len(), 1);
        assert_eq!(atts[0].0, r["file_name"].as_str().unwrap());
        assert_eq!(atts[0].1, payload(&i, id), "byte-identical attachment");
    }
    assert!(rows.iter().any(|r| r["kind"] == "856"));
}

#[test]
fn a_resend_after_a_dropped_connection_has_the_same_message_id() {
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let _smtpd = smtpd(port, &dir.path().join("mail"), true);
    let i = install(port);
    // The first message is stored but its connection dropped before the answer.
    let out = i.run(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    assert!(out.status.success());
    let rows = outbox(&i);
    let failed: Vec<&serde_json::Value> = rows.iter().filter(|r| r["state"] == "pending").collect();
    assert_eq!(failed.len(), 1, "{rows:?}");
    assert_eq!(failed[0]["attempts"], 1);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("SMTP 127.0.0.1"), "{failed:?}");
    let id = failed[0]["id"].as_i64().unwrap();
    // serve retries it after its backoff.
    let serve = Serve(i.cmd().arg("serve").spawn().unwrap());
    let t = std::time::Instant::now();
    while outbox(&i).iter().any(|r| r["state"] != "delivered") {
        assert!(t.elapsed() < std::time::Duration::from_secs(60), "not delivered: {:?}", outbox(&i));
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    assert!(serve.stop().success());
    let mail = maildir(&dir.path().join("mail"));
    let expected = format!("<dropgate.acme.{id}.{}@wholesale.example>", failed[0]["control"].as_str().unwrap());
    let copies: Vec<_> = mail.iter().filter(|(m, _)| *m == expected).collect();
    assert_eq!(copies.len(), 2, "stored twice, recognisable as one by its Message-ID");
    assert_eq!(copies[0].1, copies[1].1);
    assert_eq!(mail.len(), rows.len() + 1);
}
