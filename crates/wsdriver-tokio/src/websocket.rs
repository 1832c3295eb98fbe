//! [`WebSocket`]: a connection on any `AsyncRead + AsyncWrite` stream. It
//! holds no protocol logic: it moves bytes between the stream and the
//! driver, runs the driver's timers on tokio's clock, and hands out what
//! the driver reports.

use crate::error::Error;
use futures_core::Stream;
use futures_sink::Sink;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};
use wsdriver::{CloseCode, CloseEvent, Driver, Event, Message, PingId, ReadyState, Version};

/// Bytes asked of the stream per read when no frame says how many it
/// needs: small, so idle connections stay small; large frames size their
/// own reads from the frame header.
const READ_SIZE: usize = 1024;

/// Settings of the async layer itself: backpressure. The protocol's
/// settings (`max_length`, subprotocols, close timeout) and the keepalive
/// timers ([`ping_interval`](wsdriver::Options::ping_interval),
/// [`idle_timeout`](wsdriver::Options::idle_timeout)) are the driver's, in
/// [`Options`](crate::Options), so that every transport runs them alike.
///
/// Give it to [`ClientOptions::config`](crate::ClientOptions::config),
/// [`ServerOptions::config`](crate::ServerOptions::config) or
/// [`WebSocket::from_parts`]. The default holds sends back at 64 KiB.
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::{Config, Options};
///
/// // Sends wait while 16 KiB are unwritten.
/// let config = Config::default().max_buffered(16 * 1024);
/// // Keepalive is the driver's: ping every 20 s, and drop a peer silent
/// // for 45 s (two pings unanswered, and nothing else) with 1006.
/// let options = Options::default()
///     .ping_interval(Some(Duration::from_secs(20)))
///     .idle_timeout(Some(Duration::from_secs(45)));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    max_buffered: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_buffered: 64 * 1024,
        }
    }
}

impl Config {
    /// Sends wait while more than this many bytes are waiting to be
    /// written (backpressure), so a slow peer cannot make a sender buffer
    /// without end.
    ///
    /// [`WebSocket::send`] and `Sink::poll_ready` wait while
    /// [`buffered_amount`](WebSocket::buffered_amount) is more than this
    /// many bytes (64 KiB by default). It is checked before a message is
    /// queued, so the queue can pass it by one message; 0 makes every send
    /// wait until the previous ones are written.
    pub fn max_buffered(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes;
        self
    }
}

