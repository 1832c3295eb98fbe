//! A server's settings, gathered before it starts: [`ServerBuilder`] and
//! the [`ClientInfo`] that its `verify_client` check is given. They stand
//! apart from the running server so that configuring one reads without the
//! accept loop; starting a server from them
//! ([`bind`](ServerBuilder::bind), [`listen`](ServerBuilder::listen)) is
//! done in `server.rs`, next to the loop it spawns.

use crate::error::Error;
use crate::server::options::ServerOptions;
use crate::server::reject::Reject;
use crate::sse::stream_options::EventStreamOptions;
use std::any::Any;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use wsdriver::{AllowedOrigins, Request};

/// A value a [`verify_client`](ServerBuilder::verify_client) check hands
/// to the socket it accepted (a user id, a session).
pub(crate) type Data = Box<dyn Any + Send + Sync>;
type VerifyFuture = Pin<Box<dyn Future<Output = Result<Data, Reject>> + Send>>;
pub(crate) type Verify = Arc<dyn Fn(ClientInfo) -> VerifyFuture + Send + Sync>;

/// What a [`verify_client`](ServerBuilder::verify_client) check is told
/// about a connecting client (ws's `info`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientInfo {
    /// The handshake request: method, target, headers.
    pub request: Request,
    /// The client's address.
    pub peer_addr: SocketAddr,
}

impl ClientInfo {
    /// `Ok` when `allowed` lets the request's origin connect, else the
    /// `403 Forbidden` to answer it with: the check against cross-site
    /// WebSocket hijacking, for a `verify_client` (see [`AllowedOrigins`]).
    ///
    /// ```
    /// use wsdriver_tokio::{AllowedOrigins, WebSocketServer};
    ///
    /// let allowed = AllowedOrigins::new(["https://example.com"]);
    /// let builder = WebSocketServer::builder()
    ///     .verify_client(move |info| std::future::ready(info.check_origin(&allowed)));
    /// ```
    ///
    /// # Errors
    /// The 403 refusal, when the origin is not allowed.
    pub fn check_origin(&self, allowed: &AllowedOrigins) -> Result<(), Reject> {
        if allowed.allows_request(&self.request) {
            Ok(())
        } else {
            Err(Reject::new(403, "Forbidden: this origin may not connect"))
        }
    }

    /// The page's origin: `Origin`, or `Sec-WebSocket-Origin` as draft 8
    /// clients name it.
    pub fn origin(&self) -> Option<&str> {
        let headers = &self.request.headers;
        headers
            .get("origin")
            .or_else(|| headers.get("sec-websocket-origin"))
            .and_then(|value| value.to_str().ok())
    }
}

/// Settings of a [`WebSocketServer`](crate::WebSocketServer), from
/// [`WebSocketServer::builder`](crate::WebSocketServer::builder);
/// [`bind`](Self::bind) starts it.
///
/// ```
/// # #[cfg(feature = "deflate")] {
/// use std::time::Duration;
/// use wsdriver_tokio::{connect, ClientOptions, DeflateConfig, Error, ServerOptions, WebSocketServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wsdriver_tokio::Error> {
/// let server = WebSocketServer::builder()
///     .server_options(
///         ServerOptions::default()
///             .protocols(["chat.v2", "chat.v1"])
///             .deflate(DeflateConfig::default())
///             .max_length(1 << 20),
///     )
///     .path("/chat")
///     .handshake_timeout(Some(Duration::from_secs(10)))
///     .verify_client(|info| async move {
///         match info.origin() {
///             Some("https://example.com") => Ok(()),
///             _ => Err((403, "Forbidden origin").into()),
///         }
///     })
///     .bind("127.0.0.1:0")
///     .await?;
/// let url = format!("ws://{}/chat", server.local_addr());
/// // A client with no Origin is refused.
/// let refused = connect(&url, ClientOptions::default()).await;
/// assert!(matches!(refused, Err(Error::Status { status: 403, .. })));
/// # Ok(()) }
/// # }
/// ```
#[must_use = "a builder does nothing until bind or listen"]
pub struct ServerBuilder {
    pub(crate) options: ServerOptions,
    /// Set apart from `options` (where it ends up) so that the order of
    /// `handshake_timeout` and `server_options` does not matter.
    pub(crate) handshake_timeout: Option<Option<Duration>>,
    pub(crate) path: Option<String>,
    pub(crate) verify: Option<Verify>,
    pub(crate) on_error: Option<OnError>,
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<std::sync::Arc<rustls::ServerConfig>>,
    pub(crate) tracking: bool,
    pub(crate) event_streams: Option<EventStreamOptions>,
    pub(crate) max_connections: Option<usize>,
}

/// How many connections a [`WebSocketServer`](crate::WebSocketServer)
/// holds at once by default (handshakes under way included): about 24 MB
/// of idle connections, or 420 MB of connections that each echo messages
/// of up to 64 KiB (the soak's figures, `bench soak`).
pub const DEFAULT_MAX_CONNECTIONS: usize = 10_000;

