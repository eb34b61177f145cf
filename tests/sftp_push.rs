//! Delivery to the retailer's own SFTP server, against a real OpenSSH
//! `sshd` running unprivileged inside `unshare --mount` (with a private
//! tmpfs on /run): the file is written under a temporary name, then
//! renamed; while the server is down the document is retried with
//! backoff and delivered once it is back; refused credentials dead-letter
//! it with the reason.

mod common;

use common::{po850, Install, Serve};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Sshd {
    child: Child,
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn keygen(path: &Path) -> String {
    let ok = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(path).status().unwrap();
    assert!(ok.success(), "ssh-keygen");
    std::fs::read_to_string(path.with_extension("pub")).unwrap().trim().to_string()
}

fn user() -> String {
    let out = Command::new("id").arg("-un").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

fn wait_port(port: u16) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "sshd did not listen");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Starts sshd on `port` with its files under `home`; its log goes to `home/sshd.log`.
fn sshd(home: &Path, port: u16, authorized: &str) -> Sshd {
    std::fs::write(home.join("authorized_keys"), format!("{authorized}\n")).unwrap();
    let cfg = home.join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile none\nAuthorizedKeysFile {ak}\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nAllowUsers {user}\nLogLevel VERBOSE\n\
             Subsystem sftp internal-sftp\nForceCommand internal-sftp\n",
            hk = home.join("host_key").display(),
            ak = home.join("authorized_keys").display(),
            user = user(),
        ),
    )
    .unwrap();
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && chmod 755 /run/sshd && exec /usr/sbin/sshd -D -e -f {}",
        cfg.display()
    );
    let mut cmd = Command::new("unshare");
    if !Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false) {
        cmd.arg("--map-root-user");
    }
    let log = std::fs::OpenOptions::new().create(true).append(true).open(home.join("sshd.log")).unwrap();
    let child = cmd
        .args(["--mount", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start sshd under unshare (needs openssh-server and util-linux)");
    wait_port(port);
    Sshd { child }
}

struct Setup {
    i: Install,
    home: tempfile::TempDir,
    remote: PathBuf,
    port: u16,
    client_pub: String,
}

fn setup(key: &str) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let remote = home.path().join("inbox");
    std::fs::create_dir_all(&remote).unwrap();
    let host_pub = keygen(&home.path().join("host_key"));
    let client_pub = keygen(&home.path().join("client"));
    keygen(&home.path().join("stranger"));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let i = Install::new(common::sqlite_db());
    let profile = format!(
        "id = \"acme\"\nname = \"Acme\"\n[x12]\nsender_id = \"ZZ:ACME\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
         [delivery]\nmethod = \"sftp_push\"\n[delivery.sftp]\nhost = \"127.0.0.1\"\nport = {port}\nuser = \"{}\"\n\
         key = \"{}\"\nremote_dir = \"{}\"\nhost_key = \"{host_pub}\"\n",
        user(),
        home.path().join(key).display(),
        remote.display()
    );
    let f = i.path().join("acme.toml");
    std::fs::write(&f, profile).unwrap();
    i.ok(&["retailer", "apply", f.to_str().unwrap()]);
    i.stock("sku,on_hand,upc\nLAMP,10,012345678905\n");
    Setup { i, home, remote, port, client_pub }
}

fn order_and_ship(i: &Install) {
    let lines: &[(&str, u32, &str)] = &[("012345678905", 2, "24.50")];
    i.ingest("acme", "po.edi", &po850("ACME", 1, &[("PO1", lines)]));
    i.ok(&["ship", "PO1", "--carrier", "UPSN", "--tracking", "1ZS1"]);
}

fn outbox(i: &Install) -> Vec<serde_json::Value> {
    i.json(&["outbox", "list"]).as_array().unwrap().clone()
}

