//! `dropgate doctor`: checks an installation and says what needs attention.

use crate::store::{blobs, documents, outbox, retailers};
use clap::Args;
use serde_json::{json, Map, Value};
use std::path::Path;

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One line of the report: a topic, what was found, and whether it is a problem.
struct Finding {
    topic: &'static str,
    text: String,
    problem: bool,
}

pub fn run(config: &Path, a: &DoctorArgs) -> anyhow::Result<i32> {
    let mut found: Vec<Finding> = Vec::new();
    let mut report = Map::new();
    let mut note = |topic: &'static str, text: String, problem: bool| found.push(Finding { topic, text, problem });

    let cfg = super::load(config)?;
    note("configuration", format!("{} (company {:?})", config.display(), cfg.company.name), false);
    report.insert("config".into(), json!(config.display().to_string()));

    let store = match super::open(&cfg) {
        Ok(s) => s,
        Err(e) => {
            note("database", format!("{e:#}"), true);
            return finish(a, report, &found);
        }
    };
    let mut conn = store.conn()?;
    note(
        "database",
        format!("{} ({}), schema up to date", crate::store::redact(&cfg.database_url()), store.backend().name()),
        false,
    );
    report.insert(
        "database".into(),
        json!({ "url": crate::store::redact(&cfg.database_url()), "backend": store.backend().name() }),
    );

    // The host key retailers pin.
    let data_dir = cfg.data_dir();
    let key_path = data_dir.join(crate::intake::sftp::HOST_KEY_FILE);
    let fingerprint = if key_path.exists() {
        match crate::intake::sftp::host_key(&data_dir) {
            Ok((_, f)) => Some(f),
            Err(e) => {
                note("sftp", format!("host key {}: {e:#}", key_path.display()), true);
                None
            }
        }
    } else {
        if cfg.sftp.enabled {
            note(
                "sftp",
                format!("no host key yet ({}): `dropgate init` or `serve` makes one", key_path.display()),
                true,
            );
        }
        None
    };

    let (unfinished, unfinished_bytes) = blobs::open_count(&mut conn)?;
    let waiting = crate::store::sftp::count_all(&mut conn)?;
    if cfg.sftp.enabled {
        note(
            "sftp",
            format!(
                "listens on {}; host key {}",
                cfg.sftp.listen,
                fingerprint.clone().unwrap_or_else(|| "(none yet)".into())
            ),
            false,
        );
    } else {
        note("sftp", "disabled ([sftp] enabled = false)".into(), false);
    }
    note(
        "sftp",
        format!(
            "{unfinished} upload(s) in progress or unfinished ({unfinished_bytes} bytes); {waiting} file(s) waiting \
             under a temporary name for their rename"
        ),
        false,
    );
    report.insert(
        "sftp".into(),
        json!({
            "enabled": cfg.sftp.enabled,
            "listen": cfg.sftp.listen,
            "host_key": fingerprint,
            "unfinished_uploads": unfinished,
            "unfinished_bytes": unfinished_bytes,
            "waiting_files": waiting,
        }),
    );

    // The orders mailbox: settings usable, the server reachable, and what it brought.
    if let Some(m) = cfg.mail.as_ref().filter(|m| m.enabled) {
        let mut problems = Vec::new();
        if let Err(e) = crate::intake::mail::resolver(&cfg, m) {
            problems.push(format!("{e:#}"));
        }
        match m.password(&cfg) {
            Err(e) => problems.push(format!("{e:#}")),
            Ok(password) => {
                let t = std::time::Duration::from_secs(m.timeout_secs.clamp(1, 10));
                let reached =
                    crate::intake::mail::imap::Client::connect(&m.host, m.port(), &m.tls_setup(&cfg), t, 1 << 20)
                        .and_then(|mut c| {
                            c.login(&m.user, &password)?;
                            c.select(&m.folder)?;
                            let idle = c.has("IDLE");
                            c.logout();
                            Ok(idle)
                        });
                match reached {
                    Ok(idle) => note(
                        "mail",
                        format!(
                            "{}@{}:{} folder {} readable{}",
                            m.user,
                            m.host,
                            m.port(),
                            m.folder,
                            if idle { " (IDLE)" } else { "" }
                        ),
                        false,
                    ),
                    Err(e) => problems.push(format!("{}:{}: {e}", m.host, m.port())),
                }
            }
        }
        for p in &problems {
            note("mail", p.clone(), true);
        }
        let counts = crate::store::mail::counts(&mut conn)?;
        let count = |state: &str| counts.iter().find(|(s, _)| s == state).map_or(0, |(_, n)| *n);
        let (taken, rejected) = (count(crate::store::mail::PROCESSED), count(crate::store::mail::REJECTED));
        note(
            "mail",
            format!("{taken} message(s) taken, {rejected} rejected (`dropgate documents list --mail` has the reasons)"),
            false,
        );
        report.insert(
            "mail".into(),
            json!({ "host": m.host, "port": m.port(), "folder": m.folder, "messages": taken + rejected, "rejected": rejected, "problems": problems }),
        );
    }

    // Retailers: profiles readable, keys valid, folders usable.
    let mut rs = Vec::new();
    for row in retailers::list(&mut conn)? {
        let mut problems = Vec::new();
        let mut logins = Vec::new();
        match row.profile() {
            Ok(p) => {
                if let Some(s) = &p.sftp {
                    match s.keys() {
                        Ok(k) if !k.is_empty() => logins.push(format!("{} key(s)", k.len())),
                        Ok(_) => {}
                        Err(e) => problems.push(format!("{e:#}")),
                    }
                }
                if retailers::password_hash(&mut conn, &row.id)?.is_some() {
                    logins.push("password".to_string());
                }
                if let Some(f) = &p.folders {
                    for (what, d) in [("inbound", &f.inbound), ("outbound", &f.outbound)] {
                        let d = cfg.resolve(d);
                        if !d.is_dir() {
                            problems.push(format!("{what} folder {} does not exist", d.display()));
                        } else if std::fs::metadata(&d).map(|m| m.permissions().readonly()).unwrap_or(true) {
                            problems.push(format!("{what} folder {} is not writable", d.display()));
                        }
                    }
                }
            }
            Err(e) => problems.push(format!("profile unreadable: {e}")),
        }
        let how = if logins.is_empty() { "no SFTP login".to_string() } else { format!("SFTP: {}", logins.join(" + ")) };
        for p in &problems {
            note("retailer", format!("{}: {p}", row.id), true);
        }
        if problems.is_empty() {
            note("retailer", format!("{} ({}): {how}", row.id, row.name), false);
        }
        rs.push(json!({ "id": row.id, "name": row.name, "logins": logins, "problems": problems }));
    }
    if rs.is_empty() {
        note("retailer", "none yet: `dropgate retailer apply FILE.toml`".into(), true);
    }
    report.insert("retailers".into(), Value::Array(rs));

    let docs: Map<String, Value> = documents::counts(&mut conn)?.into_iter().map(|(s, n)| (s, json!(n))).collect();
    let quarantined = docs.get(documents::QUARANTINED).and_then(Value::as_i64).unwrap_or(0);
    note("ledger", summary(&docs, "document(s)"), false);
    if quarantined > 0 {
        note(
            "ledger",
            format!(
                "{quarantined} quarantined: `dropgate documents list --state quarantined`, fix the cause, then \
                 `dropgate documents reprocess --all-quarantined`"
            ),
            true,
        );
    }
    report.insert("documents".into(), Value::Object(docs));
    let out: Map<String, Value> = outbox::counts(&mut conn)?.into_iter().map(|(s, n)| (s, json!(n))).collect();
    let dead = out.get("dead").and_then(Value::as_i64).unwrap_or(0);
    note("outbox", summary(&out, "document(s)"), false);
    if dead > 0 {
        note("outbox", format!("{dead} could not be delivered: `dropgate outbox list --state dead`"), true);
    }
    let rejected = outbox::rejected_count(&mut conn)?;
    if rejected > 0 {
        note(
            "outbox",
            format!("{rejected} rejected by the retailer's 997: `dropgate outbox list` (ACK column), then `dropgate outbox show ID`"),
            true,
        );
    }
    report.insert("outbox".into(), Value::Object(out));
    report.insert("rejected_by_retailers".into(), json!(rejected));
    finish(a, report, &found)
}

fn summary(counts: &Map<String, Value>, what: &str) -> String {
    let total: i64 = counts.values().filter_map(Value::as_i64).sum();
    if total == 0 {
        return format!("no {what}");
    }
    let parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    format!("{total} {what}: {}", parts.join(", "))
}

fn finish(a: &DoctorArgs, mut report: Map<String, Value>, found: &[Finding]) -> anyhow::Result<i32> {
    let problems: Vec<String> =
        found.iter().filter(|f| f.problem).map(|f| format!("{}: {}", f.topic, f.text)).collect();
    if a.json {
        report.insert("problems".into(), json!(problems));
        println!("{}", serde_json::to_string_pretty(&Value::Object(report))?);
    } else {
        for f in found {
            println!("{:<14} {}{}", f.topic, if f.problem { "PROBLEM: " } else { "" }, f.text);
        }
        if problems.is_empty() {
            println!("\nno problems found");
        } else {
            println!("\n{} problem(s) found", problems.len());
        }
    }
    Ok(i32::from(!problems.is_empty()))
}
