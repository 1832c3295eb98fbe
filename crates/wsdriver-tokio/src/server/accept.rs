//! The server handshake on a stream the caller accepted (TCP, TLS, Unix):
//! the core's [`ServerHandshake`] reads and answers the request on the
//! crate's drive loop; this only decides which answer the application
//! wants.

use crate::error::Error;
use crate::net::drive::{flush, next_event};
use crate::server::options::ServerOptions;
use crate::server::reject::Reject;
use crate::trace;
use crate::websocket::config::Config;
use crate::websocket::WebSocket;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;
use wsdriver::{is_websocket, Machine, Request, ServerEvent, ServerHandshake};

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
///
/// # Errors
/// The refusal sent ([`Error::Status`]: 426 for a plain HTTP request, or
/// the core's 400/405/426/431/408, as [`Error::WebSocket`]), the stream's
/// failure ([`Error::Io`]), options the core refuses.
pub async fn accept<S>(stream: S, options: ServerOptions) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
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
///         _ => Err((404, "No WebSocket here").into()),
///     }
/// })
/// .await;
/// assert!(matches!(accepted, Err(Error::Status { status: 404, .. })));
/// # Ok(()) }
/// ```
///
/// # Errors
/// As [`accept`], and `verify`'s refusal as [`Error::Status`].
pub async fn accept_with<S, F>(
    stream: S,
    options: ServerOptions,
    verify: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
    F: FnOnce(&Request) -> Result<(), Reject>,
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
    S: AsyncRead + AsyncWrite + Unpin + 'static,
    F: FnOnce(&Request) -> Result<(), Reject>,
{
    let mut handshake = options.handshake()?;
    read_request(&mut stream, &mut handshake).await?;
    let request = handshake.request().expect("a read request");
    if !is_websocket(request) {
        return Err(refuse_plain_http(&mut stream, &mut handshake).await);
    }
    if let Err(reject) = verify(request) {
        return Err(refuse(&mut stream, &mut handshake, reject).await);
    }
    open(stream, handshake, options.config).await
}

/// Reads until the request head is in; a head the core refuses is
/// answered (its 400 or 431, or 408 when it takes too long) and returned
/// as the error.
pub(crate) async fn read_request<S>(
    stream: &mut S,
    handshake: &mut ServerHandshake,
) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match next_event(stream, handshake).await? {
        ServerEvent::Request => Ok(()),
        event => Err(failed(stream, handshake, event).await),
    }
}

/// Answers a request that is not a WebSocket request with `426 Upgrade
/// Required`, as ws does on its own listener.
pub(crate) async fn refuse_plain_http<S>(stream: &mut S, handshake: &mut ServerHandshake) -> Error
where
    S: AsyncWrite + Unpin,
{
    let sent = async {
        handshake.reject_plain_http()?;
        flush(stream, handshake).await?;
        let _ = stream.shutdown().await;
        Ok(())
    };
    trace::event!(debug, status = 426, "not a WebSocket request");
    match sent.await {
        Ok(()) => refused(426, "Not a WebSocket request"),
        Err(error) => error,
    }
}

/// Answers with the application's refusal (its status, headers and body)
/// and returns it as [`Error::Status`].
pub(crate) async fn refuse<S>(
    stream: &mut S,
    handshake: &mut ServerHandshake,
    reject: Reject,
) -> Error
where
    S: AsyncWrite + Unpin,
{
    let (status, body) = (reject.status(), reject.body());
    let sent = async {
        for (name, value) in reject.headers() {
            let value = value
                .to_str()
                .map_err(|_| Error::Config(format!("{name}: not text")))?;
            handshake.set_header(name.as_str(), value)?;
        }
        handshake.reject(status, body)?;
        flush(stream, handshake).await?;
        let _ = stream.shutdown().await;
        Ok(())
    };
    trace::event!(debug, status, reason = body, "WebSocket handshake refused");
    match sent.await {
        Ok(()) => refused(status, body),
        Err(error) => error,
    }
}

/// Accepts the request the handshake holds and drives it until it opens
/// (a hixie-76 client's challenge may still be on its way); the core's
/// refusal is answered and returned as the error.
pub(crate) async fn open<S>(
    stream: S,
    mut handshake: ServerHandshake,
    config: Config,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    // A refusal is also the next event.
    let _ = handshake.accept();
    opened(stream, handshake, config).await
}

/// Drives an answered handshake until it opens, then hands the stream and
/// the connection to a [`WebSocket`]; a failure is answered and returned.
/// Also where hyper's upgraded connections go.
pub(crate) async fn opened<S>(
    mut stream: S,
    mut handshake: ServerHandshake,
    config: Config,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    match next_event(&mut stream, &mut handshake).await? {
        ServerEvent::Open => {
            flush(&mut stream, &mut handshake).await?;
            let url = handshake.url().map(|url| url.as_str().to_owned());
            let now = Instant::now().into_std();
            let connection = handshake.into_connection(now).map_err(|_| Error::Closed)?;
            Ok(WebSocket::open(
                stream,
                connection,
                config,
                url.as_deref(),
                None,
            ))
        }
        event => Err(failed(&mut stream, &mut handshake, event).await),
    }
}

/// After [`before_deadline`] ran out: sends the core's 408 and returns the
/// error it reported.
pub(crate) async fn fail_timed_out<S>(stream: &mut S, handshake: &mut ServerHandshake) -> Error
where
    S: AsyncWrite + Unpin,
{
    match handshake.poll_event() {
        Some(event) => failed(stream, handshake, event).await,
        None => wsdriver::Error::HandshakeTimeout.into(),
    }
}

/// Sends what the core wrote about a failure (its refusal), ends the
/// stream, and returns the error.
async fn failed<S>(stream: &mut S, handshake: &mut ServerHandshake, event: ServerEvent) -> Error
where
    S: AsyncWrite + Unpin,
{
    let error = match event {
        ServerEvent::Failed(error) => Error::from(error),
        // Only a failure ends a handshake early.
        _ => Error::Closed,
    };
    trace::event!(debug, error = %error, "WebSocket handshake refused");
    if let Err(write) = flush(stream, handshake).await {
        return write.into();
    }
    let _ = stream.shutdown().await;
    error
}

/// Runs `future` (an application's check of the request) until the
/// handshake's deadline; past it the core times the handshake out (408)
/// and `None` comes back.
pub(crate) async fn before_deadline<F: std::future::Future>(
    handshake: &mut ServerHandshake,
    future: F,
) -> Option<F::Output> {
    let output = crate::net::deadline::until(handshake.poll_timeout(), future).await;
    if output.is_none() {
        handshake.handle_timeout(Instant::now().into_std());
    }
    output
}

fn refused(status: u16, message: &str) -> Error {
    Error::Status {
        status,
        headers: Box::default(),
        message: message.to_owned(),
        body: Default::default(),
    }
}
