//! The server handshake on a stream the caller accepted (TCP, TLS, Unix):
//! the core parses the request; this only moves bytes.

use crate::error::Error;
pub(crate) use crate::io::write_all;
use crate::websocket::{Config, WebSocket};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use wsdriver::{is_websocket, Driver, Event, Options, Request};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

/// What a server accepts, for every way in: [`accept`], [`accept_with`],
/// hyper's `upgrade`, the axum `WebSocketUpgrade` and
/// [`ServerBuilder::server_options`](crate::ServerBuilder::server_options).
///
/// The default speaks RFC 6455 and draft 8 without subprotocols or
/// compression, and takes messages up to just under 64 MiB
/// ([`wsdriver::DEFAULT_MAX_LENGTH`]) and request heads up to 16 KiB.
/// Options the driver refuses (a bad subprotocol name, a deflate setting
/// out of range) fail each handshake with [`Error::Config`] or
/// [`Error::WebSocket`].
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::{Config, DeflateConfig, Options, ServerOptions};
///
/// let options = ServerOptions::default()
///     .options(Options::default().idle_timeout(Some(Duration::from_secs(60))))
///     .protocols(["chat.v2", "chat.v1"])
///     .max_length(1 << 20)
///     .deflate(DeflateConfig::default())
///     .config(Config::default().max_buffered(16 * 1024));
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    pub(crate) options: Options,
    deflate: Option<DeflateConfig>,
    pub(crate) config: Config,
}

impl ServerOptions {
    /// The core's options (subprotocols, `max_length`, drafts, close and
    /// handshake timeouts, keepalive pings, idle timeout...), replacing
    /// what [`protocols`](Self::protocols), [`max_length`](Self::max_length)
    /// and [`allow_drafts`](Self::allow_drafts) set before: set it first.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Subprotocols the server speaks: it picks the first of the client's
    /// list found here (ws's `handleProtocols` default).
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options = self.options.protocols(protocols);
        self
    }

    /// The longest message accepted, in bytes (ws's `maxPayload`); a
    /// longer one closes the connection with 1009 before it is buffered.
    pub fn max_length(mut self, bytes: usize) -> Self {
        self.options = self.options.max_length(bytes);
        self
    }

    /// Whether the legacy hixie-75/76 drafts are accepted (off by
    /// default: they get `400 Unsupported WebSocket version`).
    pub fn allow_drafts(mut self, allow: bool) -> Self {
        self.options = self.options.allow_drafts(allow);
        self
    }

    /// Accept permessage-deflate with this configuration (ws's
    /// `perMessageDeflate`); `None`, the default, declines it, and
    /// clients that offer it get an uncompressed connection.
    pub fn deflate(mut self, deflate: impl Into<Option<DeflateConfig>>) -> Self {
        self.deflate = deflate.into();
        self
    }

    /// Settings of each connection once open: backpressure (keepalive and
    /// the idle timeout are the driver's, in [`options`](Self::options)).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// A server driver that reads the request head itself.
    pub(crate) fn driver(&self) -> Result<Driver, Error> {
        self.with_extensions(Driver::server(self.options.clone())?)
    }

    /// A server driver for a request hyper parsed.
    #[cfg(feature = "hyper")]
    pub(crate) fn http_driver(
        &self,
        request: &impl wsdriver::HttpRequest,
    ) -> Result<Driver, Error> {
        self.with_extensions(Driver::http(request, self.options.clone())?)
    }

    /// `driver` with the extensions these options accept.
    fn with_extensions(&self, mut driver: Driver) -> Result<Driver, Error> {
        if let Some(config) = &self.deflate {
            let deflate =
                PerMessageDeflate::new(config.clone()).map_err(|e| Error::Config(e.to_string()))?;
            driver.add_extension(deflate)?;
        }
        Ok(driver)
    }
}

/// A refusal from [`accept_with`]'s check: the HTTP status and the body.
///
/// The body is sent as `text/plain`.
pub type Rejection = (u16, String);

