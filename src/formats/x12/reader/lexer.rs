//! Splitting bytes into segments and elements without copying.
//!
//! The separators come from the fixed-width ISA of each interchange: the
//! element separator is byte 4, ISA16 is the component separator and the
//! byte after it terminates segments. A new ISA found at a segment start
//! switches the separators, so a file may mix interchanges written with
//! different delimiters.
//!
//! Tolerated around segments: CR, LF, spaces, tabs (and NUL / Ctrl-Z
//! padding) before a segment and before its terminator, empty segments
//! (`~~`), and a missing terminator after the last segment. When the
//! terminator is CR or LF, both CR and LF end segments, so CR, LF and CRLF
//! files read alike.

use crate::formats::x12::model::{Separators, X12Error};
use memchr::{memchr, memchr2, memmem};

/// Standard widths of ISA01..ISA16.
pub(crate) const ISA_WIDTHS: [usize; 16] = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1];

/// Length of a standard ISA segment without its terminator.
#[cfg(test)]
pub(crate) const ISA_LEN: usize = 105;

/// How far an ISA is searched for its 16 elements before giving up.
const ISA_SCAN_LIMIT: usize = 256;

/// Where the elements of one ISA are, and the separators it declares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct IsaLayout {
    pub separators: Separators,
    /// Byte ranges (start, end) of ISA01..ISA16, relative to the `I` of ISA.
    pub fields: [(usize, usize); 16],
    /// Length of the ISA segment without its terminator.
    pub len: usize,
    /// Offset just after the terminator.
    pub end: usize,
    /// The first element (1-based) whose width is not the standard one.
    pub bad_width: Option<usize>,
}

impl IsaLayout {
    /// The bytes of ISA`n` (1-based) inside `isa` (which starts at `I`).
    pub fn field<'a>(&self, isa: &'a [u8], n: usize) -> &'a [u8] {
        n.checked_sub(1).and_then(|k| self.fields.get(k)).and_then(|&(s, e)| isa.get(s..e)).unwrap_or(b"")
    }
}

/// Bytes skipped between segments and trimmed before a terminator.
fn is_filler_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | 0x0b | 0x0c | 0x00 | 0x1a)
}

/// A printable rendering of one byte for messages.
pub(crate) fn show_byte(b: u8) -> String {
    match b {
        b'\r' => "CR".to_string(),
        b'\n' => "LF".to_string(),
        b' ' => "space".to_string(),
        b'\t' => "TAB".to_string(),
        0x21..=0x7e => format!("'{}'", b as char),
        _ => format!("byte 0x{b:02X}"),
    }
}

