//! The server handshake on a stream the caller accepted (TCP, TLS, Unix):
//! the core parses the request; this only moves bytes.

use crate::error::Error;
use crate::websocket::{Config, WebSocket};
use std::future::poll_fn;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use wsdriver::{is_websocket, Driver, Event, Options, Request};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

/// What a server accepts.
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// Protocol options: `max_length`, subprotocols, `allow_drafts`...
    pub options: Options,
    /// Accept permessage-deflate with this configuration.
    pub deflate: Option<DeflateConfig>,
    pub config: Config,
}

/// A refusal from [`accept_with`]'s check: the HTTP status and the body.
pub type Rejection = (u16, String);

/// Reads the request from `stream` and completes the handshake.
pub async fn accept<S>(stream: S, options: ServerOptions) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_with(stream, options, |_| Ok(())).await
}

/// As [`accept`], with a check of the request (path, origin, credentials)
/// before it is answered; an `Err` is sent back as that HTTP response.
pub async fn accept_with<S, F>(
    mut stream: S,
    options: ServerOptions,
    verify: F,
) -> Result<WebSocket<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnOnce(&Request) -> Result<(), Rejection>,
{
    let mut driver = server_driver(options.options, options.deflate)?;
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

/// A raw server driver with `deflate` registered.
pub(crate) fn server_driver(
    options: Options,
    deflate: Option<DeflateConfig>,
) -> Result<Driver, Error> {
    let mut driver = Driver::server(options)?;
    if let Some(config) = deflate {
        let deflate = PerMessageDeflate::new(config).map_err(|e| Error::Config(e.to_string()))?;
        driver.add_extension(deflate)?;
    }
    Ok(driver)
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
                Event::Error(error) => return Err(fail(stream, driver, error).await),
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
                Event::Error(error) => return Err(fail(&mut stream, &mut driver, error).await),
                _ => {}
            }
        }
        read_more(&mut stream, &mut driver).await?;
    }
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
    driver.input_buffer().reserve(4096);
    let read = tokio_util::io::read_buf(stream, driver.input_buffer()).await?;
    if read == 0 {
        return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
    }
    Ok(())
}

fn refused(status: u16, message: &str) -> Error {
    Error::Status {
        status,
        headers: Box::default(),
        message: message.to_owned(),
    }
}

pub(crate) async fn write_all<S: AsyncWrite + Unpin>(
    stream: &mut S,
    driver: &mut Driver,
) -> Result<(), Error> {
    while driver.has_output() {
        let chunk = driver.output_chunk();
        let written = stream.write(chunk).await?;
        if written == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::WriteZero).into());
        }
        driver.advance_output(written);
    }
    poll_fn(|cx| std::pin::Pin::new(&mut *stream).poll_flush(cx)).await?;
    Ok(())
}