/// Reads the request from `stream` and completes the handshake.
///
/// `stream` is whatever you accepted: a `TcpStream`, a
/// `tokio_rustls::server::TlsStream` for `wss:`, a `UnixStream`, an
/// in-memory pipe. The driver validates the request and picks the
/// subprotocol and extensions from `options`.
///
/// Refusals are answered on the stream before the error returns: a head
/// the driver cannot read or takes as too large (400 or 431, bounded by
/// [`Options::max_handshake_size`](wsdriver::Options::max_handshake_size)),
/// a plain HTTP request (`426 Upgrade Required`, as
/// [`Error::Status`]), a bad handshake (the driver's refusal, 400, 405
/// or 426 with the versions it speaks, as [`Error::WebSocket`]). A peer
/// that hangs up first gives an [`Error::Io`].
///
/// The handshake is timed by the driver
/// ([`Options::handshake_timeout`](wsdriver::Options::handshake_timeout),
/// 30 s by default): a client that sent part of its request by then gets
/// `408 Request Timeout`, one that sent nothing is dropped, and the error
/// comes back. Run it in a task of its own per connection, so one slow
/// client holds up no other.
///
/// ```
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use wsdriver_tokio::{accept, ServerOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut client, server_io) = tokio::io::duplex(4096);
/// let server = tokio::spawn(accept(server_io, ServerOptions::default()));
///
/// // The example request of RFC 6455, section 1.3.
/// client
///     .write_all(
///         b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\n\
///           Upgrade: websocket\r\nConnection: Upgrade\r\n\
///           Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///           Sec-WebSocket-Version: 13\r\n\r\n",
///     )
///     .await?;
/// let socket = server.await??;
/// assert_eq!(socket.url(), Some("ws://server.example.com/chat"));
///
/// let mut response = vec![0; 1024];
/// let n = client.read(&mut response).await?;
/// let response = std::str::from_utf8(&response[..n])?;
/// assert!(response.starts_with("HTTP/1.1 101"));
/// assert!(response.contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
/// # Ok(()) }
/// ```
pub async fn accept<S>(stream: S, options: ServerOptions) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, options, |_| Ok(())).await
}

/// As [`accept`], with a check of the request (path, origin, credentials)
/// before it is answered; an `Err` is sent back as that HTTP response.
///
/// `verify` runs once the request is known to be a WebSocket request
/// (plain HTTP gets 426 without it) and before the driver validates the
/// handshake. It is synchronous: look anything up before, or use
/// [`WebSocketServer`](crate::WebSocketServer)'s async
/// [`verify_client`](crate::ServerBuilder::verify_client). A refusal is
/// returned as [`Error::Status`] with that status and the body as its
/// message.
///
/// ```
/// use tokio::io::AsyncWriteExt;
/// use wsdriver_tokio::{accept_with, Error, ServerOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut client, server_io) = tokio::io::duplex(4096);
/// client
///     .write_all(
///         b"GET /admin HTTP/1.1\r\nHost: localhost\r\n\
///           Upgrade: websocket\r\nConnection: Upgrade\r\n\
///           Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///           Sec-WebSocket-Version: 13\r\n\r\n",
///     )
///     .await?;
/// let accepted = accept_with(server_io, ServerOptions::default(), |request| {
///     match request.uri.path() {
///         "/chat" => Ok(()),
///         _ => Err((404, "No WebSocket here".to_owned())),
///     }
/// })
/// .await;
/// assert!(matches!(accepted, Err(Error::Status { status: 404, .. })));
/// # Ok(()) }
/// ```
pub async fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    verify: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<(), Rejection>,
{
    // Boxed: the handshake's state (a whole driver, the request) would
    // otherwise stay reserved in the caller's task for the connection's
    // life, since a future is as large as its largest state.
    Box::pin(handshake(stream, options, verify)).await
}

async fn handshake<S, F>(
    mut stream: S,
    options: ServerOptions,
    verify: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<(), Rejection>,
{
    let mut driver = options.driver()?;
    read_request(&mut stream, &mut driver).await?;
    let request = driver.request().expect("a connected server has a request");
    if !is_websocket(request) {
        return Err(refuse_plain_http(&mut stream, &mut driver).await);
    }
    if let Err((status, body)) = verify(request) {
        return Err(refuse(&mut stream, &mut driver, status, &body).await);
    }
    open(stream, driver, options.config).await
}

/// Reads until the driver has parsed the request head (`Connect`); a head
/// the driver refuses is answered (its 400 or 431) and returned as the
/// error.
pub(crate) async fn read_request<S>(stream: &mut S, driver: &mut Driver) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    loop {
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Connect => return Ok(()),
                Event::Close(close) => return Err(fail(stream, driver, close.into_error()).await),
                _ => {}
            }
        }
        read_more(stream, driver).await?;
    }
}

