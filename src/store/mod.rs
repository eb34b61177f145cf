//! The store: one diesel code path over SQLite (embedded, the default) and
//! PostgreSQL (several instances sharing one database).
//!
//! Queries are written once and compiled for each backend with
//! [`with_conn!`]; write transactions go through [`Conn::write`], which
//! takes SQLite's write lock up front (`BEGIN IMMEDIATE`) and retries
//! transient conflicts on both backends.

pub mod schema;

pub mod batches;
pub mod blobs;
pub mod documents;
pub mod mail;
pub mod orders;
pub mod outbox;
pub mod retailers;
pub mod sftp;
pub mod shipments;
pub mod slips;
pub mod stock;

use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::pg::PgConnection;
use diesel::sqlite::SqliteConnection;
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::time::Duration;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Runs `$body` with `$c` bound to the concrete connection of either backend.
/// The body is compiled once per backend.
#[macro_export]
macro_rules! with_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            $crate::store::Conn::Sqlite($c) => $body,
            $crate::store::Conn::Pg($c) => $body,
        }
    };
}
pub use with_conn;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is not supported: use sqlite://PATH or postgres://…")]
    BadUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("database pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("{0}")]
    Conflict(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    /// A document was received but could not be processed; the caller may
    /// record the arrival alone (see `pipeline::ingest`).
    #[error("document {document}: processing failed: {reason}")]
    ProcessingFailed { document: i64, reason: String },
}

impl StoreError {
    /// Whether retrying the whole transaction may succeed (lock contention,
    /// serialization failure, a concurrent change detected by a guard).
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Query(e) => is_transient_query(e),
            StoreError::Conflict(_) => true,
            _ => false,
        }
    }
}

fn is_transient_query(e: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => true,
        Error::DatabaseError(_, info) => {
            let m = info.message();
            m.contains("database is locked") || m.contains("deadlock detected") || m.contains("could not serialize")
        }
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A connection to either backend.
pub enum Conn {
    Sqlite(SqliteConnection),
    Pg(PgConnection),
}

impl Conn {
    pub fn backend(&self) -> Backend {
        match self {
            Conn::Sqlite(_) => Backend::Sqlite,
            Conn::Pg(_) => Backend::Postgres,
        }
    }

    fn begin_write(&mut self) -> diesel::QueryResult<()> {
        match self {
            Conn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE"),
            Conn::Pg(c) => AnsiTransactionManager::begin_transaction(c),
        }
    }

    fn commit(&mut self) -> diesel::QueryResult<()> {
        with_conn!(self, c => AnsiTransactionManager::commit_transaction(c))
    }

    fn rollback(&mut self) -> diesel::QueryResult<()> {
        with_conn!(self, c => AnsiTransactionManager::rollback_transaction(c))
    }

    /// Whether a transaction is open on this connection.
    pub fn in_transaction(&mut self) -> bool {
        with_conn!(self, c => matches!(
            AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth(),
            Ok(Some(_))
        ))
    }

    /// Runs `f` in one write transaction. On SQLite the write lock is
    /// taken at `BEGIN`, so concurrent writers queue instead of failing on
    /// upgrade. Transient failures (locks, serialization, a guard that
    /// saw a concurrent change) roll back and run `f` again, up to a limit.
    ///
    /// Inside a transaction already open, `f` is part of it: it commits or
    /// rolls back with it, and a transient failure is left to the outer
    /// transaction to retry.
    pub fn write<T>(&mut self, mut f: impl FnMut(&mut Conn) -> Result<T>) -> Result<T> {
        if self.in_transaction() {
            return f(self);
        }
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // SQLite has one writer at a time: writers of this process wait
            // their turn here, woken the moment it comes, instead of in
            // SQLite's busy handler, which sleeps for milliseconds.
            let _turn = match self {
                Conn::Sqlite(_) => Some(SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner)),
                Conn::Pg(_) => None,
            };
            let outcome = match self.begin_write() {
                Ok(()) => match f(self) {
                    Ok(v) => match self.commit() {
                        Ok(()) => {
                            COMMITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            return Ok(v);
                        }
                        Err(e) => {
                            let _ = self.rollback();
                            Err(StoreError::Query(e))
                        }
                    },
                    Err(e) => {
                        let _ = self.rollback();
                        Err(e)
                    }
                },
                Err(e) => Err(StoreError::Query(e)),
            };
            match outcome {
                Err(e) if e.is_transient() && attempt < 200 => {
                    let backoff = Duration::from_micros(200 * u64::from(attempt.min(50)));
                    std::thread::sleep(backoff);
                }
                other => return other,
            }
        }
    }

    /// Like [`Conn::write`], but the commit does not wait for the disk: a
    /// crash of the machine may lose it (never corrupt the database). Meant
    /// for steps whose result counts only once a later, synced commit
    /// covers it (the chunks of an upload before its close); that commit
    /// makes everything written before it durable as well.
    pub fn write_unsynced<T>(&mut self, mut f: impl FnMut(&mut Conn) -> Result<T>) -> Result<T> {
        match self {
            Conn::Sqlite(c) => {
                c.batch_execute("PRAGMA synchronous = NORMAL")?;
                let r = self.write(f);
                let restored = with_conn!(self, c => c.batch_execute("PRAGMA synchronous = FULL"));
                let v = r?;
                restored?;
                UNSYNCED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                Ok(v)
            }
            Conn::Pg(_) => self.write(|conn| {
                with_conn!(conn, c => c.batch_execute("SET LOCAL synchronous_commit = off"))?;
                f(conn)
            }),
        }
    }

    /// Runs `f` in a read-only transaction (one consistent snapshot).
    pub fn read<T>(&mut self, f: impl FnOnce(&mut Conn) -> Result<T>) -> Result<T> {
        with_conn!(self, c => AnsiTransactionManager::begin_transaction(c))?;
        let out = f(self);
        match &out {
            Ok(_) => self.commit()?,
            Err(_) => {
                let _ = self.rollback();
            }
        }
        out
    }
}

