//! `dropgate.toml`: the daemon's own settings. Retailers have profiles of
//! their own (see [`crate::retailer`]), applied into the database.

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub company: Company,
    pub database: Database,
    #[serde(default)]
    pub intake: Intake,
    #[serde(default)]
    pub outbox: Outbox,
    #[serde(default)]
    pub sftp: Sftp,
    #[serde(default)]
    pub slips: Slips,
    /// Column mappings for `dropgate ship import --profile NAME` (`default` when none is named).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub ship_import: std::collections::BTreeMap<String, ShipImportProfile>,
    /// How often `serve` looks whether a scheduled batch is due.
    #[serde(default)]
    pub batches: Batches,
    /// The mail server for retailers whose documents are e-mailed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub smtp: Option<Smtp>,
    #[serde(default)]
    pub http: Http,
    /// The orders mailbox `serve` reads (IMAP).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<Mail>,
    /// Where dropgate keeps its own files (relative to the config file).
    #[serde(default = "default_data_dir")]
    pub data_dir: PathBuf,
    /// The directory the config file was read from: relative paths in it and
    /// in retailer profiles are taken from here.
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// The wholesaler. Its name never appears on anything a consumer sees.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Database {
    /// `sqlite://PATH` (embedded, the default) or `postgres://USER@HOST/DB`.
    /// `DATABASE_URL` in the environment wins over this.
    pub url: String,
    #[serde(default = "default_max_connections")]
    pub max_connections: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Intake {
    /// A file that was not renamed into place is taken once it has not
    /// changed for this long.
    #[serde(default = "default_settle_ms")]
    pub settle_ms: u64,
    /// Watched folders are also rescanned this often (notify can miss events).
    #[serde(default = "default_rescan_ms")]
    pub rescan_ms: u64,
    /// Largest file taken; larger ones are moved to `rejected/` with a reason.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
}

impl Default for Intake {
    fn default() -> Self {
        Intake {
            settle_ms: default_settle_ms(),
            rescan_ms: default_rescan_ms(),
            max_file_bytes: default_max_file_bytes(),
        }
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// Delivery attempts before a document is dead-lettered.
    #[serde(default = "default_max_attempts")]
    pub max_attempts: i32,
    /// How often the delivery loop looks for due documents.
    #[serde(default = "default_poll_ms")]
    pub poll_ms: u64,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox { max_attempts: default_max_attempts(), poll_ms: default_poll_ms() }
    }
}

/// The columns of a shipment CSV: each names a header of the file (the
/// default is the field's own name).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipImportProfile {
    /// One character; `,` by default (`;`, `|`, `\t` work too).
    #[serde(default)]
    pub delimiter: Option<String>,
    pub po: Option<String>,
    pub retailer: Option<String>,
    pub carrier: Option<String>,
    pub service: Option<String>,
    pub tracking: Option<String>,
    pub line: Option<String>,
    pub quantity: Option<String>,
    pub weight: Option<String>,
    /// The unit of a weight given as a bare number (`kg`, `g`, `lb`, `oz`).
    pub weight_unit: Option<String>,
    pub dims: Option<String>,
    pub sscc: Option<String>,
    /// Carrier and service when the file has no such column.
    pub carrier_default: Option<String>,
    pub service_default: Option<String>,
}

impl ShipImportProfile {
    pub fn delimiter_byte(&self) -> u8 {
        match self.delimiter.as_deref() {
            Some("\\t" | "\t" | "tab") => b'\t',
            Some(d) if d.len() == 1 => d.as_bytes()[0],
            _ => b',',
        }
    }
}

/// The HTTP listener (`POST /cxml`).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Http {
    #[serde(default)]
    pub enabled: bool,
    #[serde(default = "default_http_listen")]
    pub listen: String,
    /// Largest document taken; larger ones get a 413.
    #[serde(default = "default_http_max_body")]
    pub max_body_bytes: u64,
    /// A request not received in full after this long gets a 408.
    #[serde(default = "default_http_read_timeout")]
    pub read_timeout_secs: u64,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            enabled: false,
            listen: default_http_listen(),
            max_body_bytes: default_http_max_body(),
            read_timeout_secs: default_http_read_timeout(),
        }
    }
}

