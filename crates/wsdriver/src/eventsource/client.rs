//! [`Client`]: an EventSource client without I/O, across its
//! reconnections (the WHATWG processing model).

use super::chunked::Dechunker;
use super::client_config::ClientConfig;
use super::client_head::{write_request, Framing};
use super::decode::Decoder;
use super::source_event::{ClientError, Interruption, SourceEvent, SourceState};
use crate::error::Error;
use crate::http::CustomHeaders;
use crate::machine::Machine;
use crate::output::Output;
use crate::timer::Timer;
use bytes::BytesMut;
use std::collections::VecDeque;
use std::time::{Duration, Instant};
use url::Url;

mod read;

/// The shortest wait before a reconnection, whatever the reconnection
/// time says: a server that sends `retry: 0` and hangs up is asked at most
/// four times a second, never in a tight loop.
pub const MIN_RECONNECTION_TIME: Duration = Duration::from_millis(250);

/// How long the backoff may make the wait while attempts keep failing
/// (a longer reconnection time is kept as it is).
pub const MAX_RECONNECTION_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// [`SourceEvent::Connect`] is out (or queued): waiting for a
    /// transport.
    Connecting,
    /// The request is written; reading the response head.
    ReadingHead,
    /// The stream is open.
    Streaming(Framing),
    /// Waiting out the reconnection time.
    Waiting,
    /// Stopped for good.
    Closed,
}

/// An EventSource client, without I/O: a [`Machine`] that spans every
/// connection it makes.
///
/// It asks for a transport ([`SourceEvent::Connect`]), writes the `GET`
/// once told the transport is up ([`transport_opened`](Self::transport_opened)),
/// reads the answer (redirects followed; `200 text/event-stream` opens,
/// `204` stops, anything else fails), decodes the body (chunked,
/// `Content-Length` or to the end) into events, and when the stream ends
/// or the network fails waits out the reconnection time and asks for a
/// new transport, sending `Last-Event-ID`.
///
/// The wait is never under [`MIN_RECONNECTION_TIME`], and it doubles
/// with each attempt in a row past the first that fails (an attempt fails
/// unless it yields an event: refused, cut off, answered with an empty
/// or broken body), up to [`MAX_RECONNECTION_BACKOFF`]; an event brings
/// it back to the reconnection time. With
/// [`ClientConfig::max_failed_attempts`] the client gives up after so
/// many failures in a row. Every bound holds across chunkings: the
/// response head ([`ClientConfig::max_head_size`]), an event
/// ([`ClientConfig::max_event_size`]), a chunk-size line.
///
/// ```
/// use std::time::{Duration, Instant};
/// use wsdriver::eventsource::{Client, SourceEvent, Interruption};
/// use wsdriver::Machine;
///
/// let now = Instant::now();
/// let mut client = Client::new("http://example.com/events")?;
/// assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
/// client.transport_opened(now);
/// let request = String::from_utf8(client.take_output()).unwrap();
/// assert!(request.starts_with("GET /events HTTP/1.1\r\n"));
///
/// client.input_buffer().extend_from_slice(
///     b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: 500\nid: 1\ndata: hi\n\n",
/// );
/// assert_eq!(client.poll_event(), Some(SourceEvent::Open));
/// let Some(SourceEvent::Message(event)) = client.poll_event() else { panic!() };
/// assert_eq!((event.data.as_str(), event.id.as_str()), ("hi", "1"));
///
/// // The server hangs up: reconnect after its retry, from event 1.
/// client.transport_closed();
/// let after = Duration::from_millis(500);
/// let cause = Interruption::EndOfStream;
/// assert_eq!(client.poll_event(), Some(SourceEvent::Reconnecting { after, cause }));
/// client.handle_timeout(now); // the delay counts from here
/// assert_eq!(client.poll_timeout(), Some(now + after));
/// client.handle_timeout(now + after);
/// assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
/// client.transport_opened(now + after);
/// let request = String::from_utf8(client.take_output()).unwrap();
/// assert!(request.contains("\r\nLast-Event-ID: 1\r\n"));
/// # Ok::<(), wsdriver::Error>(())
/// ```
#[derive(Debug)]
pub struct Client {
    /// The EventSource's URL: where every reconnection starts.
    url: Url,
    /// Where the current attempt goes (after redirects).
    current: Url,
    redirects: usize,
    /// A redirect left the first host: credentials stay behind.
    cross_origin: bool,
    headers: CustomHeaders,
    reconnection_time: Duration,
    /// Attempts in a row that yielded no event (the one being lost
    /// included, once it is).
    failed_attempts: u32,
    /// The current attempt has yielded an event.
    delivered: bool,
    max_failed_attempts: Option<u32>,
    max_event_size: usize,
    max_head_size: usize,
    head_timeout: Option<Duration>,
    max_redirects: usize,
    phase: Phase,
    /// The transport ended; the input holds all there will be.
    ended: bool,
    decoder: Decoder,
    dechunker: Dechunker,
    /// The ID of the last event handed out (or dispatched without data).
    last_event_id: String,
    input: BytesMut,
    output: Output,
    timer: Timer,
    /// The latest time a call told: a delay armed by a call without one
    /// (the transport closing) is reported due then, so that
    /// `poll_timeout` asks for the `handle_timeout(now)` that starts it.
    known: Option<Instant>,
    events: VecDeque<SourceEvent>,
}

