//! cXML documents dropgate sends: the synchronous `Response`, and the
//! `ConfirmationRequest`, `ShipNoticeRequest` and `InvoiceDetailRequest`
//! that follow an order. Pure functions of domain data.

use super::reader::Credential;
use super::xml::Writer;
use crate::domain::{Amount, DecisionState, Despatch, Invoice, OrderDecision, PurchaseOrder};

/// Who is who in a document we send.
#[derive(Clone, Debug, Default)]
pub struct Parties {
    /// Us (From and Sender).
    pub from: Credential,
    /// The buyer (To).
    pub to: Credential,
    pub user_agent: String,
}

/// `payloadID` and `timestamp` of a document we send.
#[derive(Clone, Debug)]
pub struct Stamp {
    pub payload_id: String,
    /// RFC 3339 with offset: `2026-12-02T10:15:00+00:00`.
    pub timestamp: String,
}

impl Stamp {
    /// A stamp for `unix_seconds`, with a payload id unique per `seq` and host name.
    pub fn new(unix_seconds: i64, seq: &str, domain: &str) -> Stamp {
        let (y, mo, d, h, mi, s) = crate::util::civil_utc(unix_seconds);
        Stamp {
            payload_id: format!("{unix_seconds}.{seq}@{domain}"),
            timestamp: format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}+00:00"),
        }
    }
}

fn open_cxml(w: &mut Writer, stamp: &Stamp) {
    w.open("cXML", &[("payloadID", &stamp.payload_id), ("timestamp", &stamp.timestamp), ("xml:lang", "en-US")]);
}

fn header(w: &mut Writer, p: &Parties) {
    w.open("Header", &[]);
    for (name, c) in [("From", &p.from), ("To", &p.to)] {
        w.open(if name == "From" { "From" } else { "To" }, &[]);
        w.open("Credential", &[("domain", &c.domain)]);
        w.leaf("Identity", &[], &c.identity);
        w.close();
        w.close();
    }
    w.open("Sender", &[]);
    w.open("Credential", &[("domain", &p.from.domain)]);
    w.leaf("Identity", &[], &p.from.identity);
    w.close();
    w.leaf("UserAgent", &[], &p.user_agent);
    w.close();
    w.close();
}

/// The synchronous answer to a posted document: `200 OK`, or a 4xx code
/// with the reason as the status text and content.
pub fn response(stamp: &Stamp, code: u16, text: &str, detail: &str) -> Vec<u8> {
    let mut w = Writer::new("cXML.dtd");
    open_cxml(&mut w, stamp);
    w.open("Response", &[]);
    let code = code.to_string();
    w.leaf("Status", &[("code", &code), ("text", text), ("xml:lang", "en-US")], detail);
    w.finish()
}

/// The order's own `payloadID` and `orderDate`, kept as references when it was read.
pub fn order_payload(po: &PurchaseOrder) -> (Option<&str>, Option<&str>) {
    let get = |q: &str| po.references.iter().find(|r| r.qualifier == q).map(|r| r.value.as_str());
    (get("payloadID"), get("orderDate"))
}

fn order_reference(w: &mut Writer, po_number: &str, payload: Option<&str>, order_date: Option<&str>) {
    let mut attrs = vec![("orderID", po_number)];
    if let Some(d) = order_date {
        attrs.push(("orderDate", d));
    }
    w.open("OrderReference", &attrs);
    w.leaf("DocumentReference", &[("payloadID", payload.unwrap_or(po_number))], "");
    w.close();
}

fn qty(n: i64) -> String {
    n.to_string()
}

