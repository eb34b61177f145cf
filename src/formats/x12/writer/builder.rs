//! The strict segment builder under every X12 writer.
//!
//! A writer describes each segment as a list of elements with their X12
//! type and length ([`Spec`]) and whether the element is mandatory; the
//! [`InterchangeBuilder`] turns that into bytes with the envelope around it
//! (ISA/GS/ST … SE/GE/IEA), counting segments, sets and groups itself so the
//! trailers are always right.
//!
//! # Values
//! Every value is *cleaned* first: a character equal to one of the active
//! separators (element, component, repetition when the version has one,
//! segment) becomes a space, control characters are dropped and characters
//! outside ASCII become `?` (a space when `?` is a separator). Cleaning
//! never fails.
//!
//! Then [`check`] applies the element's type and length and either returns
//! the text to write or a [`ValueError`]:
//! - `AN`: trailing spaces removed, padded with spaces up to the minimum
//!   length (the X12 rule), refused when longer than the maximum.
//! - `ID`: like `AN`, but a code shorter than its minimum is refused.
//! - `N0`: digits with an optional minus; zero-padded to the minimum length
//!   (control numbers); leading zeros are dropped when that makes it fit.
//! - `R`: a decimal number, written without superfluous zeros; the length
//!   counts digits only.
//! - `DT` / `TM`: real calendar dates (`CCYYMMDD` or `YYMMDD`) and times
//!   (`HHMM[SS]`).
//!
//! # What the writers do with a value that does not fit
//! The checked path ([`check`], [`InterchangeBuilder::try_put`]) refuses it.
//! The writers use [`InterchangeBuilder::put`], which never produces an
//! invalid segment and follows one documented rule per element mode:
//! - an **optional** element ([`Seg::opt`]) that fails the check is left out;
//! - a **text copy** ([`Seg::text`], e.g. AK404's copy of a bad value) is cut
//!   to its maximum length;
//! - a **mandatory** element ([`Seg::req`]) is repaired: text cut to its
//!   maximum (or padded to its minimum), a number too large for its width
//!   becomes the largest one that fits (all nines), a non-number `0`, an
//!   invalid date or time the envelope's own, and an empty text
//!   [`FILLER`]. Writers pass better values than that wherever the domain
//!   has one; the repair is a last resort that keeps the document parseable.

use crate::formats::x12::model::{Envelope, Separators};
use std::fmt;

/// What an empty mandatory text element is written as (cut to its length).
pub const FILLER: &str = "UNKNOWN";

/// X12 data element types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Identifier (a code).
    Id,
    /// String.
    An,
    /// Integer, no implied decimals.
    N0,
    /// Decimal number.
    R,
    /// Date: `CCYYMMDD` (length 8) or `YYMMDD` (length 6).
    Dt,
    /// Time: `HHMM`, `HHMMSS`, `HHMMSSD`, `HHMMSSDD`.
    Tm,
}

/// Type and length of one data element. Lengths count characters; for
/// `N0` and `R` they count digits only (sign and decimal point excluded).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub kind: Kind,
    pub min: usize,
    pub max: usize,
}

impl Spec {
    pub const fn id(min: usize, max: usize) -> Spec {
        Spec { kind: Kind::Id, min, max }
    }
    pub const fn an(min: usize, max: usize) -> Spec {
        Spec { kind: Kind::An, min, max }
    }
    pub const fn n0(min: usize, max: usize) -> Spec {
        Spec { kind: Kind::N0, min, max }
    }
    pub const fn r(min: usize, max: usize) -> Spec {
        Spec { kind: Kind::R, min, max }
    }
    /// A date of exactly `len` (8: `CCYYMMDD`, 6: `YYMMDD`) digits.
    pub const fn dt(len: usize) -> Spec {
        Spec { kind: Kind::Dt, min: len, max: len }
    }
    pub const fn tm(min: usize, max: usize) -> Spec {
        Spec { kind: Kind::Tm, min, max }
    }
}

