//! A connection's socket, read with a short busy poll.
//!
//! An SFTP client sends one request, waits for its answer, and sends the
//! next: an upload of a small file is four such round trips. Between two
//! requests the session's thread would go to sleep in the reactor and the
//! processor it ran on would halt; on a virtual machine waking it again for
//! the next request costs more than answering the request does. So after an
//! answer has been written, a read that finds nothing keeps trying for a
//! moment (`[sftp] busy_poll_us`) before it lets the thread sleep.
//!
//! The poll is bounded three ways: in time; to connections whose client
//! came back within that time the last time it was waited for (a client
//! that is slow to answer, or idle, is not polled for); and to half the
//! processors at once (at least one), so polling never takes every thread.

use std::io::{self, Read};
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// Connections polling at this moment.
static POLLING: AtomicUsize = AtomicUsize::new(0);

/// How many connections may poll at once: half the processors, at least one.
fn max_polling() -> usize {
    static MAX: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *MAX.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)))
}

/// A place among the connections that poll; given back when dropped.
struct Polling;

impl Polling {
    fn take() -> Option<Polling> {
        let max = max_polling();
        POLLING.fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| (n < max).then_some(n + 1)).ok().map(|_| Polling)
    }
}

impl Drop for Polling {
    fn drop(&mut self) {
        POLLING.fetch_sub(1, Ordering::AcqRel);
    }
}

pub(crate) struct PolledStream {
    io: TcpStream,
    /// The same socket, read without the reactor while polling.
    raw: std::net::TcpStream,
    /// How long a read polls; zero: never.
    window: Duration,
    /// When a read last found nothing, and whether it was polled for.
    waiting_since: Option<Instant>,
    /// The client answered within the window the last time it was waited for.
    prompt: bool,
    /// Reads that found data, and those of them that the poll answered.
    reads: u64,
    polled: u64,
}

impl PolledStream {
    /// Takes a socket in non-blocking mode.
    pub fn new(socket: std::net::TcpStream, window: Duration) -> io::Result<PolledStream> {
        let raw = socket.try_clone()?;
        Ok(PolledStream {
            io: TcpStream::from_std(socket)?,
            raw,
            window,
            waiting_since: None,
            prompt: true,
            reads: 0,
            polled: 0,
        })
    }

    /// Reads what has arrived, without the reactor.
    fn read_raw(&self, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        match (&self.raw).read(buf.initialize_unfilled()) {
            Ok(n) => {
                buf.advance(n);
                Some(Ok(()))
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => None,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => None,
            Err(e) => Some(Err(e)),
        }
    }

    /// Polls the socket for up to the window.
    fn poll_for(&self, buf: &mut ReadBuf<'_>) -> Option<io::Result<()>> {
        let _place = Polling::take()?;
        let until = Instant::now() + self.window;
        loop {
            if let Some(r) = self.read_raw(buf) {
                return Some(r);
            }
            if Instant::now() >= until {
                return None;
            }
            // Lets a process waiting for this processor (the client, on a
            // small machine) run first.
            std::thread::yield_now();
        }
    }
}

impl AsyncRead for PolledStream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // The reactor's way first: it also registers for the wake-up should
        // the poll below find nothing.
        if let Poll::Ready(r) = Pin::new(&mut this.io).poll_read(cx, buf) {
            this.reads += 1;
            if let Some(since) = this.waiting_since.take() {
                this.prompt = since.elapsed() <= this.window;
            }
            return Poll::Ready(r);
        }
        if this.waiting_since.is_none() {
            this.waiting_since = Some(Instant::now());
            if this.prompt && !this.window.is_zero() {
                if let Some(r) = this.poll_for(buf) {
                    this.waiting_since = None;
                    this.reads += 1;
                    this.polled += 1;
                    return Poll::Ready(r);
                }
            }
        }
        Poll::Pending
    }
}

impl Drop for PolledStream {
    fn drop(&mut self) {
        if !self.window.is_zero() {
            tracing::debug!(
                reads = self.reads,
                polled = self.polled,
                "SFTP: connection's reads answered by the busy poll"
            );
        }
    }
}

impl AsyncWrite for PolledStream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    async fn pair(window: Duration) -> (PolledStream, TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let client = TcpStream::connect(addr).await.unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (PolledStream::new(server, window).unwrap(), client)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_what_arrives_while_polling_and_after() {
        let (mut server, mut client) = pair(Duration::from_millis(5)).await;
        let mut got = [0u8; 5];
        for round in 0..50u8 {
            // Answered at once: found by the poll (or by the reactor).
            client.write_all(&[round; 5]).await.unwrap();
            server.read_exact(&mut got).await.unwrap();
            assert_eq!(got, [round; 5]);
            server.write_all(&got).await.unwrap();
            let mut back = [0u8; 5];
            client.read_exact(&mut back).await.unwrap();
        }
        assert!(server.polled > 0, "no read was answered by the poll");
        let polled = server.polled;
        // A client slower than the window: the poll gives up, the reactor
        // wakes the read, and the next read does not poll.
        let writer = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(30)).await;
            client.write_all(b"later").await.unwrap();
            client
        });
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"later");
        assert!(!server.prompt, "a client slower than the window is not polled for");
        assert_eq!(server.polled, polled, "the slow client's bytes came through the reactor");
        let mut client = writer.await.unwrap();
        client.write_all(b"again").await.unwrap();
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"again");
        // End of stream.
        drop(client);
        assert_eq!(server.read(&mut got).await.unwrap(), 0);
        assert_eq!(POLLING.load(Ordering::SeqCst), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_zero_window_never_polls() {
        let (mut server, mut client) = pair(Duration::ZERO).await;
        client.write_all(b"x").await.unwrap();
        let mut got = [0u8; 1];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(&got, b"x");
        assert_eq!(server.polled, 0);
    }
}
