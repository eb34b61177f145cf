//! The built-in SFTP server, driven by the real OpenSSH `sftp` client in
//! batch mode against a running `serve`: uploads (direct and `.part` then
//! rename) are orders when the command returns; `/outbound` lists, serves
//! and acknowledges the answers; refused operations say so; logins with a
//! wrong key, another retailer's key or a wrong password fail.
//!
//! Needs `sftp` and `ssh-keygen` (openssh-client) and `sshpass` (package
//! `sshpass`) on the PATH.

mod common;

use dropgate::demo::{x12_850, SamplePo};
use dropgate::formats::x12::PartyId;
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Starts `serve` (log in serve.log) and waits until it listens on `port`.
fn start_serve(i: &common::Install, port: u16) -> common::Serve {
    let log = std::fs::File::create(i.path().join("serve.log")).unwrap();
    let child = i
        .cmd()
        .env("RUST_LOG", "info")
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::from(log))
        .spawn()
        .expect("start serve");
    let s = common::Serve(child);
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "serve did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
    s
}

fn need(tool: &str, package: &str) {
    let found =
        std::env::var_os("PATH").map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file())).unwrap_or(false);
    assert!(found, "`{tool}` is not installed: install the `{package}` package (e.g. apt-get install {package})");
}

fn keygen(dir: &Path, name: &str) -> PathBuf {
    let key = dir.join(name);
    let out = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", name, "-f"])
        .arg(&key)
        .output()
        .expect("run ssh-keygen");
    assert!(out.status.success(), "ssh-keygen: {out:?}");
    key
}

fn public(key: &Path) -> String {
    std::fs::read_to_string(key.with_extension("pub")).unwrap().trim().to_string()
}

fn pos(control: u32, prefix: &str, n: usize) -> Vec<u8> {
    let pos: Vec<SamplePo> = (1..=n)
        .map(|k| SamplePo::new(&format!("{prefix}{k:02}"), &format!("Buyer {k}"), &[("UP", "012345678905", 1)]))
        .collect();
    let sender = PartyId { qualifier: "ZZ".into(), id: "ACMEHOME".into() };
    let receiver = PartyId { qualifier: "ZZ".into(), id: "DROPGATE".into() };
    x12_850(&sender, &receiver, control, &pos)
}

struct Env {
    i: common::Install,
    port: u16,
    keys: tempfile::TempDir,
    serve: Option<common::Serve>,
}

impl Env {
    fn new(db: common::TestDb) -> Env {
        Env::with(db, "ban_after_failures = 1000\n")
    }