/// A WebSocket, client or server. Read it as a [`Stream`] of messages,
/// write it as a [`Sink`] or with [`send`](Self::send).
///
/// Pongs, close echoes and keepalive pings are written while the stream is
/// being read, so keep reading (or [`split`](Self::split) and read in a
/// task of its own).
///
/// `S` is any `AsyncRead + AsyncWrite + Unpin` stream. One comes from
/// [`connect`](crate::connect) (`S` is [`MaybeTlsStream`](crate::MaybeTlsStream)),
/// [`accept`](crate::accept) (your stream), a
/// [`WebSocketServer`](crate::WebSocketServer) (as a
/// [`ServerSocket`](crate::ServerSocket), which derefs to one), hyper's
/// upgrade (`UpgradedWebSocket`, feature `hyper`), or
/// [`from_parts`](Self::from_parts) for a handshake you ran.
///
/// - Receiving: each item is a whole message: fragments are put together,
///   pings answered and pongs matched by the driver. An `Err` item means
///   the connection failed (I/O, or the peer broke the protocol and the
///   driver has queued the close frame that says so); the stream ends
///   after it. `None` means closed: [`close_event`](Self::close_event)
///   says how.
/// - Sending: [`send`](Self::send) (or `Sink`'s `feed` then `flush`),
///   [`ping`](Self::ping), [`pong`](Self::pong); backpressure is
///   [`Config`]'s, the keepalive and idle timers the driver's
///   [`Options`](crate::Options).
/// - Ending: [`close`](Self::close) runs the close handshake;
///   [`terminate`](Self::terminate) and dropping the `WebSocket` end the
///   connection with no close frame (the peer sees 1006).
///
/// # Cancellation
///
/// Receiving is cancellation-safe: all state (a partly read frame,
/// messages not yet returned, the timers) lives in the `WebSocket`, so
/// dropping a `next()` future, as a `select!` branch that lost or a
/// `timeout` that passed does, loses nothing; the next call carries on.
/// [`send`](Self::send) is safe to drop in a weaker sense: see there.
///
/// ```
/// use futures_util::StreamExt;
/// use std::time::Duration;
///
/// # use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};
/// # use wsdriver_tokio::{accept, Config, Options, ReadyState, ServerOptions, WebSocket};
/// # type Pair = (WebSocket<DuplexStream>, WebSocket<DuplexStream>);
/// # async fn pair(capacity: usize) -> Result<Pair, Box<dyn std::error::Error>> {
/// #     let (mut client_io, server_io) = tokio::io::duplex(capacity);
/// #     let server = tokio::spawn(accept(server_io, ServerOptions::default()));
/// #     let mut driver = wsdriver::Driver::client("ws://localhost/", Options::default())?;
/// #     driver.start();
/// #     client_io.write_all(&driver.take_output()).await?;
/// #     while driver.ready_state() != ReadyState::Open {
/// #         driver.input_buffer().reserve(1024);
/// #         if client_io.read_buf(driver.input_buffer()).await? == 0 {
/// #             return Err("the server hung up".into());
/// #         }
/// #         while driver.poll_event().is_some() {}
/// #     }
/// #     let client = WebSocket::from_parts(client_io, driver, Config::default());
/// #     Ok((client, server.await??))
/// # }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Joined by a 64-byte pipe, so a large message takes many reads.
/// let (mut client, mut server) = pair(64).await?;
/// let sending = tokio::spawn(async move {
///     server.send(vec![7u8; 256 * 1024]).await.map(|()| server)
/// });
/// // Reads cut short by the timeout resume where they stopped, in the
/// // middle of the message when that is where they were.
/// let mut cut_short = 0;
/// let message = loop {
///     match tokio::time::timeout(Duration::from_millis(1), client.next()).await {
///         Ok(message) => break message,
///         Err(_elapsed) => cut_short += 1,
///     }
/// };
/// assert_eq!(message.unwrap()?.as_bytes(), vec![7u8; 256 * 1024]);
/// println!("received whole after {cut_short} reads were cut short");
/// # let _server = sending.await??;
/// # Ok(()) }
/// ```
pub struct WebSocket<S> {
    stream: S,
    driver: Driver,
    config: Config,
    pongs: Vec<(PingId, oneshot::Sender<()>)>,
    close_event: Option<CloseEvent>,
    error: Option<wsdriver::Error>,
    /// `None` has been returned by the stream.
    finished: bool,
    /// Sleeps until the driver's next deadline (close, keepalive, idle).
    timer: Option<Pin<Box<Sleep>>>,
    /// Set once split: writes wake both halves, since either may be the one
    /// waiting for the stream to take more bytes.
    pub(crate) write_waker: Option<std::task::Waker>,
    /// Bytes were written since the stream was last flushed (TLS streams
    /// hold them until then).
    unflushed: bool,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Wraps a stream and a driver whose handshake is done (or under way:
    /// the driver queues what is sent before it opens).
    ///
    /// For handshakes this crate does not run for you: a client over a
    /// stream you opened (an in-memory pipe, TLS with settings of your
    /// own, a SOCKS tunnel), or a server driver you drove yourself. Bytes
    /// the driver already holds past the handshake are read first. A
    /// client may still be waiting for its answer (after
    /// [`Driver::start`]): a refusal then comes out of the stream as an
    /// `Err`. A server driver must have been started already: this type
    /// never acts on [`Event::Connect`]. Keepalive pings and the idle
    /// timeout come with the driver, from its
    /// [`Options::ping_interval`](wsdriver::Options::ping_interval) and
    /// [`Options::idle_timeout`](wsdriver::Options::idle_timeout).
    ///
    /// The client side of a handshake over an in-memory pipe:
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// use wsdriver::Driver;
    /// use wsdriver_tokio::{accept, Config, Message, Options, ReadyState, ServerOptions, WebSocket};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (mut client_io, server_io) = tokio::io::duplex(4096);
    /// let server = tokio::spawn(accept(server_io, ServerOptions::default()));
    ///
    /// let mut driver = Driver::client("ws://localhost/chat", Options::default())?;
    /// driver.start();
    /// client_io.write_all(&driver.take_output()).await?;
    /// while driver.ready_state() != ReadyState::Open {
    ///     driver.input_buffer().reserve(1024);
    ///     if client_io.read_buf(driver.input_buffer()).await? == 0 {
    ///         return Err("the server hung up during the handshake".into());
    ///     }
    ///     while driver.poll_event().is_some() {}
    /// }
    /// let mut client = WebSocket::from_parts(client_io, driver, Config::default());
    ///
    /// let mut server = server.await??;
    /// client.send("hello").await?;
    /// assert_eq!(server.next().await.transpose()?, Some(Message::from("hello")));
    /// # Ok(()) }
    /// ```
    pub fn from_parts(stream: S, mut driver: Driver, config: Config) -> Self {
        // The handshake's read buffer is sized for a request head; an idle
        // connection should not keep it (reads reserve what they need).
        if driver.input_buffer().is_empty() {
            *driver.input_buffer() = bytes::BytesMut::new();
        }
        WebSocket {
            stream,
            driver,
            config,
            pongs: Vec::new(),
            close_event: None,
            error: None,
            finished: false,
            timer: None,
            write_waker: None,
            unflushed: false,
        }
    }

    /// Sends a message, waiting while the send buffer is over
    /// [`Config::max_buffered`].
    ///
    /// Text comes from `&str` or `String`, binary from `Vec<u8>` or
    /// `Bytes` ([`Message`]'s `From` impls). Once there is room the
    /// message is queued and everything queued is written and flushed:
    /// `Ok` means the stream took the bytes, not that the peer read them.
    ///
    /// Fails with [`Error::Closed`] once the close handshake has started
    /// (by either side), and with the stream's error if writing fails.
    ///
    /// Cancellation: dropped while waiting for room, the message is not
    /// sent. Dropped after it was queued, it still goes out whole: the
    /// next send, flush or read writes the rest.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| self.poll_ready_inner(cx)).await?;
        self.driver.send(message.into())?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// Sends a ping. The returned [`Pong`] resolves when the matching pong
    /// is read, so something must be reading the connection.
    ///
    /// `payload` is at most 125 bytes (a longer one fails with
    /// [`Error::WebSocket`] and sends nothing). The pong that matches is
    /// the first one with the same payload, so give concurrent pings
    /// payloads of their own to time them apart. The ping is written
    /// before this returns; the `Pong` holds no borrow, so await it while
    /// another task, or a `select!` branch, reads.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        let pong = self.register_ping(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(pong)
    }

