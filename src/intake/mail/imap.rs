//! A small IMAP4rev1 client (RFC 3501, with MOVE, UIDPLUS and IDLE where
//! the server offers them): just what the orders mailbox needs. Blocking
//! I/O with time limits, on the mail intake's own thread.
//!
//! Responses are framed ([`frame`]) and parsed ([`parse`]) by pure
//! functions that never panic on what a server sends: a line or literal
//! larger than the limit, a bad literal length or an unbalanced list is
//! an error naming what was wrong.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    #[error("IMAP connection: {0}")]
    Io(#[from] std::io::Error),
    #[error("IMAP server sent something unreadable: {0}")]
    Protocol(String),
    #[error("IMAP server refused {command}: {text}")]
    Refused { command: String, text: String },
    #[error("IMAP server closed the connection: {0}")]
    Bye(String),
    #[error("IMAP TLS: {0}")]
    Tls(String),
}

/// A value in a response.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An atom or number (a `[…]` section belongs to the atom: `BODY[]`).
    Atom(Vec<u8>),
    /// A quoted string or a literal.
    Bytes(Vec<u8>),
    List(Vec<Value>),
    Nil,
}

impl Value {
    pub fn atom(&self) -> Option<&[u8]> {
        match self {
            Value::Atom(a) => Some(a),
            _ => None,
        }
    }
    pub fn number(&self) -> Option<u64> {
        std::str::from_utf8(self.atom()?).ok()?.parse().ok()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Ok,
    No,
    Bad,
    Bye,
    Preauth,
}

/// One response of the server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Response {
    /// The end of a command: `A1 OK [code] text`.
    Tagged { tag: Vec<u8>, status: Status, code: Option<String>, text: String },
    /// `* OK …`, `* BYE …`.
    Status { status: Status, code: Option<String>, text: String },
    /// `* 3 EXISTS`, `* 4 FETCH (…)`, `* SEARCH 1 2`, `* CAPABILITY …`.
    Data { number: Option<u64>, kind: String, values: Vec<Value> },
    /// `+ …`.
    Continue(String),
}

/// The length of the first complete response in `buf` (a line, and the
/// literals it announces with the lines after them), `None` while more is
/// needed. A response longer than `max` is an error.
pub fn frame(buf: &[u8], max: usize) -> Result<Option<usize>, ImapError> {
    let mut pos = 0;
    loop {
        let Some(nl) = memchr::memchr(b'\n', &buf[pos..]) else {
            if buf.len() > max {
                return Err(ImapError::Protocol(format!("a response longer than {max} bytes")));
            }
            return Ok(None);
        };
        let line_end = pos + nl + 1;
        let line = &buf[pos..pos + nl];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match literal_len(line)? {
            Some(n) => {
                let total = line_end.checked_add(n).filter(|&t| t <= max).ok_or_else(|| {
                    ImapError::Protocol(format!("a literal of {n} bytes is more than the {max} taken"))
                })?;
                if buf.len() < total {
                    return Ok(None);
                }
                pos = total;
            }
            None => return Ok(Some(line_end)),
        }
        if pos > max {
            return Err(ImapError::Protocol(format!("a response longer than {max} bytes")));
        }
    }
}

/// `{123}` (or `{123+}`) at the end of a line: the literal's length.
fn literal_len(line: &[u8]) -> Result<Option<usize>, ImapError> {
    let Some(body) = line.strip_suffix(b"}") else { return Ok(None) };
    let Some(open) = body.iter().rposition(|&b| b == b'{') else { return Ok(None) };
    let digits = body[open + 1..].strip_suffix(b"+").unwrap_or(&body[open + 1..]);
    if digits.is_empty() || digits.len() > 12 || !digits.iter().all(u8::is_ascii_digit) {
        // Text such as "{x}" at the end of a human-readable line.
        return Ok(None);
    }
    let n: usize = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse().ok())
        .ok_or_else(|| ImapError::Protocol("a literal length that is not a number".into()))?;
    Ok(Some(n))
}

