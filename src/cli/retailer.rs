//! `dropgate retailer apply|list|show`.

use super::table::Table;
use crate::retailer::Profile;
use crate::store::retailers::{self, Applied};
use anyhow::{bail, Context};
use clap::Subcommand;
use std::path::{Path, PathBuf};

#[derive(Subcommand, Debug)]
pub enum RetailerCmd {
    /// Create or update retailers from profile files (TOML); applying the same file twice changes nothing.
    Apply {
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// List retailers.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one retailer's profile.
    Show {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Set a retailer's SFTP password: read as one line from stdin, kept only as an argon2 hash.
    Passwd { id: String },
}

pub fn run(config: &Path, c: RetailerCmd) -> anyhow::Result<i32> {
    let cfg = super::load(config)?;
    let store = super::open(&cfg)?;
    let mut conn = store.conn()?;
    match c {
        RetailerCmd::Apply { files } => {
            // Check every file before applying any.
            let mut profiles = Vec::new();
            for f in &files {
                let text = std::fs::read_to_string(f).with_context(|| format!("cannot read {}", f.display()))?;
                let p = Profile::from_toml(&text, &f.display().to_string())?;
                if let Some(logo) = p.brand.as_ref().and_then(|b| b.logo.as_ref()) {
                    super::slips::read_logo(&cfg.resolve(logo)).with_context(|| {
                        format!("{}: invalid retailer profile: brand.logo of {}", f.display(), p.id)
                    })?;
                }
                profiles.push(p);
            }
            for p in profiles {
                let what = retailers::apply(&mut conn, &p)?;
                let word = match what {
                    Applied::Created => "created",
                    Applied::Updated => "updated",
                    Applied::Unchanged => "unchanged",
                };
                println!("{}: {word}", p.id);
                if let Some(f) = &p.folders {
                    for d in [&f.inbound, &f.outbound] {
                        std::fs::create_dir_all(cfg.resolve(d))
                            .with_context(|| format!("cannot create {}", d.display()))?;
                    }
                }
            }
        }
        RetailerCmd::List { json } => {
            let rows = retailers::list(&mut conn)?;
            if json {
                let v: Vec<_> = rows
                    .iter()
                    .map(|r| {
                        serde_json::json!({
                            "id": r.id, "name": r.name,
                            "sender_id": format!("{}:{}", r.sender_qualifier, r.sender_id),
                            "receiver_id": format!("{}:{}", r.receiver_qualifier, r.receiver_id),
                            "updated_at": crate::util::rfc3339_micros(r.updated_at),
                        })
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&v)?);
            } else {
                let mut t = Table::new(&["ID", "NAME", "SENDER", "RECEIVER", "ON SHORT"]);
                for r in &rows {
                    let policy = r.profile().map(|p| p.policy.on_short.as_str()).unwrap_or("?");
                    t.row(vec![
                        r.id.clone(),
                        r.name.clone(),
                        format!("{}:{}", r.sender_qualifier, r.sender_id),
                        format!("{}:{}", r.receiver_qualifier, r.receiver_id),
                        policy.to_string(),
                    ]);
                }
                t.print();
            }
        }
        RetailerCmd::Passwd { id } => {
            if retailers::get(&mut conn, &id)?.is_none() {
                bail!("no retailer {id:?} (see `dropgate retailer list`)");
            }
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("cannot read the password from stdin")?;
            let password = line.strip_suffix('\n').unwrap_or(&line);
            let password = password.strip_suffix('\r').unwrap_or(password);
            if password.is_empty() {
                bail!("no password given: write it as one line on stdin");
            }
            let hash = crate::intake::sftp::auth::hash_password(password)?;
            retailers::set_password(&mut conn, &id, &hash)?;
            println!("{id}: SFTP password set");
        }
        RetailerCmd::Show { id, json } => {
            let Some(row) = retailers::get(&mut conn, &id)? else {
                bail!("no retailer {id:?} (see `dropgate retailer list`)")
            };
            let p = row.profile()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&p)?);
            } else {
                print!("{}", toml::to_string(&p)?);
            }
        }
    }
    Ok(0)
}