    /// Sends an unsolicited pong (RFC 6455 allows one as a one-way
    /// heartbeat). Pings from the peer are answered without this. At most
    /// 125 bytes of `payload`.
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.driver.pong(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// Closes with `code` (1000 or 3000-4999) and `reason`, then reads
    /// until the peer answers or the close timeout passes (1006). Messages
    /// that arrive meanwhile are dropped, as RFC 6455 says.
    ///
    /// `reason` is at most 123 bytes of UTF-8. Another code, or a longer
    /// reason, fails with [`Error::WebSocket`] and sends nothing. The
    /// close timeout is [`Options::close_timeout`](wsdriver::Options::close_timeout)
    /// (30 s by default). Returns how the connection ended: the code the
    /// peer answered with and `clean: true`, or 1006 and `clean: false`.
    /// Called again after the close, it returns the same event at once.
    ///
    /// Cancellation: dropped midway, the close frame has been queued and
    /// the connection is closing; the next read goes on with the
    /// handshake.
    pub async fn close(
        &mut self,
        code: impl Into<CloseCode>,
        reason: &str,
    ) -> Result<CloseEvent, Error> {
        self.driver.close(code, reason)?;
        while let Some(result) = poll_fn(|cx| self.poll_next_inner(cx)).await {
            if let Err(error) = result {
                if self.close_event.is_none() {
                    return Err(error);
                }
            }
        }
        Ok(self
            .close_event
            .clone()
            .unwrap_or_else(|| CloseEvent::new(CloseCode::ABNORMAL, "", false)))
    }

    /// Drops the connection without a close handshake.
    ///
    /// Shuts the stream down (for TCP, a FIN; anything queued and not yet
    /// written is discarded) and consumes the `WebSocket`. The peer sees
    /// the connection end with 1006. Use [`close`](Self::close) to end
    /// cleanly.
    pub async fn terminate(mut self) {
        use tokio::io::AsyncWriteExt;
        self.driver.transport_closed();
        let _ = self.stream.shutdown().await;
    }
}

impl<S> WebSocket<S> {
    /// The subprotocol the handshake agreed on (`Sec-WebSocket-Protocol`),
    /// or `None` when no subprotocol was offered or none was in common.
    pub fn protocol(&self) -> Option<&str> {
        self.driver.protocol()
    }

