//! The orders mailbox (`[mail]` in dropgate.toml). `serve` reads the
//! folder over IMAP; for each message:
//!
//! 1. the retailer is the one whose `[mail] senders` names the From
//!    address (an address beats a domain);
//! 2. unless its profile says `dkim = "optional"`, a valid DKIM signature
//!    whose `d=` aligns with the From domain is required ([`dkim`]);
//! 3. each attachment goes through [`crate::pipeline::ingest`] like a file
//!    dropped in the retailer's folder (same ledger, same duplicate checks);
//! 4. the whole message is recorded ([`crate::store::mail`]) and only then
//!    moved to `processed_folder`, or to `rejected_folder` when it was not
//!    taken (unknown sender, failed DKIM, nothing attached, too large),
//!    with the reason recorded.
//!
//! A message whose attachment cannot be read is still processed: the
//! document is quarantined with its reason (`dropgate documents list`)
//! and the message goes to `processed_folder`, since it came from the
//! retailer and its bytes are in the ledger. The same message seen again
//! (a crash between commit and move, or a second copy) is recognised by
//! its SHA-256 and moved without being taken twice; the same attachment
//! in another message is a repeat of the document and answered again.

pub mod dkim;
pub mod imap;
pub mod keys;
pub mod mime;

use crate::config::{Config, Mail};
use crate::pipeline::Summary;
use crate::retailer::{DkimPolicy, MailSenders};
use crate::store::documents::{self, Arrival, Body};
use crate::store::mail::{self, NewMail, PROCESSED, REJECTED};
use crate::store::{retailers, Conn, Store, StoreError};
use imap::{Client, ImapError};
use keys::KeyResolver;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Messages handled before they are moved together.
const BATCH: usize = 100;

/// Where DKIM keys come from: the `dkim_keys` file when configured, else DNS.
pub fn resolver(cfg: &Config, m: &Mail) -> anyhow::Result<Box<dyn KeyResolver>> {
    match &m.dkim_keys {
        Some(p) => Ok(Box::new(keys::StaticKeys::load(&cfg.resolve(p))?)),
        None => Ok(Box::new(keys::DnsKeys::from_resolv_conf()?)),
    }
}

/// What became of one message.
#[derive(Clone, Debug)]
pub struct Handled {
    pub mail_id: i64,
    pub state: String,
    pub retailer: Option<String>,
    pub documents: Vec<i64>,
    /// Recorded before (only moved now).
    pub again: bool,
    pub summary: Summary,
}

impl Handled {
    /// A message recorded as rejected now.
    fn rejected(mail_id: i64, retailer: Option<&str>) -> Handled {
        Handled {
            mail_id,
            state: REJECTED.into(),
            retailer: retailer.map(str::to_string),
            documents: Vec::new(),
            again: false,
            summary: Summary::default(),
        }
    }
}

/// A retailer that takes mail.
struct Sender {
    retailer: String,
    senders: MailSenders,
}

/// The mailbox's reader: one connection at a time.
pub struct Intake<'a> {
    pub cfg: &'a Config,
    pub mail: &'a Mail,
    pub keys: &'a dyn KeyResolver,
    /// Messages whose fetch broke the connection, and how often: after
    /// [`MAX_FETCH_FAILURES`] one is moved to the rejected folder unfetched,
    /// so that it cannot hold up the rest of the mailbox.
    pub failures: std::sync::Mutex<std::collections::HashMap<u32, u32>>,
}

/// Fetches of one message that may fail (each one ends the connection) before it is set aside.
pub const MAX_FETCH_FAILURES: u32 = 3;

