//! The built-in SFTP server retailers log into.
//!
//! The user name is the retailer id; a retailer logs in with a key from its
//! profile (`[sftp] authorized_keys`) or with the password set by
//! `dropgate retailer passwd`. It sees a virtual tree backed by the
//! database (see [`tree`]): `/inbound` takes its files into the ledger when
//! they are closed, `/outbound` holds the documents waiting for it.
//!
//! Each connection runs on the `serve` runtime as one task; its SFTP
//! requests are answered inside it (see [`channel`]); database work runs
//! on the session's thread, out of the runtime's way (see `blocking`).
//! Its socket is read with a short busy poll after each answer (see
//! [`poll`]), so a client's next request is not kept waiting for a thread
//! to wake.
//! On shutdown the listener stops accepting, new uploads
//! are refused, and uploads in flight get a few seconds to finish.

pub mod auth;
mod channel;
mod poll;
mod tree;
mod upload;

use crate::config::{self, Config};
use crate::store::Store;
use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::ssh_key::LineEnding;
use russh::keys::{Algorithm, HashAlg, PrivateKey, PublicKey};
use russh::server::{Auth, Msg, PublicKeyOffer, Session, VerifiedPublicKey};
use russh::{Channel, ChannelId, MethodKind, MethodSet};
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;

/// The host key's file in the data directory (OpenSSH format, mode 0600).
pub const HOST_KEY_FILE: &str = "sftp_host_ed25519_key";
/// How often unfinished uploads left over (by a crash, or by another
/// instance that went away) are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// How long every rejected login takes, whatever the reason.
const REJECTION_TIME: Duration = Duration::from_millis(800);
/// How long uploads in flight may take to finish once `serve` stops.
const DRAIN: Duration = Duration::from_secs(10);
/// Bytes read from a connection's socket at a time, at most: a large
/// upload's packets (32 KiB each) come several to a read.
const READ_BUFFER: usize = 256 * 1024;
/// The longest SFTP packet a client may send (a 255 KiB write and its header).
pub(crate) const MAX_SFTP_PACKET: u32 = 256 * 1024 + 1024;

