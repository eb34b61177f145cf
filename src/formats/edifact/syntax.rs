//! The EDIFACT syntax layer: service string advice (UNA), separators,
//! release character, repetition separator (syntax version 4), character
//! sets (UNOA to UNOY), and a tokenizer from bytes to segments.

use compact_str::CompactString;
use serde::{Deserialize, Serialize};
use std::fmt;

/// The service characters of an interchange.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Syntax {
    pub component: u8,
    pub element: u8,
    pub decimal: u8,
    /// `None` when the UNA says a space (no release character).
    pub release: Option<u8>,
    /// Only in syntax version 4 (the fifth UNA character).
    pub repetition: Option<u8>,
    pub terminator: u8,
}

impl Default for Syntax {
    /// ISO 9735 level A defaults: `:` `+` `.` `?` `'` (repetition `*` in syntax 4).
    fn default() -> Self {
        Syntax {
            component: b':',
            element: b'+',
            decimal: b'.',
            release: Some(b'?'),
            repetition: None,
            terminator: b'\'',
        }
    }
}

impl Syntax {
    /// The UNA segment for these characters (9 bytes).
    pub fn una(&self) -> Vec<u8> {
        vec![
            b'U',
            b'N',
            b'A',
            self.component,
            self.element,
            self.decimal,
            self.release.unwrap_or(b' '),
            self.repetition.unwrap_or(b' '),
            self.terminator,
        ]
    }

    fn is_special(&self, b: u8) -> bool {
        b == self.component
            || b == self.element
            || b == self.terminator
            || Some(b) == self.release
            || Some(b) == self.repetition
    }
}

/// Character repertoires of UNB S001.0001 that dropgate reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Charset {
    /// UNOA: upper-case letters, digits and some punctuation.
    Unoa,
    /// UNOB: upper and lower case (ISO 646).
    Unob,
    /// UNOC: ISO 8859-1.
    Unoc,
    /// UNOD: ISO 8859-2.
    Unod,
    /// UNOE: ISO 8859-5.
    Unoe,
    /// UNOF: ISO 8859-7.
    Unof,
    /// UNOW: UTF-8 (ISO 10646 level 1 in UTF-8).
    Unow,
    /// UNOY: UTF-8 (ISO 10646 level 1 in UTF-8, syntax 4).
    Unoy,
}

impl Charset {
    pub fn from_code(code: &str) -> Option<Charset> {
        Some(match code.to_ascii_uppercase().as_str() {
            "UNOA" => Charset::Unoa,
            "UNOB" => Charset::Unob,
            "UNOC" => Charset::Unoc,
            "UNOD" => Charset::Unod,
            "UNOE" => Charset::Unoe,
            "UNOF" => Charset::Unof,
            "UNOW" => Charset::Unow,
            "UNOY" => Charset::Unoy,
            _ => return None,
        })
    }

