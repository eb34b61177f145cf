//! EDIFACT interchanges → messages → [`PurchaseOrder`]s (ORDERS D96A,
//! D01B and neighbours), with the envelope checks a CONTRL reports:
//! UNB/UNZ and UNG/UNE counts and references, UNH/UNT segment counts and
//! references. Failures are per message: one bad ORDERS in an interchange
//! is rejected, the others go on.

use super::syntax::{code, service_string, tokenize, Charset, EdifactError, Segment, Syntax};
use crate::domain::{
    Amount, Carrier, Comm, Contact, DateRef, ItemId, Note, NoteKind, OrderLine, Party, PriceInfo, PurchaseOrder,
    Reference,
};
use compact_str::{format_compact, CompactString};
use serde::{Deserialize, Serialize};

/// An interchange party (UNB S002 / S003).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub id: CompactString,
    /// Partner identification code qualifier (`14` GLN, `ZZ` mutually defined…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<CompactString>,
    /// Address for reverse routing / internal identification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal: Option<CompactString>,
}

impl Address {
    /// Parses `"ID"` or `"ID:QUALIFIER"` (as in UNB: `5412345000013:14`).
    pub fn parse(text: &str) -> Option<Address> {
        let mut parts = text.split(':');
        let id = parts.next()?.trim();
        if id.is_empty() || id.len() > 35 {
            return None;
        }
        let qualifier = parts.next().map(str::trim).filter(|q| !q.is_empty()).map(CompactString::from);
        let internal = parts.next().map(str::trim).filter(|q| !q.is_empty()).map(CompactString::from);
        Some(Address { id: id.into(), qualifier, internal })
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.id)?;
        if let Some(q) = &self.qualifier {
            write!(f, ":{q}")?;
        }
        Ok(())
    }
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum MessageBody {
    Order(Box<PurchaseOrder>),
    /// A CONTRL for an interchange we sent: reference and action (0083).
    Contrl {
        interchange: CompactString,
        action: CompactString,
    },
    /// A message type dropgate does not take.
    Unsupported,
    /// Rejected: see the message's errors.
    Rejected,
}

/// One UNH…UNT message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// UNH01 message reference.
    pub reference: CompactString,
    /// S009: type (`ORDERS`), version (`D`), release (`96A`), agency (`UN`), association code (`EAN008`).
    pub kind: CompactString,
    pub version: CompactString,
    pub release: CompactString,
    pub agency: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub association: Option<CompactString>,
    pub first_segment: usize,
    pub segment_count: usize,
    pub body: MessageBody,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EdifactError>,
}

impl Message {
    pub fn rejected(&self) -> bool {
        matches!(self.body, MessageBody::Rejected)
    }
    /// `ORDERS:D:96A:UN[:EAN008]`.
    pub fn identifier(&self) -> String {
        let mut s = format!("{}:{}:{}:{}", self.kind, self.version, self.release, self.agency);
        if let Some(a) = &self.association {
            s.push(':');
            s.push_str(a);
        }
        s
    }
}

/// One UNB…UNZ interchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Interchange {
    pub syntax: Syntax,
    pub charset: Charset,
    /// S001.0002: 1 to 4.
    pub syntax_version: u8,
    pub sender: Address,
    pub recipient: Address,
    /// S004: YYMMDD (CCYYMMDD in syntax 4) and HHMM.
    pub date: CompactString,
    pub time: CompactString,
    /// UNB05 interchange control reference.
    pub control: CompactString,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_ref: Option<CompactString>,
    /// UNB09 = 1: the sender asks for a CONTRL.
    pub ack_requested: bool,
    /// UNB11 = 1.
    pub test: bool,
    pub first_segment: usize,
    pub messages: Vec<Message>,
    /// Envelope errors; any of them refuses the whole interchange.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EdifactError>,
}