/// An SMTP relay (plain SMTP on a trusted network; no TLS, no login).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    /// The sender address; its domain ends every Message-ID.
    pub from: String,
    #[serde(default = "default_smtp_timeout")]
    pub timeout_secs: u64,
}

fn default_smtp_port() -> u16 {
    25
}
fn default_smtp_timeout() -> u64 {
    30
}

/// How the IMAP connection is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailTls {
    /// Plain IMAP: only for a server on this machine or a trusted network.
    None,
    /// Plain IMAP upgraded with STARTTLS before the login.
    Starttls,
    /// TLS from the first byte (IMAPS, port 993).
    #[default]
    Tls,
}

/// The orders mailbox: `serve` reads it over IMAP, takes the attachments of
/// each message from a known retailer, and moves the message to
/// `processed_folder` once its documents are committed (or to
/// `rejected_folder`, with the reason recorded).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mail {
    #[serde(default = "default_true")]
    pub enabled: bool,
    pub host: String,
    /// Default: 993 with `tls = "tls"`, else 143.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<u16>,
    #[serde(default)]
    pub tls: MailTls,
    pub user: String,
    /// The password, or `password_file` (relative to this file) holding it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_file: Option<PathBuf>,
    /// The folder orders arrive in.
    #[serde(default = "default_mail_folder")]
    pub folder: String,
    /// Where a message goes once its documents are in the ledger.
    #[serde(default = "default_processed_folder")]
    pub processed_folder: String,
    /// Where a message from an unknown or unauthenticated sender goes.
    #[serde(default = "default_rejected_folder")]
    pub rejected_folder: String,
    /// How often the folder is looked at when the server offers no IDLE (or `idle = false`).
    #[serde(default = "default_mail_poll_secs")]
    pub poll_secs: u64,
    /// Wait for new mail with IMAP IDLE when the server offers it.
    #[serde(default = "default_true")]
    pub idle: bool,
    /// Larger messages are not fetched: moved to `rejected_folder` with the reason.
    #[serde(default = "default_mail_max_bytes")]
    pub max_message_bytes: u64,
    /// A network read or write that takes longer fails (and the connection is made again).
    #[serde(default = "default_mail_timeout")]
    pub timeout_secs: u64,
    /// PEM certificates (a private CA) trusted for the IMAP server besides
    /// the public roots, relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_file: Option<PathBuf>,
    /// DKIM public keys kept in a file instead of looked up in DNS (TOML:
    /// `"selector._domainkey.domain" = "v=DKIM1; k=rsa; p=…"`), relative to this file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dkim_keys: Option<PathBuf>,
}

fn default_mail_folder() -> String {
    "INBOX".into()
}
fn default_processed_folder() -> String {
    "Processed".into()
}
fn default_rejected_folder() -> String {
    "Rejected".into()
}
fn default_mail_poll_secs() -> u64 {
    60
}
fn default_mail_max_bytes() -> u64 {
    32 << 20
}
fn default_mail_timeout() -> u64 {
    60
}

