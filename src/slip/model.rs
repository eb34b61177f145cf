//! What a slip says: one order as the consumer sees it, and the retailer's
//! look. Nothing here can name the wholesaler or carry its prices: a line
//! has no field for the unit price the retailer pays (PO104), only for the
//! consumer price the retailer sent (CTP), shown when its profile says so.

use super::Logo;
use crate::domain::{Amount, NoteKind, Party, PurchaseOrder};
use crate::retailer::Brand;
use std::collections::HashMap;

/// One order on a slip.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Slip {
    /// The retailer's PO number (BEG03): printed and in the barcode.
    pub po_number: String,
    /// The retailer's customer order number (REF CO / PRF / OQ), when it differs.
    pub customer_order: Option<String>,
    /// CCYYMMDD.
    pub order_date: Option<String>,
    pub ship_method: Option<String>,
    /// The consumer: name first, then the address lines.
    pub ship_to: Vec<String>,
    pub lines: Vec<SlipLine>,
    pub gift_message: Option<String>,
    /// Messages the retailer sent for the slip (N9/MSG meant for it).
    pub messages: Vec<String>,
    /// ISO 4217 code of the consumer prices (CUR02), when sent.
    pub currency: Option<String>,
    /// Printed again: the slip says so.
    pub reprint: bool,
}

/// One line of the order as it leaves in this box.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlipLine {
    pub ordered: i64,
    /// Units in this box.
    pub shipped: i64,
    /// Units to follow later.
    pub backordered: i64,
    /// Units that will not ship (cancelled, or not available).
    pub not_shipped: i64,
    /// The retailer's own item number (IN, BP, CB, PI or SK).
    pub item: Option<String>,
    /// UPC, EAN or GTIN, with its name: ("UPC", "012345678905").
    pub gtin: Option<(&'static str, String)>,
    pub description: Option<String>,
    /// The consumer's unit price (CTP PUR / RES / RTL / MSR), never the wholesale cost.
    pub price: Option<Amount>,
}

/// The quantities dropgate decided for one line of an order (the store's
/// order line, without the store).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineState {
    /// 1-based position of the line in the order.
    pub position: usize,
    pub sku: Option<String>,
    pub ordered: i64,
    pub accepted: i64,
    pub backordered: i64,
    pub rejected: i64,
    pub shipped: i64,
    pub cancelled: i64,
}

/// Retailer item number qualifiers, in order of preference.
const BUYER_ITEM: &[&str] = &["IN", "BP", "CB", "PI", "SK"];
/// Consumer price qualifiers (CTP02), in order of preference.
const CONSUMER_PRICE: &[&str] = &["PUR", "RES", "RTL", "MSR"];

impl Slip {
    /// The slip of an order: content from the purchase order as it was
    /// read, quantities from the lines as they stand now. `descriptions`
    /// (SKU → catalogue text) fills in lines the order does not describe.
    pub fn from_order(po: &PurchaseOrder, lines: &[LineState], descriptions: &HashMap<String, String>) -> Slip {
        let mut out = Slip {
            po_number: po.po_number.to_string(),
            customer_order: po
                .customer_order_number()
                .filter(|c| !c.trim().is_empty() && *c != po.po_number)
                .map(str::to_string),
            order_date: po.order_date.as_deref().map(str::to_string),
            ship_method: ship_method(po),
            ship_to: po.ship_to().map(address_lines).unwrap_or_default(),
            gift_message: po.gift_message().filter(|g| !g.trim().is_empty()),
            messages: po
                .notes
                .iter()
                .filter(|n| n.kind == NoteKind::Slip && !n.text.trim().is_empty())
                .map(|n| n.text.to_string())
                .collect(),
            currency: po.currency.as_deref().map(str::to_string),
            ..Slip::default()
        };
        for state in lines {
            let line = state.position.checked_sub(1).and_then(|i| po.lines.get(i));
            let item = line.and_then(|l| l.id(BUYER_ITEM)).map(str::to_string);
            let gtin = line.and_then(|l| {
                [("UP", "UPC"), ("EN", "EAN"), ("UK", "GTIN")]
                    .iter()
                    .find_map(|(q, name)| l.id(&[q]).map(|v| (*name, v.to_string())))
            });
            let description = line
                .and_then(|l| l.description.as_deref().map(str::to_string))
                .or_else(|| {
                    line.filter(|l| !l.messages.is_empty())
                        .map(|l| l.messages.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(" "))
                })
                .or_else(|| state.sku.as_ref().and_then(|s| descriptions.get(s)).cloned())
                .filter(|d| !d.trim().is_empty());
            let price = line.and_then(|l| {
                CONSUMER_PRICE
                    .iter()
                    .find_map(|q| l.prices.iter().find(|p| p.qualifier.as_deref() == Some(*q)).and_then(|p| p.amount))
            });
            out.lines.push(SlipLine {
                ordered: state.ordered,
                shipped: (state.accepted - state.shipped).max(0),
                backordered: state.backordered.max(0),
                not_shipped: (state.rejected + state.cancelled).max(0),
                item,
                gtin,
                description,
                price,
            });
        }
        out
    }

