//! Strict EDIFACT writers: CONTRL (syntax and service report), ORDRSP
//! (order response), DESADV (despatch advice) and INVOIC (invoice), each
//! a pure function from domain data to the bytes of one interchange.
//!
//! Text is written in the partner's character set: what the set cannot
//! hold is transliterated, and refused with a reason when there is no
//! usual spelling for it ([`WriteError`]); nothing is dropped silently.

use super::reader::{Address, Interchange};
use super::syntax::{escape, Charset, EdifactError, Syntax};
use crate::domain::{Amount, OrderDecision, PurchaseOrder};
pub use crate::domain::{Despatch, Invoice, Package, ShippedLine};
use std::fmt;

/// A value that cannot be written in the partner's character set.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WriteError {
    pub segment: String,
    pub element: usize,
    pub character: char,
    pub charset: &'static str,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} element {}: the character {:?} (U+{:04X}) cannot be written in {} and has no usual transliteration",
            self.segment,
            self.element,
            self.character,
            u32::from(self.character),
            self.charset
        )
    }
}

impl std::error::Error for WriteError {}

/// The envelope of an interchange we send.
#[derive(Clone, Debug)]
pub struct Envelope {
    pub syntax: Syntax,
    pub charset: Charset,
    /// 3 or 4.
    pub syntax_version: u8,
    pub sender: Address,
    pub recipient: Address,
    /// CCYYMMDD and HHMM; UNB gets YYMMDD in syntax 3.
    pub date: String,
    pub time: String,
    pub control: String,
    pub application_ref: Option<String>,
    pub test: bool,
}

impl Envelope {
    /// The envelope of an answer to `ic`: parties swapped, its charset
    /// and syntax version, our standard separators.
    pub fn reply_to(ic: &Interchange, control: u32, date: &str, time: &str) -> Envelope {
        Envelope {
            syntax: Syntax { repetition: (ic.syntax_version >= 4).then_some(b'*'), ..Syntax::default() },
            charset: ic.charset,
            syntax_version: if ic.syntax_version >= 4 { 4 } else { 3 },
            sender: ic.recipient.clone(),
            recipient: ic.sender.clone(),
            date: date.to_string(),
            time: time.to_string(),
            control: control.to_string(),
            application_ref: None,
            test: ic.test,
        }
    }
}

/// Builds one interchange of messages.
struct Builder<'a> {
    env: &'a Envelope,
    out: Vec<u8>,
    in_message: usize,
    messages: usize,
    error: Option<WriteError>,
    scratch: Vec<u8>,
}

impl<'a> Builder<'a> {
    fn new(env: &'a Envelope) -> Self {
        let mut b =
            Builder { env, out: env.syntax.una(), in_message: 0, messages: 0, error: None, scratch: Vec::new() };
        b.out.push(b'\n');
        let date =
            if env.syntax_version >= 4 { env.date.clone() } else { env.date.get(2..).unwrap_or(&env.date).to_string() };
        let sender = party(&env.sender);
        let recipient = party(&env.recipient);
        let version = env.syntax_version.to_string();
        let mut unb: Vec<Vec<&str>> = vec![
            vec![env.charset.code(), &version],
            sender.iter().map(String::as_str).collect(),
            recipient.iter().map(String::as_str).collect(),
            vec![&date, &env.time],
            vec![&env.control],
        ];
        if env.application_ref.is_some() || env.test {
            unb.push(vec![]);
            unb.push(vec![env.application_ref.as_deref().unwrap_or("")]);
        }
        if env.test {
            unb.extend([vec![], vec![], vec![], vec!["1"]]);
        }
        b.seg("UNB", &unb);
        b
    }

