//! TEMPORARY: a stand-in for `wsdriver_tokio::{event_stream,
//! EventStreamOptions, EventStream}` (being written on main), with the
//! same names and signatures, so the demo builds and is tested until that
//! lands; then this file goes and `events.rs` imports from wsdriver_tokio.

use axum::body::Body;
use axum::http::request::Parts;
use axum::http::Response;
use std::time::Duration;
use tokio::sync::mpsc;
use wsdriver::eventsource::{last_event_id, write_comment, write_event, write_retry};

pub type Error = Box<dyn std::error::Error + Send + Sync>;

#[derive(Clone)]
pub struct EventStreamOptions {
    retry: Duration,
    ping: Option<Duration>,
    headers: Vec<(String, String)>,
}

impl Default for EventStreamOptions {
    fn default() -> Self {
        EventStreamOptions {
            retry: Duration::from_secs(5),
            ping: Some(Duration::from_secs(10)),
            headers: Vec::new(),
        }
    }
}

impl EventStreamOptions {
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = after;
        self
    }

    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Clone)]
pub struct EventStream {
    out: mpsc::Sender<Vec<u8>>,
    last_event_id: Option<String>,
}

pub fn event_stream(
    request: &Parts,
    options: EventStreamOptions,
) -> Result<(Response<Body>, EventStream), Error> {
    let (out, queue) = mpsc::channel::<Vec<u8>>(64);
    let mut first = Vec::new();
    write_retry(&mut first, options.retry);
    let ping = options.ping;
    // The retry line, then whatever is queued, with a comment when idle.
    let stream =
        futures_util::stream::unfold((Some(first), queue), move |(first, mut queue)| async move {
            if let Some(first) = first {
                return Some((Ok::<_, std::io::Error>(first), (None, queue)));
            }
            let next = match ping {
                Some(every) => match tokio::time::timeout(every, queue.recv()).await {
                    Ok(next) => next,
                    Err(_) => {
                        let mut comment = Vec::new();
                        write_comment(&mut comment, "");
                        Some(comment)
                    }
                },
                None => queue.recv().await,
            };
            next.map(|bytes| (Ok(bytes), (None, queue)))
        });
    let mut response = Response::builder()
        .status(200)
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache, no-store");
    for (name, value) in &options.headers {
        response = response.header(name.as_str(), value.as_str());
    }
    let response = response.body(Body::from_stream(stream))?;
    Ok((
        response,
        EventStream {
            out,
            last_event_id: last_event_id(request),
        },
    ))
}

impl EventStream {
    pub async fn send_event(
        &self,
        event: Option<&str>,
        data: &str,
        id: Option<&str>,
    ) -> Result<(), Error> {
        let mut bytes = Vec::new();
        write_event(&mut bytes, event, data, id);
        self.out.send(bytes).await.map_err(|_| "closed".into())
    }

    pub fn last_event_id(&self) -> Option<&str> {
        self.last_event_id.as_deref()
    }

    pub async fn closed(&self) {
        self.out.closed().await
    }
}
