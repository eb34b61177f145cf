//! The command line. One file per command group; each command loads the
//! configuration and opens the store only when it needs them.

mod batch;
mod doctor;
mod documents;
mod init;
mod inspect;
mod orders;
mod retailer;
mod ship;
mod slips;
mod stock;
mod table;

use crate::config::Config;
use crate::store::Store;
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::{Path, PathBuf};

#[derive(Parser, Debug)]
#[command(
    name = "dropgate",
    version,
    about = "Drop-ship fulfillment gateway: retailers' purchase orders in, stock reserved, acknowledgements and ship notices out",
    long_about = None,
    after_help = "Start with `dropgate serve --demo`, then drop an 850 into data/retailers/demo/inbound/."
)]
pub struct Cli {
    /// Configuration file.
    #[arg(long, global = true, env = "DROPGATE_CONFIG", default_value = "dropgate.toml", value_name = "PATH")]
    pub config: PathBuf,
    /// Log filter (e.g. `info`, `dropgate=debug`); RUST_LOG works too.
    #[arg(long, global = true, value_name = "FILTER")]
    pub log: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write a configuration and create the database (with --demo: a demo retailer, stock and an example 850).
    Init(init::InitArgs),
    /// Run the daemon: watch inbound folders, read the orders mailbox ([mail]), serve SFTP, process, deliver the outbox.
    Serve(ServeArgs),
    /// Read an X12, EDIFACT or cXML file (told from its content) and report what dropgate would make of it (no database needed).
    Inspect(inspect::InspectArgs),
    /// Run files through the pipeline now, as the daemon would, and print a summary.
    Ingest(IngestArgs),
    /// Onboard and look at retailers.
    #[command(subcommand)]
    Retailer(retailer::RetailerCmd),
    /// Import and look at stock.
    #[command(subcommand)]
    Stock(stock::StockCmd),
    /// Look at orders.
    #[command(subcommand)]
    Orders(orders::OrdersCmd),
    /// The ledger: every document received, its state, the quarantine.
    #[command(subcommand)]
    Documents(documents::DocumentsCmd),
    /// Documents leaving: acknowledgements, 855s… and their delivery state.
    #[command(subcommand)]
    Outbox(documents::OutboxCmd),
    /// Check the installation: configuration, database, SFTP host key and uploads, retailers, quarantine.
    Doctor(doctor::DoctorArgs),
    /// Confirm a shipment: `ship PO --carrier UPS --service GROUND --tracking 1Z…`, or `ship import FILE.csv`.
    Ship(ship::ShipArgs),
    /// Ship notices, invoices and inventory feeds: run a batch now, list past and next runs.
    #[command(subcommand)]
    Batch(batch::BatchCmd),
    /// Packing slips in the retailers' brand: print a wave, preview one.
    #[command(subcommand)]
    Slips(slips::SlipsCmd),
}

#[derive(Args, Debug)]
pub struct ServeArgs {
    /// On first run, set up the demo (as `init --demo`) before serving.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Args, Debug)]
pub struct IngestArgs {
    /// The retailer the files come from (checked against each interchange's sender).
    #[arg(long, value_name = "ID")]
    pub retailer: Option<String>,
    /// Files to ingest.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Also deliver the outbox before returning (writes to the retailers' outbound folders).
    #[arg(long)]
    pub deliver: bool,
}

/// Runs a parsed command line; returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<i32> {
    match cli.command {
        Command::Inspect(a) => inspect::run(&a),
        Command::Init(a) => init::run(&cli.config, &a).map(|()| 0),
        Command::Serve(a) => {
            let shutdown = crate::server::Shutdown::install()?;
            if a.demo && !cli.config.exists() {
                init::run(&cli.config, &init::InitArgs { demo: true, company: None, force: false })?;
            }
            let cfg = load(&cli.config)?;
            let url = cfg.database_url();
            let store = Store::open_for_daemon(&url, cfg.database.max_connections)
                .with_context(|| format!("database {}", crate::store::redact(&url)))?;
            crate::server::serve(cfg, store, shutdown).map(|()| 0)
        }
        Command::Ingest(a) => ingest(&cli.config, &a),
        Command::Retailer(c) => retailer::run(&cli.config, c),
        Command::Stock(c) => stock::run(&cli.config, c),
        Command::Orders(c) => orders::run(&cli.config, c),
        Command::Documents(c) => documents::run(&cli.config, c),
        Command::Outbox(c) => documents::run_outbox(&cli.config, c),
        Command::Doctor(a) => doctor::run(&cli.config, &a),
        Command::Slips(c) => slips::run(&cli.config, c),
        Command::Ship(a) => ship::run(&cli.config, a),
        Command::Batch(c) => batch::run(&cli.config, c),
    }
}

pub(crate) fn load(path: &Path) -> anyhow::Result<Config> {
    let cfg = Config::load(path)?;
    crate::pipeline::answers::configure(crate::pipeline::answers::PaperSettings {
        base_dir: Some(cfg.resolve(Path::new("."))),
        paper: cfg.slips.paper,
        hidden: vec![cfg.company.name.clone()],
    });
    Ok(cfg)
}

pub(crate) fn open(cfg: &Config) -> anyhow::Result<Store> {
    let url = cfg.database_url();
    Store::open(&url, cfg.database.max_connections).with_context(|| format!("database {}", crate::store::redact(&url)))
}

fn ingest(config: &Path, a: &IngestArgs) -> anyhow::Result<i32> {
    let cfg = load(config)?;
    let store = open(&cfg)?;
    let mut conn = store.conn()?;
    if let Some(r) = &a.retailer {
        if crate::store::retailers::get(&mut conn, r)?.is_none() {
            anyhow::bail!("no retailer {r:?} (see `dropgate retailer list`)");
        }
    }
    let mut total = crate::pipeline::Summary::default();
    let started = std::time::Instant::now();
    for f in &a.files {
        let bytes = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("unnamed");
        let (_, s) = crate::pipeline::ingest(
            &mut conn,
            crate::store::documents::Arrival {
                source: "cli",
                name,
                retailer: a.retailer.as_deref(),
                body: crate::store::documents::Body::Bytes(&bytes),
                settled: true,
            },
        )?;
        if !a.json {
            eprintln!(
                "{}: {} orders, {} duplicates, {} changes, {} quarantined",
                f.display(),
                s.orders(),
                s.duplicate,
                s.changes,
                s.quarantined
            );
        }
        total.add(&s);
    }
    if a.deliver {
        crate::deliver::deliver_due(&mut conn, &cfg)?;
    }
    let secs = started.elapsed().as_secs_f64();
    if a.json {
        println!("{}", serde_json::to_string_pretty(&total)?);
    } else {
        println!(
            "{} documents: {} orders ({} accepted, {} partial, {} backordered, {} rejected), {} duplicates, {} changes, \
             {} repeats, {} quarantined, {} outbound documents queued in {:.2}s",
            total.documents,
            total.orders(),
            total.accepted,
            total.partial,
            total.backordered,
            total.rejected,
            total.duplicate,
            total.changes,
            total.repeats,
            total.quarantined,
            total.outbound,
            secs
        );
        for p in &total.problems {
            println!("  ! {p}");
        }
    }
    Ok(i32::from(total.quarantined > 0))
}