    /// Writes a segment; trailing empty elements and components are left out.
    fn seg(&mut self, tag: &str, elements: &[Vec<&str>]) {
        let syn = self.env.syntax;
        let last = elements.iter().rposition(|e| e.iter().any(|c| !c.is_empty()));
        self.out.extend_from_slice(tag.as_bytes());
        for (i, e) in elements.iter().enumerate().take(last.map_or(0, |l| l + 1)) {
            self.out.push(syn.element);
            let lastc = e.iter().rposition(|c| !c.is_empty()).map_or(0, |l| l + 1);
            for (j, c) in e.iter().take(lastc).enumerate() {
                if j > 0 {
                    self.out.push(syn.component);
                }
                self.scratch.clear();
                if let Err(ch) = self.env.charset.encode(c, &mut self.scratch) {
                    self.error.get_or_insert(WriteError {
                        segment: tag.to_string(),
                        element: i + 1,
                        character: ch,
                        charset: self.env.charset.code(),
                    });
                }
                let scratch = std::mem::take(&mut self.scratch);
                escape(&syn, &scratch, &mut self.out);
                self.scratch = scratch;
            }
        }
        self.out.push(syn.terminator);
        self.out.push(b'\n');
        if tag != "UNB" && tag != "UNZ" {
            self.in_message += 1;
        }
    }

    fn begin(&mut self, reference: &str, message: &str) {
        self.in_message = 0;
        let parts: Vec<&str> = message.split(':').collect();
        self.seg("UNH", &[vec![reference], parts]);
    }

    fn end(&mut self, reference: &str) {
        let n = (self.in_message + 1).to_string();
        self.seg("UNT", &[vec![&n], vec![reference]]);
        self.messages += 1;
    }

    fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        let n = self.messages.to_string();
        let control = self.env.control.clone();
        self.seg("UNZ", &[vec![&n], vec![&control]]);
        match self.error {
            Some(e) => Err(e),
            None => Ok(self.out),
        }
    }
}

fn party(a: &Address) -> Vec<String> {
    let mut v = vec![a.id.to_string()];
    if let Some(q) = &a.qualifier {
        v.push(q.to_string());
    }
    if let Some(i) = &a.internal {
        if a.qualifier.is_none() {
            v.push(String::new());
        }
        v.push(i.to_string());
    }
    v
}

