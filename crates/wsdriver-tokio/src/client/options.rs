//! The client's settings, apart from the code that connects: a caller
//! builds a [`ClientOptions`] and reads its documentation without needing
//! to know how a connection is made, and every step of connecting (the
//! transport, the proxy, TLS, the handshake, the redirects) only reads it.

use crate::client::proxy::ProxyOptions;
#[cfg(feature = "rustls")]
use crate::net::tls::TlsOptions;
use crate::websocket::config::Config;
use std::time::Duration;
use wsdriver::Options;
#[cfg(feature = "deflate")]
use wsdriver_deflate::DeflateConfig;

/// ws's default `maxRedirects`: how many redirects
/// [`ClientOptions::max_redirects`] allows by default (when
/// [`follow_redirects`](ClientOptions::follow_redirects) is on).
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// How a client connects.
///
/// The default: TLS verified against the platform's roots, no proxy
/// (not even from the environment), no redirects followed, no
/// compression, 30 s to connect.
///
/// ```
/// use wsdriver_tokio::{ClientOptions, Options, ProxyOptions};
///
/// let options = ClientOptions::default()
///     .options(Options::default().protocols(["chat"]).protocol_version(13))
///     .origin("https://example.com")
///     .proxy(ProxyOptions::new("http://user:secret@proxy.example:3128"))
///     .follow_redirects(true);
/// ```
// Every settings type here (this one, ServerOptions, Config, TlsOptions,
// ProxyOptions) is a builder over private fields, as the core's Options
// and DeflateConfig are: a setting can then be added without breaking
// anyone. Public fields cannot grow that way, and #[non_exhaustive], which
// would let them, forbids struct literals (and `..Default::default()`)
// outside the crate, which would leave users no way to build one.
#[derive(Clone)]
pub struct ClientOptions {
    pub(crate) options: Options,
    #[cfg(feature = "deflate")]
    pub(crate) deflate: Vec<DeflateConfig>,
    pub(crate) config: Config,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) origin: Option<String>,
    #[cfg(feature = "rustls")]
    pub(crate) tls: TlsOptions,
    pub(crate) proxy: Option<ProxyOptions>,
    pub(crate) use_env_proxy: bool,
    pub(crate) follow_redirects: bool,
    pub(crate) max_redirects: usize,
    pub(crate) handshake_timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            options: Options::default(),
            #[cfg(feature = "deflate")]
            deflate: Vec::new(),
            config: Config::default(),
            headers: Vec::new(),
            origin: None,
            #[cfg(feature = "rustls")]
            tls: TlsOptions::default(),
            proxy: None,
            use_env_proxy: false,
            follow_redirects: false,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            handshake_timeout: Some(wsdriver::DEFAULT_HANDSHAKE_TIMEOUT),
        }
    }
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut f = f.debug_struct("ClientOptions");
        f.field("options", &self.options)
            .field("origin", &self.origin);
        #[cfg(feature = "rustls")]
        f.field("tls", &self.tls);
        f.field("proxy", &self.proxy)
            .field("follow_redirects", &self.follow_redirects)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Protocol options for the core's driver: `max_length`, subprotocols
    /// to offer (`protocols(["chat"])`, ws's `protocols` argument; the
    /// agreed one is [`WebSocket::protocol`](crate::WebSocket::protocol)),
    /// the `Sec-WebSocket-Version` to send (`protocol_version(8)`, ws's
    /// `protocolVersion`; 13 by default), the close timeout, keepalive
    /// pings, the idle timeout... (The handshake timeout is
    /// [`handshake_timeout`](Self::handshake_timeout)'s, whatever these
    /// say.)
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

    /// How to speak TLS to a `wss:` server: roots to trust besides the
    /// platform's, a client certificate, or a whole rustls configuration.
    /// A proxy's TLS is its own ([`ProxyOptions::tls`]).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// Connect through this HTTP proxy (faye's `proxy {origin, headers,
    /// tls}`). Not used for `ws+unix:`.
    pub fn proxy(mut self, proxy: ProxyOptions) -> Self {
        self.proxy = Some(proxy);
        self
    }

    /// Without a [`proxy`](Self::proxy), take one from the environment
    /// for each URL connected to, redirects included
    /// ([`ProxyOptions::from_env`]: `https_proxy`, `http_proxy`,
    /// `no_proxy`). Off by default, so that a library's connections do
    /// not change with its process's environment unasked.
    pub fn use_env_proxy(mut self, use_env: bool) -> Self {
        self.use_env_proxy = use_env;
        self
    }

    /// Follow redirects (301, 302, 303, 307, 308 with a `Location`, which
    /// may be relative) by connecting again to the new URL (ws's
    /// `followRedirects`). Off by default: a redirect is then an
    /// [`Error::Status`](crate::Error::Status). Credentials
    /// (`Authorization`, `Cookie`, the URL's userinfo) and a custom `Host`
    /// are kept only while the host stays the first URL's and `wss:` does
    /// not become `ws:`, as ws and curl do.
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// How many redirects to follow before failing with
    /// [`Error::TooManyRedirects`](crate::Error::TooManyRedirects)
    /// (`Maximum redirects exceeded`; ws's `maxRedirects`,
    /// [`DEFAULT_MAX_REDIRECTS`] by default).
    pub fn max_redirects(mut self, redirects: usize) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// Give up if connecting takes longer: TCP connect, proxy, TLS,
    /// handshake and any redirects together (ws's `handshakeTimeout`).
    ///
    /// 30 s by default ([`wsdriver::DEFAULT_HANDSHAKE_TIMEOUT`]), so that
    /// a server that takes the connection and never answers cannot hold a
    /// client for ever; `None` waits as long as it takes.
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The bound on a whole [`connect`](crate::connect), as
    /// [`handshake_timeout`](Self::handshake_timeout) set it: for a caller
    /// that times other work to match.
    pub fn get_handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }
}
