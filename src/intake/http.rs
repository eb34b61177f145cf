//! `POST /cxml`: a buyer posts a cXML OrderRequest with its shared secret
//! and gets a synchronous cXML Response: 200 once the order is committed
//! (the ConfirmationRequest follows through the outbox), 4xx with the
//! reason for bad input (never 5xx for it), 5xx only when dropgate itself
//! cannot work (the database is down).
//!
//! A small HTTP/1.1 server of our own: one request per connection, a
//! `Content-Length` body no larger than the configured limit, time limits
//! on reading; nothing else is served.

use crate::config::Config;
use crate::formats::cxml::{self, writer, Body, Limits};
use crate::store::documents::{Arrival, Body as DocBody};
use crate::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MAX_HEAD: usize = 16 << 10;

pub struct Listener {
    listener: TcpListener,
    cfg: Arc<Config>,
    store: Store,
    wake_delivery: Option<std::sync::mpsc::Sender<()>>,
}

impl Listener {
    pub async fn bind(
        cfg: Arc<Config>,
        store: Store,
        wake_delivery: Option<std::sync::mpsc::Sender<()>>,
    ) -> anyhow::Result<Listener> {
        let listener = TcpListener::bind(&cfg.http.listen)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen for HTTP on {}: {e}", cfg.http.listen))?;
        Ok(Listener { listener, cfg, store, wake_delivery })
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `stop` turns true; requests in hand are finished.
    pub async fn run(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tasks = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                accepted = self.listener.accept() => {
                    let Ok((stream, peer)) = accepted else { continue };
                    let (cfg, store, wake) = (self.cfg.clone(), self.store.clone(), self.wake_delivery.clone());
                    tasks.spawn(async move {
                        if let Err(e) = connection(stream, &cfg, store, wake).await {
                            tracing::debug!(peer = %peer, "HTTP connection ended: {e}");
                        }
                    });
                }
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }
}

/// An answer: status and cXML bytes.
struct Reply {
    status: u16,
    body: Vec<u8>,
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        _ => "Internal Server Error",
    }
}

fn cxml_reply(status: u16, text: &str, detail: &str) -> Reply {
    let now = crate::util::unix_now();
    let seq = format!("{}{:x}", now, std::process::id());
    let stamp = writer::Stamp::new(now, &seq, "dropgate");
    Reply { status, body: writer::response(&stamp, status, text, detail) }
}

async fn connection(
    mut stream: TcpStream,
    cfg: &Config,
    store: Store,
    wake: Option<std::sync::mpsc::Sender<()>>,
) -> std::io::Result<()> {
    let timeout = Duration::from_secs(cfg.http.read_timeout_secs);
    let reply = match tokio::time::timeout(timeout, request(&mut stream, cfg)).await {
        Err(_) => cxml_reply(408, "Request Timeout", "the request was not received in time"),
        Ok(Err(r)) => r,
        Ok(Ok(body)) => {
            let limits = Limits {
                max_bytes: usize::try_from(cfg.http.max_body_bytes).unwrap_or(usize::MAX),
                ..Limits::default()
            };
            tokio::task::spawn_blocking(move || handle(&store, &body, &limits))
                .await
                .unwrap_or_else(|_| cxml_reply(500, "Internal Server Error", "the request could not be handled"))
        }
    };
    if reply.status == 200 {
        if let Some(w) = wake {
            let _ = w.send(());
        }
    }
    let head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: text/xml; charset=UTF-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        reply.status,
        reason(reply.status),
        reply.body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(&reply.body).await?;
    stream.shutdown().await
}

