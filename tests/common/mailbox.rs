//! A real IMAP server for the orders mailbox tests: dovecot (Debian
//! `dovecot-imapd`), run as the current user from a temporary config on a
//! free port of 127.0.0.1, one account (`orders` / `secret`) whose Maildir
//! the tests write messages into; and messages signed with the test key of
//! `fixtures/mail` by dkimpy.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    pub port: u16,
    child: Child,
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn id(flag: &str) -> String {
    let out = Command::new("id").arg(flag).output().expect("id");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

impl Dovecot {
    /// With TLS: STARTTLS on `port`, TLS from the first byte on the port
    /// returned, a certificate for `localhost` from a test CA made here
    /// (its PEM file returned too).
    pub fn start_tls() -> (Dovecot, u16, PathBuf) {
        let certs = tempfile::tempdir().unwrap();
        let c = certs.path();
        let openssl = |args: &[&str]| {
            let out = Command::new("openssl").args(args).current_dir(c).output().expect("openssl");
            assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        };
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=dropgate test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ]);
        std::fs::write(c.join("ext"), "subjectAltName = DNS:localhost\n").unwrap();
        openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "ext",
            "-out",
            "server.pem",
        ]);
        let imaps = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(c, std::fs::Permissions::from_mode(0o755)).unwrap();
        for f in ["server.pem", "server.key", "ca.pem"] {
            std::fs::set_permissions(c.join(f), std::fs::Permissions::from_mode(0o644)).unwrap();
        }
        let dc = Dovecot::start_with(&format!(
            "ssl = yes\nssl_cert = <{c}/server.pem\nssl_key = <{c}/server.key\n\
             service imap-login {{\n  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps}\n  }}\n}}\n",
            c = c.display()
        ));
        let ca = dc.dir.path().join("ca.pem");
        std::fs::copy(c.join("ca.pem"), &ca).unwrap();
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", imaps)).is_err() {
            assert!(t.elapsed() < Duration::from_secs(20), "dovecot did not listen for TLS on {imaps}");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The certificates stay for dovecot's lifetime (it read them at start).
        std::mem::forget(certs);
        (dc, imaps, ca)
    }

    pub fn start() -> Dovecot {
        Dovecot::start_with("")
    }

    /// With extra lines of dovecot configuration.
    pub fn start_with(extra: &str) -> Dovecot {
        assert!(
            Path::new("/usr/sbin/dovecot").exists(),
            "dovecot is not installed: tools/test installs Debian's dovecot-imapd"
        );
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        for sub in ["run", "state", "home/orders", "mail/orders/new", "mail/orders/cur", "mail/orders/tmp"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        std::fs::write(d.join("passwd"), "orders:{PLAIN}secret::::::\n").unwrap();
        let (mut user, mut group, mut uid, mut gid) = (id("-un"), id("-gn"), id("-u"), id("-g"));
        let mut login_user = user.clone();
        if uid == "0" {
            // Dovecot runs no login or mail process as root: as root, those of
            // its package's own users, with the Maildir theirs.
            user = "dovecot".into();
            group = "dovecot".into();
            login_user = "dovenull".into();
            let out = Command::new("id").args(["-u", "dovecot"]).output().unwrap();
            uid = String::from_utf8_lossy(&out.stdout).trim().to_string();
            let out = Command::new("id").args(["-g", "dovecot"]).output().unwrap();
            gid = String::from_utf8_lossy(&out.stdout).trim().to_string();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
            let (u, g): (u32, u32) = (uid.parse().unwrap(), gid.parse().unwrap());
            for sub in
                ["home", "home/orders", "mail", "mail/orders", "mail/orders/new", "mail/orders/cur", "mail/orders/tmp"]
            {
                std::os::unix::fs::chown(d.join(sub), Some(u), Some(g)).unwrap();
            }
        }
        let conf = format!(
            "base_dir = {d}/run\nstate_dir = {d}/state\nlog_path = {d}/dovecot.log\ninfo_log_path = {d}/dovecot.log\n\
             protocols = imap\nlisten = 127.0.0.1\nssl = no\ndisable_plaintext_auth = no\nauth_mechanisms = plain login\n\
             mail_location = maildir:{d}/mail/%u\ndefault_internal_user = {user}\ndefault_internal_group = {group}\n\
             default_login_user = {login_user}\nfirst_valid_uid = 0\nfirst_valid_gid = 0\n\
             passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {d}/passwd\n}}\n\
             userdb {{\n  driver = static\n  args = uid={uid} gid={gid} home={d}/home/%u\n}}\n\
             service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n  \
             inet_listener imaps {{\n    port = 0\n  }}\n}}\n\
             service anvil {{\n  chroot =\n}}\nservice imap {{\n  process_limit = 16\n}}\n{extra}",
            d = d.display()
        );
        std::fs::write(d.join("dovecot.conf"), conf).unwrap();
        let child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(d.join("dovecot.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let dc = Dovecot { dir, port, child };
        let t = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                t.elapsed() < Duration::from_secs(20),
                "dovecot did not listen: {}",
                std::fs::read_to_string(dc.dir.path().join("dovecot.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dc
    }

    /// The `[mail]` section of a dropgate.toml reading this server.
    pub fn config(&self, extra: &str) -> String {
        format!(
            "[mail]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nuser = \"orders\"\npassword = \"secret\"\n\
             poll_secs = 1\ntimeout_secs = 20\ndkim_keys = \"{}\"\n{extra}",
            self.port,
            fixture("dkim-test-keys.toml").display()
        )
    }

    pub fn maildir(&self) -> PathBuf {
        self.dir.path().join("mail/orders")
    }

    /// Delivers a message into the INBOX the way a mail server does: written
    /// in `tmp/`, renamed into `new/`.
    pub fn deliver(&self, name: &str, bytes: &[u8]) {
        let tmp = self.maildir().join("tmp").join(name);
        std::fs::write(&tmp, bytes).unwrap();
        std::fs::rename(&tmp, self.maildir().join("new").join(name)).unwrap();
    }

    /// The messages in a folder (`""` for the INBOX), their bytes.
    pub fn folder(&self, name: &str) -> Vec<Vec<u8>> {
        let base = if name.is_empty() { self.maildir() } else { self.maildir().join(format!(".{name}")) };
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(rd) = std::fs::read_dir(base.join(sub)) {
                for e in rd.flatten() {
                    out.push(std::fs::read(e.path()).unwrap());
                }
            }
        }
        out
    }

    /// Waits until `folder` holds `n` messages (and the INBOX none).
    pub fn wait_for(&self, folder: &str, n: usize, within: Duration) {
        let t = Instant::now();
        loop {
            if self.folder(folder).len() >= n && self.folder("").is_empty() {
                return;
            }
            assert!(
                t.elapsed() < within,
                "{folder} has {} messages, not {n}; INBOX {}",
                self.folder(folder).len(),
                self.folder("").len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

pub fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/mail").join(name)
}

/// A message from `from` with attachments (name, content type, bytes), base64 encoded.
pub fn message(from: &str, message_id: &str, attachments: &[(&str, &str, &[u8])]) -> Vec<u8> {
    use base64::Engine;
    let mut m = format!(
        "From: Orders <{from}>\r\nTo: orders@wholesale.example\r\nSubject: Purchase order {message_id}\r\n\
         Date: Wed, 02 Dec 2026 05:00:00 +0000\r\nMessage-ID: <{message_id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\n--=_b\r\nContent-Type: text/plain\r\n\r\n\
         Our order is attached.\r\n"
    );
    for (name, ctype, bytes) in attachments {
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        m.push_str(&format!(
            "--=_b\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\n\
             Content-Transfer-Encoding: base64\r\n\r\n"
        ));
        for chunk in b64.as_bytes().chunks(76) {
            m.push_str(std::str::from_utf8(chunk).unwrap());
            m.push_str("\r\n");
        }
    }
    m.push_str("--=_b--\r\n");
    m.into_bytes()
}

/// Signs messages in place with the test key, as `d=DOMAIN; s=SELECTOR` (dkimpy).
pub fn sign(files: &[PathBuf], selector: &str, domain: &str) {
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/test-venv");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/dkim_sign.py");
    for chunk in files.chunks(500) {
        let out = Command::new(&venv)
            .arg("python")
            .arg(&script)
            .arg(fixture("dkim-test-rsa.pem"))
            .arg(selector)
            .arg(domain)
            .args(chunk)
            .output()
            .expect("run tools/test-venv");
        assert_ne!(out.status.code(), Some(90), "tools/test-venv: {}", String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "dkim_sign.py: {}", String::from_utf8_lossy(&out.stderr));
    }
}

/// One message signed with the test key.
pub fn signed(bytes: &[u8], selector: &str, domain: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("m.eml");
    std::fs::write(&f, bytes).unwrap();
    sign(std::slice::from_ref(&f), selector, domain);
    std::fs::read(&f).unwrap()
}
