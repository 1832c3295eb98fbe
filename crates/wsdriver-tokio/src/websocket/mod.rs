//! [`WebSocket`]: an open connection on any `AsyncRead + AsyncWrite`
//! stream. It holds no protocol logic: the core's [`Connection`] does, run
//! on the crate's one drive loop; this hands out what it reports.

pub(crate) mod config;
pub(crate) mod incoming;
pub(crate) mod ops;
pub(crate) mod poll;
pub(crate) mod pong;
pub(crate) mod split;
pub(crate) mod tracker;

use crate::error::Error;
use crate::net::drive::Drive;
use crate::trace;
use crate::websocket::config::Config;
use crate::websocket::pong::Pong;
use crate::websocket::tracker::{Tracker, SHUTDOWN_REASON};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::time::Instant;
use wsdriver::http_types::HeaderMap;
use wsdriver::{CloseCode, CloseEvent, Connection, Machine, PingId, ReadyState, Version};

/// A WebSocket, client or server. Read it as a
/// [`Stream`](futures_core::Stream) of messages, write it as a
/// [`Sink`](futures_sink::Sink) or with [`send`](Self::send).
///
/// Pongs, close echoes and keepalive pings are written while the stream is
/// being read, so keep reading (or [`split`](Self::split) and read in a
/// task of its own).
///
/// `S` is any `AsyncRead + AsyncWrite + Unpin + 'static` stream (owned,
/// so that a plain `TcpStream` can be recognised and given a low-water mark
/// while a large frame arrives: one wake-up for its rest, not one per
/// piece). One comes from
/// [`connect`](crate::connect) (`S` is [`MaybeTlsStream`](crate::MaybeTlsStream)),
/// [`accept`](crate::accept) (your stream), a
/// [`WebSocketServer`](crate::WebSocketServer) (as a
/// [`ServerSocket`](crate::ServerSocket), which derefs to one), hyper's
/// upgrade (`UpgradedWebSocket`, feature `hyper`), or
/// [`from_connection`](Self::from_connection) for a handshake you ran.
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
/// # use tokio::io::DuplexStream;
/// # use wsdriver_tokio::{accept, ServerOptions, WebSocket};
/// # type Pair = (WebSocket<DuplexStream>, WebSocket<DuplexStream>);
/// # async fn pair(capacity: usize) -> Result<Pair, Box<dyn std::error::Error>> {
/// #     let (client_io, server_io) = tokio::io::duplex(capacity);
/// #     let server = tokio::spawn(accept(server_io, ServerOptions::default()));
/// #     let client = wsdriver_tokio::connect_on(client_io, "ws://localhost/", Default::default()).await?;
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
///     tokio::select! {
///         message = client.next() => break message,
///         () = tokio::time::sleep(Duration::from_millis(1)) => cut_short += 1,
///     }
/// };
/// assert_eq!(message.unwrap()?.as_bytes(), vec![7u8; 256 * 1024]);
/// println!("received whole after {cut_short} reads were cut short");
/// # let _server = sending.await??;
/// # Ok(()) }
/// ```
pub struct WebSocket<S> {
    pub(crate) stream: S,
    pub(crate) connection: Connection,
    pub(crate) drive: Drive,
    config: Config,
    pongs: Vec<(PingId, oneshot::Sender<()>)>,
    pub(crate) close_event: Option<CloseEvent>,
    error: Option<wsdriver::Error>,
    /// `None` has been returned by the stream.
    finished: bool,
    /// The write side was shut down for a lingering close.
    shut_down: bool,
    /// The URL connected to (a client) or addressed (a server).
    url: Option<Box<str>>,
    /// A client's view of the server's `101`.
    response_headers: Option<Box<HeaderMap>>,
    /// The connection's span (nothing without the `tracing` feature).
    span: trace::Span,
    /// A server's count of this connection and its watch for the
    /// server's shutdown, seen by every read, send, ping and pong, so no
    /// way of using the socket misses it. `None` outside a
    /// [`WebSocketServer`](crate::WebSocketServer).
    pub(crate) tracker: Option<Box<Tracker>>,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("connection", &self.connection)
            .field("url", &self.url)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin + 'static> WebSocket<S> {
    /// Wraps a stream and an open [`Connection`] (from a
    /// [`ServerHandshake`](wsdriver::ServerHandshake), a
    /// [`ClientHandshake`](wsdriver::ClientHandshake) or an open
    /// [`Driver`](wsdriver::Driver)'s
    /// [`into_connection`](wsdriver::Driver::into_connection)), for a
    /// handshake you ran yourself. Bytes the connection already holds past
    /// the handshake are read first, and output it holds (a `101` not yet
    /// sent) is written first. Keepalive pings and the idle timeout come
    /// with the connection, from its
    /// [`Options::ping_interval`](wsdriver::Options::ping_interval) and
    /// [`Options::idle_timeout`](wsdriver::Options::idle_timeout).
    ///
    /// For a client over a stream you opened, [`connect_on`](crate::connect_on)
    /// runs the handshake for you; for a server, [`accept`](crate::accept).
    ///
    /// ```
    /// use futures_util::StreamExt;
    /// use std::time::Instant;
    /// use wsdriver::{Machine, ServerEvent, ServerHandshake};
    /// use wsdriver_tokio::{connect_on, ClientOptions, Config, Message, Options, WebSocket};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (client_io, mut server_io) = tokio::io::duplex(4096);
    /// let client = tokio::spawn(connect_on(client_io, "ws://localhost/chat", ClientOptions::default()));
    ///
    /// // The server side, by hand: read the head, accept, answer, hand over.
    /// use tokio::io::{AsyncReadExt, AsyncWriteExt};
    /// let mut handshake = ServerHandshake::new(Options::default(), Instant::now())?;
    /// while handshake.poll_event() != Some(ServerEvent::Request) {
    ///     server_io.read_buf(handshake.input_buffer()).await?;
    /// }
    /// handshake.accept()?;
    /// assert_eq!(handshake.poll_event(), Some(ServerEvent::Open));
    /// server_io.write_all(&handshake.take_output()).await?;
    /// let connection = handshake.into_connection(Instant::now()).unwrap();
    /// let mut server = WebSocket::from_connection(server_io, connection, Config::default());
    ///
    /// let mut client = client.await??;
    /// client.send("hello").await?;
    /// assert_eq!(server.next().await.transpose()?, Some(Message::from("hello")));
    /// # Ok(()) }
    /// ```
    pub fn from_connection(stream: S, connection: Connection, config: Config) -> Self {
        Self::open(stream, connection, config, None, None)
    }