/// Opens one connection from a URL: `sqlite://PATH` (relative paths are
/// taken from the current directory), `sqlite::memory:`, or `postgres://…`.
pub fn connect(url: &str) -> Result<Conn> {
    connect_with(url, false)
}

/// Opens one connection; with `manual_checkpoints`, an SQLite connection
/// leaves the copying of its write-ahead log into the database to
/// [`Checkpointer`] instead of doing it in the commit that fills the log.
fn connect_with(url: &str, manual_checkpoints: bool) -> Result<Conn> {
    if let Some(path) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        if path != ":memory:" {
            if let Some(dir) = std::path::Path::new(path).parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir).map_err(|e| StoreError::Connect(format!("{}: {e}", dir.display())))?;
            }
        }
        let mut c = SqliteConnection::establish(path).map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
        // 8 KiB pages (taken only by a database not yet created). A small
        // document's commit writes about ten pages to the log, and a large
        // one is written a page at a time (two writes a page, its header
        // and its bytes): 4 KiB pages made a 2 KB upload's commit cheaper
        // but a 200 MB upload spend 40% of its time writing the log; 8 KiB
        // pages took that upload from 267 to 333 MB/s and 1,000 uploads of
        // 2 KB from 1,218 to 1,070 files/s; 16 KiB, 336 MB/s and 950 files/s.
        c.batch_execute(
            "PRAGMA page_size = 8192; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
             PRAGMA busy_timeout = 30000; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY;",
        )
        .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
        if manual_checkpoints {
            c.batch_execute(&format!("PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = {LOG_KEPT};"))
                .map_err(|e| StoreError::Connect(format!("{path}: {e}")))?;
        }
        Ok(Conn::Sqlite(c))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        let mut c = PgConnection::establish(url).map_err(|e| StoreError::Connect(format!("{}: {e}", redact(url))))?;
        c.batch_execute("SET client_min_messages = warning").map_err(|e| StoreError::Connect(e.to_string()))?;
        Ok(Conn::Pg(c))
    } else {
        Err(StoreError::BadUrl(redact(url)))
    }
}

