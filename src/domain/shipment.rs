//! Shipments as the warehouse confirms them, and the parsing of what staff
//! type (`--line 1:2`, `--package weight=2.3kg,dims=30x20x10cm`).

use super::{Amount, ItemId, Party};
use serde::{Deserialize, Serialize};

/// One parcel of a shipment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// The carrier's tracking number (MAN*CP).
    pub tracking: String,
    /// SSCC-18 of the label, when the package carries one (MAN*GM).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sscc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weight_g: Option<i64>,
    /// Length, width, height in millimetres.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dims_mm: Option<(i64, i64, i64)>,
}

/// Units of one order line in one package.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipLine {
    /// The order line as the retailer numbered it (PO101).
    pub line_number: String,
    pub quantity: i64,
    /// 0-based index into the shipment's packages.
    pub package: usize,
}

/// A shipment to confirm: carrier, service, packages and what is in them.
/// Without lines, everything still open on the order ships in the first package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentRequest {
    pub carrier: String,
    pub service: String,
    pub packages: Vec<Package>,
    pub lines: Vec<ShipLine>,
}

/// `LINE:QTY` or `LINE:QTY@PACKAGE` (package numbered from 1).
pub fn parse_line_arg(text: &str) -> Result<ShipLine, String> {
    let (line, rest) =
        text.split_once(':').ok_or_else(|| format!("--line {text:?}: expected LINE:QTY, e.g. 1:2 or 1:2@2"))?;
    let (qty, pkg) = match rest.split_once('@') {
        Some((q, p)) => (q, Some(p)),
        None => (rest, None),
    };
    let quantity: i64 = qty
        .trim()
        .parse()
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| format!("--line {text:?}: quantity {qty:?} is not a whole number above 0"))?;
    let package = match pkg {
        Some(p) => {
            p.trim()
                .parse::<usize>()
                .ok()
                .filter(|p| *p >= 1)
                .ok_or_else(|| format!("--line {text:?}: package {p:?} is not a number from 1"))?
                - 1
        }
        None => 0,
    };
    let line = line.trim();
    if line.is_empty() {
        return Err(format!("--line {text:?}: the line number is empty"));
    }
    Ok(ShipLine { line_number: line.to_string(), quantity, package })
}

/// A weight with its unit: `2.3kg`, `500g`, `5lb`, `12oz`; in grams.
pub fn parse_weight(text: &str) -> Result<i64, String> {
    let t = text.trim().to_ascii_lowercase();
    let (num, factor) = if let Some(n) = t.strip_suffix("kg") {
        (n, 1000.0)
    } else if let Some(n) = t.strip_suffix("lb") {
        (n, 453.592_37)
    } else if let Some(n) = t.strip_suffix("oz") {
        (n, 28.349_523_125)
    } else if let Some(n) = t.strip_suffix('g') {
        (n, 1.0)
    } else {
        return Err(format!("weight {text:?}: give a unit: kg, g, lb or oz (e.g. 2.3kg)"));
    };
    let v: f64 = num.trim().parse().map_err(|_| format!("weight {text:?}: {num:?} is not a number"))?;
    if !(v > 0.0 && v < 1.0e6) {
        return Err(format!("weight {text:?}: must be above 0"));
    }
    #[allow(clippy::cast_possible_truncation)]
    Ok(((v * factor).round() as i64).max(1))
}

