//! Event streams taken off hyper once their response head is out.
//!
//! hyper keeps two buffers of its own for every connection it serves,
//! 8 KiB each (the response head's and the read buffer), for as long as
//! a response streams. A WebSocket leaves hyper at its 101 and costs
//! about 2.5 KB idle; an event stream is a plain 200 whose body never
//! ends, so under hyper it cost 18 KB idle. [`serve`](crate::serve)
//! therefore lets hyper write the head of a `text/event-stream` answer
//! to an HTTP/1.1 `GET` (marked `Connection: close` and chunked), then
//! drops hyper's connection, keeps the socket and writes the body's
//! chunks itself ([`stream_chunked`](crate::serve::chunked::stream_chunked)).
//!
//! The socket comes back through [`Tap`], hyper's I/O object: dropping
//! hyper's connection drops the `Tap`, which hands its socket over
//! instead of closing it. The moment to leave is when hyper has polled
//! the body (the head is in its write buffer) and its flush did not
//! block (the head is on the wire).

use crate::sync::lock;
use bytes::Buf;
use http_body_util::Either;
use hyper::body::{Body, Frame, Incoming};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, TRANSFER_ENCODING};
use hyper::{Method, Request, Response, StatusCode, Version};
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// What one connection's [`Tap`], service and serving task share. All
/// three run in the connection's one task, so the flags need no order.
pub(crate) struct Handover<B> {
    /// The service answered with an event stream: watch the writes.
    armed: AtomicBool,
    /// hyper polled the stand-in body, so it has written the head into
    /// its buffer and tried to flush it.
    polled: AtomicBool,
    /// The last write, once armed, found the socket full.
    blocked: AtomicBool,
    /// The serving task is dropping hyper to keep the socket.
    reclaim: AtomicBool,
    socket: Mutex<Option<TcpStream>>,
    body: Mutex<Option<B>>,
}

impl<B> Handover<B> {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(Handover {
            armed: AtomicBool::new(false),
            polled: AtomicBool::new(false),
            blocked: AtomicBool::new(false),
            reclaim: AtomicBool::new(false),
            socket: Mutex::new(None),
            body: Mutex::new(None),
        })
    }

    /// Whether the head of a stashed event stream has left hyper's
    /// buffer: then hyper holds nothing the client still needs.
    pub(crate) fn head_sent(&self) -> bool {
        self.polled.load(Relaxed) && !self.blocked.load(Relaxed)
    }

    /// Asks the `Tap` to hand its socket over when hyper drops it.
    pub(crate) fn reclaim(&self) {
        self.reclaim.store(true, Relaxed);
    }

    /// The socket and the body, once hyper's connection is gone.
    pub(crate) fn take(&self) -> Option<(TcpStream, B)> {
        let socket = lock(&self.socket).take()?;
        let body = lock(&self.body).take()?;
        Some((socket, body))
    }
}

/// hyper's I/O object: the socket, watched for the end of a stashed
/// event stream's head, and given back when hyper drops it.
pub(crate) struct Tap<B> {
    /// `None` only once it was handed over, in `drop`.
    socket: Option<TcpStream>,
    handover: Arc<Handover<B>>,
}

impl<B> Tap<B> {
    pub(crate) fn new(socket: TcpStream, handover: Arc<Handover<B>>) -> Self {
        Tap {
            socket: Some(socket),
            handover,
        }
    }

    fn socket(&mut self) -> io::Result<&mut TcpStream> {
        self.socket
            .as_mut()
            .ok_or_else(|| io::ErrorKind::NotConnected.into())
    }

    fn watch<T>(&self, written: Poll<T>) -> Poll<T> {
        if self.handover.armed.load(Relaxed) {
            self.handover.blocked.store(written.is_pending(), Relaxed);
        }
        written
    }
}

impl<B> Drop for Tap<B> {
    fn drop(&mut self) {
        if self.handover.reclaim.load(Relaxed) {
            *lock(&self.handover.socket) = self.socket.take();
        }
    }
}

impl<B> AsyncRead for Tap<B> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut().socket() {
            Ok(socket) => Pin::new(socket).poll_read(cx, buf),
            Err(error) => Poll::Ready(Err(error)),
        }
    }
}

