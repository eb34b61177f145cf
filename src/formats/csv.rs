//! CSV orders: a retailer's mapping profile (delimiter, encoding, header
//! names or positions) turns rows into [`PurchaseOrder`]s. One row per
//! order line, the order's fields repeated on each row, is the usual
//! shape; rows of one PO need not be next to each other, and a header row
//! repeated inside the file is skipped. A bad row rejects its order (with
//! the line number and the reason), the other orders go on.

use crate::domain::{Amount, DateRef, ItemId, Note, NoteKind, OrderLine, Party, PurchaseOrder};
use compact_str::CompactString;
use serde::{Deserialize, Serialize};

/// A column: its 1-based position, or its name in the header row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Column {
    Position(usize),
    Name(String),
}

/// Which column holds what. `po`, `sku` and `qty` are required.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub po: Option<Column>,
    pub line: Option<Column>,
    pub sku: Option<Column>,
    pub qty: Option<Column>,
    pub unit: Option<Column>,
    pub unit_price: Option<Column>,
    pub description: Option<Column>,
    pub order_date: Option<Column>,
    pub ship_to_name: Option<Column>,
    pub ship_to_company: Option<Column>,
    pub ship_to_address1: Option<Column>,
    pub ship_to_address2: Option<Column>,
    pub ship_to_city: Option<Column>,
    pub ship_to_state: Option<Column>,
    pub ship_to_postal_code: Option<Column>,
    pub ship_to_country: Option<Column>,
    pub ship_to_phone: Option<Column>,
    pub ship_to_email: Option<Column>,
    /// The ship-to's location number (a store or GLN).
    pub ship_to_id: Option<Column>,
    pub gift_message: Option<Column>,
    pub ship_method: Option<Column>,
    pub customer_order: Option<Column>,
}

/// A retailer's CSV mapping (`[csv]` in its profile).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CsvProfile {
    /// One character: `,` `;` `\t` `|`.
    #[serde(default = "default_delimiter")]
    pub delimiter: String,
    /// A WHATWG label (`utf-8`, `windows-1252`, `iso-8859-1`…) for files
    /// that are not UTF-8; a UTF-8 byte order mark always wins.
    #[serde(default = "default_encoding")]
    pub encoding: String,
    /// Whether the first row names the columns (and is skipped where it repeats).
    #[serde(default)]
    pub header: bool,
    /// The qualifier the SKU column is read as (`SK` our SKU, `UP` UPC, `EN` EAN, `VN`, `IN`…).
    #[serde(default = "default_item_qualifier")]
    pub item_qualifier: String,
    /// `CCYYMMDD` forms the order date column may take: `%Y%m%d`, `%Y-%m-%d`, `%m/%d/%Y`, `%d.%m.%Y`;
    /// the first that reads is used (any of them when left out).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub date_formats: Vec<String>,
    /// How the retailer's answers go back: `csv` files (order
    /// confirmations, ship confirmations, invoices) or `pdf` documents in
    /// its brand.
    #[serde(default, skip_serializing_if = "Answers::is_csv")]
    pub answers: Answers,
    pub columns: Columns,
}

/// The form of a CSV retailer's answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Answers {
    #[default]
    Csv,
    Pdf,
}

impl Answers {
    pub fn is_csv(&self) -> bool {
        *self == Answers::Csv
    }
}

fn default_delimiter() -> String {
    ",".into()
}
fn default_encoding() -> String {
    "utf-8".into()
}
fn default_item_qualifier() -> String {
    "SK".into()
}

impl CsvProfile {
    /// Checks the profile on its own (the header names are checked against a file).
    pub fn validate(&self) -> Result<(), String> {
        if self.delimiter().is_none() {
            return Err(format!(
                "csv.delimiter {:?} must be one ASCII character (\",\", \";\", \"\\t\", \"|\")",
                self.delimiter
            ));
        }
        if encoding_rs::Encoding::for_label(self.encoding.trim().as_bytes()).is_none() {
            return Err(format!(
                "csv.encoding {:?} is not an encoding label such as \"utf-8\" or \"windows-1252\"",
                self.encoding
            ));
        }
        for (what, c) in [("po", &self.columns.po), ("sku", &self.columns.sku), ("qty", &self.columns.qty)] {
            match c {
                None => return Err(format!("csv.columns.{what} is required")),
                Some(Column::Name(_)) if !self.header => {
                    return Err(format!(
                        "csv.columns.{what} names a column, but csv.header is false: give its position"
                    ))
                }
                Some(Column::Position(0)) => return Err(format!("csv.columns.{what}: positions count from 1")),
                _ => {}
            }
        }
        Ok(())
    }