/// Why a value cannot be written as given into an element.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("value is empty")]
    Empty,
    #[error("{len} characters, at least {min} required")]
    TooShort { len: usize, min: usize },
    #[error("{len} characters, at most {max} allowed")]
    TooLong { len: usize, max: usize },
    #[error("not a number: {0:?}")]
    NotNumeric(String),
    #[error("not a valid date: {0:?}")]
    BadDate(String),
    #[error("not a valid time: {0:?}")]
    BadTime(String),
}

/// A value refused by [`InterchangeBuilder::try_put`], located.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{segment}{position:02}: {error}")]
pub struct ElementFault {
    pub segment: &'static str,
    /// 1-based element position.
    pub position: usize,
    pub error: ValueError,
}

/// What follows each segment terminator in the output.
///
/// dropgate writes one segment per line by default ([`LineEnd::Lf`]): easy
/// to read, and every translator we know accepts whitespace after a
/// terminator. Some partners want the interchange as one line
/// ([`LineEnd::None`]). Nothing is added when the segment terminator is
/// itself a line break.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineEnd {
    None,
    #[default]
    Lf,
    CrLf,
}

impl LineEnd {
    fn bytes(self) -> &'static [u8] {
        match self {
            LineEnd::None => b"",
            LineEnd::Lf => b"\n",
            LineEnd::CrLf => b"\r\n",
        }
    }
}

/// The separators actually written: validated, with the repetition
/// separator only when the version has one (ISA12 ≥ 00402).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Delimiters {
    pub element: u8,
    pub component: u8,
    pub repetition: Option<u8>,
    pub segment: u8,
}

/// Repetition separators to choose from when the envelope names none.
const REPETITION_CANDIDATES: &[u8] = b"^|!{}`\\";

impl Delimiters {
    /// The delimiters for an interchange of version `isa12` (`00401`…).
    ///
    /// Separators are punctuation other than `. - +` (which numbers use) or
    /// control characters other than NUL; CR and LF only as the segment
    /// terminator. A set that breaks this, or names one character twice, is
    /// replaced as a whole by [`Separators::default`]. When the version needs a
    /// repetition separator and none (or a clashing one) is given, the first
    /// free one of `^ | ! { } \` \\` is used.
    pub fn new(seps: &Separators, isa12: &str) -> Delimiters {
        // Punctuation other than what numbers use, or a control character
        // other than NUL; CR and LF only as the segment terminator.
        let usable = |b: u8| {
            (b.is_ascii_punctuation() && !b".-+".contains(&b))
                || ((0x01..0x20).contains(&b) && b != b'\r' && b != b'\n')
        };
        let base = [seps.element, seps.component, seps.segment];
        let ok = usable(seps.element)
            && usable(seps.component)
            && (usable(seps.segment) || seps.segment == b'\r' || seps.segment == b'\n')
            && base[0] != base[1]
            && base[0] != base[2]
            && base[1] != base[2];
        let seps = if ok { *seps } else { Separators::default() };
        let wants_repetition = isa12.parse::<u32>().map(|v| v >= 402).unwrap_or(false);
        let taken = [seps.element, seps.component, seps.segment];
        let repetition = wants_repetition.then(|| {
            seps.repetition
                .filter(|&r| usable(r) && !taken.contains(&r))
                .or_else(|| REPETITION_CANDIDATES.iter().copied().find(|c| !taken.contains(c)))
                .unwrap_or(b'^')
        });
        Delimiters { element: seps.element, component: seps.component, repetition, segment: seps.segment }
    }

    fn is_separator(&self, b: u8) -> bool {
        b == self.element || b == self.component || b == self.segment || Some(b) == self.repetition
    }
}

