//! A retailer's SFTP tree. It is virtual and backed by the database, so
//! every instance on one database shows the same tree:
//!
//! - `/inbound` takes files. An upload streams into the database (see
//!   [`super::upload`]); when it is closed the document is committed to the
//!   ledger and processed, and only then is the close answered. A file uploaded under a temporary name (`*.part`,
//!   `*.filepart`, `*.tmp`) waits, listed, in the database for its rename
//!   to a final name (through any instance).
//!   A file taken is not listed, but answers `stat` in the session that
//!   put it (clients such as paramiko's `put` check the size after closing).
//! - `/outbound` lists the retailer's outbox documents waiting for pickup;
//!   they can be read, and `rm` acknowledges one. Nothing can be written.
//!
//! Every request gets a proper status; paths with `..`, NUL or bytes that
//! are not UTF-8 are refused.

use super::upload::{self, Finished, Upload, UploadError};
use super::Shared;
use crate::pipeline::Summary;
use crate::store::documents::{Arrival, Body, Received};
use crate::store::sftp::Renamed;
use crate::store::{blobs, outbox, Conn};
use russh_sftp::protocol::{
    Attrs, Data, File, FileAttributes, Handle, Name, OpenFlags, Packet, Status, StatusCode, Version,
};
use russh_sftp::server::StatusReply;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;

const POSIX_RENAME: &str = "posix-rename@openssh.com";
const LIMITS: &str = "limits@openssh.com";
const FSYNC: &str = "fsync@openssh.com";
/// Bytes per READ or WRITE a client may ask for (told through `limits@openssh.com`).
const MAX_IO: u64 = 255 * 1024;
/// Entries per READDIR answer.
const PAGE: usize = 100;
/// Handles one session may hold open.
const MAX_HANDLES: usize = 64;
/// Uploads one session may have open at once.
const MAX_UPLOADS: usize = 16;
/// Files taken in one session that still answer `stat` there, at most.
const MAX_TAKEN: usize = 4096;
/// Bytes per READ answer at most.
const MAX_READ: u32 = 256 * 1024;
const _: () = assert!(MAX_IO <= MAX_READ as u64 && MAX_IO + 1024 <= super::MAX_SFTP_PACKET as u64);

enum Open {
    Upload(Box<Upload>),
    Download { name: String, source: Source, mtime: u32, sent: u64 },
    Dir { entries: Vec<File>, pos: usize, attrs: FileAttributes },
}

/// The bytes of a file open for reading.
enum Source {
    /// A small document, held whole.
    Memory(bytes::Bytes),
    /// A large one, read from its blob a chunk at a time.
    Blob(Box<BlobReader>),
}

impl Source {
    fn len(&self) -> u64 {
        match self {
            Source::Memory(b) => b.len() as u64,
            Source::Blob(r) => r.size,
        }
    }
}

type Fetch = tokio::task::JoinHandle<crate::store::Result<Option<Vec<u8>>>>;

/// Reads a blob in order: the chunk being read is held, and the one after
/// it is already on its way. Every chunk but the last is as long as the
/// first.
struct BlobReader {
    store: crate::store::Store,
    blob: i64,
    size: u64,
    /// The chunks' length, once the first is read.
    chunk_len: Option<u64>,
    current: Option<(u64, bytes::Bytes)>,
    next: Option<(u64, Fetch)>,
}

impl BlobReader {
    fn new(store: crate::store::Store, blob: i64, size: u64) -> BlobReader {
        let mut r = BlobReader { store, blob, size, chunk_len: None, current: None, next: None };
        r.next = Some((0, r.fetch(0)));
        r
    }

    /// The chunks' length (the first chunk is read for it).
    async fn chunk_len(&mut self) -> Reply<u64> {
        if let Some(n) = self.chunk_len {
            return Ok(n);
        }
        let first = self.chunk(0).await?;
        Ok(self.chunk_len.unwrap_or(first.len() as u64))
    }

    fn fetch(&self, n: u64) -> Fetch {
        let (store, blob) = (self.store.clone(), self.blob);
        tokio::task::spawn_blocking(move || {
            let mut c = store.conn()?;
            blobs::chunk(&mut c, blob, i32::try_from(n).unwrap_or(i32::MAX))
        })
    }

