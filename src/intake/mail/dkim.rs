//! DKIM verification (RFC 6376): `rsa-sha256` and `ed25519-sha256`
//! (RFC 8463), `simple` and `relaxed` canonicalization, crypto by `ring`.
//!
//! Choices: a signature with `l=` counts only when `l=` covers the whole
//! canonicalized body (content appended after the signed part would be
//! unsigned); RSA keys of 1024 bits and more are taken; `rsa-sha1` is
//! refused; `x=` is honoured. Alignment ([`aligned`]) is relaxed: the
//! `d=` domain is the From domain, or one is a subdomain of the other.

use super::keys::{KeyError, KeyResolver};
use base64::Engine;
use ring::signature;
use sha2::{Digest, Sha256};

/// A header as it stands in the message: its name and its whole raw
/// text (`Name: value`, folded lines included, without the final CRLF).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RawHeader<'a> {
    pub name: &'a str,
    pub raw: &'a [u8],
}

/// The message's headers and body, split at the first empty line.
pub fn split(message: &[u8]) -> (Vec<RawHeader<'_>>, &[u8]) {
    let mut headers: Vec<RawHeader<'_>> = Vec::new();
    let mut pos = 0;
    let mut start: Option<usize> = None;
    let mut end = 0;
    while pos < message.len() {
        let line_end = memchr::memchr(b'\n', &message[pos..]).map_or(message.len(), |i| pos + i + 1);
        let line = &message[pos..line_end];
        let content = trim_eol(line);
        if content.is_empty() {
            // The empty line: the body follows.
            if let Some(s) = start.take() {
                push_header(&mut headers, &message[s..end]);
            }
            return (headers, &message[line_end..]);
        }
        if line[0] == b' ' || line[0] == b'\t' {
            if start.is_some() {
                end = pos + content.len();
            }
        } else {
            if let Some(s) = start.take() {
                push_header(&mut headers, &message[s..end]);
            }
            start = Some(pos);
            end = pos + content.len();
        }
        pos = line_end;
    }
    if let Some(s) = start {
        push_header(&mut headers, &message[s..end]);
    }
    (headers, &message[message.len()..])
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn push_header<'a>(headers: &mut Vec<RawHeader<'a>>, raw: &'a [u8]) {
    let Some(colon) = memchr::memchr(b':', raw) else { return };
    let Ok(name) = std::str::from_utf8(&raw[..colon]) else { return };
    let name = name.trim_end_matches([' ', '\t']);
    if name.is_empty() || name.contains([' ', '\t']) {
        return;
    }
    headers.push(RawHeader { name, raw });
}

/// Canonicalization of headers or body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Canon {
    Simple,
    Relaxed,
}

