//! [`Server`]: the server's side of one event stream, as a [`Machine`].
//!
//! An event stream only flows one way: after its request, a client sends
//! nothing more, so what the server reads matters only for learning that
//! the client went away. The machine owns what faye-websocket's
//! EventSource does: the `retry:` line that opens the stream, the events,
//! the keepalive comment every `ping` interval, and the end.

use super::encode::{write_comment, write_event, write_retry};
use crate::http::ResponseHead;
use crate::machine::Machine;
use crate::output::Output;
use crate::timer::Timer;
use bytes::BytesMut;
use std::fmt;
use std::time::{Duration, Instant};

/// How long a client waits before it reconnects, unless told otherwise
/// (faye-websocket's default).
pub const DEFAULT_RETRY: Duration = Duration::from_secs(5);

/// How often a quiet stream sends a keepalive comment, so that proxies
/// and load balancers do not close it (faye-websocket's default).
pub const DEFAULT_PING: Duration = Duration::from_secs(10);

/// What an event stream reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// The client went away (the transport ended): nothing more can be
    /// sent. Reported once.
    Gone,
    /// The client read too slowly: more than the stall limit's bytes
    /// stayed unwritten for longer than its time, and the stream was cut
    /// (what it held is dropped; end the transport). Reported once.
    Stalled,
}

/// How long a stream may stay over its byte limit before it is cut; see
/// [`Server::stall_limit`].
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The stream ended, by [`Server::close`] or because the client went
/// away: nothing more can be sent on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamClosed;

impl fmt::Display for StreamClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the event stream is closed")
    }
}

impl std::error::Error for StreamClosed {}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Open,
    /// [`Server::close`] was called: what is queued still goes out.
    Closing,
    /// The transport ended; `reported` once [`StreamEvent::Gone`] went out.
    Gone {
        reported: bool,
    },
    /// Cut for reading too slowly; `reported` once [`StreamEvent::Stalled`]
    /// went out.
    Stalled {
        reported: bool,
    },
}

/// The server's side of one event stream: encodes events into its
/// [`output`](Machine::output), sends a keepalive comment every `ping`
/// interval, and notices when the client goes away.
///
/// Start it with [`Server::new`] once the request has been checked
/// ([`is_event_source`](super::is_event_source)). When the transport is a
/// raw stream, [`Server::with_head`] puts the response head in front; an
/// HTTP layer (hyper) sends [`response_head`](super::response_head)
/// itself and makes the output its response body.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wsdriver::eventsource::Server;
/// use wsdriver::Machine;
///
/// let now = Instant::now();
/// let mut stream = Server::new(now, Duration::from_secs(5), Some(Duration::from_secs(10)));
/// stream.send_event(Some("chat"), "hello\nworld", Some("7")).unwrap();
/// assert_eq!(
///     stream.take_output(),
///     b"retry: 5000\n\nevent: chat\nid: 7\ndata: hello\ndata: world\n\n"
/// );
/// assert_eq!(stream.poll_timeout(), Some(now + Duration::from_secs(10)));
/// ```
#[derive(Debug)]
pub struct Server {
    output: Output,
    input: BytesMut,
    ping: Option<Duration>,
    keepalive: Timer,
    state: State,
    /// Reused for encoding, so sending allocates nothing once it has grown.
    scratch: Vec<u8>,
    /// Bytes unwritten past which the stall timer runs, and its time.
    stall_limit: Option<(usize, Duration)>,
    /// Runs while more than the limit is unwritten. Armed when output
    /// grows (a call without the time): pending, it reports itself due at
    /// `opened` so that the loop driving the machine gives it the time
    /// at once.
    stall: Timer,
    opened: Instant,
}

impl Server {
    /// Opens an event stream at `now`: its output starts with `retry:`
    /// (how long the client waits before it reconnects), and a keepalive
    /// comment goes out every `ping` (none when `None`).
    pub fn new(now: Instant, retry: Duration, ping: Option<Duration>) -> Self {
        Server::open(now, &[], retry, ping)
    }

    /// As [`new`](Self::new), with the response head written first: for a
    /// raw stream (TCP, TLS) that read the request itself. The stream ends
    /// the response, so the head says `Connection: close`.
    pub fn with_head(
        now: Instant,
        mut head: ResponseHead,
        retry: Duration,
        ping: Option<Duration>,
    ) -> Self {
        head.push("Connection", "close");
        Server::open(now, &head.to_bytes(), retry, ping)
    }

    fn open(now: Instant, head: &[u8], retry: Duration, ping: Option<Duration>) -> Self {
        let mut output = Output::default();
        output.extend(head);
        let mut scratch = Vec::new();
        write_retry(&mut scratch, retry);
        output.extend(&scratch);
        scratch.clear();
        Server {
            output,
            input: BytesMut::new(),
            ping,
            keepalive: Timer::start(ping, Some(now)),
            state: State::Open,
            scratch,
            stall_limit: None,
            stall: Timer::Off,
            opened: now,
        }
    }

    /// Cuts the stream when more than `max_buffered` bytes stay unwritten
    /// for longer than `after` (none by default): a client that stops
    /// reading would otherwise hold what was sent to it, and its
    /// producer, for as long as its connection lives. A stream that was
    /// cut reports [`StreamEvent::Stalled`] and is finished; a client
    /// that comes back resumes from its last event id like any other.
    pub fn stall_limit(&mut self, max_buffered: usize, after: Option<Duration>) {
        self.stall_limit = after.map(|after| (max_buffered, after));
        if self.stall_limit.is_none() {
            self.stall = Timer::Off;
        }
    }

