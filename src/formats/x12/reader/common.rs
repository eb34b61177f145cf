//! Helpers shared by the set readers: element text, numbers, dates and the
//! collector of located errors (AK3/AK4 and [`X12Error`]).

use super::lexer::Segment;
use crate::domain::{Amount, CompactString, NoteKind};
use crate::formats::x12::ack::{ElementError, ElementErrorCode, SegmentError, SegmentErrorCode};
use crate::formats::x12::model::X12Error;
use std::fmt;
use std::ops::Deref;

/// Element bytes as text: UTF-8 when valid, otherwise Latin-1 (every byte
/// one character), so nothing is lost or replaced.
pub(crate) fn text(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(s) => s.to_owned(),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// Element bytes shown as [`text`] reads them, written only when a message
/// is actually formatted.
pub(crate) struct Shown<'a>(pub &'a [u8]);

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match std::str::from_utf8(self.0) {
            Ok(s) => f.write_str(s),
            Err(_) => self.0.iter().try_for_each(|&c| fmt::Write::write_char(f, char::from(c))),
        }
    }
}

/// Element bytes as a domain string, converted as [`text`] does. Short
/// values (most codes, numbers and names) need no heap allocation.
#[inline]
pub(crate) fn ctext(b: &[u8]) -> CompactString {
    match std::str::from_utf8(b) {
        Ok(s) => CompactString::new(s),
        Err(_) => b.iter().map(|&c| char::from(c)).collect(),
    }
}

/// Appends element bytes to `out` as [`text`] would convert them.
pub(crate) fn push_text(out: &mut CompactString, b: &[u8]) {
    match std::str::from_utf8(b) {
        Ok(s) => out.push_str(s),
        Err(_) => out.extend(b.iter().map(|&c| char::from(c))),
    }
}

/// `b` in single quotes for a message, cut after `max` characters.
pub(crate) fn quote(b: &[u8], max: usize) -> String {
    let t = text(b);
    let mut out = String::with_capacity(t.len().min(max * 4) + 2);
    out.push('\'');
    for (n, c) in t.chars().enumerate() {
        if n == max {
            out.push('…');
            break;
        }
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push('·'),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Element `n` of a split segment (`f[0]` is the id), trimmed; empty when absent.
#[inline]
pub(crate) fn el<'a>(f: &[&'a [u8]], n: usize) -> &'a [u8] {
    f.get(n).map_or(b"", |v| v.trim_ascii())
}

/// Element `n` as text, `None` when absent or blank.
#[inline]
pub(crate) fn opt(f: &Fields<'_>, n: usize) -> Option<CompactString> {
    let v = el(f, n);
    (!v.is_empty()).then(|| f.text(v))
}

/// Element `n` as text, empty when absent.
#[inline]
pub(crate) fn req(f: &Fields<'_>, n: usize) -> CompactString {
    f.text(el(f, n))
}

/// Appends element `n` to `out`, as [`req`] reads it.
#[inline]
pub(crate) fn push_el(out: &mut CompactString, f: &Fields<'_>, n: usize) {
    let v = el(f, n);
    match f.str_of(v) {
        Some(t) => out.push_str(t),
        None => push_text(out, v),
    }
}

/// A transaction set as text, when all of it is valid UTF-8: checked once,
/// so that the text of its elements needs no check of its own.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SetText<'a> {
    text: &'a str,
    /// Offset of `text` in the input.
    start: usize,
}

impl<'a> SetText<'a> {
    /// The bytes from the start of `first` to the end of `last` (segments
    /// of `input`), when they are valid UTF-8.
    pub fn new(input: &'a [u8], first: &Segment<'a>, last: &Segment<'a>) -> Option<Self> {
        let start = first.offset();
        let end = last.offset().checked_add(last.raw().len())?;
        let text = std::str::from_utf8(input.get(start..end)?).ok()?;
        Some(SetText { text, start })
    }

    /// The text of `seg`: the very bytes of [`Segment::raw`], or `None` when
    /// the segment is not inside the set.
    #[inline]
    pub fn segment(&self, seg: &Segment<'a>) -> Option<&'a str> {
        let raw = seg.raw();
        let from = seg.offset().checked_sub(self.start)?;
        let t = self.text.get(from..from.checked_add(raw.len())?)?;
        (t.as_ptr() == raw.as_ptr()).then_some(t)
    }
}

/// The elements of one segment (`f[0]` is the id), and the segment as text
/// when it is known to be valid UTF-8.
#[derive(Debug, Default)]
pub(crate) struct Fields<'a> {
    bytes: Vec<&'a [u8]>,
    text: Option<&'a str>,
}