#[test]
fn every_document_arrives_whole() {
    let s = setup("client");
    let _sshd = sshd(s.home.path(), s.port, &s.client_pub);
    order_and_ship(&s.i);
    s.i.ok(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    let rows = outbox(&s.i);
    assert!(rows.iter().all(|r| r["state"] == "delivered"), "{rows:?}");
    let mut names: Vec<String> =
        std::fs::read_dir(&s.remote).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    let mut expected: Vec<String> = rows.iter().map(|r| r["file_name"].as_str().unwrap().to_string()).collect();
    expected.sort();
    assert_eq!(names, expected, "every document, no temporary file left");
    for r in &rows {
        let id = r["id"].as_i64().unwrap().to_string();
        let bytes = s.i.cmd().args(["outbox", "show", &id, "--raw"]).output().unwrap().stdout;
        assert_eq!(std::fs::read(s.remote.join(r["file_name"].as_str().unwrap())).unwrap(), bytes);
    }
}

#[test]
fn a_file_gets_its_name_only_once_complete() {
    let s = setup("client");
    let _sshd = sshd(s.home.path(), s.port, &s.client_pub);
    // The 856's name (the third interchange) is taken by a directory: the
    // rename into place fails, and the complete file waits under its temporary name.
    std::fs::create_dir(s.remote.join("856_000000003.edi")).unwrap();
    order_and_ship(&s.i);
    s.i.ok(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    let rows = outbox(&s.i);
    let asn = rows.iter().find(|r| r["kind"] == "856").unwrap();
    assert_eq!(asn["state"], "pending", "{asn:?}");
    assert!(asn["last_error"].as_str().unwrap().contains("856_000000003.edi"), "{asn:?}");
    let id = asn["id"].as_i64().unwrap().to_string();
    let bytes = s.i.cmd().args(["outbox", "show", &id, "--raw"]).output().unwrap().stdout;
    assert_eq!(std::fs::read(s.remote.join(".856_000000003.edi.part")).unwrap(), bytes);
    // Once the name is free, the retry renames it into place.
    std::fs::remove_dir(s.remote.join("856_000000003.edi")).unwrap();
    s.i.ok(&["outbox", "retry", &id]);
    s.i.ok(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    assert_eq!(std::fs::read(s.remote.join("856_000000003.edi")).unwrap(), bytes);
    assert!(!s.remote.join(".856_000000003.edi.part").exists());
}

#[test]
fn retried_while_the_server_is_down_and_delivered_when_back() {
    let s = setup("client");
    order_and_ship(&s.i);
    // No server yet: the first attempts fail and are retried with backoff.
    let cfg = std::fs::read_to_string(s.i.config()).unwrap();
    std::fs::write(s.i.config(), cfg.replace("[outbox]", "[outbox]\nmax_attempts = 30")).unwrap();
    let serve = Serve(s.i.cmd().arg("serve").spawn().unwrap());
    let t = Instant::now();
    loop {
        let rows = outbox(&s.i);
        if rows.iter().all(|r| r["attempts"].as_i64().unwrap() >= 2) {
            assert!(rows.iter().all(|r| r["state"] == "pending"));
            assert!(rows[0]["last_error"].as_str().unwrap().contains("cannot connect"), "{rows:?}");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(60), "no retries: {rows:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    let _sshd = sshd(s.home.path(), s.port, &s.client_pub);
    let t = Instant::now();
    while outbox(&s.i).iter().any(|r| r["state"] != "delivered") {
        assert!(t.elapsed() < Duration::from_secs(120), "not delivered: {:?}", outbox(&s.i));
        std::thread::sleep(Duration::from_millis(200));
    }
    assert!(serve.stop().success());
    assert_eq!(std::fs::read_dir(&s.remote).unwrap().count(), outbox(&s.i).len());
}

#[test]
fn refused_credentials_dead_letter_with_the_reason() {
    let s = setup("stranger");
    let _sshd = sshd(s.home.path(), s.port, &s.client_pub);
    order_and_ship(&s.i);
    s.i.ok(&["batch", "run", "--retailer", "acme", "--kind", "asn", "--deliver"]);
    let dead = s.i.json(&["outbox", "list", "--state", "dead"]);
    let dead = dead.as_array().unwrap();
    assert_eq!(dead.len(), outbox(&s.i).len(), "every document dead-lettered");
    assert!(dead[0]["last_error"].as_str().unwrap().contains("login refused"), "{dead:?}");
    assert_eq!(dead[0]["attempts"], 1);
    assert_eq!(std::fs::read_dir(&s.remote).unwrap().count(), 0);
    // Fixed on the server's side, re-sent by the admin.
    std::fs::write(s.home.path().join("authorized_keys"), "").unwrap();
    let stranger = std::fs::read_to_string(s.home.path().join("stranger.pub")).unwrap();
    std::fs::write(s.home.path().join("authorized_keys"), stranger).unwrap();
    let id = dead[0]["id"].as_i64().unwrap().to_string();
    s.i.ok(&["outbox", "retry", &id]);
    s.i.ok(&["ingest", "--deliver", s.i.path().join("po.edi").to_str().unwrap()]);
    let row =
        s.i.json(&["outbox", "list"])
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"].as_i64().map(|v| v.to_string()) == Some(id.clone()))
            .unwrap()
            .clone();
    assert_eq!(row["state"], "delivered", "{row:?}");
}