fn is_wsp(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// One header, canonicalized, with its CRLF.
pub fn canon_header(h: &RawHeader<'_>, c: Canon) -> Vec<u8> {
    let mut out = Vec::with_capacity(h.raw.len() + 2);
    match c {
        Canon::Simple => {
            // Line ends inside a folded header are CRLF, whatever the message used.
            let mut prev = 0u8;
            for &b in h.raw {
                if b == b'\n' && prev != b'\r' {
                    out.push(b'\r');
                }
                out.push(b);
                prev = b;
            }
        }
        Canon::Relaxed => {
            out.extend(h.name.bytes().map(|b| b.to_ascii_lowercase()));
            out.push(b':');
            let colon = memchr::memchr(b':', h.raw).unwrap_or(h.raw.len());
            let value = h.raw.get(colon + 1..).unwrap_or_default();
            let (mut space, mut started) = (false, false);
            for &b in value {
                match b {
                    b'\r' | b'\n' => {}
                    b' ' | b'\t' => space = true,
                    _ => {
                        if space && started {
                            out.push(b' ');
                        }
                        space = false;
                        started = true;
                        out.push(b);
                    }
                }
            }
        }
    }
    out.extend_from_slice(b"\r\n");
    out
}

/// The body, canonicalized.
pub fn canon_body(body: &[u8], c: Canon) -> Vec<u8> {
    let mut out = Vec::with_capacity(body.len() + 2);
    let mut pos = 0;
    while pos < body.len() {
        let end = memchr::memchr(b'\n', &body[pos..]).map_or(body.len(), |i| pos + i + 1);
        let line = trim_eol(&body[pos..end]);
        match c {
            Canon::Simple => out.extend_from_slice(line),
            Canon::Relaxed => {
                let mut space = false;
                for &b in line {
                    if is_wsp(b) {
                        space = true;
                    } else {
                        if space {
                            out.push(b' ');
                        }
                        space = false;
                        out.push(b);
                    }
                }
            }
        }
        out.extend_from_slice(b"\r\n");
        pos = end;
    }
    while out.ends_with(b"\r\n\r\n") {
        out.truncate(out.len() - 2);
    }
    if out == b"\r\n" {
        out.clear();
    }
    if out.is_empty() && c == Canon::Simple {
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The signing algorithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    RsaSha256,
    Ed25519Sha256,
}

/// A parsed DKIM-Signature.
#[derive(Clone, Debug)]
pub struct Signature {
    pub algorithm: Algorithm,
    pub domain: String,
    pub selector: String,
    pub headers: Vec<String>,
    pub body_hash: Vec<u8>,
    pub signature: Vec<u8>,
    pub header_canon: Canon,
    pub body_canon: Canon,
    pub length: Option<u64>,
    pub expires: Option<u64>,
}

/// `tag=value` pairs of a tag list (RFC 6376 3.2), each value trimmed.
/// An empty `Vec` for a list that is not one.
pub fn tags(text: &str) -> Result<Vec<(&str, &str)>, String> {
    let mut out: Vec<(&str, &str)> = Vec::new();
    for part in text.split(';') {
        if part.trim().is_empty() {
            continue;
        }
        let Some((k, v)) = part.split_once('=') else {
            return Err(format!("{:?} is not tag=value", part.trim()));
        };
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("{k:?} is not a tag name"));
        }
        if out.iter().any(|(seen, _)| *seen == k) {
            return Err(format!("tag {k}= is given twice"));
        }
        out.push((k, v.trim()));
    }
    Ok(out)
}

fn b64(v: &str) -> Option<Vec<u8>> {
    let clean: String = v.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(clean).ok()
}

fn value_of(h: &RawHeader<'_>) -> String {
    let colon = memchr::memchr(b':', h.raw).unwrap_or(h.raw.len());
    String::from_utf8_lossy(h.raw.get(colon + 1..).unwrap_or_default()).into_owned()
}