/// Loads the host key from the data directory, creating it when missing;
/// returns it with its SHA256 fingerprint.
pub fn host_key(data_dir: &Path) -> anyhow::Result<(PrivateKey, String)> {
    use anyhow::Context;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let path = data_dir.join(HOST_KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(data_dir).with_context(|| format!("cannot create {}", data_dir.display()))?;
        let mut seed = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut seed))
            .context("cannot read random bytes for the host key")?;
        let key = PrivateKey::from(Ed25519Keypair::from_seed(&seed));
        let text = key.to_openssh(LineEnding::LF).context("cannot encode the host key")?;
        let tmp = data_dir.join(format!(".{HOST_KEY_FILE}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        drop(f);
        // Another instance may have made one meanwhile: the first one wins.
        match std::fs::hard_link(&tmp, &path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => {
                let _ = std::fs::remove_file(&tmp);
                return Err(e).with_context(|| format!("cannot write {}", path.display()));
            }
        }
        let _ = std::fs::remove_file(&tmp);
    }
    let meta = std::fs::metadata(&path).with_context(|| format!("cannot read {}", path.display()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
            .with_context(|| format!("cannot restrict {} to mode 0600", path.display()))?;
    }
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let key = PrivateKey::from_openssh(text.trim()).with_context(|| format!("{}: not a host key", path.display()))?;
    let fingerprint = key.public_key().fingerprint(HashAlg::Sha256).to_string();
    Ok((key, fingerprint))
}

/// The SSH settings: only publickey and password logins, and modern
/// algorithms only (no SHA-1, no CBC, no hmac-sha1).
fn ssh_config(s: &config::Sftp, key: PrivateKey) -> russh::server::Config {
    use russh::{cipher, kex, mac, Preferred};
    use std::borrow::Cow;
    let preferred = Preferred {
        kex: Cow::Borrowed(&[
            kex::MLKEM768X25519_SHA256,
            kex::CURVE25519,
            kex::CURVE25519_PRE_RFC_8731,
            kex::EXTENSION_SUPPORT_AS_SERVER,
            kex::EXTENSION_OPENSSH_STRICT_KEX_AS_SERVER,
        ]),
        key: Cow::Owned(vec![
            Algorithm::Ed25519,
            Algorithm::Ecdsa { curve: russh::keys::EcdsaCurve::NistP256 },
            Algorithm::Ecdsa { curve: russh::keys::EcdsaCurve::NistP384 },
            Algorithm::Ecdsa { curve: russh::keys::EcdsaCurve::NistP521 },
            Algorithm::Rsa { hash: Some(HashAlg::Sha512) },
            Algorithm::Rsa { hash: Some(HashAlg::Sha256) },
        ]),
        cipher: Cow::Borrowed(&[cipher::CHACHA20_POLY1305, cipher::AES_256_GCM, cipher::AES_128_GCM]),
        mac: Cow::Borrowed(&[mac::HMAC_SHA512_ETM, mac::HMAC_SHA256_ETM]),
        compression: Cow::Borrowed(&[russh::compression::NONE]),
        ..Preferred::DEFAULT
    };
    russh::server::Config {
        server_id: russh::SshId::Standard(Cow::Borrowed("SSH-2.0-dropgate")),
        methods: methods(),
        auth_rejection_time: REJECTION_TIME,
        auth_rejection_time_initial: Some(Duration::ZERO),
        keys: vec![key],
        inactivity_timeout: Some(Duration::from_secs(s.idle_timeout_secs.max(1))),
        keepalive_interval: None,
        max_auth_attempts: 10,
        nodelay: true,
        preferred,
        // Room for every request a client pipelines (OpenSSH: 64 reads or
        // writes in flight) while a reply waits for window: a full queue
        // would stop the session loop from taking the window adjustments.
        channel_buffer_size: 1024,
        ..Default::default()
    }
}

fn methods() -> MethodSet {
    let mut m = MethodSet::empty();
    m.push(MethodKind::PublicKey);
    m.push(MethodKind::Password);
    m
}

fn reject() -> Auth {
    Auth::Reject { proceed_with_methods: Some(methods()), partial_success: false }
}

/// What every connection shares.
pub(crate) struct Shared {
    pub cfg: Arc<Config>,
    pub store: Store,
    pub defender: auth::Defender,
    /// Open sessions per client address and per retailer.
    sessions: Arc<Mutex<HashMap<String, u32>>>,
    /// Upload handles open right now.
    pub uploads: AtomicUsize,
    /// Set once `serve` stops: new uploads are refused.
    pub closing: AtomicBool,
    /// Wakes the delivery loop after an upload made outbound documents.
    pub wake_delivery: Mutex<Option<std::sync::mpsc::Sender<()>>>,
}

impl Shared {
    /// How long an unfinished upload may go untouched before it is taken
    /// for one left over: longer than any live session stays idle.
    fn stale_after(&self) -> Duration {
        Duration::from_secs(self.cfg.sftp.idle_timeout_secs.saturating_add(300).max(900))
    }

    /// Takes a session slot under `key` if fewer than `max` are open.
    fn slot(&self, key: String, max: u32) -> Option<Slot> {
        let mut m = self.sessions.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = m.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Slot { map: self.sessions.clone(), key })
    }

    /// Records an event of a retailer's SFTP activity (`dropgate documents
    /// list --sftp`) in the background: the client does not wait for it,
    /// nor for the disk (the next synced commit makes it durable). Only for
    /// a retailer that exists.
    pub fn record(&self, kind: &'static str, retailer: &str, message: String) {
        let (store, retailer) = (self.store.clone(), retailer.to_string());
        let work = move || -> crate::store::Result<()> {
            let mut conn = store.conn()?;
            conn.write_unsynced(|c| {
                if crate::store::retailers::get(c, &retailer)?.is_some() {
                    crate::store::event(c, kind, Some(&retailer), None, None, &message)?;
                }
                Ok(())
            })
        };
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn_blocking(move || {
                if let Err(e) = work() {
                    tracing::warn!("SFTP: recording {kind}: {e}");
                }
            });
        }
    }

    pub fn wake_delivery(&self) {
        if let Ok(w) = self.wake_delivery.lock() {
            if let Some(tx) = w.as_ref() {
                let _ = tx.send(());
            }
        }
    }
}

/// One open session counted against a limit; given back on drop.
struct Slot {
    map: Arc<Mutex<HashMap<String, u32>>>,
    key: String,
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut m = self.map.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = m.get_mut(&self.key) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(&self.key);
            }
        }
    }
}