/// Replaces separators by spaces, drops control characters and turns
/// characters outside ASCII into `?` (a space when `?` is a separator).
pub fn clean(value: &str, d: &Delimiters) -> String {
    // `?` stands for what ASCII cannot say, unless it is a separator itself.
    let unknown = if d.is_separator(b'?') { ' ' } else { '?' };
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        if c.is_control() {
            continue;
        }
        if !c.is_ascii() {
            out.push(unknown);
        } else if d.is_separator(c as u8) {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// Cleans `value` and checks it against `spec`; returns the text to write.
pub fn check(value: &str, spec: Spec, d: &Delimiters) -> Result<String, ValueError> {
    let v = clean(value, d);
    match spec.kind {
        Kind::An | Kind::Id => {
            let t = v.trim_end_matches(' ');
            let len = t.len();
            if len == 0 {
                Err(ValueError::Empty)
            } else if len > spec.max {
                Err(ValueError::TooLong { len, max: spec.max })
            } else if len < spec.min {
                if spec.kind == Kind::Id {
                    Err(ValueError::TooShort { len, min: spec.min })
                } else {
                    Ok(format!("{t:<width$}", width = spec.min))
                }
            } else {
                Ok(t.to_string())
            }
        }
        Kind::N0 => {
            let t = v.trim();
            let (neg, digits) = split_sign(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(if t.is_empty() { ValueError::Empty } else { ValueError::NotNumeric(t.to_string()) });
            }
            let significant = match digits.trim_start_matches('0') {
                "" => "0",
                s => s,
            };
            if significant.len() > spec.max {
                return Err(ValueError::TooLong { len: significant.len(), max: spec.max });
            }
            let body = if digits.len() <= spec.max { digits } else { significant };
            let neg = neg && significant != "0";
            Ok(format!("{}{body:0>width$}", if neg { "-" } else { "" }, width = spec.min))
        }
        Kind::R => {
            let t = v.trim();
            let (neg, int, frac) = split_decimal(t).ok_or_else(|| {
                if t.is_empty() {
                    ValueError::Empty
                } else {
                    ValueError::NotNumeric(t.to_string())
                }
            })?;
            let len = int.len().max(1) + frac.len();
            if len > spec.max {
                return Err(ValueError::TooLong { len, max: spec.max });
            }
            Ok(render_decimal(neg, int, frac, spec.min))
        }
        Kind::Dt => {
            let t = v.trim();
            if t.len() == spec.min && valid_date(t) {
                Ok(t.to_string())
            } else if t.is_empty() {
                Err(ValueError::Empty)
            } else {
                Err(ValueError::BadDate(t.to_string()))
            }
        }
        Kind::Tm => {
            let t = v.trim();
            if (spec.min..=spec.max).contains(&t.len()) && valid_time(t) {
                Ok(t.to_string())
            } else if t.is_empty() {
                Err(ValueError::Empty)
            } else {
                Err(ValueError::BadTime(t.to_string()))
            }
        }
    }
}

/// The value a mandatory element gets when `check` refused it (see the
/// module documentation). `date`/`time` are the envelope's, already valid.
fn repair(value: &str, spec: Spec, d: &Delimiters, date: &str, time: &str) -> String {
    let v = clean(value, d);
    match spec.kind {
        Kind::An | Kind::Id => {
            let t = v.trim_end_matches(' ');
            let t = if t.is_empty() { FILLER } else { t };
            let cut: String = t.chars().take(spec.max).collect();
            let cut = cut.trim_end_matches(' ');
            let cut = if cut.is_empty() { FILLER } else { cut };
            let cut: String = cut.chars().take(spec.max).collect();
            format!("{cut:<width$}", width = spec.min)
        }
        Kind::N0 | Kind::R => {
            let t = v.trim();
            match split_decimal(t) {
                Some((neg, int, frac)) => {
                    // Fewer fraction digits first; then the largest number that fits.
                    let room = spec.max.saturating_sub(int.len().max(1));
                    if int.len() <= spec.max && spec.kind == Kind::R {
                        let frac = frac[..frac.len().min(room)].trim_end_matches('0');
                        render_decimal(neg && !(int.is_empty() && frac.is_empty()), int, frac, spec.min)
                    } else if int.len() <= spec.max {
                        format!(
                            "{}{int:0>width$}",
                            if neg && !int.is_empty() { "-" } else { "" },
                            width = spec.min.max(1)
                        )
                    } else {
                        format!("{}{}", if neg { "-" } else { "" }, "9".repeat(spec.max.max(1)))
                    }
                }
                None => "0".repeat(spec.min.max(1)),
            }
        }
        Kind::Dt => {
            if spec.min == 6 {
                date[2..].to_string()
            } else {
                date.to_string()
            }
        }
        Kind::Tm => time.to_string(),
    }
}

fn split_sign(t: &str) -> (bool, &str) {
    match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    }
}

/// Splits a decimal into sign, integer digits without leading zeros and
/// fraction digits without trailing zeros. `None` when not a number.
fn split_decimal(t: &str) -> Option<(bool, &str, &str)> {
    let (neg, body) = split_sign(t);
    let (int, frac) = body.split_once('.').unwrap_or((body, ""));
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    let int = int.trim_start_matches('0');
    let frac = frac.trim_end_matches('0');
    let neg = neg && !(int.is_empty() && frac.is_empty());
    Some((neg, int, frac))
}

fn render_decimal(neg: bool, int: &str, frac: &str, min: usize) -> String {
    let int = if int.is_empty() { "0" } else { int };
    let pad = min.saturating_sub(int.len() + frac.len());
    let mut s = String::with_capacity(int.len() + frac.len() + pad + 2);
    if neg && !(int == "0" && frac.is_empty()) {
        s.push('-');
    }
    s.extend(std::iter::repeat_n('0', pad));
    s.push_str(int);
    if !frac.is_empty() {
        s.push('.');
        s.push_str(frac);
    }
    s
}

/// `CCYYMMDD` or `YYMMDD`, a real calendar date.
pub fn valid_date(t: &str) -> bool {
    if !(t.len() == 8 || t.len() == 6) || !t.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let n = |s: &str| s.parse::<u32>().unwrap_or(0);
    let (y, rest) = if t.len() == 8 {
        (n(&t[..4]), &t[4..])
    } else {
        // YYMMDD: the century is unknown; 2000 is a leap year like most candidates.
        (2000 + n(&t[..2]), &t[2..])
    };
    let (m, d) = (n(&rest[..2]), n(&rest[2..]));
    (1..=12).contains(&m) && d >= 1 && d <= days_in_month(y, m)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 31,
    }
}