impl Interchange {
    pub fn refused(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// Everything read from one file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedFile {
    pub interchanges: Vec<Interchange>,
    /// Problems outside any interchange (bad UNA, bytes that are not EDIFACT).
    pub errors: Vec<EdifactError>,
}

impl ParsedFile {
    /// Every error, file-level first.
    pub fn all_errors(&self) -> Vec<&EdifactError> {
        let mut v: Vec<&EdifactError> = self.errors.iter().collect();
        for ic in &self.interchanges {
            v.extend(&ic.errors);
            for m in &ic.messages {
                v.extend(&m.errors);
            }
        }
        v
    }
}

fn file_error(index: usize, tag: &str, message: impl Into<String>) -> EdifactError {
    EdifactError {
        segment_index: index,
        tag: tag.into(),
        element: None,
        component: None,
        code: code::INVALID_VALUE,
        message: message.into(),
    }
}

/// Reads every interchange of a file. Never panics; whatever cannot be
/// read is reported in the errors.
pub fn read(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::default();
    let mut pos = 0;
    let mut index = 1;
    loop {
        while pos < bytes.len() && bytes[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos >= bytes.len() {
            break;
        }
        let (syntax, after_una, had_una) = match service_string(bytes, pos) {
            Ok(s) => s,
            Err(e) => {
                out.errors.push(e);
                break;
            }
        };
        if had_una {
            index += 1;
        }
        // UNB alone first: it tells the syntax version (repetition separator) and charset.
        let (unb, after_unb, err) = tokenize(bytes, after_una, &syntax, index, Some("UNB"));
        if let Some(e) = err {
            out.errors.push(e);
            break;
        }
        let Some(unb) = unb.into_iter().next() else { break };
        if unb.tag != "UNB" {
            out.errors.push(file_error(
                unb.index,
                &unb.tag,
                format!("expected an interchange header UNB (or UNA) here, found {:?}", unb.tag.as_str()),
            ));
            break;
        }
        let syntax_version = unb.code(1, 2).parse::<u8>().unwrap_or(0);
        let mut syntax = syntax;
        if syntax_version >= 4 {
            syntax.repetition = syntax.repetition.or(Some(b'*')).filter(|r| *r != b' ');
        } else {
            syntax.repetition = None;
        }
        // The rest of the interchange, up to UNZ.
        let (segs, after, err) = tokenize(bytes, after_unb, &syntax, unb.index + 1, Some("UNZ"));
        let ic = interchange(&syntax, syntax_version, &unb, &segs, err.is_some());
        index = segs.last().map_or(unb.index + 1, |s| s.index + 1);
        out.interchanges.push(ic);
        if let Some(e) = err {
            if let Some(ic) = out.interchanges.last_mut() {
                ic.errors.push(e);
            }
            break;
        }
        pos = after;
    }
    if out.interchanges.is_empty() && out.errors.is_empty() {
        out.errors.push(file_error(0, "", "no EDIFACT interchange found (expected \"UNA\" or \"UNB\")"));
    }
    out
}

fn interchange(syntax: &Syntax, syntax_version: u8, unb: &Segment, segs: &[Segment], cut: bool) -> Interchange {
    let charset_code = unb.code(1, 1);
    let mut errors = Vec::new();
    let charset = Charset::from_code(&charset_code).unwrap_or_else(|| {
        errors.push(EdifactError::at(
            unb,
            Some(1),
            Some(1),
            code::VALUE_NOT_SUPPORTED,
            format!("syntax identifier {charset_code:?} is not one dropgate reads (UNOA, UNOB, UNOC, UNOD, UNOE, UNOF, UNOW, UNOY)"),
        ));
        Charset::Unoc
    });
    if !(1..=4).contains(&syntax_version) {
        errors.push(EdifactError::at(
            unb,
            Some(1),
            Some(2),
            code::SYNTAX_VERSION,
            format!("syntax version {:?} is not 1 to 4", unb.code(1, 2).as_str()),
        ));
    }
    let addr = |e: usize| Address {
        id: unb.code(e, 1).trim().into(),
        qualifier: Some(unb.code(e, 2)).filter(|s| !s.is_empty()),
        internal: Some(unb.code(e, 3)).filter(|s| !s.is_empty()),
    };
    let sender = addr(2);
    let recipient = addr(3);
    for (e, who, a) in [(2, "sender", &sender), (3, "recipient", &recipient)] {
        if a.id.is_empty() {
            errors.push(EdifactError::at(
                unb,
                Some(e),
                Some(1),
                code::MISSING,
                format!("the interchange {who} is missing"),
            ));
        }
    }
    let control = unb.code(5, 1);
    if control.is_empty() {
        errors.push(EdifactError::at(
            unb,
            Some(5),
            None,
            code::MISSING,
            "the interchange control reference is missing",
        ));
    }
    let mut ic = Interchange {
        syntax: *syntax,
        charset,
        syntax_version,
        sender,
        recipient,
        date: unb.code(4, 1),
        time: unb.code(4, 2),
        control,
        application_ref: Some(unb.code(7, 1)).filter(|s| !s.is_empty()),
        ack_requested: unb.code(9, 1) == "1",
        test: unb.code(11, 1) == "1",
        first_segment: unb.index,
        messages: Vec::new(),
        errors,
    };

    let mut i = 0;
    let mut groups = 0usize;
    let mut in_group: Option<(&Segment, usize)> = None;
    let mut unz = None;
    while i < segs.len() {
        let s = &segs[i];
        match s.tag.as_str() {
            "UNH" => {
                let end = segs[i..].iter().position(|t| matches!(t.tag.as_str(), "UNT" | "UNH" | "UNZ" | "UNE"));
                let end = end.map(|e| i + e).filter(|&e| segs[e].tag == "UNT");
                let (body, next) = match end {
                    Some(e) => (&segs[i..=e], e + 1),
                    None => {
                        let stop = segs[i + 1..]
                            .iter()
                            .position(|t| matches!(t.tag.as_str(), "UNH" | "UNZ" | "UNE"))
                            .map_or(segs.len(), |p| i + 1 + p);
                        (&segs[i..stop], stop)
                    }
                };
                ic.messages.push(message(&ic, body));
                if let Some((_, n)) = &mut in_group {
                    *n += 1;
                }
                i = next;
                continue;
            }
            "UNG" => {
                if in_group.is_some() {
                    ic.errors.push(EdifactError::at(
                        s,
                        None,
                        None,
                        code::NOT_SUPPORTED_IN_POSITION,
                        "UNG inside a group",
                    ));
                }
                in_group = Some((s, 0));
                groups += 1;
            }
            "UNE" => match in_group.take() {
                Some((ung, n)) => {
                    if s.code(1, 1).parse::<usize>().ok() != Some(n) {
                        ic.errors.push(EdifactError::at(
                            s,
                            Some(1),
                            None,
                            code::COUNT_DIFFERS,
                            format!("UNE01 says {} message(s), the group holds {n}", s.code(1, 1)),
                        ));
                    }
                    if s.code(2, 1) != ung.code(5, 1) {
                        ic.errors.push(EdifactError::at(
                            s,
                            Some(2),
                            None,
                            code::REFERENCES_DIFFER,
                            format!(
                                "UNE02 {:?} does not match the group reference UNG05 {:?}",
                                s.code(2, 1).as_str(),
                                ung.code(5, 1).as_str()
                            ),
                        ));
                    }
                }
                None => {
                    ic.errors.push(EdifactError::at(s, None, None, code::NOT_SUPPORTED_IN_POSITION, "UNE without UNG"))
                }
            },
            "UNZ" => {
                unz = Some(s);
            }
            _ => ic.errors.push(EdifactError::at(
                s,
                None,
                None,
                code::NOT_SUPPORTED_IN_POSITION,
                format!("segment {} outside a message (between UNT and UNH)", s.tag),
            )),
        }
        i += 1;
    }
    if let Some((ung, _)) = in_group {
        ic.errors.push(EdifactError::at(ung, None, None, code::MISSING, "group UNG has no UNE trailer"));
    }
    match unz {
        Some(unz) => {
            let expect = if groups > 0 { groups } else { ic.messages.len() };
            if unz.code(1, 1).parse::<usize>().ok() != Some(expect) {
                ic.errors.push(EdifactError::at(
                    unz,
                    Some(1),
                    None,
                    code::COUNT_DIFFERS,
                    format!(
                        "UNZ01 says {} {}, the interchange holds {expect}",
                        unz.code(1, 1),
                        if groups > 0 { "group(s)" } else { "message(s)" }
                    ),
                ));
            }
            if unz.code(2, 1) != ic.control {
                ic.errors.push(EdifactError::at(
                    unz,
                    Some(2),
                    None,
                    code::REFERENCES_DIFFER,
                    format!(
                        "UNZ02 {:?} does not match the interchange control reference UNB05 {:?}",
                        unz.code(2, 1).as_str(),
                        ic.control.as_str()
                    ),
                ));
            }
        }
        None if !cut => {
            let last = segs.last().unwrap_or(unb);
            ic.errors.push(EdifactError::at(last, None, None, code::MISSING, "the interchange has no UNZ trailer"));
        }
        None => {}
    }
    ic
}

/// Reads one message (UNH to UNT, or to where it was cut short).
fn message(ic: &Interchange, segs: &[Segment]) -> Message {
    let unh = &segs[0];
    let mut m = Message {
        reference: unh.code(1, 1),
        kind: unh.code(2, 1),
        version: unh.code(2, 2),
        release: unh.code(2, 3),
        agency: unh.code(2, 4),
        association: Some(unh.code(2, 5)).filter(|s| !s.is_empty()),
        first_segment: unh.index,
        segment_count: segs.len(),
        body: MessageBody::Rejected,
        errors: Vec::new(),
    };
    if m.reference.is_empty() {
        m.errors.push(EdifactError::at(unh, Some(1), None, code::MISSING, "the message reference number is missing"));
    }
    match segs.last().filter(|s| s.tag == "UNT") {
        Some(unt) => {
            if unt.code(1, 1).parse::<usize>().ok() != Some(segs.len()) {
                m.errors.push(EdifactError::at(
                    unt,
                    Some(1),
                    None,
                    code::COUNT_DIFFERS,
                    format!("UNT01 says {} segment(s), the message has {}", unt.code(1, 1), segs.len()),
                ));
            }
            if unt.code(2, 1) != m.reference {
                m.errors.push(EdifactError::at(
                    unt,
                    Some(2),
                    None,
                    code::REFERENCES_DIFFER,
                    format!(
                        "UNT02 {:?} does not match the message reference UNH01 {:?}",
                        unt.code(2, 1).as_str(),
                        m.reference.as_str()
                    ),
                ));
            }
        }
        None => {
            let last = segs.last().unwrap_or(unh);
            m.errors.push(EdifactError::at(
                last,
                None,
                None,
                code::MISSING,
                format!("message {} has no UNT trailer", m.reference),
            ));
        }
    }
    if !m.errors.is_empty() {
        return m;
    }
    let inner = &segs[1..segs.len() - 1];
    m.body = match m.kind.as_str() {
        "ORDERS" => match orders(ic.charset, ic.syntax.decimal, inner) {
            Ok(po) => MessageBody::Order(Box::new(po)),
            Err(e) => {
                m.errors.push(e);
                MessageBody::Rejected
            }
        },
        "CONTRL" => {
            let uci = inner.iter().find(|s| s.tag == "UCI");
            MessageBody::Contrl {
                interchange: uci.map(|s| s.code(1, 1)).unwrap_or_default(),
                action: uci.map(|s| s.code(4, 1)).unwrap_or_default(),
            }
        }
        other => {
            m.errors.push(EdifactError::at(
                unh,
                Some(2),
                Some(1),
                code::VALUE_NOT_SUPPORTED,
                format!("message type {other:?} is not one dropgate takes (ORDERS)"),
            ));
            MessageBody::Unsupported
        }
    };
    m
}

/// Text of a value in the interchange's character set.
struct Text {
    charset: Charset,
    decimal: u8,
}

impl Text {
    fn get(&self, s: &Segment, e: usize, c: usize) -> Result<CompactString, EdifactError> {
        self.charset
            .decode(s.raw(e, c))
            .map(|t| CompactString::from(t.trim()))
            .map_err(|why| EdifactError::at(s, Some(e as u32), Some(c as u32), code::INVALID_CHARACTER, why))
    }
    fn opt(&self, s: &Segment, e: usize, c: usize) -> Result<Option<CompactString>, EdifactError> {
        self.get(s, e, c).map(|t| (!t.is_empty()).then_some(t))
    }
    fn amount(&self, s: &Segment, e: usize, c: usize, what: &str) -> Result<Option<Amount>, EdifactError> {
        let raw = s.raw(e, c);
        if raw.is_empty() {
            return Ok(None);
        }
        let text: Vec<u8> = raw.iter().map(|&b| if b == self.decimal || b == b',' { b'.' } else { b }).collect();
        Amount::parse_ascii(&text).map(Some).ok_or_else(|| {
            EdifactError::at(
                s,
                Some(e as u32),
                Some(c as u32),
                code::INVALID_VALUE,
                format!("{what} {:?} is not a number", String::from_utf8_lossy(raw)),
            )
        })
    }
}

/// Converts an EDIFACT date (format 102 CCYYMMDD, 203 CCYYMMDDHHMM, 101
/// YYMMDD, 204 with seconds, 718 a period) into the domain's date and time.
fn date_of(value: &str, format: &str) -> (CompactString, Option<CompactString>) {
    let v = value.trim();
    match (format, v.len()) {
        ("101", 6) => (format_compact!("20{v}"), None),
        ("203", 12) => (v[..8].into(), Some(v[8..].into())),
        ("204", 14) => (v[..8].into(), Some(v[8..].into())),
        ("718", 16) => (v[..8].into(), None),
        _ if v.len() >= 8 && v.is_char_boundary(8) => (v[..8].into(), None),
        _ => (v.into(), None),
    }
}

/// The X12 qualifier used in the domain model for an EDIFACT item number type (7143).
fn item_qualifier(kind: &str, value: &str) -> CompactString {
    match kind {
        "SRS" | "EN" | "EAN" => match value.len() {
            12 => "UP".into(),
            14 => "UK".into(),
            _ => "EN".into(),
        },
        "UP" => "UP".into(),
        "SA" | "VN" | "VP" => "VN".into(),
        "IN" | "BP" => "IN".into(),
        "MF" | "MP" => "MG".into(),
        "" => "EN".into(),
        other => other.into(),
    }
}

/// The domain's party role for an EDIFACT party qualifier (3035).
fn party_role(q: &str) -> CompactString {
    match q {
        "DP" | "ST" | "UC" | "CN" => "ST".into(),
        "IV" | "BT" => "BT".into(),
        "SU" | "SE" => "SU".into(),
        other => other.into(),
    }
}

/// EDIFACT message function (1225) → X12-like purpose code.
fn purpose_of(f: &str) -> CompactString {
    match f {
        "9" | "" => "00".into(),
        "1" => "01".into(),
        "4" => "04".into(),
        "5" => "05".into(),
        "6" => "06".into(),
        "7" | "31" => "07".into(),
        "43" => "22".into(),
        other => format_compact!("E{other}"),
    }
}

/// Reads the body of an ORDERS message (between UNH and UNT).
fn orders(charset: Charset, decimal: u8, segs: &[Segment]) -> Result<PurchaseOrder, EdifactError> {
    let t = Text { charset, decimal };
    let mut po = PurchaseOrder::default();
    let mut seen_bgm = false;
    // Where a following segment belongs: the order, a party, a line.
    #[derive(PartialEq)]
    enum At {
        Header,
        Party,
        Line,
        LineLoc,
        Summary,
    }
    let mut at = At::Header;
    let mut declared_lines: Option<u32> = None;
    for s in segs {
        match s.tag.as_str() {
            "BGM" => {
                seen_bgm = true;
                po.po_number = t.get(s, 2, 1)?;
                po.purpose = purpose_of(&s.code(3, 1));
                po.order_type = match s.code(1, 1).as_str() {
                    "220" | "" => "SA".into(),
                    "221" => "BK".into(),
                    "224" => "RO".into(),
                    "226" => "RL".into(),
                    other => format_compact!("E{other}"),
                };
            }
            "DTM" => {
                let q = s.code(1, 1);
                let (date, time) = date_of(&s.code(1, 2), &s.code(1, 3));
                if at == At::Header && q == "137" {
                    po.order_date = Some(date.clone());
                }
                let d = DateRef { qualifier: format_compact!("{:0>3}", q), date, time, zone: None };
                match at {
                    At::Line => {
                        if let Some(l) = po.lines.last_mut() {
                            l.dates.push(d);
                        }
                    }
                    At::Header => po.dates.push(d),
                    _ => {}
                }
            }
            "RFF" => {
                let r = Reference { qualifier: s.code(1, 1), value: t.get(s, 1, 2)?, description: None };
                match at {
                    At::Header => po.references.push(r),
                    At::Line => {
                        if let Some(l) = po.lines.last_mut() {
                            l.references.push(r);
                        }
                    }
                    _ => {}
                }
            }
            "NAD" => {
                if at == At::Line || at == At::LineLoc {
                    // Line-level parties (SG35) are not kept.
                    continue;
                }
                at = At::Party;
                let id = t.opt(s, 2, 1)?;
                let id_qualifier = id.as_ref().map(|_| match s.code(2, 3).as_str() {
                    "9" => CompactString::from("UL"),
                    "" => CompactString::from("92"),
                    other => format_compact!("E{other}"),
                });
                let mut name_parts = Vec::new();
                for c in 1..=5 {
                    if let Some(n) = t.opt(s, 4, c)? {
                        name_parts.push(n);
                    }
                }
                let mut extra_names = Vec::new();
                for c in 1..=5 {
                    if let Some(n) = t.opt(s, 3, c)? {
                        extra_names.push(n);
                    }
                }
                let mut address = Vec::new();
                for c in 1..=4 {
                    if let Some(n) = t.opt(s, 5, c)? {
                        address.push(n);
                    }
                }
                let name = if name_parts.is_empty() {
                    (!extra_names.is_empty()).then(|| extra_names.remove(0))
                } else {
                    Some(CompactString::from(name_parts.join(" ")))
                };
                po.parties.push(Party {
                    role: party_role(&s.code(1, 1)),
                    name,
                    id_qualifier,
                    id,
                    extra_names,
                    address,
                    city: t.opt(s, 6, 1)?,
                    state: t.opt(s, 7, 1)?,
                    postal_code: t.opt(s, 8, 1)?,
                    country: t.opt(s, 9, 1)?,
                    contacts: Vec::new(),
                });
            }
            "CTA" => {
                let c = Contact { function: s.code(1, 1), name: t.opt(s, 2, 2)?, comms: Vec::new() };
                match (&at, po.parties.last_mut()) {
                    (At::Party, Some(p)) => p.contacts.push(c),
                    _ => po.contacts.push(c),
                }
            }
            "COM" => {
                let comm = Comm {
                    qualifier: match s.code(1, 2).as_str() {
                        "FX" => "FX".into(),
                        "EM" => "EM".into(),
                        _ => "TE".into(),
                    },
                    value: t.get(s, 1, 1)?,
                };
                let contacts = match (&at, po.parties.last_mut()) {
                    (At::Party, Some(p)) => &mut p.contacts,
                    _ => &mut po.contacts,
                };
                match contacts.last_mut() {
                    Some(c) => c.comms.push(comm),
                    None => contacts.push(Contact { function: "IC".into(), name: None, comms: vec![comm] }),
                }
            }
            "CUX" => {
                if po.currency.is_none() {
                    po.currency = t.opt(s, 1, 2)?;
                }
            }
            "TDT" => {
                po.carriers.push(Carrier {
                    scac: t.opt(s, 5, 1)?,
                    mode: t.opt(s, 3, 1)?,
                    routing: t.opt(s, 5, 4)?.or(t.opt(s, 4, 2)?),
                    service_level: None,
                });
            }
            "FTX" => {
                let mut parts = Vec::new();
                for c in 1..=5 {
                    if let Some(p) = t.opt(s, 4, c)? {
                        parts.push(p);
                    }
                }
                if parts.is_empty() {
                    continue;
                }
                let text = CompactString::from(parts.join(" "));
                let subject = s.code(1, 1);
                let reference = s.code(3, 1);
                if at == At::Line {
                    if let Some(l) = po.lines.last_mut() {
                        l.messages.push(text);
                    }
                    continue;
                }
                let kind = if subject == "GIF" || reference.eq_ignore_ascii_case("GIFT") {
                    NoteKind::Gift
                } else if matches!(subject.as_str(), "PAC" | "DEL" | "DIN") {
                    NoteKind::Slip
                } else {
                    NoteKind::Other
                };
                po.notes.push(Note {
                    kind,
                    qualifier: Some(subject).filter(|s| !s.is_empty()),
                    reference: Some(reference).filter(|s| !s.is_empty()),
                    text,
                });
            }
            "LIN" => {
                at = At::Line;
                let mut line = OrderLine {
                    line_number: match t.opt(s, 1, 1)? {
                        Some(n) => n,
                        None => format_compact!("{}", po.lines.len() + 1),
                    },
                    unit: "EA".into(),
                    ..OrderLine::default()
                };
                if let Some(v) = t.opt(s, 3, 1)? {
                    line.ids.push(ItemId { qualifier: item_qualifier(&s.code(3, 2), &v), value: v });
                }
                po.lines.push(line);
            }
            "PIA" => {
                if let Some(l) = po.lines.last_mut().filter(|_| at == At::Line) {
                    for e in 2..=6 {
                        if let Some(v) = t.opt(s, e, 1)? {
                            l.ids.push(ItemId { qualifier: item_qualifier(&s.code(e, 2), &v), value: v });
                        }
                    }
                }
            }
            "IMD" => {
                if let Some(l) = po.lines.last_mut().filter(|_| at == At::Line) {
                    let desc = match t.opt(s, 3, 4)? {
                        Some(d) => Some(match t.opt(s, 3, 5)? {
                            Some(more) => format_compact!("{d} {more}"),
                            None => d,
                        }),
                        None => None,
                    };
                    if let (Some(d), None) = (desc, &l.description) {
                        l.description = Some(d);
                    }
                }
            }
            "QTY" => {
                let q = s.code(1, 1);
                if let Some(l) = po.lines.last_mut().filter(|_| at == At::Line && q == "21") {
                    let Some(n) = t.amount(s, 1, 2, "quantity")? else {
                        return Err(EdifactError::at(s, Some(1), Some(2), code::MISSING, "QTY+21 without a quantity"));
                    };
                    l.quantity = n;
                    if let Some(u) = t.opt(s, 1, 3)? {
                        l.unit = match u.as_str() {
                            "PCE" | "EA" | "C62" | "NAR" => "EA".into(),
                            "CT" | "CS" => "CA".into(),
                            other => other.into(),
                        };
                    }
                }
            }
            "PRI" => {
                if let Some(l) = po.lines.last_mut().filter(|_| at == At::Line) {
                    let q = s.code(1, 1);
                    let amount = t.amount(s, 1, 2, "price")?;
                    match q.as_str() {
                        "AAA" | "AAB" if l.unit_price.is_none() || q == "AAA" => {
                            l.unit_price = amount;
                            l.price_basis = Some(if q == "AAA" { "NT".into() } else { "PE".into() });
                        }
                        _ => l.prices.push(PriceInfo { class_of_trade: None, qualifier: Some(q), amount }),
                    }
                }
            }
            "LOC" => {
                if at == At::Line {
                    at = At::LineLoc;
                }
            }
            "UNS" => at = At::Summary,
            "CNT" => {
                if s.code(1, 1) == "2" {
                    let n = t.amount(s, 1, 2, "line count")?;
                    declared_lines = n.and_then(Amount::whole_units).and_then(|n| u32::try_from(n).ok());
                    if declared_lines.is_none() {
                        return Err(EdifactError::at(
                            s,
                            Some(1),
                            Some(2),
                            code::INVALID_VALUE,
                            "CNT+2 needs a whole number",
                        ));
                    }
                }
            }
            _ => {
                // SG25 and the like after a LIN (MOA, PAC, TAX…) stay with the line.
                if at == At::LineLoc && !matches!(s.tag.as_str(), "QTY" | "DTM") {
                    at = At::Line;
                }
            }
        }
        if at == At::LineLoc && !matches!(s.tag.as_str(), "LOC" | "QTY" | "DTM") {
            at = At::Line;
        }
    }
    let first = segs.first().cloned().unwrap_or_default();
    if !seen_bgm {
        return Err(EdifactError::at(&first, None, None, code::MISSING, "the ORDERS message has no BGM segment"));
    }
    if po.po_number.is_empty() {
        let bgm = segs.iter().find(|s| s.tag == "BGM").cloned().unwrap_or_default();
        return Err(EdifactError::at(&bgm, Some(2), Some(1), code::MISSING, "BGM has no order number"));
    }
    if po.lines.is_empty() {
        return Err(EdifactError::at(&first, None, None, code::MISSING, "the order has no LIN lines"));
    }
    if let Some(n) = declared_lines {
        if n as usize != po.lines.len() {
            let cnt = segs.iter().find(|s| s.tag == "CNT").cloned().unwrap_or_default();
            return Err(EdifactError::at(
                &cnt,
                Some(1),
                Some(2),
                code::COUNT_DIFFERS,
                format!("CNT+2 says {n} line(s), the order has {}", po.lines.len()),
            ));
        }
        po.declared_line_count = Some(n);
    }
    if let Some((i, _)) = po.lines.iter().enumerate().find(|(_, l)| l.quantity.is_zero()) {
        let lin = segs.iter().filter(|s| s.tag == "LIN").nth(i).cloned().unwrap_or_default();
        return Err(EdifactError::at(&lin, None, None, code::MISSING, "the line has no ordered quantity (QTY+21)"));
    }
    Ok(po)
}