impl<'a> Deref for Fields<'a> {
    type Target = [&'a [u8]];

    #[inline]
    fn deref(&self) -> &[&'a [u8]] {
        &self.bytes
    }
}

impl<'a> Fields<'a> {
    pub fn with_capacity(n: usize) -> Self {
        Fields { bytes: Vec::with_capacity(n), text: None }
    }

    /// Splits `seg` into its elements; `text` is the segment as text, from
    /// [`SetText::segment`], when known.
    #[inline]
    pub fn split(&mut self, seg: &Segment<'a>, text: Option<&'a str>) {
        self.text = text;
        seg.split_into(&mut self.bytes);
    }

    /// `v` (a part of the segment) as the text it is inside the segment's
    /// text, without checking it again. `None` when the segment is not
    /// known to be text or `v` does not start and end on characters.
    #[inline]
    pub fn str_of(&self, v: &[u8]) -> Option<&'a str> {
        let t = self.text?;
        // Where `v` lies in the segment: the same memory, so the same bytes.
        let from = (v.as_ptr() as usize).checked_sub(t.as_ptr() as usize)?;
        let s = t.get(from..from.checked_add(v.len())?)?;
        (s.as_ptr() == v.as_ptr()).then_some(s)
    }

    /// `v` (a part of the segment) as a domain string, read as [`ctext`] does.
    #[inline]
    pub fn text(&self, v: &[u8]) -> CompactString {
        match self.str_of(v) {
            Some(s) => CompactString::new(s),
            None => ctext(v),
        }
    }
}

/// Element `n` as a `String`, empty when absent.
#[inline]
pub(crate) fn req_string(f: &[&[u8]], n: usize) -> String {
    text(el(f, n))
}

pub(crate) fn is_digits(b: &[u8]) -> bool {
    !b.is_empty() && b.iter().all(u8::is_ascii_digit)
}

/// A control number in a form where `000000001` and `1` compare equal.
pub(crate) fn control_key(b: &[u8]) -> String {
    let b = b.trim_ascii();
    if is_digits(b) {
        let stripped = match b.iter().position(|&d| d != b'0') {
            Some(i) => &b[i..],
            None => b"0",
        };
        text(stripped)
    } else {
        text(b)
    }
}

pub(crate) fn same_control(a: &[u8], b: &[u8]) -> bool {
    control_key(a) == control_key(b)
}

