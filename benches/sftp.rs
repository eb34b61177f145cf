//! SFTP throughput, side by side: dropgate's server (through `serve`, every
//! upload committed to the ledger before its close is answered) and
//! OpenSSH's own `sshd` with `internal-sftp`, in the same run, with the same
//! client (OpenSSH `sftp`) and the same cipher. Rows: upload and download
//! of one large file (MB/s), many small uploads (files/s), the same with
//! `put -f` (the client has the server sync each file before its close, as
//! dropgate does always), and logins (per s): key exchange, public-key
//! login, the SFTP subsystem and its version
//! exchange, by an SSH client running in this process (russh), 8 at once,
//! so that the client's own start-up is not what is measured.
//!
//! Each row is measured `SFTP_BENCH_ROUNDS` times (3), the two servers
//! taking turns to go first; a row gives the median of each side's rounds
//! and every round's figure, since a shared machine's disk and cores swing
//! from one second to the next. Every round uploads documents of its own (a server
//! keeping a ledger would otherwise be measured taking repeats).
//!
//! `cargo bench --bench sftp`. Sizes: `SFTP_BENCH_MB` (200),
//! `SFTP_BENCH_FILES` (1000, of 2 KB), `SFTP_BENCH_LOGINS` (200); cipher:
//! `SFTP_BENCH_CIPHER` (aes128-gcm@openssh.com); some rows only:
//! `SFTP_BENCH_ONLY=upload,small` (row names' beginnings); `SFTP_BENCH_HOLD=1`
//! starts both servers, prints how to reach them and keeps them up (for a
//! profiler); `SFTP_BENCH_BUSY_POLL_US` sets dropgate's `[sftp] busy_poll_us`
//! (0 turns its busy poll off); `SFTP_BENCH_PAGE_SIZE` makes its database
//! with pages of that size. `cargo test --bench sftp`
//! runs it unoptimized (for checking the script, not for figures).
//!
//! Needs `sshd` (package openssh-server), `unshare` (util-linux), `sftp` and
//! `ssh-keygen`. `sshd` runs unprivileged inside `unshare --mount` with a
//! private tmpfs on /run (its privilege-separation directory).

