//! cXML documents → the header (who sent it, with which secret) and, for
//! an `OrderRequest`, a [`PurchaseOrder`].

use super::xml::{self, Element, Limits, XmlError};
use crate::domain::{
    Amount, Comm, Contact, DateRef, ItemId, Note, NoteKind, OrderLine, Party, PurchaseOrder, Reference,
};
use compact_str::CompactString;
use serde::Serialize;

/// A credential: `domain` (`DUNS`, `NetworkID`…) and identity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Credential {
    pub domain: String,
    pub identity: String,
}

impl std::fmt::Display for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.domain, self.identity)
    }
}

/// The cXML header.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Header {
    pub payload_id: String,
    pub timestamp: String,
    pub from: Vec<Credential>,
    pub to: Vec<Credential>,
    pub sender: Vec<Credential>,
    #[serde(skip)]
    pub shared_secret: Option<String>,
    pub user_agent: Option<String>,
    pub deployment_mode: Option<String>,
}

/// What the document asks.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Body {
    OrderRequest(Box<PurchaseOrder>),
    /// A Response (to something we sent): status code and text.
    Response {
        code: String,
        text: String,
    },
    /// Another request (its element name).
    Other {
        request: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Message {
    pub header: Header,
    pub body: Body,
    /// The DTD its DOCTYPE names (never read).
    pub dtd: Option<String>,
}

/// Why a cXML document cannot be taken: not XML, or XML that is not a cXML order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CxmlError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for CxmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for CxmlError {}

impl From<XmlError> for CxmlError {
    fn from(e: XmlError) -> Self {
        CxmlError { line: e.line, message: e.message }
    }
}

fn fail(el: &Element, message: impl Into<String>) -> CxmlError {
    CxmlError { line: el.line, message: message.into() }
}

fn credentials(el: Option<&Element>) -> Vec<Credential> {
    el.map(|e| {
        e.children_named("Credential")
            .map(|c| Credential {
                domain: c.attr("domain").unwrap_or_default().trim().to_string(),
                identity: c.text_at(&["Identity"]).unwrap_or_default().to_string(),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Reads a cXML document (see [`xml::parse`] for the limits).
pub fn read(
    bytes: &[u8],
    limits: &Limits,
    fallback: Option<&'static encoding_rs::Encoding>,
) -> Result<Message, CxmlError> {
    let doc = xml::parse(bytes, limits, fallback)?;
    let root = &doc.root;
    if root.name != "cXML" {
        return Err(fail(root, format!("the root element is <{}>, not <cXML>", root.name)));
    }
    let h = root.child("Header");
    let sender = h.and_then(|h| h.child("Sender"));
    let header = Header {
        payload_id: root.attr("payloadID").unwrap_or_default().to_string(),
        timestamp: root.attr("timestamp").unwrap_or_default().to_string(),
        from: credentials(h.and_then(|h| h.child("From"))),
        to: credentials(h.and_then(|h| h.child("To"))),
        sender: credentials(sender),
        shared_secret: sender
            .and_then(|s| s.children_named("Credential").find_map(|c| c.text_at(&["SharedSecret"])))
            .map(str::to_string),
        user_agent: sender.and_then(|s| s.text_at(&["UserAgent"])).map(str::to_string),
        deployment_mode: root.child("Request").and_then(|r| r.attr("deploymentMode")).map(str::to_string),
    };
    if header.payload_id.is_empty() {
        return Err(fail(root, "<cXML> has no payloadID"));
    }
    let body = if let Some(req) = root.child("Request") {
        match req.children.first() {
            Some(o) if o.name == "OrderRequest" => {
                let mut po = order_request(o)?;
                // Kept for the documents that answer it, which must quote them.
                po.references.push(Reference {
                    qualifier: "payloadID".into(),
                    value: header.payload_id.as_str().into(),
                    description: None,
                });
                if let Some(d) = o.child("OrderRequestHeader").and_then(|h| h.attr("orderDate")) {
                    po.references.push(Reference { qualifier: "orderDate".into(), value: d.into(), description: None });
                }
                Body::OrderRequest(Box::new(po))
            }
            Some(other) => Body::Other { request: other.name.clone() },
            None => return Err(fail(req, "<Request> is empty")),
        }
    } else if let Some(resp) = root.child("Response") {
        let st = resp.child("Status");
        Body::Response {
            code: st.and_then(|s| s.attr("code")).unwrap_or_default().to_string(),
            text: st.and_then(|s| s.attr("text")).unwrap_or_default().to_string(),
        }
    } else {
        return Err(fail(root, "neither <Request> nor <Response> in <cXML>"));
    };
    Ok(Message { header, body, dtd: doc.doctype })
}

/// `2008-01-07T09:14:50-08:00` → `20080107`.
fn date_of(ts: &str) -> Option<CompactString> {
    let d: String = ts.get(..10)?.chars().filter(char::is_ascii_digit).collect();
    (d.len() == 8).then(|| d.into())
}

fn text(e: Option<&Element>) -> Option<CompactString> {
    e.map(|e| e.text.trim()).filter(|t| !t.is_empty()).map(CompactString::from)
}

/// An `<Address>` (in ShipTo, BillTo) as a party.
fn party(role: &str, a: &Element) -> Party {
    let pa = a.child("PostalAddress");
    let deliver_to: Vec<CompactString> =
        pa.map(|p| p.children_named("DeliverTo").filter_map(|d| text(Some(d))).collect()).unwrap_or_default();
    let name = text(a.child("Name"));
    let (person, mut extra): (Option<CompactString>, Vec<CompactString>) = match deliver_to.split_first() {
        Some((first, rest)) => (Some(first.clone()), rest.to_vec()),
        None => (None, Vec::new()),
    };
    // Drop-ship: the person the parcel is for comes first; the location name after.
    let display = person.clone().or(name.clone());
    if let (Some(n), Some(_)) = (&name, &person) {
        extra.insert(0, n.clone());
    }
    let mut contacts = Vec::new();
    let mut comms = Vec::new();
    if let Some(e) = text(a.child("Email")) {
        comms.push(Comm { qualifier: "EM".into(), value: e });
    }
    if let Some(p) = a.child("Phone").and_then(|p| p.child("TelephoneNumber")) {
        let number: Vec<&str> =
            ["CountryCode", "AreaOrCityCode", "Number"].iter().filter_map(|n| p.text_at(&[n])).collect();
        if !number.is_empty() {
            comms.push(Comm { qualifier: "TE".into(), value: number.join(" ").into() });
        }
    }
    if !comms.is_empty() {
        contacts.push(Contact { function: "IC".into(), name: display.clone(), comms });
    }
    Party {
        role: role.into(),
        name: display,
        id_qualifier: a.attr("addressID").map(|_| "92".into()),
        id: a.attr("addressID").map(CompactString::from),
        extra_names: extra,
        address: pa.map(|p| p.children_named("Street").filter_map(|s| text(Some(s))).collect()).unwrap_or_default(),
        city: text(pa.and_then(|p| p.child("City"))),
        state: text(pa.and_then(|p| p.child("State"))),
        postal_code: text(pa.and_then(|p| p.child("PostalCode"))),
        country: pa
            .and_then(|p| p.child("Country"))
            .and_then(|c| c.attr("isoCountryCode").map(CompactString::from).or_else(|| text(Some(c)))),
        contacts,
    }
}

fn money(e: Option<&Element>, what: &str) -> Result<Option<Amount>, CxmlError> {
    let Some(m) = e.and_then(|e| e.child("Money")) else { return Ok(None) };
    Amount::parse(m.text.trim())
        .map(Some)
        .ok_or_else(|| fail(m, format!("{what} {:?} is not an amount", m.text.trim())))
}

fn order_request(o: &Element) -> Result<PurchaseOrder, CxmlError> {
    let Some(h) = o.child("OrderRequestHeader") else {
        return Err(fail(o, "OrderRequest has no OrderRequestHeader"));
    };
    let po_number = h.attr("orderID").map(str::trim).unwrap_or_default();
    if po_number.is_empty() {
        return Err(fail(h, "OrderRequestHeader has no orderID"));
    }
    let kind = h.attr("type").unwrap_or("new");
    if kind != "new" {
        return Err(fail(
            h,
            format!(
                "OrderRequest type=\"{kind}\" (a change or cancellation of order {po_number}) is not taken by this door; \
                 send changes as a new order or ask the wholesaler"
            ),
        ));
    }
    let mut po = PurchaseOrder {
        po_number: po_number.into(),
        purpose: "00".into(),
        order_type: if h.attr("orderType").is_some_and(|t| t.eq_ignore_ascii_case("release")) {
            "RL".into()
        } else {
            "SA".into()
        },
        order_date: h.attr("orderDate").and_then(date_of),
        currency: h.at(&["Total", "Money"]).and_then(|m| m.attr("currency")).map(CompactString::from),
        ..PurchaseOrder::default()
    };
    if let Some(a) = h.at(&["ShipTo", "Address"]) {
        po.parties.push(party("ST", a));
    }
    if let Some(a) = h.at(&["BillTo", "Address"]) {
        po.parties.push(party("BT", a));
    }
    for c in h.children_named("Contact") {
        let mut comms = Vec::new();
        if let Some(e) = text(c.child("Email")) {
            comms.push(Comm { qualifier: "EM".into(), value: e });
        }
        po.contacts.push(Contact {
            function: c.attr("role").unwrap_or("ZZ").into(),
            name: text(c.child("Name")),
            comms,
        });
    }
    if let Some(s) = h.child("Shipping") {
        if let Some(d) = text(s.child("Description")) {
            po.carriers.push(crate::domain::Carrier { routing: Some(d), ..Default::default() });
        }
    }
    for c in h.children_named("Comments") {
        if let Some(t) = text(Some(c)) {
            po.notes.push(Note { kind: NoteKind::Other, qualifier: None, reference: None, text: t });
        }
    }
    for x in h.children_named("Extrinsic") {
        let name = x.attr("name").unwrap_or_default();
        if let Some(t) = text(Some(x)) {
            let kind = if name.to_ascii_lowercase().contains("gift") { NoteKind::Gift } else { NoteKind::Other };
            po.notes.push(Note { kind, qualifier: Some(name.into()), reference: None, text: t });
        }
    }
    for (i, item) in o.children_named("ItemOut").enumerate() {
        let q = item.attr("quantity").unwrap_or_default();
        let quantity = Amount::parse(q)
            .filter(|a| a.raw() > 0)
            .ok_or_else(|| fail(item, format!("ItemOut {}: quantity {q:?} is not a positive number", i + 1)))?;
        let mut line = OrderLine {
            line_number: item
                .attr("lineNumber")
                .map_or_else(|| compact_str::format_compact!("{}", i + 1), CompactString::from),
            quantity,
            unit: "EA".into(),
            ..OrderLine::default()
        };
        if let Some(id) = item.child("ItemID") {
            for (el, qualifier) in [("SupplierPartID", "VN"), ("SupplierPartAuxiliaryID", "VA"), ("BuyerPartID", "BP")]
            {
                if let Some(v) = id.text_at(&[el]) {
                    line.ids.push(ItemId { qualifier: qualifier.into(), value: v.into() });
                }
            }
        }
        if !line.ids.iter().any(|i| i.qualifier == "VN") {
            return Err(fail(item, format!("ItemOut {}: no ItemID/SupplierPartID", i + 1)));
        }
        if let Some(d) = item.child("ItemDetail") {
            line.unit_price = money(d.child("UnitPrice"), "UnitPrice")?;
            line.description = text(d.child("Description"));
            if let Some(u) = d.text_at(&["UnitOfMeasure"]) {
                line.unit = u.into();
            }
            if let Some(m) = d.text_at(&["ManufacturerPartID"]) {
                line.ids.push(ItemId { qualifier: "MG".into(), value: m.into() });
            }
        }
        if let Some(d) = item.attr("requestedDeliveryDate").and_then(date_of) {
            line.dates.push(DateRef { qualifier: "002".into(), date: d, time: None, zone: None });
        }
        for c in item.children_named("Comments") {
            if let Some(t) = text(Some(c)) {
                line.messages.push(t);
            }
        }
        po.lines.push(line);
    }
    if po.lines.is_empty() {
        return Err(fail(o, "OrderRequest has no ItemOut lines"));
    }
    Ok(po)
}