    fn over_limit(&self) -> bool {
        self.stall_limit
            .is_some_and(|(max, _)| self.output.len() > max)
    }

    /// Queues an unnamed event (the client's default `message` type).
    ///
    /// # Errors
    /// [`StreamClosed`] once the stream was closed or the client left.
    pub fn send(&mut self, data: &str) -> Result<(), StreamClosed> {
        self.send_event(None, data, None)
    }

    /// Queues an event: its type (`None`: `message`), its data (one
    /// `data:` line per line) and its ID, which a reconnecting client
    /// sends back as `Last-Event-ID`.
    ///
    /// # Errors
    /// [`StreamClosed`] once the stream was closed or the client left.
    pub fn send_event(
        &mut self,
        event: Option<&str>,
        data: &str,
        id: Option<&str>,
    ) -> Result<(), StreamClosed> {
        self.check_open()?;
        write_event(&mut self.scratch, event, data, id);
        self.flush_scratch();
        Ok(())
    }

    /// Queues a keepalive comment now (one also goes out every `ping`
    /// interval by itself).
    ///
    /// # Errors
    /// [`StreamClosed`] once the stream was closed or the client left.
    pub fn ping(&mut self) -> Result<(), StreamClosed> {
        self.check_open()?;
        // An empty comment and a blank line, as faye-websocket sends: the
        // blank line makes clients that buffer up to an event boundary
        // hand it on.
        write_comment(&mut self.scratch, "");
        self.scratch.push(b'\n');
        self.flush_scratch();
        Ok(())
    }

    /// Ends the stream once what is queued has been written (see
    /// [`is_finished`](Self::is_finished)); nothing more can be sent.
    pub fn close(&mut self) {
        if self.state == State::Open {
            self.state = State::Closing;
        }
        self.keepalive = Timer::Off;
    }

    /// Whether events can still be sent.
    pub fn is_open(&self) -> bool {
        self.state == State::Open
    }

    /// Whether the transport should now be ended: closed and all written,
    /// or the client already gone.
    pub fn is_finished(&self) -> bool {
        match self.state {
            State::Open => false,
            State::Closing => self.output.is_empty(),
            State::Gone { .. } | State::Stalled { .. } => true,
        }
    }

    /// Whether the stream was cut for reading too slowly (see
    /// [`stall_limit`](Self::stall_limit)): end the transport without a
    /// graceful close, which would wait on the same slow reader.
    pub fn is_stalled(&self) -> bool {
        matches!(self.state, State::Stalled { .. })
    }

    fn check_open(&self) -> Result<(), StreamClosed> {
        if self.is_open() {
            Ok(())
        } else {
            Err(StreamClosed)
        }
    }

    fn flush_scratch(&mut self) {
        self.output.extend(&self.scratch);
        self.scratch.clear();
        if let Some((_, after)) = self.stall_limit {
            if !self.stall.is_running() && self.over_limit() {
                self.stall = Timer::start(Some(after), None);
            }
        }
    }

    /// Cut: nothing more goes out, and nothing queued is kept.
    fn stalled(&mut self) {
        self.state = State::Stalled { reported: false };
        self.keepalive = Timer::Off;
        self.stall = Timer::Off;
        self.output = Output::default();
    }
}

impl Machine for Server {
    type Event = StreamEvent;

    fn poll_event(&mut self) -> Option<StreamEvent> {
        match self.state {
            State::Gone { reported: false } => {
                self.state = State::Gone { reported: true };
                Some(StreamEvent::Gone)
            }
            State::Stalled { reported: false } => {
                self.state = State::Stalled { reported: true };
                Some(StreamEvent::Stalled)
            }
            _ => None,
        }
    }

    /// Whatever a client sends after its request means nothing here:
    /// what the last read brought is dropped before the next, so that it
    /// cannot pile up (here rather than in `received`, which a transport
    /// may skip when no timer runs).
    fn input_buffer(&mut self) -> &mut BytesMut {
        self.input.clear();
        &mut self.input
    }

    fn received(&mut self, _now: Instant) {}

    fn transport_closed(&mut self) {
        if !matches!(self.state, State::Gone { .. } | State::Stalled { .. }) {
            self.state = State::Gone { reported: false };
        }
        self.keepalive = Timer::Off;
        self.stall = Timer::Off;
        // Nobody will read it now.
        self.output = Output::default();
        self.input = BytesMut::new();
    }

    fn output(&self) -> &Output {
        &self.output
    }

    fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
        if self.stall.is_running() && !self.over_limit() {
            self.stall = Timer::Off;
        }
    }

    fn poll_timeout(&self) -> Option<Instant> {
        let stall = match self.stall {
            Timer::Off => None,
            Timer::Pending(_) => Some(self.opened),
            Timer::At(at) => Some(at),
        };
        match (self.keepalive.deadline(), stall) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.stall.settle(now);
        if self.stall.is_due(now) {
            self.stalled();
            return;
        }
        if self.keepalive.is_due(now) {
            self.keepalive = Timer::start(self.ping, Some(now));
            let _ = self.ping();
        }
    }

    fn read_hint(&self) -> usize {
        0
    }
}
