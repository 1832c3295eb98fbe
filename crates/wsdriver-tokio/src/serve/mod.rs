//! An HTTP/1.1 accept loop for hyper services and axum routers with the
//! limits [`WebSocketServer`](crate::WebSocketServer) has on its own path.
//!
//! `axum::serve` and a bare hyper connection give a request head all the
//! time it likes: hyper's header timeout needs a timer that neither sets,
//! so a silent connection, or one that sends a byte every few seconds
//! (slowloris), is held for ever along with its half-read head. A server
//! that upgrades with [`upgrade`](crate::upgrade) or
//! [`WebSocketUpgrade`](crate::WebSocketUpgrade) gets its heads read by
//! hyper, before wsdriver sees them, so the bound must be set there.

pub(crate) mod chunked;
pub(crate) mod handover;
pub(crate) mod upgrade;

use crate::net::listener::accept_tcp;
use crate::serve::chunked::stream_chunked;
use crate::serve::handover::{Diverting, Handover, Tap};
use hyper::body::{Body, Incoming};
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use std::error::Error as StdError;
use std::future::{poll_fn, Future};
use std::io;
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// How long a client may take to send a request head, from the moment
/// the connection is ready for one: the same 30 s as the core's
/// [`DEFAULT_HANDSHAKE_TIMEOUT`](wsdriver::DEFAULT_HANDSHAKE_TIMEOUT).
pub const DEFAULT_HEAD_TIMEOUT: Duration = wsdriver::DEFAULT_HANDSHAKE_TIMEOUT;

/// The largest request head, in bytes: hyper's own default is about
/// 400 KB, kept for as long as a response streams (an event stream holds
/// its request for its whole life). 16 KiB, the core's
/// [`DEFAULT_MAX_HANDSHAKE_SIZE`](wsdriver::DEFAULT_MAX_HANDSHAKE_SIZE);
/// a longer head is answered 431.
pub const DEFAULT_MAX_HEAD_SIZE: usize = wsdriver::DEFAULT_MAX_HANDSHAKE_SIZE;

/// The limits [`serve`] puts on each connection.
#[derive(Debug, Clone, Copy)]
pub struct HttpLimits {
    /// [`DEFAULT_HEAD_TIMEOUT`] by default.
    pub head_timeout: Duration,
    /// [`DEFAULT_MAX_HEAD_SIZE`] by default (hyper's `max_header_size`).
    pub max_head_size: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            head_timeout: DEFAULT_HEAD_TIMEOUT,
            max_head_size: DEFAULT_MAX_HEAD_SIZE,
        }
    }
}

/// Serves `service` (an axum `Router`, or any tower service of hyper
/// requests) over HTTP/1.1 with upgrades on `listener`, each connection
/// in its own task, with the [default limits](HttpLimits): use it where
/// you would use `axum::serve`. Never returns on its own; drop it (or
/// `select!` it against a signal) to stop accepting.
///
/// ```no_run
/// # #[cfg(feature = "axum")]
/// # async fn run() -> std::io::Result<()> {
/// use axum::{routing::get, Router};
/// use wsdriver_tokio::WebSocketUpgrade;
///
/// let app = Router::new().route("/ws", get(|upgrade: WebSocketUpgrade| async move {
///     upgrade.on_upgrade(|_socket| async {})
/// }));
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// wsdriver_tokio::serve(listener, app).await
/// # }
/// ```
///
/// An event stream (a `text/event-stream` answer to an HTTP/1.1 `GET`)
/// leaves hyper once its head is written: its connection is then this
/// stream's alone (`Connection: close`), written chunk by chunk without
/// hyper's two 8 KiB buffers, so an idle one costs about what an idle
/// WebSocket does. Bytes the client sends on it are thrown away, and
/// past 64 KiB the stream is cut.
///
/// # Errors
/// None today: errors of one connection end that connection, and errors
/// of the listener (out of file descriptors) pause it
/// ([`accept_tcp`](crate::accept_tcp)). The `Result` leaves room for a
/// listener that can fail for good.
pub async fn serve<S, B>(listener: TcpListener, service: S) -> io::Result<()>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    serve_with(listener, service, HttpLimits::default()).await
}

/// [`serve`] with other limits.
///
/// # Errors
/// As [`serve`].
pub async fn serve_with<S, B>(
    listener: TcpListener,
    service: S,
    limits: HttpLimits,
) -> io::Result<()>
where
    S: tower_service::Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    loop {
        let (stream, _peer) = accept_tcp(&listener, |_error| {
            #[cfg(feature = "tracing")]
            tracing::warn!(error = %_error, "accept failed; pausing");
        })
        .await;
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(serve_connection(stream, service, limits));
    }
}

/// One connection: hyper's until an event stream's head is out, then
/// the stream's own ([`serve_handover`](crate::serve::handover)).
async fn serve_connection<S, B>(stream: TcpStream, service: S, limits: HttpLimits)
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>> + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Into<Box<dyn StdError + Send + Sync>>,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn StdError + Send + Sync>>,
{
    let handover = Handover::new();
    // In a block of its own, so that hyper's connection, dropped here,
    // takes no room in this task while the event stream runs.
    let handed_over = {
        let served = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.head_timeout)
            .max_header_size(limits.max_head_size)
            .serve_connection(
                TokioIo::new(Tap::new(stream, handover.clone())),
                Diverting {
                    inner: service,
                    handover: handover.clone(),
                },
            )
            .with_upgrades();
        let mut served = pin!(served);
        // A client that went away or broke the protocol: its connection
        // ends, nothing else does.
        let leave = poll_fn(|cx| match served.as_mut().poll(cx) {
            Poll::Ready(_) => Poll::Ready(false),
            Poll::Pending if handover.head_sent() => Poll::Ready(true),
            Poll::Pending => Poll::Pending,
        })
        .await;
        if leave {
            handover.reclaim();
        }
        leave
    };
    if let Some((socket, body)) = handed_over.then(|| handover.take()).flatten() {
        drop(handover);
        stream_chunked(socket, body).await;
    }
}
