//! [`ServerHandshake`]: a server's side of the opening handshake, from the
//! request head (read from raw bytes, or handed over already parsed) to
//! the `101` and, for hixie-76, the challenge answer. It then hands the
//! bytes read past the handshake to a [`Connection`].

use super::server;
use crate::close::CloseCode;
use crate::connection::{Agreed, Connection};
use crate::error::Error;
use crate::extensions::negotiation::Registry;
use crate::extensions::Extension;
use crate::hixie::handshake::{challenge_answer, BODY_LEN};
use crate::http::{self, parse_request, CustomHeaders, HeadError, HttpRequest, Refusal, Request};
use crate::kinds::{Role, Version};
use crate::machine::Machine;
use crate::options::Options;
use crate::output::Output;
use crate::timer::Timer;
use bytes::BytesMut;
use std::fmt;
use std::time::Instant;
use url::Url;

mod answer;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Reading the request head from raw bytes.
    ReadingRequest,
    /// Holding a request, waiting for `accept` (or a refusal).
    AwaitingAnswer,
    /// hixie-76: the head is answered; waiting for the 8 challenge bytes
    /// (a proxy may hold them back).
    AwaitingChallenge([u32; 2]),
    /// Accepted: ready to become a connection.
    Open,
    /// Refused or timed out: nothing more happens.
    Done,
}

/// What a [`ServerHandshake`] has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ServerEvent {
    /// The request head is in: look at [`request`](ServerHandshake::request),
    /// then [`accept`](ServerHandshake::accept) or
    /// [`reject`](ServerHandshake::reject).
    Request,
    /// The handshake is complete: write the output (the `101`), then make
    /// the [`Connection`] with [`into_connection`](ServerHandshake::into_connection).
    Open,
    /// The handshake failed (a bad request, [`Error::BadRequest`]; or a
    /// timeout, [`Error::HandshakeTimeout`]): write the output (the
    /// refusal, if any), then end the transport.
    Failed(Error),
}

/// A server's side of the opening handshake, without I/O.
///
/// Made for a raw stream ([`new`](Self::new): it reads the request head
/// itself) or for a request an HTTP layer already parsed
/// ([`for_request`](Self::for_request)). It is a [`Machine`]: drive it
/// until [`ServerEvent::Request`], look at the request, accept or refuse,
/// drive it until [`ServerEvent::Open`] (at once, unless a hixie-76
/// client still owes its challenge bytes), then turn it into a
/// [`Connection`], which keeps the bytes read past the handshake and the
/// output not yet written. Only the [`Connection`] lives on, so an open
/// connection holds nothing of the request.
///
/// ```
/// use wsdriver::{Machine, Options, ServerEvent, ServerHandshake};
/// use std::time::Instant;
///
/// let now = Instant::now();
/// let mut handshake = ServerHandshake::new(Options::default(), now).unwrap();
/// handshake.input_buffer().extend_from_slice(
///     b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
///       Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
///       Sec-WebSocket-Version: 13\r\n\r\n",
/// );
/// handshake.received(now);
/// assert_eq!(handshake.poll_event(), Some(ServerEvent::Request));
/// assert_eq!(handshake.request().unwrap().uri.path(), "/chat");
/// handshake.accept().unwrap();
/// assert_eq!(handshake.poll_event(), Some(ServerEvent::Open));
/// assert!(handshake.take_output().starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
/// let connection = handshake.into_connection(now).unwrap();
/// assert_eq!(connection.ready_state(), wsdriver::ReadyState::Open);
/// ```
pub struct ServerHandshake {
    phase: Phase,
    options: Options,
    request: Option<Box<Request>>,
    custom_headers: CustomHeaders,
    extensions: Registry,
    input: BytesMut,
    output: Output,
    timer: Timer,
    version: Option<Version>,
    protocol: Option<String>,
    /// An HTTP/2 extended CONNECT's `:protocol` (RFC 8441): the request
    /// came as one stream of an HTTP/2 connection.
    connect_protocol: Option<String>,
    url: Option<Url>,
    event: Option<ServerEvent>,
}

impl fmt::Debug for ServerHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerHandshake")
            .field("phase", &self.phase)
            .field("version", &self.version)
            .field("protocol", &self.protocol)
            .finish_non_exhaustive()
    }
}

impl ServerHandshake {
    /// A server that reads the request head from the connection's bytes;
    /// the handshake timeout counts from `now`.
    ///
    /// # Errors
    /// An invalid option.
    pub fn new(options: Options, now: Instant) -> Result<Self, Error> {
        options.validate()?;
        Ok(Self::new_at(options, Some(now)))
    }

