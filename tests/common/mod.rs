//! Helpers shared by the integration tests: databases on both backends,
//! temporary installations, the dropgate binary.
#![allow(dead_code)]

pub mod mailbox;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A database for one test. SQLite lives in a temp dir; PostgreSQL gets a
/// database of its own, dropped at the end.
pub struct TestDb {
    pub url: String,
    pub backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            if let Ok(mut c) = dropgate::store::connect(admin) {
                use diesel::connection::SimpleConnection;
                if let dropgate::store::Conn::Pg(pg) = &mut c {
                    let _ = pg.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
                }
            }
        }
    }
}

impl TestDb {
    /// Another handle on the same database, for a second installation
    /// (the first handle drops the database).
    pub fn alias(&self) -> TestDb {
        TestDb { url: self.url.clone(), backend: self.backend, _dir: None, pg: None }
    }
}

pub fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("test.db").display());
    TestDb { url, backend: "sqlite", _dir: Some(dir), pg: None }
}

/// The PostgreSQL server for tests: `DROPGATE_TEST_PG` (an URL to an
/// existing database the tests may create databases from). `None` when unset.
pub fn pg_admin_url() -> Option<String> {
    std::env::var("DROPGATE_TEST_PG").ok().filter(|s| !s.trim().is_empty())
}

/// A fresh PostgreSQL database, or `None` (with a note on stderr) when
/// `DROPGATE_TEST_PG` is not set.
pub fn pg_db(test: &str) -> Option<TestDb> {
    let Some(admin) = pg_admin_url() else {
        // Written past the test harness's output capture, so a plain `cargo test` shows it.
        use std::io::Write;
        let note = format!(
            "note: the PostgreSQL suite did not run ({test}): set DROPGATE_TEST_PG=postgres://USER@HOST:PORT/DB to run it"
        );
        match std::fs::OpenOptions::new().append(true).open("/proc/self/fd/2") {
            Ok(mut err) => {
                let _ = writeln!(err, "{note}");
            }
            Err(_) => eprintln!("{note}"),
        }
        return None;
    };
    use diesel::connection::SimpleConnection;
    // Tests of one binary ask at the same moment: a counter tells them apart
    // (the clock alone did not, on a coarse clock).
    static MADE: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "dropgate_t_{}_{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_000,
        MADE.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut c = dropgate::store::connect(&admin).expect("connect to DROPGATE_TEST_PG");
    if let dropgate::store::Conn::Pg(pg) = &mut c {
        pg.batch_execute(&format!("CREATE DATABASE {name}")).expect("create test database");
    }
    let url = match admin.rfind('/') {
        Some(i) if admin[..i].contains("://") && i > admin.find("://").unwrap() + 2 => {
            format!("{}/{name}", &admin[..i])
        }
        _ => panic!("DROPGATE_TEST_PG must end in /DATABASE"),
    };
    Some(TestDb { url, backend: "postgres", _dir: None, pg: Some((admin, name)) })
}

/// Every backend this machine can test: SQLite always, PostgreSQL when configured.
pub fn all_dbs(test: &str) -> Vec<TestDb> {
    let mut v = vec![sqlite_db()];
    v.extend(pg_db(test));
    v
}

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_dropgate"))
}

/// A temporary installation: a config file with its data dir, set up with
/// `dropgate init`, on the given database.
pub struct Install {
    pub dir: tempfile::TempDir,
    pub db: TestDb,
}

impl Install {
    pub fn new(db: TestDb) -> Install {
        let dir = tempfile::tempdir().expect("temp dir");
        let cfg = format!(
            "data_dir = \"data\"\n[company]\nname = \"Hidden Wholesale Ltd\"\n[database]\nurl = \"{}\"\n[intake]\nsettle_ms = 200\nrescan_ms = 300\n[outbox]\npoll_ms = 50\n[sftp]\nenabled = false\n",
            db.url
        );
        std::fs::write(dir.path().join("dropgate.toml"), cfg).unwrap();
        let i = Install { dir, db };
        let out = i.run(&["init"]);
        assert!(
            out.status.success() || String::from_utf8_lossy(&out.stderr).contains("exists already"),
            "init: {out:?}"
        );
        i
    }