    /// The protocol version spoken, `Some` once the handshake is done:
    /// [`Version::Hybi13`] (RFC 6455) unless a client asked for draft 8
    /// ([`Version::Hybi8`]) or a server that allows the drafts met a hixie
    /// client. The hixie drafts carry text only: binary messages, pings
    /// and pongs fail there with [`Error::WebSocket`].
    pub fn version(&self) -> Option<Version> {
        self.driver.version()
    }

    /// The connection's URL. On a client, the one connected to (the last
    /// redirect's, `ws:`/`wss:` even if given as `http:`/`https:`,
    /// `ws://localhost/...` for `ws+unix:`), userinfo included: mind the
    /// password before logging it (network errors leave it out). On a server, the URL the request
    /// addressed, built from its `Host` and target.
    pub fn url(&self) -> Option<&str> {
        self.driver.url().map(|u| u.as_str())
    }

    /// Where the connection is: `Open` until a close starts, `Closing`
    /// while a close handshake waits for its answer, then `Closed` (sends
    /// fail with [`Error::Closed`] from `Closing` on). `Connecting` only
    /// for a client given to [`from_parts`](Self::from_parts) before its
    /// handshake finished.
    pub fn ready_state(&self) -> ReadyState {
        self.driver.ready_state()
    }

    /// Bytes accepted for sending but not yet written to the stream.
    ///
    /// What [`Config::max_buffered`] is compared with; a slow peer makes
    /// it grow, up to about that much for callers that wait on `send`.
    pub fn buffered_amount(&self) -> usize {
        self.driver.buffered_amount()
    }

    /// How the connection closed, once it has.
    ///
    /// Set when the stream has ended (or [`close`](Self::close)
    /// returned): the code and reason the peer sent, `clean: true` for a
    /// finished close handshake; 1006 and `clean: false` when the
    /// transport ended or failed, the idle timeout or the close timeout
    /// passed. After a peer's protocol error (the `Err` item), the code our
    /// close frame carried.
    pub fn close_event(&self) -> Option<&CloseEvent> {
        self.close_event.as_ref()
    }