impl Mail {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(if self.tls == MailTls::Tls { 993 } else { 143 })
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.host.trim().is_empty() {
            bail!("mail.host must name the IMAP server");
        }
        if self.user.trim().is_empty() {
            bail!("mail.user must not be empty");
        }
        match (&self.password, &self.password_file) {
            (Some(_), Some(_)) => bail!("mail.password and mail.password_file: give one, not both"),
            (None, None) => bail!("mail needs password or password_file"),
            _ => {}
        }
        for (what, v) in [
            ("folder", &self.folder),
            ("processed_folder", &self.processed_folder),
            ("rejected_folder", &self.rejected_folder),
        ] {
            if v.is_empty() || v.len() > 200 || !v.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
            {
                bail!("mail.{what} {v:?} must be 1 to 200 printable ASCII characters without '\"' or '\\'");
            }
        }
        if self.processed_folder == self.folder || self.rejected_folder == self.folder {
            bail!("mail.processed_folder and mail.rejected_folder must differ from mail.folder ({:?})", self.folder);
        }
        if self.poll_secs == 0 {
            bail!("mail.poll_secs must be at least 1");
        }
        if self.max_message_bytes < 1024 {
            bail!("mail.max_message_bytes must be at least 1024");
        }
        if self.tls == MailTls::None && self.ca_file.is_some() {
            bail!("mail.ca_file is for TLS: set tls = \"tls\" or \"starttls\", or leave ca_file out");
        }
        Ok(())
    }

    /// The password, read from `password_file` when that is how it is given.
    /// The connection's protection, with `ca_file` resolved.
    pub fn tls_setup(&self, cfg: &Config) -> crate::intake::mail::imap::Tls {
        crate::intake::mail::imap::Tls { mode: self.tls, ca_file: self.ca_file.as_ref().map(|f| cfg.resolve(f)) }
    }

    pub fn password(&self, cfg: &Config) -> anyhow::Result<String> {
        if let Some(p) = &self.password {
            return Ok(p.clone());
        }
        let Some(f) = &self.password_file else { bail!("mail needs password or password_file") };
        let path = cfg.resolve(f);
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read mail.password_file {}", path.display()))?;
        let p = text.trim_end_matches(['\r', '\n']).to_string();
        if p.is_empty() {
            bail!("mail.password_file {} is empty", path.display());
        }
        Ok(p)
    }
}

/// Scheduled batches (`[schedule]` of each retailer's profile).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Batches {
    /// Run the retailers' schedules in `serve`.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// How often `serve` looks for due batches.
    #[serde(default = "default_batch_poll_ms")]
    pub poll_ms: u64,
}

impl Default for Batches {
    fn default() -> Self {
        Batches { enabled: true, poll_ms: default_batch_poll_ms() }
    }
}

fn default_batch_poll_ms() -> u64 {
    1000
}

fn default_http_listen() -> String {
    "127.0.0.1:8089".into()
}

fn default_http_max_body() -> u64 {
    16 << 20
}

fn default_http_read_timeout() -> u64 {
    60
}

/// Packing slips (`dropgate slips print`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slips {
    /// `letter` or `a4`: the paper in the warehouse printer.
    #[serde(default)]
    pub paper: crate::slip::Paper,
}

/// The built-in SFTP server retailers log into.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sftp {
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Address and port to listen on.
    #[serde(default = "default_sftp_listen")]
    pub listen: String,
    /// Largest file a retailer may upload.
    #[serde(default = "default_max_file_bytes")]
    pub max_file_bytes: u64,
    /// Open sessions at once, per retailer and per client address.
    #[serde(default = "default_max_sessions")]
    pub max_sessions_per_retailer: u32,
    #[serde(default = "default_max_sessions")]
    pub max_sessions_per_ip: u32,
    /// A session with no traffic for this long is closed.
    #[serde(default = "default_idle_timeout_secs")]
    pub idle_timeout_secs: u64,
    /// A connection not logged in after this long is closed.
    #[serde(default = "default_auth_timeout_secs")]
    pub auth_timeout_secs: u64,
    /// Failed logins from one address before it is banned…
    #[serde(default = "default_ban_after_failures")]
    pub ban_after_failures: u32,
    /// …for this long.
    #[serde(default = "default_ban_secs")]
    pub ban_secs: u64,
    /// How much of an upload is held in memory before it goes into the
    /// database as one chunk (4 KiB to 64 MiB).
    #[serde(default = "default_chunk_bytes")]
    pub chunk_bytes: usize,
    /// A file uploaded under a temporary name and never renamed is removed
    /// after this many hours (0: kept until removed by the retailer).
    #[serde(default = "default_waiting_expire_hours")]
    pub waiting_expire_hours: u64,
    /// After answering a request, how long a session keeps polling its
    /// socket for the client's next one before its thread sleeps, in
    /// microseconds (0: never). Trades a little processor time for the
    /// wake-up between requests; a client slower than this is not polled for.
    #[serde(default = "default_busy_poll_us")]
    pub busy_poll_us: u64,
}

