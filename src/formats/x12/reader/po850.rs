//! 850 purchase order → [`PurchaseOrder`], with the segment checks that
//! feed AK3/AK4.
//!
//! Loops are followed by what each segment means, not by strict position:
//! header segments in any order are taken, an N1 loop ends at the first
//! segment that cannot belong to it, a PO1 loop at the next PO1 or CTT.
//! Segments that dropgate has no use for but that belong to the 850 (ITD,
//! FOB, PKG, TAX, AMT…) are accepted and skipped.

use super::common::{self, el, opt, req, Fields, Issues, LineLabel, SetText};
use super::lexer::Segment;
use crate::domain::{
    Carrier, Charge, Comm, Contact, DateRef, ItemId, Note, OrderLine, Pack, Party, PriceInfo, PurchaseOrder, Reference,
};
use crate::formats::x12::ack::{ElementErrorCode, SegmentErrorCode};
use compact_str::{format_compact, CompactString, ToCompactString};

/// Segment ids that may appear in an 850 (003040 to 005010, all loops).
pub(crate) fn known(id: &[u8]) -> bool {
    matches!(
        id,
        b"BEG"
            | b"CUR"
            | b"REF"
            | b"PER"
            | b"TAX"
            | b"FOB"
            | b"CTP"
            | b"PAM"
            | b"CSH"
            | b"TC2"
            | b"SAC"
            | b"ITD"
            | b"DIS"
            | b"INC"
            | b"DTM"
            | b"LDT"
            | b"LIN"
            | b"SI"
            | b"PID"
            | b"MEA"
            | b"PWK"
            | b"PKG"
            | b"TD1"
            | b"TD5"
            | b"TD3"
            | b"TD4"
            | b"MAN"
            | b"PCT"
            | b"CTB"
            | b"TXI"
            | b"AMT"
            | b"N9"
            | b"MSG"
            | b"MTX"
            | b"N1"
            | b"N2"
            | b"N3"
            | b"N4"
            | b"NX2"
            | b"LM"
            | b"LQ"
            | b"SPI"
            | b"CB1"
            | b"ADV"
            | b"PO1"
            | b"CN1"
            | b"PO3"
            | b"PO4"
            | b"IT8"
            | b"SDQ"
            | b"IT3"
            | b"QTY"
            | b"SLN"
            | b"SCH"
            | b"FST"
            | b"CTT"
            | b"NTE"
            | b"G53"
            | b"GF"
            | b"LS"
            | b"LE"
            | b"PRS"
            | b"PO2"
            | b"UIT"
            | b"SSS"
            | b"G61"
            | b"G62"
    )
}

/// Reports a segment the set does not define (AK3 code 1 or 2).
pub(crate) fn unknown_segment(iss: &mut Issues, seg: &Segment<'_>, set: &str) {
    let id = seg.id();
    let (code, what) = if common::is_segment_id(id) {
        (SegmentErrorCode::Unexpected, format!("segment {} does not belong in transaction set {set}", common::text(id)))
    } else {
        (
            SegmentErrorCode::Unrecognized,
            format!(
                "{} is not a segment identifier (the segment reads {})",
                common::quote(id, 10),
                common::quote(seg.raw(), 30)
            ),
        )
    };
    iss.segment(seg, None, code, what);
}

/// Where a segment stands in an 850 or 860: header, a header N1 or N9
/// loop, a line, a line-level N1 loop, or the summary.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Loop {
    Header,
    HeaderN9,
    HeaderN1,
    Line,
    LineN1,
    Summary,
}

/// N9 + MSG lines before they become a [`Note`] or a [`Reference`].
pub(crate) struct NoteDraft {
    pub qualifier: Option<CompactString>,
    pub reference: Option<CompactString>,
    pub description: Option<CompactString>,
    /// MSG01s joined by newlines.
    pub text: CompactString,
    pub lines: u32,
    /// MSG without N9: always a note.
    pub standalone: bool,
}

impl NoteDraft {
    pub fn from_n9(f: &Fields<'_>) -> Self {
        NoteDraft {
            qualifier: opt(f, 1),
            reference: opt(f, 2),
            description: opt(f, 3),
            text: CompactString::default(),
            lines: 0,
            standalone: false,
        }
    }

