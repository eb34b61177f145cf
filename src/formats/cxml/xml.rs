//! A small, bounded XML tree for cXML, built on quick-xml's pull reader.
//!
//! Nothing from a DTD is ever read, fetched or expanded: a DOCTYPE that
//! names an external DTD is noted and ignored, one with an internal subset
//! (where entities are declared) is refused, and any entity other than the
//! five predefined ones and character references is an error. Size, depth,
//! element count, attribute count and text length are capped, each with
//! its own error, so hostile documents (billion laughs, external entities,
//! huge text nodes, deep nesting) are refused in bounded time and memory.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::fmt;

/// Caps on what a document may hold.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub max_bytes: usize,
    pub max_depth: usize,
    pub max_elements: usize,
    pub max_attributes: usize,
    pub max_text: usize,
}

impl Default for Limits {
    /// Generous for real orders (a 5,000-line OrderRequest is ~5 MB).
    fn default() -> Self {
        Limits { max_bytes: 16 << 20, max_depth: 64, max_elements: 200_000, max_attributes: 64, max_text: 1 << 20 }
    }
}

/// Why a document was refused, with the line where it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct XmlError {
    /// 1-based; 0 when not about a place in the text.
    pub line: usize,
    pub message: String,
}

impl fmt::Display for XmlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for XmlError {}

/// An element: local name (prefix dropped), attributes, text, children.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Element>,
    pub line: usize,
}

impl Element {
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
    /// The element at a path of child names.
    pub fn at(&self, path: &[&str]) -> Option<&Element> {
        path.iter().try_fold(self, |e, name| e.child(name))
    }
    /// The trimmed text of the element at `path`, when not empty.
    pub fn text_at(&self, path: &[&str]) -> Option<&str> {
        self.at(path).map(|e| e.text.trim()).filter(|t| !t.is_empty())
    }
}

/// The document: its root element, and the DTD its DOCTYPE names (never read).
#[derive(Clone, Debug, Default)]
pub struct Document {
    pub root: Element,
    pub doctype: Option<String>,
    /// The encoding the text was read in.
    pub encoding: &'static str,
}

/// The encoding of a document: its byte order mark, else its XML
/// declaration, else UTF-8 when the bytes are UTF-8, else `fallback`.
fn decode(bytes: &[u8], fallback: Option<&'static encoding_rs::Encoding>) -> Result<(String, &'static str), XmlError> {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, bad) = enc.decode_without_bom_handling(&bytes[bom..]);
        if bad {
            return Err(XmlError {
                line: 0,
                message: format!("bytes that are not {} after its byte order mark", enc.name()),
            });
        }
        return Ok((text.into_owned(), enc.name()));
    }
    let head = &bytes[..bytes.len().min(200)];
    let declared = if head.starts_with(b"<?xml") {
        let end = head.iter().position(|&b| b == b'>').unwrap_or(head.len());
        let decl = String::from_utf8_lossy(&head[..end]).into_owned();
        decl.find("encoding").and_then(|i| {
            let rest = &decl[i + 8..];
            let rest = rest.trim_start().strip_prefix('=')?.trim_start();
            let quote = rest.chars().next().filter(|q| *q == '"' || *q == '\'')?;
            let rest = &rest[1..];
            Some(rest[..rest.find(quote)?].to_string())
        })
    } else {
        None
    };
    let enc = match &declared {
        Some(label) => encoding_rs::Encoding::for_label(label.trim().as_bytes()).ok_or_else(|| XmlError {
            line: 1,
            message: format!("the declared encoding {label:?} is not one dropgate knows"),
        })?,
        None => match std::str::from_utf8(bytes) {
            Ok(s) => return Ok((s.to_string(), "UTF-8")),
            Err(e) => match fallback {
                Some(enc) => enc,
                None => {
                    let line = 1 + bytes[..e.valid_up_to()].iter().filter(|&&b| b == b'\n').count();
                    return Err(XmlError {
                        line,
                        message: "bytes that are not UTF-8, and no encoding is declared (set the retailer's \
                                  encoding, or have it declare one in <?xml … encoding=\"…\"?>)"
                            .into(),
                    });
                }
            },
        },
    };
    let (text, bad) = enc.decode_without_bom_handling(bytes);
    if bad {
        return Err(XmlError { line: 0, message: format!("bytes that are not {}", enc.name()) });
    }
    Ok((text.into_owned(), enc.name()))
}

fn line_of(text: &str, pos: u64) -> usize {
    let pos = usize::try_from(pos).unwrap_or(usize::MAX).min(text.len());
    1 + memchr::memchr_iter(b'\n', &text.as_bytes()[..pos]).count()
}

fn local(name: &str) -> String {
    match name.rfind(':') {
        Some(i) => name[i + 1..].to_string(),
        None => name.to_string(),
    }
}