/// `HHMM`, `HHMMSS`, `HHMMSSD` or `HHMMSSDD`.
pub fn valid_time(t: &str) -> bool {
    if !(4..=8).contains(&t.len()) || t.len() == 5 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let n = |s: &str| s.parse::<u32>().unwrap_or(99);
    n(&t[..2]) < 24 && n(&t[2..4]) < 60 && (t.len() < 6 || n(&t[4..6]) < 60)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Required,
    Optional,
    Text,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Item {
    Empty,
    Simple(String, Spec, Mode),
    /// Components; the element is left empty when every component is.
    Composite(Vec<(String, Spec, Mode)>),
}

/// One segment being described: its id and its elements in order.
/// Render it with [`InterchangeBuilder::put`] (or `try_put`).
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use = "a segment is only written by InterchangeBuilder::put"]
pub struct Seg {
    id: &'static str,
    items: Vec<Item>,
}

/// One component of a composite element (see [`Seg::composite`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Comp(String, Spec, Mode);

impl Comp {
    pub fn req(value: impl Into<String>, spec: Spec) -> Comp {
        Comp(value.into(), spec, Mode::Required)
    }
    pub fn opt(value: impl Into<String>, spec: Spec) -> Comp {
        Comp(value.into(), spec, Mode::Optional)
    }
}

