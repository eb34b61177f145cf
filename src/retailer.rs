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
    /// Who the retailer is in X12. A retailer that sends no X12 may leave
    /// it out: it is then known internally as `ZZ:<ID>` (upper case).
    #[serde(default)]
    pub x12: X12Profile,
    /// Who the retailer is in EDIFACT, for retailers that send ORDERS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edifact: Option<EdifactProfile>,
    /// Who the retailer is in cXML, for procurement networks and buyers
    /// that send OrderRequest documents.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cxml: Option<CxmlProfile>,
    /// How the retailer's CSV order files map onto orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<crate::formats::csv::CsvProfile>,
    #[serde(default)]
    pub policy: Policy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folders: Option<Folders>,
    #[serde(default)]
    pub outbound: Outbound,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sftp: Option<SftpAccount>,
    /// Who may e-mail orders for the retailer to the orders mailbox.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mail: Option<MailSenders>,
    /// How the retailer's packing slips look (and whether it takes any).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub brand: Option<Brand>,
    /// When ship notices, invoices and inventory feeds are sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    #[serde(default)]
    pub asn: AsnSettings,
    #[serde(default)]
    pub invoice: InvoiceSettings,
    #[serde(default)]
    pub inventory: InventorySettings,
    /// How documents reach the retailer (default: its `[folders] outbound`
    /// when it has one, else its SFTP `/outbound` on our server).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivery: Option<Delivery>,
}

/// Where outbound documents go.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The retailer picks them up from `/outbound` on dropgate's SFTP server.
    SftpOutbox,
    /// Uploaded to the retailer's SFTP server (`[delivery.sftp]`).
    SftpPush,
    /// E-mailed as attachments (`[delivery.email]`, server in dropgate.toml `[smtp]`).
    Email,
    /// Written into a folder (`folder`, else `[folders] outbound`).
    Folder,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Delivery {
    pub method: Method,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<EmailDelivery>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sftp: Option<SftpPush>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<PathBuf>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailDelivery {
    pub to: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cc: Vec<String>,
    /// Tokens: `{doc}` (856, 810…), `{file}`, `{control}`, `{retailer}`.
    #[serde(default = "default_subject")]
    pub subject: String,
}

fn default_subject() -> String {
    "{doc} {file}".into()
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SftpPush {
    pub host: String,
    #[serde(default = "default_ssh_port")]
    pub port: u16,
    pub user: String,
    /// An OpenSSH private key file (relative to the configuration file's directory).
    pub key: PathBuf,
    /// The remote directory the files go into.
    #[serde(default = "default_remote_dir")]
    pub remote_dir: String,
    /// The server's public host key (`ssh-ed25519 AAAA…`); any other is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_key: Option<String>,
}

fn default_ssh_port() -> u16 {
    22
}
fn default_remote_dir() -> String {
    ".".into()
}

impl Profile {
    /// How this retailer's documents leave.
    pub fn method(&self) -> Method {
        match &self.delivery {
            Some(d) => d.method,
            None if self.folders.is_some() => Method::Folder,
            None => Method::SftpOutbox,
        }
    }

    /// The folder documents are written to (method `folder`).
    pub fn outbound_folder(&self) -> Option<&std::path::Path> {
        self.delivery.as_ref().and_then(|d| d.folder.as_deref()).or(self.folders.as_ref().map(|f| f.outbound.as_path()))
    }
}

/// Cron expressions (`minute hour day month weekday`) in the retailer's time zone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// IANA time zone of the expressions (`America/New_York`); `UTC` by default.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inventory: Option<String>,
}

fn default_timezone() -> String {
    "UTC".into()
}

impl Schedule {
    /// The cron expression of a batch kind (`asn`, `invoice`, `inventory`).
    pub fn cron(&self, kind: &str) -> Option<&str> {
        match kind {
            "asn" => self.asn.as_deref(),
            "invoice" => self.invoice.as_deref(),
            "inventory" => self.inventory.as_deref(),
            _ => None,
        }
    }
}

/// One document per shipment, or one interchange per batch holding a set per shipment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    #[default]
    Shipment,
    Batch,
}

/// Ship notices (856).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AsnSettings {
    /// `sopi` (shipment, order, pack, item) or `flat`.
    #[serde(default)]
    pub structure: crate::domain::shipment::AsnStructure,
    #[serde(default)]
    pub per: Per,
}

/// Invoices (810).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceSettings {
    #[serde(default)]
    pub per: Per,
    /// Invoice numbers are this followed by the retailer's invoice sequence (9 digits).
    #[serde(default = "default_invoice_prefix")]
    pub prefix: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terms: Option<crate::domain::shipment::Terms>,
    /// Allowances and charges on every invoice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub charges: Vec<crate::domain::shipment::InvoiceCharge>,
}