/// The URL with any password replaced, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let cred = &url[s + 3..at];
            match cred.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

/// Brings the schema up to date.
pub fn migrate(conn: &mut Conn) -> Result<()> {
    let r = match conn {
        Conn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
        Conn::Pg(c) => {
            // Several instances may start at once: serialize their migrations.
            c.batch_execute("SELECT pg_advisory_lock(72217001)").map_err(|e| StoreError::Migration(e.to_string()))?;
            let r = c.run_pending_migrations(PG_MIGRATIONS).map(|_| ());
            let _ = c.batch_execute("SELECT pg_advisory_unlock(72217001)");
            r
        }
    };
    r.map_err(|e| StoreError::Migration(e.to_string()))
}

pub struct Manager {
    url: String,
    manual_checkpoints: bool,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Conn;
    type Error = StoreError;

    fn connect(&self) -> Result<Conn> {
        connect_with(&self.url, self.manual_checkpoints)
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<()> {
        with_conn!(conn, c => c.batch_execute("SELECT 1")).map_err(StoreError::Query)
    }

    fn has_broken(&self, _conn: &mut Conn) -> bool {
        false
    }
}

/// A pool of connections to one database, migrated on open.
#[derive(Clone)]
pub struct Store {
    pool: r2d2::Pool<Manager>,
    backend: Backend,
    url: String,
}

pub type PooledConn = r2d2::PooledConnection<Manager>;

impl Store {
    /// Opens (and creates, for SQLite) the database and runs the migrations.
    pub fn open(url: &str, max_connections: u32) -> Result<Store> {
        Store::open_with(url, max_connections, false)
    }

    /// Opens the store of the daemon: on SQLite, commits do not copy the
    /// write-ahead log into the database themselves (a large upload would
    /// wait for that, and for a sync of the whole database, at every few
    /// megabytes); run a [`Checkpointer`] beside it.
    pub fn open_for_daemon(url: &str, max_connections: u32) -> Result<Store> {
        Store::open_with(url, max_connections, true)
    }

    fn open_with(url: &str, max_connections: u32, manual_checkpoints: bool) -> Result<Store> {
        let mut first = connect(url)?;
        migrate(&mut first)?;
        let backend = first.backend();
        drop(first);
        let manual_checkpoints = manual_checkpoints && backend == Backend::Sqlite;
        // A PostgreSQL connection is tested as it is taken from the pool (the
        // server may have gone away meanwhile); an SQLite one cannot break,
        // and a test would cost a statement on every checkout.
        let pool = r2d2::Pool::builder()
            .max_size(max_connections.max(1))
            .connection_timeout(Duration::from_secs(60))
            .test_on_check_out(backend == Backend::Postgres)
            .build(Manager { url: url.to_string(), manual_checkpoints })?;
        Ok(Store { pool, backend, url: url.to_string() })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub fn conn(&self) -> Result<PooledConn> {
        Ok(self.pool.get()?)
    }

    /// The checkpointer for this store (SQLite only).
    pub fn checkpointer(&self) -> Option<Checkpointer> {
        (self.backend == Backend::Sqlite).then(|| Checkpointer { url: self.url.clone() })
    }
}

/// Bytes of SQLite's log kept when it is written over again (in the
/// daemon); the rest is cut off.
const LOG_KEPT: u64 = 64 << 20;

/// The turn of SQLite writers of this process (one process owns an SQLite
/// database; writers of other processes, such as a command run while
/// `serve` runs, still wait in SQLite's own lock).
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Commits since the start, counted by [`Conn::write`]: tells the
/// checkpointer whether, and how recently, anything was written.
static COMMITS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
/// Commits that did not wait for the disk (SQLite).
static UNSYNCED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Looks after SQLite's write-ahead log, on a thread of its own, so that no
/// commit waits for it: copies the log into the database on a connection of
/// its own once writes have paused for a moment (and at least every few
/// seconds while they go on); and, while unsynced commits go on (a large
/// upload arriving), writes the log to disk every tenth of a second, so
/// that the commit that ends them has little left to wait for.
///
/// After a checkpoint SQLite writes the log again from its start, over the
/// old frames. That is the cheap way: a commit's sync then writes its
/// frames alone, where a commit that makes the file longer also writes the
/// file's new size and block allocation (twice the time, measured here:
/// 175 µs against 333 µs a commit). But a frame (a page and its 24-byte
/// header) does not line up with the file system's blocks, so each write
/// covers parts of blocks; where those blocks are no longer in memory (a
/// machine that reclaims idle page cache does so within a minute), the
/// kernel reads them from disk first, and a commit of a dozen frames waits
/// for a dozen reads. So while the log holds frames, the checkpointer
/// reads its blocks every few seconds, which keeps them in memory; once no
/// commit came for half a minute (and at the stop) it empties the log
/// instead, and later commits append until the log is written over again.
pub struct Checkpointer {
    url: String,
}

impl Checkpointer {
    /// Pause of writes after which the log is copied.
    const QUIET: Duration = Duration::from_millis(500);
    /// Copied at least this often while writes go on.
    const AT_LEAST: Duration = Duration::from_secs(10);
    /// The log is emptied once no commit came for this long.
    const IDLE: Duration = Duration::from_secs(30);
    /// While the log holds frames, its blocks are read this often.
    const WARM_EVERY: Duration = Duration::from_secs(10);
    /// How long emptying the log waits for readers still on it.
    const TRUNCATE_WAIT_MS: u32 = 100;
    /// Tried again this long after readers kept it from being emptied.
    const TRUNCATE_RETRY: Duration = Duration::from_secs(5);

