//! The EventSource client's settings, apart from the code that runs it:
//! what to send, how to reconnect, what to accept, and how to reach the
//! server (the same [`TransportOptions`] as the WebSocket client's).

use crate::client::transport_options::TransportOptions;
use std::time::Duration;
use wsdriver::eventsource::ClientConfig;

/// How an [`EventSource`](crate::EventSource) connects and reconnects.
///
/// The default: no extra headers, no last event ID, 3 s between
/// reconnections until the server sends `retry:` (never under 250 ms,
/// and doubling up to 30 s while attempts keep failing), retrying for
/// ever, events up to 1 MiB, and the default [`TransportOptions`] (30 s
/// to connect and get an answer, TLS verified against the platform's
/// roots, no proxy, up to
/// [`DEFAULT_MAX_REDIRECTS`](crate::DEFAULT_MAX_REDIRECTS) redirects).
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::{EventSourceOptions, ProxyOptions, TransportOptions};
///
/// let options = EventSourceOptions::default()
///     .header("Authorization", "Bearer token")
///     .last_event_id("1041")
///     .reconnection_time(Duration::from_secs(1))
///     .max_event_size(64 * 1024)
///     .transport(TransportOptions::default().proxy(ProxyOptions::new(
///         "http://proxy.internal:3128",
///     )));
/// ```
// The protocol's settings are the core machine's own `ClientConfig`
// (each setter here hands its value on); the connect timeout and the
// redirect limit, which the core config also has for callers that bring
// their own I/O, come from the transport, so that both clients set them
// in one place.
#[derive(Clone, Debug, Default)]
pub struct EventSourceOptions {
    pub(crate) client: ClientConfig,
    pub(crate) transport: TransportOptions,
}

impl EventSourceOptions {
    /// Adds a header to every request (a token, a cookie). Checked by
    /// [`EventSource::connect`](crate::EventSource::connect).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.client = self.client.header(name, value);
        self
    }

    /// Resumes a stream: the first request sends `Last-Event-ID: id`, as
    /// the reconnections do with the last ID the stream set.
    pub fn last_event_id(mut self, id: impl Into<String>) -> Self {
        self.client = self.client.last_event_id(id);
        self
    }

    /// How long to wait before reconnecting until the server says with
    /// `retry:` (3 s by default). Whatever it is, a reconnection waits at
    /// least [`MIN_RECONNECTION_TIME`](wsdriver::eventsource::MIN_RECONNECTION_TIME),
    /// and twice as long as the last while attempts keep failing, up to
    /// [`MAX_RECONNECTION_BACKOFF`](wsdriver::eventsource::MAX_RECONNECTION_BACKOFF).
    pub fn reconnection_time(mut self, after: Duration) -> Self {
        self.client = self.client.reconnection_time(after);
        self
    }

    /// Gives up after `max` attempts in a row that yield no event
    /// (refused, timed out, cut off, an empty or broken body): the stream
    /// ends with [`Error::EventSource`](crate::Error::EventSource) and
    /// [`ClientError::GaveUp`](wsdriver::eventsource::ClientError::GaveUp).
    /// `None`, the default, tries for ever, as browsers do.
    pub fn max_failed_attempts(mut self, max: Option<u32>) -> Self {
        self.client = self.client.max_failed_attempts(max);
        self
    }

    /// The largest event (and line) to read (1 MiB by default): a larger
    /// one ends the stream with an error rather than growing memory.
    pub fn max_event_size(mut self, max: usize) -> Self {
        self.client = self.client.max_event_size(max);
        self
    }

    /// How to reach the server: TLS, a proxy, how long an attempt may
    /// take from its start to the response head (retried past it), the
    /// redirect limit. The same settings as a WebSocket client's.
    pub fn transport(mut self, transport: TransportOptions) -> Self {
        self.transport = transport;
        self
    }
}