impl Default for InvoiceSettings {
    fn default() -> Self {
        InvoiceSettings { per: Per::Shipment, prefix: default_invoice_prefix(), terms: None, charges: Vec::new() }
    }
}

fn default_invoice_prefix() -> String {
    "INV".into()
}

/// `full` (every SKU each time) or `delta` (only SKUs whose availability changed since the last feed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedMode {
    #[default]
    Full,
    Delta,
}

/// Inventory feeds (846).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventorySettings {
    #[serde(default)]
    pub mode: FeedMode,
    /// Units held back from every SKU's availability.
    #[serde(default)]
    pub safety_buffer: i64,
    /// Our SKU → the retailer's item id, sent as `SK` beside ours (`VN`).
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub skus: std::collections::BTreeMap<String, String>,
    /// Send only the SKUs listed in `skus`.
    #[serde(default)]
    pub only_listed: bool,
}

/// The retailer's brand on the packing slips dropgate prints for it: the
/// parcel comes from the wholesaler but must look like it came from the
/// retailer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Brand {
    /// The name on the slip (default: the profile's `name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// A PNG, JPEG or SVG file (relative to the configuration file's directory).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<PathBuf>,
    /// Where consumers send returns, one line per entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub return_address: Vec<String>,
    /// Customer service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// A message at the foot of every slip.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub footer: Option<String>,
    /// `#RRGGBB`: the name, title and rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accent_color: Option<String>,
    /// `#RRGGBB`: the text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_color: Option<String>,
    /// Print the consumer prices the retailer sent (CTP); never the wholesale cost.
    #[serde(default)]
    pub show_prices: bool,
    /// `false` for retailers that forbid packing slips: none is printed.
    #[serde(default = "default_true")]
    pub packing_slip: bool,
    /// Print a QR code of this text (`{po}` and `{order}` are replaced), e.g. a returns page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr: Option<String>,
    /// A caption under the QR code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qr_label: Option<String>,
}

impl Default for Brand {
    fn default() -> Self {
        Brand {
            name: None,
            logo: None,
            return_address: Vec::new(),
            phone: None,
            email: None,
            url: None,
            footer: None,
            accent_color: None,
            text_color: None,
            show_prices: false,
            packing_slip: true,
            qr: None,
            qr_label: None,
        }
    }
}

fn default_true() -> bool {
    true
}

impl Brand {
    /// Checks what can be checked without the logo file (see `dropgate
    /// retailer apply`, which reads it).
    pub fn validate(&self) -> anyhow::Result<()> {
        for (what, value, min) in [("accent_color", &self.accent_color, 3.0), ("text_color", &self.text_color, 4.5)] {
            if let Some(v) = value {
                let Some(c) = crate::slip::Rgb::parse(v) else {
                    bail!("brand.{what} {v:?} is not a colour like \"#1F5FAD\"");
                };
                let ratio = c.contrast_on_white();
                if ratio < min {
                    bail!(
                        "brand.{what} {v:?} is too light to read on white paper (contrast {ratio:.1}:1, at least {min:.1}:1 needed)"
                    );
                }
            }
        }
        let short = [
            ("name", self.name.as_deref(), 120),
            ("phone", self.phone.as_deref(), 60),
            ("email", self.email.as_deref(), 120),
            ("url", self.url.as_deref(), 200),
            ("footer", self.footer.as_deref(), 1000),
            ("qr", self.qr.as_deref(), 1000),
            ("qr_label", self.qr_label.as_deref(), 80),
        ];
        for (what, value, max) in short {
            if let Some(v) = value {
                if v.chars().count() > max {
                    bail!("brand.{what} has {} characters; at most {max}", v.chars().count());
                }
                if v.chars().any(|c| c.is_control() && c != '\n') {
                    bail!("brand.{what} has control characters");
                }
            }
        }
        if self.return_address.len() > 8 || self.return_address.iter().any(|l| l.chars().count() > 120) {
            bail!("brand.return_address has at most 8 lines of at most 120 characters");
        }
        if let Some(q) = &self.qr {
            if crate::slip::barcode::qr(&q.replace("{po}", &"X".repeat(22)).replace("{order}", &"X".repeat(30)))
                .is_none()
            {
                bail!("brand.qr {q:?} is too long for a QR code");
            }
        }
        if self.logo.as_ref().is_some_and(|p| p.as_os_str().is_empty()) {
            bail!("brand.logo must name a file");
        }
        Ok(())
    }
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

/// The retailer's senders in the orders mailbox (`[mail]` of dropgate.toml).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSenders {
    /// From addresses taken as the retailer's: `orders@shop.example`, or
    /// `@shop.example` for any address of that domain.
    pub senders: Vec<String>,
    /// `required` (the default): only a message with a valid DKIM signature
    /// whose `d=` domain aligns with the From domain is taken; `optional`:
    /// the From address alone is trusted.
    #[serde(default)]
    pub dkim: DkimPolicy,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DkimPolicy {
    #[default]
    Required,
    Optional,
}

impl MailSenders {
    /// How closely `from` (an address, any case) matches one of the
    /// senders: 2 for the address itself, 1 for its domain, 0 for neither.
    pub fn matches(&self, from: &str) -> u8 {
        let from = from.trim().to_ascii_lowercase();
        let domain = from.rsplit_once('@').map_or("", |(_, d)| d);
        let mut best = 0;
        for s in &self.senders {
            let s = s.trim().to_ascii_lowercase();
            if let Some(d) = s.strip_prefix('@') {
                if d == domain {
                    best = best.max(1);
                }
            } else if s == from {
                best = 2;
            }
        }
        best
    }