/// A bound SFTP listener, ready to run.
pub struct Listener {
    listener: TcpListener,
    shared: Arc<Shared>,
    ssh: Arc<russh::server::Config>,
    pub fingerprint: String,
}

impl Listener {
    /// Loads (or creates) the host key, removes unfinished uploads left by
    /// an earlier run, and binds the configured address.
    pub async fn bind(
        cfg: Arc<Config>,
        store: Store,
        wake_delivery: Option<std::sync::mpsc::Sender<()>>,
    ) -> anyhow::Result<Listener> {
        use anyhow::Context;
        let data_dir = cfg.data_dir();
        let (key, fingerprint) = host_key(&data_dir)?;
        // One process owns an SQLite database: whatever upload is unfinished
        // there was left by an earlier run. On PostgreSQL other instances
        // may be receiving: only uploads untouched for long are left over.
        let stale = Duration::from_secs(cfg.sftp.idle_timeout_secs.saturating_add(300).max(900));
        let before = match store.backend() {
            crate::store::Backend::Sqlite => i64::MAX,
            crate::store::Backend::Postgres => crate::store::now_micros() - micros(stale),
        };
        let swept = {
            let store = store.clone();
            tokio::task::spawn_blocking(move || {
                let mut conn = store.conn()?;
                crate::store::blobs::sweep(&mut conn, before)
            })
            .await
            .context("sweeping unfinished uploads")?
            .context("sweeping unfinished uploads")?
        };
        if swept > 0 {
            tracing::info!(uploads = swept, "removed unfinished SFTP uploads left by an earlier run");
        }
        let listener = TcpListener::bind(&cfg.sftp.listen)
            .await
            .with_context(|| format!("SFTP: cannot listen on {} (see [sftp] listen)", cfg.sftp.listen))?;
        let ssh = Arc::new(ssh_config(&cfg.sftp, key));
        let shared = Arc::new(Shared {
            defender: auth::Defender::new(cfg.sftp.ban_after_failures, Duration::from_secs(cfg.sftp.ban_secs)),
            cfg,
            store,
            sessions: Arc::default(),
            uploads: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
            wake_delivery: Mutex::new(wake_delivery),
        });
        Ok(Listener { listener, shared, ssh, fingerprint })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until `stop` turns true, then lets uploads in
    /// flight finish (for a while) and returns.
    pub async fn run(self, mut stop: watch::Receiver<bool>) {
        let Listener { listener, shared, ssh, .. } = self;
        let mut tasks = tokio::task::JoinSet::new();
        let mut sweep = tokio::time::interval(SWEEP_EVERY);
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        sweep.tick().await;
        let busy_poll = Duration::from_micros(shared.cfg.sftp.busy_poll_us);
        loop {
            while tasks.try_join_next().is_some() {}
            let (stream, peer) = tokio::select! {
                _ = stop.changed() => break,
                _ = sweep.tick() => {
                    let (store, before) = (shared.store.clone(), crate::store::now_micros() - micros(shared.stale_after()));
                    let expire = shared.cfg.sftp.waiting_expire_hours;
                    tokio::task::spawn_blocking(move || sweep_once(&store, before, expire));
                    continue;
                }
                r = listener.accept() => match r {
                    Ok(x) => x,
                    Err(e) => {
                        tracing::warn!("SFTP: accepting a connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                },
            };
            let ip = peer.ip();
            if shared.defender.is_banned(ip) {
                tracing::debug!(peer = %peer, "SFTP: connection from a banned address closed");
                continue;
            }
            let Some(slot) = shared.slot(format!("ip:{ip}"), shared.cfg.sftp.max_sessions_per_ip) else {
                tracing::warn!(peer = %peer, "SFTP: too many sessions from this address; connection closed");
                continue;
            };
            let _ = stream.set_nodelay(true);
            // A second handle on the socket, to cut a connection that does
            // not log in in time whatever state its handshake is in.
            // Read through a buffer: a request and its packet length come
            // in one read, not one for each, and a large upload's packets
            // several at a time (writes pass straight through).
            let (stream, cutter) = match stream.into_std().and_then(|s| {
                let c = s.try_clone()?;
                Ok((tokio::io::BufReader::with_capacity(READ_BUFFER, poll::PolledStream::new(s, busy_poll)?), c))
            }) {
                Ok(x) => x,
                Err(e) => {
                    tracing::warn!(peer = %peer, "SFTP: connection dropped: {e}");
                    continue;
                }
            };
            let authed = Arc::new(AtomicBool::new(false));
            let handler = SshSession {
                shared: shared.clone(),
                peer,
                _ip_slot: slot,
                retailer: None,
                _retailer_slot: None,
                authed: authed.clone(),
                key_failure_counted: false,
                channels: HashMap::new(),
                sftp: HashMap::new(),
            };
            let (ssh, auth_timeout) = (ssh.clone(), Duration::from_secs(shared.cfg.sftp.auth_timeout_secs.max(1)));
            tasks.spawn(async move {
                let session = match russh::server::run_stream(ssh, stream, handler).await {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!(peer = %peer, "SFTP: handshake failed: {e}");
                        return;
                    }
                };
                let handle = session.handle();
                tokio::pin!(session);
                let ended = tokio::select! {
                    r = &mut session => Some(r),
                    () = tokio::time::sleep(auth_timeout) => None,
                };
                let result = match ended {
                    Some(r) => r,
                    None => {
                        if !authed.load(Ordering::SeqCst) {
                            tracing::info!(peer = %peer, "SFTP: not logged in in time; disconnected");
                            let bye = handle.disconnect(
                                russh::Disconnect::ByApplication,
                                "login timed out".into(),
                                "en".into(),
                            );
                            let _ = tokio::time::timeout(Duration::from_millis(200), bye).await;
                            let _ = cutter.shutdown(std::net::Shutdown::Both);
                        }
                        session.await
                    }
                };
                if let Err(e) = result {
                    tracing::debug!(peer = %peer, "SFTP: session ended: {e}");
                }
            });
        }
        drop(listener);
        shared.closing.store(true, Ordering::SeqCst);
        let deadline = tokio::time::Instant::now() + DRAIN;
        while shared.uploads.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let left = shared.uploads.load(Ordering::SeqCst);
        if left > 0 {
            tracing::warn!(uploads = left, "SFTP: uploads still open at shutdown are dropped (nothing was taken)");
        }
        tasks.abort_all();
    }
}

/// Removes unfinished uploads untouched since `before`, and files waiting
/// under a temporary name for longer than `expire_hours` (0: never).
fn sweep_once(store: &Store, before: i64, expire_hours: u64) {
    let mut conn = match store.conn() {
        Ok(c) => c,
        Err(e) => {
            tracing::warn!("SFTP: sweeping: {e}");
            return;
        }
    };
    match crate::store::blobs::sweep(&mut conn, before) {
        Ok(0) => {}
        Ok(n) => tracing::info!(uploads = n, "SFTP: removed unfinished uploads left over"),
        Err(e) => tracing::warn!("SFTP: sweeping unfinished uploads: {e}"),
    }
    if expire_hours == 0 {
        return;
    }
    let hours = i64::try_from(expire_hours).unwrap_or(i64::MAX / 3_600_000_000);
    let older_than = crate::store::now_micros().saturating_sub(hours.saturating_mul(3_600_000_000));
    match crate::store::sftp::expire(&mut conn, older_than) {
        Ok(gone) => {
            for (retailer, name, size) in gone {
                tracing::warn!(retailer = %retailer, file = %name, bytes = size, hours = expire_hours,
                    "SFTP: a file waiting for its rename was never renamed; removed");
            }
        }
        Err(e) => tracing::warn!("SFTP: removing files waiting too long: {e}"),
    }
}

/// Runs blocking work (a database transaction) for a session and returns
/// its result. On a multi-threaded runtime (`serve`'s) it runs right on
/// the session's thread, the runtime handing its other tasks to another
/// thread meanwhile: the answer goes out the moment the work is done,
/// without a hand-over to the blocking pool and a wake-up back (two thread
/// switches on the path of every request that needs the database). On
/// another runtime it runs on the blocking pool. A panic is returned as an
/// error either way, and ends neither the session nor the connection.
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, String> {
    use tokio::runtime::{Handle, RuntimeFlavor};
    let panicked = |p: Box<dyn std::any::Any + Send>| {
        let what = p.downcast_ref::<&str>().map(|s| (*s).to_string()).or_else(|| p.downcast_ref::<String>().cloned());
        format!("panicked: {}", what.unwrap_or_default())
    };
    if Handle::current().runtime_flavor() == RuntimeFlavor::MultiThread {
        tokio::task::block_in_place(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))).map_err(panicked)
    } else {
        tokio::task::spawn_blocking(f).await.map_err(|e| match e.try_into_panic() {
            Ok(p) => panicked(p),
            Err(e) => e.to_string(),
        })
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// One SSH connection.
struct SshSession {
    shared: Arc<Shared>,
    peer: SocketAddr,
    _ip_slot: Slot,
    retailer: Option<String>,
    _retailer_slot: Option<Slot>,
    authed: Arc<AtomicBool>,
    /// A rejected key counts once per connection towards a ban (clients
    /// try each of their keys in turn).
    key_failure_counted: bool,
    /// Session channels opened, before they ask for a subsystem.
    channels: HashMap<ChannelId, Channel<Msg>>,
    /// Channels running SFTP.
    sftp: HashMap<ChannelId, channel::SftpChannel>,
}

impl SshSession {
    fn ip(&self) -> IpAddr {
        self.peer.ip()
    }

    /// The retailer's authorized keys, or `None` for an unknown user.
    async fn keys_of(&self, user: &str) -> Option<Vec<PublicKey>> {
        let store = self.shared.store.clone();
        let user = user.to_string();
        let r = tokio::task::spawn_blocking(move || -> anyhow::Result<Option<Vec<PublicKey>>> {
            let mut conn = store.conn()?;
            let Some(row) = crate::store::retailers::get(&mut conn, &user)? else { return Ok(None) };
            let p = row.profile()?;
            Ok(Some(p.sftp.map(|s| s.keys()).transpose()?.unwrap_or_default()))
        })
        .await;
        match r {
            Ok(Ok(k)) => k,
            Ok(Err(e)) => {
                tracing::error!("SFTP: reading the retailer's keys: {e:#}");
                None
            }
            Err(e) => {
                tracing::error!("SFTP: reading the retailer's keys: {e}");
                None
            }
        }
    }

    fn failed(&mut self, user: &str, method: &str) {
        // Debug formatting: a user name is whatever the client sent (no raw control characters in the log).
        tracing::warn!(peer = %self.peer, user = ?user, method, "SFTP: login failed");
        self.shared.record("sftp.login_failed", user, format!("from {} with {method}", self.peer));
        if self.shared.defender.fail(self.ip()) {
            tracing::warn!(
                peer = %self.peer,
                secs = self.shared.cfg.sftp.ban_secs,
                "SFTP: too many failed logins; address banned"
            );
        }
    }

    /// A login passed its check: counts the session against the retailer's limit.
    fn accept(&mut self, user: &str, method: &str) -> Auth {
        let max = self.shared.cfg.sftp.max_sessions_per_retailer;
        let Some(slot) = self.shared.slot(format!("retailer:{user}"), max) else {
            tracing::warn!(peer = %self.peer, retailer = %user, max, "SFTP: too many sessions for this retailer; login refused");
            return Auth::Reject { proceed_with_methods: None, partial_success: false };
        };
        self.shared.defender.succeed(self.ip());
        self._retailer_slot = Some(slot);
        self.retailer = Some(user.to_string());
        self.authed.store(true, Ordering::SeqCst);
        tracing::info!(peer = %self.peer, retailer = %user, method, "SFTP: logged in");
        self.shared.record("sftp.login", user, format!("from {} with {method}", self.peer));
        Auth::Accept
    }
}

fn same_key(a: &PublicKey, b: &PublicKey) -> bool {
    a.key_data() == b.key_data()
}

impl russh::server::Handler for SshSession {
    type Error = russh::Error;

    async fn auth_none(&mut self, _user: &str) -> Result<Auth, Self::Error> {
        Ok(reject())
    }

    async fn auth_publickey_offered(&mut self, user: &str, offer: PublicKeyOffer<'_>) -> Result<Auth, Self::Error> {
        if self.shared.defender.is_banned(self.ip()) {
            return Ok(reject());
        }
        // rsa with SHA-1 signatures (`ssh-rsa`) is not taken.
        if matches!(offer.algorithm, Algorithm::Rsa { hash: None }) {
            return Ok(reject());
        }
        let known = self.keys_of(user).await.is_some_and(|keys| keys.iter().any(|k| same_key(k, offer.public_key)));
        if known {
            Ok(Auth::Accept)
        } else {
            if !self.key_failure_counted {
                self.key_failure_counted = true;
                self.failed(user, "publickey");
            }
            Ok(reject())
        }
    }

    async fn auth_publickey(&mut self, user: &str, key: VerifiedPublicKey<'_>) -> Result<Auth, Self::Error> {
        if self.shared.defender.is_banned(self.ip()) || matches!(key.algorithm, Algorithm::Rsa { hash: None }) {
            return Ok(reject());
        }
        let known = self.keys_of(user).await.is_some_and(|keys| keys.iter().any(|k| same_key(k, key.public_key)));
        if known {
            Ok(self.accept(user, "publickey"))
        } else {
            self.failed(user, "publickey");
            Ok(reject())
        }
    }

    async fn auth_password(&mut self, user: &str, password: &str) -> Result<Auth, Self::Error> {
        if self.shared.defender.is_banned(self.ip()) {
            return Ok(reject());
        }
        let store = self.shared.store.clone();
        let (u, pw) = (user.to_string(), password.to_string());
        let ok = tokio::task::spawn_blocking(move || {
            let hash = match store.conn() {
                Ok(mut conn) => match crate::store::retailers::password_hash(&mut conn, &u) {
                    Ok(h) => h,
                    Err(e) => {
                        tracing::error!("SFTP: reading a password hash: {e}");
                        None
                    }
                },
                Err(e) => {
                    tracing::error!("SFTP: database unavailable: {e}");
                    None
                }
            };
            auth::verify_password(hash.as_deref(), &pw)
        })
        .await
        .unwrap_or(false);
        if ok {
            Ok(self.accept(user, "password"))
        } else {
            self.failed(user, "password");
            Ok(reject())
        }
    }

    async fn channel_open_session(
        &mut self,
        channel: Channel<Msg>,
        reply: russh::server::ChannelOpenHandle,
        _session: &mut Session,
    ) -> Result<(), Self::Error> {
        if self.channels.len() + self.sftp.len() >= 4 {
            return Ok(()); // dropping the reply refuses the channel
        }
        self.channels.insert(channel.id(), channel);
        reply.accept().await;
        Ok(())
    }

    async fn channel_eof(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        self.sftp.remove(&channel);
        self.channels.remove(&channel);
        session.close(channel)?;
        Ok(())
    }

    async fn channel_close(&mut self, channel: ChannelId, _session: &mut Session) -> Result<(), Self::Error> {
        self.sftp.remove(&channel);
        self.channels.remove(&channel);
        Ok(())
    }

    async fn data(&mut self, channel: ChannelId, data: &[u8], session: &mut Session) -> Result<(), Self::Error> {
        let Some(sftp) = self.sftp.get_mut(&channel) else { return Ok(()) };
        if let channel::Fed::TooLong(len) = sftp.feed(data, session, channel).await {
            tracing::warn!(peer = %self.peer, len, max = MAX_SFTP_PACKET, "SFTP: a packet over the size limit; channel closed");
            self.sftp.remove(&channel);
            session.close(channel)?;
        }
        Ok(())
    }

    async fn shell_request(&mut self, channel: ChannelId, session: &mut Session) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn exec_request(
        &mut self,
        channel: ChannelId,
        _data: &[u8],
        session: &mut Session,
    ) -> Result<(), Self::Error> {
        session.channel_failure(channel)?;
        Ok(())
    }

    async fn subsystem_request(&mut self, id: ChannelId, name: &str, session: &mut Session) -> Result<(), Self::Error> {
        let (Some(retailer), true) = (self.retailer.clone(), name == "sftp") else {
            session.channel_failure(id)?;
            return Ok(());
        };
        // The channel's data now comes to `data` above.
        if self.channels.remove(&id).is_none() {
            session.channel_failure(id)?;
            return Ok(());
        }
        session.channel_success(id)?;
        let tree = tree::Tree::new(self.shared.clone(), retailer, self.peer);
        self.sftp.insert(id, channel::SftpChannel::new(tree, MAX_SFTP_PACKET));
        Ok(())
    }
}