    /// Chunk `n`'s bytes.
    async fn chunk(&mut self, n: u64) -> Reply<bytes::Bytes> {
        if let Some((k, b)) = &self.current {
            if *k == n {
                return Ok(b.clone());
            }
        }
        let fetch = match self.next.take() {
            Some((k, f)) if k == n => f,
            other => {
                if let Some((_, f)) = other {
                    f.abort();
                }
                self.fetch(n)
            }
        };
        let got = match fetch.await {
            Ok(Ok(Some(bytes))) => bytes,
            Ok(Ok(None)) => {
                tracing::error!(blob = self.blob, chunk = n, "SFTP: a chunk of an outbound document is missing");
                return Err(failure("the file cannot be read; try again later"));
            }
            Ok(Err(e)) => {
                tracing::error!(blob = self.blob, "SFTP: database: {e}");
                return Err(failure("the server could not complete the request; try again"));
            }
            Err(e) => {
                tracing::error!(blob = self.blob, "SFTP: reading a chunk: {e}");
                return Err(failure("the server could not complete the request; try again"));
            }
        };
        let chunk_len = self.chunk_len.unwrap_or(got.len() as u64);
        let expected = chunk_len.min(self.size.saturating_sub(n * chunk_len));
        if got.len() as u64 != expected || chunk_len == 0 {
            tracing::error!(
                blob = self.blob,
                chunk = n,
                len = got.len(),
                expected,
                "SFTP: a chunk of an outbound document has the wrong size"
            );
            return Err(failure("the file cannot be read; try again later"));
        }
        self.chunk_len = Some(chunk_len);
        let bytes = bytes::Bytes::from(got);
        self.current = Some((n, bytes.clone()));
        if (n + 1) * chunk_len < self.size {
            self.next = Some((n + 1, self.fetch(n + 1)));
        }
        Ok(bytes)
    }
}

impl Drop for BlobReader {
    fn drop(&mut self) {
        if let Some((_, f)) = self.next.take() {
            f.abort();
        }
    }
}

/// Where a path points.
#[derive(Debug, PartialEq, Eq)]
enum Node {
    Root,
    Inbound,
    Outbound,
    InFile(String),
    OutFile(String),
    /// Something that does not exist (and cannot be created).
    Nowhere,
}

type Reply<T> = Result<T, StatusReply>;

fn denied(msg: &str) -> StatusReply {
    StatusCode::PermissionDenied.with_message(msg)
}

fn no_such_file() -> StatusReply {
    StatusCode::NoSuchFile.with_message("No such file")
}

fn failure(msg: &str) -> StatusReply {
    StatusCode::Failure.with_message(msg)
}

fn ok_status(id: u32) -> Status {
    Status { id, status_code: StatusCode::Ok, error_message: "Ok".into(), language_tag: "en-US".into() }
}

/// Refuses NUL, U+FFFD (what bytes that are not UTF-8 arrive as) and other
/// control characters.
fn check_chars(path: &str) -> Reply<()> {
    if path.chars().any(|c| c == '\u{FFFD}' || c.is_control()) {
        return Err(denied("invalid characters in path"));
    }
    Ok(())
}

/// Path components after the root, with `.` and empty ones dropped; `..`
/// is refused.
fn components(path: &str) -> Reply<Vec<&str>> {
    check_chars(path)?;
    let mut out = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err(denied("'..' is not allowed in paths")),
            c => out.push(c),
        }
    }
    Ok(out)
}

fn parse(path: &str) -> Reply<Node> {
    let parts = components(path)?;
    Ok(match parts.as_slice() {
        [] => Node::Root,
        ["inbound"] => Node::Inbound,
        ["outbound"] => Node::Outbound,
        ["inbound", name] => {
            if name.len() > 255 {
                return Err(failure("file name too long"));
            }
            Node::InFile((*name).to_string())
        }
        ["outbound", name] => Node::OutFile((*name).to_string()),
        _ => Node::Nowhere,
    })
}

/// The canonical form of a path: `..` stops at the root (the tree has
/// nothing above it).
fn normalize(path: &str) -> Reply<String> {
    check_chars(path)?;
    let mut out: Vec<&str> = Vec::new();
    for c in path.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    Ok(format!("/{}", out.join("/")))
}

/// Whether a name is a temporary one that some clients upload to before
/// renaming it into place.
pub fn is_temp_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".part", ".filepart", ".tmp"].iter().any(|s| lower.ends_with(s) && lower.len() > s.len())
}

fn now_secs() -> u32 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

fn micros_to_secs(us: i64) -> u32 {
    u32::try_from(us.max(0) / 1_000_000).unwrap_or(u32::MAX)
}

fn dir_attrs(writable: bool, mtime: u32) -> FileAttributes {
    FileAttributes {
        size: Some(0),
        uid: Some(0),
        user: None,
        gid: Some(0),
        group: None,
        permissions: Some(if writable { 0o40770 } else { 0o40550 }),
        atime: Some(mtime),
        mtime: Some(mtime),
    }
}