    pub fn validate(&self) -> anyhow::Result<()> {
        if self.senders.is_empty() {
            bail!("mail.senders must name at least one address or @domain");
        }
        for s in &self.senders {
            let t = s.trim();
            let ok = match t.split_once('@') {
                Some((local, domain)) => {
                    !domain.is_empty()
                        && domain.contains('.')
                        && !domain.contains('@')
                        && t.bytes().all(|b| b.is_ascii_graphic() && b != b'<' && b != b'>' && b != b',')
                        && (local.is_empty() || !local.contains(' '))
                }
                None => false,
            };
            if !ok {
                bail!("mail.senders: {s:?} is neither an address (orders@shop.example) nor a domain (@shop.example)");
            }
        }
        Ok(())
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct X12Profile {
    /// The retailer's interchange id, `QUALIFIER:ID` (ISA05:ISA06 of its files).
    #[serde(default)]
    pub sender_id: String,
    /// Our id in its interchanges, `QUALIFIER:ID` (ISA07:ISA08).
    #[serde(default = "default_receiver")]
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

fn default_receiver() -> String {
    "ZZ:DROPGATE".into()
}

impl Default for X12Profile {
    fn default() -> Self {
        X12Profile {
            sender_id: String::new(),
            receiver_id: default_receiver(),
            version: default_version(),
            request_ta1: false,
        }
    }
}

/// The retailer in EDIFACT: the UNB parties and how we answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EdifactProfile {
    /// The retailer's interchange sender, `ID` or `ID:QUALIFIER` (UNB S002: `5412345000013:14`).
    pub sender_id: String,
    /// Our id in its interchanges (UNB S003), `ID` or `ID:QUALIFIER`.
    pub receiver_id: String,
    /// When to send a CONTRL: `requested` (UNB asks for one, or something
    /// was rejected) or `always`.
    #[serde(default)]
    pub contrl: ContrlPolicy,
    /// The character set of the DESADV and INVOIC we send (`UNOA`…`UNOW`,
    /// default `UNOC`); answers to an order follow the order's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub charset: Option<String>,
    /// The directory of the DESADV and INVOIC we send: `96A` (default) or `01B`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub release: Option<String>,
}

/// The retailer in cXML.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CxmlProfile {
    /// The `Identity` of a `From` credential in its documents.
    pub identity: String,
    /// That credential's domain (`DUNS`, `NetworkID`…); any domain when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// The `SharedSecret` it sends in `Sender` when it posts to `/cxml`
    /// (required for posting; files and mail are authenticated by their channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shared_secret: Option<String>,
    /// Our credential in the documents we send it, `DOMAIN:IDENTITY`
    /// (default: the `To` credential of its order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub our_credential: Option<String>,
    /// How to read documents that declare no encoding and are not UTF-8
    /// (a WHATWG label such as `windows-1252`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encoding: Option<String>,
}

impl CxmlProfile {
    /// Whether a credential is this retailer's.
    pub fn matches(&self, domain: &str, identity: &str) -> bool {
        identity.trim().eq_ignore_ascii_case(self.identity.trim())
            && self.domain.as_deref().is_none_or(|d| d.trim().eq_ignore_ascii_case(domain.trim()))
    }