    /// The driver underneath, for what this layer does not wrap.
    ///
    /// Read-only: the response headers a client got
    /// ([`Driver::headers`], `Sec-WebSocket-Extensions` among them), the
    /// URL a server's request addressed ([`Driver::url`]). An open
    /// connection no longer holds the request head: read what you need of
    /// it in [`accept_with`](crate::accept_with)'s check, or use a
    /// [`ServerSocket`](crate::ServerSocket), which keeps it.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    pub(crate) fn driver_mut(&mut self) -> &mut Driver {
        &mut self.driver
    }

    pub(crate) fn register_ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        let id = self.driver.ping(payload)?;
        let (tx, rx) = oneshot::channel();
        // Waiters whose Pong was dropped, or whose ping the driver forgot
        // (it keeps the newest MAX_PENDING_PINGS), need no slot.
        if self.pongs.len() >= wsdriver::MAX_PENDING_PINGS {
            self.pongs.retain(|(_, waiter)| !waiter.is_closed());
            if self.pongs.len() >= wsdriver::MAX_PENDING_PINGS {
                self.pongs.remove(0);
            }
        }
        self.pongs.push((id, tx));
        Ok(Pong(rx))
    }

    /// The stream underneath, to ask it things: the peer's address, the
    /// TLS session. There is no `get_mut`: reading or writing the stream
    /// directly would cut into the frames.
    pub fn get_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Writes what the driver has queued, vectored, then flushes.
    pub(crate) fn poll_write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The common case on every read: nothing to write or flush.
        if !self.unflushed && !self.driver.has_output() {
            return Poll::Ready(Ok(()));
        }
        match self.write_waker.clone() {
            Some(waker) => self.write_output(&mut Context::from_waker(&waker)),
            None => self.write_output(cx),
        }
    }

    fn write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while self.driver.has_output() {
            let mut slices = [IoSlice::new(&[]); 16];
            let count = self.driver.output_slices(&mut slices);
            let stream = Pin::new(&mut self.stream);
            let written = if stream.is_write_vectored() {
                ready!(stream.poll_write_vectored(cx, &slices[..count]))?
            } else {
                ready!(stream.poll_write(cx, &slices[0]))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
            }
            self.driver.advance_output(written);
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_ready_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.driver.ready_state() >= ReadyState::Closing {
            return Poll::Ready(Err(Error::Closed));
        }
        while self.driver.buffered_amount() > self.config.max_buffered {
            ready!(self.poll_write_output(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_next_inner(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        loop {
            while let Some(event) = self.driver.poll_event() {
                match event {
                    Event::Message(message) => return Poll::Ready(Some(Ok(message))),
                    Event::Pong { ping: Some(id), .. } => {
                        if let Some(index) = self.pongs.iter().position(|(p, _)| *p == id) {
                            let _ = self.pongs.swap_remove(index).1.send(());
                        }
                    }
                    Event::Close(event) => {
                        // A failure is returned as the stream's last item.
                        self.error = event.error.as_deref().cloned();
                        self.close_event = Some(event);
                    }
                    _ => {}
                }
            }
            // Pongs, close echoes and pings go out as reading goes on; a
            // slow writer must not stop the reader, except at the end.
            let written = self.poll_write_output(cx);
            if let Poll::Ready(Err(error)) = written {
                self.lost();
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Some(Err(Error::WebSocket(error))));
            }
            if self.close_event.is_some() {
                ready!(written).ok();
                let _ = ready!(Pin::new(&mut self.stream).poll_shutdown(cx));
                self.finished = true;
                self.pongs.clear();
                return Poll::Ready(None);
            }
            if self.poll_timers(cx) {
                continue;
            }
            // A peer that floods pings and leaves our pongs unread is not
            // read from until it reads them: the write that is pending
            // wakes us. (Data does not pause reading: two peers that both
            // stream would each wait for the other.)
            if !self.driver.wants_read() && written.is_pending() {
                return Poll::Pending;
            }
            let buffer = self.driver.input_buffer();
            if buffer.capacity() - buffer.len() < READ_SIZE / 2 {
                let wanted = self.driver.read_hint().clamp(READ_SIZE, 1 << 24);
                self.driver.input_buffer().reserve(wanted);
            }
            match tokio_util::io::poll_read_buf(
                Pin::new(&mut self.stream),
                cx,
                self.driver.input_buffer(),
            ) {
                Poll::Ready(Ok(0)) => self.driver.transport_closed(),
                Poll::Ready(Ok(_)) => {
                    // Only a running timer (idle, keepalive) needs the time.
                    if self.driver.has_timer() {
                        self.driver.received(Instant::now().into_std());
                    }
                }
                Poll::Ready(Err(error)) => {
                    self.lost();
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// The transport failed: the connection ends with the driver's 1006,
    /// and pings still waiting for pongs fail.
    fn lost(&mut self) {
        self.driver.transport_closed();
        while let Some(event) = self.driver.poll_event() {
            if let Event::Close(close) = event {
                self.close_event = Some(close);
            }
        }
        self.pongs.clear();
        self.finished = true;
    }

    /// Runs due timers; returns whether one fired (the driver may have
    /// something new to say). Arms the sleep for the next one otherwise.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        // Most connections run no timer: skip the clock.
        if !self.driver.has_timer() {
            self.timer = None;
            return false;
        }
        let now = Instant::now();
        match self
            .driver
            .next_deadline(now.into_std())
            .map(Instant::from_std)
        {
            Some(at) if at <= now => {
                self.driver.handle_timeout(now.into_std());
                true
            }
            Some(at) => {
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
                if timer.deadline() != at {
                    timer.as_mut().reset(at);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    return self.poll_timers(cx);
                }
                false
            }
            None => {
                self.timer = None;
                false
            }
        }
    }
}

/// The messages the peer sends, until the connection closes.
///
/// Polling is also what writes pongs and close echoes, sends keepalive
/// pings and runs the idle and close timeouts, so keep polling.
///
/// Cancellation-safe: all state (a partly read frame, events not yet
/// returned, the timers) lives in the `WebSocket`, so dropping a `next()`
/// future loses nothing. Use it in `select!` and under `timeout` freely.
///
/// An `Err` item is the end of the connection (an I/O error, or a protocol
/// error from the peer, closed with the code the driver chose); `None`
/// follows it, and is returned from then on.
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_inner(cx)
    }
}

/// Sending messages, for `SinkExt::send`, `feed`, `send_all` and
/// `forward`.
///
/// `poll_ready` waits under [`Config::max_buffered`] and fails with
/// [`Error::Closed`] once a close has started; `start_send` queues;
/// `poll_flush` writes everything queued and flushes the stream;
/// `poll_close` starts the close handshake with 1000 and flushes the close
/// frame, without waiting for the peer's answer (keep reading for that, or
/// use [`WebSocket::close`]).
impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_ready_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Ok(self.get_mut().driver.send(item)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_output(cx)
    }

    /// Sends a normal close (1000) and flushes it; the peer's answer is
    /// read by whoever reads the stream.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.driver.ready_state() == ReadyState::Open {
            this.driver.close(CloseCode::NORMAL, "")?;
        }
        this.poll_write_output(cx)
    }
}

/// Resolves when the pong answering a [`WebSocket::ping`] arrives; fails
/// if the connection closes first.
///
/// It resolves only while something reads the connection (the pong is
/// found by the reader). It fails with [`Error::Closed`] when the close
/// handshake ends first, when the transport fails, or when the
/// `WebSocket` is dropped. It
/// has no timeout of its own: wrap it in `tokio::time::timeout` to time a
/// peer out. Dropping it is fine; the pong is then ignored.
#[derive(Debug)]
pub struct Pong(oneshot::Receiver<()>);

impl std::future::Future for Pong {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|_| Error::Closed))
    }
}
