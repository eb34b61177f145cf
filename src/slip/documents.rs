//! Order confirmations, shipment confirmations and invoices as PDFs, for
//! retailers that take their answers as documents to read rather than
//! files to import (`[csv] answers = "pdf"`). They wear the retailer's
//! look like its packing slips (name, logo, colours, service line,
//! footer) and use the same layout and font, with their own words.

use super::content::{money, Col, Content, Row};
use super::{pdf, Look, Paper, SlipError};
use crate::domain::Amount;
use std::collections::BTreeSet;

/// Which document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// What was accepted, backordered and rejected of an order.
    Confirmation,
    /// What shipped, with carrier and tracking.
    Shipment,
    /// What is billed for a shipment.
    Invoice,
}

impl Kind {
    pub fn title(self) -> &'static str {
        match self {
            Kind::Confirmation => "Order confirmation",
            Kind::Shipment => "Shipment confirmation",
            Kind::Invoice => "Invoice",
        }
    }
}

/// One line of a document.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DocLine {
    /// The order line as the retailer numbered it.
    pub line_number: String,
    /// Item numbers, the one the retailer ordered by first.
    pub item: Vec<String>,
    pub description: Option<String>,
    pub ordered: i64,
    pub accepted: i64,
    pub backordered: i64,
    pub rejected: i64,
    /// Units shipped (shipment confirmations) or billed (invoices).
    pub quantity: i64,
    pub unit_price: Option<Amount>,
}

impl DocLine {
    /// Quantity × unit price in cents (rounded half away from zero), as on the 810.
    pub fn amount_cents(&self) -> i64 {
        self.unit_price.and_then(|p| Amount::from_units(self.quantity).checked_mul(p)).map_or(0, Amount::cents)
    }
}

/// A document: what it is, its facts, its lines.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paperwork {
    pub kind: Kind,
    pub po_number: String,
    /// Label and value pairs beside the address: numbers, dates, terms, carrier.
    pub facts: Vec<(&'static str, String)>,
    pub ship_to: Vec<String>,
    pub lines: Vec<DocLine>,
    /// Charges (positive) and allowances (negative) in cents, with their labels (invoices).
    pub charges: Vec<(String, i64)>,
    pub currency: Option<String>,
    /// Printed under the table.
    pub notes: Vec<String>,
}

impl Paperwork {
    /// The lines' amounts, in cents.
    pub fn lines_cents(&self) -> i64 {
        self.lines.iter().map(DocLine::amount_cents).sum()
    }

    /// What is owed: lines plus charges less allowances, in cents.
    pub fn total_cents(&self) -> i64 {
        self.lines_cents() + self.charges.iter().map(|(_, c)| *c).sum::<i64>()
    }