fn file_attrs(size: u64, writable: bool, mtime: u32) -> FileAttributes {
    FileAttributes {
        size: Some(size),
        uid: Some(0),
        user: None,
        gid: Some(0),
        group: None,
        permissions: Some(if writable { 0o100660 } else { 0o100440 }),
        atime: Some(mtime),
        mtime: Some(mtime),
    }
}

/// The SFTP session of one retailer.
pub(crate) struct Tree {
    shared: Arc<Shared>,
    retailer: String,
    peer: SocketAddr,
    handles: HashMap<String, Open>,
    /// Files this session put that were taken into the ledger: name →
    /// (size, when), for `stat`.
    taken: HashMap<String, (u64, u32)>,
    next: u64,
    started: u32,
}

impl Tree {
    pub fn new(shared: Arc<Shared>, retailer: String, peer: SocketAddr) -> Tree {
        Tree { shared, retailer, peer, handles: HashMap::new(), taken: HashMap::new(), next: 0, started: now_secs() }
    }

    /// Runs `f` on a pooled connection (see [`super::blocking`]).
    async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Conn) -> crate::store::Result<T> + Send + 'static,
    ) -> Reply<T> {
        let store = self.shared.store.clone();
        let r = super::blocking(move || {
            let mut c = store.conn()?;
            f(&mut c)
        })
        .await;
        match r {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => {
                tracing::error!(retailer = %self.retailer, "SFTP: database: {e}");
                Err(failure("the server could not complete the request; try again"))
            }
            Err(e) => {
                tracing::error!(retailer = %self.retailer, "SFTP: database task: {e}");
                Err(failure("the server could not complete the request; try again"))
            }
        }
    }

    fn add_handle(&mut self, open: Open) -> Reply<String> {
        if self.handles.len() >= MAX_HANDLES {
            return Err(failure("too many open files"));
        }
        self.next += 1;
        let h = format!("h{}", self.next);
        self.handles.insert(h.clone(), open);
        Ok(h)
    }

    /// The attributes of a file waiting under a temporary name.
    async fn staged_attrs(&self, name: &str) -> Reply<Option<FileAttributes>> {
        let (retailer, name) = (self.retailer.clone(), name.to_string());
        let f = self.db(move |c| crate::store::sftp::get(c, &retailer, &name)).await?;
        Ok(f.map(|(_, size, at)| file_attrs(u64::try_from(size).unwrap_or(0), true, micros_to_secs(at))))
    }

    /// Commits a closed upload: into the ledger and processed, or, under a
    /// temporary name, waiting for its rename. Returns once it is committed.
    async fn commit(&mut self, fin: Finished) -> Reply<()> {
        let (retailer, source) = (self.retailer.clone(), format!("sftp:{}", self.retailer));
        let (name, size, streamed_blob) = (fin.name.clone(), fin.size, fin.blob);
        let staging = is_temp_name(&name);
        let peer = self.peer;
        let result = self
            .db(move |conn| {
                let fin = fin; // counted as an open upload until committed
                with_processing(conn, |c, process| {
                    if let Some(b) = fin.blob {
                        if !fin.rest.is_empty() {
                            blobs::append(c, b, fin.next_seq, &fin.rest)?;
                        }
                    }
                    if staging {
                        let b = match fin.blob {
                            Some(b) => b,
                            None => blobs::store(c, &fin.rest)?,
                        };
                        crate::store::sftp::stage(c, &retailer, &fin.name, b, fin.size)?;
                        let message = format!("{} ({} bytes) by {peer}, waiting for its rename", fin.name, fin.size);
                        crate::store::event(c, "sftp.upload", Some(&retailer), None, None, &message)?;
                        return Ok(None);
                    }
                    let streamed = fin.blob.map(|b| fin.streamed(b));
                    let body = match &streamed {
                        Some(s) => Body::Blob(s),
                        None => Body::Bytes(&fin.rest),
                    };
                    let arrival =
                        Arrival { source: &source, name: &fin.name, retailer: Some(&retailer), body, settled: true };
                    let (received, summary) = take(c, arrival, process)?;
                    let message = format!("{} ({} bytes) by {peer}", fin.name, fin.size);
                    let doc = Some(received.document());
                    crate::store::event(c, "sftp.upload", Some(&retailer), doc, None, &message)?;
                    Ok(Some((received, summary)))
                })
            })
            .await;
        match result {
            Ok(Some((received, summary))) => {
                self.taken(&name, size, &received, &summary);
                Ok(())
            }
            Ok(None) => {
                tracing::info!(peer = %self.peer, retailer = %self.retailer, file = %name, bytes = size, "SFTP: upload waiting for its rename");
                Ok(())
            }
            Err(e) => {
                tracing::warn!(retailer = %self.retailer, file = %name, "SFTP: upload not taken");
                if let Some(b) = streamed_blob {
                    upload::discard(self.shared.store.clone(), b).await;
                }
                Err(e)
            }
        }
    }

    fn taken(&mut self, name: &str, size: i64, received: &Received, summary: &Summary) {
        if self.taken.len() >= MAX_TAKEN {
            self.taken.clear();
        }
        self.taken.insert(name.to_string(), (u64::try_from(size).unwrap_or(0), now_secs()));
        tracing::info!(
            peer = %self.peer,
            retailer = %self.retailer,
            file = %name,
            bytes = size,
            document_id = received.document(),
            orders = summary.orders(),
            quarantined = summary.quarantined,
            "SFTP: upload taken"
        );
        if summary.outbound > 0 {
            self.shared.wake_delivery();
        }
    }

    async fn attrs_of(&self, node: Node) -> Reply<FileAttributes> {
        match node {
            Node::Root | Node::Outbound => Ok(dir_attrs(false, self.started)),
            Node::Inbound => Ok(dir_attrs(true, self.started)),
            // Only temporary names wait; a final name taken by this session
            // still answers `stat` here.
            Node::InFile(name) if is_temp_name(&name) => self.staged_attrs(&name).await?.ok_or_else(no_such_file),
            Node::InFile(name) => {
                self.taken.get(&name).map(|&(size, at)| file_attrs(size, false, at)).ok_or_else(no_such_file)
            }
            Node::OutFile(name) => {
                let retailer = self.retailer.clone();
                let w = self.db(move |c| outbox::waiting_one(c, &retailer, &name)).await?;
                w.map(|w| file_attrs(u64::try_from(w.size).unwrap_or(0), false, micros_to_secs(w.created_at)))
                    .ok_or_else(no_such_file)
            }
            Node::Nowhere => Err(no_such_file()),
        }
    }

    async fn do_rename(&mut self, id: u32, oldpath: &str, newpath: &str, overwrite: bool) -> Reply<Status> {
        let (Node::InFile(from), Node::InFile(to)) = (parse(oldpath)?, parse(newpath)?) else {
            return Err(denied("files can only be renamed within /inbound"));
        };
        if from == to {
            return if self.staged_attrs(&from).await?.is_some() { Ok(ok_status(id)) } else { Err(no_such_file()) };
        }
        if is_temp_name(&to) {
            let (retailer, f, t) = (self.retailer.clone(), from.clone(), to.clone());
            return match self.db(move |c| crate::store::sftp::rename(c, &retailer, &f, &t, overwrite)).await? {
                Renamed::Done => Ok(ok_status(id)),
                Renamed::NoSource => Err(no_such_file()),
                Renamed::TargetExists => Err(failure("a file of that name exists")),
            };
        }
        // Into place: the waiting file's bytes become a document of the
        // ledger under its final name, in one commit.
        let (retailer, source, f, t) = (self.retailer.clone(), format!("sftp:{}", self.retailer), from, to.clone());
        let peer = self.peer;
        let r = self
            .db(move |conn| {
                with_processing(conn, |c, process| {
                    let Some((blob, _)) = crate::store::sftp::blob_of(c, &retailer, &f)? else { return Ok(None) };
                    let streamed = blobs::describe(c, blob)?;
                    crate::store::sftp::release(c, &retailer, &f)?;
                    let arrival = Arrival {
                        source: &source,
                        name: &t,
                        retailer: Some(&retailer),
                        body: Body::Blob(&streamed),
                        settled: true,
                    };
                    let (received, summary) = take(c, arrival, process)?;
                    let message = format!("{f} renamed to {t} ({} bytes) by {peer}", streamed.size);
                    let doc = Some(received.document());
                    crate::store::event(c, "sftp.upload", Some(&retailer), doc, None, &message)?;
                    Ok(Some(((received, summary), streamed.size)))
                })
            })
            .await?;
        let Some(((received, summary), size)) = r else { return Err(no_such_file()) };
        self.taken(&to, size, &received, &summary);
        Ok(ok_status(id))
    }
}

