//! Retailer profiles: who a retailer is in X12, what to do when stock is
//! short, where its files come and go. Written as TOML by the admin,
//! applied with `dropgate retailer apply`, kept in the database.

use crate::domain::OnShort;
use crate::formats::x12::PartyId;
use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Short id: lower-case letters, digits, `-` and `_`.
    pub id: String,
    pub name: String,
    pub x12: X12Profile,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folders: Option<Folders>,
    #[serde(default)]
    pub outbound: Outbound,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sftp: Option<SftpAccount>,
}

/// The retailer's account on the built-in SFTP server (user name: its id).
/// A password, if any, is set with `dropgate retailer passwd` and kept
/// hashed in the database, never here.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpAccount {
    /// OpenSSH public keys (`ssh-ed25519 AAAA… comment`) allowed to log in.
    #[serde(default)]
    pub authorized_keys: Vec<String>,
}

impl SftpAccount {
    /// The parsed keys; an unreadable one is an error naming it.
    pub fn keys(&self) -> anyhow::Result<Vec<russh::keys::PublicKey>> {
        self.authorized_keys
            .iter()
            .enumerate()
            .map(|(n, k)| {
                russh::keys::PublicKey::from_openssh(k.trim()).map_err(|e| {
                    let shown: String = k.chars().take(40).collect();
                    anyhow::anyhow!("sftp.authorized_keys[{n}] ({shown:?}…) is not an OpenSSH public key: {e}")
                })
            })
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct X12Profile {
    /// The retailer's interchange id, `QUALIFIER:ID` (ISA05:ISA06 of its files).
    pub sender_id: String,
    /// Our id in its interchanges, `QUALIFIER:ID` (ISA07:ISA08).
    pub receiver_id: String,
    /// GS08 of the documents we send (855, 865…). Acknowledgements follow
    /// the version of the group they answer (997 for 4010, 999 for 5010).
    #[serde(default = "default_version")]
    pub version: String,
    /// Ask the retailer for TA1s on our interchanges (ISA14).
    #[serde(default)]
    pub request_ta1: bool,
}

fn default_version() -> String {
    "004010".into()
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub on_short: OnShort,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folders {
    /// Watched for the retailer's files (relative to the config file).
    pub inbound: PathBuf,
    /// Where our documents for the retailer are written.
    pub outbound: PathBuf,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbound {
    /// File name pattern. Tokens: `{doc}` (997, 855…), `{control}` (ISA13),
    /// `{retailer}`, `{po}` (empty for acknowledgements), `{date}`
    /// (YYYYMMDD), `{time}` (HHMMSS), `{seq}` (outbox id).
    #[serde(default = "default_file_name")]
    pub file_name: String,
}

impl Default for Outbound {
    fn default() -> Self {
        Outbound { file_name: default_file_name() }
    }
}

fn default_file_name() -> String {
    "{doc}_{control}.edi".into()
}

impl Profile {
    pub fn from_toml(text: &str, origin: &str) -> anyhow::Result<Profile> {
        let p: Profile = toml::from_str(text).with_context(|| format!("{origin}: invalid retailer profile"))?;
        p.validate().with_context(|| format!("{origin}: invalid retailer profile"))?;
        Ok(p)
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.id.is_empty()
            || self.id.len() > 32
            || !self.id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        {
            bail!("id {:?} must be 1 to 32 characters of a-z, 0-9, '-' and '_'", self.id);
        }
        if self.name.trim().is_empty() {
            bail!("name must not be empty");
        }
        self.sender().context("x12.sender_id")?;
        self.receiver().context("x12.receiver_id")?;
        let v = &self.x12.version;
        if v.len() < 6 || !v[..6].bytes().all(|b| b.is_ascii_digit()) {
            bail!("x12.version {v:?} must start with six digits, e.g. \"004010\" or \"005010\"");
        }
        if let Some(s) = &self.sftp {
            s.keys()?;
        }
        let pattern = &self.outbound.file_name;
        if pattern.contains('/') || pattern.contains('\\') || pattern.trim().is_empty() {
            bail!("outbound.file_name {pattern:?} must be a plain file name pattern");
        }
        Ok(())
    }

    pub fn sender(&self) -> anyhow::Result<PartyId> {
        PartyId::parse(&self.x12.sender_id).with_context(|| {
            format!("{:?} is not QUALIFIER:ID (e.g. \"ZZ:ACMEHOME\", id at most 15 characters)", self.x12.sender_id)
        })
    }

    pub fn receiver(&self) -> anyhow::Result<PartyId> {
        PartyId::parse(&self.x12.receiver_id)
            .with_context(|| format!("{:?} is not QUALIFIER:ID (e.g. \"ZZ:DROPGATE\")", self.x12.receiver_id))
    }

    /// The outbound file name for a document.
    pub fn file_name(&self, doc: &str, control: &str, po: &str, unix_seconds: i64, seq: i64) -> String {
        let (date, time) = crate::util::datetime_compact(unix_seconds);
        let name = self
            .outbound
            .file_name
            .replace("{doc}", doc)
            .replace("{control}", control)
            .replace("{retailer}", &self.id)
            .replace("{po}", po)
            .replace("{date}", &date)
            .replace("{time}", &time)
            .replace("{seq}", &seq.to_string());
        crate::util::safe_file_name(&name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIN: &str =
        "id = \"wm\"\nname = \"W\"\n[x12]\nsender_id = \"08:925485US00\"\nreceiver_id = \"ZZ:DROPGATE\"\n";

    #[test]
    fn file_name_patterns() {
        let mut p = Profile::from_toml(MIN, "wm.toml").unwrap();
        assert_eq!(p.file_name("855", "000000042", "PO1", 1_795_420_800, 7), "855_000000042.edi");
        p.outbound.file_name = "WMI_{doc}PR_{retailer}_{date}_{time}_{seq}.edi".into();
        assert_eq!(p.file_name("855", "000000042", "PO1", 1_795_420_800, 7), "WMI_855PR_wm_20261123_080000_7.edi");
        p.outbound.file_name = "{po}/{doc}.edi".into();
        assert!(p.validate().is_err(), "no directories in names");
    }

    #[test]
    fn profiles_are_checked() {
        assert!(Profile::from_toml(MIN, "x").is_ok());
        for (bad, why) in [
            (MIN.replace("\"wm\"", "\"W M\""), "id"),
            (MIN.replace("08:925485US00", "925485US00"), "QUALIFIER:ID"),
            (format!("{MIN}[policy]\non_short = \"sometimes\"\n"), "on_short"),
            (format!("{MIN}[brand]\nname = \"x\"\n"), "brand"),
        ] {
            let e = format!("{:#}", Profile::from_toml(&bad, "r.toml").unwrap_err());
            assert!(e.contains(why) && e.contains("r.toml"), "{why}: {e}");
        }
    }
}
