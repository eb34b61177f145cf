//! The SFTP subsystem of one channel, run inside its SSH session: requests
//! are cut from the channel's data as it arrives, answered one at a time in
//! order, and each answer is queued on the session at once. No task, queue
//! or stream sits between the SSH packets and the tree.
//!
//! The framing is followed here: a packet announcing more than the limit
//! ends the channel (answering it and reading on would leave the session
//! out of step with the client).

use super::tree::Tree;
use bytes::{Buf, Bytes, BytesMut};
use russh::server::Session;
use russh::ChannelId;
use russh_sftp::protocol::{Packet, Status, StatusCode};
use russh_sftp::server::{Handler, StatusReply};

pub(crate) struct SftpChannel {
    tree: Tree,
    input: BytesMut,
    max_packet: u32,
}

/// SSH_FXP_DATA.
const FXP_DATA: u8 = 103;

/// An answer: a packet, or file data sent as a header and a slice of the
/// file itself.
enum Answer {
    Packet(Packet),
    Data { id: u32, parts: Vec<Bytes> },
}

/// What became of the data fed in.
pub(crate) enum Fed {
    /// Every whole request was answered; the rest waits for more data.
    Answered,
    /// A packet longer than the limit: the channel must close.
    TooLong(u32),
}

impl SftpChannel {
    pub fn new(tree: Tree, max_packet: u32) -> SftpChannel {
        SftpChannel { tree, input: BytesMut::new(), max_packet }
    }

    /// Takes data from the client and answers every request it completes.
    pub async fn feed(&mut self, data: &[u8], session: &mut Session, channel: ChannelId) -> Fed {
        self.input.extend_from_slice(data);
        loop {
            let Some(head) = self.input.get(..4) else { return Fed::Answered };
            let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            if len > self.max_packet {
                return Fed::TooLong(len);
            }
            let whole = 4 + len as usize;
            if self.input.len() < whole {
                self.input.reserve(whole - self.input.len());
                return Fed::Answered;
            }
            self.input.advance(4);
            let mut packet = self.input.split_to(len as usize).freeze();
            let sent = match self.answer(&mut packet).await {
                Answer::Packet(p) => match Bytes::try_from(p) {
                    Ok(bytes) => session.data(channel, bytes),
                    Err(e) => {
                        tracing::error!("SFTP: encoding an answer: {e}");
                        Ok(())
                    }
                },
                Answer::Data { id, parts } => {
                    let n = u32::try_from(parts.iter().map(Bytes::len).sum::<usize>()).unwrap_or(u32::MAX);
                    let mut head = Vec::with_capacity(13);
                    head.extend_from_slice(&(9 + n).to_be_bytes());
                    head.push(FXP_DATA);
                    head.extend_from_slice(&id.to_be_bytes());
                    head.extend_from_slice(&n.to_be_bytes());
                    std::iter::once(Bytes::from(head)).chain(parts).try_for_each(|part| session.data(channel, part))
                }
            };
            if let Err(e) = sent {
                tracing::debug!("SFTP: answer not sent: {e}");
            }
        }
    }

    async fn answer(&mut self, bytes: &mut Bytes) -> Answer {
        let request = match Packet::try_from(&mut *bytes) {
            Ok(r) => r,
            Err(e) => {
                tracing::debug!("SFTP: unreadable request: {e}");
                return Answer::Packet(Packet::error(0, StatusCode::BadMessage));
            }
        };
        let id = request.get_request_id();
        let t = &mut self.tree;
        let r: Result<Packet, StatusReply> = match request {
            Packet::Init(p) => t.init(p.version, p.extensions).await.map(Into::into),
            Packet::Open(p) => t.open(p.id, p.filename, p.pflags, p.attrs).await.map(Into::into),
            Packet::Close(p) => t.close(p.id, p.handle).await.map(Into::into),
            Packet::Read(p) => match t.read_slices(&p.handle, p.offset, p.len).await {
                Ok(parts) => return Answer::Data { id: p.id, parts },
                Err(e) => Err(e),
            },
            Packet::Write(p) => t.write(p.id, p.handle, p.offset, p.data).await.map(Into::into),
            Packet::Lstat(p) => t.lstat(p.id, p.path).await.map(Into::into),
            Packet::Fstat(p) => t.fstat(p.id, p.handle).await.map(Into::into),
            Packet::SetStat(p) => t.setstat(p.id, p.path, p.attrs).await.map(Into::into),
            Packet::FSetStat(p) => t.fsetstat(p.id, p.handle, p.attrs).await.map(Into::into),
            Packet::OpenDir(p) => t.opendir(p.id, p.path).await.map(Into::into),
            Packet::ReadDir(p) => t.readdir(p.id, p.handle).await.map(Into::into),
            Packet::Remove(p) => t.remove(p.id, p.filename).await.map(Into::into),
            Packet::MkDir(p) => t.mkdir(p.id, p.path, p.attrs).await.map(Into::into),
            Packet::RmDir(p) => t.rmdir(p.id, p.path).await.map(Into::into),
            Packet::RealPath(p) => t.realpath(p.id, p.path).await.map(Into::into),
            Packet::Stat(p) => t.stat(p.id, p.path).await.map(Into::into),
            Packet::Rename(p) => t.rename(p.id, p.oldpath, p.newpath).await.map(Into::into),
            Packet::ReadLink(p) => t.readlink(p.id, p.path).await.map(Into::into),
            Packet::Symlink(p) => t.symlink(p.id, p.linkpath, p.targetpath).await.map(Into::into),
            Packet::Extended(p) => t.extended(p.id, p.request, p.data).await,
            // Answers and the like are not requests.
            _ => Err(StatusCode::BadMessage.with_message("not a request")),
        };
        Answer::Packet(r.unwrap_or_else(|e| {
            let code = e.status_code;
            Packet::Status(Status {
                id,
                status_code: code,
                error_message: e.error_message.unwrap_or_else(|| code.to_string()),
                language_tag: e.language_tag.unwrap_or_else(|| "en-US".to_string()),
            })
        }))
    }
}