    pub(crate) fn open(
        stream: S,
        mut connection: Connection,
        config: Config,
        url: Option<&str>,
        response_headers: Option<Box<HeaderMap>>,
    ) -> Self {
        // The handshake's read buffer is sized for a request head; an idle
        // connection should not keep it (reads reserve what they need).
        if connection.input_buffer().is_empty() {
            *connection.input_buffer() = bytes::BytesMut::new();
        }
        let span = trace::connection_span(None, url);
        trace::in_span(&span, || {
            trace::event!(
                debug,
                version = %connection.version(),
                protocol = connection.protocol(),
                "WebSocket opened"
            );
        });
        let drive = Drive::open(&stream);
        WebSocket {
            span,
            stream,
            connection,
            drive,
            config,
            pongs: Vec::new(),
            close_event: None,
            error: None,
            finished: false,
            shut_down: false,
            url: url.map(Box::from),
            response_headers,
            tracker: None,
        }
    }
}

impl<S> WebSocket<S> {
    /// The subprotocol the handshake agreed on (`Sec-WebSocket-Protocol`),
    /// or `None` when no subprotocol was offered or none was in common.
    pub fn protocol(&self) -> Option<&str> {
        self.connection.protocol()
    }

    /// The protocol version spoken: [`Version::Hybi13`] (RFC 6455) unless
    /// a client asked for draft 8 ([`Version::Hybi8`]) or a server that
    /// allows the drafts met a hixie client. The hixie drafts carry text
    /// only: binary messages, pings and pongs fail there with
    /// [`Error::WebSocket`].
    pub fn version(&self) -> Version {
        self.connection.version()
    }

