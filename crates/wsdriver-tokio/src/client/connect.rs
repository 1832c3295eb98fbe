//! Client connections: TCP or a Unix socket, an HTTP proxy's tunnel, TLS
//! with rustls, then the handshake through the core's client driver, and
//! redirects when asked. The proxy exchange and the handshake are the
//! core's; this moves bytes and picks where to connect.

use crate::client::options::ClientOptions;
use crate::client::request::IntoClientRequest;
use crate::client::target::Target;
use crate::client::transport;
use crate::error::{Error, Phase};
use crate::net::drive::next_event;
use crate::net::stream::MaybeTlsStream;
use crate::websocket::WebSocket;
use std::io;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::Instant;
use wsdriver::{ClientEvent, ClientHandshake, Machine};
#[cfg(feature = "deflate")]
use wsdriver_deflate::PerMessageDeflate;

/// Connects to a `ws:`, `wss:` or `ws+unix:` URL and completes the
/// handshake. `http:` and `https:` URLs are taken as `ws:` and `wss:`, as
/// ws does. `ws+unix:/path/to/socket:/request/path` (ws's form) connects
/// to a Unix socket and asks for `/request/path` (`/` when absent) with
/// `Host: localhost`. `wss:` needs the `rustls` feature (on by default):
/// without it, a `wss:` URL fails with [`Error::Config`].
///
/// Failures say what went wrong in faye-websocket's words:
/// `Network error: <url>: <cause>` for the transport (TLS included),
/// `Error during WebSocket handshake: Unexpected response code: 404` for
/// an answer that is not a WebSocket ([`Error::Status`], with its status
/// and headers), `Can't establish a connection to the server at <url>`
/// when a proxy refuses ([`wsdriver::Error::Proxy`] with its status).
///
/// Dropping the future abandons the attempt and closes whatever it had
/// opened. [`TransportOptions::connect_timeout`](crate::TransportOptions::connect_timeout) (30 s by default) bounds
/// the whole attempt: past it, [`Error::Timeout`].
///
/// ```no_run
/// # #[cfg(all(feature = "rustls", feature = "deflate"))] {
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// use wsdriver_tokio::{connect, ClientOptions, DeflateConfig, TlsOptions, TransportOptions};
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// // wss: with a private CA, compression, and the proxy the environment
/// // names (https_proxy, no_proxy).
/// let tls = TlsOptions::default().add_ca_pem(&std::fs::read("internal-ca.pem")?)?;
/// let options = ClientOptions::default()
///     .transport(
///         TransportOptions::default()
///             .tls(tls)
///             .use_env_proxy(true)
///             .connect_timeout(Some(Duration::from_secs(10))),
///     )
///     .deflate([DeflateConfig::default()])
///     .follow_redirects(true);
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
/// # }
/// ```
///
/// # Errors
/// The transport's failure ([`Error::Io`], `Error::Tls`), a refusal
/// ([`Error::Status`], with status and headers), a bad answer
/// ([`Error::WebSocket`]), a proxy's refusal, [`Error::Timeout`],
/// [`Error::Config`] for unusable options.
pub async fn connect(
    request: impl IntoClientRequest,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    let (url, options) = with_request(request, options)?;
    // Boxed so the caller's task does not keep room for the handshake's
    // state (TLS, proxy, driver) for the connection's life.
    Box::pin(connect_inner(&url, options)).await
}

async fn connect_inner(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    // Every attempt's handshake machine counts from here: the timeout
    // bounds the whole connect (DNS, TCP, proxy, TLS, the opening
    // handshake, redirects), with the machine as the one clock.
    let started = Instant::now().into_std();
    let first = Target::parse(url)?;
    let mut target = first.clone();
    let mut redirects = 0;
    loop {
        match attempt(&target, &first, redirects > 0, &options, started).await? {
            Outcome::Open(socket) => return Ok(*socket),
            Outcome::Redirect {
                status,
                headers,
                location,
                body,
            } => {
                redirects += 1;
                if redirects > options.transport.max_redirects {
                    let _ = body;
                    return Err(Error::TooManyRedirects { status, headers });
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
        body: bytes::Bytes,
    },
}

/// One connection and handshake.
async fn attempt(
    target: &Target,
    first: &Target,
    redirected: bool,
    options: &ClientOptions,
    started: std::time::Instant,
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
    handshake.start(started);
    let deadline = handshake.poll_timeout();
    let opening = open_transport(target, options, &mut handshake);
    let Some(stream) = crate::net::deadline::until(deadline, opening).await else {
        return Err(Error::Timeout(Phase::Connect));
    };
    run(stream?, handshake, url, options).await
}

/// The client side of a handshake with `options`: headers (but those
/// `dropped` says to leave out), origin, deflate offers. The one place a
/// client's machine and its extensions are made.
fn client_handshake(
    url: &str,
    options: &ClientOptions,
    dropped: impl Fn(&str) -> bool,
) -> Result<ClientHandshake, Error> {
    // The machine is the connect's one clock: it runs on this client's
    // handshake timeout, whatever the core options say.
    let core = options
        .options
        .clone()
        .handshake_timeout(options.transport.connect_timeout);
    let mut handshake = ClientHandshake::new(url, core)?;
    for (name, value) in &options.headers {
        if !dropped(name) {
            handshake.set_header(name, value)?;
        }
    }
    if let Some(origin) = &options.origin {
        handshake.set_origin(origin)?;
    }
    #[cfg(feature = "deflate")]
    {
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
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
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
            return Err(Error::Timeout(Phase::Connect))
        }
        ClientEvent::Failed(error) => error,
        _ => wsdriver::Error::Closed,
    };
    let status = handshake.status_code().filter(|status| *status != 101);
    let Some(status) = status else {
        return Err(error.into());
    };
    let headers = Box::new(handshake.headers().cloned().unwrap_or_default());
    let body = handshake.body().clone();
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
                body,
            });
        }
    }
    crate::trace::event!(debug, url, status, "WebSocket handshake refused");
    Err(Error::Status {
        status,
        headers,
        message: error.to_string(),
        body,
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
    request: impl IntoClientRequest,
    options: ClientOptions,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let (url, options) = with_request(request, options)?;
    let url = url.as_str();
    Box::pin(async {
        let mut handshake = client_handshake(url, &options, |_| false)?;
        handshake.start(Instant::now().into_std());
        match run(stream, handshake, url, &options).await? {
            Outcome::Open(socket) => Ok(*socket),
            Outcome::Redirect {
                status,
                headers,
                body,
                ..
            } => Err(Error::Status {
                status,
                headers,
                message: format!("Redirected ({status}); connect_on follows no redirects"),
                body,
            }),
        }
    })
    .await
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The connection the handshake runs on: a Unix socket, or what
/// [`transport::open`] opens (TCP or a proxy's tunnel, TLS for `wss:`).
/// Bytes a proxy sent after its answer go to the handshake.
async fn open_transport(
    target: &Target,
    options: &ClientOptions,
    handshake: &mut ClientHandshake,
) -> Result<MaybeTlsStream, Error> {
    let url = target.display.as_str();
    if let Some(path) = &target.socket {
        return connect_unix(url, path).await;
    }
    let (stream, remaining) = transport::open(handshake.url(), url, &options.transport).await?;
    handshake.input_buffer().extend_from_slice(&remaining);
    Ok(stream)
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

/// The request's URL, and `options` with the request's headers added.
fn with_request(
    request: impl IntoClientRequest,
    mut options: ClientOptions,
) -> Result<(String, ClientOptions), Error> {
    let request = request.into_client_request()?;
    options.headers.extend(request.headers);
    Ok((request.url, options))
}