impl Signature {
    pub fn parse(h: &RawHeader<'_>) -> Result<Signature, String> {
        let value = value_of(h);
        let t = tags(&value)?;
        let get = |k: &str| t.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
        let need = |k: &str| get(k).ok_or_else(|| format!("tag {k}= is missing"));
        if need("v")? != "1" {
            return Err(format!("version v={} is not 1", need("v")?));
        }
        let algorithm = match need("a")?.to_ascii_lowercase().as_str() {
            "rsa-sha256" => Algorithm::RsaSha256,
            "ed25519-sha256" => Algorithm::Ed25519Sha256,
            other => return Err(format!("algorithm a={other} is not taken (rsa-sha256, ed25519-sha256)")),
        };
        let (hc, bc) = match get("c").unwrap_or("simple/simple").to_ascii_lowercase().as_str() {
            "simple" | "simple/simple" => (Canon::Simple, Canon::Simple),
            "relaxed" | "relaxed/simple" => (Canon::Relaxed, Canon::Simple),
            "simple/relaxed" => (Canon::Simple, Canon::Relaxed),
            "relaxed/relaxed" => (Canon::Relaxed, Canon::Relaxed),
            other => return Err(format!("canonicalization c={other} is unknown")),
        };
        let domain = need("d")?.trim_end_matches('.').to_ascii_lowercase();
        let selector = need("s")?.to_ascii_lowercase();
        let valid_label = |s: &str| {
            !s.is_empty()
                && s.split('.')
                    .all(|l| !l.is_empty() && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        };
        if !valid_label(&domain) || !valid_label(&selector) {
            return Err(format!("d={domain} or s={selector} is not a domain name"));
        }
        let headers: Vec<String> =
            need("h")?.split(':').map(|s| s.trim().to_ascii_lowercase()).filter(|s| !s.is_empty()).collect();
        if !headers.iter().any(|n| n == "from") {
            return Err("h= does not sign the From header".into());
        }
        let body_hash = b64(need("bh")?).ok_or("bh= is not base64")?;
        let signature = b64(need("b")?).ok_or("b= is not base64")?;
        let number = |k: &str| -> Result<Option<u64>, String> {
            get(k).map(|v| v.parse::<u64>().map_err(|_| format!("{k}={v} is not a number"))).transpose()
        };
        let length = number("l")?;
        let expires = number("x")?;
        if let Some(i) = get("i") {
            let idomain = i.rsplit_once('@').map_or("", |(_, d)| d).trim_end_matches('.').to_ascii_lowercase();
            if idomain != domain && !idomain.ends_with(&format!(".{domain}")) {
                return Err(format!("i={i} is not in d={domain}"));
            }
        }
        Ok(Signature {
            algorithm,
            domain,
            selector,
            headers,
            body_hash,
            signature,
            header_canon: hc,
            body_canon: bc,
            length,
            expires,
        })
    }
}

/// The DKIM-Signature header with its `b=` value taken out, as signed.
fn without_b(raw: &[u8]) -> Vec<u8> {
    let colon = memchr::memchr(b':', raw).unwrap_or(raw.len());
    let mut out = raw[..(colon + 1).min(raw.len())].to_vec();
    let value = raw.get(colon + 1..).unwrap_or_default();
    for (n, part) in value.split(|&b| b == b';').enumerate() {
        if n > 0 {
            out.push(b';');
        }
        let eq = memchr::memchr(b'=', part);
        let is_b = eq.is_some_and(|e| part[..e].iter().filter(|b| !b.is_ascii_whitespace()).eq(b"b".iter()));
        match (is_b, eq) {
            (true, Some(e)) => out.extend_from_slice(&part[..=e]),
            _ => out.extend_from_slice(part),
        }
    }
    out
}

/// What became of one signature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub domain: String,
    pub selector: String,
    pub result: Result<(), String>,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.result {
            Ok(()) => write!(f, "d={} s={}: valid", self.domain, self.selector),
            Err(e) => write!(f, "d={} s={}: {e}", self.domain, self.selector),
        }
    }
}

/// At most this many signatures of one message are checked.
pub const MAX_SIGNATURES: usize = 8;

/// Verifies every DKIM-Signature of a message (up to [`MAX_SIGNATURES`]).
pub fn verify(message: &[u8], keys: &dyn KeyResolver, now_s: u64) -> Vec<Verdict> {
    let (headers, body) = split(message);
    let mut out = Vec::new();
    for (i, h) in headers.iter().enumerate().filter(|(_, h)| h.name.eq_ignore_ascii_case("dkim-signature")) {
        if out.len() == MAX_SIGNATURES {
            break;
        }
        let sig = match Signature::parse(h) {
            Ok(s) => s,
            Err(e) => {
                let value = value_of(h);
                let t = tags(&value).unwrap_or_default();
                let get = |k: &str| t.iter().find(|(n, _)| *n == k).map_or("?", |(_, v)| *v).to_string();
                out.push(Verdict { domain: get("d"), selector: get("s"), result: Err(e) });
                continue;
            }
        };
        let result = check(&sig, &headers, i, body, keys, now_s);
        out.push(Verdict { domain: sig.domain, selector: sig.selector, result });
    }
    out
}

