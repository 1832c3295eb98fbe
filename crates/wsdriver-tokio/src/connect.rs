//! Client connections: TCP or a Unix socket, an HTTP proxy's tunnel, TLS
//! with rustls, then the handshake through the core's client driver, and
//! redirects when asked. The proxy exchange and the handshake are the
//! core's; this moves bytes and picks where to connect.

use crate::config::Config;
use crate::drive::next_event;
use crate::error::Error;
use crate::proxy::{open_tunnel, ProxyOptions};
use crate::stream::{MaybeTlsStream, PrefixedStream};
use crate::tls::{bare_host, tls_handshake, TlsOptions};
use crate::websocket::WebSocket;
use std::borrow::Cow;
use std::io;
use std::path::PathBuf;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::time::Instant;
use url::Url;
use wsdriver::{ClientEvent, ClientHandshake, Machine, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

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
    options: Options,
    deflate: Vec<DeflateConfig>,
    config: Config,
    headers: Vec<(String, String)>,
    origin: Option<String>,
    tls: TlsOptions,
    proxy: Option<ProxyOptions>,
    use_env_proxy: bool,
    follow_redirects: bool,
    max_redirects: usize,
    handshake_timeout: Option<Duration>,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            options: Options::default(),
            deflate: Vec::new(),
            config: Config::default(),
            headers: Vec::new(),
            origin: None,
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
        f.debug_struct("ClientOptions")
            .field("options", &self.options)
            .field("origin", &self.origin)
            .field("tls", &self.tls)
            .field("proxy", &self.proxy)
            .field("follow_redirects", &self.follow_redirects)
            .field("handshake_timeout", &self.handshake_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientOptions {
    /// Protocol options for the core's driver: `max_length`, subprotocols
    /// to offer (`protocols(["chat"])`, ws's `protocols` argument; the
    /// agreed one is [`WebSocket::protocol`]), the `Sec-WebSocket-Version`
    /// to send (`protocol_version(8)`, ws's `protocolVersion`; 13 by
    /// default), the close timeout, keepalive pings, the idle timeout...
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// permessage-deflate offers, most preferred first (several, for
    /// servers that accept only some parameter sets), replacing those
    /// given before; none (the default) offers no compression.
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
    /// [`Error::Status`]. Credentials (`Authorization`, `Cookie`, the
    /// URL's userinfo) and a custom `Host` are kept only while the host
    /// stays the first URL's and `wss:` does not become `ws:`, as ws and
    /// curl do.
    pub fn follow_redirects(mut self, follow: bool) -> Self {
        self.follow_redirects = follow;
        self
    }

    /// How many redirects to follow before failing with
    /// `Maximum redirects exceeded` (ws's `maxRedirects`,
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

    /// The bound on a whole [`connect`], as
    /// [`handshake_timeout`](Self::handshake_timeout) set it: for a caller
    /// that times other work to match.
    pub fn get_handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }
}

/// Connects to a `ws:`, `wss:` or `ws+unix:` URL and completes the
/// handshake. `http:` and `https:` URLs are taken as `ws:` and `wss:`, as
/// ws does. `ws+unix:/path/to/socket:/request/path` (ws's form) connects
/// to a Unix socket and asks for `/request/path` (`/` when absent) with
/// `Host: localhost`.
///
/// Failures say what went wrong in faye-websocket's words:
/// `Network error: <url>: <cause>` for the transport (TLS included),
/// `Error during WebSocket handshake: Unexpected response code: 404` for
/// an answer that is not a WebSocket ([`Error::Status`], with its status
/// and headers), `Can't establish a connection to the server at <url>`
/// when a proxy refuses ([`wsdriver::Error::Proxy`] with its status).
///
/// Dropping the future abandons the attempt and closes whatever it had
/// opened. [`ClientOptions::handshake_timeout`] (30 s by default) bounds
/// the whole attempt: past it, [`Error::Timeout`].
///
/// ```no_run
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// use wsdriver_tokio::{connect, ClientOptions, DeflateConfig, TlsOptions};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // wss: with a private CA, compression, and the proxy the environment
/// // names (https_proxy, no_proxy).
/// let tls = TlsOptions::default().add_ca_pem(&std::fs::read("internal-ca.pem")?)?;
/// let options = ClientOptions::default()
///     .tls(tls)
///     .deflate([DeflateConfig::default()])
///     .use_env_proxy(true)
///     .follow_redirects(true)
///     .handshake_timeout(Some(Duration::from_secs(10)));
/// let mut socket = connect("wss://chat.internal/room/1", options).await?;
/// socket.send("hello").await?;
/// while let Some(message) = socket.next().await {
///     println!("{:?}", message?);
/// }
/// println!("closed: {:?}", socket.close_event());
///
/// // A server on a Unix socket, asked for /status.
/// let local = connect("ws+unix:/run/app.sock:/status", ClientOptions::default()).await?;
/// # Ok(()) }
/// ```
pub async fn connect(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    // Boxed so the caller's task does not keep room for the handshake's
    // state (TLS, proxy, driver) for the connection's life.
    let limit = options.handshake_timeout;
    let handshake = Box::pin(connect_inner(url, options));
    match limit {
        Some(limit) => tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| Error::Timeout("the WebSocket handshake"))?,
        None => handshake.await,
    }
}

