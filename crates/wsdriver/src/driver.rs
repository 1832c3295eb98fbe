//! [`Driver`]: one WebSocket connection as a state machine. Bytes go in
//! with [`Driver::parse`], bytes to send come out of the output buffer,
//! and what happened comes out of [`Driver::poll_event`]. The driver owns
//! no socket and reads no clock.

use crate::close::{self, truncate_reason, MAX_REASON_LEN};
use crate::error::Error;
use crate::event::{CloseEvent, Event, Message, PingId, Text};
use crate::extensions::negotiation::{self, Registry};
use crate::extensions::{Extension, ExtensionError, ExtensionMessage, MessageKind};
use crate::handshake::{client, server};
use crate::hixie;
use crate::http::{
    self, parse_request, parse_response, CustomHeaders, HeadError, HttpRequest, Request, Response,
};
use crate::hybi::frame::Opcode;
use crate::hybi::pongs::AutoPongs;
use crate::hybi::receiver::{Failure, Incoming, MaskRule, Receiver};
use crate::hybi::sender::{close_payload, write_frame, Payload};
use crate::options::Options;
use crate::output::Output;
use ::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Write};
use std::time::{Duration, Instant};
use url::Url;

/// Which end of the connection a driver plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends the request and masks its frames (RFC 6455 §5.3); a masked
    /// frame from the server fails the connection with 1002.
    Client,
    /// Answers the request and does not mask; an unmasked frame fails the
    /// connection with 1002 unless [`Options::require_masking`] is off.
    Server,
}

/// The connection's state, as in the WebSocket API (0 to 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadyState {
    /// The opening handshake is under way; messages sent now are queued
    /// and go out on `Open`.
    Connecting = 0,
    /// Messages flow both ways.
    Open = 1,
    /// We sent a close frame and wait (at most the close timeout) for the
    /// peer's; sending fails with [`Error::Closed`].
    Closing = 2,
    /// Over: the `Close` event is queued or taken, or the request was
    /// rejected. Nothing more is read or sent.
    Closed = 3,
}

/// The protocol version spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 6455.
    Hybi13,
    /// Draft 8, which differs from RFC 6455 only in its handshake version.
    Hybi8,
    /// draft-hixie-thewebsocketprotocol-75: text only, no closing frame.
    Hixie75,
    /// draft-hixie-thewebsocketprotocol-76: text only, `FF 00` closes.
    Hixie76,
}

impl Version {
    /// The name Node's websocket-driver gives it: `hybi-13`, `hybi-8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Hybi13 => "hybi-13",
            Version::Hybi8 => "hybi-8",
            Version::Hixie75 => "hixie-75",
            Version::Hixie76 => "hixie-76",
        }
    }

    fn is_hixie(self) -> bool {
        matches!(self, Version::Hixie75 | Version::Hixie76)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// A raw server reading the request head.
    ReadingRequest,
    /// A server holding a request, waiting for `start`.
    AwaitingStart,
    /// A hixie-76 server that sent its head and waits for the 8 bytes of
    /// the challenge (a proxy may hold them back).
    AwaitingChallenge([u32; 2]),
    /// A client before `start`.
    Idle,
    /// A client reading the response head.
    ReadingResponse,
    /// Frames flow both ways.
    Frames,
    /// Nothing more is read.
    Done,
}

/// The handshake deadline while connecting, the close-handshake deadline
/// while closing. Arming it needs the time, which the driver does not know
/// until the caller next asks for the deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Timer {
    Off,
    Pending(Duration),
    At(Instant),
}

/// How frames are read: RFC 6455, or the drafts' sentinel framing.
#[derive(Debug)]
enum Framing {
    Hybi(Receiver),
    Hixie(hixie::framing::Receiver),
}