    fn content(&self, look: &Look, hidden: &[String]) -> Content {
        let columns = match self.kind {
            Kind::Confirmation => {
                vec![Col::Item, Col::Description, Col::Ordered, Col::Accepted, Col::Backordered, Col::Rejected]
            }
            Kind::Shipment => vec![Col::Item, Col::Description, Col::Ordered, Col::Shipped],
            Kind::Invoice => vec![Col::Item, Col::Description, Col::Quantity, Col::Price, Col::Amount],
        };
        let rows = self
            .lines
            .iter()
            .map(|l| {
                let mut item = Vec::new();
                let mut ids = l.item.iter();
                match ids.next() {
                    Some(first) => item.push(format!("{}. {first}", l.line_number)),
                    None => item.push(format!("{}.", l.line_number)),
                }
                item.extend(ids.cloned());
                let invoice = self.kind == Kind::Invoice;
                Row {
                    ordered: l.ordered.to_string(),
                    shipped: l.quantity.to_string(),
                    item,
                    description: l.description.clone().unwrap_or_else(|| "—".into()),
                    marks: Vec::new(),
                    price: l.unit_price.filter(|_| invoice).map(|p| money(p.cents())).unwrap_or_default(),
                    amount: if invoice { money(l.amount_cents()) } else { String::new() },
                    accepted: l.accepted.to_string(),
                    backordered: l.backordered.to_string(),
                    rejected: l.rejected.to_string(),
                }
            })
            .collect();
        let units = |f: fn(&DocLine) -> i64| self.lines.iter().map(f).sum::<i64>();
        let mut totals: Vec<(String, String)> = Vec::new();
        match self.kind {
            Kind::Confirmation => {
                totals.push(("Units accepted".into(), units(|l| l.accepted).to_string()));
                for (what, n) in
                    [("Units backordered", units(|l| l.backordered)), ("Units rejected", units(|l| l.rejected))]
                {
                    if n > 0 {
                        totals.push((what.into(), n.to_string()));
                    }
                }
            }
            Kind::Shipment => totals.push(("Units shipped".into(), units(|l| l.quantity).to_string())),
            Kind::Invoice => {
                totals.push(("Subtotal".into(), money(self.lines_cents())));
                for (label, cents) in &self.charges {
                    totals.push((label.clone(), money(*cents)));
                }
                totals.push(("Total".into(), money(self.total_cents())));
            }
        }
        let service = {
            let parts: Vec<String> = [
                look.phone.as_ref().map(|p| format!("call {p}")),
                look.email.as_ref().map(|e| format!("e-mail {e}")),
                look.url.as_ref().map(|u| format!("visit {u}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!parts.is_empty()).then(|| {
                format!("Questions about this {}? {}.", self.kind.title().to_lowercase(), {
                    let t = parts.join(", or ");
                    let mut c = t.chars();
                    c.next().map(|f| f.to_uppercase().chain(c).collect::<String>()).unwrap_or_default()
                })
            })
        };
        let mut c = Content {
            brand: look.name.clone(),
            title: self.kind.title(),
            reprint: false,
            po: self.po_number.clone(),
            facts: match self.kind {
                Kind::Confirmation => "Order",
                Kind::Shipment => "Shipment",
                Kind::Invoice => "Invoice",
            },
            order_info: self.facts.clone(),
            ship_to: self.ship_to.clone(),
            return_to: Vec::new(),
            gift: None,
            messages: self.notes.clone(),
            columns,
            currency: self.currency.clone().filter(|_| self.kind == Kind::Invoice),
            rows,
            totals,
            service,
            footer: look.footer.clone(),
            qr: None,
            qr_label: None,
        };
        c.redact(hidden, &mut Vec::new());
        c
    }

    /// The document as a PDF of its own, with the characters the bundled
    /// font has no glyph for (printed as `?`). Text naming any of
    /// `hidden` is taken out, as on the slips.
    pub fn pdf(&self, look: &Look, paper: Paper, hidden: &[String]) -> Result<(Vec<u8>, BTreeSet<char>), SlipError> {
        let c = self.content(look, hidden);
        pdf::document(&c, look, paper, &format!("{} {}", self.kind.title(), self.po_number))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invoice() -> Paperwork {
        Paperwork {
            kind: Kind::Invoice,
            po_number: "PO-1".into(),
            facts: vec![("Invoice no.", "INV000000001".into())],
            ship_to: vec!["Pat Doe".into()],
            lines: vec![
                DocLine {
                    line_number: "1".into(),
                    item: vec!["TEA".into()],
                    quantity: 3,
                    unit_price: Amount::parse("2.335"),
                    ..DocLine::default()
                },
                DocLine { line_number: "2".into(), quantity: 1, unit_price: Amount::parse("10"), ..DocLine::default() },
            ],
            charges: vec![("Freight".into(), 495), ("Allowance".into(), -100)],
            currency: Some("USD".into()),
            notes: Vec::new(),
        }
    }

    #[test]
    fn invoice_totals_are_cents_per_line() {
        let inv = invoice();
        // 3 × 2.335 = 7.005 → 7.01, as the 810 rounds each line.
        assert_eq!(inv.lines_cents(), 701 + 1000);
        assert_eq!(inv.total_cents(), 1701 + 495 - 100);
        let c = inv.content(&Look::new("Acme", &crate::retailer::Brand::default(), None), &[]);
        assert_eq!(c.rows[0].amount, "7.01");
        assert_eq!(c.rows[0].item, ["1. TEA"]);
        assert_eq!(c.totals.last(), Some(&("Total".to_string(), "20.96".to_string())));
        assert_eq!(c.currency.as_deref(), Some("USD"));
    }

    #[test]
    fn every_kind_renders() {
        let look = Look::new("Acme", &crate::retailer::Brand::default(), None);
        for kind in [Kind::Confirmation, Kind::Shipment, Kind::Invoice] {
            let doc = Paperwork { kind, ..invoice() };
            let (bytes, missing) = doc.pdf(&look, Paper::A4, &[]).unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{kind:?}");
            assert!(missing.is_empty());
        }
    }
}