async fn connect_inner(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    let first = Target::parse(url)?;
    let mut target = first.clone();
    let mut redirects = 0;
    loop {
        match attempt(&target, &first, redirects > 0, &options).await? {
            Outcome::Open(socket) => return Ok(*socket),
            Outcome::Redirect {
                status,
                headers,
                location,
            } => {
                redirects += 1;
                if redirects > options.max_redirects {
                    return Err(Error::Status {
                        status,
                        headers,
                        message: "Maximum redirects exceeded".into(),
                    });
                }
                target = target.redirect(&location)?;
            }
        }
    }
}

enum Outcome<S> {
    Open(Box<WebSocket<S>>),
    Redirect {
        status: u16,
        headers: Box<wsdriver::http_types::HeaderMap>,
        location: String,
    },
}

/// One connection and handshake.
async fn attempt(
    target: &Target,
    first: &Target,
    redirected: bool,
    options: &ClientOptions,
) -> Result<Outcome<MaybeTlsStream>, Error> {
    let url = target.display.as_str();
    let same_host = target.same_host(first);
    // ws and curl: credentials go only to the first host, and not over a
    // connection that lost its TLS.
    let downgraded = first.is_secure() && !target.is_secure();
    let keep_credentials = !redirected || (same_host && !downgraded);
    let mut address = target.url.clone();
    if redirected {
        if !keep_credentials {
            let _ = address.set_username("");
            let _ = address.set_password(None);
        } else if !first.url.username().is_empty() || first.url.password().is_some() {
            let _ = address.set_username(first.url.username());
            let _ = address.set_password(first.url.password());
        }
    }

    let mut handshake = client_handshake(address.as_str(), options, |name| {
        match name.to_ascii_lowercase().as_str() {
            "authorization" | "cookie" => !keep_credentials,
            "host" => redirected && !same_host,
            "origin" => options.origin.is_some(),
            _ => false,
        }
    })?;
    let stream = open_transport(target, options, &mut handshake).await?;
    run(stream, handshake, url, options).await
}

/// The client side of a handshake with `options`: headers (but those
/// `dropped` says to leave out), origin, deflate offers. The one place a
/// client's machine and its extensions are made.
fn client_handshake(
    url: &str,
    options: &ClientOptions,
    dropped: impl Fn(&str) -> bool,
) -> Result<ClientHandshake, Error> {
    let mut handshake = ClientHandshake::new(url, options.options.clone())?;
    for (name, value) in &options.headers {
        if !dropped(name) {
            handshake.set_header(name, value)?;
        }
    }
    if let Some(origin) = &options.origin {
        handshake.set_origin(origin)?;
    }
    let mut offers = options.deflate.iter().cloned();
    if let Some(first) = offers.next() {
        let mut deflate =
            PerMessageDeflate::new(first).map_err(|e| Error::Config(e.to_string()))?;
        for config in offers {
            deflate = deflate
                .or_offer(config)
                .map_err(|e| Error::Config(e.to_string()))?;
        }
        handshake.add_extension(deflate)?;
    }
    Ok(handshake)
}