/// Reads a document within `limits`.
pub fn parse(
    bytes: &[u8],
    limits: &Limits,
    fallback: Option<&'static encoding_rs::Encoding>,
) -> Result<Document, XmlError> {
    if bytes.len() > limits.max_bytes {
        return Err(XmlError {
            line: 0,
            message: format!("the document has {} bytes; at most {} are read", bytes.len(), limits.max_bytes),
        });
    }
    let (text, encoding) = decode(bytes, fallback)?;
    let mut reader = Reader::from_str(&text);
    reader.config_mut().check_end_names = true;
    let err =
        |reader: &Reader<&[u8]>, message: String| XmlError { line: line_of(&text, reader.buffer_position()), message };
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut doctype = None;
    let mut elements = 0usize;
    loop {
        let pos = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| XmlError { line: line_of(&text, pos), message: format!("not well-formed XML: {e}") })?;
        match event {
            Event::Start(ref s) | Event::Empty(ref s) => {
                if root.is_some() {
                    return Err(err(&reader, "content after the root element".into()));
                }
                elements += 1;
                if elements > limits.max_elements {
                    return Err(err(&reader, format!("more than {} elements", limits.max_elements)));
                }
                if stack.len() >= limits.max_depth {
                    return Err(err(&reader, format!("elements nested deeper than {} levels", limits.max_depth)));
                }
                let mut el =
                    Element { name: local(s.name().as_ref()), line: line_of(&text, pos), ..Element::default() };
                for a in s.attributes() {
                    let a = a.map_err(|e| err(&reader, format!("bad attribute: {e}")))?;
                    if el.attrs.len() >= limits.max_attributes {
                        return Err(err(
                            &reader,
                            format!("more than {} attributes on <{}>", limits.max_attributes, el.name),
                        ));
                    }
                    let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).map_err(|e| {
                        err(&reader, format!("attribute {}: {e} (DTD entities are not read)", local(a.key.as_ref())))
                    })?;
                    if value.len() > limits.max_text {
                        return Err(err(&reader, format!("an attribute longer than {} bytes", limits.max_text)));
                    }
                    let key = a.key.as_ref().to_string();
                    let key =
                        if key.starts_with("xml:") || key.starts_with("xmlns") { key } else { local(a.key.as_ref()) };
                    el.attrs.push((key, value.into_owned()));
                }
                if matches!(event, Event::Empty(_)) {
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(el),
                        None => root = Some(el),
                    }
                } else {
                    stack.push(el);
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(err(&reader, "an end tag without a start".into()));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                push_text(&mut stack, &s, limits, &reader, &text)?;
            }
            Event::CData(c) => {
                let s = c.xml10_content().into_owned();
                push_text(&mut stack, &s, limits, &reader, &text)?;
            }
            Event::GeneralRef(r) => {
                let s: String = if r.is_char_ref() {
                    match r.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => return Err(err(&reader, format!("&{}; is not a character", r.xml10_content()))),
                    }
                } else {
                    match r.xml10_content().as_ref() {
                        "amp" => "&".into(),
                        "lt" => "<".into(),
                        "gt" => ">".into(),
                        "apos" => "'".into(),
                        "quot" => "\"".into(),
                        other => {
                            return Err(err(
                                &reader,
                                format!(
                                "entity &{other}; is not one of XML's five (DTD entities are never read or expanded)"
                            ),
                            ))
                        }
                    }
                };
                push_text(&mut stack, &s, limits, &reader, &text)?;
            }
            Event::DocType(d) => {
                let content = d.xml10_content();
                if content.contains('[') {
                    return Err(err(
                        &reader,
                        "a DOCTYPE with an internal subset (entity or element declarations) is refused: DTDs are never read"
                            .into(),
                    ));
                }
                doctype = content.split(['"', '\'']).nth(1).map(|s| s.rsplit('/').next().unwrap_or(s).to_string());
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError {
            line: line_of(&text, text.len() as u64),
            message: format!("<{}> is not closed", stack[stack.len() - 1].name),
        });
    }
    let root = root.ok_or(XmlError { line: 0, message: "no root element".into() })?;
    Ok(Document { root, doctype, encoding })
}

fn push_text(
    stack: &mut [Element],
    s: &str,
    limits: &Limits,
    reader: &Reader<&[u8]>,
    text: &str,
) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(el) => {
            if el.text.len() + s.len() > limits.max_text {
                return Err(XmlError {
                    line: line_of(text, reader.buffer_position()),
                    message: format!("text in <{}> longer than {} bytes", el.name, limits.max_text),
                });
            }
            el.text.push_str(s);
            Ok(())
        }
        None if s.trim().is_empty() => Ok(()),
        None => Err(XmlError {
            line: line_of(text, reader.buffer_position()),
            message: "text outside the root element".into(),
        }),
    }
}

/// Writes XML text, escaped.
pub fn escape(s: &str, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\r' | '\t') => {}
            c => out.push(c),
        }
    }
}

/// A small writer of indented XML.
pub struct Writer {
    pub out: String,
    open: Vec<&'static str>,
}

impl Writer {
    pub fn new(doctype_dtd: &str) -> Writer {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        out.push_str(&format!("<!DOCTYPE cXML SYSTEM \"http://xml.cxml.org/schemas/cXML/1.2.063/{doctype_dtd}\">\n"));
        Writer { out, open: Vec::new() }
    }

    fn indent(&mut self) {
        for _ in 0..self.open.len() {
            self.out.push_str("  ");
        }
    }

    fn tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            escape(v, &mut self.out);
            self.out.push('"');
        }
    }

    pub fn open(&mut self, name: &'static str, attrs: &[(&str, &str)]) {
        self.indent();
        self.tag(name, attrs);
        self.out.push_str(">\n");
        self.open.push(name);
    }

    pub fn close(&mut self) {
        if let Some(name) = self.open.pop() {
            self.indent();
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    pub fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.indent();
        self.tag(name, attrs);
        if text.is_empty() {
            self.out.push_str("/>\n");
        } else {
            self.out.push('>');
            escape(text, &mut self.out);
            self.out.push_str("</");
            self.out.push_str(name);
            self.out.push_str(">\n");
        }
    }

    pub fn finish(mut self) -> Vec<u8> {
        while !self.open.is_empty() {
            self.close();
        }
        self.out.into_bytes()
    }
}
