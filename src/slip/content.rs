//! The words of a slip, decided once for both renderers: the PDF and the
//! HTML show the same text in the same order.

use super::{Look, Slip};
use crate::domain::Amount;

/// A column of the lines table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Col {
    Ordered,
    Shipped,
    Item,
    Description,
    Price,
    Amount,
    /// Order confirmations: what was taken, held back and refused.
    Accepted,
    Backordered,
    Rejected,
    /// Invoices: the units billed.
    Quantity,
}

impl Col {
    pub fn label(self) -> &'static str {
        match self {
            Col::Ordered => "Ordered",
            Col::Shipped => "Shipped",
            Col::Item => "Item",
            Col::Description => "Description",
            Col::Price => "Price",
            Col::Amount => "Amount",
            Col::Accepted => "Accepted",
            Col::Backordered => "Backordered",
            Col::Rejected => "Rejected",
            Col::Quantity => "Quantity",
        }
    }

    pub fn numeric(self) -> bool {
        !matches!(self, Col::Item | Col::Description)
    }
}

/// One row of the table: the text of each column (a cell may have several
/// lines), and the notes under the description.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Row {
    pub ordered: String,
    pub shipped: String,
    /// Retailer item number, then the UPC line.
    pub item: Vec<String>,
    pub description: String,
    /// "Backordered: 2 — ships separately", "Not shipped: 1".
    pub marks: Vec<String>,
    pub price: String,
    pub amount: String,
    pub accepted: String,
    pub backordered: String,
    pub rejected: String,
}

/// Everything a slip shows, as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Content {
    pub brand: String,
    pub title: &'static str,
    pub reprint: bool,
    /// The barcode's text.
    pub po: String,
    /// The heading over `order_info`.
    pub facts: &'static str,
    /// Label and value pairs: order number, customer order, date, ship method.
    pub order_info: Vec<(&'static str, String)>,
    pub ship_to: Vec<String>,
    pub return_to: Vec<String>,
    pub gift: Option<String>,
    pub messages: Vec<String>,
    pub columns: Vec<Col>,
    /// The prices' currency, e.g. "USD", shown with the total.
    pub currency: Option<String>,
    pub rows: Vec<Row>,
    /// "Items: 7" and, with prices, the total.
    pub totals: Vec<(String, String)>,
    /// "Questions? Call … · e-mail … · web …".
    pub service: Option<String>,
    pub footer: Option<String>,
    pub qr: Option<String>,
    pub qr_label: Option<String>,
}

pub const TITLE: &str = "Packing slip";
pub const REPRINT: &str = "Reprint";

