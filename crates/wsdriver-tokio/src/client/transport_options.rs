//! How a client reaches a server, said once for both clients: the
//! WebSocket client's [`ClientOptions`](crate::ClientOptions) and the
//! EventSource's [`EventSourceOptions`](crate::EventSourceOptions) each
//! embed one, so TLS, proxies, the connect timeout and the redirect limit
//! are set the same way, with the same defaults, for both.

use crate::client::proxy::ProxyOptions;
#[cfg(feature = "rustls")]
use crate::net::tls::TlsOptions;
use std::time::Duration;

/// How many redirects a client follows by default before it fails (ws's
/// `maxRedirects`). A WebSocket client follows them only when asked
/// ([`ClientOptions::follow_redirects`](crate::ClientOptions::follow_redirects));
/// an EventSource always does, as browsers' do.
pub use wsdriver::DEFAULT_MAX_REDIRECTS;

/// How a client reaches a server: TLS, the proxy, how long connecting may
/// take, how many redirects it follows.
///
/// The default: TLS verified against the platform's roots, no proxy (not
/// even from the environment), 30 s to connect,
/// [`DEFAULT_MAX_REDIRECTS`] redirects.
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::{ClientOptions, EventSourceOptions, ProxyOptions, TransportOptions};
///
/// let transport = TransportOptions::default()
///     .proxy(ProxyOptions::new("http://proxy.internal:3128"))
///     .connect_timeout(Some(Duration::from_secs(10)));
/// let websocket = ClientOptions::default().transport(transport.clone());
/// let events = EventSourceOptions::default().transport(transport);
/// ```
#[derive(Clone, Debug)]
pub struct TransportOptions {
    #[cfg(feature = "rustls")]
    pub(crate) tls: TlsOptions,
    pub(crate) proxy: Option<ProxyOptions>,
    pub(crate) use_env_proxy: bool,
    pub(crate) connect_timeout: Option<Duration>,
    pub(crate) max_redirects: usize,
}

impl Default for TransportOptions {
    fn default() -> Self {
        TransportOptions {
            #[cfg(feature = "rustls")]
            tls: TlsOptions::default(),
            proxy: None,
            use_env_proxy: false,
            connect_timeout: Some(wsdriver::DEFAULT_HANDSHAKE_TIMEOUT),
            max_redirects: DEFAULT_MAX_REDIRECTS,
        }
    }
}

impl TransportOptions {
    /// How to speak TLS to a `wss:` or `https:` server: roots to trust
    /// besides the platform's, a client certificate, or a whole rustls
    /// configuration. A proxy's TLS is its own ([`ProxyOptions::tls`]).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    pub fn tls(mut self, tls: TlsOptions) -> Self {
        self.tls = tls;
        self
    }

    /// Connect through this HTTP proxy, with `CONNECT` (faye's `proxy
    /// {origin, headers, tls}`). Not used for `ws+unix:`.
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

    /// How long connecting may take, from its start to the server's
    /// answer: DNS, TCP, a proxy's tunnel, TLS and the handshake or
    /// response head together, one bound timed by the client's machine
    /// (a WebSocket's redirects included; ws's `handshakeTimeout`). An
    /// EventSource retries an attempt that takes longer
    /// ([`Interruption::Timeout`](wsdriver::eventsource::Interruption::Timeout)).
    ///
    /// 30 s by default ([`wsdriver::DEFAULT_HANDSHAKE_TIMEOUT`]), so that
    /// a server that takes the connection and never answers cannot hold a
    /// client for ever; `None` waits as long as it takes.
    pub fn connect_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How many redirects to follow before failing with
    /// [`Error::TooManyRedirects`](crate::Error::TooManyRedirects)
    /// (an EventSource's stream ends with its own error);
    /// [`DEFAULT_MAX_REDIRECTS`] by default.
    pub fn max_redirects(mut self, redirects: usize) -> Self {
        self.max_redirects = redirects;
        self
    }

    /// The bound [`connect_timeout`](Self::connect_timeout) set: for a
    /// caller that times other work to match.
    pub fn get_connect_timeout(&self) -> Option<Duration> {
        self.connect_timeout
    }
}