impl Seg {
    pub fn new(id: &'static str) -> Seg {
        Seg { id, items: Vec::new() }
    }
    /// A mandatory element: repaired when it does not fit.
    pub fn req(mut self, value: impl Into<String>, spec: Spec) -> Seg {
        self.items.push(Item::Simple(value.into(), spec, Mode::Required));
        self
    }
    /// An optional element: left out when empty or when it does not fit.
    pub fn opt(mut self, value: impl Into<String>, spec: Spec) -> Seg {
        self.items.push(Item::Simple(value.into(), spec, Mode::Optional));
        self
    }
    /// An optional element that is a copy of free text: cut to its maximum.
    pub fn text(mut self, value: impl Into<String>, spec: Spec) -> Seg {
        self.items.push(Item::Simple(value.into(), spec, Mode::Text));
        self
    }
    /// An element left empty.
    pub fn empty(mut self) -> Seg {
        self.items.push(Item::Empty);
        self
    }
    /// A composite element. Trailing empty components are trimmed; the
    /// whole element is empty when no component has a value.
    pub fn composite(mut self, comps: Vec<Comp>) -> Seg {
        self.items.push(Item::Composite(comps.into_iter().map(|Comp(v, s, m)| (v, s, m)).collect()));
        self
    }
    pub fn id(&self) -> &'static str {
        self.id
    }
}

/// Builds one interchange: the ISA is written on creation, groups and sets
/// are opened and closed explicitly (or closed by [`finish`]), and every
/// trailer is computed from what was actually written.
///
/// [`finish`]: InterchangeBuilder::finish
#[derive(Debug)]
pub struct InterchangeBuilder {
    d: Delimiters,
    line_end: &'static [u8],
    /// Valid envelope date (`CCYYMMDD`) and time (`HHMM`).
    date: String,
    time: String,
    /// GS04 width: 8 from version 004010 on, 6 before.
    gs_date_len: usize,
    isa13: String,
    group_control: String,
    sender_id: String,
    receiver_id: String,
    next_set: u64,
    out: Vec<u8>,
    groups: u64,
    group_open: bool,
    sets_in_group: u64,
    set_open: bool,
    set_control: String,
    segments_in_set: u64,
}

/// The numeric part of a GS08 version (`004010VICS` → 4010), when present.
pub fn version_number(gs08: &str) -> Option<u32> {
    let digits: String = gs08.chars().take_while(char::is_ascii_digit).collect();
    (digits.len() >= 6).then(|| digits[..6].parse().ok()).flatten()
}

/// ISA12 for a GS08 version: `004010…` → `00401`, `005010X231A1` → `00501`,
/// `003050` → `00305`; `00401` when the version is not numeric.
pub fn isa12_for(gs08: &str) -> String {
    format!("{:05}", version_number(gs08).unwrap_or(4010) / 10)
}

/// Control numbers are 9 digits at most: larger ones wrap.
fn wrap9(n: u64) -> u64 {
    n % 1_000_000_000
}