/// Parses one framed response.
pub fn parse(raw: &[u8]) -> Result<Response, ImapError> {
    let bad = |what: &str| ImapError::Protocol(format!("{what}: {:?}", shown(raw)));
    let first = raw.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n').unwrap_or(raw.len());
    let (head, rest) = (&raw[..first], raw.get(first + 1..).unwrap_or_default());
    match head {
        b"+" => Ok(Response::Continue(line_text(rest))),
        b"*" => {
            let (word, after) = split_word(rest);
            if let Some(status) = status_of(word) {
                let (code, text) = code_and_text(after);
                return Ok(Response::Status { status, code, text });
            }
            let (number, kind, after) = match std::str::from_utf8(word).ok().and_then(|w| w.parse::<u64>().ok()) {
                Some(n) => {
                    let (k, a) = split_word(after);
                    (Some(n), k, a)
                }
                None => (None, word, after),
            };
            if kind.is_empty() {
                return Err(bad("an untagged response without a kind"));
            }
            let kind = String::from_utf8_lossy(kind).to_ascii_uppercase();
            let values = match values(after) {
                Ok(v) => v,
                // Only what dropgate reads must parse; other data is passed over.
                Err(e) if kind == "FETCH" || kind == "SEARCH" => return Err(e),
                Err(_) => Vec::new(),
            };
            Ok(Response::Data { number, kind, values })
        }
        tag if !tag.is_empty() && tag.iter().all(|b| b.is_ascii_graphic()) => {
            let (word, after) = split_word(rest);
            let status = status_of(word).ok_or_else(|| bad("a tagged response without OK, NO or BAD"))?;
            let (code, text) = code_and_text(after);
            Ok(Response::Tagged { tag: tag.to_vec(), status, code, text })
        }
        _ => Err(bad("not an IMAP response")),
    }
}

fn shown(raw: &[u8]) -> String {
    let s = String::from_utf8_lossy(&raw[..raw.len().min(120)]).into_owned();
    s.trim_end().to_string()
}

fn status_of(word: &[u8]) -> Option<Status> {
    match word.to_ascii_uppercase().as_slice() {
        b"OK" => Some(Status::Ok),
        b"NO" => Some(Status::No),
        b"BAD" => Some(Status::Bad),
        b"BYE" => Some(Status::Bye),
        b"PREAUTH" => Some(Status::Preauth),
        _ => None,
    }
}

fn split_word(s: &[u8]) -> (&[u8], &[u8]) {
    let end = s.iter().position(|&b| b == b' ' || b == b'\r' || b == b'\n').unwrap_or(s.len());
    let rest = s.get(end..).unwrap_or_default();
    (&s[..end], rest.strip_prefix(b" ").unwrap_or(rest))
}

fn line_text(s: &[u8]) -> String {
    String::from_utf8_lossy(s).trim_end_matches(['\r', '\n']).to_string()
}

/// `[CODE …] text` → (code, text).
fn code_and_text(s: &[u8]) -> (Option<String>, String) {
    let text = line_text(s);
    if let Some(inner) = text.strip_prefix('[') {
        if let Some(close) = inner.find(']') {
            return (Some(inner[..close].to_string()), inner[close + 1..].trim_start().to_string());
        }
    }
    (None, text)
}

/// The values of a response's data, to the end of the response.
pub fn values(s: &[u8]) -> Result<Vec<Value>, ImapError> {
    let mut p = Parser { s, pos: 0, depth: 0 };
    let mut out = Vec::new();
    loop {
        p.skip_space();
        if p.at_end() {
            return Ok(out);
        }
        out.push(p.value()?);
    }
}