    /// Units in this box.
    pub fn units(&self) -> i64 {
        self.lines.iter().map(|l| l.shipped).sum()
    }
}

/// The ship method as the retailer wrote it: the TD505 routing text, else
/// the carrier's code (TD503), else the service level code.
fn ship_method(po: &PurchaseOrder) -> Option<String> {
    po.carriers
        .iter()
        .find_map(|c| c.routing.as_deref().or(c.scac.as_deref()).or(c.service_level.as_deref()))
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string)
}

/// An address as printed: name, other names, street lines, then
/// "City, ST 12345", then the country unless it is the US.
pub fn address_lines(p: &Party) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(p.name.iter().map(ToString::to_string));
    out.extend(p.extra_names.iter().map(ToString::to_string));
    out.extend(p.address.iter().map(ToString::to_string));
    let mut city = p.city.as_deref().unwrap_or_default().trim().to_string();
    let region: Vec<&str> =
        [p.state.as_deref(), p.postal_code.as_deref()].into_iter().flatten().filter(|s| !s.trim().is_empty()).collect();
    if !region.is_empty() {
        if !city.is_empty() {
            city.push_str(", ");
        }
        city.push_str(&region.join(" "));
    }
    if !city.is_empty() {
        out.push(city);
    }
    if let Some(c) = p.country.as_deref().filter(|c| !matches!(c.trim(), "" | "US" | "USA")) {
        out.push(c.to_string());
    }
    out.retain(|l| !l.trim().is_empty());
    out
}

/// A colour, `#RRGGBB`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// Parses `#RRGGBB` or `#RGB`.
    pub fn parse(s: &str) -> Option<Rgb> {
        let h = s.trim().strip_prefix('#')?;
        let v = |t: &str| u8::from_str_radix(t, 16).ok();
        match h.len() {
            6 if h.is_ascii() => Some(Rgb(v(&h[0..2])?, v(&h[2..4])?, v(&h[4..6])?)),
            3 if h.is_ascii() => {
                let d = |i: usize| v(&h[i..=i]).map(|x| x * 17);
                Some(Rgb(d(0)?, d(1)?, d(2)?))
            }
            _ => None,
        }
    }

    pub fn hex(self) -> String {
        format!("#{:02X}{:02X}{:02X}", self.0, self.1, self.2)
    }

    /// Relative luminance (WCAG 2).
    pub fn luminance(self) -> f32 {
        let lin = |c: u8| {
            let c = f32::from(c) / 255.0;
            if c <= 0.039_28 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * lin(self.0) + 0.7152 * lin(self.1) + 0.0722 * lin(self.2)
    }

    /// Contrast ratio against white paper (1 to 21).
    pub fn contrast_on_white(self) -> f32 {
        1.05 / (self.luminance() + 0.05)
    }

    /// This colour mixed with white: `amount` 0 is the colour, 1 is white.
    pub fn tint(self, amount: f32) -> Rgb {
        let m = |c: u8| (f32::from(c) + (255.0 - f32::from(c)) * amount.clamp(0.0, 1.0)).round() as u8;
        Rgb(m(self.0), m(self.1), m(self.2))
    }
}

