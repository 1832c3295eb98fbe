//! Read and write halves of one [`WebSocket`] for two tasks. They share the
//! connection behind a mutex held only for the length of a poll, never
//! across an `.await`.

use crate::error::Error;
use crate::sync::lock;
use crate::websocket::pong::Pong;
use crate::websocket::WebSocket;
use futures_core::Stream;
use futures_sink::Sink;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll, Wake, Waker};
use tokio::io::{AsyncRead, AsyncWrite};
use wsdriver::{CloseCode, CloseEvent, Message};

/// Wakes whichever halves are waiting: the stream keeps one write waker,
/// but the reader writes too (pongs, close echoes).
#[derive(Default)]
struct Wakers {
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl Wake for Wakers {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for slot in [&self.reader, &self.writer] {
            if let Some(waker) = lock(slot).take() {
                waker.wake();
            }
        }
    }
}

struct Shared<S> {
    socket: Mutex<WebSocket<S>>,
    wakers: Arc<Wakers>,
}

impl<S> Shared<S> {
    fn lock(&self, cx: &Context<'_>, reader: bool) -> MutexGuard<'_, WebSocket<S>> {
        let slot = if reader {
            &self.wakers.reader
        } else {
            &self.wakers.writer
        };
        *lock(slot) = Some(cx.waker().clone());
        lock(&self.socket)
    }
}

/// The receiving half: a [`Stream`] of messages.
///
/// From [`WebSocket::split`]. It reads as the whole `WebSocket` does, and
/// is as cancellation-safe: dropping a `next()` future loses nothing. It
/// is also the half that answers pings, resolves the write half's
/// [`Pong`]s, runs the keepalive and idle timers and finishes a close the
/// write half started, so keep it read.
///
/// The connection ends when both halves are dropped.
pub struct ReadHalf<S> {
    shared: Arc<Shared<S>>,
}

/// The sending half: a [`Sink`] of messages, and `send`, `ping`, `close`.
///
/// From [`WebSocket::split`]. Its `Sink` behaves as [`WebSocket`]'s:
/// `poll_ready` waits under [`Config::max_buffered`](crate::Config::max_buffered).
pub struct WriteHalf<S> {
    shared: Arc<Shared<S>>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Splits into halves that can be used from different tasks.
    ///
    /// The [`ReadHalf`](crate::ReadHalf) is the `Stream`, the
    /// [`WriteHalf`](crate::WriteHalf) the `Sink` with `send`, `ping` and
    /// `close`. They share the connection behind a mutex held for one poll
    /// at a time, never across an `.await`. Keep the read half read: it is
    /// what answers pings, resolves [`Pong`](crate::Pong)s and finishes a close the
    /// write half started.
    ///
    /// ```
    /// use futures_util::StreamExt;
    ///
    /// # use tokio::io::DuplexStream;
    /// # use wsdriver_tokio::{accept, ServerOptions, WebSocket};
    /// # type Pair = (WebSocket<DuplexStream>, WebSocket<DuplexStream>);
    /// # async fn pair() -> Result<Pair, Box<dyn std::error::Error>> {
    /// #     let (client_io, server_io) = tokio::io::duplex(4096);
    /// #     let server = tokio::spawn(accept(server_io, ServerOptions::default()));
    /// #     let client = wsdriver_tokio::connect_on(client_io, "ws://localhost/", Default::default()).await?;
    /// #     Ok((client, server.await??))
    /// # }
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (client, mut server) = pair().await?;
    /// tokio::spawn(async move { while server.next().await.is_some() {} });
    ///
    /// let (mut read, mut write) = client.split();
    /// let reader = tokio::spawn(async move {
    ///     while let Some(Ok(message)) = read.next().await {
    ///         println!("{message:?}");
    ///     }
    ///     read.close_event()
    /// });
    /// write.ping(b"rtt").await?.await?;
    /// write.close(1000, "done").await?;
    /// let closed = reader.await?.expect("closed");
    /// assert_eq!((closed.code, closed.clean), (wsdriver_tokio::CloseCode::NORMAL, true));
    /// # Ok(()) }
    /// ```
    pub fn split(self) -> (ReadHalf<S>, WriteHalf<S>) {
        split(self)
    }
}

fn split<S>(mut socket: WebSocket<S>) -> (ReadHalf<S>, WriteHalf<S>) {
    let wakers = Arc::new(Wakers::default());
    // Writes wake both halves: either may be the one waiting for the
    // stream to take more bytes.
    socket.drive.wake_writes(Waker::from(wakers.clone()));
    // A server's shutdown wakes both halves: either may be the one
    // polled (one task may only write).
    if let Some(tracker) = &mut socket.tracker {
        tracker.pin(&Waker::from(wakers.clone()));
    }
    let shared = Arc::new(Shared {
        socket: Mutex::new(socket),
        wakers,
    });
    (
        ReadHalf {
            shared: shared.clone(),
        },
        WriteHalf { shared },
    )
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for ReadHalf<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.shared.lock(cx, true).poll_next_inner(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WriteHalf<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.lock(cx, false).poll_ready_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        let mut socket = lock(&self.shared.socket);
        Ok(socket.connection_mut().send(item)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.shared.lock(cx, false).poll_write_output(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let mut socket = self.shared.lock(cx, false);
        Pin::new(&mut *socket).poll_close(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WriteHalf<S> {
    /// Sends a message, waiting while the send buffer is full.
    ///
    /// As [`WebSocket::send`]: `Ok` once the stream has taken the bytes;
    /// [`Error::Closed`] once a close has started (from either half, or
    /// the peer); dropped while waiting for room, the message is not sent.
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| self.shared.lock(cx, false).poll_ready_inner(cx)).await?;
        lock(&self.shared.socket)
            .connection_mut()
            .send(message.into())?;
        poll_fn(|cx| self.shared.lock(cx, false).poll_write_output(cx)).await
    }

    /// Sends a ping; the [`Pong`] resolves when the read half reads the
    /// matching pong.
    ///
    /// At most 125 bytes of `payload`, as [`WebSocket::ping`].
    ///
    /// # Errors
    /// As [`WebSocket::ping`].
    pub async fn ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        poll_fn(|cx| self.shared.lock(cx, false).poll_heed_shutdown(cx)).await?;
        let pong = lock(&self.shared.socket).register_ping(payload)?;
        poll_fn(|cx| self.shared.lock(cx, false).poll_write_output(cx)).await?;
        Ok(pong)
    }

    /// Sends a close frame; the read half ends when the peer answers (or
    /// the close timeout passes) and then reports the [`CloseEvent`].
    ///
    /// `code` is one a close frame may carry and `reason` at most 123 bytes, as
    /// [`WebSocket::close`]. Returns once the close frame is written,
    /// without waiting for the answer: that is the read half's to read.
    ///
    /// # Errors
    /// As [`WebSocket::close`]: a code or reason the core refuses; the
    /// stream's failure.
    pub async fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        lock(&self.shared.socket).start_close(code.into(), reason)?;
        poll_fn(|cx| self.shared.lock(cx, false).poll_write_output(cx)).await
    }

    /// Bytes not yet written.
    ///
    /// As [`WebSocket::buffered_amount`]: queued by either half (the read
    /// half queues pongs and close echoes) and not yet taken by the stream.
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared.socket).buffered_amount()
    }
}

impl<S> ReadHalf<S> {
    /// How the connection closed, once it has.
    ///
    /// As [`WebSocket::close_event`], cloned out of the shared connection.
    pub fn close_event(&self) -> Option<CloseEvent> {
        lock(&self.shared.socket).close_event().cloned()
    }

    /// Whether `other` is the write half of the same connection.
    ///
    /// For code that holds several connections' halves; there is no
    /// `unsplit` to join them again.
    pub fn is_pair_of(&self, other: &WriteHalf<S>) -> bool {
        Arc::ptr_eq(&self.shared, &other.shared)
    }
}
