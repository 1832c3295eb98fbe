//! The client's settings, apart from the code that connects: a caller
//! builds a [`ClientOptions`] and reads its documentation without needing
//! to know how a connection is made, and every step of connecting (the
//! transport, the proxy, TLS, the handshake, the redirects) only reads it.

use crate::client::transport_options::TransportOptions;
use crate::websocket::config::Config;
use wsdriver::Options;
#[cfg(feature = "deflate")]
use wsdriver_deflate::DeflateConfig;

/// How a client connects.
///
/// The default: TLS verified against the platform's roots, no proxy
/// (not even from the environment), no redirects followed, no
/// compression, 30 s to connect.
///
/// ```
/// use wsdriver_tokio::{ClientOptions, Options, ProxyOptions, TransportOptions};
///
/// let options = ClientOptions::default()
///     .options(Options::default().protocols(["chat"]).protocol_version(13))
///     .origin("https://example.com")
///     .transport(TransportOptions::default().proxy(ProxyOptions::new(
///         "http://user:secret@proxy.example:3128",
///     )))
///     .follow_redirects(true);
/// ```
// Every settings type here (this one, ServerOptions, Config, TlsOptions,
// ProxyOptions, TransportOptions) is a builder over private fields, as the core's Options
// and DeflateConfig are: a setting can then be added without breaking
// anyone. Public fields cannot grow that way, and #[non_exhaustive], which
// would let them, forbids struct literals (and `..Default::default()`)
// outside the crate, which would leave users no way to build one.
#[derive(Clone, Default)]
pub struct ClientOptions {
    pub(crate) options: Options,
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Vec<DeflateConfig>,
    pub(crate) config: Config,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) origin: Option<String>,
    pub(crate) transport: TransportOptions,
    pub(crate) follow_redirects: bool,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("ClientOptions");
        f.field("options", &self.options)
            .field("origin", &self.origin)
            .field("transport", &self.transport)
            .field("follow_redirects", &self.follow_redirects)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Protocol options for the core's driver: `max_length`, subprotocols
    /// to offer (`protocols(["chat"])`, ws's `protocols` argument; the
    /// agreed one is [`WebSocket::protocol`](crate::WebSocket::protocol)),
    /// the `Sec-WebSocket-Version` to send (`protocol_version(8)`, ws's
    /// `protocolVersion`; 13 by default), the close timeout, keepalive
    /// pings, the idle timeout... (The handshake timeout is the
    /// transport's [`connect_timeout`](TransportOptions::connect_timeout),
    /// whatever these say.)
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// permessage-deflate offers, most preferred first (several, for
    /// servers that accept only some parameter sets), replacing those
    /// given before; none (the default) offers no compression.
    #[cfg(feature = "deflate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
    pub fn deflate(mut self, offers: impl IntoIterator<Item = DeflateConfig>) -> Self {
        self.deflate = offers.into_iter().collect();
        self
    }

    /// Settings of the open connection: backpressure (keepalive and the
    /// idle timeout are the driver's, in [`options`](Self::options)).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Adds a handshake header (a cookie, a token). An `Authorization`
    /// header here wins over the URL's userinfo.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The `Origin` header (ws's `origin`); with `protocol_version(8)` it
    /// is sent as `Sec-WebSocket-Origin`, as draft 8 names it. An
    /// `Origin` [`header`](Self::header) is then left out.
    pub fn origin(mut self, origin: impl Into<String>) -> Self {
        self.origin = Some(origin.into());
        self
    }

    /// How to reach the server: TLS, a proxy, the connect timeout (30 s
    /// by default; ws's `handshakeTimeout`), the redirect limit. The
    /// same settings as an EventSource's.
    pub fn transport(mut self, transport: TransportOptions) -> Self {
        self.transport = transport;
        self
    }

    /// The transport settings, as [`transport`](Self::transport) set
    /// them.
    pub fn get_transport(&self) -> &TransportOptions {
        &self.transport
    }

    /// Follow redirects (301, 302, 303, 307, 308 with a `Location`, which
    /// may be relative) by connecting again to the new URL (ws's
    /// `followRedirects`), up to the transport's
    /// [`max_redirects`](TransportOptions::max_redirects). Off by
    /// default: a redirect is then an
    /// [`Error::Status`](crate::Error::Status). Credentials
    /// (`Authorization`, `Cookie`, the URL's userinfo) and a custom `Host`
    /// are kept only while the host stays the first URL's and `wss:` does
    /// not become `ws:`, as ws and curl do.
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }
}
