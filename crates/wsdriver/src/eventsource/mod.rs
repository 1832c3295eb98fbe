//! Server-sent events (the WHATWG "Server-sent events" stream format),
//! without I/O: the encoder a server writes with, the decoder a client
//! reads with, what a server needs of the request and its answer, and
//! [`Client`], the machine a client runs across its reconnections.
//!
//! The second half of faye-websocket, and the part of the protocol the
//! tokio layer's EventSource server and client run on: [`Server`] is the
//! machine a server's stream runs on.

mod chunked;
mod client;
mod client_config;
mod client_head;
mod decode;
mod encode;
mod server;
mod source_event;

pub use client::{Client, MAX_RECONNECTION_BACKOFF, MIN_RECONNECTION_TIME};
pub use client_config::{ClientConfig, DEFAULT_RECONNECTION_TIME};
pub use decode::{Decoder, EventTooLarge, MessageEvent, DEFAULT_MAX_EVENT_SIZE};
pub use encode::{write_comment, write_event, write_retry};
pub use server::{
    Server, StreamClosed, StreamEvent, DEFAULT_PING, DEFAULT_RETRY, DEFAULT_STALL_TIMEOUT,
};
pub use source_event::{ClientError, Interruption, SourceEvent, SourceState};

use crate::http::{HttpRequest, ResponseHead};
use http::Method;

/// Whether `request` asks for an event stream: a `GET` whose `Accept`
/// names `text/event-stream` (as a browser's `EventSource` sends).
pub fn is_event_source(request: &impl HttpRequest) -> bool {
    request.method() == Method::GET
        && request
            .headers()
            .get_all("accept")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .any(|kind| {
                kind.split(';')
                    .next()
                    .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("text/event-stream"))
            })
}

/// The event ID a reconnecting client resumes after: its `Last-Event-ID`
/// header, else a `lastEventId` query parameter (for clients that cannot
/// set headers, as faye-websocket reads it).
pub fn last_event_id(request: &impl HttpRequest) -> Option<String> {
    if let Some(value) = request.headers().get("last-event-id") {
        return value.to_str().ok().map(str::to_owned);
    }
    let query = request.uri().query()?;
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(name, _)| name == "lastEventId")
        .map(|(_, value)| value.into_owned())
}

/// The answer that opens an event stream: `200`, `Content-Type:
/// text/event-stream`, `Cache-Control: no-cache, no-store` (proxies must
/// neither cache nor hold it back), then `headers` (CORS and the like;
/// valid HTTP names and values).
pub fn response_head<'a>(headers: impl IntoIterator<Item = (&'a str, &'a str)>) -> ResponseHead {
    let mut head = ResponseHead::new(200, None);
    head.push("Content-Type", "text/event-stream");
    head.push("Cache-Control", "no-cache, no-store");
    for (name, value) in headers {
        head.push(name, value);
    }
    head
}
