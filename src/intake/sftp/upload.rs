//! An upload in progress. Its bytes stream into a blob in the database
//! while they arrive, a chunk at a time, hashed on the way; the chunk
//! commits do not wait for the disk. When the client closes the file, the
//! rest and the document go in with one commit that does wait for it, and
//! that covers every chunk before it. A connection dropped before the close
//! leaves an incomplete blob, which is removed at once (or swept later).
//!
//! Writes are expected in order, as every SFTP client sends them; writes
//! ahead of the data so far (pipelined requests out of order) are held up
//! to a limit until the gap is filled; a write into a part already stored
//! is refused.

use super::Shared;
use crate::store::blobs;
use crate::store::documents::{head_of, StreamedBlob};
use crate::store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::task::JoinHandle;

/// Out-of-order bytes held at most, ahead of the contiguous part.
const MAX_AHEAD: usize = 16 << 20;
/// A slow upload with a blob writes what it has at least this often, so
/// its blob is never taken for one left over.
const TOUCH: Duration = Duration::from_secs(30);

/// Why a write or a close is refused.
#[derive(Debug)]
pub(crate) enum UploadError {
    /// Past the configured size limit.
    TooBig,
    /// A write into bytes already stored.
    Rewrite(u64),
    /// Too much data ahead of a gap.
    TooFarAhead,
    /// The file has a gap that was never written.
    Gap(u64, u64),
    /// A write was refused before: the file is not what the client meant.
    Refused,
    /// The database failed.
    Store(String),
}

impl std::fmt::Display for UploadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UploadError::TooBig => write!(f, "the file exceeds the size limit"),
            UploadError::Rewrite(at) => {
                write!(f, "cannot write at offset {at}: that part of the file is stored already; upload in order")
            }
            UploadError::TooFarAhead => write!(f, "too many writes out of order; upload in order"),
            UploadError::Gap(from, to) => write!(f, "bytes {from}..{to} of the file were never written"),
            UploadError::Refused => write!(f, "a write into the file was refused"),
            UploadError::Store(e) => write!(f, "{e}"),
        }
    }
}

/// Counts an upload as open until dropped.
pub(crate) struct Open(Arc<Shared>);

impl Open {
    pub fn new(shared: Arc<Shared>) -> Open {
        shared.uploads.fetch_add(1, Ordering::SeqCst);
        Open(shared)
    }
}

impl Drop for Open {
    fn drop(&mut self) {
        self.0.uploads.fetch_sub(1, Ordering::SeqCst);
    }
}

/// The hash so far, the blob once there is one, and a spare buffer.
struct Streamer {
    hasher: Sha256,
    blob: Option<i64>,
    spare: Vec<u8>,
}

type Flush = JoinHandle<(Streamer, Result<(), StoreError>)>;

pub(crate) struct Upload {
    pub name: String,
    open: Open,
    store: Store,
    /// Bytes per chunk.
    chunk: usize,
    /// Bytes `[0, stored)` are in chunks of the blob, or on their way.
    stored: u64,
    /// Bytes from `stored` on.
    buf: Vec<u8>,
    /// Writes beyond the end of `buf`, by offset.
    ahead: BTreeMap<u64, Vec<u8>>,
    ahead_bytes: usize,
    /// Here between flushes; inside `flushing` while one runs.
    streamer: Option<Streamer>,
    flushing: Option<Flush>,
    next_seq: i32,
    head: Vec<u8>,
    last_flush: Instant,
    pub too_big: bool,
    /// A chunk could not be stored: the upload cannot complete.
    broken: bool,
    /// A write was refused: the upload is not taken.
    refused: bool,
}

/// A closed upload, ready to be committed.
pub(crate) struct Finished {
    pub name: String,
    /// Keeps the upload counted until the commit.
    pub _open: Open,
    /// The bytes not in chunks yet.
    pub rest: Vec<u8>,
    /// The blob holding the first chunks, if any: the rest goes in as
    /// chunk `next_seq`.
    pub blob: Option<i64>,
    pub next_seq: i32,
    pub sha256: String,
    pub size: i64,
    pub head: Vec<u8>,
}

impl Finished {
    /// Describes the blob once the rest is in it.
    pub fn streamed(&self, blob: i64) -> StreamedBlob {
        StreamedBlob { id: blob, size: self.size, sha256: self.sha256.clone(), head: self.head.clone() }
    }
}

impl Upload {
    pub fn new(name: String, shared: &Arc<Shared>) -> Upload {
        Upload {
            name,
            open: Open::new(shared.clone()),
            store: shared.store.clone(),
            chunk: shared.cfg.sftp.chunk(),
            stored: 0,
            buf: Vec::new(),
            ahead: BTreeMap::new(),
            ahead_bytes: 0,
            streamer: Some(Streamer { hasher: Sha256::new(), blob: None, spare: Vec::new() }),
            flushing: None,
            next_seq: 0,
            head: Vec::new(),
            last_flush: Instant::now(),
            too_big: false,
            broken: false,
            refused: false,
        }
    }

    /// Continues a file with these bytes already written.
    pub fn prefill(&mut self, bytes: Vec<u8>) {
        self.buf = bytes;
    }

    /// The size so far.
    pub fn size(&self) -> u64 {
        let contiguous = self.stored + self.buf.len() as u64;
        let ahead = self.ahead.iter().map(|(o, d)| o + d.len() as u64).max().unwrap_or(0);
        contiguous.max(ahead)
    }