impl Content {
    /// The content of a slip in a look. Text naming the wholesaler (any
    /// of `hidden`, in any case) is taken out wherever it appears; each
    /// place is reported in `redacted`.
    pub fn new(slip: &Slip, look: &Look, hidden: &[String], redacted: &mut Vec<String>) -> Content {
        let mut order_info = vec![("Order no.", slip.po_number.clone())];
        if let Some(c) = &slip.customer_order {
            order_info.push(("Customer order", c.clone()));
        }
        if let Some(d) = &slip.order_date {
            order_info.push(("Order date", display_date(d)));
        }
        if let Some(m) = &slip.ship_method {
            order_info.push(("Ship method", m.clone()));
        }
        // A gift is packed without prices, whatever the brand says.
        let show_prices = look.show_prices && slip.gift_message.is_none();
        let mut columns = vec![Col::Ordered, Col::Shipped, Col::Item, Col::Description];
        if show_prices {
            columns.extend([Col::Price, Col::Amount]);
        }
        let mut total: i64 = 0;
        let mut priced = false;
        let rows = slip
            .lines
            .iter()
            .map(|l| {
                let mut item = Vec::new();
                item.extend(l.item.clone());
                if let Some((name, v)) = &l.gtin {
                    item.push(format!("{name} {v}"));
                }
                let mut marks = Vec::new();
                if l.backordered > 0 {
                    marks.push(format!("Backordered: {} — ships separately", l.backordered));
                }
                if l.not_shipped > 0 {
                    marks.push(format!("Not shipped: {} — cancelled", l.not_shipped));
                }
                let (price, amount) = match (show_prices, l.price) {
                    (true, Some(p)) => {
                        let a = p.checked_mul(Amount::from_units(l.shipped));
                        if let Some(a) = a {
                            total = total.saturating_add(a.cents());
                            priced = true;
                        }
                        (money(p.cents()), a.map(|a| money(a.cents())).unwrap_or_default())
                    }
                    _ => (String::new(), String::new()),
                };
                Row {
                    ordered: l.ordered.to_string(),
                    shipped: l.shipped.to_string(),
                    item,
                    description: l.description.clone().unwrap_or_else(|| "—".into()),
                    marks,
                    price,
                    amount,
                    ..Row::default()
                }
            })
            .collect();
        let mut totals = vec![("Items in this package".to_string(), slip.units().to_string())];
        if priced {
            totals.push(("Total".to_string(), money(total)));
        }
        let service = {
            let parts: Vec<String> = [
                look.phone.as_ref().map(|p| format!("Call {p}")),
                look.email.as_ref().map(|e| format!("e-mail {e}")),
                look.url.as_ref().map(|u| format!("visit {u}")),
            ]
            .into_iter()
            .flatten()
            .collect();
            (!parts.is_empty()).then(|| {
                let mut text = join_or(&parts);
                if let Some(first) = text.get(..1) {
                    text = format!("{}{}", first.to_uppercase(), &text[1..]);
                }
                format!("Questions about your order? {text}.")
            })
        };
        let mut c = Content {
            brand: look.name.clone(),
            title: TITLE,
            reprint: slip.reprint,
            po: slip.po_number.clone(),
            facts: "Order",
            order_info,
            ship_to: slip.ship_to.clone(),
            return_to: look.return_address.clone(),
            gift: slip.gift_message.clone(),
            messages: slip.messages.clone(),
            columns,
            currency: slip.currency.clone().filter(|_| show_prices),
            rows,
            totals,
            service,
            footer: look.footer.clone(),
            qr: look.qr_text(slip),
            qr_label: look.qr_label.clone(),
        };
        c.redact(hidden, redacted);
        c
    }

    /// Takes the hidden names out of every text shown.
    pub(super) fn redact(&mut self, hidden: &[String], redacted: &mut Vec<String>) {
        let hidden: Vec<&str> = hidden.iter().map(|h| h.trim()).filter(|h| h.chars().count() >= 2).collect();
        if hidden.is_empty() {
            return;
        }
        let mut fix = |what: &str, s: &mut String| {
            for h in &hidden {
                if let Some(clean) = remove_phrase(s, h) {
                    *s = clean;
                    redacted.push(what.to_string());
                }
            }
        };
        fix("the retailer's name", &mut self.brand);
        for (label, v) in &mut self.order_info {
            fix(label, v);
        }
        for l in &mut self.ship_to {
            fix("the ship-to address", l);
        }
        for l in &mut self.return_to {
            fix("the return address", l);
        }
        if let Some(g) = &mut self.gift {
            fix("the gift message", g);
        }
        for m in &mut self.messages {
            fix("a slip message", m);
        }
        for (n, r) in self.rows.iter_mut().enumerate() {
            let at = format!("line {}", n + 1);
            for i in &mut r.item {
                fix(&at, i);
            }
            fix(&at, &mut r.description);
        }
        for s in [&mut self.service, &mut self.footer, &mut self.qr_label].into_iter().flatten() {
            fix("the retailer's footer", s);
        }
    }
}

/// Cents as "1,234.50".
pub fn money(cents: i64) -> String {
    let neg = cents < 0;
    let c = cents.unsigned_abs();
    let units = (c / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    format!("{}{grouped}.{:02}", if neg { "-" } else { "" }, c % 100)
}

/// "a, b or c".
fn join_or(parts: &[String]) -> String {
    match parts {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{}, or {last}", init.join(", ")),
    }
}

/// CCYYMMDD as "Nov 23, 2026"; anything else as it came.
pub fn display_date(d: &str) -> String {
    const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        let (y, m, day) = (&d[..4], &d[4..6], &d[6..8]);
        if let (Ok(m), Ok(dd)) = (m.parse::<usize>(), day.parse::<u32>()) {
            if (1..=12).contains(&m) && (1..=31).contains(&dd) {
                return format!("{} {dd}, {y}", MONTHS[m - 1]);
            }
        }
    }
    d.to_string()
}