impl Tree {
    /// The bytes a READ asks for, as slices of the file (no copy): one,
    /// or two where the range crosses from one chunk of a large document
    /// into the next.
    pub async fn read_slices(&mut self, handle: &str, offset: u64, len: u32) -> Reply<Vec<bytes::Bytes>> {
        let Some(open) = self.handles.get_mut(handle) else { return Err(failure("invalid handle")) };
        let Open::Download { source, sent, .. } = open else { return Err(denied("not open for reading")) };
        let total = source.len();
        if offset >= total {
            return Err(StatusCode::Eof.with_message("end of file"));
        }
        let end = offset.saturating_add(u64::from(len.min(MAX_READ))).min(total);
        *sent = (*sent).max(end);
        match source {
            Source::Memory(bytes) => {
                let (a, b) =
                    (usize::try_from(offset).unwrap_or(usize::MAX), usize::try_from(end).unwrap_or(usize::MAX));
                Ok(vec![bytes.slice(a..b)])
            }
            Source::Blob(reader) => {
                let len = reader.chunk_len().await?;
                let mut parts = Vec::with_capacity(2);
                let mut at = offset;
                while at < end {
                    let n = at / len;
                    let chunk = reader.chunk(n).await?;
                    let from = usize::try_from(at - n * len).unwrap_or(usize::MAX);
                    let to = usize::try_from(end.min((n + 1) * len) - n * len).unwrap_or(usize::MAX);
                    parts.push(chunk.slice(from..to));
                    at = (n + 1) * len;
                }
                Ok(parts)
            }
        }
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        let unfinished = self.handles.values().filter(|h| matches!(h, Open::Upload(_))).count();
        if unfinished > 0 {
            tracing::warn!(
                peer = %self.peer,
                retailer = %self.retailer,
                uploads = unfinished,
                "SFTP: session ended with uploads not closed; nothing was taken"
            );
        }
    }
}

