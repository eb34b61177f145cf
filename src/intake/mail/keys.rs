//! DKIM public keys: looked up in DNS (`selector._domainkey.domain` TXT),
//! or read from a file of static keys (`[mail] dkim_keys`) for offline
//! installations and tests.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::path::Path;
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// There is no such key: the signature cannot be valid.
    NotFound,
    /// The lookup failed (a timeout, a server failure).
    Failed(String),
}

/// Where DKIM keys come from.
pub trait KeyResolver: Send + Sync {
    /// The TXT record at `selector._domainkey.domain` (its strings joined).
    fn txt(&self, selector: &str, domain: &str) -> Result<String, KeyError>;
}

/// Keys from a TOML file: `"selector._domainkey.domain" = "v=DKIM1; k=rsa; p=…"`.
#[derive(Clone, Debug, Default)]
pub struct StaticKeys(HashMap<String, String>);

impl StaticKeys {
    pub fn load(path: &Path) -> anyhow::Result<StaticKeys> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read mail.dkim_keys {}: {e}", path.display()))?;
        let map: HashMap<String, String> = toml::from_str(&text).map_err(|e| {
            anyhow::anyhow!(
                "{}: not a table of \"selector._domainkey.domain\" = \"v=DKIM1; …\" lines: {e}",
                path.display()
            )
        })?;
        for k in map.keys() {
            if !k.contains("._domainkey.") {
                anyhow::bail!("{}: {k:?} is not selector._domainkey.domain", path.display());
            }
        }
        Ok(StaticKeys(map.into_iter().map(|(k, v)| (k.to_ascii_lowercase(), v)).collect()))
    }
}

impl KeyResolver for StaticKeys {
    fn txt(&self, selector: &str, domain: &str) -> Result<String, KeyError> {
        let name = format!("{selector}._domainkey.{domain}").to_ascii_lowercase();
        self.0.get(&name).cloned().ok_or(KeyError::NotFound)
    }
}

/// TXT lookups through the first name server of `/etc/resolv.conf`
/// (over UDP, and TCP when the answer is truncated).
#[derive(Clone, Debug)]
pub struct DnsKeys {
    pub server: SocketAddr,
    pub timeout: Duration,
}

impl DnsKeys {
    pub fn from_resolv_conf() -> anyhow::Result<DnsKeys> {
        let text = std::fs::read_to_string("/etc/resolv.conf").unwrap_or_default();
        let server = text
            .lines()
            .filter_map(|l| l.trim().strip_prefix("nameserver"))
            .filter_map(|s| s.trim().parse::<std::net::IpAddr>().ok())
            .map(|ip| SocketAddr::new(ip, 53))
            .next()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 53)));
        Ok(DnsKeys { server, timeout: Duration::from_secs(5) })
    }
}

impl KeyResolver for DnsKeys {
    fn txt(&self, selector: &str, domain: &str) -> Result<String, KeyError> {
        let name = format!("{selector}._domainkey.{domain}");
        let id = u16::try_from(crate::util::unix_now().rem_euclid(65_536)).unwrap_or(1) ^ 0x5a5a;
        let query = dns_query(id, &name).ok_or_else(|| KeyError::Failed(format!("{name} is not a DNS name")))?;
        let fail = |e: std::io::Error| KeyError::Failed(format!("DNS {}: {e}", self.server));
        let bind: SocketAddr =
            if self.server.is_ipv4() { ([0, 0, 0, 0], 0).into() } else { (std::net::Ipv6Addr::UNSPECIFIED, 0).into() };
        let sock = UdpSocket::bind(bind).map_err(fail)?;
        sock.set_read_timeout(Some(self.timeout)).map_err(fail)?;
        let mut buf = vec![0u8; 4096];
        let mut answer = None;
        for _ in 0..2 {
            sock.send_to(&query, self.server).map_err(fail)?;
            match sock.recv_from(&mut buf) {
                Ok((n, from)) if from == self.server => {
                    answer = Some(buf[..n].to_vec());
                    break;
                }
                Ok(_) => {}
                Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {}
                Err(e) => return Err(fail(e)),
            }
        }
        let mut answer = answer.ok_or_else(|| KeyError::Failed(format!("DNS {}: no answer", self.server)))?;
        if answer.len() > 2 && answer[2] & 0x02 != 0 {
            answer = tcp_query(self.server, &query, self.timeout).map_err(fail)?;
        }
        parse_txt_answer(&answer, id)
    }
}