/// An unsigned count (N0), at most nine digits.
pub(crate) fn count(b: &[u8]) -> Option<u32> {
    let b = b.trim_ascii();
    if !is_digits(b) || b.len() > 9 {
        return None;
    }
    Some(b.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0')))
}

/// Why a number could not be read, for messages.
pub(crate) type NumError = &'static str;

/// An X12 decimal (R): sign, digits, optional point, up to four decimals.
#[inline]
pub(crate) fn decimal(b: &[u8]) -> Result<Amount, NumError> {
    let b = b.trim_ascii();
    match Amount::parse_ascii(b) {
        Some(a) => Ok(a),
        None => decimal_slow(b),
    }
}

/// [`decimal`] for what is not a plain ASCII number: the same reading as
/// [`Amount::parse`], and why it fails.
#[cold]
fn decimal_slow(b: &[u8]) -> Result<Amount, NumError> {
    let s = std::str::from_utf8(b).map_err(|_| "is not a number")?;
    if let Some(a) = Amount::parse(s) {
        return Ok(a);
    }
    let digits = s.trim_start_matches(['-', '+']);
    let plausible = !digits.is_empty()
        && digits.bytes().all(|c| c.is_ascii_digit() || c == b'.')
        && digits.bytes().filter(|&c| c == b'.').count() <= 1
        && digits.bytes().any(|c| c.is_ascii_digit());
    if !plausible {
        Err("is not a number")
    } else if digits.split_once('.').is_some_and(|(_, f)| f.trim_end_matches('0').len() > 4) {
        Err("has more than 4 decimal places")
    } else {
        Err("is too large")
    }
}

/// An amount with two implied decimals (N2), e.g. SAC05 `4512` = 45.12.
/// A value with an explicit decimal point is read as written.
pub(crate) fn cents(b: &[u8]) -> Result<Amount, NumError> {
    let b = b.trim_ascii();
    if b.contains(&b'.') {
        return decimal(b);
    }
    let (neg, digits) = match b.first() {
        Some(b'-') => (true, &b[1..]),
        Some(b'+') => (false, &b[1..]),
        _ => (false, b),
    };
    if !is_digits(digits) {
        return Err("is not a number");
    }
    if digits.len() > 15 {
        return Err("is too large");
    }
    let v = digits.iter().fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Ok(Amount::from_cents(if neg { -v } else { v }))
}

fn num2(b: &[u8]) -> u32 {
    b.iter().take(2).fold(0u32, |acc, d| acc * 10 + u32::from(d.wrapping_sub(b'0')))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

/// A date as CCYYMMDD, from CCYYMMDD or YYMMDD (years 00–49 are 20xx).
pub(crate) fn date(b: &[u8]) -> Option<CompactString> {
    let b = b.trim_ascii();
    match check_date(b)? {
        true => Some(ctext(b)),
        false => Some(expand_yymmdd(b)),
    }
}

/// Whether trimmed `b` is a valid date: `Some(true)` for CCYYMMDD,
/// `Some(false)` for YYMMDD.
fn check_date(b: &[u8]) -> Option<bool> {
    if !is_digits(b) {
        return None;
    }
    let (year, md, full) = match b.len() {
        8 => (num2(&b[..2]) * 100 + num2(&b[2..4]), &b[4..], true),
        6 => {
            let yy = num2(&b[..2]);
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &b[2..], false)
        }
        _ => return None,
    };
    let (month, day) = (num2(&md[..2]), num2(&md[2..4]));
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    Some(full)
}

/// A valid YYMMDD as CCYYMMDD (00–49 are 20xx).
fn expand_yymmdd(b: &[u8]) -> CompactString {
    let century = if num2(b) < 50 { "20" } else { "19" };
    let mut out = CompactString::new(century);
    out.extend(b.iter().map(|&d| char::from(d)));
    out
}

/// A time HHMM, HHMMSS or HHMMSSd..
pub(crate) fn time_ok(b: &[u8]) -> bool {
    let b = b.trim_ascii();
    if !is_digits(b) || !matches!(b.len(), 4 | 6 | 7 | 8) {
        return false;
    }
    num2(&b[..2]) < 24 && num2(&b[2..4]) < 60 && (b.len() < 6 || num2(&b[4..6]) < 60)
}

/// Whether `b` looks like a segment identifier: 2–3 upper-case letters or
/// digits, starting with a letter.
pub(crate) fn is_segment_id(b: &[u8]) -> bool {
    matches!(b.len(), 2 | 3)
        && b[0].is_ascii_uppercase()
        && b.iter().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
}

/// The rule for what a message (N9 + MSG) is for. First match wins:
/// 1. `Gift` when the N9 reference or description contains `GIFT`, or the
///    text starts with "gift message", "gift msg", "gift note" or "gift:";
/// 2. `Slip` when the N9 reference or description contains `PACK` or `SLIP`
///    (packing slip, PACKSLIP…);
/// 3. `Slip` when the order is a drop-ship order (BEG02/BCH02 `DS`) and the
///    N9 qualifier is `ZZ` (mutually defined): Amazon-like programs send the
///    consumer-facing texts to print on the packing slip that way;
/// 4. `Other` otherwise (terms, shipping instructions, `L1` notes…).
pub(crate) fn note_kind(
    qualifier: Option<&str>,
    reference: Option<&str>,
    description: Option<&str>,
    text: &str,
    drop_ship: bool,
) -> NoteKind {
    let has = |s: Option<&str>, w: &str| s.is_some_and(|s| contains_ignore_case(s, w));
    let head = text.trim_start().as_bytes();
    let starts = |p: &str| head.len() >= p.len() && head[..p.len()].eq_ignore_ascii_case(p.as_bytes());
    if has(reference, "GIFT")
        || has(description, "GIFT")
        || ["GIFT MESSAGE", "GIFT MSG", "GIFT NOTE", "GIFT:"].iter().any(|p| starts(p))
    {
        NoteKind::Gift
    } else if ["PACK", "SLIP"].iter().any(|w| has(reference, w) || has(description, w))
        || (drop_ship && qualifier == Some("ZZ"))
    {
        NoteKind::Slip
    } else {
        NoteKind::Other
    }
}

/// Whether `hay` contains `needle` (ASCII, upper-case), ignoring case.
fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    h.len() >= n.len() && h.windows(n.len()).any(|w| w.eq_ignore_ascii_case(n))
}

/// Collects the problems of one transaction set: AK3/AK4 for the
/// acknowledgement and located [`X12Error`]s for people.
#[derive(Debug, Default)]
pub(crate) struct Issues {
    /// File index of the ST segment.
    st_index: usize,
    pub errors: Vec<X12Error>,
    pub segments: Vec<SegmentError>,
}

