//! [`EventStream`]: a server's handle on one client's event stream
//! (server-sent events), faye-websocket's EventSource.
//!
//! The core's [`eventsource::Server`] machine encodes, keeps the stream
//! alive and notices the client leaving; this shares it between the
//! handles that send and the one writer that moves its bytes: a task on
//! the crate's drive loop for a raw stream ([`accept_event_stream`],
//! [`WebSocketServer`](crate::WebSocketServer)), or hyper polling the
//! response body ([`event_stream`](crate::event_stream)).

use crate::error::Error;
use crate::net::drive::{Drive, Step};
use crate::server::accept;
use crate::server::options::ServerOptions;
use crate::sse::stream_options::EventStreamOptions;
use crate::sync::lock;
use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::sync::Notify;
use tokio::sync::OwnedSemaphorePermit;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wsdriver::eventsource::{self, Server};
use wsdriver::http_types::Uri;
use wsdriver::{HttpRequest, Machine};

/// What the handles and the writer share.
pub(crate) struct Shared {
    pub(crate) inner: Mutex<Inner>,
    /// Notified when output drains (room to send) and when the stream
    /// stops being open.
    pub(crate) changed: Notify,
    max_buffered: usize,
    /// Of the request, only what a stream needs for its whole life: the
    /// target and the id to resume after. Its headers (up to the head
    /// limit, 400 KB under hyper's defaults) go once the response starts.
    uri: Uri,
    last_event_id: Option<String>,
}

pub(crate) struct Inner {
    pub(crate) machine: Server,
    /// The writer to wake when there is something new to write.
    pub(crate) writer: Option<Waker>,
}

/// A copy of `uri` that owns its bytes. hyper parses a request's
/// target as a slice of its 8 KiB read buffer, so a clone would keep
/// that whole buffer alive for as long as the stream is open.
fn detached(uri: &Uri) -> Uri {
    Uri::try_from(uri.to_string()).unwrap_or_else(|_| uri.clone())
}

impl Shared {
    pub(crate) fn new(
        request: &impl HttpRequest,
        mut machine: Server,
        options: &EventStreamOptions,
    ) -> Arc<Self> {
        machine.stall_limit(options.max_buffered, options.stall_timeout);
        Arc::new(Shared {
            inner: Mutex::new(Inner {
                machine,
                writer: None,
            }),
            changed: Notify::new(),
            max_buffered: options.max_buffered,
            uri: detached(request.uri()),
            last_event_id: eventsource::last_event_id(request),
        })
    }

    /// Runs the machine's timers due now (a stall cuts the stream), and
    /// tells the writer and the waiting senders.
    pub(crate) fn handle_timeout(&self) {
        let mut inner = lock(&self.inner);
        inner.machine.handle_timeout(Instant::now().into_std());
        inner.wake_writer();
        drop(inner);
        self.changed.notify_waiters();
    }

    /// The transport ended (the writer saw it, or hyper dropped the body).
    pub(crate) fn transport_closed(&self) {
        let mut inner = lock(&self.inner);
        inner.machine.transport_closed();
        let _ = inner.machine.poll_event();
        drop(inner);
        self.changed.notify_waiters();
    }
}

impl Inner {
    fn wake_writer(&mut self) {
        if let Some(waker) = self.writer.take() {
            waker.wake();
        }
    }
}

/// A server's handle on one client's event stream: send events, learn
/// when the client went away, end it.
///
/// Cheap to clone: every clone sends on the same stream (a broadcast
/// task and a per-client task can share one). The stream ends when
/// [`close`](Self::close) is called or the last clone is dropped, once
/// what was sent before has been written.
///
/// Sends wait while more than
/// [`max_buffered`](EventStreamOptions::max_buffered) bytes are unwritten,
/// so a client that reads slowly slows its producer down instead of
/// growing the server's memory; they fail with [`Error::Closed`] once the
/// client has gone (learn it sooner with [`closed`](Self::closed)).
/// Keepalive comments go out by themselves every
/// [`ping`](EventStreamOptions::ping) interval.
///
/// ```
/// use std::time::Duration;
/// use tokio::io::{AsyncReadExt, AsyncWriteExt};
/// use wsdriver_tokio::{accept_event_stream, EventStreamOptions, ServerOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let (mut client, server_io) = tokio::io::duplex(4096);
/// client
///     .write_all(b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n")
///     .await?;
/// let options = EventStreamOptions::default().retry(Duration::from_secs(1));
/// let events = accept_event_stream(server_io, ServerOptions::default(), options).await?;
/// events.send_event(Some("greeting"), "hello", Some("1")).await?;
/// events.close();
///
/// let mut response = String::new();
/// client.read_to_string(&mut response).await?;
/// assert!(response.starts_with("HTTP/1.1 200 OK\r\n"));
/// assert!(response.ends_with("\r\n\r\nretry: 1000\n\nevent: greeting\nid: 1\ndata: hello\n\n"));
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EventStream {
    handle: Arc<Handle>,
}