use dropgate::retailer::Profile;
use dropgate::store::{outbox, Store};
use russh::keys::{PrivateKey, PrivateKeyWithHashAlg};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_port(port: u16, what: &str) {
    let t = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(t.elapsed() < Duration::from_secs(30), "{what} did not listen on {port}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Peer {
    name: &'static str,
    port: u16,
    user: String,
    /// Where uploads go, where the large file is read from.
    upload_dir: String,
    download_path: String,
}

struct Client {
    key: PathBuf,
    cipher: String,
    work: PathBuf,
}

impl Client {
    /// Runs a batch script; returns the wall time.
    fn batch(&self, peer: &Peer, script: &str) -> Duration {
        let t = Instant::now();
        let mut child = Command::new("sftp")
            .args(["-b", "-", "-P", &peer.port.to_string(), "-c", &self.cipher, "-i"])
            .arg(&self.key)
            .args([
                // The same key exchange on both sides too (OpenSSH would
                // pick sntrup761 with its own server, slow on small machines).
                "-o",
                "KexAlgorithms=curve25519-sha256",
                "-o",
                "IdentitiesOnly=yes",
                "-o",
                "StrictHostKeyChecking=no",
                "-o",
                "UserKnownHostsFile=/dev/null",
                "-o",
                "LogLevel=ERROR",
                &format!("{}@127.0.0.1", peer.user),
            ])
            .current_dir(&self.work)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run sftp");
        child.stdin.take().unwrap().write_all(script.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}: sftp failed: {}", peer.name, String::from_utf8_lossy(&out.stderr));
        t.elapsed()
    }
}

fn keygen(path: &Path) {
    let ok = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(path)
        .status()
        .expect("run ssh-keygen")
        .success();
    assert!(ok, "ssh-keygen");
}

fn start_dropgate(work: &Path, client_pub: &str, mb: u64) -> (Kill, Peer) {
    let home = work.join("dropgate");
    std::fs::create_dir_all(&home).unwrap();
    let port = free_port();
    let db = home.join("data/dropgate.db");
    std::fs::write(
        home.join("dropgate.toml"),
        format!(
            "data_dir = \"data\"\n[company]\nname = \"Bench\"\n[database]\nurl = \"sqlite://{}\"\n[sftp]\n\
             listen = \"127.0.0.1:{port}\"\nmax_file_bytes = {}\nmax_sessions_per_ip = 10000\n\
             max_sessions_per_retailer = 10000\nban_after_failures = 100000\n{}",
            db.display(),
            (mb + 1) * 1024 * 1024,
            // The server's default unless set (0 turns the busy poll off).
            std::env::var("SFTP_BENCH_BUSY_POLL_US").map(|us| format!("busy_poll_us = {us}\n")).unwrap_or_default()
        ),
    )
    .unwrap();
    if let Ok(size) = std::env::var("SFTP_BENCH_PAGE_SIZE") {
        // A database made with other pages than dropgate's default (it keeps
        // the page size it was made with).
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        std::fs::create_dir_all(db.parent().unwrap()).unwrap();
        let mut c = diesel::SqliteConnection::establish(db.to_str().unwrap()).expect("create the database");
        c.batch_execute(&format!("PRAGMA page_size = {size}; PRAGMA journal_mode = WAL; CREATE TABLE bench_made (x)"))
            .expect("page size");
    }
    let store = Store::open(&format!("sqlite://{}", db.display()), 2).expect("open store");
    let mut conn = store.conn().unwrap();
    let p = Profile::from_toml(
        &format!(
            "id = \"bench\"\nname = \"Bench\"\n[x12]\nsender_id = \"ZZ:BENCHCO\"\nreceiver_id = \"ZZ:DROPGATE\"\n\
             [sftp]\nauthorized_keys = [\"{client_pub}\"]\n"
        ),
        "bench",
    )
    .unwrap();
    dropgate::store::retailers::apply(&mut conn, &p).unwrap();
    // The large file to download: a document waiting in /outbound.
    let now = dropgate::store::now_micros();
    outbox::enqueue_many(
        &mut conn,
        &[outbox::NewOutboxRow {
            retailer_id: "bench".into(),
            document_id: None,
            order_id: None,
            kind: "997".into(),
            control: "1".into(),
            file_name: "BIG.edi".into(),
            payload: big_bytes(mb),
            state: outbox::PENDING.into(),
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
        }],
    )
    .unwrap();
    drop(conn);
    drop(store);
    let child = Command::new(env!("CARGO_BIN_EXE_dropgate"))
        .args(["--config", "dropgate.toml", "serve"])
        .current_dir(&home)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start dropgate serve");
    let k = Kill(child);
    wait_port(port, "dropgate");
    let peer = Peer {
        name: "dropgate",
        port,
        user: "bench".into(),
        upload_dir: "/inbound".into(),
        download_path: "/outbound/BIG.edi".into(),
    };
    (k, peer)
}

fn start_sshd(work: &Path, client_pub: &str, mb: u64) -> (Kill, Peer) {
    let home = work.join("sshd");
    let root = home.join("root");
    std::fs::create_dir_all(root.join("up")).unwrap();
    std::fs::write(root.join("BIG.edi"), big_bytes(mb)).unwrap();
    keygen(&home.join("host_key"));
    std::fs::write(home.join("authorized_keys"), format!("{client_pub}\n")).unwrap();
    let port = free_port();
    let user = std::env::var("USER").ok().filter(|u| !u.is_empty()).unwrap_or_else(|| {
        let out = Command::new("id").arg("-un").output().unwrap();
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    });
    let cfg = home.join("sshd_config");
    std::fs::write(
        &cfg,
        format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {hk}\nPidFile none\nAuthorizedKeysFile {ak}\n\
             StrictModes no\nUsePAM no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nAllowUsers {user}\nMaxStartups 1000\nMaxSessions 100\n\
             Subsystem sftp internal-sftp\nForceCommand internal-sftp\n",
            hk = home.join("host_key").display(),
            ak = home.join("authorized_keys").display(),
        ),
    )
    .unwrap();
    let script = format!(
        "mount -t tmpfs tmpfs /run && mkdir -p /run/sshd && chmod 755 /run/sshd && exec /usr/sbin/sshd -D -e -f {}",
        cfg.display()
    );
    let mut cmd = Command::new("unshare");
    // unprivileged: map ourselves to root in a user namespace first.
    if !Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false) {
        cmd.arg("--map-root-user");
    }
    let child = cmd
        .args(["--mount", "sh", "-c", &script])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start sshd under unshare (needs openssh-server and util-linux)");
    let k = Kill(child);
    wait_port(port, "sshd");
    let peer = Peer {
        name: "openssh",
        port,
        user,
        upload_dir: root.join("up").display().to_string(),
        download_path: root.join("BIG.edi").display().to_string(),
    };
    (k, peer)
}

/// Writes out what earlier rows left in the page cache (uploads, dropgate's
/// log) and gives the servers a moment to finish background work.
fn settle() {
    let _ = Command::new("sync").status();
    std::thread::sleep(Duration::from_secs(2));
    let _ = Command::new("sync").status();
}