    /// A server for a request an HTTP layer (hyper, axum, your own code)
    /// already parsed; the handshake timeout counts from `now`. Give it the
    /// bytes read after the head, if any, through
    /// [`input_buffer`](Machine::input_buffer).
    ///
    /// # Errors
    /// An invalid option.
    pub fn for_request(
        request: &impl HttpRequest,
        options: Options,
        now: Instant,
    ) -> Result<Self, Error> {
        options.validate()?;
        Ok(Self::for_request_at(request, options, Some(now)))
    }

    pub(crate) fn new_at(options: Options, now: Option<Instant>) -> Self {
        ServerHandshake {
            phase: Phase::ReadingRequest,
            timer: Timer::start(options.handshake_timeout, now),
            options,
            request: None,
            custom_headers: CustomHeaders::default(),
            extensions: Vec::new(),
            input: BytesMut::new(),
            output: Output::default(),
            version: None,
            protocol: None,
            connect_protocol: None,
            url: None,
            event: None,
        }
    }

    pub(crate) fn for_request_at(
        request: &impl HttpRequest,
        options: Options,
        now: Option<Instant>,
    ) -> Self {
        let mut handshake = ServerHandshake::new_at(options, now);
        handshake.request = Some(Box::new(Request::from_any(request)));
        handshake.connect_protocol = request.protocol().map(str::to_owned);
        handshake.phase = Phase::AwaitingAnswer;
        handshake
    }

    /// The request being answered, once its head is in.
    pub fn request(&self) -> Option<&Request> {
        self.request.as_deref()
    }

    /// The protocol version, once the request is accepted.
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// The subprotocol picked, once the request is accepted.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The URL the request addressed (`wss:` when proxy headers say TLS),
    /// once the request is accepted.
    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    /// Bytes past the request head not yet read: a request body, or the
    /// first frames.
    pub fn body(&self) -> &[u8] {
        &self.input
    }

    /// Whether headers and extensions may still be added.
    pub(crate) fn is_unanswered(&self) -> bool {
        matches!(self.phase, Phase::ReadingRequest | Phase::AwaitingAnswer)
    }

    pub(crate) fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    /// Adds a header to the answer (the `101`, or a refusal of your own).
    ///
    /// # Errors
    /// A name or value that is not valid HTTP.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.custom_headers.append(name, value)
    }

    /// Registers an extension to accept if the client offers it; before
    /// the answer. Extensions transform outgoing messages in the order
    /// they were added, incoming in reverse.
    ///
    /// # Errors
    /// An extension that claims bits other than RSV1-RSV3, or an answer
    /// already given.
    pub fn add_extension(&mut self, extension: impl Extension + 'static) -> Result<(), Error> {
        check_extension(&extension)?;
        if !self.is_unanswered() {
            return Err(Error::InvalidOption(format!(
                "extension {} added after the handshake was answered",
                extension.name()
            )));
        }
        self.extensions.push(Box::new(extension));
        Ok(())
    }

    pub(crate) fn add_boxed_extension(&mut self, extension: Box<dyn Extension>) {
        self.extensions.push(extension);
    }

    /// Reads what the input allows: the request head, or the challenge.
    fn poll(&mut self) -> Option<ServerEvent> {
        if let Some(event) = self.event.take() {
            return Some(event);
        }
        match self.phase {
            Phase::ReadingRequest => match parse_request(&self.input, self.options.head_limit()) {
                Ok(None) => None,
                Ok(Some((request, len))) => {
                    let _ = self.input.split_to(len);
                    self.request = Some(Box::new(request));
                    self.phase = Phase::AwaitingAnswer;
                    Some(ServerEvent::Request)
                }
                Err(error) => {
                    let (status, message) = match error {
                        HeadError::TooLarge => (431, "Request header fields too large".to_owned()),
                        HeadError::Malformed(message) => (400, message),
                    };
                    Some(self.refuse(Refusal::new(status, message)))
                }
            },
            Phase::AwaitingChallenge(keys) if self.input.len() >= BODY_LEN => {
                let answer = challenge_answer(keys, &self.input);
                let _ = self.input.split_to(BODY_LEN);
                self.output.extend(&answer);
                self.phase = Phase::Open;
                Some(ServerEvent::Open)
            }
            _ => None,
        }
    }

    pub(crate) fn settle_timer(&mut self, now: Instant) {
        self.timer.settle(now);
    }

    pub(crate) fn has_timer(&self) -> bool {
        self.timer.is_running()
    }

    /// The open connection, with the bytes read past the handshake and the
    /// output not yet written; its timers start at `now`. Gives the
    /// handshake back until [`ServerEvent::Open`].
    ///
    /// # Errors
    /// The handshake itself, when it is not open.
    #[allow(clippy::result_large_err)] // the error is the handshake itself
    pub fn into_connection(self, now: Instant) -> Result<Connection, Self> {
        self.open_at(Some(now))
    }

    #[allow(clippy::result_large_err)]
    pub(crate) fn open_at(self, now: Option<Instant>) -> Result<Connection, Self> {
        if self.phase != Phase::Open {
            return Err(self);
        }
        let this = self;
        let agreed = Agreed {
            role: Role::Server,
            version: this.version.expect("an open handshake has a version"),
            protocol: this.protocol,
            extensions: this.extensions,
            input: this.input,
            output: this.output,
        };
        Ok(Connection::open(agreed, &this.options, now))
    }

    /// A handshake past its deadline: a server holding any of the request
    /// answers 408 (one that received nothing just closes).
    fn timed_out(&mut self) -> Option<ServerEvent> {
        self.timer = Timer::Off;
        let started = !self.input.is_empty() || self.request.is_some();
        Some(match self.phase {
            Phase::ReadingRequest | Phase::AwaitingAnswer if started => {
                let message = "Request Timeout: the WebSocket handshake took too long";
                self.refuse(Refusal::new(408, message))
            }
            Phase::Open | Phase::Done => return None,
            _ => {
                self.finish();
                ServerEvent::Failed(Error::HandshakeTimeout)
            }
        })
    }

    fn refuse(&mut self, refusal: Refusal) -> ServerEvent {
        refusal.head().write(self.output.buffer());
        self.finish();
        ServerEvent::Failed(Error::BadRequest {
            status: refusal.status,
            message: refusal.message,
        })
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.timer = Timer::Off;
        self.input = BytesMut::new();
    }
}