/// Runs a started transport's handshake on the drive loop: the socket, a
/// redirect to follow, or the refusal.
async fn run<S>(
    mut stream: S,
    mut handshake: ClientHandshake,
    url: &str,
    options: &ClientOptions,
) -> Result<Outcome<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    handshake.start(Instant::now().into_std());
    let event = next_event(&mut stream, &mut handshake)
        .await
        .map_err(|error| match error {
            Error::Io { source, .. } if source.kind() == io::ErrorKind::UnexpectedEof => {
                let eof = io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the server closed the connection during the handshake",
                );
                Error::network(url, eof)
            }
            other => network(url, other),
        })?;
    let error = match event {
        ClientEvent::Open => {
            let headers = handshake.headers().cloned().map(Box::new);
            let address = handshake.url().as_str().to_owned();
            let now = Instant::now().into_std();
            let connection = handshake.into_connection(now).map_err(|_| Error::Closed)?;
            let socket = WebSocket::open(
                stream,
                connection,
                options.config.clone(),
                Some(&address),
                headers,
            );
            return Ok(Outcome::Open(Box::new(socket)));
        }
        // The core's own handshake timer, as the layer's.
        ClientEvent::Failed(wsdriver::Error::HandshakeTimeout) => {
            return Err(Error::Timeout("the WebSocket handshake"))
        }
        ClientEvent::Failed(error) => error,
        _ => wsdriver::Error::Closed,
    };
    let status = handshake.status_code().filter(|status| *status != 101);
    let Some(status) = status else {
        return Err(error.into());
    };
    let headers = Box::new(handshake.headers().cloned().unwrap_or_default());
    let location = headers
        .get("location")
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|location| !location.is_empty());
    if let Some(location) = location {
        if options.follow_redirects && is_redirect(status) {
            let location = location.to_owned();
            return Ok(Outcome::Redirect {
                status,
                headers,
                location,
            });
        }
    }
    Err(Error::Status {
        status,
        headers,
        message: error.to_string(),
    })
}