/// Dimensions `LxWxH` with one unit: `30x20x10cm`, `300x200x100mm`, `12x8x4in`; in millimetres.
pub fn parse_dims(text: &str) -> Result<(i64, i64, i64), String> {
    let t = text.trim().to_ascii_lowercase();
    let (body, factor) = if let Some(n) = t.strip_suffix("mm") {
        (n, 1.0)
    } else if let Some(n) = t.strip_suffix("cm") {
        (n, 10.0)
    } else if let Some(n) = t.strip_suffix("in") {
        (n, 25.4)
    } else {
        return Err(format!("dims {text:?}: give a unit: cm, mm or in (e.g. 30x20x10cm)"));
    };
    let parts: Vec<&str> = body.split('x').collect();
    if parts.len() != 3 {
        return Err(format!("dims {text:?}: expected LENGTHxWIDTHxHEIGHT"));
    }
    let mut out = [0i64; 3];
    for (o, p) in out.iter_mut().zip(&parts) {
        let v: f64 = p.trim().parse().map_err(|_| format!("dims {text:?}: {p:?} is not a number"))?;
        if !(v > 0.0 && v < 1.0e5) {
            return Err(format!("dims {text:?}: every side must be above 0"));
        }
        #[allow(clippy::cast_possible_truncation)]
        {
            *o = ((v * factor).round() as i64).max(1);
        }
    }
    Ok((out[0], out[1], out[2]))
}

/// Whether an SSCC-18 is 18 digits with a right GS1 check digit.
pub fn valid_sscc(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 18 || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 =
        b[..17].iter().rev().enumerate().map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 }).sum();
    (10 - sum % 10) % 10 == u32::from(b[17] - b'0')
}

/// A tracking number: 1 to 30 characters of letters and digits.
pub fn check_tracking(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 30 || !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(format!("tracking number {s:?} must be 1 to 30 letters and digits"));
    }
    Ok(())
}

/// `weight=2.3kg,dims=30x20x10cm,sscc=…,tracking=…`.
pub fn parse_package_arg(text: &str) -> Result<Package, String> {
    let mut p = Package::default();
    for part in text.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("--package {text:?}: {part:?} is not KEY=VALUE (weight, dims, sscc, tracking)"))?;
        match k.trim() {
            "weight" => p.weight_g = Some(parse_weight(v).map_err(|e| format!("--package {text:?}: {e}"))?),
            "dims" => p.dims_mm = Some(parse_dims(v).map_err(|e| format!("--package {text:?}: {e}"))?),
            "sscc" => {
                let v = v.trim();
                if !valid_sscc(v) {
                    return Err(format!("--package {text:?}: sscc {v:?} is not 18 digits with a valid check digit"));
                }
                p.sscc = Some(v.to_string());
            }
            "tracking" => {
                check_tracking(v.trim()).map_err(|e| format!("--package {text:?}: {e}"))?;
                p.tracking = v.trim().to_string();
            }
            other => return Err(format!("--package {text:?}: unknown key {other:?} (weight, dims, sscc, tracking)")),
        }
    }
    Ok(p)
}

/// One order line in a ship notice: what shipped in which package.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeLine {
    pub line_number: String,
    pub ids: Vec<ItemId>,
    pub quantity: i64,
    pub ordered: i64,
    pub unit: String,
    /// 0-based index into the notice's packages.
    pub package: usize,
}

/// What a ship notice (856) says of one shipment.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// BSN02: our shipment id.
    pub shipment_id: String,
    pub po_number: String,
    pub po_date: Option<String>,
    pub carrier: String,
    pub service: String,
    /// Shipped: `CCYYMMDD` and `HHMM`.
    pub date: String,
    pub time: String,
    pub ship_to: Option<Party>,
    pub packages: Vec<Package>,
    pub lines: Vec<NoticeLine>,
}

/// How a ship notice nests its levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AsnStructure {
    /// Shipment, order, pack, item (BSN05 `0001`).
    #[default]
    Sopi,
    /// Shipment, order, item, tracking at the order (BSN05 `0004`).
    Flat,
}

/// One line of an invoice (810).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceLine {
    pub line_number: String,
    pub ids: Vec<ItemId>,
    pub quantity: i64,
    pub unit: String,
    pub unit_price: Amount,
}

impl InvoiceLine {
    /// Quantity × price, in cents (rounded half away from zero).
    pub fn extended_cents(&self) -> i64 {
        Amount::from_units(self.quantity).checked_mul(self.unit_price).map_or(0, Amount::cents)
    }
}

