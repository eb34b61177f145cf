//! `dropgate serve`: the daemon. Watched folders and the SFTP server feed
//! the ledger and the pipeline; the outbox is delivered; SIGTERM or Ctrl-C
//! stops it cleanly (the file in hand is finished, nothing new is started).
//!
//! Folder intake, the orders mailbox (IMAP) and delivery run on threads of
//! their own; the SFTP server
//! and the signals run on a tokio runtime.

use crate::config::Config;
use crate::intake::folder;
use crate::store::Store;
use notify::{RecursiveMode, Watcher};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The runtime and the stop signals, set up before anything else so that a
/// SIGTERM or Ctrl-C arriving while `serve` starts still stops it cleanly.
pub struct Shutdown {
    rt: tokio::runtime::Runtime,
    #[cfg(unix)]
    signals: (tokio::signal::unix::Signal, tokio::signal::unix::Signal),
}

impl Shutdown {
    pub fn install() -> anyhow::Result<Shutdown> {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        #[cfg(unix)]
        let signals = rt.block_on(async {
            use tokio::signal::unix::{signal, SignalKind};
            Ok::<_, std::io::Error>((signal(SignalKind::terminate())?, signal(SignalKind::interrupt())?))
        })?;
        Ok(Shutdown {
            rt,
            #[cfg(unix)]
            signals,
        })
    }

    /// Waits for SIGTERM or Ctrl-C.
    fn wait(&mut self) -> anyhow::Result<()> {
        #[cfg(unix)]
        {
            let (term, int) = &mut self.signals;
            self.rt.block_on(async {
                tokio::select! {
                    _ = term.recv() => {}
                    _ = int.recv() => {}
                }
            });
            Ok(())
        }
        #[cfg(not(unix))]
        {
            self.rt.block_on(tokio::signal::ctrl_c())?;
            Ok(())
        }
    }
}

pub fn serve(cfg: Config, store: Store, mut shutdown: Shutdown) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let (intake_tx, intake_rx) = mpsc::channel::<()>();
    let (deliver_tx, deliver_rx) = mpsc::channel::<()>();
    let (batches_tx, batches_rx) = mpsc::channel::<()>();
    let cfg = Arc::new(cfg);

    tracing::info!(
        backend = store.backend().name(),
        database = %crate::store::redact(&cfg.database_url()),
        "dropgate serving"
    );

    // Bind first: a port already taken stops `serve` before anything starts.
    let sftp = if cfg.sftp.enabled {
        let l = shutdown.rt.block_on(crate::intake::sftp::Listener::bind(
            cfg.clone(),
            store.clone(),
            Some(deliver_tx.clone()),
        ))?;
        tracing::info!(listen = %l.local_addr()?, host_key = %l.fingerprint, "SFTP server listening");
        Some(l)
    } else {
        None
    };

    let http = if cfg.http.enabled {
        let l = shutdown.rt.block_on(crate::intake::http::Listener::bind(
            cfg.clone(),
            store.clone(),
            Some(deliver_tx.clone()),
        ))?;
        tracing::info!(listen = %l.local_addr()?, "HTTP listener for POST /cxml");
        Some(l)
    } else {
        None
    };

    let mailbox = match cfg.mail.as_ref().filter(|m| m.enabled) {
        Some(m) => {
            let keys = crate::intake::mail::resolver(&cfg, m)?;
            m.password(&cfg)?;
            let (cfg, store, stop, deliver_tx) = (cfg.clone(), store.clone(), stop.clone(), deliver_tx.clone());
            Some(std::thread::Builder::new().name("mail".into()).spawn(move || {
                let Some(m) = cfg.mail.as_ref() else { return };
                let intake =
                    crate::intake::mail::Intake { cfg: &cfg, mail: m, keys: &*keys, failures: Default::default() };
                intake.run(&store, &stop, &|| {
                    let _ = deliver_tx.send(());
                });
            })?)
        }
        None => None,
    };

    let intake = {
        let (cfg, store, stop, wake_self, deliver_tx) =
            (cfg.clone(), store.clone(), stop.clone(), intake_tx.clone(), deliver_tx.clone());
        std::thread::Builder::new()
            .name("intake".into())
            .spawn(move || intake_loop(&cfg, &store, &stop, &wake_self, &intake_rx, &deliver_tx))?
    };
    let deliver = {
        let (cfg, store, stop) = (cfg.clone(), store.clone(), stop.clone());
        std::thread::Builder::new()
            .name("deliver".into())
            .spawn(move || deliver_loop(&cfg, &store, &stop, &deliver_rx))?
    };
    let scheduler = if cfg.batches.enabled {
        let (cfg, store, stop, deliver_tx) = (cfg.clone(), store.clone(), stop.clone(), deliver_tx.clone());
        Some(
            std::thread::Builder::new()
                .name("batches".into())
                .spawn(move || batch_loop(&cfg, &store, &stop, &batches_rx, &deliver_tx))?,
        )
    } else {
        None
    };
    let checkpoints = match store.checkpointer() {
        Some(c) => {
            let stop = stop.clone();
            Some(std::thread::Builder::new().name("checkpoint".into()).spawn(move || c.run(&stop))?)
        }
        None => None,
    };

    let (stop_sftp, stop_rx) = tokio::sync::watch::channel(false);
    let http_task = http.map(|l| shutdown.rt.spawn(l.run(stop_rx.clone())));
    let sftp_task = sftp.map(|l| shutdown.rt.spawn(l.run(stop_rx)));
    let waited = shutdown.wait();
    tracing::info!("stopping: finishing the work in hand");
    let _ = stop_sftp.send(true);
    if let Some(t) = sftp_task {
        let _ = shutdown.rt.block_on(t);
    }
    if let Some(t) = http_task {
        let _ = shutdown.rt.block_on(t);
    }
    // Database work of SFTP sessions still running finishes before this returns.
    shutdown.rt.shutdown_timeout(Duration::from_secs(30));
    stop.store(true, Ordering::SeqCst);
    let _ = intake_tx.send(());
    let _ = deliver_tx.send(());
    let _ = batches_tx.send(());
    if let Some(s) = scheduler {
        let _ = s.join();
    }
    let _ = intake.join();
    if let Some(m) = mailbox {
        let _ = m.join();
    }
    let _ = deliver.join();
    if let Some(c) = checkpoints {
        let _ = c.join();
    }
    tracing::info!("stopped");
    waited
}