/// Shared by the clones; the last one dropped ends the stream.
struct Handle {
    shared: Arc<Shared>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let mut inner = lock(&self.shared.inner);
        inner.machine.close();
        inner.wake_writer();
        drop(inner);
        self.shared.changed.notify_waiters();
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("uri", &self.shared().uri)
            .field("open", &self.is_open())
            .field("buffered_amount", &self.buffered_amount())
            .finish()
    }
}

impl EventStream {
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Self {
        EventStream {
            handle: Arc::new(Handle { shared }),
        }
    }

    fn shared(&self) -> &Shared {
        &self.handle.shared
    }

    /// Sends an unnamed event (the client's default `message` type).
    ///
    /// # Errors
    /// [`Error::Closed`] once the stream was closed or the client left.
    pub async fn send(&self, data: &str) -> Result<(), Error> {
        self.send_event(None, data, None).await
    }

    /// Sends an event: its type (`None`: `message`), its data (sent one
    /// `data:` line per line) and its ID, which a client that reconnects
    /// sends back (see [`last_event_id`](Self::last_event_id)). Waits
    /// while the client is more than
    /// [`max_buffered`](EventStreamOptions::max_buffered) bytes behind.
    ///
    /// Cancellation-safe: an event is queued whole or not at all.
    ///
    /// # Errors
    /// [`Error::Closed`] once the stream was closed or the client left.
    pub async fn send_event(
        &self,
        event: Option<&str>,
        data: &str,
        id: Option<&str>,
    ) -> Result<(), Error> {
        self.when_ready(|machine| machine.send_event(event, data, id))
            .await
    }

    /// Sends a keepalive comment now (they also go out every
    /// [`ping`](EventStreamOptions::ping) interval by themselves).
    ///
    /// # Errors
    /// [`Error::Closed`] once the stream was closed or the client left.
    pub async fn ping(&self) -> Result<(), Error> {
        self.when_ready(Server::ping).await
    }

    /// Waits for room under the bound, then queues with `queue` and wakes
    /// the writer.
    async fn when_ready(
        &self,
        mut queue: impl FnMut(&mut Server) -> Result<(), eventsource::StreamClosed>,
    ) -> Result<(), Error> {
        let shared = self.shared();
        loop {
            let mut changed = pin!(shared.changed.notified());
            changed.as_mut().enable();
            let deadline = {
                let mut inner = lock(&shared.inner);
                if !inner.machine.is_open() {
                    return Err(Error::Closed);
                }
                if inner.machine.buffered_amount() < shared.max_buffered {
                    queue(&mut inner.machine).map_err(|_| Error::Closed)?;
                    inner.wake_writer();
                    return Ok(());
                }
                inner.machine.poll_timeout()
            };
            // Waiting on a slow client: while the writer may not be
            // polled at all (hyper stops asking a body for more when it
            // cannot write), the machine's stall timer runs from here.
            match deadline {
                Some(at) => {
                    let mut sleep = pin!(tokio::time::sleep_until(Instant::from_std(at)));
                    let timed_out = poll_fn(|cx| {
                        if changed.as_mut().poll(cx).is_ready() {
                            return Poll::Ready(false);
                        }
                        sleep.as_mut().poll(cx).map(|()| true)
                    })
                    .await;
                    if timed_out {
                        shared.handle_timeout();
                    }
                }
                None => changed.await,
            }
        }
    }

    /// Ends the stream once what was sent has been written; sends after
    /// this fail. The client reconnects after its retry delay unless it
    /// was told otherwise (or answered `204 No Content` when it does).
    pub fn close(&self) {
        let mut inner = lock(&self.shared().inner);
        inner.machine.close();
        inner.wake_writer();
        drop(inner);
        self.shared().changed.notify_waiters();
    }

    /// Resolves once the stream is no longer open: the client went away,
    /// or [`close`](Self::close) was called. A producer can `select!` on it
    /// to stop.
    pub async fn closed(&self) {
        let shared = self.shared();
        loop {
            let mut changed = pin!(shared.changed.notified());
            changed.as_mut().enable();
            if !lock(&shared.inner).machine.is_open() {
                return;
            }
            changed.await;
        }
    }

    /// Whether the stream was cut because the client read too slowly
    /// ([`EventStreamOptions::stall_timeout`]), rather than closed or
    /// left: why sends now fail with [`Error::Closed`].
    pub fn is_stalled(&self) -> bool {
        lock(&self.shared().inner).machine.is_stalled()
    }

    /// Whether events can still be sent.
    pub fn is_open(&self) -> bool {
        lock(&self.shared().inner).machine.is_open()
    }

    /// How many bytes of sent events the client has not been written yet.
    pub fn buffered_amount(&self) -> usize {
        lock(&self.shared().inner).machine.buffered_amount()
    }