    fn delimiter(&self) -> Option<u8> {
        match self.delimiter.as_str() {
            "\\t" | "\t" | "tab" => Some(b'\t'),
            d if d.len() == 1 && d.is_ascii() => Some(d.as_bytes()[0]),
            _ => None,
        }
    }
}

/// One order read from the file, or why it was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvOrder {
    pub po_number: String,
    /// 1-based line of its first row.
    pub first_line: usize,
    pub order: Result<PurchaseOrder, Vec<String>>,
}

/// What a file holds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CsvFile {
    pub orders: Vec<CsvOrder>,
    /// Problems that are not one order's (unreadable file, unknown header names, rows without a PO).
    pub errors: Vec<String>,
}

struct Resolved {
    cols: Vec<(&'static str, usize)>,
}

impl Resolved {
    fn get<'r>(&self, row: &'r csv::StringRecord, what: &str) -> Option<&'r str> {
        let i = self.cols.iter().find(|(w, _)| *w == what)?.1;
        row.get(i).map(str::trim).filter(|s| !s.is_empty())
    }
}

fn columns_of(c: &Columns) -> Vec<(&'static str, &Option<Column>)> {
    vec![
        ("po", &c.po),
        ("line", &c.line),
        ("sku", &c.sku),
        ("qty", &c.qty),
        ("unit", &c.unit),
        ("unit_price", &c.unit_price),
        ("description", &c.description),
        ("order_date", &c.order_date),
        ("ship_to_name", &c.ship_to_name),
        ("ship_to_company", &c.ship_to_company),
        ("ship_to_address1", &c.ship_to_address1),
        ("ship_to_address2", &c.ship_to_address2),
        ("ship_to_city", &c.ship_to_city),
        ("ship_to_state", &c.ship_to_state),
        ("ship_to_postal_code", &c.ship_to_postal_code),
        ("ship_to_country", &c.ship_to_country),
        ("ship_to_phone", &c.ship_to_phone),
        ("ship_to_email", &c.ship_to_email),
        ("ship_to_id", &c.ship_to_id),
        ("gift_message", &c.gift_message),
        ("ship_method", &c.ship_method),
        ("customer_order", &c.customer_order),
    ]
}

/// Normalises a date to CCYYMMDD.
fn date_of(text: &str, formats: &[String]) -> Option<CompactString> {
    let digits: Vec<&str> = text.split(|c: char| !c.is_ascii_digit()).filter(|s| !s.is_empty()).collect();
    let candidates: Vec<&str> = if formats.is_empty() {
        vec!["%Y%m%d", "%Y-%m-%d", "%m/%d/%Y", "%d.%m.%Y"]
    } else {
        formats.iter().map(String::as_str).collect()
    };
    for f in candidates {
        let (y, m, d) = match f {
            "%Y%m%d" if digits.len() == 1 && digits[0].len() >= 8 => {
                (&digits[0][..4], &digits[0][4..6], &digits[0][6..8])
            }
            "%Y-%m-%d" if digits.len() >= 3 && digits[0].len() == 4 && text.contains('-') => {
                (digits[0], digits[1], digits[2])
            }
            "%m/%d/%Y" if digits.len() >= 3 && digits[2].len() == 4 && text.contains('/') => {
                (digits[2], digits[0], digits[1])
            }
            "%d.%m.%Y" if digits.len() >= 3 && digits[2].len() == 4 && text.contains('.') => {
                (digits[2], digits[1], digits[0])
            }
            _ => continue,
        };
        let (Ok(mm), Ok(dd)) = (m.parse::<u32>(), d.parse::<u32>()) else { continue };
        if (1..=12).contains(&mm) && (1..=31).contains(&dd) && y.len() == 4 {
            return Some(compact_str::format_compact!("{y}{mm:02}{dd:02}"));
        }
    }
    None
}

/// Decodes the file: a UTF-8 BOM wins, then the profile's encoding. UTF-8
/// that is not UTF-8 is an error naming the line.
pub fn decode(bytes: &[u8], encoding: &str) -> Result<String, String> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return std::str::from_utf8(rest).map(str::to_string).map_err(|e| bad_utf8(rest, &e));
    }
    let enc = encoding_rs::Encoding::for_label(encoding.trim().as_bytes()).unwrap_or(encoding_rs::UTF_8);
    if enc == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes).map(str::to_string).map_err(|e| bad_utf8(bytes, &e));
    }
    let (text, _, bad) = enc.decode(bytes);
    if bad {
        return Err(format!("bytes that are not {}", enc.name()));
    }
    Ok(text.into_owned())
}