    /// A MSG (or NTE) outside any N9 loop.
    pub fn standalone() -> Self {
        NoteDraft {
            qualifier: None,
            reference: None,
            description: None,
            text: CompactString::default(),
            lines: 0,
            standalone: true,
        }
    }

    /// Adds element `n` of `f` (MSG01, NTE02) as a line of text.
    pub fn push_line(&mut self, f: &Fields<'_>, n: usize) {
        if self.lines > 0 {
            self.text.push('\n');
        }
        common::push_el(&mut self.text, f, n);
        self.lines += 1;
    }

    /// The note, or (for an N9 without text) the reference it carries.
    pub fn finish(self, drop_ship: bool) -> Result<Note, Reference> {
        let text = if self.lines == 0 {
            match (&self.description, self.standalone) {
                (Some(d), _) => d.clone(),
                (None, true) => CompactString::default(),
                (None, false) => {
                    return Err(Reference {
                        qualifier: self.qualifier.unwrap_or_default(),
                        value: self.reference.unwrap_or_default(),
                        description: None,
                    })
                }
            }
        } else {
            self.text
        };
        let kind = common::note_kind(
            self.qualifier.as_deref(),
            self.reference.as_deref(),
            self.description.as_deref(),
            &text,
            drop_ship,
        );
        Ok(Note { kind, qualifier: self.qualifier, reference: self.reference.or(self.description), text })
    }
}

/// REF01/02/03 and the REF04 composite (C040): pairs of qualifier and
/// value, each kept as a reference of its own right after the main one,
/// with a description naming the REF it came from.
pub(crate) fn references(seg: &Segment<'_>, f: &Fields<'_>, out: &mut Vec<Reference>) {
    let main = Reference { qualifier: req(f, 1), value: req(f, 2), description: opt(f, 3) };
    let c040 = el(f, 4);
    let mut extra = Vec::new();
    if !c040.is_empty() {
        let parts: Vec<&[u8]> = seg.components(c040).map(<[u8]>::trim_ascii).collect();
        for pair in parts.chunks(2) {
            let q = pair.first().copied().unwrap_or(b"");
            let v = pair.get(1).copied().unwrap_or(b"");
            if q.is_empty() && v.is_empty() {
                continue;
            }
            extra.push(Reference {
                qualifier: f.text(q),
                value: f.text(v),
                description: Some(format_compact!("REF04 of {} {}", main.qualifier, main.value)),
            });
        }
    }
    push1(out, main);
    out.extend(extra);
}

/// Pushes onto a vector that usually holds one item: the first push
/// allocates room for one, not four.
#[inline]
pub(crate) fn push1<T>(v: &mut Vec<T>, item: T) {
    if v.capacity() == 0 {
        v.reserve_exact(1);
    }
    v.push(item);
}

/// PER: function, name and up to three communication numbers.
pub(crate) fn contact(f: &Fields<'_>) -> Contact {
    let mut comms = Vec::with_capacity(usize::from(!el(f, 3).is_empty()));
    for n in [3, 5, 7] {
        let (q, v) = (el(f, n), el(f, n + 1));
        if !q.is_empty() || !v.is_empty() {
            comms.push(Comm { qualifier: req(f, n), value: req(f, n + 1) });
        }
    }
    Contact { function: req(f, 1), name: opt(f, 2), comms }
}