struct Parser<'a> {
    s: &'a [u8],
    pos: usize,
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> ImapError {
        ImapError::Protocol(format!("{what} at byte {}", self.pos))
    }
    fn at_end(&self) -> bool {
        self.pos >= self.s.len() || matches!(self.s[self.pos], b'\r' | b'\n') && self.rest_is_eol()
    }
    fn rest_is_eol(&self) -> bool {
        self.s[self.pos..].iter().all(|&b| b == b'\r' || b == b'\n')
    }
    fn skip_space(&mut self) {
        while self.pos < self.s.len() && self.s[self.pos] == b' ' {
            self.pos += 1;
        }
    }
    fn value(&mut self) -> Result<Value, ImapError> {
        let Some(&c) = self.s.get(self.pos) else { return Err(self.err("a value missing")) };
        match c {
            b'(' => {
                self.depth += 1;
                if self.depth > 32 {
                    return Err(self.err("lists nested too deep"));
                }
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.s.get(self.pos) {
                        None => return Err(self.err("a list not closed")),
                        Some(b')') => {
                            self.pos += 1;
                            self.depth -= 1;
                            return Ok(Value::List(items));
                        }
                        Some(b'\r' | b'\n') => return Err(self.err("a list not closed")),
                        Some(_) => items.push(self.value()?),
                    }
                }
            }
            b'"' => {
                self.pos += 1;
                let mut out = Vec::new();
                loop {
                    match self.s.get(self.pos) {
                        None | Some(b'\r' | b'\n') => return Err(self.err("a quoted string not closed")),
                        Some(b'"') => {
                            self.pos += 1;
                            return Ok(Value::Bytes(out));
                        }
                        Some(b'\\') => {
                            let Some(&e) = self.s.get(self.pos + 1) else {
                                return Err(self.err("a quoted string not closed"));
                            };
                            out.push(e);
                            self.pos += 2;
                        }
                        Some(&b) => {
                            out.push(b);
                            self.pos += 1;
                        }
                    }
                }
            }
            b'{' => {
                let close = memchr::memchr(b'}', &self.s[self.pos..]).ok_or_else(|| self.err("a literal without }"))?;
                let spec = &self.s[self.pos + 1..self.pos + close];
                let spec = spec.strip_suffix(b"+").unwrap_or(spec);
                let n: usize = std::str::from_utf8(spec)
                    .ok()
                    .filter(|d| !d.is_empty() && d.len() <= 12 && d.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|d| d.parse().ok())
                    .ok_or_else(|| self.err("a literal length that is not a number"))?;
                let mut at = self.pos + close + 1;
                if self.s.get(at) == Some(&b'\r') {
                    at += 1;
                }
                if self.s.get(at) != Some(&b'\n') {
                    return Err(self.err("a literal not followed by a line end"));
                }
                at += 1;
                let end =
                    at.checked_add(n).filter(|&e| e <= self.s.len()).ok_or_else(|| self.err("a literal cut short"))?;
                self.pos = end;
                Ok(Value::Bytes(self.s[at..end].to_vec()))
            }
            b')' => Err(self.err("a ) without (")),
            _ => {
                let start = self.pos;
                let mut bracket = 0usize;
                while let Some(&b) = self.s.get(self.pos) {
                    match b {
                        b'[' => bracket += 1,
                        b']' if bracket > 0 => bracket -= 1,
                        b' ' | b'(' | b')' | b'\r' | b'\n' if bracket == 0 => break,
                        b'\r' | b'\n' => return Err(self.err("a [ not closed")),
                        b'"' | b'{' if bracket == 0 => break,
                        _ => {}
                    }
                    self.pos += 1;
                }
                if bracket > 0 {
                    return Err(self.err("a [ not closed"));
                }
                let atom = &self.s[start..self.pos];
                if atom.is_empty() {
                    return Err(self.err("an empty atom"));
                }
                if atom.eq_ignore_ascii_case(b"NIL") {
                    Ok(Value::Nil)
                } else {
                    Ok(Value::Atom(atom.to_vec()))
                }
            }
        }
    }
}

