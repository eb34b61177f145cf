//! Pure conversions between bytes and domain types, one module per format.

pub mod csv;
pub mod cxml;
pub mod edifact;
pub mod x12;

/// The formats dropgate reads, as told by a document's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    X12,
    Edifact,
    Cxml,
    Csv,
    Unknown,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::X12 => "x12",
            Format::Edifact => "edifact",
            Format::Cxml => "cxml",
            Format::Csv => "csv",
            Format::Unknown => "unknown",
        }
    }
}

/// Tells the format from the first bytes of a document (never its name):
/// `ISA` is X12; `UNA`/`UNB` (or a `UNH` segment near the start) EDIFACT;
/// an XML document whose root is `cXML` is cXML; text with a delimiter on
/// its first line is CSV.
pub fn detect(bytes: &[u8]) -> Format {
    let mut b = bytes;
    if let Some(rest) = b.strip_prefix(b"\xEF\xBB\xBF") {
        b = rest;
    }
    let start = b.iter().position(|c| !c.is_ascii_whitespace()).unwrap_or(b.len());
    let head = &b[start..b.len().min(start + 4096)];
    if head.starts_with(b"ISA") {
        return Format::X12;
    }
    if head.starts_with(b"UNA") || head.starts_with(b"UNB") {
        return Format::Edifact;
    }
    if head.starts_with(b"<") {
        let lower: Vec<u8> = head.iter().map(u8::to_ascii_lowercase).collect();
        if memchr::memmem::find(&lower, b"<cxml").is_some() || memchr::memmem::find(&lower, b"cxml.dtd").is_some() {
            return Format::Cxml;
        }
        return Format::Unknown;
    }
    if head.len() >= 4 && memchr::memmem::find(&head[..head.len().min(400)], b"UNH+").is_some() {
        return Format::Edifact;
    }
    let first_line = head.split(|&c| c == b'\n').next().unwrap_or_default();
    if first_line.len() > 2 && (first_line.contains(&b',') || first_line.contains(&b';') || first_line.contains(&b'\t'))
    {
        return Format::Csv;
    }
    Format::Unknown
}