/// DTM: qualifier, date (CCYYMMDD), time and zone, checked.
pub(crate) fn date_ref(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> Option<DateRef> {
    let qualifier = el(f, 1);
    if qualifier.is_empty() {
        iss.missing(seg, 1, 374, format_args!("date qualifier"));
    }
    let raw_date = el(f, 2);
    let date = iss.date(seg, f, 2, 373, format_args!("DTM {}: date", common::Shown(qualifier)));
    let time = el(f, 3);
    if !time.is_empty() && !common::time_ok(time) {
        iss.element(
            seg,
            3,
            Some(337),
            ElementErrorCode::InvalidTime,
            time,
            format!("DTM {}: time {} is not a valid time (HHMM[SS])", common::text(qualifier), common::quote(time, 20)),
        );
    }
    if raw_date.is_empty() && el(f, 6).is_empty() {
        iss.element(
            seg,
            2,
            Some(373),
            ElementErrorCode::ConditionalMissing,
            b"",
            format!("DTM {}: the date (DTM02) is missing", common::text(qualifier)),
        );
    }
    let date = date.or_else(|| {
        // DTM05 D8 + DTM06: a date in the period element.
        (el(f, 5) == b"D8").then(|| common::date(el(f, 6))).flatten()
    })?;
    Some(DateRef { qualifier: req(f, 1), date, time: opt(f, 3), zone: opt(f, 4) })
}

/// TD5: carrier, mode, routing and service level (TD512, else TD508).
pub(crate) fn carrier(f: &Fields<'_>) -> Carrier {
    Carrier { scac: opt(f, 3), mode: opt(f, 4), routing: opt(f, 5), service_level: opt(f, 12).or_else(|| opt(f, 8)) }
}

/// N1: a party with its role and id, checked.
pub(crate) fn party(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> Party {
    let role = el(f, 1);
    if role.is_empty() {
        iss.missing(seg, 1, 98, format_args!("N1: entity identifier code"));
    }
    let (q, id) = (el(f, 3), el(f, 4));
    if !q.is_empty() && id.is_empty() {
        iss.element(
            seg,
            4,
            Some(67),
            ElementErrorCode::ConditionalMissing,
            b"",
            format!(
                "N1 {}: identification code qualifier {} is given but the code (N104) is missing",
                common::text(role),
                common::quote(q, 5)
            ),
        );
    }
    Party { role: req(f, 1), name: opt(f, 2), id_qualifier: opt(f, 3), id: opt(f, 4), ..Party::default() }
}

/// N2/N3/N4 into the party of the open N1 loop.
pub(crate) fn party_detail(p: &mut Party, id: &[u8], f: &Fields<'_>) {
    match id {
        b"N2" => p.extra_names.extend([opt(f, 1), opt(f, 2)].into_iter().flatten()),
        b"N3" => p.address.extend([opt(f, 1), opt(f, 2)].into_iter().flatten()),
        b"N4" => {
            p.city = opt(f, 1).or(p.city.take());
            p.state = opt(f, 2).or(p.state.take());
            p.postal_code = opt(f, 3).or(p.postal_code.take());
            p.country = opt(f, 4).or(p.country.take());
        }
        _ => {}
    }
}

/// SAC: allowance or charge; SAC05 has two implied decimals.
pub(crate) fn charge(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> Charge {
    let indicator = el(f, 1);
    if indicator.is_empty() {
        iss.missing(seg, 1, 248, format_args!("SAC: allowance or charge indicator"));
    }
    let amount = el(f, 5);
    let amount = if amount.is_empty() {
        None
    } else {
        match common::cents(amount) {
            Ok(a) => Some(a),
            Err(why) => {
                iss.element(
                    seg,
                    5,
                    Some(610),
                    ElementErrorCode::InvalidCharacter,
                    amount,
                    format!("SAC: amount {} {why}", common::quote(amount, 30)),
                );
                None
            }
        }
    };
    let percent = iss.decimal(seg, f, 7, 332, format_args!("SAC: percent"));
    Charge { indicator: req(f, 1), code: req(f, 2), amount, percent, description: opt(f, 15) }
}

/// CTP: class of trade, price qualifier and unit price.
pub(crate) fn price(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> PriceInfo {
    PriceInfo {
        class_of_trade: opt(f, 1),
        qualifier: opt(f, 2),
        amount: iss.decimal(seg, f, 3, 212, format_args!("CTP: unit price")),
    }
}

/// PO4: pack, size and unit.
pub(crate) fn pack(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> Pack {
    Pack {
        pack: iss.decimal(seg, f, 1, 356, format_args!("PO4: pack")),
        size: iss.decimal(seg, f, 2, 357, format_args!("PO4: size")),
        unit: opt(f, 3),
    }
}

/// Product id pairs from element `first` on (qualifier, value, qualifier…);
/// empty pairs are skipped, a qualifier without value is an error.
pub(crate) fn item_ids(
    iss: &mut Issues,
    seg: &Segment<'_>,
    f: &Fields<'_>,
    first: usize,
    label: &LineLabel<'_>,
) -> Vec<ItemId> {
    let mut ids = Vec::with_capacity(f.len().saturating_sub(first) / 2);
    let mut n = first;
    while n < f.len() {
        let (q, v) = (el(f, n), el(f, n + 1));
        if !q.is_empty() && v.is_empty() {
            iss.element(
                seg,
                (n + 1) as u32,
                Some(234),
                ElementErrorCode::ConditionalMissing,
                b"",
                format!("{label}: product id qualifier {} has no value", common::quote(q, 5)),
            );
        } else if q.is_empty() && !v.is_empty() {
            iss.element(
                seg,
                n as u32,
                Some(235),
                ElementErrorCode::ConditionalMissing,
                b"",
                format!("{label}: product id {} has no qualifier", common::quote(v, 40)),
            );
        } else if !q.is_empty() {
            ids.push(ItemId { qualifier: req(f, n), value: req(f, n + 1) });
        }
        n += 2;
    }
    ids
}

/// Checks a unit of measure code (two characters).
pub(crate) fn check_unit(
    iss: &mut Issues,
    seg: &Segment<'_>,
    n: usize,
    reference: u32,
    unit: &[u8],
    label: &LineLabel<'_>,
) {
    if unit.len() != 2 || !unit.iter().all(u8::is_ascii_alphanumeric) {
        let code = if unit.len() > 2 {
            ElementErrorCode::TooLong
        } else if unit.len() < 2 {
            ElementErrorCode::TooShort
        } else {
            ElementErrorCode::InvalidCharacter
        };
        iss.element(
            seg,
            n as u32,
            Some(reference),
            code,
            unit,
            format!("{label}: unit of measure {} is not a 2-character code", common::quote(unit, 20)),
        );
    }
}

/// PO1: one order line, checked.
fn line(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>, position: usize) -> OrderLine {
    let number = el(f, 1);
    let label = LineLabel { seg: "PO1", number, position };
    iss.max_len(seg, f, 1, 350, 20, format_args!("{label}: line number"));
    let q = el(f, 2);
    let quantity = if q.is_empty() {
        iss.missing(seg, 2, 330, format_args!("{label}: quantity"));
        None
    } else {
        iss.decimal(seg, f, 2, 330, format_args!("{label}: quantity"))
    };
    let unit = el(f, 3);
    if unit.is_empty() {
        if !q.is_empty() {
            iss.element(
                seg,
                3,
                Some(355),
                ElementErrorCode::ConditionalMissing,
                b"",
                format!("{label}: the unit of measure (PO103) is missing for quantity {}", common::quote(q, 20)),
            );
        }
    } else {
        check_unit(iss, seg, 3, 355, unit, &label);
    }
    let unit_price = iss.decimal(seg, f, 4, 212, format_args!("{label}: unit price"));
    let ids = item_ids(iss, seg, f, 6, &label);
    OrderLine {
        line_number: if number.is_empty() { position.to_compact_string() } else { req(f, 1) },
        quantity: quantity.unwrap_or_default(),
        unit: req(f, 3),
        unit_price,
        price_basis: opt(f, 5),
        ids,
        ..OrderLine::default()
    }
}

/// The loop a segment lands in, given the loop before it: a segment that
/// cannot belong to an open N1 or N9 loop closes it.
pub(super) fn next_state(state: Loop, id: &[u8]) -> Loop {
    match state {
        Loop::HeaderN9 if !matches!(id, b"MSG" | b"NTE" | b"DTM") => Loop::Header,
        Loop::HeaderN1
            if !matches!(
                id,
                b"N2"
                    | b"N3"
                    | b"N4"
                    | b"NX2"
                    | b"REF"
                    | b"PER"
                    | b"SI"
                    | b"FOB"
                    | b"TD1"
                    | b"TD5"
                    | b"TD3"
                    | b"TD4"
                    | b"PKG"
                    | b"DTM"
            ) =>
        {
            Loop::Header
        }
        Loop::LineN1
            if !matches!(
                id,
                b"N2"
                    | b"N3"
                    | b"N4"
                    | b"NX2"
                    | b"QTY"
                    | b"REF"
                    | b"PER"
                    | b"SI"
                    | b"DTM"
                    | b"FOB"
                    | b"SCH"
                    | b"TD1"
                    | b"TD5"
                    | b"TD3"
                    | b"TD4"
                    | b"PKG"
            ) =>
        {
            Loop::Line
        }
        s => s,
    }
}

/// CTT01: the number of line items, checked.
pub(crate) fn ctt_count(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>) -> Option<u32> {
    let v = el(f, 1);
    match common::count(v) {
        Some(n) => Some(n),
        None if v.is_empty() => {
            iss.missing(seg, 1, 354, format_args!("CTT: number of line items"));
            None
        }
        None => {
            iss.element(
                seg,
                1,
                Some(354),
                ElementErrorCode::InvalidCharacter,
                v,
                format!("CTT: number of line items {} is not a whole number", common::quote(v, 20)),
            );
            None
        }
    }
}

/// Reports a CTT01 that does not match the number of lines.
pub(crate) fn check_ctt(iss: &mut Issues, ctt: Option<(Segment<'_>, u32)>, lines: usize, what: &str) {
    if let Some((seg, n)) = ctt {
        if n as usize != lines {
            iss.element(
                &seg,
                1,
                Some(354),
                ElementErrorCode::InvalidCode,
                seg.element(1).unwrap_or(b"").trim_ascii(),
                format!("CTT01 says {n} line items but the set has {lines} {what} lines"),
            );
        }
    }
}

/// BEG: purpose, type, PO number, release and date, checked.
fn beg(iss: &mut Issues, seg: &Segment<'_>, f: &Fields<'_>, po: &mut PurchaseOrder) {
    for (n, reference, what) in [
        (1, 353, "BEG: transaction set purpose"),
        (2, 92, "BEG: purchase order type"),
        (3, 324, "BEG: purchase order number"),
        (5, 373, "BEG: order date"),
    ] {
        if el(f, n).is_empty() {
            iss.missing(seg, n as u32, reference, format_args!("{what}"));
        }
    }
    iss.max_len(seg, f, 3, 324, 22, format_args!("BEG: purchase order number"));
    po.purpose = req(f, 1);
    po.order_type = req(f, 2);
    po.po_number = req(f, 3);
    po.release_number = opt(f, 4);
    po.order_date = iss.date(seg, f, 5, 373, format_args!("BEG: order date"));
}

/// Reads the segments between ST and SE of an 850.
///
/// `st` and `se` are the envelope segments (for locating "missing" errors).
pub(crate) fn read<'a>(
    st: &Segment<'a>,
    body: &[Segment<'a>],
    se: &Segment<'a>,
    iss: &mut Issues,
    f: &mut Fields<'a>,
    text: Option<SetText<'a>>,
) -> PurchaseOrder {
    let mut po = PurchaseOrder {
        lines: Vec::with_capacity(body.iter().filter(|s| s.id() == b"PO1").count()),
        ..PurchaseOrder::default()
    };
    let mut state = Loop::Header;
    let mut beg_seen = false;
    let mut notes: Vec<NoteDraft> = Vec::new();
    let mut ctt: Option<(Segment<'_>, u32)> = None;

    for seg in body {
        f.split(seg, text.and_then(|t| t.segment(seg)));
        let id = f.first().copied().unwrap_or(b"");
        state = next_state(state, id);
        let in_line = matches!(state, Loop::Line | Loop::LineN1);
        match id {
            b"BEG" => {
                if beg_seen {
                    iss.segment(
                        seg,
                        None,
                        SegmentErrorCode::ExceedsMaximumUse,
                        "BEG appears more than once".to_string(),
                    );
                } else {
                    beg_seen = true;
                    beg(iss, seg, f, &mut po);
                }
            }
            b"CUR" => {
                if !in_line {
                    po.currency = opt(f, 2);
                }
            }
            b"REF" => match (state, po.lines.last_mut()) {
                (Loop::Line, Some(l)) => references(seg, f, &mut l.references),
                (Loop::LineN1, _) => {}
                _ => references(seg, f, &mut po.references),
            },
            b"PER" => match (state, po.parties.last_mut()) {
                (Loop::HeaderN1, Some(p)) => push1(&mut p.contacts, contact(f)),
                (Loop::Header, _) => push1(&mut po.contacts, contact(f)),
                _ => {}
            },
            b"DTM" => {
                if let Some(d) = date_ref(iss, seg, f) {
                    match (state, po.lines.last_mut()) {
                        (Loop::Line, Some(l)) => push1(&mut l.dates, d),
                        (Loop::LineN1, _) => {}
                        _ => push1(&mut po.dates, d),
                    }
                }
            }
            b"TD5" => {
                if state != Loop::LineN1 {
                    let c = carrier(f);
                    // The same routing repeated (per N1 or per line) is kept once;
                    // the bound keeps a hostile file from costing n².
                    if po.carriers.len() < 32 && !po.carriers.contains(&c) {
                        push1(&mut po.carriers, c);
                    }
                }
            }
            b"N9" => {
                if in_line {
                    state = Loop::Line;
                    if let Some(l) = po.lines.last_mut() {
                        push1(
                            &mut l.references,
                            Reference { qualifier: req(f, 1), value: req(f, 2), description: opt(f, 3) },
                        );
                    }
                } else {
                    state = Loop::HeaderN9;
                    notes.push(NoteDraft::from_n9(f));
                }
            }
            b"MSG" | b"NTE" => {
                let msg = if id == b"MSG" { 1 } else { 2 };
                match (state, po.lines.last_mut(), notes.last_mut()) {
                    (Loop::HeaderN9, _, Some(n)) => n.push_line(f, msg),
                    (Loop::Line, Some(l), _) => push1(&mut l.messages, req(f, msg)),
                    _ => {
                        let mut n = NoteDraft::standalone();
                        n.push_line(f, msg);
                        notes.push(n);
                    }
                }
            }
            b"N1" => {
                let p = party(iss, seg, f);
                if in_line {
                    // A line-level N1 loop (a ship-to per line) is not kept.
                    state = Loop::LineN1;
                } else {
                    state = Loop::HeaderN1;
                    push1(&mut po.parties, p);
                }
            }
            b"N2" | b"N3" | b"N4" | b"NX2" => match (state, po.parties.last_mut()) {
                (Loop::HeaderN1, Some(p)) => party_detail(p, id, f),
                (Loop::LineN1, _) => {}
                _ => iss.segment(
                    seg,
                    None,
                    SegmentErrorCode::OutOfSequence,
                    format!("{} is not inside an N1 loop: the address has no party", common::text(id)),
                ),
            },
            b"PO1" => {
                state = Loop::Line;
                let position = po.lines.len() + 1;
                po.lines.push(line(iss, seg, f, position));
            }
            b"PID" => {
                if let (true, Some(l)) = (in_line, po.lines.last_mut()) {
                    add_description(&mut l.description, f);
                }
            }
            b"PO4" => {
                let p = pack(iss, seg, f);
                if let (Loop::Line, Some(l)) = (state, po.lines.last_mut()) {
                    l.pack = Some(Box::new(p));
                }
            }
            b"CTP" => {
                let p = price(iss, seg, f);
                if let (Loop::Line, Some(l)) = (state, po.lines.last_mut()) {
                    push1(&mut l.prices, p);
                }
            }
            b"SAC" => {
                let c = charge(iss, seg, f);
                match (state, po.lines.last_mut()) {
                    (Loop::Line, Some(l)) => push1(&mut l.charges, c),
                    (Loop::LineN1, _) => {}
                    _ => push1(&mut po.charges, c),
                }
            }
            b"CTT" => {
                state = Loop::Summary;
                ctt = ctt_count(iss, seg, f).map(|n| (*seg, n));
                po.declared_line_count = ctt.map(|(_, n)| n);
            }
            // Part of the 850 but of no use to dropgate.
            _ if known(id) => {}
            _ => unknown_segment(iss, seg, "850"),
        }
    }

    let drop_ship = po.order_type == "DS";
    for n in notes {
        match n.finish(drop_ship) {
            Ok(note) => push1(&mut po.notes, note),
            Err(reference) => push1(&mut po.references, reference),
        }
    }
    if !beg_seen {
        iss.missing_segment(
            "BEG",
            2,
            st.index(),
            "ST",
            "the 850 has no BEG segment: the purchase order number, type and date are missing".to_string(),
        );
    }
    if po.lines.is_empty() {
        iss.missing_segment(
            "PO1",
            iss.position(se.index()),
            se.index(),
            "SE",
            "the 850 has no PO1 segment: an order needs at least one line".to_string(),
        );
    }
    check_ctt(iss, ctt, po.lines.len(), "PO1");
    po
}

/// Adds a PID05 to a line's description (several joined with a space).
pub(crate) fn add_description(slot: &mut Option<CompactString>, f: &Fields<'_>) {
    let d = el(f, 5);
    if d.is_empty() {
        return;
    }
    match slot {
        Some(old) => {
            old.push(' ');
            common::push_el(old, f, 5);
        }
        None => *slot = Some(req(f, 5)),
    }
}