impl InterchangeBuilder {
    /// Starts an interchange whose groups carry GS08 `version` (which picks
    /// ISA12 and ISA11). `ack_requested` is ISA14.
    ///
    /// The ISA is always 106 bytes. What the envelope cannot say is
    /// replaced: a qualifier that is not two characters by `ZZ`, an empty id
    /// by [`FILLER`] (ids are cut or space-padded to 15), a date or time that
    /// is not real by 1970-01-01 00:00, a usage other than `P`, `T` or `I` by
    /// `T`; control numbers above 999,999,999 wrap (ISA13 and GS06 modulo
    /// 10⁹, ST02 likewise).
    pub fn new(env: &Envelope, version: &str, ack_requested: bool, line_end: LineEnd) -> InterchangeBuilder {
        let isa12 = isa12_for(version);
        let d = Delimiters::new(&env.separators, &isa12);
        let date = if env.date.len() == 8 && valid_date(&env.date) { env.date.clone() } else { "19700101".to_string() };
        let time = env.time.get(..4).filter(|t| valid_time(t)).unwrap_or("0000").to_string();
        let line_end = if d.segment == b'\n' || d.segment == b'\r' { b"".as_slice() } else { line_end.bytes() };
        let party = |v: &str, len: usize| -> String {
            let c = clean(v, &d);
            let c = c.trim();
            let c = if c.is_empty() { FILLER } else { c };
            let cut: String = c.chars().take(len).collect();
            format!("{cut:<len$}")
        };
        let qualifier = |q: &str| check(q, Spec::id(2, 2), &d).unwrap_or_else(|_| "ZZ".into());
        let usage = match env.usage {
            'P' | 'T' | 'I' => env.usage,
            _ => 'T',
        };
        let isa13 = format!("{:09}", wrap9(u64::from(env.interchange_control)));
        let el = d.element as char;
        let isa = format!(
            "ISA{el}00{el}{:10}{el}00{el}{:10}{el}{}{el}{}{el}{}{el}{}{el}{}{el}{}{el}{}{el}{isa12}{el}{isa13}{el}{}{el}{usage}{el}{}",
            "",
            "",
            qualifier(&env.sender.qualifier),
            party(&env.sender.id, 15),
            qualifier(&env.receiver.qualifier),
            party(&env.receiver.id, 15),
            &date[2..],
            time,
            d.repetition.map_or('U', char::from),
            if ack_requested { '1' } else { '0' },
            d.component as char,
        );
        let mut out = Vec::with_capacity(1024);
        out.extend_from_slice(isa.as_bytes());
        out.push(d.segment);
        out.extend_from_slice(line_end);
        let gs_date_len = if version_number(version).unwrap_or(4010) >= 4010 { 8 } else { 6 };
        InterchangeBuilder {
            sender_id: env.sender.id.clone(),
            receiver_id: env.receiver.id.clone(),
            group_control: wrap9(u64::from(env.group_control)).to_string(),
            next_set: u64::from(env.first_set_control),
            d,
            line_end,
            date,
            time,
            gs_date_len,
            isa13,
            out,
            groups: 0,
            group_open: false,
            sets_in_group: 0,
            set_open: false,
            set_control: String::new(),
            segments_in_set: 0,
        }
    }

    pub fn delimiters(&self) -> &Delimiters {
        &self.d
    }

    /// The envelope date (`CCYYMMDD`) used in GS04 and as the date fallback.
    pub fn date(&self) -> &str {
        &self.date
    }

    /// Opens a functional group (GS) with the envelope's group control
    /// number. Closes the open group first, if any.
    ///
    /// A `version` that does not start with six digits is written as
    /// `004010` (the version the ISA was given for it, too).
    pub fn begin_group(&mut self, functional_id: &str, version: &str) {
        self.end_group();
        let version = if version_number(version).is_some() { version } else { "004010" };
        let date = if self.gs_date_len == 6 { self.date[2..].to_string() } else { self.date.clone() };
        let gs = Seg::new("GS")
            .req(functional_id, Spec::id(2, 2))
            .req(self.sender_id.clone(), Spec::an(2, 15))
            .req(self.receiver_id.clone(), Spec::an(2, 15))
            .req(date, Spec::dt(self.gs_date_len))
            .req(self.time.clone(), Spec::tm(4, 8))
            .req(self.group_control.clone(), Spec::n0(1, 9))
            .req("X", Spec::id(1, 2))
            .req(version, Spec::an(1, 12));
        self.put(gs);
        self.groups += 1;
        self.group_open = true;
        self.sets_in_group = 0;
    }

    /// Opens a transaction set (ST) numbered from the envelope's first set
    /// control number (at least 4 digits). Opens no group: call
    /// [`begin_group`](Self::begin_group) first.
    pub fn begin_set(&mut self, set_id: &str, implementation_ref: Option<&str>) {
        self.end_set();
        self.set_control = format!("{:04}", wrap9(self.next_set));
        self.next_set += 1;
        let mut st = Seg::new("ST").req(set_id, Spec::id(3, 3)).req(self.set_control.clone(), Spec::an(4, 9));
        if let Some(r) = implementation_ref {
            st = st.opt(r, Spec::an(1, 35));
        }
        self.set_open = true;
        self.segments_in_set = 0;
        self.put(st);
        self.sets_in_group += 1;
    }