fn intake_loop(
    cfg: &Config,
    store: &Store,
    stop: &AtomicBool,
    wake_self: &mpsc::Sender<()>,
    wake: &mpsc::Receiver<()>,
    deliver: &mpsc::Sender<()>,
) {
    let mut watcher: Option<notify::RecommendedWatcher> = None;
    let mut watching: Vec<PathBuf> = Vec::new();
    let rescan = Duration::from_millis(cfg.intake.rescan_ms.max(50));
    let settle = Duration::from_millis(cfg.intake.settle_ms);
    let mut recovered = false;
    let renamed: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
    while !stop.load(Ordering::SeqCst) {
        let mut conn = match store.conn() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!("database unavailable: {e}");
                std::thread::sleep(rescan);
                continue;
            }
        };
        if !recovered {
            // Documents a crash left between ledger and processing.
            match crate::pipeline::process_pending(&mut conn) {
                Ok(s) if s.documents > 0 => {
                    tracing::info!(
                        documents = s.documents,
                        orders = s.orders(),
                        "recovered documents left unprocessed"
                    );
                    let _ = deliver.send(());
                }
                Ok(_) => {}
                Err(e) => tracing::error!("recovering pending documents: {e}"),
            }
            recovered = true;
        }
        let folders = match folder::watched(&mut conn, cfg) {
            Ok(f) => f,
            Err(e) => {
                tracing::error!("reading retailers: {e}");
                Vec::new()
            }
        };
        let dirs: Vec<PathBuf> = folders.iter().map(|w| w.inbound.clone()).collect();
        if dirs != watching {
            let (tx, seen) = (wake_self.clone(), renamed.clone());
            match notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
                if let Ok(ev) = res {
                    // A file renamed into place is complete: take it without waiting to settle.
                    if let notify::EventKind::Modify(notify::event::ModifyKind::Name(
                        notify::event::RenameMode::To | notify::event::RenameMode::Both,
                    )) = ev.kind
                    {
                        if let (Ok(mut set), Some(to)) = (seen.lock(), ev.paths.last()) {
                            set.insert(to.clone());
                        }
                    }
                }
                let _ = tx.send(());
            }) {
                Ok(mut w) => {
                    for d in &dirs {
                        let _ = std::fs::create_dir_all(d);
                        if let Err(e) = w.watch(d, RecursiveMode::NonRecursive) {
                            tracing::warn!(dir = %d.display(), "not watched (rescans still find files): {e}");
                        } else {
                            tracing::info!(dir = %d.display(), "watching");
                        }
                    }
                    watcher = Some(w);
                }
                Err(e) => tracing::warn!("file notifications unavailable, rescanning only: {e}"),
            }
            watching = dirs;
        }
        let ready: HashSet<PathBuf> = renamed.lock().map(|mut r| std::mem::take(&mut *r)).unwrap_or_default();
        let (s, settling) = folder::scan_once(&mut conn, cfg, &folders, &ready, &|| stop.load(Ordering::SeqCst));
        drop(conn);
        if s.outbound > 0 || s.documents > 0 {
            let _ = deliver.send(());
        }
        // Wait for a notification or the next rescan; a file still settling
        // is looked at again once it may have settled.
        let wait = if settling { (settle / 2).max(Duration::from_millis(20)).min(rescan) } else { rescan };
        match wake.recv_timeout(wait) {
            Ok(()) => {
                // Let a burst of events for one file pass, then let it settle.
                std::thread::sleep(Duration::from_millis(20));
                while wake.try_recv().is_ok() {}
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    drop(watcher);
}

fn deliver_loop(cfg: &Config, store: &Store, stop: &AtomicBool, wake: &mpsc::Receiver<()>) {
    let poll = Duration::from_millis(cfg.outbox.poll_ms.max(20));
    loop {
        match store.conn() {
            Ok(mut conn) => {
                if let Err(e) = crate::deliver::deliver_due(&mut conn, cfg) {
                    tracing::error!("delivering the outbox: {e}");
                }
            }
            Err(e) => tracing::error!("database unavailable: {e}"),
        }
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match wake.recv_timeout(poll) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Runs the retailers' scheduled batches when they are due (and, on
/// start, each batch missed while `serve` was not running, once).
fn batch_loop(cfg: &Config, store: &Store, stop: &AtomicBool, wake: &mpsc::Receiver<()>, deliver: &mpsc::Sender<()>) {
    let poll = Duration::from_millis(cfg.batches.poll_ms.max(50));
    while !stop.load(Ordering::SeqCst) {
        match store.conn() {
            Ok(mut conn) => match crate::pipeline::batches::run_due(&mut conn, crate::store::now_micros()) {
                Ok(runs) if runs.iter().any(|r| r.documents > 0) => {
                    let _ = deliver.send(());
                }
                Ok(_) => {}
                Err(e) => tracing::error!("running scheduled batches: {e}"),
            },
            Err(e) => tracing::error!("database unavailable: {e}"),
        }
        match wake.recv_timeout(poll) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}