    /// The ID of the last event a reconnecting client saw, from its
    /// `Last-Event-ID` header, else a `lastEventId` query parameter
    /// (which clients that cannot set headers use): resume after it.
    pub fn last_event_id(&self) -> Option<&str> {
        self.shared().last_event_id.as_deref()
    }

    /// The target of the request that opened the stream (path and
    /// query). Its headers are not kept, so that an open stream holds no
    /// more of its request than it needs: read what you need of them
    /// (cookies, credentials) before opening the stream.
    pub fn uri(&self) -> &Uri {
        &self.shared().uri
    }
}

/// Reads a request from `stream` and answers it with an event stream: for
/// any stream you accepted (TCP, TLS, Unix, in-memory), as [`accept`]
/// does for WebSockets. A writer task is spawned for the stream, so this
/// must run within a tokio runtime.
///
/// A request that does not ask for an event stream (a `GET` accepting
/// `text/event-stream`, as an `EventSource` sends) is answered `406 Not
/// Acceptable`. The request head is bounded and timed by `server`, as a
/// WebSocket handshake's is by the same [`ServerOptions`] (by default 400
/// or 431 for a head too large, 408 after 30 s): a server that serves
/// both gives both the same limits.
///
/// [`accept`]: crate::accept
///
/// # Errors
/// The refusal sent ([`Error::Status`] with 406, or the core's 400, 431
/// or 408 as [`Error::WebSocket`]), the stream's failure
/// ([`Error::Io`]), or a header in `options` that is not valid HTTP
/// ([`Error::Config`]).
pub async fn accept_event_stream<S>(
    stream: S,
    server: ServerOptions,
    options: EventStreamOptions,
) -> Result<EventStream, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    // Boxed, as accept's handshake is: the request's state would otherwise
    // stay reserved in the caller's future.
    Box::pin(read_and_open(stream, server, options)).await
}

async fn read_and_open<S>(
    mut stream: S,
    server: ServerOptions,
    options: EventStreamOptions,
) -> Result<EventStream, Error>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let head = options.response_head()?;
    let mut handshake = server.handshake()?;
    accept::read_request(&mut stream, &mut handshake).await?;
    let request = handshake.request().expect("a read request");
    if !eventsource::is_event_source(request) {
        let reject = crate::Reject::new(406, "Not Acceptable: this is an event stream");
        return Err(accept::refuse(&mut stream, &mut handshake, reject).await);
    }
    Ok(spawn(stream, request, head, &options, None, None))
}

/// Opens the event stream on `stream` for `request` (already read and
/// checked) and spawns its writer; the writer also ends the stream when
/// `stop` is cancelled (a server shutting down).
pub(crate) fn spawn<S>(
    stream: S,
    request: &impl HttpRequest,
    head: wsdriver::ResponseHead,
    options: &EventStreamOptions,
    stop: Option<CancellationToken>,
    permit: Option<OwnedSemaphorePermit>,
) -> EventStream
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let now = Instant::now().into_std();
    let machine = Server::with_head(now, head, options.retry, options.ping);
    let shared = Shared::new(request, machine, options);
    let shared_writer = shared.clone();
    tokio::spawn(async move {
        write(stream, shared_writer, stop).await;
        // A server's place for this connection is free once it ends.
        drop(permit);
    });
    EventStream::from_shared(shared)
}

/// The writer of a raw stream: the drive loop until the stream ends.
async fn write<S>(mut stream: S, shared: Arc<Shared>, stop: Option<CancellationToken>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut drive = Drive::default();
    let stopping = async {
        match &stop {
            Some(stop) => stop.cancelled().await,
            None => std::future::pending().await,
        }
    };
    let mut stopping = pin!(stopping);
    let mut stopped = false;
    let finished = poll_fn(|cx| {
        let mut inner = lock(&shared.inner);
        if !stopped && stopping.as_mut().poll(cx).is_ready() {
            stopped = true;
            inner.machine.close();
            shared.changed.notify_waiters();
        }
        loop {
            if inner.machine.is_stalled() {
                // No graceful end: it would wait on the same slow reader.
                shared.changed.notify_waiters();
                return Poll::Ready(false);
            }
            if inner.machine.is_finished() && drive.is_idle(&inner.machine) {
                return Poll::Ready(true);
            }
            let before = inner.machine.buffered_amount();
            // Reads only learn that the client went away.
            let step = drive.poll_step(cx, &mut stream, &mut inner.machine);
            if inner.machine.buffered_amount() < before {
                shared.changed.notify_waiters();
            }
            match step {
                Poll::Ready(Ok(Step::Ended) | Err(_)) => return Poll::Ready(false),
                Poll::Ready(Ok(_)) => {}
                Poll::Pending => break,
            }
        }
        inner.writer = Some(cx.waker().clone());
        Poll::Pending
    })
    .await;
    if finished {
        let _ = stream.shutdown().await;
    }
    shared.transport_closed();
}