    /// Closes the open set with its SE (count includes ST and SE).
    pub fn end_set(&mut self) {
        if !self.set_open {
            return;
        }
        let se = Seg::new("SE")
            .req((self.segments_in_set + 1).to_string(), Spec::n0(1, 10))
            .req(self.set_control.clone(), Spec::an(4, 9));
        self.put(se);
        self.set_open = false;
    }

    /// Closes the open group with its GE (closing its open set first).
    pub fn end_group(&mut self) {
        self.end_set();
        if !self.group_open {
            return;
        }
        let ge = Seg::new("GE")
            .req(self.sets_in_group.to_string(), Spec::n0(1, 6))
            .req(self.group_control.clone(), Spec::n0(1, 9));
        self.put(ge);
        self.group_open = false;
    }

    /// Closes whatever is open and writes the IEA.
    pub fn finish(mut self) -> Vec<u8> {
        self.end_group();
        let iea = Seg::new("IEA").req(self.groups.to_string(), Spec::n0(1, 5)).req(self.isa13.clone(), Spec::n0(9, 9));
        self.put(iea);
        self.out
    }

    /// Writes a segment, repairing what does not fit (never fails).
    pub fn put(&mut self, seg: Seg) {
        let line = self.render(&seg, false).unwrap_or_else(|_| seg.id.to_string());
        self.emit(&line);
    }

    /// Writes a segment only when every value passes [`check`] as given.
    pub fn try_put(&mut self, seg: Seg) -> Result<(), ElementFault> {
        let line = self.render(&seg, true)?;
        self.emit(&line);
        Ok(())
    }

    fn emit(&mut self, line: &str) {
        self.out.extend_from_slice(line.as_bytes());
        self.out.push(self.d.segment);
        self.out.extend_from_slice(self.line_end);
        if self.set_open {
            self.segments_in_set += 1;
        }
    }

    fn fit(&self, value: &str, spec: Spec, mode: Mode, strict: bool) -> Result<String, ValueError> {
        match check(value, spec, &self.d) {
            Ok(v) => Ok(v),
            Err(ValueError::Empty) if mode != Mode::Required => Ok(String::new()),
            Err(e) if strict => Err(e),
            Err(_) => Ok(match mode {
                Mode::Required => repair(value, spec, &self.d, &self.date, &self.time),
                Mode::Optional => String::new(),
                Mode::Text => {
                    let c = clean(value, &self.d);
                    let cut: String = c.chars().take(spec.max).collect();
                    check(&cut, spec, &self.d).unwrap_or_default()
                }
            }),
        }
    }

    fn render(&self, seg: &Seg, strict: bool) -> Result<String, ElementFault> {
        let fault = |position: usize, error: ValueError| ElementFault { segment: seg.id, position, error };
        let mut elements: Vec<String> = Vec::with_capacity(seg.items.len());
        for (i, item) in seg.items.iter().enumerate() {
            let text = match item {
                Item::Empty => String::new(),
                Item::Simple(v, spec, mode) => self.fit(v, *spec, *mode, strict).map_err(|e| fault(i + 1, e))?,
                Item::Composite(comps) => {
                    let mut parts = Vec::with_capacity(comps.len());
                    for (v, spec, mode) in comps {
                        parts.push(self.fit(v, *spec, *mode, strict).map_err(|e| fault(i + 1, e))?);
                    }
                    while parts.last().is_some_and(String::is_empty) {
                        parts.pop();
                    }
                    parts.join(&char::from(self.d.component).to_string())
                }
            };
            elements.push(text);
        }
        while elements.last().is_some_and(String::is_empty) {
            elements.pop();
        }
        let mut line = String::from(seg.id);
        let el = char::from(self.d.element);
        for e in &elements {
            line.push(el);
            line.push_str(e);
        }
        Ok(line)
    }
}

impl fmt::Display for Delimiters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "element {:?} component {:?} repetition {:?} segment {:?}",
            self.element as char,
            self.component as char,
            self.repetition.map(char::from),
            self.segment as char
        )
    }
}