fn big_bytes(mb: u64) -> Vec<u8> {
    let n = usize::try_from(mb * 1024 * 1024).unwrap();
    let mut v = Vec::with_capacity(n);
    let mut x: u32 = 0x1234_5678;
    while v.len() < n {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        v.extend_from_slice(&x.to_le_bytes());
    }
    v.truncate(n);
    v
}

/// Accepts any host key: the benchmark talks to servers it started itself.
struct AnyHostKey;

impl russh::client::Handler for AnyHostKey {
    type Error = russh::Error;

    async fn check_server_key(&mut self, _key: &russh::keys::PublicKeyOrCertificate) -> Result<bool, Self::Error> {
        Ok(true)
    }
}

/// One login: key exchange, public key, the SFTP subsystem and its version.
async fn login(cfg: Arc<russh::client::Config>, port: u16, user: String, key: Arc<PrivateKey>) -> anyhow::Result<()> {
    use russh::ChannelMsg;
    let mut h = russh::client::connect(cfg, ("127.0.0.1", port), AnyHostKey).await?;
    let auth = h.authenticate_publickey(user, PrivateKeyWithHashAlg::new(key, None)).await?;
    anyhow::ensure!(auth.success(), "login refused");
    let mut ch = h.channel_open_session().await?;
    ch.request_subsystem(true, "sftp").await?;
    // SSH_FXP_INIT, version 3; the answer is SSH_FXP_VERSION (2).
    ch.data(&[0u8, 0, 0, 5, 1, 0, 0, 0, 3][..]).await?;
    loop {
        match ch.wait().await {
            Some(ChannelMsg::Data { data }) => {
                anyhow::ensure!(data.get(4) == Some(&2), "not an SFTP version packet");
                break;
            }
            Some(ChannelMsg::Success | ChannelMsg::WindowAdjusted { .. }) => {}
            Some(other) => anyhow::bail!("unexpected {other:?}"),
            None => anyhow::bail!("the channel closed"),
        }
    }
    h.disconnect(russh::Disconnect::ByApplication, "", "en").await?;
    Ok(())
}

/// Logins per second, `parallel` at a time.
fn logins_per_s(rt: &tokio::runtime::Runtime, peer: &Peer, key: &Arc<PrivateKey>, n: u64, parallel: u64) -> f64 {
    use std::borrow::Cow;
    let cfg = Arc::new(russh::client::Config {
        preferred: russh::Preferred {
            kex: Cow::Borrowed(&[russh::kex::CURVE25519, russh::kex::EXTENSION_SUPPORT_AS_CLIENT]),
            cipher: Cow::Borrowed(&[russh::cipher::AES_128_GCM]),
            ..russh::Preferred::DEFAULT
        },
        nodelay: true,
        ..Default::default()
    });
    let t = Instant::now();
    rt.block_on(async {
        let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..parallel {
            let (cfg, user, key, next, port) = (cfg.clone(), peer.user.clone(), key.clone(), next.clone(), peer.port);
            tasks.spawn(async move {
                while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < n {
                    login(cfg.clone(), port, user.clone(), key.clone()).await?;
                }
                anyhow::Ok(())
            });
        }
        while let Some(r) = tasks.join_next().await {
            r.unwrap().unwrap_or_else(|e| panic!("{}: login failed: {e:#}", peer.name));
        }
    });
    n as f64 / t.elapsed().as_secs_f64()
}

