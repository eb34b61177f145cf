//! The documents in a message: its attachments (and, for a message with
//! none, a plain-text body that is itself an X12, EDIFACT or cXML document). Bytes are taken as sent: the
//! transfer encoding (base64, quoted-printable) is undone, a charset never
//! converted, so the ledger holds what the retailer's system wrote.

use base64::Engine;
use mail_parser::{MessagePart, MimeHeaders, PartType};

/// One document of a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part {
    /// The attachment's file name (or `attachment-N` / `body.txt`).
    pub name: String,
    pub bytes: Vec<u8>,
    /// Why the part cannot be decoded (then `bytes` holds it still encoded).
    pub problem: Option<String>,
}

/// The documents of a parsed message (`raw` is the message it was parsed from).
pub fn documents(msg: &mail_parser::Message<'_>, raw: &[u8]) -> Vec<Part> {
    let mut out = Vec::new();
    let mut body_candidate = None;
    for (i, part) in msg.parts.iter().enumerate() {
        if matches!(part.body, PartType::Multipart(_) | PartType::Message(_)) {
            continue;
        }
        let (ctype, subtype) = part
            .content_type()
            .map(|c| (c.ctype().to_ascii_lowercase(), c.subtype().unwrap_or("").to_ascii_lowercase()))
            .unwrap_or_else(|| ("text".into(), "plain".into()));
        let attachment = part.content_disposition().is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"));
        let name = part.attachment_name().map(str::to_string);
        if matches!(ctype.as_str(), "image" | "audio" | "video") || (ctype == "multipart") {
            continue;
        }
        let document_type = ctype == "application"
            || (ctype == "text" && matches!(subtype.as_str(), "xml" | "csv" | "edi-x12" | "edifact" | "x12"));
        if !(attachment || name.is_some() || document_type) {
            if ctype == "text" && subtype == "plain" && body_candidate.is_none() {
                body_candidate = Some(i);
            }
            continue;
        }
        let name = match name {
            Some(n) if !n.trim().is_empty() => crate::util::safe_file_name(n.trim()),
            _ => format!("attachment-{}", out.len() + 1),
        };
        out.push(decode(part, raw, name));
    }
    if out.is_empty() {
        if let Some(i) = body_candidate {
            let part = decode(&msg.parts[i], raw, "body.txt".into());
            // X12, EDIFACT or cXML in the body; a CSV is always an attachment
            // (any text with a comma would look like one).
            let format = crate::formats::detect(&part.bytes).as_str();
            if part.problem.is_none() && matches!(format, "x12" | "edifact" | "cxml") {
                out.push(part);
            }
        }
    }
    out
}

/// A part's bytes with its transfer encoding undone.
fn decode(part: &MessagePart<'_>, raw: &[u8], name: String) -> Part {
    if let PartType::Binary(b) | PartType::InlineBinary(b) = &part.body {
        // Decoded already, and never converted.
        return Part { name, bytes: b.to_vec(), problem: None };
    }
    let start = usize::try_from(part.offset_body).unwrap_or(usize::MAX).min(raw.len());
    let end = usize::try_from(part.offset_end).unwrap_or(usize::MAX).clamp(start, raw.len());
    let encoded = &raw[start..end];
    let cte = part.content_transfer_encoding().unwrap_or("7bit").trim().to_ascii_lowercase();
    match cte.as_str() {
        "base64" => {
            let clean: Vec<u8> = encoded.iter().copied().filter(|b| !b.is_ascii_whitespace()).collect();
            match base64::engine::general_purpose::STANDARD.decode(&clean) {
                Ok(bytes) => Part { name, bytes, problem: None },
                Err(e) => Part {
                    problem: Some(format!("attachment {name}: its base64 cannot be decoded ({e})")),
                    name,
                    bytes: encoded.to_vec(),
                },
            }
        }
        "quoted-printable" => Part { name, bytes: quoted_printable(encoded), problem: None },
        _ => Part { name, bytes: without_boundary_eol(encoded).to_vec(), problem: None },
    }
}

/// The line end before a boundary belongs to the boundary.
fn without_boundary_eol(b: &[u8]) -> &[u8] {
    let b = b.strip_suffix(b"\n").unwrap_or(b);
    b.strip_suffix(b"\r").unwrap_or(b)
}

/// Quoted-printable (RFC 2045 6.7): `=XX` and soft line breaks; a bad
/// escape is kept as it stands.
pub fn quoted_printable(s: &[u8]) -> Vec<u8> {
    let s = without_boundary_eol(s);
    let hex = |b: u8| (b as char).to_digit(16).and_then(|d| u8::try_from(d).ok());
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'=' {
            if s.get(i + 1) == Some(&b'\r') && s.get(i + 2) == Some(&b'\n') {
                i += 3;
                continue;
            }
            if s.get(i + 1) == Some(&b'\n') {
                i += 2;
                continue;
            }
            if let (Some(h), Some(l)) = (s.get(i + 1).copied().and_then(hex), s.get(i + 2).copied().and_then(hex)) {
                out.push(h << 4 | l);
                i += 3;
                continue;
            }
        }
        out.push(s[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(raw: &str) -> Vec<Part> {
        let msg = mail_parser::MessageParser::default().parse(raw.as_bytes()).unwrap();
        documents(&msg, raw.as_bytes())
    }

    #[test]
    fn attachments_are_taken_byte_for_byte() {
        let raw = "From: a@shop.example\r\nSubject: PO\r\nMIME-Version: 1.0\r\n\
                   Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n\
                   --b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
                   --b1\r\nContent-Type: text/csv; charset=windows-1252\r\nContent-Disposition: attachment; filename=\"po.csv\"\r\n\
                   Content-Transfer-Encoding: base64\r\n\r\ncG8sc2t1LHF0eQpXLTEsTEFNUCwyCuk=\r\n\
                   --b1\r\nContent-Type: application/EDI-X12; name=po.edi\r\nContent-Transfer-Encoding: 7bit\r\n\r\nISA*00*~\r\nIEA*1~\r\n\
                   --b1\r\nContent-Type: image/png; name=logo.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n\
                   --b1--\r\n";
        let p = parts(raw);
        assert_eq!(p.len(), 2, "{p:?}");
        assert_eq!(p[0].name, "po.csv");
        assert_eq!(p[0].bytes, b"po,sku,qty\nW-1,LAMP,2\n\xe9", "no charset conversion");
        assert_eq!(p[1].name, "po.edi");
        assert_eq!(p[1].bytes, b"ISA*00*~\r\nIEA*1~");
    }

    #[test]
    fn a_body_that_is_a_document_is_taken_when_nothing_is_attached() {
        let p = parts("From: a@shop.example\r\n\r\nISA*00*          *00*\r\n");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].name, "body.txt");
        assert!(parts("From: a@shop.example\r\n\r\nHello, no order here.\r\n").is_empty());
    }

    #[test]
    fn broken_base64_is_reported() {
        let raw = "From: a@shop.example\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\
                   Content-Type: application/octet-stream; name=x.edi\r\nContent-Transfer-Encoding: base64\r\n\r\n\
                   !!!not base64!!!\r\n--b--\r\n";
        let p = parts(raw);
        assert_eq!(p.len(), 1);
        // mail-parser decodes binary parts itself; either way nothing panics and the part is there.
        assert_eq!(p[0].name, "x.edi");
    }

    #[test]
    fn quoted_printable_decodes() {
        assert_eq!(quoted_printable(b"a=3Db=\r\nc=ZZ=4"), b"a=bc=ZZ=4");
    }
}
