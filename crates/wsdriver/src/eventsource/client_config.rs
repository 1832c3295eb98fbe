//! What an EventSource [`Client`](super::Client) is told before it
//! starts: a builder, as the WebSocket side's [`Options`](crate::Options)
//! is, so that a setting can be added without breaking anyone, and so
//! that a running client has no setters that could change its bounds
//! half-way through a stream.

use super::decode::DEFAULT_MAX_EVENT_SIZE;
use crate::options::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKE_SIZE};
use std::time::Duration;

/// The reconnection time until the server sends `retry:` (what browsers
/// use).
pub const DEFAULT_RECONNECTION_TIME: Duration = Duration::from_secs(3);

/// How an EventSource [`Client`](super::Client) behaves: what it sends,
/// how it reconnects, what it accepts.
///
/// ```
/// use std::time::Duration;
/// use wsdriver::eventsource::{Client, ClientConfig};
///
/// let config = ClientConfig::default()
///     .header("Authorization", "Bearer token")
///     .last_event_id("41")
///     .reconnection_time(Duration::from_secs(1))
///     .max_failed_attempts(Some(5));
/// let client = Client::with_config("https://example.com/feed", config)?;
/// assert_eq!(client.last_event_id(), "41");
/// # Ok::<(), wsdriver::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct ClientConfig {
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) last_event_id: String,
    pub(crate) reconnection_time: Duration,
    pub(crate) max_failed_attempts: Option<u32>,
    pub(crate) max_event_size: usize,
    pub(crate) max_head_size: usize,
    pub(crate) head_timeout: Option<Duration>,
    pub(crate) max_redirects: usize,
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            headers: Vec::new(),
            last_event_id: String::new(),
            reconnection_time: DEFAULT_RECONNECTION_TIME,
            max_failed_attempts: None,
            max_event_size: DEFAULT_MAX_EVENT_SIZE,
            max_head_size: DEFAULT_MAX_HANDSHAKE_SIZE,
            head_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            max_redirects: crate::DEFAULT_MAX_REDIRECTS,
        }
    }
}

impl ClientConfig {
    /// Adds a header to every request (an `Authorization`, a cookie).
    /// `Authorization` and `Cookie` are not sent once a redirect leaves
    /// the URL's host and port. Checked by
    /// [`Client::with_config`](super::Client::with_config).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Resumes a stream: the first request sends `Last-Event-ID: id`, as
    /// the reconnections do with the last ID the stream set.
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.last_event_id = id.into();
        self
    }

    /// The reconnection time until the server sends `retry:`
    /// ([`DEFAULT_RECONNECTION_TIME`] by default). Whatever it is, a
    /// reconnection waits at least
    /// [`MIN_RECONNECTION_TIME`](super::MIN_RECONNECTION_TIME), and twice
    /// as long as the last while attempts keep failing, up to
    /// [`MAX_RECONNECTION_BACKOFF`](super::MAX_RECONNECTION_BACKOFF).
    pub fn reconnection_time(mut self, after: Duration) -> Self {
        self.reconnection_time = after;
        self
    }

    /// Gives up after `max` attempts in a row that yield no event
    /// (refused, timed out, cut off, an empty or broken body):
    /// [`SourceEvent::Closed`](super::SourceEvent::Closed) with
    /// [`ClientError::GaveUp`](super::ClientError::GaveUp) comes instead
    /// of the next reconnection. `None` (the default, as browsers do)
    /// tries for ever; `Some(0)` is taken as `Some(1)`.
    pub fn max_failed_attempts(mut self, max: Option<u32>) -> Self {
        self.max_failed_attempts = max;
        self
    }

    /// The largest event (and line) to read (1 MiB by default): a larger
    /// one fails the client with
    /// [`ClientError::EventTooLarge`](super::ClientError::EventTooLarge)
    /// rather than growing memory.
    pub fn max_event_size(mut self, max: usize) -> Self {
        self.max_event_size = max;
        self
    }

    /// The bound on a response head (16 KiB by default).
    pub fn max_head_size(mut self, max: usize) -> Self {
        self.max_head_size = max;
        self
    }

    /// How long an attempt may take to get its response head (30 s by
    /// default; then a reconnection), counted from
    /// [`Client::connecting`](super::Client::connecting) when the
    /// transport calls it, else from the transport's opening; `None`
    /// waits for ever.
    pub fn head_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.head_timeout = timeout;
        self
    }

    /// How many redirects one connection follows
    /// ([`DEFAULT_MAX_REDIRECTS`](crate::DEFAULT_MAX_REDIRECTS) by
    /// default); one more ends the client with an error.
    pub fn max_redirects(mut self, max: usize) -> Self {
        self.max_redirects = max;
        self
    }
}