    pub fn code(self) -> &'static str {
        match self {
            Charset::Unoa => "UNOA",
            Charset::Unob => "UNOB",
            Charset::Unoc => "UNOC",
            Charset::Unod => "UNOD",
            Charset::Unoe => "UNOE",
            Charset::Unof => "UNOF",
            Charset::Unow => "UNOW",
            Charset::Unoy => "UNOY",
        }
    }

    fn single_byte(self) -> Option<&'static encoding_rs::Encoding> {
        match self {
            Charset::Unod => Some(encoding_rs::ISO_8859_2),
            Charset::Unoe => Some(encoding_rs::ISO_8859_5),
            Charset::Unof => Some(encoding_rs::ISO_8859_7),
            _ => None,
        }
    }

    /// Decodes one value. `Err` names the first byte the set cannot hold.
    pub fn decode(self, raw: &[u8]) -> Result<CompactString, String> {
        if raw.is_ascii() {
            // Every set here is a superset of the ASCII letters and digits.
            return Ok(CompactString::from_utf8(raw).unwrap_or_default());
        }
        match self {
            Charset::Unoa | Charset::Unob => {
                let b = raw.iter().find(|b| !b.is_ascii()).copied().unwrap_or(0);
                Err(format!(
                    "byte 0x{b:02X} is not in {} (7-bit ASCII); the sender must declare UNOC or UNOW in UNB",
                    self.code()
                ))
            }
            Charset::Unoc => Ok(raw.iter().map(|&b| char::from(b)).collect()),
            Charset::Unow | Charset::Unoy => std::str::from_utf8(raw)
                .map(CompactString::from)
                .map_err(|e| format!("bytes at {} are not UTF-8 as {} requires", e.valid_up_to(), self.code())),
            Charset::Unod | Charset::Unoe | Charset::Unof => {
                let enc = self.single_byte().unwrap_or(encoding_rs::ISO_8859_2);
                let (text, had_errors) = enc.decode_without_bom_handling(raw);
                if had_errors {
                    Err(format!("bytes that are not {} ({})", self.code(), enc.name()))
                } else {
                    Ok(CompactString::from(text.as_ref()))
                }
            }
        }
    }

    /// Encodes text for a partner: characters the set cannot hold are
    /// transliterated (`é` → `e`, lower case → upper case in UNOA), and
    /// refused with the character named when there is no spelling for them.
    pub fn encode(self, text: &str, out: &mut Vec<u8>) -> Result<(), char> {
        match self {
            Charset::Unow | Charset::Unoy => {
                out.extend_from_slice(text.as_bytes());
                Ok(())
            }
            Charset::Unoc => {
                for c in text.chars() {
                    match u8::try_from(u32::from(c)) {
                        Ok(b) if !(0x80..0xA0).contains(&b) => out.push(b),
                        _ => push_ascii(transliterate(c).ok_or(c)?, out, false),
                    }
                }
                Ok(())
            }
            Charset::Unoa | Charset::Unob => {
                let upper = self == Charset::Unoa;
                for c in text.chars() {
                    if c.is_ascii() {
                        push_ascii(&c.to_string(), out, upper);
                    } else {
                        push_ascii(transliterate(c).ok_or(c)?, out, upper);
                    }
                }
                Ok(())
            }
            Charset::Unod | Charset::Unoe | Charset::Unof => {
                let enc = self.single_byte().unwrap_or(encoding_rs::ISO_8859_2);
                let mut buf = [0u8; 4];
                for c in text.chars() {
                    let s = c.encode_utf8(&mut buf);
                    let (bytes, _, unmappable) = enc.encode(s);
                    if unmappable {
                        push_ascii(transliterate(c).ok_or(c)?, out, false);
                    } else {
                        out.extend_from_slice(&bytes);
                    }
                }
                Ok(())
            }
        }
    }
}

fn push_ascii(s: &str, out: &mut Vec<u8>, upper: bool) {
    for b in s.bytes() {
        out.push(if upper { b.to_ascii_uppercase() } else { b });
    }
}

/// An ASCII spelling of a character, when there is a usual one.
pub fn transliterate(c: char) -> Option<&'static str> {
    Some(match c {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => "a",
        'Æ' => "AE",
        'æ' => "ae",
        'Ç' | 'Ć' | 'Č' | 'Ĉ' | 'Ċ' => "C",
        'ç' | 'ć' | 'č' | 'ĉ' | 'ċ' => "c",
        'Ď' | 'Đ' | 'Ð' => "D",
        'ď' | 'đ' | 'ð' => "d",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ė' | 'Ę' | 'Ě' => "E",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ė' | 'ę' | 'ě' => "e",
        'Ğ' | 'Ģ' => "G",
        'ğ' | 'ģ' => "g",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ī' | 'Į' | 'İ' => "I",
        'ì' | 'í' | 'î' | 'ï' | 'ī' | 'į' | 'ı' => "i",
        'Ķ' => "K",
        'ķ' => "k",
        'Ł' | 'Ľ' | 'Ĺ' | 'Ļ' => "L",
        'ł' | 'ľ' | 'ĺ' | 'ļ' => "l",
        'Ñ' | 'Ń' | 'Ň' | 'Ņ' => "N",
        'ñ' | 'ń' | 'ň' | 'ņ' => "n",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ő' => "O",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ő' => "o",
        'Œ' => "OE",
        'œ' => "oe",
        'Ŕ' | 'Ř' => "R",
        'ŕ' | 'ř' => "r",
        'Ś' | 'Š' | 'Ş' | 'Ș' => "S",
        'ś' | 'š' | 'ş' | 'ș' => "s",
        'ß' => "ss",
        'Ť' | 'Ţ' | 'Ț' => "T",
        'ť' | 'ţ' | 'ț' => "t",
        'Þ' => "TH",
        'þ' => "th",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ū' | 'Ů' | 'Ű' | 'Ų' => "U",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' | 'ű' | 'ų' => "u",
        'Ý' | 'Ÿ' => "Y",
        'ý' | 'ÿ' => "y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ź' | 'ż' | 'ž' => "z",
        '‘' | '’' | '‚' | '′' => "'",
        '“' | '”' | '„' | '″' => "\"",
        '–' | '—' | '‐' | '‑' => "-",
        '…' => "...",
        '\u{a0}' | '\u{2009}' | '\u{202f}' => " ",
        '€' => "EUR",
        '£' => "GBP",
        '×' => "x",
        _ => return None,
    })
}