    /// An installation with acme and other, and `serve` running with these
    /// extra `[sftp]` settings. Uploads go into the database in chunks of
    /// 16 KiB, so that most uploads here take several.
    fn with(db: common::TestDb, sftp_settings: &str) -> Env {
        need("sftp", "openssh-client");
        need("ssh-keygen", "openssh-client");
        let i = common::Install::new(db);
        let keys = tempfile::tempdir().unwrap();
        for name in ["acme", "other", "stranger"] {
            keygen(keys.path(), name);
        }
        // acme picks its documents up over SFTP: no [folders].
        for (id, sender) in [("acme", "ZZ:ACMEHOME"), ("other", "ZZ:OTHERCO")] {
            let text = format!(
                "id = \"{id}\"\nname = \"{id} stores\"\n[x12]\nsender_id = \"{sender}\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
                 [sftp]\nauthorized_keys = [\"{}\"]\n",
                public(&keys.path().join(id))
            );
            let f = i.path().join(format!("{id}.toml"));
            std::fs::write(&f, text).unwrap();
            i.ok(&["retailer", "apply", f.to_str().unwrap()]);
        }
        i.stock("sku,on_hand,upc,vendor_sku\nA,1000,012345678905,A-VENDOR\n");
        let port = i.enable_sftp(&format!("chunk_bytes = 16384\n{sftp_settings}"));
        let serve = Some(start_serve(&i, port));
        Env { i, port, keys, serve }
    }

    fn key(&self, name: &str) -> PathBuf {
        self.keys.path().join(name)
    }

    fn ssh_args(&self) -> Vec<String> {
        [
            "-b",
            "-",
            "-P",
            &self.port.to_string(),
            "-o",
            "StrictHostKeyChecking=no",
            "-o",
            "UserKnownHostsFile=/dev/null",
            "-o",
            "LogLevel=ERROR",
            "-o",
            "ConnectTimeout=20",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    }

    fn run(&self, mut cmd: Command, script: &str) -> Output {
        cmd.current_dir(self.i.path()).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("run sftp");
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    }

    /// Runs a batch script as `user` with a key.
    fn sftp(&self, user: &str, key: &str, script: &str) -> Output {
        self.run(self.sftp_cmd(user, key), script)
    }

    fn sftp_cmd(&self, user: &str, key: &str) -> Command {
        let mut cmd = Command::new("timeout");
        cmd.args(["120", "sftp"]).args(self.key_args(user, key));
        cmd
    }

    fn key_args(&self, user: &str, key: &str) -> Vec<String> {
        let mut v = self.ssh_args();
        v.push("-i".into());
        v.push(self.key(key).display().to_string());
        for a in
            ["-o", "IdentitiesOnly=yes", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no"]
        {
            v.push(a.into());
        }
        v.push(format!("{user}@127.0.0.1"));
        v
    }

    /// Runs a batch script against another instance's port.
    fn sftp_at(&self, port: u16, user: &str, key: &str, script: &str) -> Output {
        let mut args = self.key_args(user, key);
        let p = args.iter().position(|a| a == "-P").unwrap();
        args[p + 1] = port.to_string();
        let mut cmd = Command::new("timeout");
        cmd.args(["120", "sftp"]).args(args);
        self.run(cmd, script)
    }

    /// Starts a session and keeps it open (its stdin stays open) until the
    /// child is dropped or killed.
    fn hold(&self, user: &str, key: &str) -> Child {
        let mut cmd = self.sftp_cmd(user, key);
        cmd.current_dir(self.i.path()).stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null());
        let mut child = cmd.spawn().expect("run sftp");
        child.stdin.as_mut().unwrap().write_all(b"pwd\n").unwrap();
        child
    }

    /// Waits until the log holds `needle` at least `n` times.
    fn wait_log(&self, needle: &str, n: usize) {
        let t = Instant::now();
        while self.log().matches(needle).count() < n {
            assert!(t.elapsed() < Duration::from_secs(30), "no {n}× {needle:?} in the log:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Uploads in progress or left unfinished (their chunks in the
    /// database), as `dropgate doctor` sees them.
    fn unfinished(&self) -> i64 {
        let out = self.i.run(&["doctor", "--json"]);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("doctor --json ({e}): {out:?}"));
        v["sftp"]["unfinished_uploads"].as_i64().unwrap_or_else(|| panic!("doctor --json: {v}"))
    }

    /// Waits until an upload has chunks in the database.
    fn wait_upload_started(&self) {
        let t = Instant::now();
        while self.unfinished() == 0 {
            assert!(t.elapsed() < Duration::from_secs(30), "the upload did not start");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Waits until no upload is left unfinished.
    fn wait_nothing_unfinished(&self, within: Duration) {
        let t = Instant::now();
        while self.unfinished() > 0 {
            assert!(t.elapsed() < within, "unfinished uploads left: {}", self.unfinished());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs a batch script as `user` with a password (through sshpass).
    fn sftp_password(&self, user: &str, password: &str, script: &str) -> Output {
        need("sshpass", "sshpass");
        let mut cmd = Command::new("timeout");
        // Before -b, which turns BatchMode on (ssh keeps the first value given).
        cmd.args(["120", "sshpass", "-p", password, "sftp", "-o", "BatchMode=no"]).args(self.ssh_args()).args([
            "-o",
            "PubkeyAuthentication=no",
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
            &format!("{user}@127.0.0.1"),
        ]);
        self.run(cmd, script)
    }

    fn ok(&self, out: &Output) -> String {
        assert!(
            out.status.success(),
            "sftp failed ({:?}):\n{}\n{}\nserve log:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.i.path().join("serve.log")).unwrap_or_default()
    }

    fn po_numbers(&self) -> Vec<String> {
        let orders = self.i.json(&["orders", "list", "--limit", "1000"]);
        let mut v: Vec<String> =
            orders.as_array().unwrap().iter().map(|o| o["po_number"].as_str().unwrap().to_string()).collect();
        v.sort();
        v
    }

    fn outbox(&self, state: &str) -> Vec<Value> {
        let v = self.i.json(&["outbox", "list", "--retailer", "acme", "--state", state]);
        v.as_array().unwrap().clone()
    }

    /// File names in a `ls -1` listing.
    fn listing(&self, user: &str, key: &str, dir: &str) -> Vec<String> {
        let out = self.ok(&self.sftp(user, key, &format!("ls -1 {dir}\n")));
        let mut v: Vec<String> = out
            .lines()
            .filter(|l| !l.starts_with("sftp>") && !l.trim().is_empty())
            .map(|l| l.trim().rsplit('/').next().unwrap().to_string())
            .collect();
        v.sort();
        v
    }
}

fn run(db: common::TestDb) {
    let env = Env::new(db);
    let dir = env.i.path();
    std::fs::write(dir.join("po1.edi"), pos(101, "DIRECT", 3)).unwrap();
    std::fs::write(dir.join("po2.edi"), pos(102, "PART", 2)).unwrap();

    // The tree: / holds inbound and outbound, and nothing else.
    assert_eq!(env.listing("acme", "acme", "/"), ["inbound", "outbound"]);

    // A plain put: the orders are in the store when the command returns.
    env.ok(&env.sftp("acme", "acme", "cd /inbound\nput po1.edi PO1.edi\n"));
    assert_eq!(env.po_numbers(), ["DIRECT01", "DIRECT02", "DIRECT03"]);

    // Put as .part, listed while it waits, then renamed into place.
    let out = env.ok(&env.sftp("acme", "acme", "cd /inbound\nput po2.edi PO2.edi.part\nls -1\n"));
    assert!(out.contains("PO2.edi.part"), "the .part file is listed while it waits: {out}");
    assert_eq!(env.po_numbers().len(), 3, "not taken before the rename");
    env.ok(&env.sftp("acme", "acme", "rename /inbound/PO2.edi.part /inbound/PO2.edi\n"));
    assert_eq!(env.po_numbers(), ["DIRECT01", "DIRECT02", "DIRECT03", "PART01", "PART02"]);
    assert!(env.listing("acme", "acme", "/inbound").is_empty(), "nothing left waiting in /inbound");
    let docs = env.i.json(&["documents", "list"]);
    let docs = docs.as_array().unwrap();
    assert_eq!(docs.len(), 2, "{docs:?}");
    for d in docs {
        assert_eq!(d["source"], "sftp:acme", "{d}");
    }

    // The answers wait in /outbound (acme has no outbound folder): 2 997s
    // and 5 855s, pending, with no delivery attempt counted.
    let pending = env.outbox("pending");
    assert_eq!(pending.len(), 7, "{pending:?}");
    assert!(pending.iter().all(|r| r["attempts"] == 0), "{pending:?}");
    let mut names: Vec<String> = pending.iter().map(|r| r["file_name"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(env.listing("acme", "acme", "/outbound"), names);
    assert_eq!(names.iter().filter(|n| n.starts_with("997")).count(), 2);
    assert_eq!(names.iter().filter(|n| n.starts_with("855")).count(), 5);
    let out = env.ok(&env.sftp("acme", "acme", "ls -l /outbound\n"));
    let row = pending.iter().find(|r| r["file_name"] == names[0].as_str()).unwrap();
    let line = out.lines().find(|l| l.ends_with(names[0].as_str())).unwrap();
    assert!(line.contains(&format!(" {} ", row["size"])), "ls -l shows the size: {line} / {row}");

    // get: byte for byte; rm: picked up, gone from the listing.
    let first = &names[0];
    env.ok(&env.sftp("acme", "acme", &format!("get /outbound/{first} got.edi\n")));
    let id = row["id"].as_i64().unwrap().to_string();
    let raw = env.i.cmd().args(["outbox", "show", &id, "--raw"]).output().unwrap();
    assert!(raw.status.success());
    assert_eq!(std::fs::read(dir.join("got.edi")).unwrap(), raw.stdout, "the download is the outbox document");
    env.ok(&env.sftp("acme", "acme", &format!("rm /outbound/{first}\n")));
    let after = env.listing("acme", "acme", "/outbound");
    assert_eq!(after.len(), 6);
    assert!(!after.contains(first));
    let picked = env.outbox("picked_up");
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0]["file_name"], first.as_str());

    // A large document (in chunks, the last one short) is read from the
    // store a chunk at a time: reads of 100,000 bytes cross the chunks' edges.
    let big: Vec<u8> = (0..2 * dropgate::store::blobs::CHUNK + 123_457).map(|i| (i * 7 % 251) as u8).collect();
    let big_id = {
        use dropgate::store::outbox::{self, NewOutboxRow};
        let mut c = dropgate::store::connect(&env.i.db.url).unwrap();
        let now = dropgate::store::now_micros();
        let row = NewOutboxRow {
            retailer_id: "acme".into(),
            document_id: None,
            order_id: None,
            kind: "846".into(),
            control: "900".into(),
            file_name: "846_BIG.edi".into(),
            payload: big.clone(),
            state: outbox::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        };
        outbox::enqueue_many(&mut c, &[row]).unwrap()[0]
    };
    let out = env.ok(&env.sftp("acme", "acme", "ls -l /outbound/846_BIG.edi\n"));
    assert!(out.contains(&format!(" {} ", big.len())), "ls -l shows the size of a large document: {out}");
    let mut cmd = Command::new("timeout");
    cmd.args(["120", "sftp", "-B", "100000"]).args(env.key_args("acme", "acme"));
    env.ok(&env.run(cmd, "get /outbound/846_BIG.edi big.edi\n"));
    assert!(std::fs::read(dir.join("big.edi")).unwrap() == big, "a large download is the document, byte for byte");
    let raw = env.i.cmd().args(["outbox", "show", &big_id.to_string(), "--raw"]).output().unwrap();
    assert!(raw.status.success() && raw.stdout == big, "outbox show --raw gives a large document whole");
    env.ok(&env.sftp("acme", "acme", "rm /outbound/846_BIG.edi\n"));
    assert_eq!(env.outbox("picked_up").len(), 2);

    // Refused operations, each with its message; the session goes on.
    let out = env.sftp(
        "acme",
        "acme",
        &format!(
            "-mkdir /inbound/sub\n-mkdir /x\n-put po1.edi /outbound/mine.edi\n-put po1.edi /elsewhere.edi\n\
             -get /outbound/../../etc/passwd stolen\n-get /inbound/../outbound/{} via-dotdot\n\
             cd /inbound\ncd ..\ncd ..\ncd ..\npwd\n-cd /etc\n-rm /outbound/no-such-file\n-rmdir /inbound\n\
             -rename /outbound/{} /inbound/x.edi\n-ln -s /inbound /inbound/link\n-ls /outbound/../..\n",
            names[1], names[1]
        ),
    );
    let stdout = env.ok(&out);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("remote mkdir \"/inbound/sub\": Permission denied"), "{stderr}");
    assert!(stderr.contains("remote mkdir \"/x\": Permission denied"), "{stderr}");
    assert!(stderr.contains("dest open \"/outbound/mine.edi\": Permission denied"), "{stderr}");
    assert!(stderr.contains("dest open \"/elsewhere.edi\": Permission denied"), "{stderr}");
    assert!(!dir.join("stolen").exists() && !dir.join("via-dotdot").exists());
    assert!(stderr.contains("Permission denied"), "{stderr}");
    assert!(stdout.contains("Remote working directory: /\n"), "cd .. stops at the root: {stdout}");
    assert!(stderr.contains("No such file"), "{stderr}");
    assert_eq!(env.listing("acme", "acme", "/outbound").len(), 6, "nothing changed");
    assert_eq!(env.po_numbers().len(), 5, "nothing was taken");

    // Another retailer sees its own (empty) tree, never acme's files.
    assert!(env.listing("other", "other", "/outbound").is_empty());
    let out = env.sftp("other", "other", &format!("get /outbound/{} theirs.edi\n", names[1]));
    assert!(!out.status.success() && !dir.join("theirs.edi").exists());

    // Logins refused: an unknown key, another retailer's key, an unknown user.
    for (user, key) in [("acme", "stranger"), ("acme", "other"), ("nobody", "acme")] {
        let out = env.sftp(user, key, "ls /\n");
        assert!(!out.status.success(), "{user} with {key}'s key must be refused");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("Permission denied"), "{user}/{key}: {err}");
    }

    // A password, set with `retailer passwd` (read from stdin, never printed).
    let mut child = env
        .i
        .cmd()
        .args(["retailer", "passwd", "acme"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"correct horse battery\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("horse"));
    let out = env.sftp_password("acme", "correct horse battery", "ls -1 /outbound\n");
    let listed = env.ok(&out);
    assert!(listed.contains(&names[1]), "{listed}");
    for (user, pw) in [("acme", "wrong horse"), ("nobody", "correct horse battery"), ("other", "correct horse battery")]
    {
        let out = env.sftp_password(user, pw, "ls /\n");
        assert!(!out.status.success(), "{user}/{pw} must be refused");
    }

    let log = env.log();
    assert!(log.contains("SFTP server listening") && log.contains("host_key=SHA256:"), "{log}");
    assert!(!log.contains("correct horse"), "no password in the logs");

    // The admin sees the SFTP activity: logins (and failed ones of known
    // retailers), uploads with their documents, downloads, pickups.
    let t = Instant::now();
    let activity = loop {
        let a = env.i.json(&["documents", "list", "--sftp", "--limit", "1000"]);
        let kinds: Vec<String> =
            a.as_array().unwrap().iter().map(|e| e["what"].as_str().unwrap_or_default().to_string()).collect();
        if ["login", "login_failed", "upload", "download", "picked_up"].iter().all(|k| kinds.iter().any(|x| x == k))
            || t.elapsed() > Duration::from_secs(10)
        {
            break a;
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let events = activity.as_array().unwrap();
    let of = |what: &str| events.iter().filter(|e| e["what"] == what).collect::<Vec<_>>();
    assert!(of("login")
        .iter()
        .any(|e| e["retailer_id"] == "acme" && e["detail"].as_str().unwrap().contains("with password")));
    assert!(of("login")
        .iter()
        .any(|e| e["retailer_id"] == "other" && e["detail"].as_str().unwrap().contains("with publickey")));
    assert!(of("login_failed").iter().all(|e| e["retailer_id"] == "acme" || e["retailer_id"] == "other"), "{activity}");
    assert!(!of("login_failed").is_empty() && of("login_failed").iter().all(|e| e["retailer_id"] != "nobody"));
    let uploads = of("upload");
    assert!(
        uploads
            .iter()
            .any(|e| !e["document_id"].is_null() && e["detail"].as_str().unwrap().contains(" bytes) by 127.0.0.1:")),
        "{activity}"
    );
    assert!(!of("download").is_empty() && !of("picked_up").is_empty(), "{activity}");
    let text = env.i.ok(&["documents", "list", "--sftp", "--retailer", "other"]);
    assert!(text.contains("login") && !text.contains("acme"), "{text}");
    let mut env = env;
    let status = env.serve.take().unwrap().stop();
    assert!(status.success(), "serve exits cleanly on SIGTERM: {status:?}");
}

#[test]
fn sftp_inbound_and_outbound_on_sqlite() {
    run(common::sqlite_db());
}

#[test]
fn sftp_inbound_and_outbound_on_postgres() {
    if let Some(db) = common::pg_db("sftp_inbound_and_outbound_on_postgres") {
        run(db);
    }
}

/// The host key is made by `init`, mode 0600, and stays the same across starts.
#[test]
fn host_key_is_made_once_and_kept_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(common::bin())
        .current_dir(dir.path())
        .env_remove("DATABASE_URL")
        .env_remove("DROPGATE_CONFIG")
        .args(["--config", "dropgate.toml", "init"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("SFTP host key: SHA256:"), "{out:?}");
    let data = dir.path().join("data");
    let key = data.join(dropgate::intake::sftp::HOST_KEY_FILE);
    let mode = std::fs::metadata(&key).expect("init makes the host key").permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let before = std::fs::read(&key).unwrap();
    let (_, fp1) = dropgate::intake::sftp::host_key(&data).unwrap();
    let (_, fp2) = dropgate::intake::sftp::host_key(&data).unwrap();
    assert_eq!(fp1, fp2);
    assert!(fp1.starts_with("SHA256:"));
    assert_eq!(std::fs::read(&key).unwrap(), before);
}

/// Limits and defences: an oversized file, a client killed mid-upload,
/// temp files left over, too many sessions, a ban after failed logins and
/// its expiry.
#[test]
fn sftp_limits_and_defences() {
    let mut env = Env::with(
        common::sqlite_db(),
        "max_file_bytes = 1000000\nmax_sessions_per_retailer = 2\nmax_sessions_per_ip = 3\nauth_timeout_secs = 2\n\
         ban_after_failures = 3\nban_secs = 3\n",
    );
    let dir = env.i.path().to_path_buf();
    let dir = dir.as_path();

    // Too large: refused with a message, nothing taken, nothing left.
    let mut big = pos(201, "BIG", 1);
    big.resize(1_500_000, b'\n');
    std::fs::write(dir.join("big.edi"), &big).unwrap();
    let out = env.sftp("acme", "acme", "put big.edi /inbound/BIG.edi\n");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    // OpenSSH shows the status, the log the reason.
    assert!(err.contains("Failure"), "{err}");
    env.wait_log("oversized upload refused", 1);
    assert!(env.i.json(&["documents", "list"]).as_array().unwrap().is_empty());
    env.wait_nothing_unfinished(Duration::from_secs(10));

    // A client killed mid-upload: nothing in the ledger, nothing left.
    let mut slow = pos(202, "TORN", 1);
    slow.resize(900_000, b'\n');
    std::fs::write(dir.join("torn.edi"), &slow).unwrap();
    // Throttled by the client (-l 400 Kbit/s, in 16 KiB writes), so the upload takes a while.
    let mut child = Command::new("sftp")
        .args(["-l", "400", "-B", "16384"])
        .args(env.key_args("acme", "acme"))
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.as_mut().unwrap().write_all(b"put torn.edi /inbound/TORN.edi\n").unwrap();
    env.wait_upload_started();
    // SIGKILL: the client has no chance to close anything.
    let _ = child.kill();
    let _ = child.wait();
    env.wait_nothing_unfinished(Duration::from_secs(10));
    assert!(env.i.json(&["documents", "list"]).as_array().unwrap().is_empty(), "nothing in the ledger");
    env.wait_log("uploads not closed; nothing was taken", 1);

    // Two sessions at once for acme; a third is refused, another retailer is not.
    let logged_in = env.log().matches("logged in").count();
    let mut held = vec![env.hold("acme", "acme"), env.hold("acme", "acme")];
    env.wait_log("logged in", logged_in + 2);
    let out = env.sftp("acme", "acme", "ls /\n");
    assert!(!out.status.success(), "a third session is refused");
    assert!(env.log().contains("too many sessions for this retailer"), "{}", env.log());
    env.ok(&env.sftp("other", "other", "ls /\n"));
    // A third session from this address is fine, a fourth is not.
    held.push(env.hold("other", "other"));
    env.wait_log("logged in", logged_in + 4);
    assert!(!env.sftp("other", "other", "ls /\n").status.success(), "a fourth session from one address");
    assert!(env.log().contains("too many sessions from this address"), "{}", env.log());
    for c in &mut held {
        drop(c.stdin.take());
        let _ = c.wait();
    }
    env.ok(&env.sftp("acme", "acme", "ls /\n"));

    // A connection that does not log in is closed after auth_timeout_secs.
    {
        use std::io::Read;
        let mut tcp = std::net::TcpStream::connect(("127.0.0.1", env.port)).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        tcp.write_all(b"SSH-2.0-idle_client\r\n").unwrap();
        let t = Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            match tcp.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
        let waited = t.elapsed();
        assert!(waited >= Duration::from_millis(1500) && waited < Duration::from_secs(15), "closed after {waited:?}");
    }

    // Three failed logins ban the address, even for the right key; the ban expires.
    for _ in 0..3 {
        assert!(!env.sftp("acme", "stranger", "ls /\n").status.success());
    }
    assert!(env.log().contains("address banned"), "{}", env.log());
    assert!(!env.sftp("acme", "acme", "ls /\n").status.success(), "banned");
    std::thread::sleep(Duration::from_millis(3200));
    env.ok(&env.sftp("acme", "acme", "ls /\n"));

    // An upload a crash left unfinished is removed at the next start.
    assert!(env.serve.take().unwrap().stop().success());
    {
        use dropgate::store::blobs;
        let store = dropgate::store::Store::open(&env.i.db.url, 1).unwrap();
        let mut conn = store.conn().unwrap();
        let blob = blobs::create(&mut conn).unwrap();
        blobs::append(&mut conn, blob, 0, b"half a file").unwrap();
    }
    assert_eq!(env.unfinished(), 1);
    env.serve = Some(start_serve(&env.i, env.port));
    env.wait_log("removed unfinished SFTP uploads left by an earlier run", 1);
    assert_eq!(env.unfinished(), 0, "left-over uploads are removed at start");
    assert!(env.serve.take().unwrap().stop().success());
}

/// SIGTERM while an upload is in flight: the listener closes, the upload
/// finishes and is taken, then `serve` exits cleanly.
#[test]
fn sftp_shutdown_lets_an_upload_in_flight_finish() {
    let mut env = Env::new(common::sqlite_db());
    let dir = env.i.path().to_path_buf();
    let mut body = pos(301, "LATE", 1);
    body.resize(150_000, b'\n');
    std::fs::write(dir.join("late.edi"), &body).unwrap();
    let mut child = Command::new("sftp")
        .args(["-l", "400", "-B", "16384"])
        .args(env.key_args("acme", "acme"))
        .current_dir(&dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(b"put late.edi /inbound/LATE.edi\n").unwrap();
    env.wait_upload_started();
    let serve = env.serve.take().unwrap();
    let _ = Command::new("kill").arg("-TERM").arg(serve.0.id().to_string()).status();
    // New connections are no longer accepted.
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", env.port)).is_ok() {
        assert!(t.elapsed() < Duration::from_secs(10), "still listening after SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "the upload in flight finishes: {}", String::from_utf8_lossy(&out.stderr));
    assert!(serve.stop().success());
    assert_eq!(env.po_numbers(), ["LATE01"]);
}

fn test_venv(args: &[&str]) -> Output {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/test-venv");
    let out = Command::new("bash").arg(tool).args(args).output().expect("run tools/test-venv");
    assert_ne!(out.status.code(), Some(90), "tools/test-venv could not set itself up: {out:?}");
    out
}

/// paramiko (PyPI): uploads with its size check, posix-rename, setstat,
/// refusals with their codes, NUL and non-UTF-8 names, READDIR over
/// several pages, get and rm, password logins, and the idle timeout.
#[test]
fn sftp_with_paramiko() {
    let env = Env::with(common::sqlite_db(), "idle_timeout_secs = 2\nban_after_failures = 1000\n");
    let dir = env.i.path().to_path_buf();
    // 150 orders first: /outbound then holds more than one READDIR page.
    std::fs::write(dir.join("many.edi"), pos(401, "MANY", 150)).unwrap();
    env.ok(&env.sftp("acme", "acme", "put many.edi /inbound/MANY.edi\n"));
    std::fs::write(dir.join("py1.edi"), pos(402, "PYONE", 2)).unwrap();
    std::fs::write(dir.join("py2.edi"), pos(403, "PYTWO", 1)).unwrap();
    let mut child = env.i.cmd().args(["retailer", "passwd", "acme"]).stdin(Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(b"paramiko pass\n").unwrap();
    assert!(child.wait().unwrap().success());

    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/sftp_paramiko.py");
    let key = env.key("acme");
    let out = test_venv(&[
        "python",
        script.to_str().unwrap(),
        &env.port.to_string(),
        key.to_str().unwrap(),
        "paramiko pass",
        dir.join("py1.edi").to_str().unwrap(),
        dir.join("py2.edi").to_str().unwrap(),
        dir.to_str().unwrap(),
        "2",
    ]);
    assert!(
        out.status.success(),
        "paramiko:\n{}\n{}\nserve log:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        env.log()
    );
    let seen: Value = serde_json::from_slice(&out.stdout).expect("JSON from the paramiko script");

    // Out of order: in place. A gap, a rewrite of a stored part: refused, not taken.
    let docs = env.i.json(&["documents", "list", "--limit", "1000"]);
    let by_name = |n: &str| docs.as_array().unwrap().iter().find(|d| d["name"] == n).cloned();
    let ooo = by_name("OOO.edi").expect("OOO.edi taken");
    let raw = env.i.cmd().args(["documents", "show", &ooo["id"].to_string(), "--raw"]).output().unwrap();
    assert_eq!(raw.stdout, b"HELLOWORLD");
    assert!(by_name("GAP.edi").is_none() && by_name("BACK.edi").is_none(), "{docs}");
    assert!(env.log().contains("bytes 0..100 of the file were never written"), "{}", env.log());
    assert!(seen["rewrite"].as_str().unwrap().contains("stored already"), "{}", seen["rewrite"]);
    assert!(env.log().contains("a write into the file was refused"), "{}", env.log());
    assert_eq!(seen["too_long_closed"], true);
    assert!(env.log().contains("a packet over the size limit; channel closed"), "{}", env.log());

    let pos = env.po_numbers();
    assert_eq!(pos.len(), 153, "150 + PYONE01-02 + PYTWO01");
    assert!(pos.contains(&"PYONE02".to_string()) && pos.contains(&"PYTWO01".to_string()));
    // Listed: every pending document, over two READDIR pages.
    let listed = seen["outbound"].as_array().unwrap().len();
    assert_eq!(listed, 156, "3 997 + 153 855 when paramiko listed");
    let got = seen["got"].as_str().unwrap();
    let picked = env.outbox("picked_up");
    assert_eq!(picked.len(), 1);
    assert_eq!(picked[0]["file_name"], got);
    let id = picked[0]["id"].as_i64().unwrap().to_string();
    let raw = env.i.cmd().args(["outbox", "show", &id, "--raw"]).output().unwrap();
    assert_eq!(std::fs::read(dir.join("paramiko-got.edi")).unwrap(), raw.stdout);
    assert!(env.log().contains("SFTP: login failed"), "failed logins are logged");
}

/// ssh-audit (PyPI) finds no weak algorithm. Only the post-quantum note on
/// curve25519 is let through (it stays for clients without ML-KEM).
#[test]
fn ssh_audit_finds_no_weak_algorithm() {
    let env = Env::new(common::sqlite_db());
    let out = test_venv(&["ssh-audit", "--skip-rate-test", "-j", "-p", &env.port.to_string(), "127.0.0.1"]);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("ssh-audit JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)));
    let mut problems = Vec::new();
    for section in ["kex", "key", "enc", "mac"] {
        for alg in report[section].as_array().unwrap_or(&Vec::new()) {
            let name = alg["algorithm"].as_str().unwrap_or("?");
            for level in ["fail", "warn"] {
                for note in alg["notes"][level].as_array().unwrap_or(&Vec::new()) {
                    let note = note.as_str().unwrap_or("");
                    if !(level == "warn" && note.contains("post-quantum")) {
                        problems.push(format!("{section} {name}: {level}: {note}"));
                    }
                }
            }
        }
    }
    assert!(report["cves"].as_array().is_none_or(|c| c.is_empty()), "{}", report["cves"]);
    assert!(problems.is_empty(), "ssh-audit: {problems:#?}");
    let enc: Vec<&str> = report["enc"].as_array().unwrap().iter().map(|a| a["algorithm"].as_str().unwrap()).collect();
    assert_eq!(enc, ["chacha20-poly1305@openssh.com", "aes256-gcm@openssh.com", "aes128-gcm@openssh.com"]);
    let key: Vec<&str> = report["key"].as_array().unwrap().iter().map(|a| a["algorithm"].as_str().unwrap()).collect();
    assert_eq!(key, ["ssh-ed25519"]);
    let mac: Vec<&str> = report["mac"].as_array().unwrap().iter().map(|a| a["algorithm"].as_str().unwrap()).collect();
    assert!(mac.iter().all(|m| m.contains("-etm@openssh.com") && !m.contains("sha1")), "{mac:?}");
}

/// Two `serve` processes on one PostgreSQL database: a file put through one
/// is processed once, and its answers are listed, served and picked up
/// through the other.
#[test]
fn sftp_two_instances_on_one_postgres_database() {
    let Some(db) = common::pg_db("sftp_two_instances_on_one_postgres_database") else { return };
    let env = Env::new(db);
    let second = common::Install::new(env.i.db.alias());
    let port2 = second.enable_sftp("ban_after_failures = 1000\n");
    let serve2 = start_serve(&second, port2);
    let dir = env.i.path().to_path_buf();

    // Files through both instances at once.
    std::fs::write(dir.join("a.edi"), pos(501, "VIA-A", 4)).unwrap();
    std::fs::write(dir.join("b.edi"), pos(502, "VIA-B", 3)).unwrap();
    std::thread::scope(|s| {
        let a = s.spawn(|| env.sftp("acme", "acme", "put a.edi /inbound/A.edi\n"));
        let b = s.spawn(|| {
            env.sftp_at(
                port2,
                "acme",
                "acme",
                "put b.edi /inbound/B.edi.part\nrename /inbound/B.edi.part /inbound/B.edi\n",
            )
        });
        env.ok(&a.join().unwrap());
        let b = b.join().unwrap();
        let log2 = std::fs::read_to_string(second.path().join("serve.log")).unwrap_or_default();
        assert!(b.status.success(), "through the second instance: {}\n{log2}", String::from_utf8_lossy(&b.stderr));
    });
    assert_eq!(env.po_numbers().len(), 7);
    let docs = env.i.json(&["documents", "list"]);
    assert_eq!(docs.as_array().unwrap().len(), 2, "each file processed once: {docs}");
    let pending = env.outbox("pending");
    assert_eq!(pending.len(), 2 + 7, "2 997 + 7 855, once each");

    // Both instances show the same /outbound.
    let via_a = env.listing("acme", "acme", "/outbound");
    let out = env.ok(&env.sftp_at(port2, "acme", "acme", "ls -1 /outbound\n"));
    let mut via_b: Vec<String> = out
        .lines()
        .filter(|l| !l.starts_with("sftp>") && !l.trim().is_empty())
        .map(|l| l.trim().rsplit('/').next().unwrap().to_string())
        .collect();
    via_b.sort();
    assert_eq!(via_a, via_b);
    assert_eq!(via_a.len(), 9);

    // A file put under a temporary name through one instance waits in the
    // other's /inbound too, and is renamed into place there.
    std::fs::write(dir.join("c.edi"), pos(503, "VIA-AB", 1)).unwrap();
    env.ok(&env.sftp("acme", "acme", "put c.edi /inbound/C.edi.part\n"));
    let out = env.ok(&env.sftp_at(port2, "acme", "acme", "ls -1 /inbound\n"));
    assert!(out.contains("C.edi.part"), "{out}");
    env.ok(&env.sftp_at(port2, "acme", "acme", "rename /inbound/C.edi.part /inbound/C.edi\n"));
    assert_eq!(env.po_numbers().len(), 8);
    assert!(env.listing("acme", "acme", "/inbound").is_empty());
    for r in [env.outbox("pending"), env.outbox("picked_up")] {
        assert!(r.iter().all(|x| x["attempts"] == 0));
    }

    // Picked up through one, gone from the other.
    env.ok(&env.sftp_at(port2, "acme", "acme", &format!("rm /outbound/{}\n", via_a[0])));
    let after = env.listing("acme", "acme", "/outbound");
    assert_eq!(after.len(), 9 + 2 - 1, "the 997 and 855 of C, less the one picked up");
    assert!(!after.contains(&via_a[0]));
    assert!(serve2.stop().success());
}

/// A client killed at random points mid-upload, 200 times: no partial file
/// in the ledger, no upload left open, no unfinished upload left in the
/// database, and none after a restart.
#[test]
fn sftp_clients_killed_mid_upload() {
    let mut env = Env::new(common::sqlite_db());
    let dir = env.i.path().to_path_buf();
    const SIZE: usize = 120_000;
    const ROUNDS: u32 = 200;
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for n in 0..ROUNDS {
        let mut body = pos(600 + n, &format!("K{n:03}-"), 1);
        body.resize(SIZE, b'\n');
        std::fs::write(dir.join("k.edi"), &body).unwrap();
        // 2 Mbit/s: the upload takes about half a second; killed somewhere in it (or before, or after).
        let mut child = Command::new("sftp")
            .args(["-l", "2000", "-B", "16384"])
            .args(env.key_args("acme", "acme"))
            .current_dir(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        child.stdin.as_mut().unwrap().write_all(format!("put k.edi /inbound/K{n:03}.edi\n").as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(next() % 700));
        let _ = child.kill();
        let _ = child.wait();
    }
    // Every session ends; no upload stays open, nothing unfinished stays behind.
    env.wait_nothing_unfinished(Duration::from_secs(30));
    let docs = env.i.json(&["documents", "list", "--limit", "1000"]);
    let docs = docs.as_array().unwrap();
    for d in docs {
        assert_eq!(d["size"], SIZE, "a partial file in the ledger: {d}");
    }
    let taken = docs.len();
    assert_eq!(env.po_numbers().len(), taken, "every complete file is one order");
    assert!(taken < ROUNDS as usize, "some uploads were cut");
    let serve = env.serve.take().unwrap();
    assert!(serve.stop().success());
    assert!(!env.log().contains("uploads still open at shutdown"), "no upload handle stuck open");
    env.serve = Some(start_serve(&env.i, env.port));
    assert_eq!(env.unfinished(), 0);
    assert!(!env.log().contains("removed unfinished"), "nothing was left for the start to remove");
    assert!(env.serve.take().unwrap().stop().success());
    eprintln!("{taken} of {ROUNDS} uploads completed before their client was killed");
}