/// A ConfirmationRequest with dropgate's decision: `accept` when every
/// line is taken, `reject` when none is, else `detail` with per line the
/// accepted, backordered and rejected quantities.
pub fn confirmation(stamp: &Stamp, p: &Parties, po: &PurchaseOrder, d: &OrderDecision) -> Vec<u8> {
    let mut w = Writer::new("Fulfill.dtd");
    open_cxml(&mut w, stamp);
    header(&mut w, p);
    w.open("Request", &[]);
    w.open("ConfirmationRequest", &[]);
    let kind = match d.state {
        DecisionState::Accepted => "accept",
        DecisionState::Rejected => "reject",
        _ => "detail",
    };
    let confirm_id = format!("{}-C", po.po_number);
    w.leaf("ConfirmationHeader", &[("confirmID", &confirm_id), ("type", kind), ("noticeDate", &stamp.timestamp)], "");
    let (payload, date) = order_payload(po);
    order_reference(&mut w, &po.po_number, payload, date);
    for (i, (line, ld)) in po.lines.iter().zip(&d.lines).enumerate() {
        let number = line.line_number.parse::<u32>().unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)).to_string();
        let unit = if line.unit.is_empty() { "EA" } else { line.unit.as_str() };
        let ordered = qty(ld.ordered);
        w.open("ConfirmationItem", &[("quantity", &ordered), ("lineNumber", &number)]);
        w.leaf("UnitOfMeasure", &[], unit);
        let parts = [("accept", ld.accepted), ("backordered", ld.backordered), ("reject", ld.rejected)];
        let mut any = false;
        for (kind, n) in parts {
            if n > 0 {
                any = true;
                let n = qty(n);
                w.open("ConfirmationStatus", &[("quantity", &n), ("type", kind)]);
                w.leaf("UnitOfMeasure", &[], unit);
                w.close();
            }
        }
        if !any {
            w.open("ConfirmationStatus", &[("quantity", &ordered), ("type", "reject")]);
            w.leaf("UnitOfMeasure", &[], unit);
            w.close();
        }
        w.close();
    }
    w.finish()
}

/// A ShipNoticeRequest for one shipment: carrier and tracking number in
/// ShipControl, the shipped quantity of each line in a ShipNoticePortion.
pub fn ship_notice(stamp: &Stamp, p: &Parties, order: &PurchaseOrder, s: &Despatch) -> Vec<u8> {
    let mut w = Writer::new("Fulfill.dtd");
    open_cxml(&mut w, stamp);
    header(&mut w, p);
    w.open("Request", &[]);
    w.open("ShipNoticeRequest", &[]);
    let ship_date = iso_date(&s.ship_date);
    w.leaf(
        "ShipNoticeHeader",
        &[
            ("shipmentID", &s.number),
            ("noticeDate", &stamp.timestamp),
            ("shipmentDate", &ship_date),
            ("shipmentType", "actual"),
        ],
        "",
    );
    let tracking: Vec<&str> = s.packages.iter().filter_map(|p| p.tracking.as_deref()).collect();
    if let (Some(carrier), false) = (&s.carrier, tracking.is_empty()) {
        w.open("ShipControl", &[]);
        w.leaf("CarrierIdentifier", &[("domain", "companyName")], carrier);
        for t in tracking {
            w.leaf("ShipmentIdentifier", &[("domain", "trackingNumber")], t);
        }
        w.close();
    }
    w.open("ShipNoticePortion", &[]);
    let (payload, date) = order_payload(order);
    order_reference(&mut w, &s.po_number, payload, date);
    for (i, l) in s.packages.iter().flat_map(|p| p.lines.iter()).enumerate() {
        let number = l.line_number.parse::<u32>().unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)).to_string();
        let q = qty(l.quantity);
        w.open("ShipNoticeItem", &[("quantity", &q), ("lineNumber", &number)]);
        w.leaf("UnitOfMeasure", &[], "EA");
        w.close();
    }
    w.finish()
}

/// `20261202` → `2026-12-02T00:00:00+00:00`.
fn iso_date(d: &str) -> String {
    if d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()) {
        format!("{}-{}-{}T00:00:00+00:00", &d[..4], &d[4..6], &d[6..])
    } else {
        d.to_string()
    }
}

fn money(w: &mut Writer, name: &'static str, currency: &str, a: Amount) {
    w.open(name, &[]);
    let c = a.cents();
    let sign = if c < 0 { "-" } else { "" };
    w.leaf("Money", &[("currency", currency)], &format!("{sign}{}.{:02}", (c / 100).abs(), (c % 100).abs()));
    w.close();
}