/// Reads the layout of an ISA segment starting at `bytes[0]` (`ISA…`).
///
/// Fails only when the segment cannot be split at all (no usable element
/// separator, fewer than 16 elements, no terminator after ISA16); width
/// problems are reported in [`IsaLayout::bad_width`] for the reader to judge.
pub(crate) fn parse_isa(bytes: &[u8]) -> Result<IsaLayout, String> {
    if bytes.get(..3) != Some(b"ISA".as_slice()) {
        return Err("the segment does not start with ISA".to_string());
    }
    let Some(&e) = bytes.get(3) else {
        return Err("the file ends right after 'ISA'".to_string());
    };
    if e.is_ascii_alphanumeric() || is_filler_byte(e) {
        return Err(format!(
            "the element separator (the 4th byte of ISA) is {}; it must be a punctuation character",
            show_byte(e)
        ));
    }
    let limit = bytes.len().min(ISA_SCAN_LIMIT);
    let mut fields = [(0usize, 0usize); 16];
    let mut i = 4;
    for (k, slot) in fields.iter_mut().enumerate().take(15) {
        let window = bytes.get(i..limit).unwrap_or(b"");
        let Some(rel) = memchr(e, window) else {
            return Err(format!("ISA has only {} of its 16 elements (element separator {})", k + 1, show_byte(e)));
        };
        *slot = (i, i + rel);
        i += rel + 1;
    }
    let Some(&c) = bytes.get(i) else {
        return Err("the file ends inside the ISA segment: ISA16 is missing".to_string());
    };
    fields[15] = (i, i + 1);
    // Spaces or tabs between ISA16 and the terminator are tolerated.
    let mut ti = i + 1;
    while matches!(bytes.get(ti), Some(b' ' | b'\t')) && ti < i + 1 + 64 {
        ti += 1;
    }
    let Some(&t) = bytes.get(ti) else {
        return Err("the file ends right after ISA16: there is no segment terminator".to_string());
    };
    if c == e {
        return Err(format!("ISA16 (component separator) is {}, the same as the element separator", show_byte(c)));
    }
    if t.is_ascii_alphanumeric() || t == b' ' || t == b'\t' || t == 0 {
        return Err(format!(
            "the byte after ISA16 is {}, which cannot be a segment terminator (is ISA16 missing?)",
            show_byte(t)
        ));
    }
    if t == e || t == c {
        return Err(format!("the segment terminator {} is the same as another separator", show_byte(t)));
    }
    let version = bytes.get(fields[11].0..fields[11].1).unwrap_or(b"");
    let version_no = if version.len() == 5 && version.iter().all(u8::is_ascii_digit) {
        version.iter().fold(0u32, |acc, d| acc * 10 + u32::from(d - b'0'))
    } else {
        0
    };
    let isa11 = bytes.get(fields[10].0..fields[10].1).unwrap_or(b"");
    let repetition = match isa11 {
        [r] if version_no >= 402
            && !r.is_ascii_alphanumeric()
            && !is_filler_byte(*r)
            && *r != e
            && *r != c
            && *r != t =>
        {
            Some(*r)
        }
        _ => None,
    };
    let bad_width = fields.iter().zip(ISA_WIDTHS).position(|(&(s, end), w)| end - s != w).map(|k| k + 1);
    Ok(IsaLayout {
        separators: Separators { element: e, component: c, repetition, segment: t },
        fields,
        len: i + 1,
        end: ti + 1,
        bad_width,
    })
}

/// One segment, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment<'a> {
    raw: &'a [u8],
    sep: Separators,
    index: usize,
    offset: usize,
}

impl<'a> Segment<'a> {
    /// The segment identifier (`ISA`, `PO1`…), as bytes.
    #[inline]
    pub fn id(&self) -> &'a [u8] {
        let r = self.raw;
        let e = self.sep.element;
        if r.len() > 2 && r[2] == e {
            return &r[..2];
        }
        if r.len() > 3 && r[3] == e {
            return &r[..3];
        }
        match r.iter().position(|&b| b == e) {
            Some(i) => &r[..i],
            None => r,
        }
    }

    /// The identifier as text (lossless for ASCII, Latin-1 otherwise).
    pub fn id_text(&self) -> String {
        super::common::text(self.id())
    }

    /// 1-based index of the segment in the file (the first ISA is 1).
    pub fn index(&self) -> usize {
        self.index
    }

    /// Byte offset of the segment in the input.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The segment bytes without terminator (and without the whitespace
    /// around it).
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn separators(&self) -> Separators {
        self.sep
    }

    /// The identifier followed by every element: `all().nth(0)` is the id,
    /// `all().nth(n)` element `n`.
    #[inline]
    pub fn all(&self) -> Elements<'a> {
        Elements { rest: self.raw, sep: self.sep.element, done: false }
    }

    /// The elements after the identifier, as sent (possibly empty).
    pub fn elements(&self) -> Elements<'a> {
        let mut all = self.all();
        all.next();
        all
    }

    /// Element `n` (1-based); `None` when the segment has fewer elements,
    /// `Some(b"")` when it is present but empty.
    pub fn element(&self, n: usize) -> Option<&'a [u8]> {
        if n == 0 {
            return None;
        }
        self.all().nth(n)
    }

    /// Number of elements after the identifier (trailing empty ones included).
    pub fn element_count(&self) -> usize {
        self.raw.iter().filter(|&&b| b == self.sep.element).count()
    }

    /// The components of one element value, split by the component separator.
    pub fn components(&self, value: &'a [u8]) -> Elements<'a> {
        Elements { rest: value, sep: self.sep.component, done: false }
    }

    /// Fills `buf` with the identifier and every element (`buf[n]` is element `n`).
    ///
    /// One pass over the segment, eight bytes at a time: each word gives
    /// the positions of all the separators in it at once.
    #[inline]
    pub fn split_into(&self, buf: &mut Vec<&'a [u8]>) {
        buf.clear();
        let (raw, e) = (self.raw, self.sep.element);
        let splat = u64::from_ne_bytes([e; 8]);
        let mut start = 0;
        let mut base = 0;
        let mut words = raw.chunks_exact(8);
        for w in &mut words {
            let mut m = zero_bytes(word(w) ^ splat);
            while m != 0 {
                let at = base + (m.trailing_zeros() / 8) as usize;
                buf.push(&raw[start..at]);
                start = at + 1;
                m &= m - 1;
            }
            base += 8;
        }
        for (k, &b) in words.remainder().iter().enumerate() {
            if b == e {
                buf.push(&raw[start..base + k]);
                start = base + k + 1;
            }
        }
        buf.push(&raw[start..]);
    }
}