impl russh_sftp::server::Handler for Tree {
    type Error = StatusReply;

    fn unimplemented(&self) -> Self::Error {
        StatusCode::OpUnsupported.with_message("operation not supported")
    }

    async fn init(&mut self, _version: u32, _extensions: HashMap<String, String>) -> Reply<Version> {
        let mut v = Version::new();
        v.extensions.insert(POSIX_RENAME.to_string(), "1".to_string());
        v.extensions.insert(LIMITS.to_string(), "1".to_string());
        v.extensions.insert(FSYNC.to_string(), "1".to_string());
        Ok(v)
    }

    async fn realpath(&mut self, id: u32, path: String) -> Reply<Name> {
        let p = normalize(&path)?;
        Ok(Name { id, files: vec![File::dummy(p)] })
    }

    async fn stat(&mut self, id: u32, path: String) -> Reply<Attrs> {
        let node = parse(&path)?;
        Ok(Attrs { id, attrs: self.attrs_of(node).await? })
    }

    async fn lstat(&mut self, id: u32, path: String) -> Reply<Attrs> {
        self.stat(id, path).await
    }

    async fn fstat(&mut self, id: u32, handle: String) -> Reply<Attrs> {
        let attrs = match self.handles.get(&handle) {
            Some(Open::Upload(u)) => file_attrs(u.size(), true, now_secs()),
            Some(Open::Download { source, mtime, .. }) => file_attrs(source.len(), false, *mtime),
            Some(Open::Dir { attrs, .. }) => attrs.clone(),
            None => return Err(failure("invalid handle")),
        };
        Ok(Attrs { id, attrs })
    }

    async fn setstat(&mut self, id: u32, path: String, _attrs: FileAttributes) -> Reply<Status> {
        // Times and modes mean nothing here: accepted and ignored.
        match parse(&path)? {
            Node::Nowhere => Err(no_such_file()),
            _ => Ok(ok_status(id)),
        }
    }

    async fn fsetstat(&mut self, id: u32, handle: String, _attrs: FileAttributes) -> Reply<Status> {
        if self.handles.contains_key(&handle) {
            Ok(ok_status(id))
        } else {
            Err(failure("invalid handle"))
        }
    }

    async fn opendir(&mut self, _id: u32, path: String) -> Reply<Handle> {
        let node = parse(&path)?;
        let (entries, attrs) = match node {
            Node::Root => (
                vec![
                    File::new("inbound", dir_attrs(true, self.started)),
                    File::new("outbound", dir_attrs(false, self.started)),
                ],
                dir_attrs(false, self.started),
            ),
            Node::Inbound => {
                let retailer = self.retailer.clone();
                let staged = self.db(move |c| crate::store::sftp::list(c, &retailer)).await?;
                let files = staged
                    .into_iter()
                    .map(|(n, size, at)| {
                        File::new(n, file_attrs(u64::try_from(size).unwrap_or(0), true, micros_to_secs(at)))
                    })
                    .collect();
                (files, dir_attrs(true, self.started))
            }
            Node::Outbound => {
                let retailer = self.retailer.clone();
                let waiting = self.db(move |c| outbox::waiting(c, &retailer)).await?;
                let files = waiting
                    .into_iter()
                    .map(|w| {
                        let attrs = file_attrs(u64::try_from(w.size).unwrap_or(0), false, micros_to_secs(w.created_at));
                        File::new(w.file_name, attrs)
                    })
                    .collect();
                (files, dir_attrs(false, self.started))
            }
            Node::InFile(n) => {
                return Err(if self.staged_attrs(&n).await?.is_some() {
                    failure("not a directory")
                } else {
                    no_such_file()
                })
            }
            Node::OutFile(_) | Node::Nowhere => return Err(no_such_file()),
        };
        let handle = self.add_handle(Open::Dir { entries, pos: 0, attrs })?;
        Ok(Handle { id: _id, handle })
    }

