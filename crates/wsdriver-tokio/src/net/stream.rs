//! The streams a client connection runs on: TCP, TLS, Unix sockets and
//! TLS inside a proxy's tunnel, and [`PrefixedStream`], which gives back
//! bytes that were read ahead before reading on.

use bytes::{Buf, BytesMut};
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
#[cfg(unix)]
use tokio::net::UnixStream;
#[cfg(feature = "rustls")]
use tokio_rustls::client::TlsStream;

/// A client's connection: plain TCP, TLS, a Unix socket (`ws+unix:`), or
/// TLS to the server inside a proxy's tunnel (`wss:` through a proxy).
/// The two TLS variants come with the `rustls` feature (on by default).
///
/// A `ws:` connection through a proxy is the connection to the proxy
/// itself: [`Plain`](Self::Plain) for an `http:` proxy, `Tls` for an
/// `https:` one.
///
/// Reach it with [`WebSocket::get_ref`](crate::WebSocket::get_ref), to
/// learn the peer's address or what TLS agreed on:
///
/// ```no_run
/// # #[cfg(feature = "rustls")] {
/// use wsdriver_tokio::{connect, ClientOptions, MaybeTlsStream};
///
/// # async fn run() -> Result<(), wsdriver_tokio::Error> {
/// let socket = connect("wss://example.com/chat", ClientOptions::default()).await?;
/// match socket.get_ref() {
///     MaybeTlsStream::Plain(tcp) => println!("ws: to {:?}", tcp.peer_addr()),
///     MaybeTlsStream::Tls(tls) => {
///         let (tcp, session) = tls.get_ref();
///         println!("wss: to {:?}, {:?}", tcp.peer_addr(), session.protocol_version());
///     }
///     _ => {}
/// }
/// # Ok(()) }
/// # }
/// ```
#[derive(Debug)]
#[allow(clippy::large_enum_variant)]
pub enum MaybeTlsStream {
    /// TCP: a `ws:` URL, or the tunnel through an `http:` proxy.
    Plain(TcpStream),
    /// TLS over TCP: a `wss:` URL, or the tunnel through an `https:`
    /// proxy to a `ws:` server.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    Tls(TlsStream<TcpStream>),
    /// A Unix domain socket, for a `ws+unix:` URL (no TLS, no proxy).
    #[cfg(unix)]
    Unix(UnixStream),
    /// TLS to the server over a proxy's tunnel; the tunnel is the
    /// connection to the proxy (plain or TLS), with the bytes the proxy
    /// sent after its answer put back in front.
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    TlsTunnel(Box<TlsStream<PrefixedStream<MaybeTlsStream>>>),
}

/// A stream that first yields `prefix`, bytes already read from `inner`
/// by an earlier layer (after a proxy's answer, say), then reads `inner`.
/// Writes go straight to `inner`.
///
/// What a `wss:` connection through a proxy runs TLS on: the bytes after
/// the proxy's `CONNECT` answer already belong to the TLS handshake. Use
/// it the same way for any protocol you sniffed or negotiated before the
/// WebSocket handshake, then [`accept`](crate::accept) on it.
///
/// ```
/// use bytes::BytesMut;
/// use tokio::io::AsyncReadExt;
/// use wsdriver_tokio::PrefixedStream;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let rest: &[u8] = b" world";
/// let mut stream = PrefixedStream::new(BytesMut::from(&b"hello"[..]), rest);
/// let mut text = String::new();
/// stream.read_to_string(&mut text).await?;
/// assert_eq!(text, "hello world");
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct PrefixedStream<S> {
    prefix: BytesMut,
    inner: S,
}

impl<S> PrefixedStream<S> {
    /// `prefix` is read before anything from `inner`; it may be empty.
    pub fn new(prefix: BytesMut, inner: S) -> Self {
        PrefixedStream { prefix, inner }
    }

    /// The bytes still to be read before `inner`'s.
    pub fn prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The inner stream, to ask it things (its address, its TLS state).
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner stream. Reading it directly skips the prefix bytes not
    /// read yet; writing is what this stream's writes do anyway.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner stream and the prefix bytes not read yet.
    pub fn into_parts(self) -> (BytesMut, S) {
        (self.prefix, self.inner)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for PrefixedStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if !this.prefix.is_empty() {
            let n = this.prefix.len().min(buf.remaining());
            buf.put_slice(&this.prefix[..n]);
            this.prefix.advance(n);
            if this.prefix.is_empty() {
                this.prefix = BytesMut::new();
            }
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for PrefixedStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// Runs the same expression on whichever stream the variant holds.
macro_rules! each {
    ($stream:expr, $s:ident => $body:expr) => {
        match $stream {
            MaybeTlsStream::Plain($s) => $body,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Tls($s) => $body,
            #[cfg(unix)]
            MaybeTlsStream::Unix($s) => $body,
            #[cfg(feature = "rustls")]
            MaybeTlsStream::TlsTunnel($s) => $body,
        }
    };
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_read(cx, buf))
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        each!(self.get_mut(), s => Pin::new(s).poll_write(cx, buf))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        each!(self.get_mut(), s => Pin::new(s).poll_write_vectored(cx, bufs))
    }

    fn is_write_vectored(&self) -> bool {
        each!(self, s => s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_flush(cx))
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        each!(self.get_mut(), s => Pin::new(s).poll_shutdown(cx))
    }
}