impl Client {
    /// A client for an `http:` or `https:` URL (a fragment is dropped;
    /// userinfo becomes Basic `Authorization`), with the default
    /// [`ClientConfig`]. Its first event is [`SourceEvent::Connect`].
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for anything else.
    pub fn new(url: &str) -> Result<Client, Error> {
        Client::with_config(url, ClientConfig::default())
    }

    /// As [`new`](Self::new), told how to behave by `config`.
    ///
    /// # Errors
    /// [`Error::InvalidUrl`] for a URL that is not `http:` or `https:`,
    /// or a header in `config` that is not valid HTTP.
    pub fn with_config(url: &str, config: ClientConfig) -> Result<Client, Error> {
        let mut parsed = Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::InvalidUrl(format!(
                "{url}: the scheme must be http or https"
            )));
        }
        if parsed.host_str().is_none_or(str::is_empty) {
            return Err(Error::InvalidUrl(format!("{url}: no host")));
        }
        parsed.set_fragment(None);
        let mut headers = CustomHeaders::default();
        for (name, value) in &config.headers {
            headers.append(name, value)?;
        }
        Ok(Client {
            current: parsed.clone(),
            url: parsed,
            redirects: 0,
            cross_origin: false,
            headers,
            reconnection_time: config.reconnection_time,
            failed_attempts: 0,
            delivered: false,
            max_failed_attempts: config.max_failed_attempts,
            max_event_size: config.max_event_size,
            max_head_size: config.max_head_size,
            head_timeout: config.head_timeout,
            max_redirects: config.max_redirects,
            phase: Phase::Connecting,
            ended: false,
            decoder: Decoder::resuming(config.max_event_size, &config.last_event_id),
            dechunker: Dechunker::default(),
            last_event_id: config.last_event_id,
            input: BytesMut::new(),
            output: Output::default(),
            timer: Timer::Off,
            known: None,
            events: VecDeque::from([SourceEvent::Connect]),
        })
    }

    /// The EventSource's URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// Where to open the transport after [`SourceEvent::Connect`]: the URL,
    /// or where a redirect pointed.
    pub fn current_url(&self) -> &Url {
        &self.current
    }

    /// WHATWG's `readyState`.
    pub fn ready_state(&self) -> SourceState {
        match self.phase {
            Phase::Streaming(_) => SourceState::Open,
            Phase::Closed => SourceState::Closed,
            _ => SourceState::Connecting,
        }
    }

    /// The last event ID: of the last event handed out, and what the next
    /// connection sends as `Last-Event-ID` (when not empty).
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// The reconnection time: the stream's last `retry:`, else
    /// [`ClientConfig::reconnection_time`]'s. What a
    /// reconnection waits is this, at least [`MIN_RECONNECTION_TIME`],
    /// doubled while attempts keep failing
    /// ([`SourceEvent::Reconnecting`] says how long).
    pub fn reconnection_time(&self) -> Duration {
        self.reconnection_time
    }

    /// How many attempts in a row have failed: yielded no event before
    /// they were lost. 0 once an event arrives.
    pub fn failed_attempts(&self) -> u32 {
        self.failed_attempts
    }

    /// The transport asked for by [`SourceEvent::Connect`] is being opened
    /// from `now`: the head timeout counts from here, so that opening it
    /// (DNS, TCP, a proxy's tunnel, TLS) and the server's answer share one
    /// bound. Past it, [`SourceEvent::Reconnecting`] with
    /// [`Interruption::Timeout`] follows: drop the transport being opened.
    /// (Without this call the timeout counts from
    /// [`transport_opened`](Self::transport_opened).)
    pub fn connecting(&mut self, now: Instant) {
        self.known = Some(now);
        if self.phase == Phase::Connecting {
            self.timer = Timer::start(self.head_timeout, Some(now));
        }
    }

    /// The transport asked for by [`SourceEvent::Connect`] is up (TLS
    /// too): the request is written, and the head timeout runs on from
    /// [`connecting`](Self::connecting) (or starts at `now`). Returns
    /// `false`, doing nothing, when no transport was asked for.
    pub fn transport_opened(&mut self, now: Instant) -> bool {
        self.known = Some(now);
        if self.phase != Phase::Connecting {
            return false;
        }
        self.input.clear();
        self.output = Output::default();
        self.ended = false;
        self.decoder = Decoder::resuming(self.max_event_size, &self.last_event_id);
        self.dechunker = Dechunker::default();
        let mut request = Vec::with_capacity(256);
        let mut headers = self.headers.clone();
        if self.cross_origin {
            headers = CustomHeaders::default();
            for (name, value) in self.headers.iter() {
                if !name.eq_ignore_ascii_case("authorization")
                    && !name.eq_ignore_ascii_case("cookie")
                {
                    let _ = headers.append(name, value);
                }
            }
        }
        write_request(&mut request, &self.current, &self.last_event_id, &headers);
        self.output.extend(&request);
        self.phase = Phase::ReadingHead;
        if !self.timer.is_running() {
            self.timer = Timer::start(self.head_timeout, Some(now));
        }
        true
    }

    /// The transport failed at `now` (or could not be opened): the
    /// connection is lost, and the reconnection time counts from `now`.
    /// `message` says why, in [`Interruption::NetworkError`].
    pub fn network_error(&mut self, now: Instant, message: impl Into<String>) {
        self.known = Some(now);
        if matches!(self.phase, Phase::Waiting | Phase::Closed) {
            return;
        }
        self.reconnect(Interruption::NetworkError(message.into()), Some(now));
    }

    /// Stops for good (WHATWG's `close()`): no more events, no
    /// reconnection. Drop the transport.
    pub fn close(&mut self) {
        self.stop();
        self.events.clear();
        self.decoder = Decoder::resuming(self.max_event_size, &self.last_event_id);
    }

    fn stop(&mut self) {
        self.phase = Phase::Closed;
        self.timer = Timer::Off;
        self.input = BytesMut::new();
        self.output = Output::default();
    }

    fn fail(&mut self, error: Option<ClientError>) {
        self.decoder.finish();
        self.stop();
        self.events.push_back(SourceEvent::Closed(error));
    }

    /// WHATWG's "reestablish the connection": the delay starts at `now`,
    /// or at the next call that carries the time. An attempt that
    /// yielded no event is a failed one: the delay grows, and past the
    /// bound the client gives up.
    fn reconnect(&mut self, cause: Interruption, now: Option<Instant>) {
        // Events decoded but not yet handed out count: they come first.
        let delivered = std::mem::take(&mut self.delivered) || self.decoder.has_events();
        if delivered {
            self.failed_attempts = 0;
        } else {
            self.failed_attempts = self.failed_attempts.saturating_add(1);
            if let Some(max) = self.max_failed_attempts {
                if self.failed_attempts >= max.max(1) {
                    let attempts = self.failed_attempts;
                    self.fail(Some(ClientError::GaveUp { attempts, cause }));
                    return;
                }
            }
        }
        let after = self.reconnection_delay();
        self.decoder.finish();
        self.input.clear();
        self.output = Output::default();
        self.current = self.url.clone();
        self.redirects = 0;
        self.cross_origin = false;
        self.phase = Phase::Waiting;
        self.timer = Timer::start(Some(after), now);
        self.events
            .push_back(SourceEvent::Reconnecting { after, cause });
    }

    /// The wait before the next attempt: the reconnection time, at least
    /// [`MIN_RECONNECTION_TIME`], doubled for each failed attempt in a row
    /// past the first, up to [`MAX_RECONNECTION_BACKOFF`] (or the
    /// reconnection time, when that is longer).
    fn reconnection_delay(&self) -> Duration {
        let base = self.reconnection_time.max(MIN_RECONNECTION_TIME);
        let doublings = self.failed_attempts.saturating_sub(1).min(16);
        base.saturating_mul(1 << doublings)
            .min(MAX_RECONNECTION_BACKOFF.max(base))
    }
}