/// Eight bytes (`w` has eight) as a little-endian word: byte `k` of the
/// slice is byte `k` of the word, counted from the least significant.
#[inline]
fn word(w: &[u8]) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(w);
    u64::from_le_bytes(a)
}

/// 0x80 in each byte of `x` that is zero, 0 in every other byte. Exact: no
/// carry crosses from one byte to the next, so every bit set is a zero byte.
#[inline]
const fn zero_bytes(x: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Values of a segment (or of a composite) split by one separator.
#[derive(Clone, Debug)]
pub struct Elements<'a> {
    rest: &'a [u8],
    sep: u8,
    done: bool,
}

impl<'a> Iterator for Elements<'a> {
    type Item = &'a [u8];

    #[inline]
    fn next(&mut self) -> Option<&'a [u8]> {
        if self.done {
            return None;
        }
        let rest = self.rest;
        match rest.iter().position(|&b| b == self.sep) {
            Some(i) => {
                self.rest = &rest[i + 1..];
                Some(&rest[..i])
            }
            None => {
                self.done = true;
                Some(rest)
            }
        }
    }
}

/// The segments of a file, in order, each borrowed from the input.
#[derive(Clone, Debug)]
pub struct Segments<'a> {
    bytes: &'a [u8],
    pos: usize,
    index: usize,
    sep: Separators,
    newline_terminated: bool,
    filler: [bool; 256],
    isa: Option<Result<IsaLayout, String>>,
}

fn filler_table(sep: &Separators) -> [bool; 256] {
    let mut t = [false; 256];
    for (b, slot) in t.iter_mut().enumerate() {
        let b = b as u8;
        *slot = is_filler_byte(b) && b != sep.element && b != sep.component && Some(b) != sep.repetition;
    }
    t
}

/// Length of a UTF-8 byte order mark at the start of `bytes`, if any.
pub(crate) fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    }
}

impl<'a> Segments<'a> {
    /// A tokenizer over `bytes` that has not checked anything yet: until
    /// the first ISA it splits with the default separators.
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        let sep = Separators::default();
        Segments {
            bytes,
            pos: bom_len(bytes),
            index: 0,
            sep,
            newline_terminated: false,
            filler: filler_table(&sep),
            isa: None,
        }
    }

    /// The whole input.
    pub fn input(&self) -> &'a [u8] {
        self.bytes
    }

    /// The separators in force (those of the last ISA read).
    pub fn separators(&self) -> Separators {
        self.sep
    }

    /// Byte offset of the next segment to read.
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// For a segment just returned by `next` that starts with `ISA`: its
    /// layout, or why it cannot be read as an interchange header. `None`
    /// for every other segment.
    pub(crate) fn take_isa(&mut self) -> Option<Result<IsaLayout, String>> {
        self.isa.take()
    }

    fn set_separators(&mut self, sep: Separators) {
        if sep != self.sep {
            self.sep = sep;
            self.filler = filler_table(&sep);
        }
        self.newline_terminated = matches!(sep.segment, b'\r' | b'\n');
    }

    /// Moves to the next readable ISA at or after byte `from`; false when
    /// there is none, and the tokenizer is then at the end.
    pub(crate) fn seek_isa(&mut self, from: usize) -> bool {
        let from = from.min(self.bytes.len());
        let hay = &self.bytes[from..];
        for rel in memmem::find_iter(hay, b"ISA") {
            let at = from + rel;
            if parse_isa(&self.bytes[at..]).is_ok() {
                self.pos = at;
                return true;
            }
        }
        self.pos = self.bytes.len();
        false
    }

    /// Skips everything up to the next segment (or the end).
    pub(crate) fn skip_fillers(&mut self) -> usize {
        while let Some(&b) = self.bytes.get(self.pos) {
            if !self.filler[b as usize] {
                break;
            }
            self.pos += 1;
        }
        self.pos
    }
}