impl Default for Sftp {
    fn default() -> Self {
        Sftp {
            enabled: true,
            listen: default_sftp_listen(),
            max_file_bytes: default_max_file_bytes(),
            max_sessions_per_retailer: default_max_sessions(),
            max_sessions_per_ip: default_max_sessions(),
            idle_timeout_secs: default_idle_timeout_secs(),
            auth_timeout_secs: default_auth_timeout_secs(),
            ban_after_failures: default_ban_after_failures(),
            ban_secs: default_ban_secs(),
            chunk_bytes: default_chunk_bytes(),
            waiting_expire_hours: default_waiting_expire_hours(),
            busy_poll_us: default_busy_poll_us(),
        }
    }
}

impl Sftp {
    /// The chunk size, within its bounds.
    pub fn chunk(&self) -> usize {
        self.chunk_bytes.clamp(4096, 64 << 20)
    }
}

/// The longest busy poll `[sftp] busy_poll_us` may ask for.
const MAX_BUSY_POLL_US: u64 = 10_000;

fn default_busy_poll_us() -> u64 {
    300
}

fn default_waiting_expire_hours() -> u64 {
    168
}

fn default_chunk_bytes() -> usize {
    crate::store::blobs::CHUNK
}

fn default_true() -> bool {
    true
}
fn default_sftp_listen() -> String {
    "0.0.0.0:2222".into()
}
fn default_max_sessions() -> u32 {
    10
}
fn default_idle_timeout_secs() -> u64 {
    600
}
fn default_auth_timeout_secs() -> u64 {
    30
}
fn default_ban_after_failures() -> u32 {
    10
}
fn default_ban_secs() -> u64 {
    900
}
fn default_data_dir() -> PathBuf {
    PathBuf::from("data")
}
fn default_max_connections() -> u32 {
    8
}
fn default_settle_ms() -> u64 {
    500
}
fn default_rescan_ms() -> u64 {
    2000
}
fn default_max_file_bytes() -> u64 {
    256 * 1024 * 1024
}
fn default_max_attempts() -> i32 {
    10
}
fn default_poll_ms() -> u64 {
    200
}