/// An IMAP string argument: an atom when it can be one, a quoted string
/// when it is printable ASCII, else a literal (sent after the server's `+`).
pub enum Arg<'a> {
    Raw(&'a str),
    Str(&'a str),
}

fn is_atom_char(b: u8) -> bool {
    b.is_ascii_graphic() && !matches!(b, b'(' | b')' | b'{' | b'%' | b'*' | b'"' | b'\\' | b']')
}

/// A fetched message.
#[derive(Clone, Debug)]
pub struct Fetched {
    pub uid: u32,
    pub bytes: Vec<u8>,
}

/// The pieces of one `FETCH` response: UID, RFC822.SIZE, BODY[].
pub fn fetch_items(values: &[Value]) -> (Option<u32>, Option<u64>, Option<&[u8]>) {
    let (mut uid, mut size, mut body) = (None, None, None);
    if let Some(Value::List(items)) = values.first() {
        for pair in items.chunks(2) {
            let [Value::Atom(k), v] = pair else { continue };
            match k.to_ascii_uppercase().as_slice() {
                b"UID" => uid = v.number().and_then(|n| u32::try_from(n).ok()),
                b"RFC822.SIZE" => size = v.number(),
                b"BODY[]" => {
                    if let Value::Bytes(b) = v {
                        body = Some(&b[..]);
                    }
                }
                _ => {}
            }
        }
    }
    (uid, size, body)
}

/// A compact UID set: `1:3,7`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut v = uids.to_vec();
    v.sort_unstable();
    v.dedup();
    let mut out = String::new();
    let mut i = 0;
    while i < v.len() {
        let mut j = i;
        while j + 1 < v.len() && v[j + 1] == v[j] + 1 {
            j += 1;
        }
        if !out.is_empty() {
            out.push(',');
        }
        if j > i {
            out.push_str(&format!("{}:{}", v[i], v[j]));
        } else {
            out.push_str(&v[i].to_string());
        }
        i = j + 1;
    }
    out
}

/// How the connection is protected, and whom it trusts.
#[derive(Clone, Debug)]
pub struct Tls {
    pub mode: crate::config::MailTls,
    /// PEM certificates trusted besides the public roots (a private CA).
    pub ca_file: Option<std::path::PathBuf>,
}

impl Tls {
    /// Plain IMAP.
    pub fn none() -> Tls {
        Tls { mode: crate::config::MailTls::None, ca_file: None }
    }

    fn config(&self) -> Result<std::sync::Arc<rustls::ClientConfig>, ImapError> {
        let mut roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        if let Some(path) = &self.ca_file {
            use rustls::pki_types::pem::PemObject;
            let certs: Vec<_> = rustls::pki_types::CertificateDer::pem_file_iter(path)
                .and_then(|it| it.collect::<Result<Vec<_>, _>>())
                .map_err(|e| ImapError::Tls(format!("mail.ca_file {}: {e}", path.display())))?;
            if certs.is_empty() {
                return Err(ImapError::Tls(format!("mail.ca_file {}: no certificate in it", path.display())));
            }
            for c in certs {
                roots.add(c).map_err(|e| ImapError::Tls(format!("mail.ca_file {}: {e}", path.display())))?;
            }
        }
        let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| ImapError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(std::sync::Arc::new(config))
    }
}

/// The connection: plain, or TLS over it.
enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(t) => &t.sock,
        }
    }

    fn set_read_timeout(&self, t: Option<Duration>) -> std::io::Result<()> {
        self.tcp().set_read_timeout(t)
    }

    /// Wraps a plain connection in TLS to `host` (the handshake happens
    /// with the first read or write).
    fn secure(self, tls: &Tls, host: &str) -> Result<Stream, ImapError> {
        let Stream::Plain(tcp) = self else { return Ok(self) };
        let name = rustls::pki_types::ServerName::try_from(host.to_string())
            .map_err(|e| ImapError::Tls(format!("{host:?} cannot be checked against a certificate: {e}")))?;
        let conn = rustls::ClientConnection::new(tls.config()?, name).map_err(|e| ImapError::Tls(e.to_string()))?;
        Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(conn, tcp))))
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            Stream::Tls(t) => t.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(t) => t.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(t) => t.flush(),
        }
    }
}

/// A connection to the server.
pub struct Client {
    stream: Stream,
    buf: Vec<u8>,
    next_tag: u32,
    max: usize,
    timeout: Duration,
    pub capabilities: HashSet<String>,
    /// New messages were announced (`* N EXISTS`) since this was last cleared.
    pub changed: bool,
}

