//! Event streams on requests hyper parsed: [`event_stream`] answers with
//! a response whose body hyper polls; that polling is the writer (it
//! runs the keepalive timer too), and hyper dropping the body is how the
//! handles learn that the client went away.

use crate::error::Error;
use crate::net::drive::Drive;
use crate::sse::stream::{EventStream, Shared};
use crate::sse::stream_options::EventStreamOptions;
use crate::sync::lock;
use bytes::Bytes;
use hyper::body::{Body, Frame, SizeHint};
use hyper::Response;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tokio::time::Instant;
use wsdriver::eventsource::Server;
use wsdriver::{HttpRequest, Machine};

/// Answers `request` with an event stream: returns the response for the
/// service to return (`200`, `text/event-stream`, the options' headers)
/// and the [`EventStream`] to send on. Works for hyper 1 services and as
/// an axum response.
///
/// Served by [`serve`](crate::serve), the stream leaves hyper once its
/// head is out and costs about 2 KB while idle; under another hyper
/// accept loop (`axum::serve`), hyper keeps its two 8 KiB buffers for
/// the stream's whole life.
///
/// Check first that the request asks for one
/// ([`is_event_source`](wsdriver::eventsource::is_event_source)) when an
/// endpoint serves other things too.
///
/// ```
/// use axum::response::IntoResponse;
/// use axum::{routing::get, Router};
/// use std::time::Duration;
/// use wsdriver_tokio::{event_stream, EventStreamOptions};
///
/// async fn events(request: axum::extract::Request) -> axum::response::Response {
///     let options = EventStreamOptions::default().header("Access-Control-Allow-Origin", "*");
///     let Ok((response, events)) = event_stream(&request, options) else {
///         return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "bad options").into_response();
///     };
///     let mut next: u64 = events.last_event_id().and_then(|id| id.parse().ok()).unwrap_or(0);
///     tokio::spawn(async move {
///         loop {
///             next += 1;
///             let id = next.to_string();
///             if events.send_event(None, &format!("tick {id}"), Some(&id)).await.is_err() {
///                 break; // the client went away
///             }
///             tokio::time::sleep(Duration::from_secs(1)).await;
///         }
///     });
///     response.into_response()
/// }
///
/// let app: Router = Router::new().route("/events", get(events));
/// # let _ = app;
/// ```
///
/// # Errors
/// [`Error::Config`] for a header in `options` that is not valid HTTP.
pub fn event_stream<R: HttpRequest>(
    request: &R,
    options: EventStreamOptions,
) -> Result<(Response<EventStreamBody>, EventStream), Error> {
    let head = options.response_head()?;
    let now = Instant::now().into_std();
    let machine = Server::new(now, options.retry, options.ping);
    let shared = Shared::new(request, machine, &options);
    let body = EventStreamBody {
        shared: shared.clone(),
        drive: Drive::default(),
    };
    let response = head.to_http().map(|()| body);
    Ok((response, EventStream::from_shared(shared)))
}

/// The body of an event stream's response: the events as they are sent,
/// ending when the stream is closed.
pub struct EventStreamBody {
    shared: Arc<Shared>,
    /// Only its timer: hyper does the writing.
    drive: Drive,
}

impl fmt::Debug for EventStreamBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStreamBody").finish_non_exhaustive()
    }
}

impl Body for EventStreamBody {
    type Data = Bytes;
    /// A stream cut for reading too slowly
    /// ([`EventStreamOptions::stall_timeout`]).
    type Error = io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, io::Error>>> {
        let this = self.get_mut();
        let mut inner = lock(&this.shared.inner);
        while this.drive.poll_timers(cx, &mut inner.machine) {}
        if inner.machine.is_stalled() {
            drop(inner);
            this.shared.changed.notify_waiters();
            // An error, not the end: hyper then drops the connection
            // rather than finish a response the client is not reading.
            return Poll::Ready(Some(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the client read the event stream too slowly",
            ))));
        }
        if inner.machine.has_output() {
            let bytes = Bytes::from(inner.machine.take_output());
            drop(inner);
            // Room to send again.
            this.shared.changed.notify_waiters();
            return Poll::Ready(Some(Ok(Frame::data(bytes))));
        }
        if inner.machine.is_finished() {
            return Poll::Ready(None);
        }
        inner.writer = Some(cx.waker().clone());
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        false
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::default()
    }
}

impl Drop for EventStreamBody {
    /// hyper drops the body when the response ends or the connection
    /// does: either way, nothing more reaches the client.
    fn drop(&mut self) {
        self.shared.transport_closed();
    }
}