    /// The connection's URL. On a client, the one connected to (the last
    /// redirect's, `ws:`/`wss:` even if given as `http:`/`https:`,
    /// `ws://localhost/...` for `ws+unix:`), userinfo included: mind the
    /// password before logging it (network errors leave it out). On a
    /// server, the URL the request addressed, built from its `Host` and
    /// target. `None` for a connection given to
    /// [`from_connection`](Self::from_connection).
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }

    /// The headers of the server's `101`, on a client
    /// (`Sec-WebSocket-Extensions`, `Set-Cookie`...); `None` on a server.
    pub fn response_headers(&self) -> Option<&HeaderMap> {
        self.response_headers.as_deref()
    }

    /// The server's handshake response, on a client: its `101` and
    /// headers, as an `http::Response` (what tokio-tungstenite's
    /// `connect_async` returns beside the socket); `None` on a server.
    pub fn response(&self) -> Option<wsdriver::http_types::Response<()>> {
        let headers = self.response_headers.as_deref()?;
        let mut response = wsdriver::http_types::Response::new(());
        *response.status_mut() = wsdriver::http_types::StatusCode::SWITCHING_PROTOCOLS;
        *response.headers_mut() = headers.clone();
        Some(response)
    }

    /// Where the connection is: `Open` until a close starts, `Closing`
    /// while a close handshake waits for its answer, then `Closed` (sends
    /// fail with [`Error::Closed`] from `Closing` on).
    pub fn ready_state(&self) -> ReadyState {
        self.connection.ready_state()
    }

    /// Bytes accepted for sending but not yet written to the stream.
    ///
    /// What [`Config::max_buffered`] is compared with; a slow peer makes
    /// it grow, up to about that much for callers that wait on `send`.
    pub fn buffered_amount(&self) -> usize {
        self.connection.buffered_amount()
    }

    /// How the connection closed, once it has.
    ///
    /// Set when the stream has ended (or [`close`](Self::close)
    /// returned): the code and reason the peer sent, `clean: true` for a
    /// finished close handshake; 1006 and `clean: false` when the
    /// transport ended or failed, the idle timeout or the close timeout
    /// passed. After a peer's protocol error (the `Err` item), the code our
    /// close frame carried, and the error.
    pub fn close_event(&self) -> Option<&CloseEvent> {
        self.close_event.as_ref()
    }

    /// The protocol machine underneath, for what this layer does not wrap.
    /// Read-only: sending through it would bypass the write loop.
    pub fn connection(&self) -> &Connection {
        &self.connection
    }

    pub(crate) fn connection_mut(&mut self) -> &mut Connection {
        &mut self.connection
    }

    /// Starts the close handshake; the close timeout counts from now.
    pub(crate) fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        let now = Instant::now().into_std();
        Ok(self.connection.close(now, code, reason)?)
    }

    /// Starts the close handshake with 1001 (a server shutting down).
    pub(crate) fn start_going_away(&mut self, reason: &str) -> Result<(), Error> {
        let now = Instant::now().into_std();
        Ok(self.connection.going_away(now, reason)?)
    }

    /// Once its server is shutting down, starts the close with 1001 (the
    /// first time) and returns `true`. One branch for a socket no server
    /// tracks, one atomic load for one it does.
    #[inline]
    pub(crate) fn observe_shutdown(&mut self) -> bool {
        let Some(tracker) = self.tracker.as_mut() else {
            return false;
        };
        match tracker.observe() {
            None => false,
            Some(first) => {
                if first && self.connection.ready_state() == ReadyState::Open {
                    let _ = self.start_going_away(SHUTDOWN_REASON);
                }
                true
            }
        }
    }

    pub(crate) fn register_ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        let id = self.connection.ping(payload)?;
        let (tx, rx) = oneshot::channel();
        // Waiters whose Pong was dropped, or whose ping the connection
        // forgot (it keeps the newest MAX_PENDING_PINGS), need no slot.
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