impl Client {
    /// Connects and reads the greeting. `max_response` bounds every
    /// response (a fetched message with its framing).
    pub fn connect(
        host: &str,
        port: u16,
        tls: &Tls,
        timeout: Duration,
        max_response: usize,
    ) -> Result<Client, ImapError> {
        use crate::config::MailTls;
        use std::net::ToSocketAddrs;
        let addrs: Vec<_> = (host, port).to_socket_addrs()?.collect();
        let mut last = None;
        let mut stream = None;
        for a in addrs {
            match TcpStream::connect_timeout(&a, timeout) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) => last = Some(e),
            }
        }
        let stream = stream.ok_or_else(|| {
            ImapError::Io(last.unwrap_or_else(|| std::io::Error::other(format!("{host} has no address"))))
        })?;
        stream.set_nodelay(true)?;
        stream.set_write_timeout(Some(timeout))?;
        let mut stream = Stream::Plain(stream);
        if tls.mode == MailTls::Tls {
            stream = stream.secure(tls, host)?;
        }
        let mut c = Client {
            stream,
            buf: Vec::new(),
            next_tag: 1,
            max: max_response,
            timeout,
            capabilities: HashSet::new(),
            changed: false,
        };
        let deadline = Instant::now() + timeout;
        match c.read(deadline)? {
            Some(Response::Status { status: Status::Ok | Status::Preauth, code, .. }) => {
                if let Some(code) = code {
                    c.note_capabilities_code(&code);
                }
            }
            Some(Response::Status { status: Status::Bye, text, .. }) => return Err(ImapError::Bye(text)),
            Some(other) => return Err(ImapError::Protocol(format!("unexpected greeting {other:?}"))),
            None => return Err(ImapError::Protocol("no greeting in time".into())),
        }
        if tls.mode == MailTls::Starttls {
            if !c.capabilities.is_empty() && !c.has("STARTTLS") {
                return Err(ImapError::Tls("the server does not offer STARTTLS".into()));
            }
            c.command(&[Arg::Raw("STARTTLS")])?;
            if !c.buf.is_empty() {
                return Err(ImapError::Protocol("data after the answer to STARTTLS, before the handshake".into()));
            }
            let placeholder = Stream::Plain(c.stream.tcp().try_clone()?);
            let plain = std::mem::replace(&mut c.stream, placeholder);
            c.stream = plain.secure(tls, host)?;
            // What was said before the handshake counts no more.
            c.capabilities.clear();
            c.command(&[Arg::Raw("CAPABILITY")])?;
        }
        Ok(c)
    }

    fn note_capabilities_code(&mut self, code: &str) {
        let mut words = code.split_ascii_whitespace();
        if words.next().is_some_and(|w| w.eq_ignore_ascii_case("CAPABILITY")) {
            self.capabilities = words.map(str::to_ascii_uppercase).collect();
        }
    }

    pub fn has(&self, cap: &str) -> bool {
        self.capabilities.contains(cap)
    }

    /// Reads one response; `None` when the deadline passes first.
    fn read(&mut self, deadline: Instant) -> Result<Option<Response>, ImapError> {
        loop {
            if let Some(n) = frame(&self.buf, self.max)? {
                let raw: Vec<u8> = self.buf.drain(..n).collect();
                return parse(&raw).map(Some);
            }
            let now = Instant::now();
            if now >= deadline {
                return Ok(None);
            }
            self.stream.set_read_timeout(Some((deadline - now).max(Duration::from_millis(1))))?;
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) => return Err(ImapError::Bye("the connection was closed".into())),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
                    return Ok(None)
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads one response within the connection's time limit.
    fn read_now(&mut self) -> Result<Response, ImapError> {
        let deadline = Instant::now() + self.timeout;
        self.read(deadline)?.ok_or_else(|| {
            ImapError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer from the IMAP server in time"))
        })
    }

    /// Sends a command and reads until its end; the untagged data it brought.
    pub fn command(&mut self, args: &[Arg<'_>]) -> Result<Vec<Response>, ImapError> {
        let tag = format!("A{}", self.next_tag);
        self.next_tag += 1;
        let mut line = tag.clone().into_bytes();
        let name = match args.first() {
            Some(Arg::Raw(r)) => r.split(' ').take(2).collect::<Vec<_>>().join(" "),
            _ => "command".to_string(),
        };
        for a in args {
            line.push(b' ');
            match a {
                Arg::Raw(r) => line.extend_from_slice(r.as_bytes()),
                Arg::Str(s) if !s.is_empty() && s.bytes().all(is_atom_char) => line.extend_from_slice(s.as_bytes()),
                Arg::Str(s) if s.bytes().all(|b| (0x20..0x7f).contains(&b)) => {
                    line.push(b'"');
                    for b in s.bytes() {
                        if b == b'"' || b == b'\\' {
                            line.push(b'\\');
                        }
                        line.push(b);
                    }
                    line.push(b'"');
                }
                Arg::Str(s) => {
                    line.extend_from_slice(format!("{{{}}}\r\n", s.len()).as_bytes());
                    self.stream.write_all(&line)?;
                    line.clear();
                    match self.read_now()? {
                        Response::Continue(_) => {}
                        Response::Tagged { text, .. } => return Err(ImapError::Refused { command: name, text }),
                        other => return Err(ImapError::Protocol(format!("expected +, got {other:?}"))),
                    }
                    line.extend_from_slice(s.as_bytes());
                }
            }
        }
        line.extend_from_slice(b"\r\n");
        self.stream.write_all(&line)?;
        self.finish(&tag, &name)
    }

    fn finish(&mut self, tag: &str, name: &str) -> Result<Vec<Response>, ImapError> {
        let mut data = Vec::new();
        loop {
            match self.read_now()? {
                Response::Tagged { tag: t, status, code, text } if t == tag.as_bytes() => {
                    if let Some(c) = &code {
                        self.note_capabilities_code(c);
                    }
                    return match status {
                        Status::Ok => Ok(data),
                        _ => Err(ImapError::Refused {
                            command: name.to_string(),
                            text: code.map_or(text.clone(), |c| format!("[{c}] {text}")),
                        }),
                    };
                }
                Response::Status { status: Status::Bye, text, .. } if name != "LOGOUT" => {
                    return Err(ImapError::Bye(text))
                }
                Response::Data { kind, .. } if kind == "EXISTS" => self.changed = true,
                Response::Data { kind, values, .. } if kind == "CAPABILITY" => {
                    self.capabilities = values
                        .iter()
                        .filter_map(|v| v.atom().map(|a| String::from_utf8_lossy(a).to_ascii_uppercase()))
                        .collect();
                }
                other => data.push(other),
            }
        }
    }

    pub fn login(&mut self, user: &str, password: &str) -> Result<(), ImapError> {
        if self.has("LOGINDISABLED") {
            return Err(ImapError::Refused {
                command: "LOGIN".into(),
                text: "the server allows no login on a connection without TLS".into(),
            });
        }
        self.command(&[Arg::Raw("LOGIN"), Arg::Str(user), Arg::Str(password)])?;
        if self.capabilities.is_empty() || !self.has("IMAP4REV1") {
            self.command(&[Arg::Raw("CAPABILITY")])?;
        }
        Ok(())
    }

    /// Creates a folder unless it exists.
    pub fn ensure_folder(&mut self, name: &str) -> Result<(), ImapError> {
        match self.command(&[Arg::Raw("CREATE"), Arg::Str(name)]) {
            Ok(_) => Ok(()),
            Err(ImapError::Refused { .. }) => {
                // Exists already (or cannot be made: then the move says so).
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    pub fn select(&mut self, name: &str) -> Result<(), ImapError> {
        self.command(&[Arg::Raw("SELECT"), Arg::Str(name)]).map(|_| ())
    }

    /// The UIDs of the messages not marked deleted, oldest first.
    pub fn search_undeleted(&mut self) -> Result<Vec<u32>, ImapError> {
        let data = self.command(&[Arg::Raw("UID SEARCH UNDELETED")])?;
        let mut uids: Vec<u32> = data
            .iter()
            .filter_map(|r| match r {
                Response::Data { kind, values, .. } if kind == "SEARCH" => Some(values),
                _ => None,
            })
            .flatten()
            .filter_map(|v| v.number().and_then(|n| u32::try_from(n).ok()))
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The sizes of these messages, by UID.
    pub fn sizes(&mut self, uids: &[u32]) -> Result<Vec<(u32, u64)>, ImapError> {
        let cmd = format!("UID FETCH {} (UID RFC822.SIZE)", uid_set(uids));
        let data = self.command(&[Arg::Raw(&cmd)])?;
        Ok(data
            .iter()
            .filter_map(|r| match r {
                Response::Data { kind, values, .. } if kind == "FETCH" => match fetch_items(values) {
                    (Some(u), Some(s), _) => Some((u, s)),
                    _ => None,
                },
                _ => None,
            })
            .collect())
    }

    /// One message, whole, without marking it seen.
    pub fn fetch(&mut self, uid: u32) -> Result<Option<Fetched>, ImapError> {
        let cmd = format!("UID FETCH {uid} (UID BODY.PEEK[])");
        let data = self.command(&[Arg::Raw(&cmd)])?;
        for r in &data {
            if let Response::Data { kind, values, .. } = r {
                if kind == "FETCH" {
                    if let (Some(u), _, Some(body)) = fetch_items(values) {
                        if u == uid {
                            return Ok(Some(Fetched { uid, bytes: body.to_vec() }));
                        }
                    }
                }
            }
        }
        Ok(None)
    }

    /// Moves messages to another folder: `UID MOVE` when offered, else
    /// COPY, STORE \Deleted and (UID) EXPUNGE.
    pub fn move_to(&mut self, uids: &[u32], folder: &str) -> Result<(), ImapError> {
        if uids.is_empty() {
            return Ok(());
        }
        let set = uid_set(uids);
        if self.has("MOVE") {
            self.command(&[Arg::Raw(&format!("UID MOVE {set}")), Arg::Str(folder)])?;
            return Ok(());
        }
        self.command(&[Arg::Raw(&format!("UID COPY {set}")), Arg::Str(folder)])?;
        self.command(&[Arg::Raw(&format!("UID STORE {set} +FLAGS.SILENT (\\Deleted)"))])?;
        if self.has("UIDPLUS") {
            self.command(&[Arg::Raw(&format!("UID EXPUNGE {set}"))])?;
        } else {
            self.command(&[Arg::Raw("EXPUNGE")])?;
        }
        Ok(())
    }

    /// Waits with IDLE until the folder changes (`true`), `wait` passes or
    /// `stop()` turns true (`false`).
    pub fn idle(&mut self, wait: Duration, stop: &dyn Fn() -> bool) -> Result<bool, ImapError> {
        let tag = format!("A{}", self.next_tag);
        self.next_tag += 1;
        self.stream.write_all(format!("{tag} IDLE\r\n").as_bytes())?;
        match self.read_now()? {
            Response::Continue(_) => {}
            Response::Tagged { text, .. } => return Err(ImapError::Refused { command: "IDLE".into(), text }),
            other => return Err(ImapError::Protocol(format!("expected + after IDLE, got {other:?}"))),
        }
        let end = Instant::now() + wait;
        let mut changed = false;
        while !changed && Instant::now() < end && !stop() {
            let tick = (Instant::now() + Duration::from_millis(250)).min(end);
            match self.read(tick)? {
                Some(Response::Data { kind, .. }) if kind == "EXISTS" || kind == "RECENT" => changed = true,
                Some(Response::Status { status: Status::Bye, text, .. }) => return Err(ImapError::Bye(text)),
                _ => {}
            }
        }
        self.stream.write_all(b"DONE\r\n")?;
        self.finish(&tag, "IDLE")?;
        Ok(changed)
    }

    pub fn logout(mut self) {
        let _ = self.command(&[Arg::Raw("LOGOUT")]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &[u8]) -> Response {
        let n = frame(raw, 1 << 20).unwrap().expect("a complete response");
        parse(&raw[..n]).unwrap()
    }

    #[test]
    fn responses_with_literals() {
        let raw = b"* 12 FETCH (UID 7 RFC822.SIZE 12 BODY[] {12}\r\nHello\r\nWorld)\r\nA3 OK done\r\n";
        let n = frame(raw, 1 << 20).unwrap().unwrap();
        assert_eq!(&raw[n..], b"A3 OK done\r\n");
        let Response::Data { number, kind, values } = parse(&raw[..n]).unwrap() else { panic!() };
        assert_eq!((number, kind.as_str()), (Some(12), "FETCH"));
        let (uid, size, body) = fetch_items(&values);
        assert_eq!((uid, size, body), (Some(7), Some(12), Some(&b"Hello\r\nWorld"[..])));
        // Not complete until the literal is.
        assert_eq!(frame(&raw[..40], 1 << 20).unwrap(), None);
        assert_eq!(frame(b"* 1 FETCH (BODY[] {5}\r\nab", 1 << 20).unwrap(), None);
    }

    #[test]
    fn untagged_and_tagged_responses() {
        assert_eq!(
            one(b"* OK [CAPABILITY IMAP4rev1 IDLE MOVE] Dovecot ready.\r\n"),
            Response::Status {
                status: Status::Ok,
                code: Some("CAPABILITY IMAP4rev1 IDLE MOVE".into()),
                text: "Dovecot ready.".into()
            }
        );
        assert_eq!(
            one(b"* SEARCH 1 2 10\r\n"),
            Response::Data {
                number: None,
                kind: "SEARCH".into(),
                values: vec![Value::Atom(b"1".to_vec()), Value::Atom(b"2".to_vec()), Value::Atom(b"10".to_vec())]
            }
        );
        assert_eq!(one(b"* 3 EXISTS\r\n"), Response::Data { number: Some(3), kind: "EXISTS".into(), values: vec![] });
        assert_eq!(one(b"+ idling\r\n"), Response::Continue("idling".into()));
        assert_eq!(
            one(b"A1 NO [ALREADYEXISTS] Mailbox exists\r\n"),
            Response::Tagged {
                tag: b"A1".to_vec(),
                status: Status::No,
                code: Some("ALREADYEXISTS".into()),
                text: "Mailbox exists".into()
            }
        );
        let Response::Data { values, .. } = one(b"* LIST (\\HasNoChildren) \".\" \"a \\\"b\\\"\"\r\n") else {
            panic!()
        };
        assert_eq!(values[2], Value::Bytes(b"a \"b\"".to_vec()));
        let Response::Data { values, .. } = one(b"* 1 FETCH (UID 4 FLAGS (\\Seen) BODY[HEADER.FIELDS (FROM)] NIL)\r\n")
        else {
            panic!()
        };
        let Value::List(items) = &values[0] else { panic!() };
        assert_eq!(items[4], Value::Atom(b"BODY[HEADER.FIELDS (FROM)]".to_vec()));
        assert_eq!(items[5], Value::Nil);
    }

    #[test]
    fn hostile_input_is_an_error_not_a_panic() {
        for raw in [
            &b"* 1 FETCH (BODY[] {99999999999999999999}\r\n"[..],
            b"* 1 FETCH (BODY[] {18446744073709551615}\r\n",
            b"* 1 FETCH (((((((((((((((((((((((((((((((((((((((((((((((((((\r\n",
            b"* 1 FETCH (UID 1\r\n",
            b"* 1 FETCH (UID \"unclosed\r\n",
            b"* 1 FETCH )\r\n",
            b"* 1 FETCH (BODY[ 1)\r\n",
            b"\r\n",
            b" \r\n",
            b"*\r\n",
            b"A1\r\n",
            b"A1 MAYBE\r\n",
            b"\x00\xff\r\n",
            b"* SEARCH 1 (\r\n",
        ] {
            if let Ok(Some(n)) = frame(raw, 1 << 20) {
                let _ = parse(&raw[..n]);
            }
        }
        assert!(frame(&vec![b'x'; 2000], 1000).is_err(), "a line without end, past the limit");
        assert!(frame(b"* 1 FETCH (BODY[] {5000}\r\n", 1000).is_err(), "a literal past the limit");
        assert!(parse(b"* 1 FETCH (BODY[] {5}\r\nab)\r\n").is_err(), "a literal cut short");
    }

    proptest::proptest! {
        #[test]
        fn random_bytes_never_panic(raw in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..300)) {
            if let Ok(Some(n)) = frame(&raw, 4096) {
                let _ = parse(&raw[..n]);
            }
            let _ = parse(&raw);
            let _ = values(&raw);
        }
    }

    #[test]
    fn uid_sets_are_compact() {
        assert_eq!(uid_set(&[5, 1, 2, 3, 7, 9, 10]), "1:3,5,7,9:10");
        assert_eq!(uid_set(&[4]), "4");
    }
}