impl Issues {
    pub fn new(st_index: usize) -> Self {
        Issues { st_index, errors: Vec::new(), segments: Vec::new() }
    }

    /// Position of a segment in the set, ST = 1.
    pub fn position(&self, file_index: usize) -> u32 {
        u32::try_from(file_index.saturating_sub(self.st_index) + 1).unwrap_or(u32::MAX)
    }

    pub fn is_empty(&self) -> bool {
        self.segments.is_empty()
    }

    /// A segment-level error (AK3 with a code, no AK4).
    pub fn segment(&mut self, seg: &Segment<'_>, loop_id: Option<&str>, code: SegmentErrorCode, message: String) {
        let id = seg.id_text();
        self.errors.push(X12Error {
            segment_index: seg.index(),
            segment_id: id.clone(),
            element: None,
            component: None,
            message: message.clone(),
        });
        self.segments.push(SegmentError {
            segment_id: id,
            position: self.position(seg.index()),
            loop_id: loop_id.map(str::to_string),
            code: Some(code),
            elements: Vec::new(),
            message,
        });
    }

    /// A mandatory segment that is not there: reported at `position` in the
    /// set (where it was expected) and located at file segment `at`.
    pub fn missing_segment(&mut self, id: &str, position: u32, at: usize, at_id: &str, message: String) {
        self.errors.push(X12Error {
            segment_index: at,
            segment_id: at_id.to_string(),
            element: None,
            component: None,
            message: message.clone(),
        });
        self.segments.push(SegmentError {
            segment_id: id.to_string(),
            position,
            loop_id: None,
            code: Some(SegmentErrorCode::MandatoryMissing),
            elements: Vec::new(),
            message,
        });
    }

    /// An element-level error (AK4) under its segment's AK3.
    #[allow(clippy::too_many_arguments)]
    pub fn element_at(
        &mut self,
        seg: &Segment<'_>,
        position: u32,
        component: Option<u32>,
        reference: Option<u32>,
        code: ElementErrorCode,
        value: &[u8],
        message: String,
    ) {
        let id = seg.id_text();
        let pos = self.position(seg.index());
        let bad_value = (!value.is_empty()).then(|| text(value).chars().take(99).collect());
        self.errors.push(X12Error {
            segment_index: seg.index(),
            segment_id: id.clone(),
            element: Some(position),
            component,
            message: message.clone(),
        });
        let err = ElementError { position, component, repetition: None, reference, code, bad_value };
        match self.segments.last_mut() {
            Some(last) if last.position == pos && last.code.is_none() => {
                last.elements.push(err);
                last.message.push_str("; ");
                last.message.push_str(&message);
            }
            _ => self.segments.push(SegmentError {
                segment_id: id,
                position: pos,
                loop_id: None,
                code: None,
                elements: vec![err],
                message,
            }),
        }
    }

    /// [`Issues::element_at`] without a component.
    pub fn element(
        &mut self,
        seg: &Segment<'_>,
        position: u32,
        reference: Option<u32>,
        code: ElementErrorCode,
        value: &[u8],
        message: String,
    ) {
        self.element_at(seg, position, None, reference, code, value, message);
    }

    /// A mandatory element that is empty or absent.
    pub fn missing(&mut self, seg: &Segment<'_>, n: u32, reference: u32, what: fmt::Arguments<'_>) {
        let id = seg.id_text();
        self.element(
            seg,
            n,
            Some(reference),
            ElementErrorCode::MandatoryMissing,
            b"",
            format!("{what} ({id}{n:02}) is missing"),
        );
    }

    /// A decimal element: `None` (and an AK4 code 6) when it is not a number.
    pub fn decimal(
        &mut self,
        seg: &Segment<'_>,
        f: &[&[u8]],
        n: usize,
        reference: u32,
        what: fmt::Arguments<'_>,
    ) -> Option<Amount> {
        let v = el(f, n);
        if v.is_empty() {
            return None;
        }
        match decimal(v) {
            Ok(a) => Some(a),
            Err(why) => {
                self.element(
                    seg,
                    n as u32,
                    Some(reference),
                    ElementErrorCode::InvalidCharacter,
                    v,
                    format!("{what} {} {why}", quote(v, 40)),
                );
                None
            }
        }
    }

