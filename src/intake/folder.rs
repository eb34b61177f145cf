//! Watched folders. A file is taken once it has been renamed into place or
//! has not changed for the settle time; temporary names are left alone.
//! Its bytes are committed to the ledger and processed before it is moved
//! to `processed/` (or `rejected/`, with a `.reason.txt` beside it).

use crate::config::Config;
use crate::pipeline::{self, Summary};
use crate::store::documents::{self, Arrival, Body};
use crate::store::{retailers, Conn};
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

pub const PROCESSED_DIR: &str = "processed";
pub const REJECTED_DIR: &str = "rejected";

/// Names that are still being written by someone: never taken.
pub fn is_temporary(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    name.starts_with('.')
        || name.starts_with('~')
        || [".tmp", ".part", ".filepart", ".partial", ".crdownload", ".swp", ".lock", ".reason.txt"]
            .iter()
            .any(|s| lower.ends_with(s))
}

/// A retailer's watched folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Watched {
    pub retailer: String,
    pub inbound: PathBuf,
}

/// The inbound folders of every retailer that has one.
pub fn watched(conn: &mut Conn, cfg: &Config) -> crate::store::Result<Vec<Watched>> {
    let mut out = Vec::new();
    for row in retailers::list(conn)? {
        if let Some(f) = row.profile()?.folders {
            out.push(Watched { retailer: row.id, inbound: cfg.resolve(&f.inbound) });
        }
    }
    Ok(out)
}

/// Files in `dir` ready to be taken, oldest first: settled, or renamed
/// into place (`renamed` holds the paths file notifications saw arrive by
/// a rename).
pub fn ready_files(dir: &Path, settle: Duration, renamed: &HashSet<PathBuf>) -> std::io::Result<Ready> {
    let now = SystemTime::now();
    let mut files: Vec<(SystemTime, PathBuf)> = Vec::new();
    let mut settling = false;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if is_temporary(name) {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let modified = meta.modified().unwrap_or(now);
        if renamed.contains(&entry.path()) || now.duration_since(modified).unwrap_or_default() >= settle {
            files.push((modified, entry.path()));
        } else {
            settling = true;
        }
    }
    files.sort();
    Ok(Ready { files: files.into_iter().map(|(_, p)| p).collect(), settling })
}

/// What a folder holds: files to take now, and whether others are still settling.
#[derive(Debug, Default)]
pub struct Ready {
    pub files: Vec<PathBuf>,
    pub settling: bool,
}

/// Takes one file: ledger, processing, then the move.
pub fn take_file(conn: &mut Conn, cfg: &Config, w: &Watched, path: &Path) -> anyhow::Result<Summary> {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("unnamed").to_string();
    let size = fs::metadata(path)?.len();
    if size > cfg.intake.max_file_bytes {
        let reason = format!(
            "{name}: {size} bytes is larger than intake.max_file_bytes ({}); not taken",
            cfg.intake.max_file_bytes
        );
        tracing::warn!(retailer = %w.retailer, file = %name, "{reason}");
        move_aside(path, &w.inbound.join(REJECTED_DIR), Some(&reason))?;
        return Ok(Summary { quarantined: 1, problems: vec![reason], ..Summary::default() });
    }
    let bytes = fs::read(path)?;
    let source = format!("folder:{}", w.retailer);
    let (received, summary) = pipeline::ingest(
        conn,
        Arrival {
            source: &source,
            name: &name,
            retailer: Some(&w.retailer),
            body: Body::Bytes(&bytes),
            settled: false,
        },
    )?;
    let doc = documents::meta(conn, received.document())?;
    let (dir, reason) = match doc {
        Some(d) if d.state == documents::QUARANTINED => (REJECTED_DIR, d.error),
        _ => (PROCESSED_DIR, None),
    };
    move_aside(path, &w.inbound.join(dir), reason.as_deref())?;
    conn.write(|c| documents::settle(c, received.receipt()))?;
    tracing::info!(
        retailer = %w.retailer,
        file = %name,
        document_id = received.document(),
        orders = summary.orders(),
        duplicates = summary.duplicate,
        quarantined = summary.quarantined,
        "taken"
    );
    Ok(summary)
}

/// Moves a taken file into `dir`, never overwriting an earlier one.
fn move_aside(path: &Path, dir: &Path, reason: Option<&str>) -> std::io::Result<PathBuf> {
    fs::create_dir_all(dir)?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("unnamed");
    let mut target = dir.join(name);
    let mut n = 1;
    while target.exists() {
        target = dir.join(format!("{name}.{n}"));
        n += 1;
    }
    if let Some(r) = reason {
        let note = PathBuf::from(format!("{}.reason.txt", target.display()));
        fs::write(note, format!("{r}\n"))?;
    }
    fs::rename(path, &target)?;
    Ok(target)
}

/// Scans every watched folder once and takes what is ready. The flag says
/// whether some file is still settling (look again soon).
pub fn scan_once(
    conn: &mut Conn,
    cfg: &Config,
    folders: &[Watched],
    renamed: &HashSet<PathBuf>,
    stop: &dyn Fn() -> bool,
) -> (Summary, bool) {
    let settle = Duration::from_millis(cfg.intake.settle_ms);
    let mut total = Summary::default();
    let mut settling = false;
    for w in folders {
        if let Err(e) = fs::create_dir_all(&w.inbound) {
            tracing::error!(retailer = %w.retailer, dir = %w.inbound.display(), "cannot create the inbound folder: {e}");
            continue;
        }
        let files = match ready_files(&w.inbound, settle, renamed) {
            Ok(r) => {
                settling |= r.settling;
                r.files
            }
            Err(e) => {
                tracing::error!(retailer = %w.retailer, dir = %w.inbound.display(), "cannot list the inbound folder: {e}");
                continue;
            }
        };
        for path in files {
            if stop() {
                return (total, settling);
            }
            match take_file(conn, cfg, w, &path) {
                Ok(s) => total.add(&s),
                Err(e) => {
                    tracing::error!(retailer = %w.retailer, file = %path.display(), "not taken, will retry: {e:#}")
                }
            }
        }
    }
    (total, settling)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temporary_names_are_left_alone() {
        for n in [".hidden", "a.tmp", "PO1.edi.part", "x.filepart", "y.PARTIAL", "~lock", "z.edi.reason.txt"] {
            assert!(is_temporary(n), "{n}");
        }
        for n in ["PO1.edi", "orders.x12", "850_1.txt", "part.edi"] {
            assert!(!is_temporary(n), "{n}");
        }
    }

    #[test]
    fn settled_or_renamed_files_are_ready() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["a.edi", "b.edi.part", ".c.edi"] {
            fs::write(dir.path().join(n), b"x").unwrap();
        }
        fs::create_dir(dir.path().join(PROCESSED_DIR)).unwrap();
        let none = HashSet::new();
        let r = ready_files(dir.path(), Duration::ZERO, &none).unwrap();
        assert_eq!(r.files, vec![dir.path().join("a.edi")]);
        assert!(!r.settling);
        // Just written: not settled yet, unless it arrived by a rename.
        let r = ready_files(dir.path(), Duration::from_secs(3600), &none).unwrap();
        assert!(r.files.is_empty() && r.settling);
        let renamed: HashSet<PathBuf> = [dir.path().join("a.edi")].into_iter().collect();
        let r = ready_files(dir.path(), Duration::from_secs(3600), &renamed).unwrap();
        assert_eq!(r.files, vec![dir.path().join("a.edi")]);
    }
}