fn bad_utf8(bytes: &[u8], e: &std::str::Utf8Error) -> String {
    let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
    format!("line {line}: bytes that are not UTF-8; set csv.encoding in the retailer's profile (e.g. \"windows-1252\")")
}

/// Reads a file with a retailer's profile.
pub fn read(bytes: &[u8], p: &CsvProfile) -> CsvFile {
    let mut out = CsvFile::default();
    let text = match decode(bytes, &p.encoding) {
        Ok(t) => t,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(p.delimiter().unwrap_or(b','))
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut lines = Lines { text: text.as_bytes(), at: 0, line: 1 };
    let mut header: Option<csv::StringRecord> = None;
    let mut resolved: Option<Resolved> = None;
    if !p.header {
        let mut cols = Vec::new();
        for (what, c) in columns_of(&p.columns) {
            if let Some(Column::Position(n)) = c {
                cols.push((what, n.saturating_sub(1)));
            }
        }
        resolved = Some(Resolved { cols });
    }
    // PO → index in out.orders.
    let mut by_po: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for rec in reader.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(p.byte()));
                out.errors.push(format!("line {line}: the row cannot be read: {e}"));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.line_at(p.byte()));
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if p.header {
            match &header {
                None => {
                    let mut cols = Vec::new();
                    for (what, c) in columns_of(&p.columns) {
                        match c {
                            Some(Column::Name(name)) => {
                                match rec.iter().position(|h| h.trim().eq_ignore_ascii_case(name.trim())) {
                                    Some(i) => cols.push((what, i)),
                                    None => out.errors.push(format!(
                                    "line {line}: the header has no column {name:?} (csv.columns.{what}); it has {}",
                                    rec.iter().map(|h| format!("{:?}", h.trim())).collect::<Vec<_>>().join(", ")
                                )),
                                }
                            }
                            Some(Column::Position(n)) => cols.push((what, n.saturating_sub(1))),
                            None => {}
                        }
                    }
                    if !out.errors.is_empty() {
                        return out;
                    }
                    resolved = Some(Resolved { cols });
                    header = Some(rec);
                    continue;
                }
                Some(h) if rec.iter().map(str::trim).eq(h.iter().map(str::trim)) => continue,
                Some(_) => {}
            }
        }
        let Some(cols) = &resolved else { continue };
        let Some(po) = cols.get(&rec, "po") else {
            out.errors.push(format!("line {line}: no PO number (csv.columns.po)"));
            continue;
        };
        let idx = *by_po.entry(po.to_string()).or_insert_with(|| {
            out.orders.push(CsvOrder {
                po_number: po.to_string(),
                first_line: line,
                order: Ok(new_order(po, cols, &rec, p)),
            });
            out.orders.len() - 1
        });
        let entry = &mut out.orders[idx];
        match row_line(cols, &rec, p, line) {
            Ok(l) => {
                if let Ok(o) = &mut entry.order {
                    if let Some(dup) =
                        o.lines.iter().find(|x| x.line_number == l.line_number && cols.get(&rec, "line").is_some())
                    {
                        let why = format!("line {line}: PO {po} line {} appears twice", dup.line_number);
                        entry.order = Err(vec![why]);
                    } else {
                        if o.gift_message().is_none() {
                            if let Some(g) = cols.get(&rec, "gift_message") {
                                o.notes.push(Note {
                                    kind: NoteKind::Gift,
                                    qualifier: None,
                                    reference: None,
                                    text: g.into(),
                                });
                            }
                        }
                        o.lines.push(l);
                    }
                }
            }
            Err(why) => match &mut entry.order {
                Ok(_) => entry.order = Err(vec![why]),
                Err(v) => v.push(why),
            },
        }
    }
    // Lines without their own number are numbered in file order.
    for o in &mut out.orders {
        if let Ok(po) = &mut o.order {
            for (i, l) in po.lines.iter_mut().enumerate() {
                if l.line_number.is_empty() {
                    l.line_number = compact_str::format_compact!("{}", i + 1);
                }
            }
        }
    }
    if out.orders.is_empty() && out.errors.is_empty() {
        out.errors.push("no order rows".into());
    }
    out
}

/// The 1-based line a record starting at byte `at` is on (the reader may
/// place a record just before the line end that precedes it). Records come
/// in file order: each count goes on from the last one.
struct Lines<'t> {
    text: &'t [u8],
    at: usize,
    line: usize,
}