    /// The log's file, for syncing it.
    fn wal_path(&self) -> Option<std::path::PathBuf> {
        let path = self.url.strip_prefix("sqlite://").or_else(|| self.url.strip_prefix("sqlite:"))?;
        (path != ":memory:").then(|| std::path::PathBuf::from(format!("{path}-wal")))
    }

    /// Runs until `stop` is set; a last checkpoint before returning.
    pub fn run(self, stop: &std::sync::atomic::AtomicBool) {
        use std::sync::atomic::Ordering;
        let mut conn = None;
        let mut wal: Option<std::fs::File> = None;
        let mut unsynced = UNSYNCED.load(Ordering::Relaxed);
        let mut seen = COMMITS.load(Ordering::Relaxed);
        let mut changed_at = std::time::Instant::now();
        let mut done_at = std::time::Instant::now();
        // When the log may next be emptied (when idle).
        let mut truncate_from = std::time::Instant::now();
        let mut warmed_at = std::time::Instant::now();
        let mut warm_buf = Vec::new();
        let mut dirty = true;
        // Whether the log may hold frames (written since it was last emptied).
        let mut filled = true;
        loop {
            let stopping = stop.load(Ordering::SeqCst);
            let u = UNSYNCED.load(Ordering::Relaxed);
            if u != unsynced {
                unsynced = u;
                if wal.is_none() {
                    wal = self.wal_path().and_then(|p| std::fs::File::open(p).ok());
                }
                if let Some(f) = &wal {
                    if let Err(e) = f.sync_data() {
                        tracing::warn!("syncing the write-ahead log: {e}");
                        wal = None;
                    }
                }
            }
            let now = COMMITS.load(Ordering::Relaxed);
            if now != seen {
                seen = now;
                changed_at = std::time::Instant::now();
                dirty = true;
                filled = true;
            }
            let quiet = changed_at.elapsed() >= Self::QUIET;
            let due = quiet || done_at.elapsed() >= Self::AT_LEAST || stopping;
            let idle = changed_at.elapsed() >= Self::IDLE;
            let truncate = filled && (stopping || (idle && std::time::Instant::now() >= truncate_from));
            if (dirty && due) || truncate {
                if conn.is_none() {
                    conn = self.connect().map_err(|e| tracing::warn!("checkpoints: {e}")).ok();
                }
                if let Some(Conn::Sqlite(c)) = conn.as_mut() {
                    let r = if truncate {
                        // Writers of this process wait for their turn, not in
                        // SQLite's busy handler, while the log is emptied.
                        let _turn = SQLITE_WRITER.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                        c.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    } else {
                        c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")
                    };
                    match r {
                        Ok(()) => {
                            dirty = COMMITS.load(Ordering::Relaxed) != seen;
                            // Readers still on the log keep it (the pragma
                            // then reports busy): tried again a little later.
                            if truncate {
                                if self.wal_len() == Some(0) {
                                    filled = dirty;
                                } else {
                                    truncate_from = std::time::Instant::now() + Self::TRUNCATE_RETRY;
                                }
                            }
                        }
                        Err(e) => {
                            tracing::warn!("checkpoint: {e}");
                            conn = None;
                        }
                    }
                }
                done_at = std::time::Instant::now();
            }
            if stopping {
                return;
            }
            if filled && warmed_at.elapsed() >= Self::WARM_EVERY {
                self.warm(&mut warm_buf);
                warmed_at = std::time::Instant::now();
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The checkpointer's own connection: it waits only briefly for readers
    /// when emptying the log.
    fn connect(&self) -> Result<Conn> {
        let mut conn = connect(&self.url)?;
        with_conn!(&mut conn, c => c.batch_execute(&format!("PRAGMA busy_timeout = {}", Self::TRUNCATE_WAIT_MS)))?;
        Ok(conn)
    }

    /// Reads the part of the log's file that is written over again (its
    /// blocks stay in memory); a failure only costs speed.
    fn warm(&self, buf: &mut Vec<u8>) {
        use std::io::Read;
        let Some(f) = self.wal_path().and_then(|p| std::fs::File::open(p).ok()) else { return };
        buf.resize(1 << 20, 0);
        let mut kept = f.take(LOG_KEPT);
        while matches!(kept.read(buf), Ok(n) if n > 0) {}
    }

    /// The length of the log's file, if it can be read.
    fn wal_len(&self) -> Option<u64> {
        std::fs::metadata(self.wal_path()?).ok().map(|m| m.len())
    }
}

/// Microseconds since the Unix epoch: every timestamp in the store.
pub fn now_micros() -> i64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// An audit event.
pub fn event(
    conn: &mut Conn,
    kind: &str,
    retailer: Option<&str>,
    document: Option<i64>,
    order: Option<i64>,
    message: &str,
) -> Result<()> {
    use diesel::prelude::*;
    use schema::events::dsl as e;
    let now = now_micros();
    with_conn!(conn, c => diesel::insert_into(e::events)
        .values((
            e::at.eq(now),
            e::kind.eq(kind),
            e::retailer_id.eq(retailer),
            e::document_id.eq(document),
            e::order_id.eq(order),
            e::message.eq(message),
        ))
        .execute(c))?;
    Ok(())
}

/// An event of the audit trail.
#[derive(Clone, Debug, serde::Serialize, diesel::Queryable)]
pub struct EventRow {
    pub id: i64,
    pub at: i64,
    pub kind: String,
    pub retailer_id: Option<String>,
    pub document_id: Option<i64>,
    pub order_id: Option<i64>,
    pub message: String,
}

/// Events whose kind starts with `prefix` (e.g. `sftp.`), newest first.
pub fn events(conn: &mut Conn, prefix: &str, retailer: Option<&str>, limit: i64) -> Result<Vec<EventRow>> {
    use diesel::prelude::*;
    use schema::events::dsl as e;
    let pattern = format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
    Ok(with_conn!(conn, c => {
        let mut q = e::events
            .filter(e::kind.like(pattern.clone()).escape('\\'))
            .order(e::id.desc())
            .limit(limit)
            .into_boxed();
        if let Some(r) = retailer {
            q = q.filter(e::retailer_id.eq(r.to_string()));
        }
        q.load::<EventRow>(c)
    })?)
}