    async fn readdir(&mut self, id: u32, handle: String) -> Reply<Name> {
        let Some(Open::Dir { entries, pos, .. }) = self.handles.get_mut(&handle) else {
            return Err(failure("invalid handle"));
        };
        if *pos >= entries.len() {
            return Err(StatusCode::Eof.with_message("end of directory"));
        }
        let end = (*pos + PAGE).min(entries.len());
        let files = entries[*pos..end].to_vec();
        *pos = end;
        Ok(Name { id, files })
    }

    async fn open(&mut self, id: u32, filename: String, pflags: OpenFlags, _attrs: FileAttributes) -> Reply<Handle> {
        let writing = pflags.intersects(OpenFlags::WRITE | OpenFlags::APPEND | OpenFlags::CREATE | OpenFlags::TRUNCATE);
        let node = parse(&filename)?;
        let open = match node {
            Node::InFile(name) => {
                if !writing {
                    return Err(denied("files in /inbound cannot be read back"));
                }
                if self.shared.closing.load(Ordering::SeqCst) {
                    return Err(failure("the server is shutting down; try again shortly"));
                }
                if self.handles.len() >= MAX_HANDLES {
                    return Err(failure("too many open files"));
                }
                if self.handles.values().filter(|h| matches!(h, Open::Upload(_))).count() >= MAX_UPLOADS {
                    return Err(failure("too many files open for writing"));
                }
                let mut up = Upload::new(name.clone(), &self.shared);
                // Only temporary names wait in the database. A file waiting
                // under this name is continued (resumed uploads) unless the
                // client truncates it.
                if is_temp_name(&name) {
                    let (retailer, n) = (self.retailer.clone(), name.clone());
                    let keep = !pflags.contains(OpenFlags::TRUNCATE);
                    let staged = self
                        .db(move |c| match crate::store::sftp::blob_of(c, &retailer, &n)? {
                            Some((blob, _)) if keep => Ok(Some(Some(blobs::read(c, blob)?))),
                            Some(_) => Ok(Some(None)),
                            None => Ok(None),
                        })
                        .await?;
                    if staged.is_some() && pflags.contains(OpenFlags::EXCLUDE) {
                        return Err(failure("a file of that name exists"));
                    }
                    if let Some(Some(bytes)) = staged {
                        up.prefill(bytes);
                    }
                }
                Open::Upload(Box::new(up))
            }
            Node::OutFile(name) => {
                if writing {
                    return Err(denied("/outbound is read-only"));
                }
                let (retailer, n) = (self.retailer.clone(), name.clone());
                let row = self.db(move |c| outbox::waiting_bytes(c, &retailer, &n)).await?;
                let source = match row {
                    None => return Err(no_such_file()),
                    Some((_, outbox::WaitingBytes::Inline(bytes))) => Source::Memory(bytes.into()),
                    Some((_, outbox::WaitingBytes::Blob { blob, size })) => {
                        Source::Blob(Box::new(BlobReader::new(self.shared.store.clone(), blob, size)))
                    }
                };
                Open::Download { name, source, mtime: now_secs(), sent: 0 }
            }
            Node::Root | Node::Inbound | Node::Outbound => {
                return Err(if writing { denied("that is a directory") } else { failure("that is a directory") })
            }
            Node::Nowhere => {
                return Err(if writing { denied("files can only be written into /inbound") } else { no_such_file() })
            }
        };
        let handle = self.add_handle(open)?;
        Ok(Handle { id, handle })
    }

    async fn write(&mut self, id: u32, handle: String, offset: u64, data: Vec<u8>) -> Reply<Status> {
        let max = self.shared.cfg.sftp.max_file_bytes;
        match self.handles.get_mut(&handle) {
            Some(Open::Upload(u)) => match u.write(offset, &data, max).await {
                Ok(()) => Ok(ok_status(id)),
                Err(UploadError::TooBig) => {
                    Err(failure(&format!("the file exceeds the {max}-byte limit; it will not be taken")))
                }
                Err(e) => Err(failure(&e.to_string())),
            },
            Some(_) => Err(denied("not open for writing")),
            None => Err(failure("invalid handle")),
        }
    }