/// The median of some figures.
fn median(v: &[f64]) -> f64 {
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Writes `files` small files of 2 KB, unlike any other round's or row's.
fn small_files(dir: &Path, tag: &str, files: u64) {
    std::fs::create_dir_all(dir).unwrap();
    for n in 0..files {
        let mut body = format!("small file {tag} {n}\n").into_bytes();
        body.resize(2048, b'.');
        std::fs::write(dir.join(format!("f{n:05}.edi")), body).unwrap();
    }
}

/// Marks the large file with its round, so that each round uploads
/// different bytes.
fn mark_big(path: &Path, round: usize) {
    use std::os::unix::fs::FileExt;
    let f = std::fs::OpenOptions::new().write(true).open(path).unwrap();
    f.write_all_at(format!("round {round:08}\n").as_bytes(), 0).unwrap();
}

fn main() {
    let mb = env_or("SFTP_BENCH_MB", 200);
    let files = env_or("SFTP_BENCH_FILES", 1000);
    let logins = env_or("SFTP_BENCH_LOGINS", 200);
    let rounds = usize::try_from(env_or("SFTP_BENCH_ROUNDS", 3).max(1)).unwrap();
    let cipher = std::env::var("SFTP_BENCH_CIPHER").unwrap_or_else(|_| "aes128-gcm@openssh.com".into());
    let work = tempfile::tempdir().unwrap();
    let w = work.path();
    keygen(&w.join("client"));
    let client_pub = std::fs::read_to_string(w.join("client.pub")).unwrap().trim().to_string();
    let client = Client { key: w.join("client"), cipher: cipher.clone(), work: w.join("files") };
    std::fs::create_dir_all(&client.work).unwrap();
    std::fs::write(client.work.join("big.edi"), big_bytes(mb)).unwrap();
    for r in 0..rounds {
        small_files(&client.work.join(format!("small{r}")), &format!("plain {r}"), files);
        small_files(&client.work.join(format!("synced{r}")), &format!("synced {r}"), files);
    }

    let (_dg, dropgate) = start_dropgate(w, &client_pub, mb);
    let (_sshd, openssh) = start_sshd(w, &client_pub, mb);

    println!(
        "SFTP: {mb} MB file, {files} files of 2 KB, {logins} logins; cipher {cipher}, kex curve25519-sha256; \
         client OpenSSH sftp; {rounds} rounds, medians"
    );
    if std::env::var_os("SFTP_BENCH_HOLD").is_some() {
        // For profiling by hand: both servers stay up until Ctrl-C (SIGINT).
        for p in [&dropgate, &openssh] {
            println!(
                "{}: sftp -P {} -c {cipher} -o KexAlgorithms=curve25519-sha256 -o StrictHostKeyChecking=no -o \
                 UserKnownHostsFile=/dev/null -i {} {}@127.0.0.1  (large file: {})",
                p.name,
                p.port,
                client.key.display(),
                p.user,
                p.download_path
            );
        }
        println!("Ctrl-C stops them.");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let _ = rt.block_on(tokio::signal::ctrl_c());
        return;
    }
    let only = std::env::var("SFTP_BENCH_ONLY").unwrap_or_default();
    type Row = (&'static str, Vec<f64>, Vec<f64>, &'static str);
    let mut rows: Vec<Row> = Vec::new();
    let mut measure = |label: &'static str, unit: &'static str, f: &dyn Fn(&Peer, usize) -> f64| {
        if !only.is_empty() && !only.split(',').any(|o| label.starts_with(o.trim())) {
            return;
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for round in 0..rounds {
            // Each run starts with the disk written out, and the servers idle.
            let order = if round % 2 == 0 { [&dropgate, &openssh] } else { [&openssh, &dropgate] };
            for peer in order {
                settle();
                let v = f(peer, round);
                if peer.name == dropgate.name {
                    a.push(v)
                } else {
                    b.push(v)
                }
            }
        }
        rows.push((label, a, b, unit));
    };
    measure("upload", "MB/s", &|p, round| {
        mark_big(&client.work.join("big.edi"), round);
        let t = client.batch(p, &format!("put big.edi {}/BIG-UP{round}.edi\n", p.upload_dir));
        mb as f64 / t.as_secs_f64()
    });
    measure("download", "MB/s", &|p, _| {
        let _ = std::fs::remove_file(client.work.join("got.edi"));
        let t = client.batch(p, &format!("get {} got.edi\n", p.download_path));
        let got = std::fs::metadata(client.work.join("got.edi")).map(|m| m.len()).unwrap_or(0);
        assert_eq!(got, mb * 1024 * 1024, "{}: downloaded size", p.name);
        mb as f64 / t.as_secs_f64()
    });
    measure("small files", "files/s", &|p, round| {
        let mut script = format!("cd {}\n", p.upload_dir);
        for n in 0..files {
            script.push_str(&format!("put small{round}/f{n:05}.edi S{round}-{n:05}.edi\n"));
        }
        let t = client.batch(p, &script);
        files as f64 / t.as_secs_f64()
    });
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let key = Arc::new(russh::keys::load_secret_key(w.join("client"), None).expect("client key"));
    measure("small files, fsync", "files/s", &|p, round| {
        // `put -f`: the client asks the server to sync each file before closing it.
        let mut script = format!("cd {}\n", p.upload_dir);
        for n in 0..files {
            script.push_str(&format!("put -f synced{round}/f{n:05}.edi F{round}-{n:05}.edi\n"));
        }
        let t = client.batch(p, &script);
        files as f64 / t.as_secs_f64()
    });
    measure("logins", "logins/s", &|p, _| logins_per_s(&rt, p, &key, logins, 8));
    println!("{:<20} {:>16} {:>16} {:>8}   rounds (dropgate | openssh)", "", "dropgate", "openssh", "ratio");
    let all = |v: &[f64]| v.iter().map(|x| format!("{x:.0}")).collect::<Vec<_>>().join(" ");
    for (label, a, b, unit) in rows {
        let (ours, theirs) = (median(&a), median(&b));
        let ratio = ours / theirs;
        println!("{label:<20} {ours:>7.1} {unit:<8} {theirs:>7.1} {unit:<8} {ratio:>7.2}x   {} | {}", all(&a), all(&b));
    }
}