/// Reads one request; the body of a `POST /cxml`, or the reply refusing it.
async fn request(stream: &mut TcpStream, cfg: &Config) -> Result<Vec<u8>, Reply> {
    let io = |_| cxml_reply(400, "Bad Request", "the connection failed while reading the request");
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let (head_len, length) = loop {
        let n = stream.read(&mut chunk).await.map_err(io)?;
        if n == 0 {
            return Err(cxml_reply(400, "Bad Request", "the request ended before its headers did"));
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf) {
            Ok(httparse::Status::Complete(len)) => {
                if req.path.map(|p| p.split('?').next().unwrap_or(p)) != Some("/cxml") {
                    return Err(cxml_reply(404, "Not Found", "only POST /cxml is served here"));
                }
                if req.method != Some("POST") {
                    return Err(cxml_reply(405, "Method Not Allowed", "send the cXML document with POST"));
                }
                let header = |name: &str| {
                    req.headers
                        .iter()
                        .find(|h| h.name.eq_ignore_ascii_case(name))
                        .map(|h| String::from_utf8_lossy(h.value).trim().to_string())
                };
                if header("transfer-encoding").is_some() {
                    return Err(cxml_reply(
                        411,
                        "Length Required",
                        "send the document with a Content-Length, not chunked",
                    ));
                }
                let Some(length) = header("content-length").and_then(|v| v.parse::<u64>().ok()) else {
                    return Err(cxml_reply(411, "Length Required", "a Content-Length header is required"));
                };
                if length > cfg.http.max_body_bytes {
                    return Err(cxml_reply(
                        413,
                        "Payload Too Large",
                        &format!("the document has {length} bytes; at most {} are taken", cfg.http.max_body_bytes),
                    ));
                }
                if let Some(ct) = header("content-type") {
                    let ct = ct.to_ascii_lowercase();
                    if !(ct.contains("xml")
                        || ct.starts_with("application/x-www-form-urlencoded")
                        || ct.starts_with("text/plain"))
                    {
                        return Err(cxml_reply(415, "Unsupported Media Type", "send text/xml or application/xml"));
                    }
                }
                break (len, usize::try_from(length).unwrap_or(usize::MAX));
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => {
                return Err(cxml_reply(431, "Request Header Fields Too Large", "the request headers are too long"))
            }
            Err(e) => return Err(cxml_reply(400, "Bad Request", &format!("not an HTTP request: {e}"))),
        }
    };
    let mut body = buf.split_off(head_len);
    body.truncate(length);
    while body.len() < length {
        let want = (length - body.len()).min(64 << 10);
        let mut more = vec![0u8; want];
        let n = stream.read(&mut more).await.map_err(io)?;
        if n == 0 {
            return Err(cxml_reply(400, "Bad Request", "the body is shorter than its Content-Length"));
        }
        body.extend_from_slice(&more[..n]);
    }
    Ok(body)
}

/// Compares secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut diff = u8::from(a.len() != b.len());
    for i in 0..a.len().max(b.len()) {
        diff |= a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0);
    }
    diff == 0
}

fn handle(store: &Store, body: &[u8], limits: &Limits) -> Reply {
    let m = match cxml::read(body, limits, None) {
        Ok(m) => m,
        Err(e) => return cxml_reply(400, "Bad Request", &format!("the document cannot be read: {e}")),
    };
    let mut conn = match store.conn() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("POST /cxml: no database connection: {e}");
            return cxml_reply(500, "Internal Server Error", "dropgate cannot reach its database; send again later");
        }
    };
    let found = match crate::pipeline::cxml::find_retailer(&mut conn, &m) {
        Ok(f) => f,
        Err(e) => {
            return cxml_reply(500, "Internal Server Error", &format!("dropgate could not look up the sender: {e}"))
        }
    };
    let from: Vec<String> = m.header.from.iter().map(ToString::to_string).collect();
    let Some((retailer, profile)) = found else {
        tracing::warn!(from = %from.join(", "), "POST /cxml from an unknown sender");
        return cxml_reply(401, "Unauthorized", &format!("{} is not a known buyer", from.join(", ")));
    };
    let expected = profile.cxml.as_ref().and_then(|c| c.shared_secret.as_deref());
    let given = m.header.shared_secret.as_deref().unwrap_or("");
    if !expected.is_some_and(|e| same_secret(e, given)) {
        tracing::warn!(retailer = %retailer, "POST /cxml with a wrong or missing shared secret");
        let _ = conn.write(|c| {
            crate::store::event(
                c,
                "cxml.unauthorized",
                Some(&retailer),
                None,
                None,
                "POST /cxml with a wrong or missing shared secret",
            )
        });
        return cxml_reply(401, "Unauthorized", "the shared secret in Header/Sender/Credential does not match");
    }
    if !matches!(m.body, Body::OrderRequest(_)) {
        return cxml_reply(400, "Bad Request", "only OrderRequest documents are taken at /cxml");
    }
    let name = format!("cxml-{}.xml", crate::util::safe_file_name(&m.header.payload_id));
    let arrival = Arrival {
        source: "http:cxml",
        name: &name,
        retailer: Some(&retailer),
        body: DocBody::Bytes(body),
        settled: true,
    };
    match crate::pipeline::ingest(&mut conn, arrival) {
        Ok((_, s)) if s.quarantined > 0 => {
            let why = s.problems.first().cloned().unwrap_or_else(|| "the order was not taken".into());
            cxml_reply(400, "Bad Request", &why)
        }
        Ok((_, s)) if s.orders() + s.duplicate + s.repeats == 0 => {
            // Kept in the ledger, to be processed again: not the buyer's fault.
            tracing::error!("POST /cxml: {}", s.problems.join("; "));
            cxml_reply(500, "Internal Server Error", "the order is kept but could not be processed yet; it will be")
        }
        Ok((_, s)) => {
            let what = if s.repeats > 0 || s.duplicate > 0 {
                "order received before; answered again"
            } else {
                "order received"
            };
            cxml_reply(200, "OK", what)
        }
        Err(e) => {
            tracing::error!("POST /cxml: {e}");
            cxml_reply(500, "Internal Server Error", "dropgate could not store the order; send again later")
        }
    }
}