/// A problem found while reading, located for a person to act on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EdifactError {
    /// 1-based index of the segment in the file (UNA counts); 0 when the
    /// file could not be split at all.
    pub segment_index: usize,
    pub tag: CompactString,
    /// 1-based data element position, when about one element.
    pub element: Option<u32>,
    pub component: Option<u32>,
    /// The CONTRL syntax error code (0085) this amounts to.
    pub code: u8,
    pub message: String,
}

impl EdifactError {
    pub fn at(
        seg: &Segment,
        element: Option<u32>,
        component: Option<u32>,
        code: u8,
        message: impl Into<String>,
    ) -> Self {
        EdifactError {
            segment_index: seg.index,
            tag: seg.tag.clone(),
            element,
            component,
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for EdifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.segment_index > 0 {
            write!(f, "segment {}", self.segment_index)?;
            if !self.tag.is_empty() {
                write!(f, " ({})", self.tag)?;
            }
            if let Some(e) = self.element {
                write!(f, ", element {e}")?;
                if let Some(c) = self.component {
                    write!(f, " component {c}")?;
                }
            }
            f.write_str(": ")?;
        }
        f.write_str(&self.message)
    }
}

/// CONTRL syntax error codes (data element 0085) used by the reader.
pub mod code {
    pub const SYNTAX_VERSION: u8 = 2;
    pub const NOT_RECIPIENT: u8 = 7;
    pub const INVALID_VALUE: u8 = 12;
    pub const MISSING: u8 = 13;
    pub const VALUE_NOT_SUPPORTED: u8 = 14;
    pub const NOT_SUPPORTED_IN_POSITION: u8 = 15;
    pub const INVALID_CHARACTER: u8 = 21;
    pub const UNKNOWN_SENDER: u8 = 23;
    pub const DUPLICATE: u8 = 26;
    pub const REFERENCES_DIFFER: u8 = 28;
    pub const COUNT_DIFFERS: u8 = 29;
    pub const UNSPECIFIED: u8 = 18;
}

/// One data element: its repetitions (one unless syntax 4 repeats it),
/// each a list of components.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element(pub Vec<Vec<Vec<u8>>>);

/// A segment as split, values still in the interchange's bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub tag: CompactString,
    pub elements: Vec<Element>,
    /// 1-based position in the file.
    pub index: usize,
    /// Byte offset of the tag.
    pub offset: usize,
}