/// An amount as EDIFACT writes it: no trailing zeros, no leading `+`.
fn num(a: Amount) -> String {
    let s = a.to_string();
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// `ORDERS:D:96A:UN` for the answer to an order of that directory.
fn message_id(kind: &str, release: &str) -> String {
    let release = if release.is_empty() { "96A" } else { release };
    format!("{kind}:D:{release}:UN")
}

/// What a CONTRL says about one message.
#[derive(Clone, Debug)]
pub struct MessageReport {
    pub reference: String,
    /// `ORDERS:D:96A:UN`.
    pub identifier: String,
    pub errors: Vec<EdifactError>,
    /// The segment index of the UNH in the file (segment positions in the
    /// report count from the UNH as 1).
    pub first_segment: usize,
}

/// A CONTRL (syntax 3 message, `CONTRL:D:3:UN`) reporting on an interchange: `7` (acknowledged) when nothing
/// is wrong, `4` (rejected) with the errors otherwise. Interchange errors
/// reject it all; message errors reject that message.
pub fn write_contrl(env: &Envelope, ic: &Interchange, messages: &[MessageReport]) -> Result<Vec<u8>, WriteError> {
    let mut b = Builder::new(env);
    let reference = "1";
    // The syntax 3 CONTRL (D:3), understood by partners on either syntax version.
    b.begin(reference, "CONTRL:D:3:UN");
    let sender = party(&ic.sender);
    let recipient = party(&ic.recipient);
    let ic_action = if ic.refused() { "4" } else { "7" };
    let first = ic.errors.first();
    let code = first.map(|e| e.code.to_string()).unwrap_or_default();
    let tag = first.map(|e| e.tag.to_string()).unwrap_or_default();
    b.seg(
        "UCI",
        &[
            vec![&ic.control],
            sender.iter().map(String::as_str).collect(),
            recipient.iter().map(String::as_str).collect(),
            vec![ic_action],
            vec![&code],
            vec![&tag],
        ],
    );
    if !ic.refused() {
        for m in messages {
            let action = if m.errors.is_empty() { "7" } else { "4" };
            let ident: Vec<&str> = m.identifier.split(':').collect();
            b.seg("UCM", &[vec![&m.reference], ident, vec![action]]);
            for e in &m.errors {
                let pos = (e.segment_index + 1).saturating_sub(m.first_segment).max(1).to_string();
                let code = e.code.to_string();
                b.seg("UCS", &[vec![&pos], vec![&code]]);
                if let Some(el) = e.element {
                    let el = el.to_string();
                    let comp = e.component.map(|c| c.to_string()).unwrap_or_default();
                    b.seg("UCD", &[vec![&code], vec![&el, &comp]]);
                }
            }
        }
    }
    b.end(reference);
    b.finish()
}

/// An ORDRSP answering one order with dropgate's decision: BGM function
/// 29 (accepted without amendment), 4 (changed: some lines short) or 27
/// (not accepted); per line LIN action 5, 3 or 7 with the ordered,
/// accepted and backordered quantities.
pub fn write_ordrsp(
    env: &Envelope,
    release: &str,
    response_number: &str,
    po: &PurchaseOrder,
    decision: &OrderDecision,
) -> Result<Vec<u8>, WriteError> {
    use crate::domain::DecisionState;
    let mut b = Builder::new(env);
    let reference = "1";
    b.begin(reference, &message_id("ORDRSP", release));
    let function = match decision.state {
        DecisionState::Accepted => "29",
        DecisionState::Rejected => "27",
        DecisionState::PartiallyAccepted | DecisionState::Backordered => "4",
    };
    b.seg("BGM", &[vec!["231"], vec![response_number], vec![function]]);
    let stamp = format!("{}{}", env.date, env.time);
    b.seg("DTM", &[vec!["137", &stamp, "203"]]);
    b.seg("RFF", &[vec!["ON", &po.po_number]]);
    if let Some(d) = &po.order_date {
        b.seg("DTM", &[vec!["171", d, "102"]]);
    }
    for role in ["BY", "SU"] {
        if let Some(p) = po.party(role).filter(|p| p.id.is_some()) {
            let agency = if p.id_qualifier.as_deref() == Some("UL") { "9" } else { "" };
            b.seg("NAD", &[vec![role], vec![p.id.as_deref().unwrap_or(""), "", agency]]);
        }
    }
    let mut n = 0;
    for (line, d) in po.lines.iter().zip(&decision.lines) {
        n += 1;
        let action = if d.accepted == d.ordered && d.ordered > 0 {
            "5"
        } else if d.accepted == 0 && d.backordered == 0 {
            "7"
        } else {
            "3"
        };
        let item = line.ids.iter().find(|i| matches!(i.qualifier.as_str(), "EN" | "UP" | "UK"));
        let number = n.to_string();
        let line_no = if line.line_number.is_empty() { number.as_str() } else { line.line_number.as_str() };
        match item {
            Some(i) => b.seg("LIN", &[vec![line_no], vec![action], vec![&i.value, "SRS"]]),
            None => b.seg("LIN", &[vec![line_no], vec![action]]),
        }
        let others: Vec<_> = line.ids.iter().filter(|i| !matches!(i.qualifier.as_str(), "EN" | "UP" | "UK")).collect();
        if !others.is_empty() {
            let mut els = vec![vec!["5"]];
            for i in others.iter().take(5) {
                let kind = match i.qualifier.as_str() {
                    "VN" | "VP" => "SA",
                    "IN" | "BP" => "IN",
                    "MG" => "MF",
                    other => other,
                };
                els.push(vec![i.value.as_str(), kind]);
            }
            b.seg("PIA", &els);
        }
        let ordered = d.ordered.to_string();
        b.seg("QTY", &[vec!["21", &ordered]]);
        let accepted = d.accepted.to_string();
        b.seg("QTY", &[vec!["113", &accepted]]);
        if d.backordered > 0 {
            let back = d.backordered.to_string();
            b.seg("QTY", &[vec!["83", &back]]);
        }
    }
    b.seg("UNS", &[vec!["S"]]);
    let lines = n.to_string();
    b.seg("CNT", &[vec!["2", &lines]]);
    b.end(reference);
    b.finish()
}

/// A DESADV for one shipment: CPS 1 (the consignment), then per package
/// a CPS with its PAC, PCI+33E with the SSCC (GIN+BJ) and the tracking
/// number (GIN+AW), and its lines with the despatched quantity (QTY+12).
pub fn write_desadv(env: &Envelope, release: &str, d: &Despatch) -> Result<Vec<u8>, WriteError> {
    let mut b = Builder::new(env);
    let reference = "1";
    b.begin(reference, &message_id("DESADV", release));
    b.seg("BGM", &[vec!["351"], vec![&d.number], vec!["9"]]);
    let stamp = format!("{}{}", env.date, env.time);
    b.seg("DTM", &[vec!["137", &stamp, "203"]]);
    b.seg("DTM", &[vec!["11", &d.ship_date, "102"]]);
    b.seg("RFF", &[vec!["ON", &d.po_number]]);
    if let Some(p) = &d.ship_to {
        write_nad(&mut b, "DP", p);
    }
    if let Some(c) = &d.carrier {
        b.seg("TDT", &[vec!["20"], vec![], vec![], vec![], vec!["", "", "", c]]);
    }
    b.seg("CPS", &[vec!["1"]]);
    let mut line_no = 0;
    for (i, p) in d.packages.iter().enumerate() {
        let cps = (i + 2).to_string();
        b.seg("CPS", &[vec![&cps], vec!["1"]]);
        b.seg("PAC", &[vec!["1"], vec![], vec!["CT"]]);
        if p.sscc.is_some() || p.tracking.is_some() {
            b.seg("PCI", &[vec!["33E"]]);
        }
        if let Some(s) = &p.sscc {
            b.seg("GIN", &[vec!["BJ"], vec![s]]);
        }
        if let Some(t) = &p.tracking {
            // Tracking numbers travel as package identification (GIN, identity number qualifier AW).
            b.seg("GIN", &[vec!["AW"], vec![t]]);
        }
        for l in &p.lines {
            line_no += 1;
            write_line(&mut b, line_no, l, "12");
        }
    }
    let lines = line_no.to_string();
    b.seg("CNT", &[vec!["2", &lines]]);
    b.end(reference);
    b.finish()
}

fn write_nad(b: &mut Builder<'_>, role: &str, p: &crate::domain::Party) {
    let id = p.id.as_deref().unwrap_or("");
    let agency = if p.id_qualifier.as_deref() == Some("UL") && !id.is_empty() { "9" } else { "" };
    let name = p.name.as_deref().unwrap_or("");
    let street: Vec<&str> = p.address.iter().take(4).map(|s| s.as_str()).collect();
    b.seg(
        "NAD",
        &[
            vec![role],
            vec![id, "", agency],
            vec![],
            vec![name],
            street,
            vec![p.city.as_deref().unwrap_or("")],
            vec![p.state.as_deref().unwrap_or("")],
            vec![p.postal_code.as_deref().unwrap_or("")],
            vec![p.country.as_deref().unwrap_or("")],
        ],
    );
}

fn write_line(b: &mut Builder<'_>, n: usize, l: &ShippedLine, qty_qualifier: &str) {
    let number = if l.line_number.is_empty() { n.to_string() } else { l.line_number.clone() };
    match &l.gtin {
        Some(g) => b.seg("LIN", &[vec![&number], vec![], vec![g, "SRS"]]),
        None => b.seg("LIN", &[vec![&number]]),
    }
    if let Some(s) = &l.sku {
        b.seg("PIA", &[vec!["5"], vec![s, "SA"]]);
    }
    if let Some(d) = &l.description {
        b.seg("IMD", &[vec!["F"], vec![], vec!["", "", "", d]]);
    }
    let q = l.quantity.to_string();
    b.seg("QTY", &[vec![qty_qualifier, &q]]);
}

/// An INVOIC for shipped quantities: BGM 380, payment terms (FTX+AAB, PAT, PCD),
/// allowances and charges (ALC with MOA+8), lines with QTY+47 (invoiced),
/// MOA+203 (line amount, in cents) and PRI+AAA; after UNS MOA+77 (invoice
/// total), MOA+79 (line total) and MOA+131 (charges less allowances).
pub fn write_invoic(env: &Envelope, release: &str, inv: &Invoice) -> Result<Vec<u8>, WriteError> {
    let mut b = Builder::new(env);
    let reference = "1";
    b.begin(reference, &message_id("INVOIC", release));
    b.seg("BGM", &[vec!["380"], vec![&inv.number], vec!["9"]]);
    b.seg("DTM", &[vec!["137", &inv.date, "102"]]);
    if let Some(d) = inv.terms.as_ref().and_then(|t| t.description.as_deref()).filter(|d| !d.trim().is_empty()) {
        // The terms as the retailer words them (terms of payment, AAB).
        b.seg("FTX", &[vec!["AAB"], vec![], vec![], vec![d]]);
    }
    b.seg("RFF", &[vec!["ON", &inv.po_number]]);
    if let Some(p) = &inv.buyer {
        write_nad(&mut b, "BY", p);
    }
    if let Some(p) = &inv.supplier {
        write_nad(&mut b, "SU", p);
    }
    if let Some(c) = &inv.currency {
        b.seg("CUX", &[vec!["2", c, "4"]]);
    }
    if let Some(t) = &inv.terms {
        // Net days after the invoice date (5, 3, D); a discount as PCD+12.
        let days = t.net_days.map(|d| d.to_string()).unwrap_or_default();
        let (when, relation, period) = if days.is_empty() { ("", "", "") } else { ("5", "3", "D") };
        b.seg("PAT", &[vec!["1"], vec![], vec![when, relation, period, &days]]);
        if let Some(pct) = t.discount_percent {
            let pct = num(pct);
            b.seg("PCD", &[vec!["12", &pct]]);
        }
    }
    for c in &inv.charges {
        // X12 SAC codes with a UN service code of their own; others by description.
        let service = match c.code.as_str() {
            "D240" => "FC",
            "C310" => "DI",
            _ => "",
        };
        let desc = c.description.as_deref().unwrap_or(c.code.as_str());
        b.seg("ALC", &[vec![&c.indicator], vec![], vec![], vec![], vec![service, "", "", desc]]);
        let amount = num(c.amount);
        b.seg("MOA", &[vec!["8", &amount]]);
    }
    for (i, l) in inv.lines.iter().enumerate() {
        write_line(&mut b, i + 1, l, "47");
        let price = l.unit_price.unwrap_or(Amount::ZERO);
        let amount = num(l.amount());
        b.seg("MOA", &[vec!["203", &amount]]);
        let p = num(price);
        b.seg("PRI", &[vec!["AAA", &p]]);
    }
    b.seg("UNS", &[vec!["S"]]);
    let lines = inv.lines.len().to_string();
    b.seg("CNT", &[vec!["2", &lines]]);
    let total = num(inv.total());
    b.seg("MOA", &[vec!["77", &total]]);
    let lines_total = num(inv.lines_total());
    b.seg("MOA", &[vec!["79", &lines_total]]);
    if !inv.charges.is_empty() {
        let charges = num(inv.charges_total());
        b.seg("MOA", &[vec!["131", &charges]]);
    }
    b.end(reference);
    b.finish()
}