/// The hook told of handshakes that do not open.
pub(crate) type OnError = Arc<dyn Fn(SocketAddr, &Error) + Send + Sync>;

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            options: ServerOptions::default(),
            handshake_timeout: None,
            path: None,
            verify: None,
            on_error: None,
            #[cfg(feature = "rustls")]
            tls: None,
            tracking: true,
            event_streams: None,
            max_connections: Some(DEFAULT_MAX_CONNECTIONS),
        }
    }
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("options", &self.options)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("path", &self.path)
            .field("verify_client", &self.verify.is_some())
            .field("client_tracking", &self.tracking)
            .field("event_streams", &self.event_streams)
            .field("max_connections", &self.max_connections)
            .finish()
    }
}

impl ServerBuilder {
    /// What the server accepts: subprotocols, `max_length`, deflate,
    /// keepalive... (see [`ServerOptions`]), replacing what was set
    /// before.
    pub fn server_options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Also serve EventSource clients: a request that asks for an event
    /// stream (a `GET` accepting `text/event-stream`) is answered with one,
    /// at any path (the [`path`](Self::path) filter is for WebSockets; see
    /// [`EventStream::uri`](crate::EventStream::uri)), after
    /// [`verify_client`](Self::verify_client) accepted it, and handed out
    /// by [`WebSocketServer::accept_event_stream`](crate::WebSocketServer::accept_event_stream).
    /// Without this, such requests get `426 Upgrade Required` as any plain
    /// HTTP request does. A shutdown ends the streams.
    pub fn event_streams(mut self, options: EventStreamOptions) -> Self {
        self.event_streams = Some(options);
        self
    }

    /// Accept connections only at this path (ws's `path`); the query is
    /// not compared. Requests for other paths get `400 Bad Request`, as
    /// from ws.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// A check of each client before it is accepted (ws's
    /// `verifyClient`): `Ok(value)` accepts and hands `value` to the
    /// socket ([`ServerSocket::data`](crate::ServerSocket::data); `Ok(())`
    /// when there is nothing to hand over), `Err(reject)` answers with the
    /// [`Reject`]: its status, plain-text body and headers (a 401's
    /// `WWW-Authenticate`; `(status, body).into()` when there are none).
    /// It runs after the path filter and before the core validates the
    /// handshake.
    ///
    /// The check is async, so it may look a token up; a synchronous one
    /// returns a ready future: `|info| std::future::ready(check(&info))`.
    /// Each connection's handshake runs in its own task, so a slow check
    /// holds up only its client (within the
    /// [`handshake_timeout`](Self::handshake_timeout)).
    pub fn verify_client<F, Fut, T>(mut self, verify: F) -> Self
    where
        F: Fn(ClientInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, Reject>> + Send + 'static,
        T: Any + Send + Sync,
    {
        self.verify = Some(Arc::new(move |info| {
            let verdict = verify(info);
            Box::pin(async move { verdict.await.map(|value| Box::new(value) as Data) })
        }));
        self
    }

    /// Called for each handshake that does not open: the client's
    /// address and why (a refusal sent, [`Error::Status`]; a bad or slow
    /// request, [`Error::WebSocket`]; the client gone, [`Error::Io`]).
    /// For logging or metrics; the answer has been sent already.
    pub fn on_handshake_error(
        mut self,
        hook: impl Fn(SocketAddr, &Error) + Send + Sync + 'static,
    ) -> Self {
        self.on_error = Some(Arc::new(hook));
        self
    }

    /// Serves `wss:`: every connection runs TLS with `config` (its
    /// certificate, key, ALPN) before the WebSocket handshake, within the
    /// same [`handshake_timeout`](Self::handshake_timeout). A client that
    /// fails TLS is told through
    /// [`on_handshake_error`](Self::on_handshake_error).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls(mut self, config: std::sync::Arc<rustls::ServerConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Whether the server keeps count of its open connections (ws's
    /// `clientTracking`, on by default). Untracked connections are not
    /// counted by [`clients`](crate::WebSocketServer::clients) and are not
    /// closed by [`shutdown`](crate::WebSocketServer::shutdown).
    pub fn client_tracking(mut self, tracking: bool) -> Self {
        self.tracking = tracking;
        self
    }

    /// The most connections the server holds at once (10,000 by default;
    /// `None` for no bound): from the accept, through the handshake, until
    /// the socket closes, is dropped or leaves with
    /// [`ServerSocket::into_inner`](crate::ServerSocket::into_inner); event
    /// streams count until they end. A client past it is answered `503
    /// Service Unavailable` with `Retry-After`, once its request is in (so
    /// it learns why rather than seeing a reset); the connections already
    /// open are not disturbed.
    pub fn max_connections(mut self, max: Option<usize>) -> Self {
        self.max_connections = max;
        self
    }

    /// How long a client may take to send its handshake (and the
    /// [`verify_client`](Self::verify_client) check to answer); 30 s by
    /// default, `None` waits for ever. It is the core's
    /// [`Options::handshake_timeout`](wsdriver::Options::handshake_timeout),
    /// set here too because it bounds the `verify_client` check as well;
    /// when set here, it wins over the one in
    /// [`server_options`](Self::server_options), whichever came first.
    ///
    /// A client that sent part of its request by then gets `408 Request
    /// Timeout`; one that sent nothing is dropped.
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }
}
