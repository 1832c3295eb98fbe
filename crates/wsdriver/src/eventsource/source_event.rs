//! What an EventSource [`Client`](super::Client) reports: its events, its
//! ready state, why it reconnects and why it gave up.

use super::decode::{EventTooLarge, MessageEvent};
use std::fmt;
use std::time::Duration;

/// What a [`Client`](super::Client) has to say, from
/// [`poll_event`](crate::Machine::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceEvent {
    /// Open a transport to [`Client::url`](super::Client::url) (TCP, TLS
    /// for `https:`), then call
    /// [`transport_opened`](super::Client::transport_opened), or
    /// [`network_error`](super::Client::network_error) if it cannot be
    /// opened. The first event of every client, and the one that ends
    /// each reconnection delay (or follows a redirect).
    Connect,
    /// The server answered `200` with `Content-Type: text/event-stream`:
    /// the stream is open (a browser's `open` event).
    Open,
    /// An event the stream dispatched.
    Message(MessageEvent),
    /// The connection is lost (a browser's `error` event with the ready
    /// state back at `CONNECTING`): drop the transport. [`Connect`]
    /// follows once `after` has passed, counted from the next call that
    /// carries the time (the [`Machine`](crate::Machine) methods
    /// `handle_timeout` and `received`, or `network_error`).
    ///
    /// [`Connect`]: SourceEvent::Connect
    Reconnecting {
        /// How long until [`Connect`](SourceEvent::Connect): the
        /// reconnection time (the stream's last `retry:`, else the
        /// client's), at least
        /// [`MIN_RECONNECTION_TIME`](super::MIN_RECONNECTION_TIME),
        /// doubled for each failed attempt in a row past the first, up to
        /// [`MAX_RECONNECTION_BACKOFF`](super::MAX_RECONNECTION_BACKOFF).
        after: Duration,
        /// Why the connection was lost.
        cause: Interruption,
    },
    /// The client stopped for good: drop the transport. `None` when the
    /// server asked it to (`204 No Content`), else why it failed.
    Closed(Option<ClientError>),
}

/// Why a [`Client`](super::Client) lost a connection and reconnects.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Interruption {
    /// The server ended the body (its length, its last chunk, or the end
    /// of the transport for a body of neither).
    EndOfStream,
    /// The transport ended before the body did.
    TransportClosed,
    /// The transport failed, or could not be opened: what the I/O layer
    /// said.
    NetworkError(String),
    /// The body's chunked framing is broken.
    InvalidBody(String),
    /// No transport and response head within the client's head timeout
    /// (from [`Client::connecting`](super::Client::connecting), or from
    /// [`Client::transport_opened`](super::Client::transport_opened)).
    Timeout,
}

impl fmt::Display for Interruption {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Interruption::EndOfStream => f.write_str("the server ended the stream"),
            Interruption::TransportClosed => f.write_str("the connection closed mid-stream"),
            Interruption::NetworkError(message) => write!(f, "network error: {message}"),
            Interruption::InvalidBody(message) => f.write_str(message),
            Interruption::Timeout => f.write_str("no response from the server in time"),
        }
    }
}

/// Why a [`Client`](super::Client) failed the connection and stopped
/// (the WHATWG "fail the connection": no reconnection follows).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientError {
    /// The answer was not `200` with `Content-Type: text/event-stream`.
    NotEventStream {
        /// The response's status.
        status: u16,
        /// Its `Content-Type`, if it had one.
        content_type: Option<String>,
    },
    /// A redirect the client would not follow: one too many (after
    /// [`ClientConfig::max_redirects`](super::ClientConfig::max_redirects)),
    /// or to a URL that is not `http:` or `https:`.
    Redirect {
        /// The redirect's status (301, 302, 303, 307 or 308).
        status: u16,
        /// Its `Location`, as sent.
        location: String,
    },
    /// The response head passed the client's bound, or was not HTTP/1.x.
    InvalidResponse(String),
    /// An event passed the client's bound: reading on would hold more than
    /// it allows, and reconnecting would meet the same event again.
    EventTooLarge(EventTooLarge),
    /// As many attempts in a row as
    /// [`ClientConfig::max_failed_attempts`](super::ClientConfig::max_failed_attempts)
    /// allows yielded no event.
    GaveUp {
        /// How many attempts failed in a row.
        attempts: u32,
        /// Why the last one was lost.
        cause: Interruption,
    },
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::NotEventStream {
                status,
                content_type,
            } => {
                write!(f, "not an event stream: the server answered {status}")?;
                match content_type {
                    Some(kind) => write!(f, " with Content-Type {kind:?}"),
                    None => f.write_str(" without a Content-Type"),
                }
            }
            ClientError::Redirect { status, location } => {
                write!(f, "redirect not followed: {status} to {location:?}")
            }
            ClientError::InvalidResponse(message) => {
                write!(f, "invalid response to an EventSource request: {message}")
            }
            ClientError::EventTooLarge(error) => fmt::Display::fmt(error, f),
            ClientError::GaveUp { attempts, cause } => {
                write!(
                    f,
                    "gave up after {attempts} failed attempts in a row: {cause}"
                )
            }
        }
    }
}

/// `Display` already says what the wrapped error says, so `source` goes
/// on from there (an error chain printed whole says nothing twice).
impl std::error::Error for ClientError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ClientError::EventTooLarge(error) => std::error::Error::source(error),
            _ => None,
        }
    }
}

/// An EventSource's `readyState`, as WHATWG names its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceState {
    /// Connecting, or waiting to reconnect.
    Connecting,
    /// The stream is open: events arrive.
    Open,
    /// Stopped for good: by [`close`](super::Client::close), a `204`, or
    /// a failure.
    Closed,
}