/// A client handshake over a stream you already have (an in-memory pipe,
/// TLS with settings of your own, a SOCKS tunnel, a serial line): the
/// stream is the transport, so `options`' proxy and TLS settings are not
/// used and redirects are not followed (a redirect is an
/// [`Error::Status`] with its `Location`). The handshake timeout, headers,
/// origin, subprotocols and deflate offers are.
///
/// ```
/// use futures_util::StreamExt;
/// use wsdriver_tokio::{accept, connect_on, ClientOptions, Message, ServerOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (client_io, server_io) = tokio::io::duplex(4096);
/// let server = tokio::spawn(accept(server_io, ServerOptions::default()));
/// let mut client = connect_on(client_io, "ws://localhost/chat", ClientOptions::default()).await?;
/// let mut server = server.await??;
/// client.send("hello").await?;
/// assert_eq!(server.next().await.transpose()?, Some(Message::from("hello")));
/// assert_eq!(client.url(), Some("ws://localhost/chat"));
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`connect`]: the server's refusal as [`Error::Status`], a bad
/// answer as [`Error::WebSocket`], the stream's failure as
/// [`Error::Io`], [`Error::Timeout`] past the handshake timeout.
pub async fn connect_on<S>(
    stream: S,
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let limit = options.handshake_timeout;
    let handshake = Box::pin(async {
        let handshake = client_handshake(url, &options, |_| false)?;
        match run(stream, handshake, url, &options).await? {
            Outcome::Open(socket) => Ok(*socket),
            Outcome::Redirect {
                status, headers, ..
            } => Err(Error::Status {
                status,
                headers,
                message: format!("Redirected ({status}); connect_on follows no redirects"),
            }),
        }
    });
    match limit {
        Some(limit) => tokio::time::timeout(limit, handshake)
            .await
            .map_err(|_| Error::Timeout("the WebSocket handshake"))?,
        None => handshake.await,
    }
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The connection the handshake runs on: a Unix socket, TCP, or a
/// proxy's tunnel, with TLS for `wss:`. Bytes a proxy sent after its
/// answer go to the handshake (`ws:`) or to TLS (`wss:`).
async fn open_transport(
    target: &Target,
    options: &ClientOptions,
    handshake: &mut ClientHandshake,
) -> Result<MaybeTlsStream, Error> {
    let url = target.display.as_str();
    if let Some(path) = &target.socket {
        return connect_unix(url, path).await;
    }
    let address = handshake.url().clone();
    let host = bare_host(&address);
    let secure = address.scheme() == "wss";
    let proxy = match &options.proxy {
        Some(proxy) => Some(Cow::Borrowed(proxy)),
        None if options.use_env_proxy => ProxyOptions::from_env(address.as_str()).map(Cow::Owned),
        None => None,
    };
    if let Some(proxy) = proxy {
        let (tunnel, remaining) = open_tunnel(&proxy, address.as_str(), url).await?;
        if !secure {
            handshake.input_buffer().extend_from_slice(&remaining);
            return Ok(tunnel);
        }
        let inner = PrefixedStream::new(remaining, tunnel);
        let tls = tls_handshake(&options.tls, &host, inner)
            .await
            .map_err(|e| network(url, e))?;
        return Ok(MaybeTlsStream::TlsTunnel(Box::new(tls)));
    }
    let port = address.port_or_known_default().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| Error::network(url, e))?;
    tcp.set_nodelay(true).map_err(|e| Error::network(url, e))?;
    if !secure {
        return Ok(MaybeTlsStream::Plain(tcp));
    }
    let tls = tls_handshake(&options.tls, &host, tcp)
        .await
        .map_err(|e| network(url, e))?;
    Ok(MaybeTlsStream::Tls(tls))
}

#[cfg(unix)]
async fn connect_unix(url: &str, path: &std::path::Path) -> Result<MaybeTlsStream, Error> {
    let unix = tokio::net::UnixStream::connect(path)
        .await
        .map_err(|e| Error::network(url, e))?;
    Ok(MaybeTlsStream::Unix(unix))
}

#[cfg(not(unix))]
async fn connect_unix(_url: &str, _path: &std::path::Path) -> Result<MaybeTlsStream, Error> {
    Err(Error::Config(
        "ws+unix: URLs need Unix domain sockets".into(),
    ))
}

fn network(url: &str, error: Error) -> Error {
    error.at(url)
}

/// Where one attempt connects.
#[derive(Debug, Clone)]
struct Target {
    /// The URL as the caller or a `Location` wrote it, for messages.
    display: String,
    /// The URL the driver is given: `ws:`/`wss:`, `ws://localhost/...` for
    /// a Unix socket.
    url: Url,
    /// The Unix socket of a `ws+unix:` URL.
    socket: Option<PathBuf>,
}

impl Target {
    fn parse(text: &str) -> Result<Target, Error> {
        let invalid =
            |why: &str| Error::WebSocket(wsdriver::Error::InvalidUrl(format!("{text}: {why}")));
        if let Some(rest) = strip_prefix_ignore_case(text, "ws+unix:") {
            // `ws+unix:///socket:/path` has an (empty) authority.
            let rest = match rest.strip_prefix("//") {
                Some(after) => after.find('/').map_or("", |i| &after[i..]),
                None => rest,
            };
            if rest.contains('#') {
                return Err(invalid("a WebSocket URL cannot have a fragment"));
            }
            // ws splits at the first colon; the socket path is before it.
            let (socket, request) = rest.split_once(':').unwrap_or((rest, ""));
            if socket.is_empty() {
                return Err(invalid("no socket path"));
            }
            let request = match request.starts_with('/') {
                true => request.to_owned(),
                false => format!("/{request}"),
            };
            let url = Url::parse(&format!("ws://localhost{request}"))
                .map_err(|e| invalid(&e.to_string()))?;
            return Ok(Target {
                display: text.to_owned(),
                url,
                socket: Some(PathBuf::from(socket)),
            });
        }
        let mut url = Url::parse(text).map_err(|e| invalid(&e.to_string()))?;
        let scheme = match url.scheme() {
            "http" => Some("ws"),
            "https" => Some("wss"),
            _ => None,
        };
        if let Some(scheme) = scheme {
            url.set_scheme(scheme)
                .map_err(|()| invalid("cannot be made a WebSocket URL"))?;
        }
        Ok(Target {
            display: text.to_owned(),
            url,
            socket: None,
        })
    }