    pub async fn write(&mut self, offset: u64, data: &[u8], max: u64) -> Result<(), UploadError> {
        let end = offset.saturating_add(data.len() as u64);
        if end > max || self.too_big {
            self.too_big = true;
            return Err(UploadError::TooBig);
        }
        if offset < self.stored {
            self.refused = true;
            return Err(UploadError::Rewrite(offset));
        }
        if offset > self.stored + self.buf.len() as u64 {
            if self.ahead_bytes + data.len() > MAX_AHEAD {
                self.refused = true;
                return Err(UploadError::TooFarAhead);
            }
            self.ahead_bytes += data.len();
            if let Some(old) = self.ahead.insert(offset, data.to_vec()) {
                self.ahead_bytes -= old.len();
            }
            return Ok(());
        }
        self.put(offset, data);
        while let Some(entry) = self.ahead.first_entry() {
            if *entry.key() > self.stored + self.buf.len() as u64 {
                break;
            }
            let (at, d) = entry.remove_entry();
            self.ahead_bytes -= d.len();
            self.put(at, &d);
        }
        let due = self.buf.len() >= self.chunk || (self.next_seq > 0 && self.last_flush.elapsed() >= TOUCH);
        if due && !self.buf.is_empty() {
            self.flush().await?;
        }
        Ok(())
    }

    /// Puts bytes into the buffer; `offset` is within or at its end.
    fn put(&mut self, offset: u64, data: &[u8]) {
        let start = usize::try_from(offset - self.stored).unwrap_or(usize::MAX).min(self.buf.len());
        let overlap = (self.buf.len() - start).min(data.len());
        self.buf[start..start + overlap].copy_from_slice(&data[..overlap]);
        let rest = &data[overlap..];
        if !rest.is_empty() {
            if self.buf.capacity() == 0 && rest.len() >= 32 * 1024 {
                // A large upload: one buffer of a chunk's size, reused.
                self.buf.reserve(self.chunk + rest.len());
            }
            self.buf.extend_from_slice(rest);
        }
    }

    /// Waits for the chunk in flight, if any.
    async fn settle(&mut self) -> Result<Streamer, UploadError> {
        if self.broken {
            return Err(UploadError::Store("a part of the upload could not be stored".into()));
        }
        if let Some(f) = self.flushing.take() {
            let r = f.await;
            let e = match r {
                Ok((s, Ok(()))) => return Ok(s),
                Ok((s, Err(e))) => {
                    // Keep the blob known, for its removal.
                    self.streamer = Some(s);
                    e.to_string()
                }
                Err(e) => e.to_string(),
            };
            self.broken = true;
            tracing::error!(file = %self.name, "SFTP: storing a part of an upload: {e}");
            return Err(UploadError::Store("a part of the upload could not be stored".into()));
        }
        self.streamer.take().ok_or_else(|| UploadError::Store("a part of the upload could not be stored".into()))
    }

    /// Sends the buffer off as the next chunk.
    async fn flush(&mut self) -> Result<(), UploadError> {
        let mut s = self.settle().await?;
        let mut chunk = std::mem::take(&mut s.spare);
        std::mem::swap(&mut chunk, &mut self.buf);
        if self.stored == 0 {
            self.head = head_of(&chunk);
        }
        self.stored += chunk.len() as u64;
        let seq = self.next_seq;
        self.next_seq += 1;
        self.last_flush = Instant::now();
        let store = self.store.clone();
        self.flushing = Some(tokio::task::spawn_blocking(move || {
            s.hasher.update(&chunk);
            let r = store.conn().and_then(|mut conn| {
                let known = s.blob;
                let blob = conn.write_unsynced(|c| {
                    let b = match known {
                        Some(b) => b,
                        None => blobs::create(c)?,
                    };
                    blobs::append(c, b, seq, &chunk)?;
                    Ok(b)
                })?;
                s.blob = Some(blob);
                Ok(())
            });
            chunk.clear();
            s.spare = chunk;
            (s, r)
        }));
        Ok(())
    }

    /// The client closed the file: everything but the commit.
    pub async fn finish(mut self) -> Result<Finished, UploadError> {
        if self.refused {
            return Err(UploadError::Refused);
        }
        if let Some((&at, _)) = self.ahead.first_key_value() {
            return Err(UploadError::Gap(self.stored + self.buf.len() as u64, at));
        }
        let mut s = self.settle().await?;
        let rest = std::mem::take(&mut self.buf);
        if self.stored == 0 {
            self.head = head_of(&rest);
        }
        s.hasher.update(&rest);
        let size = i64::try_from(self.stored + rest.len() as u64).unwrap_or(i64::MAX);
        let blob = s.blob.take();
        let sha256 = crate::util::sha256_finish(s.hasher);
        let open = Open::new(self.open.0.clone());
        Ok(Finished {
            name: std::mem::take(&mut self.name),
            _open: open,
            rest,
            blob,
            next_seq: self.next_seq,
            sha256,
            size,
            head: std::mem::take(&mut self.head),
        })
    }
}

impl Drop for Upload {
    /// An upload not finished: its chunks go.
    fn drop(&mut self) {
        let flushing = self.flushing.take();
        let blob = self.streamer.as_ref().and_then(|s| s.blob);
        if flushing.is_none() && blob.is_none() {
            return;
        }
        let store = self.store.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                let blob = match flushing {
                    Some(f) => f.await.ok().and_then(|(s, _)| s.blob),
                    None => blob,
                };
                if let Some(b) = blob {
                    discard(store, b).await;
                }
            });
        }
    }
}

/// Removes a blob that will not be committed (it is swept later if this fails).
pub(crate) async fn discard(store: Store, blob: i64) {
    let r =
        tokio::task::spawn_blocking(move || store.conn().and_then(|mut c| c.write(|c| blobs::delete(c, blob)))).await;
    if let Ok(Err(e)) = r {
        tracing::warn!(blob, "SFTP: removing an unfinished upload (it will be swept later): {e}");
    }
}