/// An InvoiceDetailRequest for the shipped quantities of one order
/// (`purpose="standard"`, `operation="new"`), with the line and summary
/// amounts. There is no DTD for it here: its shape follows cXML's
/// InvoiceDetail.dtd 1.2.0xx.
pub fn invoice(stamp: &Stamp, p: &Parties, order: &PurchaseOrder, inv: &Invoice) -> Vec<u8> {
    let mut w = Writer::new("InvoiceDetail.dtd");
    open_cxml(&mut w, stamp);
    header(&mut w, p);
    w.open("Request", &[]);
    w.open("InvoiceDetailRequest", &[]);
    let date = iso_date(&inv.date);
    w.open(
        "InvoiceDetailRequestHeader",
        &[("invoiceID", &inv.number), ("purpose", "standard"), ("operation", "new"), ("invoiceDate", &date)],
    );
    w.leaf("InvoiceDetailHeaderIndicator", &[], "");
    w.leaf("InvoiceDetailLineIndicator", &[], "");
    if let Some(t) = &inv.terms {
        let days = t.net_days.unwrap_or(0).to_string();
        let pct = t.discount_percent.map(|p| p.to_string()).unwrap_or_else(|| "0".into());
        w.leaf("InvoiceDetailPaymentTerm", &[("payInNumberOfDays", &days), ("percentageRate", &pct)], "");
    }
    w.close();
    let currency = inv.currency.as_deref().unwrap_or("USD");
    w.open("InvoiceDetailOrder", &[]);
    w.open("InvoiceDetailOrderInfo", &[]);
    let (payload, odate) = order_payload(order);
    order_reference(&mut w, &inv.po_number, payload, odate);
    w.close();
    for (i, l) in inv.lines.iter().enumerate() {
        let n = (i + 1).to_string();
        let q = qty(l.quantity);
        w.open("InvoiceDetailItem", &[("invoiceLineNumber", &n), ("quantity", &q)]);
        w.leaf("UnitOfMeasure", &[], "EA");
        let price = l.unit_price.unwrap_or(Amount::ZERO);
        money(&mut w, "UnitPrice", currency, price);
        let number = l.line_number.parse::<u32>().unwrap_or(u32::try_from(i + 1).unwrap_or(u32::MAX)).to_string();
        w.open("InvoiceDetailItemReference", &[("lineNumber", &number)]);
        if let Some(sku) = &l.sku {
            w.open("ItemID", &[]);
            w.leaf("SupplierPartID", &[], sku);
            w.close();
        }
        if let Some(d) = &l.description {
            w.leaf("Description", &[("xml:lang", "en-US")], d);
        }
        w.close();
        money(&mut w, "SubtotalAmount", currency, l.amount());
        w.close();
    }
    w.close();
    let total = inv.total();
    w.open("InvoiceDetailSummary", &[]);
    money(&mut w, "SubtotalAmount", currency, inv.lines_total());
    w.open("Tax", &[]);
    w.leaf("Money", &[("currency", currency)], "0.00");
    w.leaf("Description", &[("xml:lang", "en-US")], "no tax");
    w.close();
    // Charges: freight as ShippingAmount, the others as SpecialHandlingAmount; allowances as a discount.
    let cents = |pick: &dyn Fn(&crate::domain::shipment::InvoiceCharge) -> bool| -> i64 {
        inv.charges.iter().filter(|c| pick(c)).map(crate::domain::shipment::InvoiceCharge::signed_cents).sum()
    };
    let special = cents(&|c| c.indicator == "C" && c.code != "D240");
    let shipping = cents(&|c| c.indicator == "C" && c.code == "D240");
    let discount = -cents(&|c| c.indicator == "A");
    if special != 0 {
        money(&mut w, "SpecialHandlingAmount", currency, Amount::from_cents(special));
    }
    if shipping != 0 {
        money(&mut w, "ShippingAmount", currency, Amount::from_cents(shipping));
    }
    money(&mut w, "GrossAmount", currency, Amount::from_cents(inv.lines_total().cents() + special + shipping));
    if discount != 0 {
        money(&mut w, "InvoiceDetailDiscount", currency, Amount::from_cents(discount));
    }
    money(&mut w, "NetAmount", currency, total);
    money(&mut w, "DueAmount", currency, total);
    w.finish()
}