    /// A date element (CCYYMMDD, or YYMMDD read as 20YY/19YY): `None` and an
    /// AK4 code 8 when it is not a valid date.
    pub fn date(
        &mut self,
        seg: &Segment<'_>,
        f: &Fields<'_>,
        n: usize,
        reference: u32,
        what: fmt::Arguments<'_>,
    ) -> Option<CompactString> {
        let v = el(f, n);
        if v.is_empty() {
            return None;
        }
        match check_date(v) {
            Some(true) => Some(req(f, n)),
            Some(false) => Some(expand_yymmdd(v)),
            None => {
                self.element(
                    seg,
                    n as u32,
                    Some(reference),
                    ElementErrorCode::InvalidDate,
                    v,
                    format!("{what} {} is not a valid date (CCYYMMDD)", quote(v, 40)),
                );
                None
            }
        }
    }

    /// A length check; reports AK4 code 5 when `max` is exceeded.
    pub fn max_len(
        &mut self,
        seg: &Segment<'_>,
        f: &[&[u8]],
        n: usize,
        reference: u32,
        max: usize,
        what: fmt::Arguments<'_>,
    ) -> bool {
        let v = el(f, n);
        if v.len() <= max {
            return true;
        }
        let chars = std::str::from_utf8(v).map_or(v.len(), |s| s.chars().count());
        if chars > max {
            self.element(
                seg,
                n as u32,
                Some(reference),
                ElementErrorCode::TooLong,
                v,
                format!("{what} {} is {chars} characters long, at most {max} allowed", quote(v, 40)),
            );
            false
        } else {
            true
        }
    }
}

/// Labels a line in messages: `PO1 line 3` (PO101, else its position).
pub(crate) struct LineLabel<'a> {
    pub seg: &'static str,
    pub number: &'a [u8],
    pub position: usize,
}

impl fmt::Display for LineLabel<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.number.is_empty() {
            write!(f, "{} line {} (no line number)", self.seg, self.position)
        } else {
            write!(f, "{} line {}", self.seg, text(self.number))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_times() {
        assert_eq!(date(b"20240229").as_deref(), Some("20240229"));
        assert_eq!(date(b"20230229"), None);
        assert_eq!(date(b"20241301"), None);
        assert_eq!(date(b"20240100"), None);
        assert_eq!(date(b"240115").as_deref(), Some("20240115"));
        assert_eq!(date(b"991231").as_deref(), Some("19991231"));
        assert_eq!(date(b"2024011"), None);
        assert_eq!(date(b"2024O115"), None);
        assert!(time_ok(b"2359"));
        assert!(time_ok(b"123038"));
        assert!(!time_ok(b"2400"));
        assert!(!time_ok(b"12:3"));
    }

    #[test]
    fn numbers() {
        assert_eq!(decimal(b"120.6").unwrap().to_string(), "120.6");
        assert_eq!(decimal(b"ABC"), Err("is not a number"));
        assert_eq!(decimal(b"1.23456"), Err("has more than 4 decimal places"));
        assert_eq!(decimal(b"99999999999999999"), Err("is too large"));
        assert_eq!(cents(b"45120").unwrap().to_string(), "451.2");
        assert_eq!(cents(b"-5").unwrap().to_string(), "-0.05");
        assert_eq!(cents(b"22.56").unwrap().to_string(), "22.56");
        assert!(cents(b"12A").is_err());
        assert!(cents(b"9999999999999999999999").is_err());
        assert_eq!(count(b"12"), Some(12));
        assert_eq!(count(b"1x"), None);
        assert_eq!(control_key(b"000000001"), "1");
        assert!(same_control(b"0001", b"1"));
        assert!(!same_control(b"0001", b"0002"));
        assert_eq!(text(b"caf\xe9"), "café");
    }

    #[test]
    fn note_rule() {
        assert_eq!(note_kind(Some("ZZ"), Some("GIFT"), None, "Happy birthday", false), NoteKind::Gift);
        assert_eq!(note_kind(Some("L1"), None, None, "Gift message: enjoy", false), NoteKind::Gift);
        assert_eq!(note_kind(Some("L1"), Some("PACKING SLIP"), None, "x", false), NoteKind::Slip);
        assert_eq!(note_kind(Some("ZZ"), Some("01"), None, "x", true), NoteKind::Slip);
        assert_eq!(note_kind(Some("ZZ"), Some("01"), None, "x", false), NoteKind::Other);
        assert_eq!(
            note_kind(Some("ZZ"), Some("07"), None, "return any item-including gifts-in", false),
            NoteKind::Other
        );
        assert_eq!(note_kind(Some("AH"), Some("520981"), None, "terms", false), NoteKind::Other);
    }
}
