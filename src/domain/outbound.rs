//! What outbound documents report about shipments and invoices, in any
//! format (DESADV/856/ShipNoticeRequest, INVOIC/810/InvoiceDetailRequest).

use super::Amount;

/// One line of a despatch or an invoice.
#[derive(Clone, Debug, Default)]
pub struct ShippedLine {
    pub line_number: String,
    /// GTIN (EAN/UPC), when known.
    pub gtin: Option<String>,
    /// The supplier's article number (our SKU).
    pub sku: Option<String>,
    pub description: Option<String>,
    pub quantity: i64,
    /// Net unit price (invoices).
    pub unit_price: Option<Amount>,
}

impl ShippedLine {
    /// Quantity × net price, rounded to cents (half away from zero) as the 810 rounds each line.
    pub fn amount(&self) -> Amount {
        let raw = self.unit_price.unwrap_or(Amount::ZERO).checked_mul(Amount::from_units(self.quantity));
        Amount::from_cents(raw.map_or(0, Amount::cents))
    }
}

/// One package of a despatch: its SSCC and tracking number, and its lines.
#[derive(Clone, Debug, Default)]
pub struct Package {
    pub sscc: Option<String>,
    pub tracking: Option<String>,
    pub lines: Vec<ShippedLine>,
}

/// What a despatch advice reports: one shipment of one order.
#[derive(Clone, Debug, Default)]
pub struct Despatch {
    pub number: String,
    /// CCYYMMDD.
    pub ship_date: String,
    pub po_number: String,
    /// The carrier's code and name.
    pub carrier: Option<String>,
    pub ship_to: Option<super::Party>,
    pub packages: Vec<Package>,
}

/// What an invoice bills: the shipped quantities of one order.
#[derive(Clone, Debug, Default)]
pub struct Invoice {
    pub number: String,
    /// CCYYMMDD.
    pub date: String,
    pub po_number: String,
    pub currency: Option<String>,
    pub buyer: Option<super::Party>,
    pub supplier: Option<super::Party>,
    pub lines: Vec<ShippedLine>,
    /// Payment terms, from the retailer's profile.
    pub terms: Option<super::shipment::Terms>,
    /// Allowances and charges on the whole invoice, from the retailer's profile.
    pub charges: Vec<super::shipment::InvoiceCharge>,
}

impl Invoice {
    /// The total of the lines (each quantity × net price, in cents).
    pub fn lines_total(&self) -> Amount {
        let cents: i64 = self.lines.iter().map(|l| l.amount().cents()).fold(0i64, i64::saturating_add);
        Amount::from_cents(cents)
    }

    /// Charges less allowances.
    pub fn charges_total(&self) -> Amount {
        Amount::from_cents(self.charges.iter().map(super::shipment::InvoiceCharge::signed_cents).sum())
    }

    /// What is owed: the lines plus charges less allowances.
    pub fn total(&self) -> Amount {
        Amount::from_cents(self.lines_total().cents().saturating_add(self.charges_total().cents()))
    }
}