    async fn read(&mut self, id: u32, handle: String, offset: u64, len: u32) -> Reply<Data> {
        self.read_slices(&handle, offset, len).await.map(|parts| Data { id, data: parts.concat() })
    }

    async fn close(&mut self, id: u32, handle: String) -> Reply<Status> {
        match self.handles.remove(&handle) {
            Some(Open::Upload(u)) => {
                if u.too_big {
                    let max = self.shared.cfg.sftp.max_file_bytes;
                    tracing::warn!(retailer = %self.retailer, file = %u.name, max, "SFTP: oversized upload refused");
                    return Err(failure(&format!("the file exceeds the {max}-byte limit; it was not taken")));
                }
                let name = u.name.clone();
                match u.finish().await {
                    Ok(fin) => self.commit(fin).await.map(|()| ok_status(id)),
                    Err(e) => {
                        tracing::warn!(retailer = %self.retailer, file = %name, "SFTP: upload not taken: {e}");
                        Err(failure(&format!("{e}; the file was not taken")))
                    }
                }
            }
            Some(Open::Download { name, source, sent, .. }) => {
                if sent > 0 {
                    let size = source.len();
                    tracing::info!(peer = %self.peer, retailer = %self.retailer, file = %name, bytes = size, "SFTP: download");
                    let what = if sent >= size { "" } else { ", in part" };
                    let message = format!("{name} ({size} bytes{what}) by {}", self.peer);
                    self.shared.record("sftp.download", &self.retailer, message);
                }
                Ok(ok_status(id))
            }
            Some(Open::Dir { .. }) => Ok(ok_status(id)),
            None => Err(failure("invalid handle")),
        }
    }

    async fn remove(&mut self, id: u32, filename: String) -> Reply<Status> {
        match parse(&filename)? {
            Node::OutFile(name) => {
                let (retailer, n, peer) = (self.retailer.clone(), name.clone(), self.peer);
                let picked = self
                    .db(move |c| {
                        c.write(|c| {
                            let n2 = outbox::pick_up(c, &retailer, &n)?;
                            if n2 > 0 {
                                let message = format!("{n} by {peer}");
                                crate::store::event(c, "sftp.picked_up", Some(&retailer), None, None, &message)?;
                            }
                            Ok(n2)
                        })
                    })
                    .await?;
                if picked == 0 {
                    return Err(no_such_file());
                }
                tracing::info!(peer = %self.peer, retailer = %self.retailer, file = %name, "SFTP: picked up");
                Ok(ok_status(id))
            }
            Node::InFile(name) => {
                let retailer = self.retailer.clone();
                if self.db(move |c| crate::store::sftp::remove(c, &retailer, &name)).await? {
                    Ok(ok_status(id))
                } else {
                    Err(no_such_file())
                }
            }
            Node::Root | Node::Inbound | Node::Outbound => Err(denied("directories cannot be removed")),
            Node::Nowhere => Err(no_such_file()),
        }
    }

    async fn mkdir(&mut self, _id: u32, path: String, _attrs: FileAttributes) -> Reply<Status> {
        parse(&path)?;
        Err(denied("directories cannot be created"))
    }

    async fn rmdir(&mut self, _id: u32, path: String) -> Reply<Status> {
        parse(&path)?;
        Err(denied("directories cannot be removed"))
    }

    async fn rename(&mut self, id: u32, oldpath: String, newpath: String) -> Reply<Status> {
        self.do_rename(id, &oldpath, &newpath, false).await
    }

    async fn readlink(&mut self, _id: u32, path: String) -> Reply<Name> {
        match parse(&path)? {
            Node::Nowhere => Err(no_such_file()),
            _ => Err(failure("not a symbolic link")),
        }
    }

    async fn symlink(&mut self, _id: u32, _linkpath: String, _targetpath: String) -> Reply<Status> {
        Err(denied("links cannot be created"))
    }

    async fn extended(&mut self, id: u32, request: String, data: Vec<u8>) -> Reply<Packet> {
        if request == POSIX_RENAME {
            let mut rest: &[u8] = &data;
            let (Some(old), Some(new)) = (take_string(&mut rest), take_string(&mut rest)) else {
                return Err(StatusCode::BadMessage.with_message("malformed rename request"));
            };
            let status = self.do_rename(id, &old, &new, true).await?;
            return Ok(Packet::Status(status));
        }
        if request == FSYNC {
            // An upload is made durable by its close, and one not closed
            // is never taken: there is nothing for an fsync to do before.
            let mut rest: &[u8] = &data;
            let Some(handle) = take_string(&mut rest) else {
                return Err(StatusCode::BadMessage.with_message("malformed fsync request"));
            };
            return if self.handles.contains_key(&handle) {
                Ok(Packet::Status(ok_status(id)))
            } else {
                Err(failure("invalid handle"))
            };
        }
        if request == LIMITS {
            // max packet, read and write lengths, open handles: four uint64.
            let mut data = Vec::with_capacity(32);
            for v in [u64::from(super::MAX_SFTP_PACKET), MAX_IO, MAX_IO, MAX_HANDLES as u64] {
                data.extend_from_slice(&v.to_be_bytes());
            }
            return Ok(Packet::ExtendedReply(russh_sftp::protocol::ExtendedReply { id, data }));
        }
        Err(StatusCode::OpUnsupported.with_message("extension not supported"))
    }
}