impl Intake<'_> {
    /// Reads the mailbox until `stop` turns true: connects (again after a
    /// failure), takes what is there, then waits for more (IDLE, or polls).
    pub fn run(&self, store: &Store, stop: &AtomicBool, wake_delivery: &dyn Fn()) {
        let mut backoff = Duration::from_secs(1);
        while !stop.load(Ordering::SeqCst) {
            match self.session(store, stop, wake_delivery) {
                Ok(()) => return,
                Err(e) => {
                    tracing::error!(host = %self.mail.host, "mailbox: {e:#}; connecting again in {}s", backoff.as_secs());
                    let until = std::time::Instant::now() + backoff;
                    while std::time::Instant::now() < until && !stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(100));
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(self.mail.poll_secs.clamp(1, 300)));
                }
            }
        }
    }

    fn connect(&self) -> anyhow::Result<Client> {
        let m = self.mail;
        let max = usize::try_from(m.max_message_bytes).unwrap_or(usize::MAX).saturating_add(64 << 10);
        let tls = m.tls_setup(self.cfg);
        let mut c = Client::connect(&m.host, m.port(), &tls, Duration::from_secs(m.timeout_secs.max(1)), max)?;
        c.login(&m.user, &m.password(self.cfg)?)?;
        for f in [&m.processed_folder, &m.rejected_folder] {
            c.ensure_folder(f)?;
        }
        c.select(&m.folder)?;
        Ok(c)
    }

    fn session(&self, store: &Store, stop: &AtomicBool, wake_delivery: &dyn Fn()) -> anyhow::Result<()> {
        let mut client = self.connect()?;
        tracing::info!(
            host = %self.mail.host,
            folder = %self.mail.folder,
            idle = self.mail.idle && client.has("IDLE"),
            moves = if client.has("MOVE") { "UID MOVE" } else { "COPY + EXPUNGE" },
            "reading the orders mailbox"
        );
        let is_stopped = || stop.load(Ordering::SeqCst);
        loop {
            let mut conn = store.conn()?;
            client.changed = false;
            let handled = self.take_all(&mut client, &mut conn, &is_stopped)?;
            drop(conn);
            if handled.iter().any(|h| !h.again && h.state == PROCESSED) {
                wake_delivery();
            }
            if is_stopped() {
                client.logout();
                return Ok(());
            }
            if client.changed {
                // Mail arrived while the folder was being read: read it again now.
                continue;
            }
            let wait = Duration::from_secs(self.mail.poll_secs.clamp(1, 1500));
            if self.mail.idle && client.has("IDLE") {
                client.idle(wait, &is_stopped)?;
            } else {
                let until = std::time::Instant::now() + wait;
                while std::time::Instant::now() < until && !is_stopped() {
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
            if is_stopped() {
                client.logout();
                return Ok(());
            }
        }
    }

    /// Takes every message in the folder, [`BATCH`] at a time: handled,
    /// committed, then moved together.
    pub fn take_all(
        &self,
        client: &mut Client,
        conn: &mut Conn,
        stop: &dyn Fn() -> bool,
    ) -> anyhow::Result<Vec<Handled>> {
        let uids = client.search_undeleted()?;
        let mut all = Vec::new();
        if uids.is_empty() {
            return Ok(all);
        }
        let senders = senders(conn)?;
        for chunk in uids.chunks(BATCH) {
            let mut done: Vec<(u32, Handled)> = Vec::new();
            for (uid, size) in client.sizes(chunk)? {
                if stop() {
                    break;
                }
                let failed = self.failures.lock().map(|f| f.get(&uid).copied().unwrap_or(0)).unwrap_or(0);
                let h = if size > self.mail.max_message_bytes {
                    let why =
                        format!("{size} bytes is larger than mail.max_message_bytes ({})", self.mail.max_message_bytes);
                    self.unfetched(conn, uid, size, &why)
                } else if failed >= MAX_FETCH_FAILURES {
                    let why = format!("the server's answer to its fetch could not be read {failed} times");
                    self.unfetched(conn, uid, size, &why)
                } else {
                    match client.fetch(uid) {
                        Ok(Some(f)) => self.handle(conn, &senders, uid, &f.bytes),
                        Ok(None) => {
                            tracing::warn!(uid, "mailbox: message not fetched (removed meanwhile?)");
                            continue;
                        }
                        Err(e) => {
                            if let ImapError::Protocol(_) = e {
                                if let Ok(mut f) = self.failures.lock() {
                                    *f.entry(uid).or_default() += 1;
                                }
                            }
                            // The connection is not to be trusted any more: what was handled
                            // is recognised and moved on the next one.
                            return Err(anyhow::Error::new(e).context(format!("fetching message UID {uid}")));
                        }
                    }
                };
                match h {
                    Ok(h) => {
                        if !h.again && std::env::var_os("DROPGATE_FAULT").is_some_and(|v| v == "mail_after_commit") {
                            // Test hook: die between the commit and the move.
                            std::process::abort();
                        }
                        done.push((uid, h));
                    }
                    // The message stays in the folder and is taken again next time.
                    Err(e) => tracing::error!(uid, "mailbox: message not taken, will retry: {e:#}"),
                }
            }
            self.move_and_settle(client, conn, &done)?;
            all.extend(done.into_iter().map(|(_, h)| h));
            if stop() {
                break;
            }
        }
        Ok(all)
    }

    fn move_and_settle(&self, client: &mut Client, conn: &mut Conn, done: &[(u32, Handled)]) -> anyhow::Result<()> {
        let uids = |state: &str| done.iter().filter(|(_, h)| h.state == state).map(|(u, _)| *u).collect::<Vec<u32>>();
        client.move_to(&uids(PROCESSED), &self.mail.processed_folder)?;
        client.move_to(&uids(REJECTED), &self.mail.rejected_folder)?;
        conn.write(|c| {
            for (_, h) in done {
                mail::moved(c, h.mail_id)?;
                if let Some(r) = &h.retailer {
                    let source = format!("mail:{r}");
                    for d in &h.documents {
                        documents::settle_open(c, *d, &source)?;
                    }
                }
            }
            Ok(())
        })?;
        Ok(())
    }

    /// A message set aside without being fetched: recorded with the reason,
    /// moved whole to the rejected folder.
    fn unfetched(&self, conn: &mut Conn, uid: u32, size: u64, why: &str) -> anyhow::Result<Handled> {
        let key = format!("unfetched:{}@{}/{}/{uid}/{size}", self.mail.user, self.mail.host, self.mail.folder);
        if let Some(row) = mail::find(conn, &key)? {
            return Ok(again(row));
        }
        let reason =
            format!("message UID {uid}: {why}; not fetched, left whole in the {} folder", self.mail.rejected_folder);
        tracing::warn!(uid, "mailbox: {reason}");
        let id = mail::record(
            conn,
            &NewMail {
                sha256: &key,
                message_id: "",
                sender: "",
                subject: "",
                retailer: None,
                bytes: None,
                size: i64::try_from(size).unwrap_or(i64::MAX),
                state: REJECTED,
                reason: Some(&reason),
                documents: &[],
            },
        )?;
        Ok(Handled::rejected(id, None))
    }

    /// Handles one fetched message: recorded (and its documents committed)
    /// when this returns.
    fn handle(&self, conn: &mut Conn, senders: &[Sender], uid: u32, bytes: &[u8]) -> anyhow::Result<Handled> {
        let sha = crate::util::sha256_hex(bytes);
        if let Some(row) = mail::find(conn, &sha)? {
            tracing::info!(uid, mail_id = row.id, state = %row.state, "mailbox: message seen before; moved only");
            return Ok(again(row));
        }
        let parsed = mail_parser::MessageParser::default().parse(bytes);
        let message_id = parsed.as_ref().and_then(|m| m.message_id()).map(|s| format!("<{s}>")).unwrap_or_default();
        let subject = parsed.as_ref().and_then(|m| m.subject()).unwrap_or("").chars().take(200).collect::<String>();
        let from_all: Vec<String> = parsed
            .as_ref()
            .and_then(|m| m.from())
            .map(|a| a.iter().filter_map(|x| x.address()).map(|s| s.trim().to_ascii_lowercase()).collect())
            .unwrap_or_default();
        let label = if message_id.is_empty() {
            format!("message UID {uid}")
        } else {
            format!("message {message_id} (UID {uid})")
        };
        let from = from_all.first().cloned().unwrap_or_default();
        let size = i64::try_from(bytes.len()).unwrap_or(i64::MAX);
        let reject = |conn: &mut Conn, retailer: Option<&str>, reason: String| -> anyhow::Result<Handled> {
            tracing::warn!(uid, from = %from, retailer = retailer.unwrap_or("-"), "mailbox: rejected: {reason}");
            let id = mail::record(
                conn,
                &NewMail {
                    sha256: &sha,
                    message_id: &message_id,
                    sender: &from,
                    subject: &subject,
                    retailer,
                    bytes: Some(bytes),
                    size,
                    state: REJECTED,
                    reason: Some(&reason),
                    documents: &[],
                },
            )?;
            Ok(Handled::rejected(id, retailer))
        };
        let Some(msg) = parsed.as_ref() else {
            return reject(conn, None, format!("{label}: not an e-mail message dropgate can read"));
        };
        if from_all.len() != 1 {
            let why = if from_all.is_empty() { "has no From address" } else { "has more than one From address" };
            return reject(conn, None, format!("{label} {why}"));
        }
        // The retailer: the most specific match of its senders.
        let mut best: Vec<&Sender> = Vec::new();
        let mut score = 0;
        for s in senders {
            let m = s.senders.matches(&from);
            if m > score {
                score = m;
                best.clear();
            }
            if m > 0 && m == score {
                best.push(s);
            }
        }
        let sender = match best.as_slice() {
            [] => {
                return reject(
                    conn,
                    None,
                    format!("{label}: unknown sender {from}: no retailer's mail.senders names it or its domain"),
                )
            }
            [one] => *one,
            many => {
                let ids: Vec<&str> = many.iter().map(|s| s.retailer.as_str()).collect();
                return reject(
                    conn,
                    None,
                    format!(
                        "{label}: sender {from} is named by several retailers ({}); fix their mail.senders",
                        ids.join(", ")
                    ),
                );
            }
        };
        let retailer = sender.retailer.as_str();
        if sender.senders.dkim == DkimPolicy::Required {
            let from_domain = dkim::domain_of(&from).unwrap_or_default();
            let now = u64::try_from(crate::util::unix_now()).unwrap_or(0);
            let verdicts = dkim::verify(bytes, self.keys, now);
            let good = verdicts.iter().any(|v| v.result.is_ok() && dkim::aligned(&v.domain, &from_domain));
            if !good {
                let detail = if verdicts.is_empty() {
                    "it has no DKIM signature".to_string()
                } else {
                    verdicts
                        .iter()
                        .map(|v| match &v.result {
                            Ok(()) => format!("d={} is valid but not aligned with {from_domain}", v.domain),
                            Err(_) => v.to_string(),
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                return reject(
                    conn,
                    Some(retailer),
                    format!(
                        "{label} from {from}: retailer {retailer} requires a valid DKIM signature aligned with \
                         {from_domain}, and {detail}"
                    ),
                );
            }
        }
        let parts = mime::documents(msg, bytes);
        if parts.is_empty() {
            return reject(conn, Some(retailer), format!("{label} from {from}: no attachment dropgate reads"));
        }
        let source = format!("mail:{retailer}");
        // Its documents and its record, in one transaction (one wait for the disk).
        let take = |conn: &mut Conn| -> crate::store::Result<(Vec<i64>, Summary, i64)> {
            let mut docs = Vec::new();
            let mut summary = Summary::default();
            for p in &parts {
                let arrival = Arrival {
                    source: &source,
                    name: &p.name,
                    retailer: Some(retailer),
                    body: Body::Bytes(&p.bytes),
                    settled: false,
                };
                if let Some(problem) = &p.problem {
                    let reason = format!("{label}, {problem}");
                    docs.push(quarantine(conn, arrival, retailer, &reason)?);
                    summary.documents += 1;
                    summary.quarantined += 1;
                    summary.problems.push(reason);
                    continue;
                }
                let (received, s) = crate::pipeline::ingest(conn, arrival)?;
                docs.push(received.document());
                summary.add(&s);
            }
            let id = mail::record(
                conn,
                &NewMail {
                    sha256: &sha,
                    message_id: &message_id,
                    sender: &from,
                    subject: &subject,
                    retailer: Some(retailer),
                    bytes: Some(bytes),
                    size,
                    state: PROCESSED,
                    reason: (!summary.problems.is_empty()).then(|| summary.problems.join("; ")).as_deref(),
                    documents: &docs,
                },
            )?;
            Ok((docs, summary, id))
        };
        let (docs, summary, id) = match conn.write(take) {
            Ok(t) => t,
            // A document that cannot be processed now: taken one transaction
            // at a time instead, so that its arrival is kept and it waits in
            // the ledger to be processed again.
            Err(StoreError::ProcessingFailed { .. }) => take(conn)?,
            Err(e) => return Err(e.into()),
        };
        tracing::info!(
            uid,
            retailer,
            from = %from,
            message_id = %message_id,
            documents = ?docs,
            orders = summary.orders(),
            duplicates = summary.duplicate,
            quarantined = summary.quarantined,
            "mailbox: taken"
        );
        Ok(Handled {
            mail_id: id,
            state: PROCESSED.into(),
            retailer: Some(retailer.to_string()),
            documents: docs,
            again: false,
            summary,
        })
    }
}

fn again(row: mail::MailRow) -> Handled {
    Handled {
        mail_id: row.id,
        documents: row.document_ids(),
        state: row.state,
        retailer: row.retailer_id,
        again: true,
        summary: Summary::default(),
    }
}

/// Records a part that cannot be decoded as a quarantined document.
fn quarantine(conn: &mut Conn, arrival: Arrival<'_>, retailer: &str, reason: &str) -> crate::store::Result<i64> {
    conn.write(|c| {
        let received = documents::receive(c, arrival)?;
        let id = received.document();
        if let Some(d) = documents::meta(c, id)? {
            if d.state == documents::RECEIVED {
                documents::finish(c, id, documents::QUARANTINED, Some(retailer), Some(reason))?;
                crate::store::event(c, "document.quarantined", Some(retailer), Some(id), None, reason)?;
            }
        }
        Ok(id)
    })
}

/// The retailers that take mail, with their senders.
fn senders(conn: &mut Conn) -> crate::store::Result<Vec<Sender>> {
    let mut out = Vec::new();
    for row in retailers::list(conn)? {
        if let Some(m) = row.profile()?.mail {
            out.push(Sender { retailer: row.id, senders: m });
        }
    }
    Ok(out)
}
