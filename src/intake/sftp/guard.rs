//! A guard on the SFTP framing. russh-sftp answers a packet longer than
//! its limit with an error and then reads on from the middle of that
//! packet, out of step with the client. This reader follows the framing
//! (a u32 length, then that many bytes) and ends the stream at the first
//! length over the limit, so the session closes instead.

use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

pub(crate) struct FramingGuard<S> {
    inner: S,
    max: u32,
    header: [u8; 4],
    header_len: usize,
    remaining: u64,
    closed: bool,
}

impl<S> FramingGuard<S> {
    pub fn new(inner: S, max: u32) -> Self {
        FramingGuard { inner, max, header: [0; 4], header_len: 0, remaining: 0, closed: false }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for FramingGuard<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        if this.closed {
            return Poll::Ready(Ok(()));
        }
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) => {}
            other => return other,
        }
        let filled = buf.filled().len();
        let mut i = before;
        while i < filled {
            if this.remaining > 0 {
                let take = this.remaining.min((filled - i) as u64);
                this.remaining -= take;
                i += usize::try_from(take).unwrap_or(filled - i);
                continue;
            }
            this.header[this.header_len] = buf.filled()[i];
            this.header_len += 1;
            i += 1;
            if this.header_len == 4 {
                this.header_len = 0;
                let len = u32::from_be_bytes(this.header);
                if len > this.max {
                    tracing::warn!(len, max = this.max, "SFTP: a packet over the size limit; session closed");
                    this.closed = true;
                    // Hand over what came before this packet; then the end.
                    buf.set_filled((i.saturating_sub(4)).max(before));
                    return Poll::Ready(Ok(()));
                }
                this.remaining = u64::from(len);
            }
        }
        Poll::Ready(Ok(()))
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for FramingGuard<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, data)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;

    fn packet(len: u32, body: usize) -> Vec<u8> {
        let mut v = len.to_be_bytes().to_vec();
        v.extend(std::iter::repeat_n(7u8, body));
        v
    }

    #[tokio::test]
    async fn packets_within_the_limit_pass_unchanged() {
        let mut data = packet(5, 5);
        data.extend(packet(0, 0));
        data.extend(packet(100, 100));
        let mut g = FramingGuard::new(&data[..], 100);
        let mut out = Vec::new();
        g.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, data);
    }

    #[tokio::test]
    async fn an_oversized_packet_ends_the_stream_before_it() {
        let mut data = packet(3, 3);
        let good = data.len();
        data.extend(packet(101, 101));
        data.extend(packet(3, 3));
        let mut g = FramingGuard::new(&data[..], 100);
        let mut out = Vec::new();
        g.read_to_end(&mut out).await.unwrap();
        assert_eq!(out, &data[..good]);
    }

    #[tokio::test]
    async fn headers_split_across_reads_are_followed() {
        let mut data = packet(2, 2);
        data.extend(packet(1000, 0));
        // One byte at a time.
        let mut g = FramingGuard::new(tokio_test_reader(&data), 100);
        let mut out = Vec::new();
        g.read_to_end(&mut out).await.unwrap();
        // The first packet and the part of the oversized header read before it was whole.
        assert_eq!(&out[..6], &data[..6]);
        assert!(out.len() < 10, "{out:?}");
    }

    /// A reader that returns one byte per read.
    fn tokio_test_reader(data: &[u8]) -> OneByte {
        OneByte(data.to_vec(), 0)
    }

    struct OneByte(Vec<u8>, usize);

    impl AsyncRead for OneByte {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<std::io::Result<()>> {
            if self.1 < self.0.len() {
                let b = self.0[self.1];
                buf.put_slice(&[b]);
                self.1 += 1;
            }
            Poll::Ready(Ok(()))
        }
    }
}