impl Lines<'_> {
    fn line_at(&mut self, at: u64) -> usize {
        let b = self.text;
        let mut i = usize::try_from(at).unwrap_or(b.len()).min(b.len());
        while i < b.len() && matches!(b[i], b'\r' | b'\n') {
            i += 1;
        }
        if i < self.at {
            self.at = 0;
            self.line = 1;
        }
        self.line += memchr::memchr_iter(b'\n', &b[self.at..i]).count();
        self.at = i;
        self.line
    }
}

fn new_order(po: &str, cols: &Resolved, rec: &csv::StringRecord, p: &CsvProfile) -> PurchaseOrder {
    let get = |w: &str| cols.get(rec, w).map(CompactString::from);
    let mut order = PurchaseOrder {
        po_number: po.into(),
        purpose: "00".into(),
        order_type: "DS".into(),
        order_date: cols.get(rec, "order_date").and_then(|d| date_of(d, &p.date_formats)),
        ..PurchaseOrder::default()
    };
    let address: Vec<CompactString> = ["ship_to_address1", "ship_to_address2"].iter().filter_map(|w| get(w)).collect();
    let name = get("ship_to_name");
    if name.is_some() || !address.is_empty() || get("ship_to_id").is_some() {
        let mut comms = Vec::new();
        if let Some(ph) = get("ship_to_phone") {
            comms.push(crate::domain::Comm { qualifier: "TE".into(), value: ph });
        }
        if let Some(em) = get("ship_to_email") {
            comms.push(crate::domain::Comm { qualifier: "EM".into(), value: em });
        }
        let contacts = if comms.is_empty() {
            Vec::new()
        } else {
            vec![crate::domain::Contact { function: "IC".into(), name: name.clone(), comms }]
        };
        order.parties.push(Party {
            role: "ST".into(),
            name,
            id_qualifier: get("ship_to_id").map(|_| "92".into()),
            id: get("ship_to_id"),
            extra_names: get("ship_to_company").into_iter().collect(),
            address,
            city: get("ship_to_city"),
            state: get("ship_to_state"),
            postal_code: get("ship_to_postal_code"),
            country: get("ship_to_country"),
            contacts,
        });
    }
    if let Some(m) = get("ship_method") {
        order.carriers.push(crate::domain::Carrier { routing: Some(m), ..Default::default() });
    }
    if let Some(c) = get("customer_order") {
        order.references.push(crate::domain::Reference { qualifier: "CO".into(), value: c, description: None });
    }
    if let Some(d) = &order.order_date {
        order.dates.push(DateRef { qualifier: "004".into(), date: d.clone(), time: None, zone: None });
    }
    order
}

fn row_line(cols: &Resolved, rec: &csv::StringRecord, p: &CsvProfile, line: usize) -> Result<OrderLine, String> {
    let Some(sku) = cols.get(rec, "sku") else {
        return Err(format!("line {line}: no item (csv.columns.sku)"));
    };
    let Some(q) = cols.get(rec, "qty") else {
        return Err(format!("line {line}: no quantity (csv.columns.qty)"));
    };
    let quantity = Amount::parse(&q.replace(',', "."))
        .filter(|a| a.raw() > 0)
        .ok_or_else(|| format!("line {line}: quantity {q:?} is not a positive number"))?;
    let unit_price = match cols.get(rec, "unit_price") {
        None => None,
        Some(t) => Some(
            Amount::parse(t.trim_start_matches(['$', '€', '£']).replace(',', ".").as_str())
                .ok_or_else(|| format!("line {line}: unit price {t:?} is not a number"))?,
        ),
    };
    Ok(OrderLine {
        line_number: cols.get(rec, "line").map(CompactString::from).unwrap_or_default(),
        quantity,
        unit: cols.get(rec, "unit").map_or_else(|| "EA".into(), CompactString::from),
        unit_price,
        ids: vec![ItemId { qualifier: p.item_qualifier.as_str().into(), value: sku.into() }],
        description: cols.get(rec, "description").map(CompactString::from),
        ..OrderLine::default()
    })
}