/// The retailer's look on its slips, from the `[brand]` section of its
/// profile and its logo.
#[derive(Clone, Debug)]
pub struct Look {
    pub name: String,
    pub logo: Option<Logo>,
    pub return_address: Vec<String>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub url: Option<String>,
    pub footer: Option<String>,
    pub accent: Rgb,
    pub text: Rgb,
    pub show_prices: bool,
    /// The QR code's text, with `{po}` and `{order}` (customer order number) replaced per slip.
    pub qr: Option<String>,
    pub qr_label: Option<String>,
}

impl Look {
    /// The look of a retailer: `name` is the profile's name, used when the
    /// brand has no display name of its own.
    pub fn new(name: &str, brand: &Brand, logo: Option<Logo>) -> Look {
        let clean = |s: &Option<String>| s.as_ref().map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
        Look {
            name: clean(&brand.name).unwrap_or_else(|| name.trim().to_string()),
            logo,
            return_address: brand
                .return_address
                .iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect(),
            phone: clean(&brand.phone),
            email: clean(&brand.email),
            url: clean(&brand.url),
            footer: clean(&brand.footer),
            accent: brand.accent_color.as_deref().and_then(Rgb::parse).unwrap_or(DEFAULT_ACCENT),
            text: brand.text_color.as_deref().and_then(Rgb::parse).unwrap_or(DEFAULT_TEXT),
            show_prices: brand.show_prices,
            qr: clean(&brand.qr),
            qr_label: clean(&brand.qr_label),
        }
    }

    /// The QR text for one slip.
    pub fn qr_text(&self, slip: &Slip) -> Option<String> {
        let t = self.qr.as_ref()?;
        Some(
            t.replace("{po}", &slip.po_number)
                .replace("{order}", slip.customer_order.as_deref().unwrap_or(&slip.po_number)),
        )
    }
}

pub const DEFAULT_ACCENT: Rgb = Rgb(0x33, 0x33, 0x33);
pub const DEFAULT_TEXT: Rgb = Rgb(0x11, 0x11, 0x11);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn colours() {
        assert_eq!(Rgb::parse("#1F5FAD"), Some(Rgb(0x1F, 0x5F, 0xAD)));
        assert_eq!(Rgb::parse("#fff"), Some(Rgb(255, 255, 255)));
        assert_eq!(Rgb::parse("1F5FAD"), None);
        assert_eq!(Rgb::parse("#12345"), None);
        assert_eq!(Rgb::parse("#ééé"), None);
        assert!(Rgb(0, 0, 0).contrast_on_white() > 20.9);
        assert!(Rgb(255, 255, 0).contrast_on_white() < 1.1);
        assert_eq!(Rgb(0, 0, 0).tint(1.0), Rgb(255, 255, 255));
    }

    #[test]
    fn addresses() {
        let p = Party {
            role: "ST".into(),
            name: Some("Charlie Smith".into()),
            extra_names: vec!["Darla Smith".into()],
            address: vec!["11254 Main St".into(), "Suite 112".into()],
            city: Some("Seattle".into()),
            state: Some("WA".into()),
            postal_code: Some("98104".into()),
            country: Some("US".into()),
            ..Party::default()
        };
        assert_eq!(
            address_lines(&p),
            ["Charlie Smith", "Darla Smith", "11254 Main St", "Suite 112", "Seattle, WA 98104"]
        );
        let p =
            Party { name: Some("Jörg".into()), postal_code: Some("10115".into()), country: Some("DE".into()), ..p };
        assert_eq!(address_lines(&p).last().map(String::as_str), Some("DE"));
    }
}