/// Answers a request that is not a WebSocket request with `426 Upgrade
/// Required`, as ws does on its own listener.
pub(crate) async fn refuse_plain_http<S>(stream: &mut S, driver: &mut Driver) -> Error
where
    S: AsyncWrite + Unpin,
{
    let sent = async {
        driver.set_header("Upgrade", "websocket")?;
        driver.reject(426, "Upgrade Required: this endpoint speaks WebSocket\n")?;
        write_all(stream, driver).await?;
        let _ = stream.shutdown().await;
        Ok(())
    };
    match sent.await {
        Ok(()) => refused(426, "Not a WebSocket request"),
        Err(error) => error,
    }
}

/// Answers with the application's refusal (`status`, `body`) through the
/// driver's [`reject`](Driver::reject), and returns it as
/// [`Error::Status`].
pub(crate) async fn refuse<S>(stream: &mut S, driver: &mut Driver, status: u16, body: &str) -> Error
where
    S: AsyncWrite + Unpin,
{
    let sent = async {
        driver.reject(status, body)?;
        write_all(stream, driver).await?;
        let _ = stream.shutdown().await;
        Ok(())
    };
    match sent.await {
        Ok(()) => refused(status, body),
        Err(error) => error,
    }
}

/// Starts the driver on a request it holds and reads until it opens (a
/// hixie-76 client's challenge may still be on its way); the driver's
/// refusal is answered and returned as the error.
pub(crate) async fn open<S>(
    mut stream: S,
    mut driver: Driver,
    config: Config,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    driver.start();
    loop {
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Open => {
                    write_all(&mut stream, &mut driver).await?;
                    return Ok(WebSocket::from_parts(stream, driver, config));
                }
                Event::Close(close) => {
                    return Err(fail(&mut stream, &mut driver, close.into_error()).await)
                }
                _ => {}
            }
        }
        read_more(&mut stream, &mut driver).await?;
    }
}

/// After [`before_deadline`] ran out: sends the driver's 408 and returns
/// the error it reported.
pub(crate) async fn fail_timed_out<S>(stream: &mut S, driver: &mut Driver) -> Error
where
    S: AsyncWrite + Unpin,
{
    let error = std::iter::from_fn(|| driver.poll_event())
        .find_map(|event| match event {
            Event::Close(close) => close.error.map(|error| *error),
            _ => None,
        })
        .unwrap_or(wsdriver::Error::HandshakeTimeout);
    fail(stream, driver, error).await
}

/// Sends what the driver wrote about `error` (its refusal), ends the
/// stream, and returns the error.
async fn fail<S>(stream: &mut S, driver: &mut Driver, error: wsdriver::Error) -> Error
where
    S: AsyncWrite + Unpin,
{
    if let Err(write) = write_all(stream, driver).await {
        return write;
    }
    let _ = stream.shutdown().await;
    error.into()
}

/// Reads more of the handshake into the driver; a driver that closed
/// without an event, or a stream that ended, is an error.
async fn read_more<S>(stream: &mut S, driver: &mut Driver) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    if driver.ready_state() == wsdriver::ReadyState::Closed {
        write_all(stream, driver).await?;
        return Err(Error::Closed);
    }
    let deadline = handshake_deadline(driver);
    driver.input_buffer().reserve(4096);
    let read = tokio_util::io::read_buf(stream, driver.input_buffer());
    let Some(read) = until(deadline, read).await else {
        // The driver answers (408 if it has part of the request) and
        // reports the error, which the caller's loop picks up.
        driver.handle_timeout(Instant::now().into_std());
        return Ok(());
    };
    if read? == 0 {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
    }
    Ok(())
}

/// When the driver's handshake timer runs out, on tokio's clock.
pub(crate) fn handshake_deadline(driver: &mut Driver) -> Option<Instant> {
    driver
        .next_deadline(Instant::now().into_std())
        .map(Instant::from_std)
}

/// Runs `future` (an application's check of the request) until the
/// driver's handshake deadline; past it the driver times the handshake out
/// (408) and `None` comes back.
pub(crate) async fn before_deadline<F: std::future::Future>(
    driver: &mut Driver,
    future: F,
) -> Option<F::Output> {
    let output = until(handshake_deadline(driver), future).await;
    if output.is_none() {
        driver.handle_timeout(Instant::now().into_std());
    }
    output
}

/// `future`'s output, or `None` if `deadline` passed first.
async fn until<F: std::future::Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    match deadline {
        Some(at) => tokio::time::timeout_at(at, future).await.ok(),
        None => Some(future.await),
    }
}

fn refused(status: u16, message: &str) -> Error {
    Error::Status {
        status,
        headers: Box::default(),
        message: message.to_owned(),
    }
}