/// A confirmation as CSV: one row per line with the decision.
pub fn write_confirmation(po: &PurchaseOrder, d: &crate::domain::OrderDecision) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["po", "line", "item", "ordered", "accepted", "backordered", "rejected", "status"]);
    for (l, ld) in po.lines.iter().zip(&d.lines) {
        let status = if ld.accepted == ld.ordered {
            "accepted"
        } else if ld.backordered > 0 {
            "backordered"
        } else if ld.accepted > 0 {
            "partially accepted"
        } else {
            "rejected"
        };
        let item = l.ids.first().map(|i| i.value.to_string()).unwrap_or_default();
        let _ = w.write_record([
            po.po_number.as_str(),
            l.line_number.as_str(),
            &item,
            &ld.ordered.to_string(),
            &ld.accepted.to_string(),
            &ld.backordered.to_string(),
            &ld.rejected.to_string(),
            status,
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// One row of a ship confirmation: a line of an order, in one package.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ShippedRow {
    pub po: String,
    pub line: String,
    /// The item as the retailer ordered it.
    pub item: String,
    /// Our SKU.
    pub sku: String,
    pub quantity: i64,
    pub carrier: String,
    pub service: String,
    pub tracking: String,
    /// `CCYYMMDD`.
    pub ship_date: String,
    pub shipment: String,
}

/// A ship confirmation: one row per order line and package.
pub fn write_shipments(rows: &[ShippedRow]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "po",
        "line",
        "item",
        "sku",
        "quantity_shipped",
        "carrier",
        "service",
        "tracking",
        "ship_date",
        "shipment",
    ]);
    for r in rows {
        let _ = w.write_record([
            r.po.as_str(),
            r.line.as_str(),
            r.item.as_str(),
            r.sku.as_str(),
            &r.quantity.to_string(),
            r.carrier.as_str(),
            r.service.as_str(),
            r.tracking.as_str(),
            r.ship_date.as_str(),
            r.shipment.as_str(),
        ]);
    }
    w.into_inner().unwrap_or_default()
}

/// Cents as `12.34`.
fn cents_text(c: i64) -> String {
    format!("{}{}.{:02}", if c < 0 { "-" } else { "" }, (c / 100).abs(), (c % 100).abs())
}

/// Invoices: one row per invoiced line (the item as ordered, our SKU as
/// `sku_of` tells it for the invoice's index and line, quantity, unit
/// price, amount in cents), then one per allowance or charge (its SAC code
/// in `item`, the amount signed); every row carries its invoice's total.
pub fn write_invoices(
    invoices: &[crate::domain::shipment::Invoice],
    sku_of: impl Fn(usize, &crate::domain::shipment::InvoiceLine) -> Option<String>,
) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record([
        "invoice",
        "invoice_date",
        "po",
        "line",
        "item",
        "sku",
        "quantity",
        "unit_price",
        "amount",
        "invoice_total",
        "terms",
    ]);
    for (n, inv) in invoices.iter().enumerate() {
        let total = cents_text(inv.total_cents());
        let terms = inv.terms.as_ref().map(terms_text).unwrap_or_default();
        for l in &inv.lines {
            let item = l.ids.first().map(|i| i.value.to_string()).unwrap_or_default();
            let sku = sku_of(n, l).unwrap_or_default();
            let _ = w.write_record([
                inv.number.as_str(),
                inv.date.as_str(),
                inv.po_number.as_str(),
                l.line_number.as_str(),
                &item,
                &sku,
                &l.quantity.to_string(),
                &l.unit_price.to_string(),
                &cents_text(l.extended_cents()),
                &total,
                &terms,
            ]);
        }
        for c in &inv.charges {
            let _ = w.write_record([
                inv.number.as_str(),
                inv.date.as_str(),
                inv.po_number.as_str(),
                "",
                c.code.as_str(),
                "",
                "",
                "",
                &cents_text(c.signed_cents()),
                &total,
                &terms,
            ]);
        }
    }
    w.into_inner().unwrap_or_default()
}

/// Terms as people write them: `2% 10, net 30`, or their description.
pub fn terms_text(t: &crate::domain::shipment::Terms) -> String {
    if let Some(d) = t.description.as_deref().filter(|d| !d.trim().is_empty()) {
        return d.trim().to_string();
    }
    let mut parts = Vec::new();
    if let (Some(p), Some(d)) = (t.discount_percent, t.discount_days) {
        parts.push(format!("{p}% {d} days"));
    }
    if let Some(n) = t.net_days {
        parts.push(format!("net {n} days"));
    }
    parts.join(", ")
}

/// Text in the retailer's encoding: characters it cannot hold are
/// transliterated (`€` → `EUR`, `ł` → `l`), or refused with the character
/// named when there is no usual spelling for them.
pub fn encode_for(text: &str, encoding: &str) -> Result<Vec<u8>, char> {
    let enc = encoding_rs::Encoding::for_label(encoding.trim().as_bytes()).unwrap_or(encoding_rs::UTF_8);
    if enc == encoding_rs::UTF_8 {
        return Ok(text.as_bytes().to_vec());
    }
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        let (bytes, _, unmappable) = enc.encode(c.encode_utf8(&mut buf));
        if unmappable {
            let t = super::edifact::syntax::transliterate(c).ok_or(c)?;
            out.extend_from_slice(t.as_bytes());
        } else {
            out.extend_from_slice(&bytes);
        }
    }
    Ok(out)
}