/// Runs `body` in one transaction, processing what it takes; should the
/// processing fail, runs it again taking the file into the ledger only (the
/// document is processed again later).
fn with_processing<T>(
    conn: &mut Conn,
    mut body: impl FnMut(&mut Conn, bool) -> crate::store::Result<T>,
) -> crate::store::Result<T> {
    match conn.write(|c| body(c, true)) {
        Err(crate::store::StoreError::ProcessingFailed { document, reason }) => {
            tracing::error!(
                document_id = document,
                "SFTP: processing failed; the file is kept in the ledger: {reason}"
            );
            conn.write(|c| body(c, false))
        }
        other => other,
    }
}

/// Takes an arrival into the ledger, and processes it unless told not to.
fn take(conn: &mut Conn, arrival: Arrival<'_>, process: bool) -> crate::store::Result<(Received, Summary)> {
    if process {
        return crate::pipeline::ingest(conn, arrival);
    }
    let received = crate::store::documents::receive(conn, arrival)?;
    let problem = format!("document {}: processing failed; it waits in the ledger", received.document());
    Ok((received, Summary { problems: vec![problem], ..Summary::default() }))
}

/// Reads one SSH string (u32 length + bytes) as text; bytes that are not
/// UTF-8 become U+FFFD, which the path checks refuse.
fn take_string(rest: &mut &[u8]) -> Option<String> {
    if rest.len() < 4 {
        return None;
    }
    let n = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
    let body = rest.get(4..4 + n)?;
    let s = String::from_utf8_lossy(body).into_owned();
    *rest = &rest[4 + n..];
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse("/").unwrap(), Node::Root);
        assert_eq!(parse("").unwrap(), Node::Root);
        assert_eq!(parse("//inbound/./").unwrap(), Node::Inbound);
        assert_eq!(parse("outbound").unwrap(), Node::Outbound);
        assert_eq!(parse("/inbound/PO1.edi").unwrap(), Node::InFile("PO1.edi".into()));
        assert_eq!(parse("/outbound/855_1.edi").unwrap(), Node::OutFile("855_1.edi".into()));
        assert_eq!(parse("/inbound/a/b").unwrap(), Node::Nowhere);
        assert_eq!(parse("/etc/passwd").unwrap(), Node::Nowhere);
        for bad in ["/inbound/../outbound/x", "..", "/inbound/a\0b", "/inbound/\u{FFFD}.edi", "/inbound/a\nb"] {
            let e = parse(bad).unwrap_err();
            assert_eq!(e.status_code, StatusCode::PermissionDenied, "{bad:?}");
        }
    }

    #[test]
    fn realpaths_stay_inside() {
        assert_eq!(normalize(".").unwrap(), "/");
        assert_eq!(normalize("/inbound/..").unwrap(), "/");
        assert_eq!(normalize("/../../etc").unwrap(), "/etc");
        assert_eq!(normalize("inbound/./x").unwrap(), "/inbound/x");
        assert!(normalize("/a\0").is_err());
    }

    #[test]
    fn temp_names() {
        for t in ["PO1.edi.part", "x.FILEPART", "a.tmp"] {
            assert!(is_temp_name(t), "{t}");
        }
        for f in ["PO1.edi", ".part", "part", "x.parts"] {
            assert!(!is_temp_name(f), "{f}");
        }
    }

    #[test]
    fn ssh_strings() {
        let mut data = Vec::new();
        for s in ["/inbound/a.part", "/inbound/a"] {
            data.extend_from_slice(&(s.len() as u32).to_be_bytes());
            data.extend_from_slice(s.as_bytes());
        }
        let mut rest: &[u8] = &data;
        assert_eq!(take_string(&mut rest).as_deref(), Some("/inbound/a.part"));
        assert_eq!(take_string(&mut rest).as_deref(), Some("/inbound/a"));
        assert_eq!(take_string(&mut rest), None);
        let mut short: &[u8] = &[0, 0, 0, 9, b'a'];
        assert_eq!(take_string(&mut short), None);
    }
}