    pub fn fallback_encoding(&self) -> Option<&'static encoding_rs::Encoding> {
        self.encoding.as_deref().and_then(|l| encoding_rs::Encoding::for_label(l.trim().as_bytes()))
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContrlPolicy {
    #[default]
    Requested,
    Always,
}

impl EdifactProfile {
    pub fn sender(&self) -> anyhow::Result<crate::formats::edifact::Address> {
        crate::formats::edifact::Address::parse(&self.sender_id)
            .with_context(|| format!("edifact.sender_id {:?} is not ID or ID:QUALIFIER", self.sender_id))
    }
    pub fn receiver(&self) -> anyhow::Result<crate::formats::edifact::Address> {
        crate::formats::edifact::Address::parse(&self.receiver_id)
            .with_context(|| format!("edifact.receiver_id {:?} is not ID or ID:QUALIFIER", self.receiver_id))
    }

    /// The character set of batch documents.
    pub fn charset(&self) -> anyhow::Result<crate::formats::edifact::Charset> {
        let code = self.charset.as_deref().unwrap_or("UNOC").trim().to_ascii_uppercase();
        crate::formats::edifact::Charset::from_code(&code).with_context(|| {
            format!("edifact.charset {code:?} is not a syntax identifier such as \"UNOC\" or \"UNOW\"")
        })
    }

    /// The directory of batch documents.
    pub fn release(&self) -> anyhow::Result<&str> {
        match self.release.as_deref().map(str::trim) {
            None => Ok("96A"),
            Some(r @ ("96A" | "01B")) => Ok(r),
            Some(other) => bail!("edifact.release {other:?} must be \"96A\" or \"01B\""),
        }
    }
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
    /// (YYYYMMDD), `{time}` (HHMMSS), `{seq}` (outbox id). Ship notices and
    /// invoices in XML, CSV or PDF, and PDF confirmations, take their own
    /// extension in place of a name's `.edi`, `.csv`, `.xml`, `.pdf` or `.txt`.
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
        if let Some(m) = &self.mail {
            m.validate()?;
        }
        if let Some(e) = &self.edifact {
            e.sender()?;
            e.receiver()?;
            e.charset()?;
            e.release()?;
        }
        if let Some(c) = &self.csv {
            c.validate().map_err(|e| anyhow::anyhow!(e))?;
        }
        if let Some(c) = &self.cxml {
            if c.identity.trim().is_empty() {
                bail!("cxml.identity must not be empty");
            }
            if c.encoding.is_some() && c.fallback_encoding().is_none() {
                bail!("cxml.encoding {:?} is not an encoding label such as \"windows-1252\"", c.encoding);
            }
            if c.our_credential.as_deref().is_some_and(|o| !o.contains(':')) {
                bail!("cxml.our_credential must be DOMAIN:IDENTITY, e.g. \"DUNS:123456789\"");
            }
        }
        if let Some(b) = &self.brand {
            b.validate()?;
        }
        if let Some(sc) = &self.schedule {
            crate::domain::schedule::zone(&sc.timezone).map_err(|e| anyhow::anyhow!("schedule.timezone: {e}"))?;
            for kind in ["asn", "invoice", "inventory"] {
                if let Some(c) = sc.cron(kind) {
                    crate::domain::schedule::Cron::parse(c).map_err(|e| anyhow::anyhow!("schedule.{kind}: {e}"))?;
                }
            }
        }
        let prefix = &self.invoice.prefix;
        if prefix.len() > 12 || !prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            bail!("invoice.prefix {prefix:?} must be at most 12 letters, digits or '-'");
        }
        for c in &self.invoice.charges {
            if c.indicator != "A" && c.indicator != "C" {
                bail!("invoice.charges: indicator {:?} must be \"A\" (allowance) or \"C\" (charge)", c.indicator);
            }
            if c.code.len() != 4 || !c.code.bytes().all(|b| b.is_ascii_alphanumeric()) {
                bail!("invoice.charges: code {:?} must be a 4-character SAC02 code such as \"D240\"", c.code);
            }
            if c.amount.raw() < 0 {
                bail!("invoice.charges: amount {} must not be negative", c.amount);
            }
        }
        if self.inventory.safety_buffer < 0 {
            bail!("inventory.safety_buffer must not be negative");
        }
        if let Some(d) = &self.delivery {
            match d.method {
                Method::Email => {
                    let e = d
                        .email
                        .as_ref()
                        .context("delivery.method = \"email\" needs [delivery.email] with to = [...]")?;
                    if e.to.is_empty() {
                        bail!("delivery.email.to must name at least one address");
                    }
                    for a in e.to.iter().chain(&e.cc) {
                        if a.parse::<lettre::Address>().is_err() {
                            bail!("delivery.email: {a:?} is not an e-mail address");
                        }
                    }
                }
                Method::SftpPush => {
                    let s = d
                        .sftp
                        .as_ref()
                        .context("delivery.method = \"sftp_push\" needs [delivery.sftp] with host, user, key")?;
                    if s.host.trim().is_empty() || s.user.trim().is_empty() {
                        bail!("delivery.sftp needs a host and a user");
                    }
                }
                Method::Folder => {
                    if self.outbound_folder().is_none() {
                        bail!("delivery.method = \"folder\" needs delivery.folder or [folders] outbound");
                    }
                }
                Method::SftpOutbox => {}
            }
        }
        let pattern = &self.outbound.file_name;
        if pattern.contains('/') || pattern.contains('\\') || pattern.trim().is_empty() {
            bail!("outbound.file_name {pattern:?} must be a plain file name pattern");
        }
        Ok(())
    }