    /// Turns the SFTP server on, on a free port of 127.0.0.1, with extra
    /// `[sftp]` settings (TOML lines); returns the port.
    pub fn enable_sftp(&self, extra: &str) -> u16 {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cfg = std::fs::read_to_string(self.config()).unwrap();
        let cfg = cfg.replace(
            "[sftp]\nenabled = false\n",
            &format!("[sftp]\nenabled = true\nlisten = \"127.0.0.1:{port}\"\n{extra}"),
        );
        std::fs::write(self.config(), cfg).unwrap();
        port
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> PathBuf {
        self.dir.path().join("dropgate.toml")
    }

    pub fn cmd(&self) -> Command {
        let mut c = Command::new(bin());
        c.current_dir(self.dir.path())
            .env("DROPGATE_CONFIG", self.config())
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd().args(args).output().expect("run dropgate")
    }

    /// Runs and expects success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "dropgate {args:?} failed: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        let mut a = args.to_vec();
        a.push("--json");
        let s = self.ok(&a);
        serde_json::from_str(&s).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {s}"))
    }

    /// Writes and applies a retailer profile with folders under the install.
    pub fn retailer(&self, id: &str, sender: &str, on_short: &str) {
        let text = format!(
            "id = \"{id}\"\nname = \"{id} stores\"\n[x12]\nsender_id = \"{sender}\"\nreceiver_id = \"ZZ:DROPGATE\"\n[policy]\non_short = \"{on_short}\"\n[folders]\ninbound = \"data/{id}/in\"\noutbound = \"data/{id}/out\"\n"
        );
        let f = self.path().join(format!("{id}.toml"));
        std::fs::write(&f, text).unwrap();
        self.ok(&["retailer", "apply", f.to_str().unwrap()]);
    }

    pub fn stock(&self, csv: &str) {
        let f = self.path().join("stock.csv");
        std::fs::write(&f, csv).unwrap();
        self.ok(&["stock", "import", f.to_str().unwrap()]);
    }

    pub fn inbound(&self, id: &str) -> PathBuf {
        self.path().join(format!("data/{id}/in"))
    }

    pub fn outbound(&self, id: &str) -> PathBuf {
        self.path().join(format!("data/{id}/out"))
    }
}

/// Runs the project's validator wrapper on a file; returns (ok, output).
pub fn edi_validate(path: &Path) -> (bool, String) {
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/edi-validate");
    let out = Command::new("bash").arg(tool).arg(path).output().expect("run tools/edi-validate");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert_ne!(out.status.code(), Some(2), "tools/edi-validate could not set itself up: {text}");
    (out.status.success(), text)
}

pub fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(rel)
}

pub fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(fixture(rel)).unwrap_or_else(|e| panic!("fixture {rel}: {e}"))
}

/// Segments of an X12 file dropgate wrote (`*` elements, `~` terminators), split into elements.
pub fn segments(bytes: &[u8]) -> Vec<Vec<String>> {
    String::from_utf8_lossy(bytes)
        .split('~')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.split('*').map(str::to_string).collect())
        .collect()
}

/// A running `serve`, killed if a test ends without stopping it.
pub struct Serve(pub std::process::Child);