impl<'a> Iterator for Segments<'a> {
    type Item = Segment<'a>;

    #[inline]
    fn next(&mut self) -> Option<Segment<'a>> {
        self.isa = None;
        loop {
            let bytes = self.bytes;
            let mut p = self.pos;
            while let Some(&b) = bytes.get(p) {
                if !self.filler[b as usize] {
                    break;
                }
                p += 1;
            }
            let rest = bytes.get(p..).unwrap_or(b"");
            if rest.is_empty() {
                self.pos = bytes.len();
                return None;
            }
            if rest.len() > 3 && rest[..3] == *b"ISA" {
                match parse_isa(rest) {
                    Ok(layout) => {
                        self.set_separators(layout.separators);
                        let len = layout.len;
                        self.pos = p + layout.end;
                        self.index += 1;
                        self.isa = Some(Ok(layout));
                        return Some(Segment { raw: &rest[..len], sep: self.sep, index: self.index, offset: p });
                    }
                    Err(why) => self.isa = Some(Err(why)),
                }
            }
            let end =
                if self.newline_terminated { memchr2(b'\r', b'\n', rest) } else { memchr(self.sep.segment, rest) }
                    .unwrap_or(rest.len());
            let mut seg = &rest[..end];
            while let [head @ .., last] = seg {
                if self.filler[*last as usize] {
                    seg = head;
                } else {
                    break;
                }
            }
            self.pos = p + end + 1;
            if seg.is_empty() {
                continue;
            }
            self.index += 1;
            return Some(Segment { raw: seg, sep: self.sep, index: self.index, offset: p });
        }
    }
}

/// A zero-copy tokenizer over a file that must start with a readable ISA
/// (after optional whitespace or a UTF-8 byte order mark).
///
/// It yields every segment of every interchange in the file, switching
/// separators at each ISA; envelopes and contents are not checked (use
/// [`super::read`] for that).
pub fn segments(bytes: &[u8]) -> Result<Segments<'_>, X12Error> {
    let mut s = Segments::new(bytes);
    let start = s.skip_fillers();
    let rest = &bytes[start..];
    if rest.is_empty() {
        return Err(file_error("not an X12 interchange: the file is empty"));
    }
    if !rest.starts_with(b"ISA") {
        return Err(file_error(format!(
            "not an X12 interchange: the file does not start with ISA (it starts with {})",
            super::common::quote(rest, 12)
        )));
    }
    if let Err(why) = parse_isa(rest) {
        return Err(X12Error {
            segment_index: 1,
            segment_id: "ISA".to_string(),
            element: None,
            component: None,
            message: format!("cannot read the interchange header: {why}"),
        });
    }
    Ok(s)
}