fn check(
    sig: &Signature,
    headers: &[RawHeader<'_>],
    sig_index: usize,
    body: &[u8],
    keys: &dyn KeyResolver,
    now_s: u64,
) -> Result<(), String> {
    if sig.expires.is_some_and(|x| x < now_s) {
        return Err("the signature has expired (x=)".into());
    }
    let canon = canon_body(body, sig.body_canon);
    let signed = match sig.length {
        Some(l) if l < canon.len() as u64 => {
            return Err(format!("l={l} signs only part of the body ({} bytes): not taken", canon.len()))
        }
        Some(l) if l > canon.len() as u64 => return Err(format!("l={l} is longer than the body")),
        _ => &canon[..],
    };
    if Sha256::digest(signed).as_slice() != sig.body_hash.as_slice() {
        return Err("the body hash (bh=) does not match: the body was changed".into());
    }
    // Headers named in h=, each instance taken from the bottom up.
    let mut data = Vec::new();
    let mut used = vec![false; headers.len()];
    used[sig_index] = true;
    for name in &sig.headers {
        let found = (0..headers.len()).rev().find(|&j| !used[j] && headers[j].name.eq_ignore_ascii_case(name));
        if let Some(j) = found {
            used[j] = true;
            data.extend(canon_header(&headers[j], sig.header_canon));
        }
    }
    let stripped = without_b(headers[sig_index].raw);
    let mut own = canon_header(&RawHeader { name: headers[sig_index].name, raw: &stripped }, sig.header_canon);
    own.truncate(own.len() - 2);
    data.extend(own);

    let record = keys.txt(&sig.selector, &sig.domain).map_err(|e| match e {
        KeyError::NotFound => format!("no key at {}._domainkey.{}", sig.selector, sig.domain),
        KeyError::Failed(why) => format!("key lookup for {}._domainkey.{} failed: {why}", sig.selector, sig.domain),
    })?;
    let t = tags(&record).map_err(|e| format!("key record: {e}"))?;
    let get = |k: &str| t.iter().find(|(n, _)| *n == k).map(|(_, v)| *v);
    if get("v").is_some_and(|v| v != "DKIM1") {
        return Err("key record: v= is not DKIM1".into());
    }
    let kind = get("k").unwrap_or("rsa").to_ascii_lowercase();
    let p = get("p").ok_or("key record has no p=")?;
    if p.is_empty() {
        return Err("the key has been revoked (empty p=)".into());
    }
    let key = b64(p).ok_or("key record: p= is not base64")?;
    if let Some(h) = get("h") {
        if !h.split(':').any(|a| a.trim().eq_ignore_ascii_case("sha256")) {
            return Err(format!("key record allows only h={h}"));
        }
    }
    match (sig.algorithm, kind.as_str()) {
        (Algorithm::RsaSha256, "rsa") => {
            let rsa = rsa_public_key(&key).ok_or("key record: p= is not an RSA public key")?;
            signature::UnparsedPublicKey::new(&signature::RSA_PKCS1_1024_8192_SHA256_FOR_LEGACY_USE_ONLY, rsa)
                .verify(&data, &sig.signature)
                .map_err(|_| "the signature does not verify".to_string())
        }
        (Algorithm::Ed25519Sha256, "ed25519") => {
            let hash = Sha256::digest(&data);
            signature::UnparsedPublicKey::new(&signature::ED25519, &key)
                .verify(&hash, &sig.signature)
                .map_err(|_| "the signature does not verify".to_string())
        }
        (_, k) => Err(format!("the key is of type k={k}, not the signature's algorithm")),
    }
}

/// One DER element: (tag, contents, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The PKCS#1 RSAPublicKey in a key record's `p=`: either a
/// SubjectPublicKeyInfo (what DKIM specifies) or the bare RSAPublicKey.
fn rsa_public_key(p: &[u8]) -> Option<&[u8]> {
    let (tag, outer, _) = der(p)?;
    if tag != 0x30 {
        return None;
    }
    let (first, _, rest) = der(outer)?;
    match first {
        0x02 => Some(p),
        0x30 => {
            let (bit, bits, _) = der(rest)?;
            let (&unused, key) = bits.split_first()?;
            (bit == 0x03 && unused == 0).then_some(key)
        }
        _ => None,
    }
}

/// The domain of an address (`Name <a@b.example>` or `a@b.example`), lower case.
pub fn domain_of(address: &str) -> Option<String> {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>');
    let (_, d) = a.rsplit_once('@')?;
    let d = d.trim().trim_end_matches('.').to_ascii_lowercase();
    (!d.is_empty()).then_some(d)
}

/// Relaxed alignment of a signing domain with the From domain: the same
/// domain, or one a subdomain of the other. A `d=` of a single label
/// (a top-level domain) never aligns.
pub fn aligned(d: &str, from_domain: &str) -> bool {
    let (d, f) = (d.to_ascii_lowercase(), from_domain.to_ascii_lowercase());
    if !d.contains('.') || !f.contains('.') {
        return false;
    }
    d == f || f.ends_with(&format!(".{d}")) || d.ends_with(&format!(".{f}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    struct Keys(HashMap<String, String>);
    impl KeyResolver for Keys {
        fn txt(&self, selector: &str, domain: &str) -> Result<String, KeyError> {
            self.0.get(&format!("{selector}._domainkey.{domain}")).cloned().ok_or(KeyError::NotFound)
        }
    }

    /// RFC 6376 3.4.5: the canonicalization examples.
    #[test]
    fn rfc6376_canonicalization_examples() {
        let msg = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";
        let (h, body) = split(msg);
        assert_eq!(h.len(), 2);
        let relaxed: Vec<u8> = h.iter().flat_map(|h| canon_header(h, Canon::Relaxed)).collect();
        assert_eq!(relaxed, b"a:X\r\nb:Y Z\r\n");
        assert_eq!(canon_body(body, Canon::Relaxed), b" C\r\nD E\r\n");
        let simple: Vec<u8> = h.iter().flat_map(|h| canon_header(h, Canon::Simple)).collect();
        assert_eq!(simple, b"A: X\r\nB : Y\t\r\n\tZ  \r\n");
        assert_eq!(canon_body(body, Canon::Simple), b" C \r\nD \t E\r\n");
    }

    #[test]
    fn empty_bodies() {
        assert_eq!(canon_body(b"", Canon::Simple), b"\r\n");
        assert_eq!(canon_body(b"\r\n\r\n", Canon::Simple), b"\r\n");
        assert_eq!(canon_body(b"", Canon::Relaxed), b"");
        assert_eq!(canon_body(b" \r\n\t\r\n", Canon::Relaxed), b"");
        // The empty simple body's hash, RFC 6376 3.4.3.
        let h = base64::engine::general_purpose::STANDARD.encode(Sha256::digest(canon_body(b"", Canon::Simple)));
        assert_eq!(h, "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=");
    }

    const RFC8463: &str = "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=brisbane; t=1528637909; h=from : to :
 subject : date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus
 Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==
DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;
 d=football.example.com; i=@football.example.com;
 q=dns/txt; s=test; t=1528637909; h=from : to : subject :
 date : message-id : from : subject : date;
 bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;
 b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3
 DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz
 dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=
From: Joe SixPack <joe@football.example.com>
To: Suzie Q <suzie@shopping.example.net>
Subject: Is dinner ready?
Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)
Message-ID: <20030712040037.46341.5F8J@football.example.com>

Hi.

We lost the game.  Are you hungry yet?

Joe.
";

    fn rfc8463_keys() -> Keys {
        Keys(HashMap::from([
            (
                "brisbane._domainkey.football.example.com".to_string(),
                "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=".to_string(),
            ),
            (
                "test._domainkey.football.example.com".to_string(),
                "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB".to_string(),
            ),
        ]))
    }

    /// RFC 8463 Appendix A: one message signed with Ed25519 and with RSA.
    #[test]
    fn rfc8463_example_verifies() {
        let msg = RFC8463.replace('\n', "\r\n");
        let v = verify(msg.as_bytes(), &rfc8463_keys(), 1_600_000_000);
        assert_eq!(v.len(), 2);
        assert!(v.iter().all(|v| v.result.is_ok()), "{v:?}");
        // With bare LF line ends the signed text is the same.
        let v = verify(RFC8463.as_bytes(), &rfc8463_keys(), 1_600_000_000);
        assert!(v.iter().all(|v| v.result.is_ok()), "{v:?}");

        let changed = msg.replace("hungry", "thirsty");
        for v in verify(changed.as_bytes(), &rfc8463_keys(), 0) {
            assert!(v.result.unwrap_err().contains("body hash"));
        }
        let changed = msg.replace("Subject: Is dinner", "Subject: Was dinner");
        for v in verify(changed.as_bytes(), &rfc8463_keys(), 0) {
            assert!(v.result.unwrap_err().contains("does not verify"));
        }
        let extended = format!("{msg}Extra line.\r\n");
        assert!(verify(extended.as_bytes(), &rfc8463_keys(), 0).iter().all(|v| v.result.is_err()));
        let none = Keys(HashMap::new());
        for v in verify(msg.as_bytes(), &none, 0) {
            assert!(v.result.unwrap_err().contains("no key at"));
        }
    }

    #[test]
    fn signatures_with_unsigned_parts_are_refused() {
        let msg = RFC8463.replace('\n', "\r\n").replace("s=test; t=", "s=test; l=10; t=");
        let v = verify(msg.as_bytes(), &rfc8463_keys(), 0);
        assert!(v[1].result.as_ref().unwrap_err().contains("only part"), "{v:?}");
        let msg = RFC8463.replace('\n', "\r\n").replace(
            "h=from : to : subject :\r\n date : message-id : from : subject : date;",
            "h=to : subject :\r\n date : message-id : subject : date;",
        );
        let v = verify(msg.as_bytes(), &rfc8463_keys(), 0);
        assert!(v[1].result.as_ref().unwrap_err().contains("From"), "{v:?}");
        let msg = RFC8463.replace('\n', "\r\n").replace("a=rsa-sha256", "a=rsa-sha1");
        assert!(verify(msg.as_bytes(), &rfc8463_keys(), 0)[1].result.is_err());
    }

    #[test]
    fn hostile_signatures_never_panic() {
        let keys = rfc8463_keys();
        for text in [
            "DKIM-Signature:\r\n\r\n",
            "DKIM-Signature: v=1; a=rsa-sha256; d=; s=; h=from; bh=; b=\r\n\r\n",
            "DKIM-Signature: ;;;==;\r\n\r\n",
            "DKIM-Signature: v=1; v=1\r\n\r\n",
            "DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=test; h=from; bh=AAAA; b=AAAA; l=99999999999999999999\r\n\r\n",
            "DKIM-Signature: v=1; a=ed25519-sha256; d=football.example.com; s=brisbane; h=from; bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=; b=AAAA\r\nFrom: x\r\n\r\n",
            "\r\n\r\n",
            ": no name\r\n\r\n",
        ] {
            let v = verify(text.as_bytes(), &keys, 0);
            assert!(v.iter().all(|v| v.result.is_err()), "{text}: {v:?}");
        }
        assert!(rsa_public_key(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_none());
        assert!(rsa_public_key(&[]).is_none());
    }

    #[test]
    fn alignment_is_relaxed_but_not_loose() {
        assert!(aligned("shop.example", "shop.example"));
        assert!(aligned("shop.example", "mail.shop.example"));
        assert!(aligned("mail.shop.example", "shop.example"));
        assert!(!aligned("evil.example", "shop.example"));
        assert!(!aligned("example", "shop.example"));
        assert!(!aligned("hop.example", "shop.example"));
        assert_eq!(domain_of("Joe <Joe@Football.Example.com>").as_deref(), Some("football.example.com"));
        assert_eq!(domain_of("nobody"), None);
    }
}