impl<B> AsyncWrite for Tap<B> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = match this.socket() {
            Ok(socket) => Pin::new(socket).poll_write(cx, buf),
            Err(error) => Poll::Ready(Err(error)),
        };
        this.watch(written)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let written = match this.socket() {
            Ok(socket) => Pin::new(socket).poll_write_vectored(cx, bufs),
            Err(error) => Poll::Ready(Err(error)),
        };
        this.watch(written)
    }

    fn is_write_vectored(&self) -> bool {
        self.socket.as_ref().is_some_and(|s| s.is_write_vectored())
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().socket() {
            Ok(socket) => Pin::new(socket).poll_flush(cx),
            Err(error) => Poll::Ready(Err(error)),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut().socket() {
            Ok(socket) => Pin::new(socket).poll_shutdown(cx),
            Err(error) => Poll::Ready(Err(error)),
        }
    }
}

/// The body hyper gets for a stashed event stream: it never yields, and
/// its first poll tells the serving task that the head is written.
pub(crate) struct StandIn<B, D> {
    handover: Arc<Handover<B>>,
    data: PhantomData<fn() -> D>,
}

impl<B, D: Buf> Body for StandIn<B, D> {
    type Data = D;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<D>, Self::Error>>> {
        // No waker kept: the serving task looks at the flag as soon as
        // this poll of hyper's connection returns.
        self.handover.polled.store(true, Relaxed);
        Poll::Pending
    }
}

/// The user's service, with event stream answers stashed for the
/// serving task.
pub(crate) struct Diverting<S, B> {
    pub(crate) inner: S,
    pub(crate) handover: Arc<Handover<B>>,
}

type Answer<S, B> = Result<
    Response<Either<B, StandIn<B, <B as Body>::Data>>>,
    <S as hyper::service::Service<Request<Incoming>>>::Error,
>;

impl<S, B> hyper::service::Service<Request<Incoming>> for Diverting<S, B>
where
    S: hyper::service::Service<Request<Incoming>, Response = Response<B>>,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
{
    type Response = Response<Either<B, StandIn<B, B::Data>>>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Answer<S, B>> + Send>>;

    fn call(&self, request: Request<Incoming>) -> Self::Future {
        // A HEAD has no body and HTTP/1.0 no chunks: both stay with hyper.
        let may_divert = request.method() == Method::GET && request.version() == Version::HTTP_11;
        let handover = self.handover.clone();
        let answer = self.inner.call(request);
        Box::pin(async move {
            let response = answer.await?;
            if !may_divert || !is_event_stream(&response) {
                return Ok(response.map(Either::Left));
            }
            let (mut head, body) = response.into_parts();
            head.headers
                .insert(CONNECTION, HeaderValue::from_static("close"));
            head.headers
                .insert(TRANSFER_ENCODING, HeaderValue::from_static("chunked"));
            *lock(&handover.body) = Some(body);
            handover.armed.store(true, Relaxed);
            let stand_in = StandIn {
                handover,
                data: PhantomData,
            };
            Ok(Response::from_parts(head, Either::Right(stand_in)))
        })
    }
}

/// A `200` of type `text/event-stream` whose framing is left to hyper
/// (no length, no transfer coding of the service's own).
fn is_event_stream<B>(response: &Response<B>) -> bool {
    let headers = response.headers();
    response.status() == StatusCode::OK
        && !headers.contains_key(CONTENT_LENGTH)
        && !headers.contains_key(TRANSFER_ENCODING)
        && headers.get(CONTENT_TYPE).is_some_and(|value| {
            let media = value.as_bytes().split(|&b| b == b';').next().unwrap_or(&[]);
            media
                .trim_ascii()
                .eq_ignore_ascii_case(b"text/event-stream")
        })
}

#[cfg(test)]
mod tests {
    use super::is_event_stream;
    use hyper::Response;

    fn response(status: u16, headers: &[(&str, &str)]) -> Response<()> {
        let mut builder = Response::builder().status(status);
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn only_open_ended_event_streams_are_taken_off_hyper() {
        let sse = ("content-type", "text/event-stream");
        assert!(is_event_stream(&response(200, &[sse])));
        assert!(is_event_stream(&response(
            200,
            &[("content-type", " Text/Event-Stream ; charset=utf-8")]
        )));
        assert!(!is_event_stream(&response(204, &[sse])));
        assert!(!is_event_stream(&response(
            200,
            &[("content-type", "text/plain")]
        )));
        assert!(!is_event_stream(&response(
            200,
            &[("content-type", "text/event-streams")]
        )));
        assert!(!is_event_stream(&response(200, &[])));
        assert!(!is_event_stream(&response(
            200,
            &[sse, ("content-length", "10")]
        )));
        assert!(!is_event_stream(&response(
            200,
            &[sse, ("transfer-encoding", "chunked")]
        )));
    }
}