impl Config {
    /// A fresh configuration for `init`.
    pub fn new_default(company: &str) -> Config {
        Config {
            company: Company { name: company.to_string() },
            database: Database { url: "sqlite://data/dropgate.db".into(), max_connections: default_max_connections() },
            intake: Intake::default(),
            outbox: Outbox::default(),
            sftp: Sftp::default(),
            slips: Slips::default(),
            ship_import: std::collections::BTreeMap::new(),
            batches: Batches::default(),
            smtp: None,
            http: Http::default(),
            mail: None,
            data_dir: default_data_dir(),
            base_dir: PathBuf::from("."),
        }
    }

    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path).with_context(|| {
            format!("cannot read the configuration {} (run `dropgate init` to create one)", path.display())
        })?;
        let mut cfg: Config =
            toml::from_str(&text).with_context(|| format!("{}: invalid configuration", path.display()))?;
        cfg.base_dir = path
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from("."));
        if cfg.company.name.trim().is_empty() {
            bail!("{}: company.name must not be empty", path.display());
        }
        if cfg.sftp.busy_poll_us > MAX_BUSY_POLL_US {
            bail!(
                "{}: sftp.busy_poll_us = {} is more than {MAX_BUSY_POLL_US} (10 ms): a longer poll only burns processor time",
                path.display(),
                cfg.sftp.busy_poll_us
            );
        }
        if let Some(m) = &cfg.mail {
            m.validate().with_context(|| format!("{}: invalid [mail]", path.display()))?;
        }
        Ok(cfg)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).unwrap_or_default();
        format!(
            "# dropgate configuration. Relative paths are taken from this file's directory.\n\
             # Retailers are onboarded with `dropgate retailer apply FILE.toml`.\n\n{body}"
        )
    }

    /// A path from the config, made absolute against the config's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.base_dir.join(p)
        }
    }

    pub fn data_dir(&self) -> PathBuf {
        self.resolve(&self.data_dir)
    }

    /// The database URL: `DATABASE_URL` wins; relative SQLite paths are
    /// taken from the config's directory.
    pub fn database_url(&self) -> String {
        if let Ok(u) = std::env::var("DATABASE_URL") {
            if !u.trim().is_empty() {
                return u;
            }
        }
        let url = &self.database.url;
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path != ":memory:" && !Path::new(path).is_absolute() {
                return format!("sqlite://{}", self.base_dir.join(path).display());
            }
        }
        url.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(extra: &str) -> anyhow::Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("dropgate.toml");
        std::fs::write(
            &p,
            format!("[company]\nname = \"W\"\n[database]\nurl = \"sqlite://x.db\"\n[mail]\nhost = \"127.0.0.1\"\nuser = \"orders\"\n{extra}"),
        )
        .unwrap();
        Config::load(&p)
    }

    #[test]
    fn mail_settings_have_defaults_and_clear_errors() {
        let c = mail("tls = \"none\"\npassword = \"s\"\n").unwrap();
        let m = c.mail.unwrap();
        assert_eq!((m.port(), m.folder.as_str(), m.processed_folder.as_str()), (143, "INBOX", "Processed"));
        assert_eq!((m.rejected_folder.as_str(), m.idle), ("Rejected", true));
        assert_eq!(MailTls::default(), MailTls::Tls);
        for (extra, why) in [
            ("tls = \"none\"\n", "password or password_file"),
            ("tls = \"none\"\npassword = \"s\"\npassword_file = \"p\"\n", "not both"),
            ("tls = \"none\"\npassword = \"s\"\nca_file = \"ca.pem\"\n", "ca_file is for TLS"),
            ("tls = \"none\"\npassword = \"s\"\nprocessed_folder = \"INBOX\"\n", "must differ"),
            ("tls = \"none\"\npassword = \"s\"\nrejected_folder = \"a\\\"b\"\n", "printable ASCII"),
            ("tls = \"none\"\npassword = \"s\"\npoll_secs = 0\n", "poll_secs"),
            ("tls = \"sometimes\"\npassword = \"s\"\n", "sometimes"),
            ("tls = \"none\"\npassword = \"s\"\nfoldr = \"x\"\n", "foldr"),
        ] {
            let e = format!("{:#}", mail(extra).unwrap_err());
            assert!(e.contains(why), "{extra}: {e}");
        }
    }

    #[test]
    fn sftp_busy_poll_has_a_default_and_a_bound() {
        let load = |sftp: &str| {
            let dir = tempfile::tempdir().unwrap();
            let p = dir.path().join("dropgate.toml");
            std::fs::write(&p, format!("[company]\nname = \"W\"\n[database]\nurl = \"sqlite://x.db\"\n[sftp]\n{sftp}"))
                .unwrap();
            Config::load(&p)
        };
        assert_eq!(load("").unwrap().sftp.busy_poll_us, 300);
        assert_eq!(load("busy_poll_us = 0\n").unwrap().sftp.busy_poll_us, 0);
        let e = format!("{:#}", load("busy_poll_us = 20000\n").unwrap_err());
        assert!(e.contains("sftp.busy_poll_us = 20000 is more than 10000"), "{e}");
    }
}