    /// The target a `Location` points to, relative ones resolved against
    /// this one (on the same socket, for `ws+unix:`).
    fn redirect(&self, location: &str) -> Result<Target, Error> {
        let invalid = |e: url::ParseError| {
            Error::WebSocket(wsdriver::Error::InvalidUrl(format!("{location}: {e}")))
        };
        let mut next = match Url::parse(location) {
            Ok(_) => Target::parse(location)?,
            Err(url::ParseError::RelativeUrlWithoutBase) => {
                let mut url = self.url.join(location).map_err(invalid)?;
                url.set_fragment(None);
                match &self.socket {
                    Some(socket) => {
                        let mut request = url.path().to_owned();
                        if let Some(query) = url.query() {
                            request.push('?');
                            request.push_str(query);
                        }
                        Target {
                            display: format!("ws+unix:{}:{request}", socket.display()),
                            url,
                            socket: Some(socket.clone()),
                        }
                    }
                    None => Target {
                        display: url.to_string(),
                        url,
                        socket: None,
                    },
                }
            }
            Err(e) => return Err(invalid(e)),
        };
        // A fragment means nothing to a server, and the driver refuses it.
        next.url.set_fragment(None);
        Ok(next)
    }

    fn is_secure(&self) -> bool {
        self.socket.is_none() && self.url.scheme() == "wss"
    }

    fn same_host(&self, other: &Target) -> bool {
        match (&self.socket, &other.socket) {
            (Some(a), Some(b)) => a == b,
            (None, None) => {
                self.url.host_str() == other.url.host_str()
                    && self.url.port_or_known_default() == other.url.port_or_known_default()
            }
            _ => false,
        }
    }
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unix_urls() {
        let t = Target::parse("ws+unix:/tmp/app.sock:/chat?room=1").unwrap();
        assert_eq!(
            t.socket.as_deref(),
            Some(std::path::Path::new("/tmp/app.sock"))
        );
        assert_eq!(t.url.as_str(), "ws://localhost/chat?room=1");
        let t = Target::parse("ws+unix:///tmp/app.sock").unwrap();
        assert_eq!(
            t.socket.as_deref(),
            Some(std::path::Path::new("/tmp/app.sock"))
        );
        assert_eq!(t.url.as_str(), "ws://localhost/");
        assert!(Target::parse("ws+unix:").is_err());
        assert!(Target::parse("ws+unix:/s:/x#frag").is_err());

        let next = t.redirect("/other?x").unwrap();
        assert_eq!(next.socket, t.socket);
        assert_eq!(next.url.as_str(), "ws://localhost/other?x");
        assert_eq!(next.display, "ws+unix:/tmp/app.sock:/other?x");
    }

    #[test]
    fn redirect_locations() {
        let t = Target::parse("wss://example.com/a/b?q").unwrap();
        assert_eq!(
            t.redirect("c").unwrap().url.as_str(),
            "wss://example.com/a/c"
        );
        assert_eq!(
            t.redirect("/c#f").unwrap().url.as_str(),
            "wss://example.com/c"
        );
        assert_eq!(
            t.redirect("//other.example/x").unwrap().url.as_str(),
            "wss://other.example/x"
        );
        let http = t.redirect("http://other.example:8080/x").unwrap();
        assert_eq!(http.url.as_str(), "ws://other.example:8080/x");
        assert!(!http.same_host(&t));
        assert!(t
            .redirect("https://example.com:443/")
            .unwrap()
            .same_host(&t));
    }
}