impl Machine for Client {
    type Event = SourceEvent;

    /// Events in the order they happened: the messages a body held come
    /// before the [`SourceEvent::Reconnecting`] its end caused.
    fn poll_event(&mut self) -> Option<SourceEvent> {
        loop {
            if let Some(event) = self.decoder.next_event() {
                return Some(self.deliver(event));
            }
            // Dispatches without data set the ID too.
            let id = self.decoder.last_event_id();
            if self.last_event_id != id {
                id.clone_into(&mut self.last_event_id);
            }
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            if !self.step() {
                return None;
            }
        }
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    fn received(&mut self, now: Instant) {
        self.known = Some(now);
        self.timer.settle(now);
    }

    /// The transport ended: what it sent is read to the end, then the
    /// stream is lost ([`SourceEvent::Reconnecting`]; its delay counts
    /// from the next call that carries the time).
    fn transport_closed(&mut self) {
        match self.phase {
            Phase::ReadingHead | Phase::Streaming(_) => self.ended = true,
            Phase::Connecting => self.reconnect(Interruption::TransportClosed, None),
            Phase::Waiting | Phase::Closed => {}
        }
    }

    fn output(&self) -> &Output {
        &self.output
    }

    fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timer.wake_at(self.known)
    }

    /// Ends a reconnection delay ([`SourceEvent::Connect`] follows), or a
    /// head timeout ([`SourceEvent::Reconnecting`] follows). Also starts a
    /// delay armed without the time.
    fn handle_timeout(&mut self, now: Instant) {
        self.known = Some(now);
        self.timer.settle(now);
        if !self.timer.is_due(now) {
            return;
        }
        match self.phase {
            Phase::Waiting => {
                self.timer = Timer::Off;
                self.phase = Phase::Connecting;
                self.events.push_back(SourceEvent::Connect);
            }
            Phase::Connecting | Phase::ReadingHead => {
                self.reconnect(Interruption::Timeout, Some(now));
            }
            _ => self.timer = Timer::Off,
        }
    }

    fn wants_read(&self) -> bool {
        matches!(self.phase, Phase::ReadingHead | Phase::Streaming(_))
    }
}
