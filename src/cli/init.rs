//! `dropgate init [--demo]`.

use crate::config::Config;
use anyhow::{bail, Context};
use clap::Args;
use std::path::Path;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Also add a demo retailer with stock and an example 850 to try.
    #[arg(long)]
    pub demo: bool,
    /// The wholesaler's name (kept off everything a consumer sees).
    #[arg(long, value_name = "NAME")]
    pub company: Option<String>,
    /// Overwrite an existing configuration.
    #[arg(long)]
    pub force: bool,
}

pub fn run(config: &Path, a: &InitArgs) -> anyhow::Result<()> {
    if config.exists() && !a.force {
        if !a.demo {
            bail!("{} exists already (use --force to write a fresh one)", config.display());
        }
    } else {
        let company = a.company.clone().unwrap_or_else(|| "Example Wholesale Co.".into());
        let cfg = Config::new_default(&company);
        if let Some(dir) = config.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(config, cfg.to_toml()).with_context(|| format!("cannot write {}", config.display()))?;
        println!("wrote {}", config.display());
    }
    let cfg = Config::load(config)?;
    std::fs::create_dir_all(cfg.data_dir()).with_context(|| format!("cannot create {}", cfg.data_dir().display()))?;
    let (_, fingerprint) = crate::intake::sftp::host_key(&cfg.data_dir())?;
    println!("SFTP host key: {fingerprint}");
    let store = super::open(&cfg)?;
    println!("database ready: {} ({})", crate::store::redact(&cfg.database_url()), store.backend().name());
    if a.demo {
        let base = &cfg.base_dir;
        let retailer_file = base.join("retailers/demo.toml");
        std::fs::create_dir_all(base.join("retailers"))?;
        if !retailer_file.exists() {
            std::fs::write(&retailer_file, crate::demo::DEMO_RETAILER)?;
        }
        let profile = crate::retailer::Profile::from_toml(
            &std::fs::read_to_string(&retailer_file)?,
            &retailer_file.display().to_string(),
        )?;
        let mut conn = store.conn()?;
        crate::store::retailers::apply(&mut conn, &profile)?;
        let stock_file = cfg.data_dir().join("demo-stock.csv");
        if !stock_file.exists() {
            std::fs::write(&stock_file, crate::demo::DEMO_STOCK)?;
            let items =
                super::stock::parse_stock_csv(crate::demo::DEMO_STOCK.as_bytes(), &stock_file.display().to_string())
                    .map_err(|errs| anyhow::anyhow!(errs.join("\n")))?;
            crate::store::stock::import(&mut conn, &items, false)?;
        }
        let sample = cfg.data_dir().join("demo-850.edi");
        std::fs::write(&sample, crate::demo::demo_850())?;
        if let Some(f) = &profile.folders {
            std::fs::create_dir_all(cfg.resolve(&f.inbound))?;
            std::fs::create_dir_all(cfg.resolve(&f.outbound))?;
            println!("demo retailer {:?} ({}) with stock; its folders:", profile.id, profile.name);
            println!("  inbound:  {}", cfg.resolve(&f.inbound).display());
            println!("  outbound: {}", cfg.resolve(&f.outbound).display());
            println!("try it: cp {} {}/", sample.display(), cfg.resolve(&f.inbound).display());
        }
    }
    Ok(())
}
