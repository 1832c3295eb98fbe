//! A connection that a [`WebSocketServer`](crate::WebSocketServer) handed
//! out: a [`WebSocket`] that still counts among the server's clients and
//! hears its shutdown. It is what the application holds once a handshake
//! is done, so it lives apart from the server: it needs the state the
//! server shares (`shared.rs`), not the server itself.

use crate::error::Error;
use crate::net::server_stream::ServerStream;
use crate::server::builder::Data;
use crate::websocket::split::{ReadHalf, WriteHalf};
use crate::websocket::tracker::SHUTDOWN_REASON;
use crate::websocket::WebSocket;
use futures_core::Stream;
use futures_sink::Sink;
use std::fmt;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use wsdriver::{CloseCode, CloseEvent, Message, ReadyState, Request};

/// A connection accepted by a
/// [`WebSocketServer`](crate::WebSocketServer): a [`WebSocket`] that the
/// server counts and can close when it shuts down, with what the
/// handshake left (the request, the client's address, what
/// `verify_client` handed over).
///
/// Read it as a [`Stream`] and write it as a [`Sink`] or with
/// [`send`](Self::send); the rest of the `WebSocket` (pings,
/// [`next_incoming`](WebSocket::next_incoming), the negotiated protocol)
/// is behind [`websocket_mut`](Self::websocket_mut). It does not deref to the
/// `WebSocket`, as only smart pointers should (Rust API guidelines,
/// C-DEREF); the shutdown reaches every way in all the same, since the
/// `WebSocket` itself carries the server's watch. When the server shuts down,
/// the next read or write starts the close handshake with 1001; reading
/// then ends when the client answers, and writing fails with
/// [`Error::Closed`]. Its [`split`](Self::split) halves stay under the
/// shutdown too; [`into_inner`](Self::into_inner) takes the bare
/// `WebSocket` out of it (which then leaves the server's count).
///
/// Reading is cancellation-safe, as [`WebSocket`]'s: dropping a `next()`
/// future loses nothing.
///
/// ```
/// use futures_util::StreamExt;
/// use wsdriver_tokio::{Message, ServerSocket};
///
/// async fn echo(mut socket: ServerSocket) {
///     println!("{} protocol {:?}", socket.peer_addr(), socket.websocket().protocol());
///     while let Some(Ok(message)) = socket.next().await {
///         if socket.send(message).await.is_err() {
///             break;
///         }
///     }
///     println!("closed: {:?}", socket.websocket().close_event());
/// }
/// ```
pub struct ServerSocket {
    pub(crate) socket: WebSocket<ServerStream>,
    /// Kept here, since the driver lets go of it once open.
    pub(crate) request: Box<Request>,
    /// What the `verify_client` check handed over, if it ran.
    pub(crate) data: Option<Data>,
    pub(crate) peer_addr: SocketAddr,
}

impl fmt::Debug for ServerSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSocket")
            .field("peer_addr", &self.peer_addr)
            .field("tracked", &self.socket.tracker.is_some())
            .field("socket", &self.socket)
            .finish()
    }
}

impl ServerSocket {
    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The handshake request the connection answered: target, headers
    /// (cookies, `Origin`...). The socket keeps its own copy for this, so
    /// a `ServerSocket` costs the request head's size more than a plain
    /// [`WebSocket`] from [`accept`](crate::accept).
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// What [`verify_client`](crate::ServerBuilder::verify_client) handed
    /// over when it accepted this client (`Ok(user)`), if it is a `T`.
    ///
    /// `None` when no check ran, or it returned another type.
    pub fn data<T: std::any::Any>(&self) -> Option<&T> {
        self.data.as_ref()?.downcast_ref()
    }

    /// The connection, to look at.
    pub fn websocket(&self) -> &WebSocket<ServerStream> {
        &self.socket
    }

    /// The connection, for everything else it does (pings,
    /// [`next_incoming`](WebSocket::next_incoming)...); it stays in the
    /// server's count and under its shutdown.
    pub fn websocket_mut(&mut self) -> &mut WebSocket<ServerStream> {
        &mut self.socket
    }

    /// Sends a message, as [`WebSocket::send`]; fails with
    /// [`Error::Closed`] once the server is shutting down.
    ///
    /// # Errors
    /// As [`WebSocket::send`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        self.socket.send(message).await
    }

    /// Closes, as [`WebSocket::close`], and leaves the server's count.
    ///
    /// # Errors
    /// As [`WebSocket::close`].
    pub async fn close(
        &mut self,
        code: impl Into<CloseCode>,
        reason: &str,
    ) -> Result<CloseEvent, Error> {
        let result = self.socket.close(code, reason).await;
        self.socket.tracker = None;
        result
    }

    /// Drops the connection without a close handshake.
    pub async fn terminate(self) {
        self.socket.terminate().await;
    }

    /// The connection without the server's tracking: it leaves the count
    /// and [`WebSocketServer::shutdown`](crate::WebSocketServer::shutdown)
    /// no longer reaches it.
    pub fn into_inner(mut self) -> WebSocket<ServerStream> {
        self.socket.tracker = None;
        self.socket
    }

    /// Halves for two tasks (see [`WebSocket::split`]) that stay under
    /// the server's graceful shutdown: they count as the connection until
    /// both are dropped or it closes, and a shutdown starts the close
    /// with 1001 at the next read or write of either, as on the whole
    /// socket. The request and [`data`](Self::data) stay behind: read
    /// them first.
    pub fn split(self) -> (ReadHalf<ServerStream>, WriteHalf<ServerStream>) {
        self.socket.split()
    }

    /// Closes with 1001 for a shutdown and reads until the client answers
    /// (or the close timeout passes): for connections the application
    /// never took.
    pub(crate) async fn go_away(mut self) {
        if let Some(tracker) = &mut self.socket.tracker {
            tracker.closing = true;
        }
        if self.socket.ready_state() == ReadyState::Open {
            let _ = self.socket.start_going_away(SHUTDOWN_REASON);
        }
        while poll_fn(|cx| self.socket.poll_next_inner(cx))
            .await
            .is_some()
        {}
    }
}

impl Stream for ServerSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().socket.poll_next_inner(cx)
    }
}

impl Sink<Message> for ServerSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().socket).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().socket).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().socket).poll_close(cx)
    }
}
