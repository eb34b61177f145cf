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
    /// Since when the client has been waited for (a read found nothing).
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
    use std::io::Write;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A server end polled for `window`, and a plain client end.
    fn pair(window: Duration) -> (PolledStream, std::net::TcpStream) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        client.set_nodelay(true).unwrap();
        let (server, _) = listener.accept().unwrap();
        server.set_nonblocking(true).unwrap();
        (PolledStream::new(server, window).unwrap(), client)
    }

    /// The client: after each pause, sends five bytes and reads them back.
    fn client(mut c: std::net::TcpStream, pauses: Vec<Duration>) -> std::thread::JoinHandle<()> {
        std::thread::spawn(move || {
            for (n, pause) in pauses.into_iter().enumerate() {
                std::thread::sleep(pause);
                let sent = [u8::try_from(n).unwrap(); 5];
                c.write_all(&sent).unwrap();
                let mut back = [0u8; 5];
                c.read_exact(&mut back).unwrap();
                assert_eq!(back, sent);
            }
        })
    }

    async fn echo(server: &mut PolledStream, n: usize) {
        let mut got = [0u8; 5];
        server.read_exact(&mut got).await.unwrap();
        assert_eq!(got, [u8::try_from(n).unwrap(); 5]);
        server.write_all(&got).await.unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_prompt_client_is_polled_for_and_a_slow_one_is_not() {
        // The server waits before each request: the poll finds those that
        // come within the window.
        let (mut server, c) = pair(Duration::from_millis(200));
        let mut pauses = vec![Duration::from_micros(300); 20];
        // Then a client slower than the window, and one more request.
        pauses.extend([Duration::from_millis(400), Duration::from_micros(300)]);
        let client = client(c, pauses);
        for n in 0..20 {
            echo(&mut server, n).await;
        }
        assert!(server.polled > 0, "no read was answered by the poll");
        assert!(server.prompt);
        let polled = server.polled;
        echo(&mut server, 20).await;
        assert!(!server.prompt, "a client slower than the window is not polled for");
        echo(&mut server, 21).await;
        assert_eq!(server.polled, polled, "not polled for after the slow request");
        client.join().unwrap();
        // End of stream.
        let mut got = [0u8; 1];
        assert_eq!(server.read(&mut got).await.unwrap(), 0);
        assert_eq!(POLLING.load(Ordering::SeqCst), 0, "the place among the polling connections is given back");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_zero_window_never_polls() {
        let (mut server, c) = pair(Duration::ZERO);
        let client = client(c, vec![Duration::from_micros(300); 5]);
        for n in 0..5 {
            echo(&mut server, n).await;
        }
        client.join().unwrap();
        assert_eq!((server.reads, server.polled), (5, 0));
    }
}