/// A WebSocket connection, client or server, without I/O.
///
/// ```
/// use wsdriver::{Driver, Event, Options};
///
/// let mut client = Driver::client("ws://example.com/chat", Options::default()).unwrap();
/// client.start();
/// let request = client.take_output();
/// assert!(request.starts_with(b"GET /chat HTTP/1.1\r\n"));
///
/// let mut server = Driver::server(Options::default()).unwrap();
/// server.parse(&request);
/// assert_eq!(server.poll_event(), Some(Event::Connect));
/// server.start();
/// client.parse(&server.take_output());
/// assert_eq!(client.poll_event(), Some(Event::Open));
///
/// client.text("hello").unwrap();
/// server.parse(&client.take_output());
/// server.poll_event(); // Event::Open
/// match server.poll_event() {
///     Some(Event::Message(message)) => assert_eq!(message.as_bytes(), b"hello"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub struct Driver {
    role: Role,
    phase: Phase,
    ready_state: ReadyState,
    options: Options,
    mask: bool,
    version: Option<Version>,
    protocol: Option<String>,
    url: Option<Url>,
    /// The client's `Sec-WebSocket-Key`.
    key: Option<String>,
    custom_headers: CustomHeaders,
    request: Option<Box<Request>>,
    response: Option<Box<Response>>,
    input: BytesMut,
    output: Output,
    events: VecDeque<Event>,
    framing: Framing,
    /// Registered extensions; after the handshake, only the active ones.
    extensions: Registry,
    /// What the caller sent before the handshake finished, in order.
    queue: Vec<(Opcode, Bytes)>,
    pings: VecDeque<(PingId, Bytes)>,
    next_ping: u64,
    /// Pongs owed to the peer, bounded.
    pongs: AutoPongs,
    /// The handshake timer while connecting, the close timer while closing.
    timer: Timer,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("role", &self.role)
            .field("ready_state", &self.ready_state)
            .field("version", &self.version)
            .field("protocol", &self.protocol)
            .field("buffered_amount", &self.output.len())
            .finish_non_exhaustive()
    }
}

impl Driver {
    fn new(role: Role, phase: Phase, options: Options) -> Result<Self, Error> {
        options.validate()?;
        let mask = options.masking.unwrap_or(role == Role::Client);
        let mask_rule = match (role, options.require_masking) {
            (Role::Client, _) => MaskRule::Forbidden,
            (Role::Server, true) => MaskRule::Required,
            (Role::Server, false) => MaskRule::Optional,
        };
        Ok(Driver {
            role,
            phase,
            ready_state: ReadyState::Connecting,
            framing: Framing::Hybi(Receiver::new(mask_rule, options.max_length)),
            extensions: Vec::new(),
            pongs: AutoPongs::new(options.max_queued_pongs),
            options,
            mask,
            version: None,
            protocol: None,
            url: None,
            key: None,
            custom_headers: CustomHeaders::default(),
            request: None,
            response: None,
            input: BytesMut::new(),
            output: Output::default(),
            events: VecDeque::new(),
            queue: Vec::new(),
            pings: VecDeque::new(),
            next_ping: 0,
            timer: Timer::Off,
        })
    }

    /// A client for a `ws:` or `wss:` URL. Userinfo in the URL becomes a
    /// Basic `Authorization` header. Call [`start`](Self::start) once the
    /// transport (and TLS, for `wss:`) is up.
    pub fn client(url: &str, options: Options) -> Result<Self, Error> {
        let mut driver = Self::new(Role::Client, Phase::Idle, options)?;
        driver.url = Some(client::parse_url(url)?);
        driver.version = Some(match driver.options.client_version {
            8 => Version::Hybi8,
            _ => Version::Hybi13,
        });
        Ok(driver)
    }

    /// A server that reads the HTTP request head itself: feed it the
    /// connection's bytes, wait for [`Event::Connect`], look at
    /// [`request`](Self::request), then [`start`](Self::start).
    pub fn server(options: Options) -> Result<Self, Error> {
        let mut driver = Self::new(Role::Server, Phase::ReadingRequest, options)?;
        driver.arm_handshake_timer();
        Ok(driver)
    }

    /// A server for a request something else parsed (hyper, axum, your own
    /// HTTP code). Feed it any bytes read after the head, then
    /// [`start`](Self::start).
    pub fn http(request: &impl HttpRequest, options: Options) -> Result<Self, Error> {
        let mut driver = Self::new(Role::Server, Phase::AwaitingStart, options)?;
        driver.request = Some(Box::new(Request::from_any(request)));
        driver.arm_handshake_timer();
        Ok(driver)
    }

    /// Client or server, fixed when the driver is made.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the connection is, as the WebSocket API's `readyState`.
    pub fn ready_state(&self) -> ReadyState {
        self.ready_state
    }

    /// The protocol version: known on a client from the start, on a server
    /// once the handshake is accepted.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// The subprotocol both sides agreed on, once open.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The connection's URL: the client's target, or on a server the URL
    /// the request addressed (`wss:` when proxy headers say TLS).
    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    /// The request a server is answering, from [`Event::Connect`] until
    /// the connection opens.
    ///
    /// Read what you need of it (the target, a cookie, `Origin`) before
    /// [`start`](Self::start), or clone it: an open connection does not
    /// keep it, since a browser's request head often costs more memory
    /// than everything else an idle connection holds.
    pub fn request(&self) -> Option<&Request> {
        self.request.as_deref()
    }

    /// Bytes that followed the request head and have not been read as
    /// frames yet: a raw server's view of the request body at `Connect`.
    pub fn body(&self) -> &[u8] {
        match self.phase {
            Phase::ReadingRequest | Phase::AwaitingStart => &self.input,
            _ => &[],
        }
    }