impl Machine for ServerHandshake {
    type Event = ServerEvent;

    fn poll_event(&mut self) -> Option<ServerEvent> {
        self.poll()
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    fn received(&mut self, now: Instant) {
        self.timer.settle(now);
    }

    /// The handshake is over without a connection (no event follows:
    /// the transport's end is the caller's news).
    fn transport_closed(&mut self) {
        if self.phase != Phase::Open {
            self.finish();
        }
    }

    fn output(&self) -> &Output {
        &self.output
    }

    fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
    }

    fn poll_timeout(&self) -> Option<Instant> {
        self.timer.deadline()
    }

    /// Past the handshake timeout, a server holding any of the request
    /// answers 408; one that received nothing just ends. Either way
    /// [`ServerEvent::Failed`] follows.
    fn handle_timeout(&mut self, now: Instant) {
        self.timer.settle(now);
        if self.timer.is_due(now) {
            if let Some(event) = self.timed_out() {
                self.event = Some(event);
            }
        }
    }
}

/// An extension may use only the three RSV bits.
pub(crate) fn check_extension(extension: &impl Extension) -> Result<(), Error> {
    if extension.rsv() & !0b111 != 0 {
        return Err(Error::InvalidOption(format!(
            "extension {} claims bits that are not RSV1-RSV3",
            extension.name()
        )));
    }
    Ok(())
}

/// The body of the answer to plain HTTP.
pub const NOT_WEBSOCKET: &str = "Upgrade Required: this endpoint speaks WebSocket\n";

/// The close code a failed server handshake reports.
pub(crate) fn failure_code(error: &Error) -> CloseCode {
    match error {
        Error::HandshakeTimeout | Error::BadRequest { status: 408, .. } => CloseCode::ABNORMAL,
        _ => CloseCode::PROTOCOL_ERROR,
    }
}

/// The URL a request addressed, from its `Host` and target.
fn server_url(request: &Request) -> Option<Url> {
    // HTTP/2 names the host in `:authority` (and its scheme in `:scheme`);
    // HTTP/1.1 in `Host`.
    let host = match request.headers.get("host") {
        Some(host) => host.to_str().ok()?,
        None => request.uri.authority()?.as_str(),
    };
    let scheme = if http::is_secure_request(request)
        || request.uri.scheme() == Some(&::http::uri::Scheme::HTTPS)
    {
        "wss"
    } else {
        "ws"
    };
    let target = request.uri.path_and_query().map_or("/", |p| p.as_str());
    Url::parse(&format!("{scheme}://{host}{target}")).ok()
}