    /// The retailer's brand (the defaults when its profile has no `[brand]`).
    pub fn brand(&self) -> Brand {
        self.brand.clone().unwrap_or_default()
    }

    pub fn sender(&self) -> anyhow::Result<PartyId> {
        if self.x12.sender_id.trim().is_empty() {
            let id: String = self.id.to_uppercase().chars().take(15).collect();
            return Ok(PartyId { qualifier: "ZZ".into(), id });
        }
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
    fn mail_senders_match_addresses_and_domains() {
        let text = format!("{MIN}[mail]\nsenders = [\"Orders@Shop.example\", \"@shop.example\"]\n");
        let p = Profile::from_toml(&text, "wm.toml").unwrap();
        let m = p.mail.as_ref().unwrap();
        assert_eq!(m.dkim, DkimPolicy::Required, "DKIM is required unless a profile says otherwise");
        assert_eq!(m.matches("orders@shop.example"), 2);
        assert_eq!(m.matches("ap@SHOP.example"), 1);
        assert_eq!(m.matches("orders@shop.example.evil"), 0);
        assert_eq!(m.matches("orders@sub.shop.example"), 0);
        for bad in ["shop.example", "@", "a@b", "x@y.z,w@v.u"] {
            let text = format!("{MIN}[mail]\nsenders = [\"{bad}\"]\n");
            let e = format!("{:#}", Profile::from_toml(&text, "r.toml").unwrap_err());
            assert!(e.contains("mail.senders"), "{bad}: {e}");
        }
    }

    #[test]
    fn brand_defaults_and_sections() {
        let p = Profile::from_toml(MIN, "wm.toml").unwrap();
        assert!(p.brand.is_none());
        assert!(p.brand().packing_slip, "slips are printed unless a retailer forbids them");
        assert!(!p.brand().show_prices, "no prices unless asked");
        let text = format!(
            "{MIN}[brand]\nname = \"Acme Home\"\nlogo = \"brands/acme.svg\"\nreturn_address = [\"Acme Returns\", \"1 Dock Rd\"]\n\
             accent_color = \"#1F5FAD\"\nshow_prices = true\npacking_slip = false\nqr = \"https://acme.example/r/{{po}}\"\n"
        );
        let p = Profile::from_toml(&text, "acme.toml").unwrap();
        let b = p.brand();
        assert_eq!(b.name.as_deref(), Some("Acme Home"));
        assert_eq!(b.return_address.len(), 2);
        assert!(b.show_prices && !b.packing_slip);
        // Stored as JSON in the database and read back the same.
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<Profile>(&json).unwrap(), p);
    }

    #[test]
    fn profiles_are_checked() {
        assert!(Profile::from_toml(MIN, "x").is_ok());
        for (bad, why) in [
            (MIN.replace("\"wm\"", "\"W M\""), "id"),
            (MIN.replace("08:925485US00", "925485US00"), "QUALIFIER:ID"),
            (format!("{MIN}[policy]\non_short = \"sometimes\"\n"), "on_short"),
            (format!("{MIN}[brnad]\nname = \"x\"\n"), "brnad"),
            (format!("{MIN}[brand]\nnmae = \"x\"\n"), "nmae"),
            (format!("{MIN}[brand]\naccent_color = \"blue\"\n"), "accent_color"),
            (format!("{MIN}[brand]\ntext_color = \"#DDDDDD\"\n"), "too light"),
            (format!("{MIN}[brand]\nqr = \"{}\"\n", "x".repeat(3000)), "at most 1000"),
        ] {
            let e = format!("{:#}", Profile::from_toml(&bad, "r.toml").unwrap_err());
            assert!(e.contains(why) && e.contains("r.toml"), "{why}: {e}");
        }
    }
}