/// Payment terms (ITD).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Terms {
    /// ITD01: `01` basic, `05` discount not applicable, `08` basic discount…
    #[serde(default = "default_terms_type")]
    pub type_code: String,
    /// ITD02: `3` invoice date, `2` delivery date…
    #[serde(default = "default_terms_basis")]
    pub basis: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_percent: Option<Amount>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

fn default_terms_type() -> String {
    "01".into()
}
fn default_terms_basis() -> String {
    "3".into()
}

/// An allowance or charge on every invoice (SAC), from the retailer's profile.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvoiceCharge {
    /// `A` allowance (subtracted) or `C` charge (added).
    pub indicator: String,
    /// SAC02, e.g. `D240` freight, `C310` discount, `H850` tax.
    pub code: String,
    pub amount: Amount,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl InvoiceCharge {
    /// Signed cents: allowances count against the total.
    pub fn signed_cents(&self) -> i64 {
        if self.indicator == "A" {
            -self.amount.cents()
        } else {
            self.amount.cents()
        }
    }
}

/// An invoice for what one shipment shipped.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invoice {
    pub number: String,
    /// `CCYYMMDD`.
    pub date: String,
    pub po_number: String,
    pub po_date: Option<String>,
    pub ship_date: String,
    pub ship_to: Option<Party>,
    pub lines: Vec<InvoiceLine>,
    pub terms: Option<Terms>,
    pub charges: Vec<InvoiceCharge>,
}

impl Invoice {
    /// The lines' amounts, in cents.
    pub fn lines_cents(&self) -> i64 {
        self.lines.iter().map(InvoiceLine::extended_cents).sum()
    }
    /// What the retailer owes (TDS01): lines plus charges less allowances, in cents.
    pub fn total_cents(&self) -> i64 {
        self.lines_cents() + self.charges.iter().map(InvoiceCharge::signed_cents).sum::<i64>()
    }
}

/// One item of an inventory feed (846).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryItem {
    pub ids: Vec<ItemId>,
    pub available: i64,
}

/// What a retailer may sell: on hand − reserved − its safety buffer, never below 0.
pub fn available_to_sell(on_hand: i64, reserved: i64, buffer: i64) -> i64 {
    (on_hand - reserved - buffer.max(0)).max(0)
}

/// An inventory feed (846).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryFeed {
    pub reference: String,
    /// `CCYYMMDD` and `HHMM`.
    pub date: String,
    pub time: String,
    pub items: Vec<InventoryItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments() {
        assert_eq!(parse_line_arg("1:2").unwrap(), ShipLine { line_number: "1".into(), quantity: 2, package: 0 });
        assert_eq!(parse_line_arg("003:5@2").unwrap().package, 1);
        for bad in ["1", "1:0", "1:x", ":2", "1:2@0"] {
            assert!(parse_line_arg(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_weight("2.3kg"), Ok(2300));
        assert_eq!(parse_weight("1lb"), Ok(454));
        assert!(parse_weight("2.3").is_err());
        assert_eq!(parse_dims("30x20x10cm"), Ok((300, 200, 100)));
        assert!(parse_dims("30x20cm").is_err());
        let p = parse_package_arg("weight=2.3kg, dims=30x20x10cm,sscc=000123456789012350").unwrap();
        assert_eq!(
            (p.weight_g, p.dims_mm, p.sscc.as_deref()),
            (Some(2300), Some((300, 200, 100)), Some("000123456789012350"))
        );
        assert!(parse_package_arg("sscc=000123456789012351").is_err(), "check digit");
        assert!(parse_package_arg("colour=red").is_err());
        assert_eq!((available_to_sell(10, 3, 2), available_to_sell(4, 3, 2), available_to_sell(4, 0, -5)), (5, 0, 4));
    }
}
