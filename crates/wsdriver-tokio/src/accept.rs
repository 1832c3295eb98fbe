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
    let mut driver = Driver::server(options.options)?;
    if let Some(config) = options.deflate {
        let deflate = PerMessageDeflate::new(config).map_err(|e| Error::Config(e.to_string()))?;
        driver.add_extension(deflate)?;
    }
    let mut verify = Some(verify);
    loop {
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Connect => {
                    let request = driver.request().expect("a connected server has a request");
                    if !is_websocket(request) {
                        driver.set_header("Upgrade", "websocket")?;
                        driver.reject(426, "Upgrade Required: this endpoint speaks WebSocket\n")?;
                        write_all(&mut stream, &mut driver).await?;
                        let _ = stream.shutdown().await;
                        return Err(refused(426, "Not a WebSocket request"));
                    }
                    let check = verify.take().expect("one request per connection");
                    if let Err((status, body)) = check(request) {
                        driver.reject(status, &body)?;
                        write_all(&mut stream, &mut driver).await?;
                        let _ = stream.shutdown().await;
                        return Err(refused(status, &body));
                    }
                    driver.start();
                }
                Event::Open => {
                    write_all(&mut stream, &mut driver).await?;
                    return Ok(WebSocket::from_parts(stream, driver, options.config));
                }
                Event::Error(error) => {
                    write_all(&mut stream, &mut driver).await?;
                    let _ = stream.shutdown().await;
                    return Err(error.into());
                }
                _ => {}
            }
        }
        if driver.ready_state() == wsdriver::ReadyState::Closed {
            write_all(&mut stream, &mut driver).await?;
            return Err(Error::Closed);
        }
        driver.input_buffer().reserve(4096);
        let read = tokio_util::io::read_buf(&mut stream, driver.input_buffer()).await?;
        if read == 0 {
            return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof).into());
        }
    }
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