impl Segment {
    /// Raw bytes of element `e` (1-based), component `c` (1-based), first repetition.
    pub fn raw(&self, e: usize, c: usize) -> &[u8] {
        e.checked_sub(1)
            .and_then(|e| self.elements.get(e))
            .and_then(|el| el.0.first())
            .and_then(|comps| c.checked_sub(1).and_then(|c| comps.get(c)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// An ASCII value (service segments, codes); non-ASCII bytes come out as `?`.
    pub fn code(&self, e: usize, c: usize) -> CompactString {
        let raw = self.raw(e, c);
        if raw.is_ascii() {
            CompactString::from_utf8(raw).unwrap_or_default()
        } else {
            raw.iter().map(|&b| if b.is_ascii() { char::from(b) } else { '?' }).collect()
        }
    }

    /// How many repetitions element `e` has.
    pub fn repetitions(&self, e: usize) -> usize {
        e.checked_sub(1).and_then(|e| self.elements.get(e)).map_or(0, |el| el.0.len())
    }

    /// Component `c` of repetition `r` (both 1-based) of element `e`.
    pub fn raw_rep(&self, e: usize, r: usize, c: usize) -> &[u8] {
        e.checked_sub(1)
            .and_then(|e| self.elements.get(e))
            .and_then(|el| r.checked_sub(1).and_then(|r| el.0.get(r)))
            .and_then(|comps| c.checked_sub(1).and_then(|c| comps.get(c)))
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// The service characters in force at the start of `bytes` (after white
/// space): from a UNA, else the defaults; and where the first segment after
/// the UNA begins.
pub fn service_string(bytes: &[u8], at: usize) -> Result<(Syntax, usize, bool), EdifactError> {
    let rest = &bytes[at..];
    if rest.starts_with(b"UNA") {
        let Some(s) = rest.get(3..9) else {
            return Err(EdifactError {
                segment_index: 1,
                tag: "UNA".into(),
                element: None,
                component: None,
                code: code::INVALID_VALUE,
                message: "the UNA service string advice needs six characters after \"UNA\"".into(),
            });
        };
        let syn = Syntax {
            component: s[0],
            element: s[1],
            decimal: s[2],
            release: (s[3] != b' ').then_some(s[3]),
            repetition: (s[4] != b' ').then_some(s[4]),
            terminator: s[5],
        };
        let chars = [s[0], s[1], s[3], s[5]];
        let distinct = chars.iter().enumerate().all(|(i, a)| chars[i + 1..].iter().all(|b| a != b || *a == b' '));
        if !distinct || !s.iter().all(u8::is_ascii) || s[0].is_ascii_alphanumeric() || s[1].is_ascii_alphanumeric() {
            return Err(EdifactError {
                segment_index: 1,
                tag: "UNA".into(),
                element: None,
                component: None,
                code: code::INVALID_VALUE,
                message: format!(
                    "the UNA service characters {:?} must be six distinct ASCII punctuation characters",
                    String::from_utf8_lossy(s)
                ),
            });
        }
        Ok((syn, at + 9, true))
    } else if rest.get(3) == Some(&0x1D) {
        // Level B defaults (UNOB without UNA): information separators.
        Ok((
            Syntax { component: 0x1F, element: 0x1D, decimal: b'.', release: None, repetition: None, terminator: 0x1C },
            at,
            false,
        ))
    } else {
        Ok((Syntax::default(), at, false))
    }
}

/// Splits the bytes from `pos` into segments with `syntax`, numbering them
/// from `first_index`. Stops after a segment whose tag is `stop` (for
/// reading UNB before the rest, whose separators it may change). Returns
/// the segments and the position after the last one.
pub fn tokenize(
    bytes: &[u8],
    mut pos: usize,
    syntax: &Syntax,
    first_index: usize,
    stop: Option<&str>,
) -> (Vec<Segment>, usize, Option<EdifactError>) {
    let mut out = Vec::new();
    let mut index = first_index;
    let n = bytes.len();
    loop {
        while pos < n && matches!(bytes[pos], b'\r' | b'\n' | b' ' | b'\t') {
            pos += 1;
        }
        if pos >= n {
            return (out, pos, None);
        }
        let offset = pos;
        let mut seg = Segment { index, offset, ..Segment::default() };
        let mut element = Element(vec![vec![Vec::new()]]);
        let mut tag_done = false;
        let mut ended = false;
        while pos < n {
            let b = bytes[pos];
            pos += 1;
            if Some(b) == syntax.release {
                let Some(&next) = bytes.get(pos) else {
                    let tag = seg.tag.clone();
                    return (
                        out,
                        n,
                        Some(EdifactError {
                            segment_index: index,
                            tag,
                            element: None,
                            component: None,
                            code: code::INVALID_CHARACTER,
                            message: "the file ends with a release character and nothing for it to release".into(),
                        }),
                    );
                };
                pos += 1;
                push(&mut element, next);
            } else if b == syntax.terminator {
                ended = true;
                break;
            } else if b == syntax.element {
                finish(&mut seg, &mut element, &mut tag_done);
            } else if b == syntax.component {
                if let Some(rep) = element.0.last_mut() {
                    rep.push(Vec::new());
                }
            } else if Some(b) == syntax.repetition {
                element.0.push(vec![Vec::new()]);
            } else {
                push(&mut element, b);
            }
        }
        finish(&mut seg, &mut element, &mut tag_done);
        let tag_ok = !seg.tag.is_empty()
            && seg.tag.len() <= 3
            && seg.tag.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if !tag_ok {
            let shown: String = seg.tag.chars().take(12).collect();
            return (
                out,
                n,
                Some(EdifactError {
                    segment_index: index,
                    tag: CompactString::default(),
                    element: None,
                    component: None,
                    code: code::INVALID_VALUE,
                    message: format!("{shown:?} at byte {offset} is not a segment tag (three upper-case letters)"),
                }),
            );
        }
        let _ = ended;
        let is_stop = stop.is_some_and(|s| seg.tag == s);
        out.push(seg);
        index += 1;
        if is_stop {
            return (out, pos, None);
        }
    }
}

fn push(element: &mut Element, b: u8) {
    if let Some(comp) = element.0.last_mut().and_then(|rep| rep.last_mut()) {
        comp.push(b);
    }
}

fn finish(seg: &mut Segment, element: &mut Element, tag_done: &mut bool) {
    let e = std::mem::replace(element, Element(vec![vec![Vec::new()]]));
    if *tag_done {
        seg.elements.push(e);
    } else {
        *tag_done = true;
        let raw = e.0.first().and_then(|c| c.first()).cloned().unwrap_or_default();
        seg.tag = CompactString::from_utf8_lossy(&raw);
    }
}

/// Escapes a value for writing: separators and the release character get
/// the release character before them.
pub fn escape(syntax: &Syntax, raw: &[u8], out: &mut Vec<u8>) {
    for &b in raw {
        if syntax.is_special(b) {
            if let Some(r) = syntax.release {
                out.push(r);
            }
        }
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn release_and_repetition() {
        let syn = Syntax { repetition: Some(b'*'), ..Syntax::default() };
        let (segs, _, err) = tokenize(b"FTX+AAA+++a?+b?:c?'d??e*second:x'\nUNT+2+1'", 0, &syn, 1, None);
        assert!(err.is_none());
        assert_eq!(segs.len(), 2);
        assert_eq!(segs[0].raw(4, 1), b"a+b:c'd?e");
        assert_eq!(segs[0].repetitions(4), 2);
        assert_eq!(segs[0].raw_rep(4, 2, 2), b"x");
        assert_eq!(segs[1].index, 2);
        let (_, _, err) = tokenize(b"FTX+abc?", 0, &syn, 1, None);
        assert!(err.unwrap().message.contains("release"));
    }

    #[test]
    fn una_is_read() {
        let (syn, at, _) = service_string(b"UNA=*.?^~UNB*UNOC=4", 0).unwrap();
        assert_eq!((syn.component, syn.element, syn.repetition, syn.terminator), (b'=', b'*', Some(b'^'), b'~'));
        assert_eq!(at, 9);
        assert!(service_string(b"UNA++.? '", 0).is_err(), "element and component the same");
        assert!(service_string(b"UNA:+", 0).is_err());
    }

    #[test]
    fn charsets() {
        assert_eq!(Charset::Unoc.decode(b"Caf\xe9").unwrap(), "Café");
        assert!(Charset::Unob.decode(b"Caf\xe9").unwrap_err().contains("0xE9"));
        assert!(Charset::Unow.decode(b"Caf\xe9").is_err());
        assert_eq!(Charset::Unod.decode(b"\xb3\xf3d\xbc").unwrap(), "łódź");
        let mut out = Vec::new();
        Charset::Unoa.encode("Müller & Søn", &mut out).unwrap();
        assert_eq!(out, b"MULLER & SON");
        out.clear();
        Charset::Unoc.encode("Müller — Straße", &mut out).unwrap();
        assert_eq!(out, b"M\xfcller - Stra\xdfe");
        assert_eq!(Charset::Unob.encode("東京", &mut out), Err('東'));
        out.clear();
        Charset::Unod.encode("Łódź €", &mut out).unwrap();
        assert_eq!(out, b"\xa3\xf3d\xbc EUR");
    }
}