/// `s` without `phrase` (case-insensitive, whole words only), spaces
/// tidied; `None` when the phrase is not there.
pub fn remove_phrase(s: &str, phrase: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let p: Vec<char> = phrase.chars().collect();
    let eq = |a: char, b: char| a == b || a.to_lowercase().eq(b.to_lowercase());
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i + p.len() <= chars.len() {
        let hit = p.iter().enumerate().all(|(k, pc)| eq(chars[i + k].1, *pc));
        let before_ok = i == 0 || !chars[i - 1].1.is_alphanumeric();
        let after_ok = i + p.len() == chars.len() || !chars[i + p.len()].1.is_alphanumeric();
        if hit && before_ok && after_ok {
            let from = chars[i].0;
            let to = chars.get(i + p.len()).map_or(s.len(), |c| c.0);
            cuts.push((from, to));
            i += p.len();
        } else {
            i += 1;
        }
    }
    if cuts.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(s.len());
    let mut last = 0;
    for (from, to) in cuts {
        out.push_str(&s[last..from]);
        last = to;
    }
    out.push_str(&s[last..]);
    let tidy: Vec<&str> = out.split(' ').filter(|w| !w.is_empty()).collect();
    Some(tidy.join(" ").trim_matches(|c: char| c == ',' || c == ' ').to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(display_date("20261123"), "Nov 23, 2026");
        assert_eq!(display_date("20261323"), "20261323");
        assert_eq!(display_date("soon"), "soon");
    }

    #[test]
    fn phrases_come_out_whole_words_only() {
        assert_eq!(
            remove_phrase("Brass lamp by HIDDEN wholesale ltd", "Hidden Wholesale Ltd").as_deref(),
            Some("Brass lamp by")
        );
        assert_eq!(
            remove_phrase("Hidden Wholesale Ltd, 4 Mill Rd", "hidden wholesale ltd").as_deref(),
            Some("4 Mill Rd")
        );
        assert_eq!(remove_phrase("Hiddenness", "Hidden"), None);
        assert_eq!(remove_phrase("Ölmühle Süd GmbH Öl", "ölmühle süd gmbh").as_deref(), Some("Öl"));
    }

    fn priced() -> (Slip, Look) {
        let brand = crate::retailer::Brand { show_prices: true, ..Default::default() };
        let look = Look::new("Acme", &brand, None);
        let line =
            super::super::SlipLine { ordered: 2, shipped: 2, price: Amount::parse("19.99"), ..Default::default() };
        (Slip { po_number: "P1".into(), lines: vec![line], currency: Some("USD".into()), ..Slip::default() }, look)
    }

    #[test]
    fn prices_only_when_asked_and_never_on_a_gift() {
        let (mut slip, mut look) = priced();
        let c = Content::new(&slip, &look, &[], &mut Vec::new());
        assert_eq!(c.columns.last(), Some(&Col::Amount));
        assert_eq!((c.rows[0].price.as_str(), c.rows[0].amount.as_str()), ("19.99", "39.98"));
        assert_eq!(c.totals.last(), Some(&("Total".to_string(), "39.98".to_string())));
        slip.gift_message = Some("Enjoy!".into());
        let c = Content::new(&slip, &look, &[], &mut Vec::new());
        assert_eq!(c.columns.last(), Some(&Col::Description));
        assert!(c.rows[0].price.is_empty() && c.totals.len() == 1 && c.currency.is_none());
        slip.gift_message = None;
        look.show_prices = false;
        let c = Content::new(&slip, &look, &[], &mut Vec::new());
        assert!(c.rows[0].price.is_empty() && c.totals.len() == 1);
    }

    #[test]
    fn money_is_grouped() {
        assert_eq!(money(1999), "19.99");
        assert_eq!(money(123_456_789), "1,234,567.89");
        assert_eq!(money(5), "0.05");
        assert_eq!(money(-100_000), "-1,000.00");
    }

    #[test]
    fn lists() {
        assert_eq!(join_or(&["a".into()]), "a");
        assert_eq!(join_or(&["a".into(), "b".into(), "c".into()]), "a, b, or c");
    }
}
