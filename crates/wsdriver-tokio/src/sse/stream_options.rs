//! [`EventStreamOptions`]: how a server's event streams behave.

use crate::error::Error;
use std::time::Duration;
use wsdriver::eventsource::{self, DEFAULT_PING, DEFAULT_RETRY, DEFAULT_STALL_TIMEOUT};
use wsdriver::http_types::{HeaderName, HeaderValue};
use wsdriver::ResponseHead;

/// Settings for a server's event streams ([`EventStream`](crate::EventStream)),
/// faye-websocket's EventSource options plus a bound on memory.
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::EventStreamOptions;
///
/// let options = EventStreamOptions::default()
///     .retry(Duration::from_secs(2))
///     .ping(Some(Duration::from_secs(15)))
///     .header("Access-Control-Allow-Origin", "*");
/// # let _ = options;
/// ```
#[derive(Debug, Clone)]
pub struct EventStreamOptions {
    pub(crate) retry: Duration,
    pub(crate) ping: Option<Duration>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) max_buffered: usize,
    pub(crate) stall_timeout: Option<Duration>,
}

/// Past this many unwritten bytes, sends wait for a slow client.
const DEFAULT_MAX_BUFFERED: usize = 64 * 1024;

impl Default for EventStreamOptions {
    fn default() -> Self {
        EventStreamOptions {
            retry: DEFAULT_RETRY,
            ping: Some(DEFAULT_PING),
            headers: Vec::new(),
            max_buffered: DEFAULT_MAX_BUFFERED,
            stall_timeout: Some(DEFAULT_STALL_TIMEOUT),
        }
    }
}

impl EventStreamOptions {
    /// How long a client waits before it reconnects after the stream
    /// ends (sent as `retry:` when the stream opens; 5 s by default).
    pub fn retry(mut self, after: Duration) -> Self {
        self.retry = after;
        self
    }

    /// How often a keepalive comment goes out, so that proxies and load
    /// balancers keep a quiet stream open and a client that left is
    /// noticed (10 s by default; `None`: never).
    pub fn ping(mut self, every: Option<Duration>) -> Self {
        self.ping = every;
        self
    }

    /// A header for the response, such as
    /// `Access-Control-Allow-Origin` for pages on other origins. Names
    /// and values must be valid HTTP (no line breaks): they are the
    /// application's, not the client's.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// How many unwritten bytes a stream holds before
    /// [`send`](crate::EventStream::send) waits for the client to read
    /// (64 KiB by default): a slow client slows its producer down rather
    /// than growing the server's memory.
    pub fn max_buffered(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes.max(1);
        self
    }

    /// How long a stream may stay more than
    /// [`max_buffered`](Self::max_buffered) bytes behind before it is cut
    /// (30 s by default; `None`: never). A client that stops reading
    /// otherwise holds what was sent to it, and blocks its producer, for
    /// as long as its connection lives; once cut, sends fail with
    /// [`Error::Closed`](crate::Error::Closed), and a client that comes
    /// back resumes from its last event id like any other.
    pub fn stall_timeout(mut self, after: Option<Duration>) -> Self {
        self.stall_timeout = after;
        self
    }

    /// The response head these options ask for.
    ///
    /// # Errors
    /// [`Error::Config`] for a header name or value that is not valid
    /// HTTP: written as it is, a line break in it would start a header (or
    /// a body) of its own.
    pub(crate) fn response_head(&self) -> Result<ResponseHead, Error> {
        for (name, value) in &self.headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err()
                || HeaderValue::from_str(value).is_err()
            {
                return Err(Error::Config(format!(
                    "not a valid HTTP header for an event stream: {name:?}: {value:?}"
                )));
            }
        }
        let headers = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()));
        Ok(eventsource::response_head(headers))
    }
}
