//! Client connections: TCP, TLS with rustls, the handshake through the
//! core's client driver.

use crate::accept::write_all;
use crate::error::Error;
use crate::websocket::{Config, WebSocket};
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use wsdriver::{Driver, Event, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

/// How a client connects.
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Protocol options: `max_length`, subprotocols...
    pub options: Options,
    /// permessage-deflate offers, most preferred first (several, for
    /// servers that accept only some parameter sets); empty offers none.
    pub deflate: Vec<DeflateConfig>,
    pub config: Config,
    /// Extra handshake headers (`Origin`, cookies, tokens).
    pub headers: Vec<(String, String)>,
    /// TLS settings for `wss:`; by default the platform's roots.
    pub tls: Option<Arc<rustls::ClientConfig>>,
    /// Give up if the handshake takes longer.
    pub handshake_timeout: Option<Duration>,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// A plain or TLS connection.
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum MaybeTlsStream {
    Plain(TcpStream),
    Tls(TlsStream<TcpStream>),
}

/// Connects to a `ws:` or `wss:` URL and completes the handshake.
///
/// Failures say what went wrong in faye-websocket's words:
/// `Network error: <url>: <cause>` for the transport,
/// `Error during WebSocket handshake: Unexpected response code: 404` for
/// an answer that is not a WebSocket (with its status and headers).
pub async fn connect(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    match options.handshake_timeout {
        Some(limit) => tokio::time::timeout(limit, connect_inner(url, options))
            .await
            .map_err(|_| Error::Timeout("the WebSocket handshake"))?,
        None => connect_inner(url, options).await,
    }
}

async fn connect_inner(
    url: &str,
    options: ClientOptions,
) -> Result<WebSocket<MaybeTlsStream>, Error> {
    let mut driver = Driver::client(url, options.options)?;
    for (name, value) in &options.headers {
        driver.set_header(name, value)?;
    }
    let mut offers = options.deflate.into_iter();
    if let Some(first) = offers.next() {
        let mut deflate =
            PerMessageDeflate::new(first).map_err(|e| Error::Config(e.to_string()))?;
        for config in offers {
            deflate = deflate
                .or_offer(config)
                .map_err(|e| Error::Config(e.to_string()))?;
        }
        driver.add_extension(deflate)?;
    }
    let target = driver.url().expect("clients have a URL").clone();
    let host = target
        .host_str()
        .unwrap_or_default()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = target.port_or_known_default().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| Error::network(url, e))?;
    tcp.set_nodelay(true).map_err(|e| Error::network(url, e))?;
    let mut stream = if target.scheme() == "wss" {
        let tls = match options.tls {
            Some(config) => config,
            None => default_tls()?,
        };
        let name = rustls::pki_types::ServerName::try_from(host.clone())
            .map_err(|e| Error::Config(format!("{host} is not a valid TLS server name: {e}")))?;
        let connector = tokio_rustls::TlsConnector::from(tls);
        MaybeTlsStream::Tls(
            connector
                .connect(name, tcp)
                .await
                .map_err(|e| Error::network(url, e))?,
        )
    } else {
        MaybeTlsStream::Plain(tcp)
    };

    driver.start();
    write_all(&mut stream, &mut driver)
        .await
        .map_err(|e| network(url, e))?;
    loop {
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Open => return Ok(WebSocket::from_parts(stream, driver, options.config)),
                Event::Error(error) => {
                    return Err(match driver.status_code() {
                        Some(status) if status != 101 => Error::Status {
                            status,
                            headers: Box::new(driver.headers().cloned().unwrap_or_default()),
                            message: error.to_string(),
                        },
                        _ => error.into(),
                    })
                }
                _ => {}
            }
        }
        driver.input_buffer().reserve(4096);
        let read = tokio_util::io::read_buf(&mut stream, driver.input_buffer())
            .await
            .map_err(|e| Error::network(url, e))?;
        if read == 0 {
            let eof = io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the server closed the connection during the handshake",
            );
            return Err(Error::network(url, eof));
        }
    }
}

fn network(url: &str, error: Error) -> Error {
    match error {
        Error::Io { source, .. } => Error::network(url, source),
        other => other,
    }
}

/// rustls with the platform's trusted roots.
fn default_tls() -> Result<Arc<rustls::ClientConfig>, Error> {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for cert in found.certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err(Error::Config(
            "no trusted TLS roots found on this system".into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::Config(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            MaybeTlsStream::Tls(s) => Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            MaybeTlsStream::Tls(s) => Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            MaybeTlsStream::Tls(s) => Pin::new(s).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s) => s.is_write_vectored(),
            MaybeTlsStream::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            MaybeTlsStream::Tls(s) => Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            MaybeTlsStream::Tls(s) => Pin::new(s).poll_shutdown(cx),
        }
    }
}