    /// The status of the server's response, on a client.
    pub fn status_code(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status.as_u16())
    }

    /// The headers of the server's response, on a client.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response.as_ref().map(|r| &r.headers)
    }

    /// A driver for the HTTP CONNECT proxy at `proxy_url` (`http:` or
    /// `https:`, userinfo becomes Basic `Proxy-Authorization`) that opens
    /// a tunnel to this client's URL. Run it on the connection to the proxy
    /// first; after its `Connect` event, feed its remaining bytes to this
    /// driver and call [`start`](Self::start).
    pub fn proxy(&self, proxy_url: &str) -> Result<crate::Proxy, Error> {
        let url = self
            .url
            .as_ref()
            .filter(|_| self.role == Role::Client)
            .ok_or_else(|| {
                Error::InvalidOption("only a client driver can go through a proxy".into())
            })?;
        crate::Proxy::new(url.as_str(), proxy_url)
    }

    /// Adds a header to the handshake this side sends; only before
    /// [`start`](Self::start).
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if !matches!(
            self.phase,
            Phase::Idle | Phase::ReadingRequest | Phase::AwaitingStart
        ) {
            return Err(Error::InvalidHeader(format!(
                "{name}: headers cannot be set after the handshake has started"
            )));
        }
        self.custom_headers.append(name, value)
    }

    /// Sets the client's origin: `Origin` on RFC 6455, `Sec-WebSocket-Origin`
    /// on draft 8, which named it so (as ws does for `protocolVersion: 8`).
    /// Only before [`start`](Self::start).
    pub fn set_origin(&mut self, origin: &str) -> Result<(), Error> {
        let name = match self.version {
            Some(Version::Hybi8) => "Sec-WebSocket-Origin",
            _ => "Origin",
        };
        self.set_header(name, origin)
    }

    /// Registers an extension to offer (client) or accept (server); only
    /// before [`start`](Self::start). Extensions transform outgoing
    /// messages in the order they were added, incoming in reverse.
    pub fn add_extension(&mut self, extension: impl Extension + 'static) -> Result<(), Error> {
        if !matches!(
            self.phase,
            Phase::Idle | Phase::ReadingRequest | Phase::AwaitingStart
        ) {
            return Err(Error::InvalidOption(format!(
                "extension {} added after the handshake started",
                extension.name()
            )));
        }
        if extension.rsv() & !0b111 != 0 {
            return Err(Error::InvalidOption(format!(
                "extension {} claims bits that are not RSV1-RSV3",
                extension.name()
            )));
        }
        self.extensions.push(Box::new(extension));
        Ok(())
    }

    /// Sends the handshake: the request on a client, the response on a
    /// server. Returns whether a handshake was sent; a server that refuses
    /// the request sends the refusal, reports `Error` and `Close`, and
    /// returns `false`.
    pub fn start(&mut self) -> bool {
        match self.phase {
            Phase::Idle => {
                let key = crate::handshake::key::generate_key();
                let url = self.url.as_ref().expect("clients have a URL");
                let offer = negotiation::client_offer(&mut self.extensions);
                client::write_request(
                    self.output.buffer(),
                    url,
                    &key,
                    &self.options.protocols,
                    offer.as_deref(),
                    &self.custom_headers,
                    self.version == Some(Version::Hybi8),
                );
                self.key = Some(key);
                self.phase = Phase::ReadingResponse;
                self.arm_handshake_timer();
                true
            }
            Phase::AwaitingStart => {
                let request = self
                    .request
                    .take()
                    .expect("a server in AwaitingStart has a request");
                self.url = server_url(&request);
                let location = self.url.as_ref().map_or("", Url::as_str);
                let settings = server::Settings {
                    protocols: &self.options.protocols,
                    allow_drafts: self.options.allow_drafts,
                    location,
                    custom: &self.custom_headers,
                };
                let result = server::accept(
                    request.as_ref(),
                    &settings,
                    &mut self.extensions,
                    self.output.buffer(),
                );
                self.request = Some(request);
                match result {
                    Ok(accepted) => {
                        self.version = Some(accepted.version);
                        self.protocol = accepted.protocol;
                        if accepted.version.is_hixie() {
                            let draft76 = accepted.version == Version::Hixie76;
                            let receiver =
                                hixie::framing::Receiver::new(draft76, self.options.max_length);
                            self.framing = Framing::Hixie(receiver);
                        }
                        match accepted.challenge {
                            Some(keys) => {
                                self.phase = Phase::AwaitingChallenge(keys);
                                self.answer_challenge(keys);
                            }
                            None => self.open(),
                        }
                        true
                    }
                    Err(refusal) => {
                        self.refuse(refusal, close::PROTOCOL_ERROR);
                        false
                    }
                }
            }
            _ => false,
        }
    }

    /// Answers a request with a plain HTTP response instead of a WebSocket
    /// (a raw server's other requests, or a refusal of your own), then
    /// closes. This is the caller's own decision, so no event follows:
    /// write the output and end the transport.
    pub fn reject(&mut self, status: u16, body: &str) -> Result<(), Error> {
        if !matches!(self.phase, Phase::AwaitingStart) {
            return Err(Error::Closed);
        }
        if !(200..=599).contains(&status) {
            return Err(Error::InvalidOption(format!(
                "{status} is not a final HTTP status"
            )));
        }
        let length = body.len().to_string();
        let headers: [(&str, &[u8]); 3] = [
            ("Content-Type", b"text/plain"),
            ("Content-Length", length.as_bytes()),
            ("Connection", b"close"),
        ];
        http::write_response(
            self.output.buffer(),
            status,
            None,
            &headers,
            &self.custom_headers,
            body.as_bytes(),
        );
        self.ready_state = ReadyState::Closed;
        self.phase = Phase::Done;
        self.timer = Timer::Off;
        self.queue.clear();
        self.input = BytesMut::new();
        Ok(())
    }

    /// Feeds bytes received from the transport. They are read as
    /// [`poll_event`](Self::poll_event) asks for the next event, so each
    /// event is handled before the bytes after it are looked at (as with
    /// websocket-driver's synchronous callbacks): call `poll_event` until it
    /// returns `None` after every `parse`.
    pub fn parse(&mut self, data: &[u8]) {
        if self.phase != Phase::Done {
            self.input.extend_from_slice(data);
        }
    }

    /// The buffer [`parse`](Self::parse) appends to, for callers that read
    /// straight into it (no copy, no zero-filling).
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// How many more bytes would complete the frame in progress; a hint
    /// for sizing reads.
    pub fn read_hint(&self) -> usize {
        match &self.framing {
            Framing::Hybi(receiver) => receiver.wanted(self.input.len()),
            Framing::Hixie(_) => 0,
        }
    }

    /// Reads input until it yields an event or runs out.
    fn process(&mut self) {
        while self.events.is_empty() {
            match self.phase {
                Phase::ReadingRequest => {
                    match parse_request(&self.input, self.options.max_handshake_size) {
                        Ok(None) => return,
                        Ok(Some((request, len))) => {
                            let _ = self.input.split_to(len);
                            self.request = Some(Box::new(request));
                            self.phase = Phase::AwaitingStart;
                            self.events.push_back(Event::Connect);
                            return;
                        }
                        Err(error) => {
                            let (status, message) = match error {
                                HeadError::TooLarge => {
                                    (431, "Request header fields too large".to_owned())
                                }
                                HeadError::Malformed(message) => (400, message),
                            };
                            self.refuse(http::Refusal::new(status, message), close::PROTOCOL_ERROR);
                            return;
                        }
                    }
                }
                Phase::ReadingResponse => {
                    match parse_response(&self.input, self.options.max_handshake_size) {
                        Ok(None) => return,
                        Ok(Some((response, len))) => {
                            let _ = self.input.split_to(len);
                            let key = self.key.as_deref().unwrap_or("");
                            let result = client::validate(&response, key, &self.options.protocols)
                                .and_then(|protocol| {
                                    let accepted =
                                        http::joined(&response.headers, "sec-websocket-extensions");
                                    negotiation::client_activate(
                                        &mut self.extensions,
                                        accepted.as_deref(),
                                    )?;
                                    Ok(protocol)
                                });
                            self.response = Some(Box::new(response));
                            match result {
                                Ok(protocol) => {
                                    self.protocol = protocol;
                                    self.open();
                                }
                                Err(message) => return self.fail_handshake(message),
                            }
                        }
                        Err(HeadError::TooLarge) => {
                            return self.fail_handshake("Response header fields too large".into())
                        }
                        Err(HeadError::Malformed(message)) => return self.fail_handshake(message),
                    }
                }
                Phase::Frames => match &mut self.framing {
                    Framing::Hybi(receiver) => match receiver.next(&mut self.input) {
                        Ok(Some(incoming)) => self.handle(incoming),
                        Ok(None) => return,
                        Err(failure) => self.fail(failure),
                    },
                    Framing::Hixie(receiver) => match receiver.next(&mut self.input) {
                        Ok(Some(incoming)) => self.handle_hixie(incoming),
                        Ok(None) => return,
                        Err(failure) => self.fail(failure),
                    },
                },
                Phase::AwaitingChallenge(keys) => {
                    if !self.answer_challenge(keys) {
                        return;
                    }
                }
                Phase::Done => {
                    self.input = BytesMut::new();
                    return;
                }
                Phase::Idle | Phase::AwaitingStart => return,
            }
        }
    }

    /// The next thing that happened, reading more of the input if needed.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            self.process();
        }
        self.events.pop_front()
    }

    /// Sends a text message (queued until open).
    pub fn text(&mut self, text: &str) -> Result<(), Error> {
        self.send_frame(Opcode::Text, Payload::Borrowed(text.as_bytes()))
    }

    /// Sends a binary message (queued until open).
    pub fn binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_frame(Opcode::Binary, Payload::Borrowed(data))
    }

    /// Sends a message the caller owns; a large unmasked payload is written
    /// from the caller's buffer without a copy.
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_frame(Opcode::Text, Payload::Owned(text.into_bytes())),
            Message::Binary(bytes) => self.send_frame(Opcode::Binary, Payload::Owned(bytes)),
        }
    }

    /// Sends a ping. The returned id comes back in [`Event::Pong`] when a
    /// pong with the same payload arrives.
    pub fn ping(&mut self, payload: &[u8]) -> Result<PingId, Error> {
        check_control_len(payload.len())?;
        self.send_frame(Opcode::Ping, Payload::Borrowed(payload))?;
        let id = PingId(self.next_ping);
        self.next_ping += 1;
        // A peer may answer only the latest ping (RFC 6455 §5.5.3): keep a
        // bounded window of the newest, or keepalive pings would pile up.
        if self.pings.len() == MAX_PENDING_PINGS {
            self.pings.pop_front();
        }
        self.pings.push_back((id, Bytes::copy_from_slice(payload)));
        Ok(id)
    }

    /// Sends an unsolicited pong (pings are answered automatically).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        check_control_len(payload.len())?;
        self.send_frame(Opcode::Pong, Payload::Borrowed(payload))
    }

    /// Starts the close handshake with `code` (1000 or 3000-4999) and a
    /// reason of at most 123 bytes. The `Close` event comes when the peer
    /// answers, or with 1006 when the close timeout passes first. Before
    /// the connection opens, closes at once and drops anything queued.
    pub fn close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if !close::is_valid_local(code) {
            return Err(Error::InvalidCloseCode(code));
        }
        self.start_close(code, reason)
    }

    /// Starts the close handshake with 1001 (Going Away): what a server
    /// shutting down, or a client leaving, sends. Kept apart from
    /// [`close`](Self::close), whose codes are the application's.
    pub fn going_away(&mut self, reason: &str) -> Result<(), Error> {
        self.start_close(close::GOING_AWAY, reason)
    }

    fn start_close(&mut self, code: u16, reason: &str) -> Result<(), Error> {
        if reason.len() > MAX_REASON_LEN {
            return Err(Error::ControlPayloadTooLong(reason.len() + 2));
        }
        match self.ready_state {
            ReadyState::Connecting => {
                self.finish(code, reason.to_owned(), false);
                Ok(())
            }
            ReadyState::Open if self.is_hixie() => {
                // The drafts have no close handshake to wait for.
                self.write_hixie_close();
                self.finish(code, reason.to_owned(), true);
                Ok(())
            }
            ReadyState::Open => {
                self.write_close(code, reason);
                self.ready_state = ReadyState::Closing;
                self.timer = self
                    .options
                    .close_timeout
                    .map_or(Timer::Off, Timer::Pending);
                Ok(())
            }
            ReadyState::Closing | ReadyState::Closed => Ok(()),
        }
    }

    /// Tells the driver the transport has ended. Unless the close handshake
    /// finished, this reports `Close` with 1006.
    pub fn transport_closed(&mut self) {
        if self.ready_state != ReadyState::Closed {
            self.finish(close::ABNORMAL, String::new(), false);
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due. Timers
    /// armed since the last call start counting at `now`.
    pub fn next_deadline(&mut self, now: Instant) -> Option<Instant> {
        match self.timer {
            Timer::Off => None,
            Timer::Pending(after) => {
                let at = now + after;
                self.timer = Timer::At(at);
                Some(at)
            }
            Timer::At(at) => Some(at),
        }
    }

    /// Whether a timer is running (or waits for `next_deadline` to start
    /// it), so a transport can skip reading the clock when none is.
    pub fn has_timer(&self) -> bool {
        self.timer != Timer::Off
    }

    /// Runs timers due by `now`: a close handshake the peer never finished
    /// ends with 1006; so does an opening handshake that took too long
    /// (see [`Options::handshake_timeout`]).
    pub fn handle_timeout(&mut self, now: Instant) {
        let Timer::At(at) = self.timer else { return };
        if now < at {
            return;
        }
        match self.ready_state {
            ReadyState::Connecting => self.handshake_timed_out(),
            ReadyState::Closing => self.finish(close::ABNORMAL, String::new(), false),
            ReadyState::Open | ReadyState::Closed => self.timer = Timer::Off,
        }
    }

    fn arm_handshake_timer(&mut self) {
        self.timer = self
            .options
            .handshake_timeout
            .map_or(Timer::Off, Timer::Pending);
    }

    /// A server that has any of the request answers 408 (a client that
    /// sent nothing gets nothing); either way the connection ends.
    fn handshake_timed_out(&mut self) {
        let started = !self.input.is_empty() || self.request.is_some();
        match (self.role, self.phase) {
            (Role::Server, Phase::ReadingRequest | Phase::AwaitingStart) if started => {
                let message = "Request Timeout: the WebSocket handshake took too long";
                self.refuse(http::Refusal::new(408, message), close::ABNORMAL);
            }
            _ => {
                let error = Error::HandshakeTimeout;
                let reason = error.to_string();
                self.events.push_back(Event::Error(error));
                self.finish(close::ABNORMAL, reason, false);
            }
        }
    }

    /// A server's refusal: the response goes out, `Error` then `Close`
    /// (with `code`) are reported, and the connection is over.
    fn refuse(&mut self, refusal: http::Refusal, code: u16) {
        refusal.write(self.output.buffer());
        self.events.push_back(Event::Error(Error::BadRequest {
            status: refusal.status,
            message: refusal.message.clone(),
        }));
        self.finish(code, refusal.message, false);
    }

    /// Whether there are bytes to write.
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// Bytes waiting to be written.
    pub fn buffered_amount(&self) -> usize {
        self.output.len()
    }

    /// Fills `dst` with the bytes to write, in order, for a vectored write;
    /// returns how many slices it filled. Follow with
    /// [`advance_output`](Self::advance_output).
    pub fn output_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.output.slices(dst)
    }

    /// The first contiguous run of bytes to write, for transports without
    /// vectored writes.
    pub fn output_chunk(&self) -> &[u8] {
        self.output.first_slice()
    }

    /// Marks `n` bytes of output as written.
    ///
    /// # Panics
    /// If `n` is more than [`buffered_amount`](Self::buffered_amount).
    pub fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
        self.pongs.release(&mut self.output, self.mask);
    }

    /// Writes all pending output to a blocking writer.
    pub fn write_output<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        loop {
            let written = self.output.write_to(writer);
            // Whatever was written may make room for a held pong, even if
            // the write then failed.
            self.pongs.release(&mut self.output, self.mask);
            written?;
            if self.output.is_empty() {
                return Ok(());
            }
        }
    }

    /// Whether to read more from the transport: `false` while the peer
    /// leaves [`Options::max_queued_pongs`] of our pongs unread, so that a
    /// transport stops reading from a peer that floods pings without
    /// reading, until the output drains. (Input fed meanwhile is still
    /// handled, with pongs coalesced, so memory stays bounded either way.)
    pub fn wants_read(&self) -> bool {
        !self.pongs.holding()
    }

    /// Takes all pending output as one buffer (handy in tests; transports
    /// should prefer [`output_slices`](Self::output_slices)).
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.output.len());
        self.write_output(&mut bytes)
            .expect("writing to a Vec cannot fail");
        bytes
    }

    fn send_frame(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        if opcode != Opcode::Text && self.version.is_some_and(Version::is_hixie) {
            return Err(Error::Unsupported(if opcode == Opcode::Binary {
                "binary messages on hixie drafts"
            } else {
                "ping and pong on hixie drafts"
            }));
        }
        match self.ready_state {
            ReadyState::Open => self.write_now(opcode, payload),
            ReadyState::Connecting => {
                let bytes = match payload {
                    Payload::Borrowed(slice) => Bytes::copy_from_slice(slice),
                    Payload::Owned(bytes) => bytes,
                };
                self.queue.push((opcode, bytes));
                Ok(())
            }
            ReadyState::Closing | ReadyState::Closed => Err(Error::Closed),
        }
    }

    /// Frames a message, passing data through the active extensions in
    /// registration order. An extension failure fails the connection.
    fn write_now(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        if self.is_hixie() {
            return match (opcode, payload) {
                (Opcode::Text, Payload::Borrowed(text)) => {
                    hixie::framing::write_text(self.output.buffer(), text);
                    Ok(())
                }
                (Opcode::Text, Payload::Owned(text)) => {
                    hixie::framing::write_text(self.output.buffer(), &text);
                    Ok(())
                }
                (Opcode::Binary, _) => Err(Error::Unsupported("binary messages on hixie drafts")),
                _ => Err(Error::Unsupported("ping and pong on hixie drafts")),
            };
        }
        let kind = match opcode {
            Opcode::Text => MessageKind::Text,
            Opcode::Binary => MessageKind::Binary,
            _ => {
                write_frame(&mut self.output, opcode, true, 0, payload, self.mask);
                return Ok(());
            }
        };
        if self.extensions.is_empty() {
            write_frame(&mut self.output, opcode, true, 0, payload, self.mask);
            return Ok(());
        }
        let payload = match payload {
            Payload::Borrowed(slice) => Bytes::copy_from_slice(slice),
            Payload::Owned(bytes) => bytes,
        };
        let mut message = ExtensionMessage {
            kind,
            rsv: 0,
            payload,
        };
        for index in 0..self.extensions.len() {
            if let Err(error) = self.extensions[index].outgoing(&mut message) {
                let failure = self.extension_failure(error);
                let error = Error::Protocol {
                    code: failure.code,
                    message: failure.message.clone(),
                };
                self.fail(failure);
                return Err(error);
            }
        }
        let payload = Payload::Owned(message.payload);
        write_frame(
            &mut self.output,
            opcode,
            true,
            message.rsv,
            payload,
            self.mask,
        );
        Ok(())
    }

    /// The handshake succeeded: flush the queue, then report `Open`.
    fn open(&mut self) {
        self.phase = Phase::Frames;
        self.ready_state = ReadyState::Open;
        self.timer = Timer::Off;
        // Handshake state an open connection never reads again.
        self.request = None;
        self.key = None;
        self.custom_headers = CustomHeaders::default();
        let rsv = self.extensions.iter().fold(0, |bits, e| bits | e.rsv());
        if let Framing::Hybi(receiver) = &mut self.framing {
            receiver.allow_rsv(rsv);
        }
        for (opcode, payload) in std::mem::take(&mut self.queue) {
            match self.write_now(opcode, Payload::Owned(payload)) {
                Ok(()) => {}
                // Queued before the version was known: say what was dropped.
                Err(error @ Error::Unsupported(_)) => self.events.push_back(Event::Error(error)),
                Err(_) => return,
            }
        }
        self.events.push_back(Event::Open);
    }

    /// Undoes the extensions' transforms (in reverse order), then checks
    /// what the receiver could not: text that arrived transformed.
    fn receive_message(
        &mut self,
        opcode: Opcode,
        rsv: u8,
        payload: Bytes,
    ) -> Result<Message, Failure> {
        let kind = if opcode == Opcode::Text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        // The receiver checked the text only if no RSV bit was set; any
        // extension that changed the bytes makes that check moot.
        let checked = (rsv == 0).then(|| payload.clone());
        let mut message = ExtensionMessage { kind, rsv, payload };
        let max_length = self.options.max_length;
        for index in (0..self.extensions.len()).rev() {
            if let Err(error) = self.extensions[index].incoming(&mut message, max_length) {
                return Err(self.extension_failure(error));
            }
        }
        if message.payload.len() > max_length {
            return Err(Failure {
                code: close::TOO_LARGE,
                message: "WebSocket message too large".into(),
            });
        }
        Ok(match kind {
            MessageKind::Text if checked.is_some_and(|c| same_bytes(&c, &message.payload)) => {
                Message::Text(Text::from_validated(message.payload))
            }
            MessageKind::Text => {
                Message::Text(Text::try_from_bytes(message.payload).map_err(|_| Failure {
                    code: close::INVALID_PAYLOAD,
                    message: "Could not decode a text frame as UTF-8".into(),
                })?)
            }
            MessageKind::Binary => Message::Binary(message.payload),
        })
    }

    fn extension_failure(&self, error: ExtensionError) -> Failure {
        let default = match self.role {
            Role::Client => close::EXTENSION_ERROR,
            Role::Server => close::UNEXPECTED_CONDITION,
        };
        Failure {
            code: error.code.unwrap_or(default),
            message: error.message,
        }
    }

    fn is_hixie(&self) -> bool {
        matches!(self.framing, Framing::Hixie(_))
    }

    /// hixie-76: once the 8 challenge bytes are in, answer and open.
    fn answer_challenge(&mut self, keys: [u32; 2]) -> bool {
        if self.input.len() < hixie::handshake::BODY_LEN {
            return false;
        }
        let answer = hixie::handshake::challenge_answer(keys, &self.input);
        let _ = self.input.split_to(hixie::handshake::BODY_LEN);
        self.output.extend(&answer);
        self.open();
        true
    }

    fn write_hixie_close(&mut self) {
        if self.version == Some(Version::Hixie76) {
            self.output.extend(&hixie::framing::CLOSE_FRAME);
        }
    }

    fn handle_hixie(&mut self, incoming: hixie::framing::Incoming) {
        match incoming {
            hixie::framing::Incoming::Text(payload) => {
                let message = Message::Text(Text::from_validated(payload));
                self.events.push_back(Event::Message(message));
            }
            hixie::framing::Incoming::Close => {
                self.write_hixie_close();
                self.finish(close::NORMAL, String::new(), true);
            }
        }
    }

    fn handle(&mut self, incoming: Incoming) {
        match incoming {
            Incoming::Message {
                opcode,
                rsv,
                payload,
            } => {
                if self.ready_state != ReadyState::Open {
                    return; // RFC 6455 §1.4: data after our close is dropped
                }
                let message = if self.extensions.is_empty() {
                    match opcode {
                        Opcode::Text => Message::Text(Text::from_validated(payload)),
                        _ => Message::Binary(payload),
                    }
                } else {
                    match self.receive_message(opcode, rsv, payload) {
                        Ok(message) => message,
                        Err(failure) => return self.fail(failure),
                    }
                };
                self.events.push_back(Event::Message(message));
            }
            Incoming::Ping(payload) => {
                self.pongs
                    .answer(&mut self.output, payload.clone(), self.mask);
                self.events.push_back(Event::Ping(payload));
            }
            Incoming::Pong(payload) => {
                let ping = match self.pings.iter().position(|(_, p)| *p == payload) {
                    Some(index) => {
                        // Pings answered out of order are still answered.
                        self.pings.remove(index).map(|(id, _)| id)
                    }
                    None => None,
                };
                self.events.push_back(Event::Pong { payload, ping });
            }
            Incoming::Close(frame) => {
                let (code, reason) = frame.clone().unwrap_or((close::NO_STATUS, String::new()));
                if self.ready_state == ReadyState::Open {
                    match frame {
                        Some((code, _)) => self.write_close(code, ""),
                        None => write_frame(
                            &mut self.output,
                            Opcode::Close,
                            true,
                            0,
                            Payload::Borrowed(&[]),
                            self.mask,
                        ),
                    }
                }
                self.finish(code, reason, true);
            }
        }
    }

    /// The peer broke the protocol: close with the failure's code without
    /// waiting for an answer (RFC 6455 §7.1.7).
    fn fail(&mut self, failure: Failure) {
        if self.ready_state == ReadyState::Open {
            if self.is_hixie() {
                self.write_hixie_close();
            } else {
                self.write_close(failure.code, truncate_reason(&failure.message));
            }
        }
        self.events.push_back(Event::Error(Error::Protocol {
            code: failure.code,
            message: failure.message.clone(),
        }));
        self.finish(failure.code, failure.message, false);
    }

    fn fail_handshake(&mut self, message: String) {
        let error = Error::Handshake(message);
        let reason = error.to_string();
        self.events.push_back(Event::Error(error));
        self.finish(close::PROTOCOL_ERROR, reason, false);
    }

    fn write_close(&mut self, code: u16, reason: &str) {
        let payload = close_payload(code, reason);
        write_frame(
            &mut self.output,
            Opcode::Close,
            true,
            0,
            Payload::Borrowed(&payload),
            self.mask,
        );
    }

    /// Enters `Closed` and reports it; everything queued or half-read goes.
    fn finish(&mut self, code: u16, reason: String, clean: bool) {
        for extension in &mut self.extensions {
            extension.close();
        }
        self.ready_state = ReadyState::Closed;
        self.phase = Phase::Done;
        self.timer = Timer::Off;
        self.queue.clear();
        self.pings.clear();
        self.pongs.clear();
        self.input = BytesMut::new();
        self.events.push_back(Event::Close(CloseEvent {
            code,
            reason,
            clean,
        }));
    }
}

/// Whether two `Bytes` are the very same bytes (not merely equal).
fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

/// How many unanswered pings are remembered; older ones are forgotten and
/// their pongs reported without an id.
pub const MAX_PENDING_PINGS: usize = 64;

fn check_control_len(len: usize) -> Result<(), Error> {
    if len > 125 {
        return Err(Error::ControlPayloadTooLong(len));
    }
    Ok(())
}

/// The URL a request addressed, from its `Host` and target.
fn server_url(request: &Request) -> Option<Url> {
    let host = request.headers.get("host")?.to_str().ok()?;
    let scheme = if http::is_secure_request(request) {
        "wss"
    } else {
        "ws"
    };
    let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
    Url::parse(&format!("{scheme}://{host}{target}")).ok()
}