impl Serve {
    /// SIGTERM, then wait for a clean exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.0.id().to_string()).status();
        let t = std::time::Instant::now();
        loop {
            if let Some(s) = self.0.try_wait().unwrap() {
                return s;
            }
            assert!(t.elapsed() < std::time::Duration::from_secs(30), "serve did not stop on SIGTERM");
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Lines of a test PO: (UPC, quantity, unit price).
pub type PoLines<'a> = &'a [(&'a str, u32, &'a str)];

/// An 850 interchange from `sender` to DROPGATE: each PO is (number, lines
/// of (UPC, quantity, unit price)), shipped to a consumer in Springfield.
pub fn po850(sender: &str, control: u32, pos: &[(&str, PoLines<'_>)]) -> Vec<u8> {
    let mut out = format!(
        "ISA*00*          *00*          *ZZ*{sender:<15}*ZZ*{:<15}*261123*0900*U*00401*{control:09}*0*P*>~\n\
         GS*PO*{sender}*DROPGATE*20261123*0900*{control}*X*004010~\n",
        "DROPGATE"
    );
    for (n, (po, lines)) in pos.iter().enumerate() {
        let mut segs = vec![
            format!("ST*850*{:04}", n + 1),
            format!("BEG*00*DS*{po}**20261123"),
            format!("REF*CO*{po}-C"),
            format!("N1*ST*Pat Doe {n}"),
            "N3*12 Sample Street".to_string(),
            "N4*Springfield*IL*62701*US".to_string(),
        ];
        for (i, (upc, qty, price)) in lines.iter().enumerate() {
            segs.push(format!("PO1*{}*{qty}*EA*{price}**UP*{upc}", i + 1));
        }
        segs.push(format!("CTT*{}", lines.len()));
        segs.push(format!("SE*{}*{:04}", segs.len() + 1, n + 1));
        for s in segs {
            out.push_str(&s);
            out.push_str("~\n");
        }
    }
    out.push_str(&format!("GE*{}*{control}~\nIEA*1*{control:09}~\n", pos.len()));
    out.into_bytes()
}

impl Install {
    /// Ingests X12 bytes through `dropgate ingest` (for `retailer`).
    pub fn ingest(&self, retailer: &str, name: &str, bytes: &[u8]) {
        let f = self.path().join(name);
        std::fs::write(&f, bytes).unwrap();
        self.ok(&["ingest", "--retailer", retailer, f.to_str().unwrap()]);
    }

    /// The stock row of a SKU: (on hand, reserved).
    pub fn stock_of(&self, sku: &str) -> (i64, i64) {
        let v = self.json(&["stock", "show", sku]);
        let row =
            v.as_array().unwrap().iter().find(|r| r["sku"] == sku).unwrap_or_else(|| panic!("no stock row {sku}"));
        (row["on_hand"].as_i64().unwrap(), row["reserved"].as_i64().unwrap())
    }

    /// The state of the order with this PO number.
    pub fn order_state(&self, po: &str) -> String {
        let v = self.json(&["orders", "list", "--po", po]);
        v.as_array().unwrap()[0]["state"].as_str().unwrap().to_string()
    }
}

/// Runs bytes through the pipeline as a file named `name` from no channel.
pub fn ingest(
    conn: &mut dropgate::store::Conn,
    name: &str,
    bytes: &[u8],
) -> (dropgate::store::documents::Received, dropgate::pipeline::Summary) {
    use dropgate::store::documents::{Arrival, Body};
    dropgate::pipeline::ingest(
        conn,
        Arrival { source: "test", name, retailer: None, body: Body::Bytes(bytes), settled: true },
    )
    .unwrap()
}

/// Every outbox row, oldest first.
pub fn outbox_all(conn: &mut dropgate::store::Conn) -> Vec<dropgate::store::outbox::OutboxRow> {
    use dropgate::store::outbox::{self, OutboxFilter};
    let mut v = outbox::list(conn, &OutboxFilter { limit: 10_000, ..Default::default() }).unwrap();
    v.reverse();
    v
}

/// The finished files in a folder (not those being written under a
/// `.`-name), sorted, once there are `n` of them or `timeout` has passed.
pub fn wait_for_files(dir: &Path, n: usize, timeout: std::time::Duration) -> Vec<PathBuf> {
    let t = std::time::Instant::now();
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|rd| {
                rd.filter_map(|e| e.ok())
                    .map(|e| e.path())
                    .filter(|p| p.is_file() && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.')))
                    .collect()
            })
            .unwrap_or_default();
        if files.len() >= n || t.elapsed() > timeout {
            files.sort();
            return files;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Checks bytes with `tools/edi-validate` (written to a file of that name).
pub fn edi_validate_bytes(name: &str, bytes: &[u8]) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let (ok, out) = edi_validate(&f);
    assert!(ok, "{name} does not validate:\n{out}\n{}", String::from_utf8_lossy(bytes));
}

/// Runs `tools/cxml-validate` (the official DTDs) on bytes: its exit code and output.
pub fn cxml_validate(name: &str, bytes: &[u8]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join(name);
    std::fs::write(&f, bytes).unwrap();
    let tool = Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/cxml-validate");
    let out = Command::new("bash").arg(tool).arg(&f).output().expect("run tools/cxml-validate");
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    let code = out.status.code().unwrap_or(-1);
    assert_ne!(code, 2, "tools/cxml-validate could not run (xmllint from libxml2-utils?): {text}");
    (code, text)
}