fn tcp_query(server: SocketAddr, query: &[u8], timeout: Duration) -> std::io::Result<Vec<u8>> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect_timeout(&server, timeout)?;
    s.set_read_timeout(Some(timeout))?;
    let len = u16::try_from(query.len()).unwrap_or(u16::MAX);
    s.write_all(&len.to_be_bytes())?;
    s.write_all(query)?;
    let mut l = [0u8; 2];
    s.read_exact(&mut l)?;
    let mut out = vec![0u8; usize::from(u16::from_be_bytes(l))];
    s.read_exact(&mut out)?;
    Ok(out)
}

/// A DNS query for the TXT records of `name`, with EDNS0 for large answers.
pub fn dns_query(id: u16, name: &str) -> Option<Vec<u8>> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 1]);
    for label in name.trim_end_matches('.').split('.') {
        let len = u8::try_from(label.len()).ok().filter(|&l| l > 0 && l < 64)?;
        q.push(len);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&[0, 16, 0, 1]);
    // OPT: 4096-byte UDP payload.
    q.extend_from_slice(&[0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 0]);
    Some(q)
}

/// Skips a (possibly compressed) name at `pos`; the position after it.
fn skip_name(msg: &[u8], mut pos: usize) -> Option<usize> {
    for _ in 0..128 {
        let len = *msg.get(pos)?;
        match len {
            0 => return Some(pos + 1),
            l if l & 0xc0 == 0xc0 => return Some(pos + 2).filter(|&p| p <= msg.len()),
            l => pos += 1 + usize::from(l),
        }
    }
    None
}

/// The first TXT record of an answer, its strings joined.
pub fn parse_txt_answer(msg: &[u8], id: u16) -> Result<String, KeyError> {
    let bad = || KeyError::Failed("malformed DNS answer".into());
    if msg.len() < 12 || msg[0..2] != id.to_be_bytes() {
        return Err(bad());
    }
    match msg[3] & 0x0f {
        0 => {}
        3 => return Err(KeyError::NotFound),
        rcode => return Err(KeyError::Failed(format!("DNS server answered rcode {rcode}"))),
    }
    let count = |i: usize| usize::from(u16::from_be_bytes([msg[i], msg[i + 1]]));
    let (qd, an) = (count(4), count(6));
    let mut pos = 12;
    for _ in 0..qd {
        pos = skip_name(msg, pos).ok_or_else(bad)? + 4;
    }
    for _ in 0..an {
        pos = skip_name(msg, pos).ok_or_else(bad)?;
        let head = msg.get(pos..pos + 10).ok_or_else(bad)?;
        let rtype = u16::from_be_bytes([head[0], head[1]]);
        let rdlen = usize::from(u16::from_be_bytes([head[8], head[9]]));
        pos += 10;
        let rdata = msg.get(pos..pos + rdlen).ok_or_else(bad)?;
        pos += rdlen;
        if rtype != 16 {
            continue;
        }
        let mut out = Vec::new();
        let mut i = 0;
        while i < rdata.len() {
            let l = usize::from(rdata[i]);
            out.extend_from_slice(rdata.get(i + 1..i + 1 + l).ok_or_else(bad)?);
            i += 1 + l;
        }
        return Ok(String::from_utf8_lossy(&out).into_owned());
    }
    Err(KeyError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn txt_answers_are_read_and_bad_ones_refused() {
        let q = dns_query(7, "s._domainkey.shop.example").unwrap();
        // The query, turned into an answer with one TXT record of two strings.
        let mut a = q[..q.len() - 11].to_vec();
        a[2] = 0x81;
        a[3] = 0x80;
        a[7] = 1;
        a[11] = 0;
        a.extend_from_slice(&[
            0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 60, 0, 9, 3, b'v', b'=', b'D', 4, b'K', b'I', b'M', b'1',
        ]);
        assert_eq!(parse_txt_answer(&a, 7).unwrap(), "v=DKIM1");
        assert!(parse_txt_answer(&a, 8).is_err(), "another query's id");
        for n in 0..a.len() {
            let _ = parse_txt_answer(&a[..n], 7);
        }
        let mut nx = a.clone();
        nx[3] = 0x83;
        assert_eq!(parse_txt_answer(&nx, 7), Err(KeyError::NotFound));
        let mut looped = a.clone();
        looped[12] = 0x3f;
        let _ = parse_txt_answer(&looped, 7);
        assert!(dns_query(1, &format!("{}.example", "x".repeat(64))).is_none());
    }
}