pub(crate) fn file_error(message: impl Into<String>) -> X12Error {
    X12Error { segment_index: 0, segment_id: String::new(), element: None, component: None, message: message.into() }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISA: &str =
        "ISA*00*          *00*          *ZZ*SENDER         *ZZ*RECEIVER       *240101*1200*^*00401*000000001*0*P*>~";

    fn ids(bytes: &[u8]) -> Vec<String> {
        segments(bytes).unwrap().map(|s| String::from_utf8_lossy(s.id()).into_owned()).collect()
    }

    #[test]
    fn isa_layout_of_a_standard_header() {
        assert_eq!(ISA.len(), 106);
        let l = parse_isa(ISA.as_bytes()).unwrap();
        assert_eq!(l.len, ISA_LEN);
        assert_eq!(l.bad_width, None);
        assert_eq!(l.separators.element, b'*');
        assert_eq!(l.separators.component, b'>');
        assert_eq!(l.separators.segment, b'~');
        // 00401: ISA11 is the standards identifier, not a repetition separator.
        assert_eq!(l.separators.repetition, None);
        assert_eq!(l.field(ISA.as_bytes(), 13), b"000000001");
        let v5 = ISA.replace("00401", "00501");
        assert_eq!(parse_isa(v5.as_bytes()).unwrap().separators.repetition, Some(b'^'));
        let u5 = ISA.replace("*^*00401", "*U*00501");
        assert_eq!(parse_isa(u5.as_bytes()).unwrap().separators.repetition, None);
    }

    #[test]
    fn splits_with_each_terminator() {
        let body = ["GS*PO*A*B*20240101*1200*1*X*004010", "ST*850*0001", "SE*2*0001", "GE*1*1", "IEA*1*000000001"];
        let isa = &ISA[..105];
        for (term, after) in
            [("~", ""), ("~", "\n"), ("~", "\r\n"), ("\n", ""), ("\r", ""), ("\r", "\n"), ("~", "\n\n   ")]
        {
            let mut text = format!("{isa}{term}{after}");
            for s in body {
                text.push_str(s);
                text.push_str(term);
                text.push_str(after);
            }
            text.push_str("\n\n");
            let got = ids(text.as_bytes());
            assert_eq!(got, ["ISA", "GS", "ST", "SE", "GE", "IEA"], "{term:?}{after:?}");
        }
    }

    #[test]
    fn elements_and_components() {
        let text = format!("{ISA}REF*OQ*111*hello*OS>hi~");
        let segs: Vec<_> = segments(text.as_bytes()).unwrap().collect();
        let r = segs[1];
        assert_eq!(r.id(), b"REF");
        assert_eq!(r.element(1), Some(&b"OQ"[..]));
        assert_eq!(r.element(4), Some(&b"OS>hi"[..]));
        assert_eq!(r.element(5), None);
        assert_eq!(r.element_count(), 4);
        let comps: Vec<_> = r.components(r.element(4).unwrap()).collect();
        assert_eq!(comps, [&b"OS"[..], &b"hi"[..]]);
        assert_eq!(r.index(), 2);
    }

    #[test]
    fn zero_bytes_marks_exactly_the_zero_bytes() {
        for x in
            [0u64, u64::MAX, 0x0100_ff00_0001_8000, 0x8080_8080_8080_8080, 0x0101_0101_0101_0101, 0x00ff_0001_7f80_0100]
        {
            let want =
                x.to_le_bytes().iter().enumerate().fold(0u64, |m, (k, &b)| m | (u64::from(b == 0) << (8 * k + 7)));
            assert_eq!(zero_bytes(x), want, "{x:#x}");
        }
    }

    proptest::proptest! {
        #[test]
        fn split_into_matches_a_plain_split(
            raw in proptest::collection::vec(proptest::prop_oneof![
                proptest::strategy::Just(b'*'),
                proptest::strategy::Just(b'+'),
                proptest::strategy::Just(b')'),
                proptest::num::u8::ANY,
            ], 0..70),
            e in proptest::prop_oneof![proptest::strategy::Just(b'*'), proptest::num::u8::ANY],
        ) {
            let sep = Separators { element: e, ..Separators::default() };
            let seg = Segment { raw: &raw, sep, index: 1, offset: 0 };
            let mut got = Vec::new();
            seg.split_into(&mut got);
            let want: Vec<&[u8]> = raw.split(|&b| b == e).collect();
            proptest::prop_assert_eq!(&got, &want);
            proptest::prop_assert_eq!(seg.all().collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn refuses_what_is_not_x12() {
        assert!(segments(b"").is_err());
        assert!(segments(b"Random file").is_err());
        let e = segments(b"SA*00*").unwrap_err();
        assert!(e.message.contains("does not start with ISA"), "{e}");
        assert!(segments(b"ISA*00").is_err());
    }
}
