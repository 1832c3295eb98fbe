//! [`ClientHandshake`]: a client's side of the opening handshake: the
//! request, then every check on the server's answer. It then hands the
//! bytes read past the response to a [`Connection`].

use super::client;
use crate::connection::{Agreed, Connection};
use crate::error::{Error, HandshakeError};
use crate::extensions::negotiation::{self, Registry};
use crate::extensions::Extension;
use crate::handshake::server_handshake::check_extension;
use crate::http::{self, parse_response, CustomHeaders, HeadError, Response};
use crate::kinds::{Role, Version};
use crate::machine::Machine;
use crate::options::Options;
use crate::output::Output;
use crate::timer::Timer;
use ::http::HeaderMap;
use bytes::{Bytes, BytesMut};
use std::fmt;
use std::time::Instant;
use url::Url;

mod extended_connect;

/// How much of a refusal's body to wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyLength {
    /// Its `Content-Length`, capped.
    Exactly(usize),
    /// A chunked body: what came with the head, without waiting.
    AsArrived,
    /// Neither said: until the stream ends, capped.
    UntilEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `start`: headers and extensions may still be added.
    Idle,
    /// The request is out; reading the response head.
    ReadingResponse,
    /// The answer was not `101`: reading (the start of) its body, to show
    /// why.
    ReadingBody(BodyLength),
    /// The server agreed: ready to become a connection.
    Open,
    /// The handshake failed or timed out.
    Done,
}

/// What a [`ClientHandshake`] has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ClientEvent {
    /// The server agreed: make the [`Connection`] with
    /// [`into_connection`](ClientHandshake::into_connection).
    Open,
    /// The server's answer was not acceptable ([`Error::Handshake`]; its
    /// status and headers stay readable), or it took too long
    /// ([`Error::HandshakeTimeout`]). End the transport.
    Failed(Error),
}

/// A client's side of the opening handshake, without I/O: the request,
/// then every check on the server's answer.
///
/// A [`Machine`]: [`start`](Self::start) writes the request; drive it
/// until [`ClientEvent::Open`], then turn it into a [`Connection`], which
/// keeps any frames that came with the answer.
///
/// ```
/// use wsdriver::{ClientEvent, ClientHandshake, Machine, Options, ServerEvent, ServerHandshake};
/// use std::time::Instant;
///
/// let now = Instant::now();
/// let mut client = ClientHandshake::new("ws://example.com/chat", Options::default()).unwrap();
/// client.start(now);
/// let mut server = ServerHandshake::new(Options::default(), now).unwrap();
/// server.input_buffer().extend_from_slice(&client.take_output());
/// assert_eq!(server.poll_event(), Some(ServerEvent::Request));
/// server.accept().unwrap();
/// client.input_buffer().extend_from_slice(&server.take_output());
/// client.received(now);
/// assert_eq!(client.poll_event(), Some(ClientEvent::Open));
/// assert_eq!(client.status_code(), Some(101));
/// let connection = client.into_connection(now).unwrap();
/// assert_eq!(connection.ready_state(), wsdriver::ReadyState::Open);
/// ```
pub struct ClientHandshake {
    phase: Phase,
    options: Options,
    url: Url,
    version: Version,
    key: String,
    custom_headers: CustomHeaders,
    extensions: Registry,
    input: BytesMut,
    output: Output,
    timer: Timer,
    response: Option<Box<Response>>,
    /// The start of a refusal's body.
    body: Bytes,
    /// Why the handshake failed, once the body is read.
    failure: Option<HandshakeError>,
    /// Whether a refusal waits for its body ([`Driver`](crate::Driver),
    /// like websocket-driver, fails at the head).
    reads_refusal_body: bool,
    protocol: Option<String>,
    event: Option<ClientEvent>,
    /// Opened as an HTTP/2 extended CONNECT (RFC 8441): the answer comes
    /// as a head from the HTTP/2 layer, not as bytes.
    extended_connect: bool,
}

/// How much of a refusal's body is kept: enough for an error page's
/// message, bounded whatever the server sends.
pub const MAX_REFUSAL_BODY: usize = 4096;

impl fmt::Debug for ClientHandshake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientHandshake")
            .field("url", &self.url.as_str())
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

impl ClientHandshake {
    /// A client for a `ws:` or `wss:` URL. Userinfo in the URL becomes a
    /// Basic `Authorization` header. [`start`](Self::start) it once the
    /// transport (and TLS, for `wss:`) is up.
    ///
    /// # Errors
    /// An invalid URL or option.
    pub fn new(url: &str, options: Options) -> Result<Self, Error> {
        options.validate()?;
        let url = client::parse_url(url)?;
        let version = match options.client_version {
            8 => Version::Hybi8,
            _ => Version::Hybi13,
        };
        Ok(ClientHandshake {
            phase: Phase::Idle,
            options,
            url,
            version,
            key: String::new(),
            custom_headers: CustomHeaders::default(),
            extensions: Vec::new(),
            input: BytesMut::new(),
            output: Output::default(),
            timer: Timer::Off,
            response: None,
            body: Bytes::new(),
            failure: None,
            reads_refusal_body: true,
            protocol: None,
            event: None,
            extended_connect: false,
        })
    }

    /// The URL the request goes to.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// The version the request asks for (13, or 8 when the options say).
    pub fn version(&self) -> Version {
        self.version
    }

    /// The subprotocol the server picked, once it agreed.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The status of the server's answer, once read (also when refused).
    pub fn status_code(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status.as_u16())
    }

    /// The headers of the server's answer, once read (also when refused).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response.as_ref().map(|r| &r.headers)
    }

    /// The start of a refusal's body (at most [`MAX_REFUSAL_BODY`]
    /// bytes): the error page a server answered instead of `101`, read
    /// before [`ClientEvent::Failed`] is reported. Empty otherwise.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    pub(crate) fn is_idle(&self) -> bool {
        self.phase == Phase::Idle
    }

    /// Fails at a refusal's head, without reading its body.
    pub(crate) fn fail_at_head(&mut self) {
        self.reads_refusal_body = false;
    }

    pub(crate) fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    pub(crate) fn response(&self) -> Option<&Response> {
        self.response.as_deref()
    }

    pub(crate) fn take_response(&mut self) -> Option<Box<Response>> {
        self.response.take()
    }

    /// Adds a header to the request; before [`start`](Self::start).
    ///
    /// # Errors
    /// A name or value that is not valid HTTP, or a request already sent.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if !self.is_idle() {
            return Err(Error::InvalidHeader(format!(
                "{name}: headers cannot be set after the handshake has started"
            )));
        }
        self.custom_headers.append(name, value)
    }

    /// Sets the origin: `Origin` on RFC 6455, `Sec-WebSocket-Origin` on
    /// draft 8, which named it so (as ws does for `protocolVersion: 8`).
    /// Before [`start`](Self::start).
    ///
    /// # Errors
    /// As [`set_header`](Self::set_header).
    pub fn set_origin(&mut self, origin: &str) -> Result<(), Error> {
        let name = match self.version {
            Version::Hybi8 => "Sec-WebSocket-Origin",
            _ => "Origin",
        };
        self.set_header(name, origin)
    }

    /// Registers an extension to offer; before [`start`](Self::start).
    /// Extensions transform outgoing messages in the order they were
    /// added, incoming in reverse.
    ///
    /// # Errors
    /// An extension that claims bits other than RSV1-RSV3, or a request
    /// already sent.
    pub fn add_extension(&mut self, extension: impl Extension + 'static) -> Result<(), Error> {
        check_extension(&extension)?;
        if !self.is_idle() {
            return Err(Error::InvalidOption(format!(
                "extension {} added after the handshake started",
                extension.name()
            )));
        }
        self.extensions.push(Box::new(extension));
        Ok(())
    }

    pub(crate) fn add_boxed_extension(&mut self, extension: Box<dyn Extension>) {
        self.extensions.push(extension);
    }

    /// Writes the request; the handshake timeout counts from `now`.
    /// Returns `false` if it was already sent.
    pub fn start(&mut self, now: Instant) -> bool {
        self.start_at(Some(now))
    }

    pub(crate) fn start_at(&mut self, now: Option<Instant>) -> bool {
        if self.phase != Phase::Idle {
            return false;
        }
        self.key = super::key::generate_key();
        let offer = negotiation::client_offer(&mut self.extensions);
        client::write_request(
            self.output.buffer(),
            &self.url,
            &self.key,
            &self.options.protocols,
            offer.as_deref(),
            &self.custom_headers,
            self.version == Version::Hybi8,
        );
        // What the request said is not needed again.
        self.custom_headers = CustomHeaders::default();
        self.phase = Phase::ReadingResponse;
        self.timer = Timer::start(self.options.handshake_timeout, now);
        true
    }

    /// Reads the response head, if it is all in, and checks it.
    fn poll(&mut self) -> Option<ClientEvent> {
        if let Some(event) = self.event.take() {
            return Some(event);
        }
        // Over HTTP/2 the answer is a head from the HTTP/2 layer; the
        // stream's bytes are the connection's.
        if self.extended_connect {
            return None;
        }
        if let Phase::ReadingBody(wanted) = self.phase {
            return self.read_body(wanted, false);
        }
        if self.phase != Phase::ReadingResponse {
            return None;
        }
        let failed = |this: &mut Self, error: HandshakeError| {
            this.finish();
            Some(ClientEvent::Failed(Error::Handshake(error)))
        };
        match parse_response(&self.input, self.options.head_limit()) {
            Ok(None) => None,
            Ok(Some((response, len))) => {
                let _ = self.input.split_to(len);
                let result = client::validate(&response, &self.key, &self.options.protocols)
                    .and_then(|protocol| {
                        let accepted = http::joined(&response.headers, "sec-websocket-extensions");
                        negotiation::client_activate(&mut self.extensions, accepted.as_deref())
                            .map_err(HandshakeError::Extensions)?;
                        Ok(protocol)
                    });
                let refused = response.status != 101;
                let wanted = body_length(&response);
                self.response = Some(Box::new(response));
                match result {
                    Ok(protocol) => {
                        self.protocol = protocol;
                        self.phase = Phase::Open;
                        self.timer = Timer::Off;
                        Some(ClientEvent::Open)
                    }
                    // A refusal's page says why: read (the start of) it.
                    Err(error) if refused && self.reads_refusal_body => {
                        self.failure = Some(error);
                        self.phase = Phase::ReadingBody(wanted);
                        self.read_body(wanted, false)
                    }
                    Err(error) => failed(self, error),
                }
            }
            Err(HeadError::TooLarge) => failed(self, HandshakeError::TooLarge),
            Err(HeadError::Malformed(message)) => failed(self, HandshakeError::Malformed(message)),
        }
    }

    /// The refusal, once `wanted` bytes of its body are in (or the stream
    /// ended, when `ended`).
    fn read_body(&mut self, wanted: BodyLength, ended: bool) -> Option<ClientEvent> {
        // How many bytes to wait for, and how many to keep.
        let (wait_for, cap) = match wanted {
            BodyLength::Exactly(length) => (length, length),
            BodyLength::AsArrived => (0, MAX_REFUSAL_BODY),
            BodyLength::UntilEnd => (MAX_REFUSAL_BODY, MAX_REFUSAL_BODY),
        };
        if self.input.len() < wait_for && !ended {
            return None;
        }
        let keep = self.input.len().min(cap);
        self.body = self.input.split_to(keep).freeze();
        let error = self
            .failure
            .take()
            .unwrap_or(HandshakeError::UnexpectedStatus(0));
        self.finish();
        Some(ClientEvent::Failed(Error::Handshake(error)))
    }

    pub(crate) fn settle_timer(&mut self, now: Instant) {
        self.timer.settle(now);
    }

    pub(crate) fn has_timer(&self) -> bool {
        self.timer.is_running()
    }

    /// The open connection, with the bytes read past the response; its
    /// timers start at `now`. Gives the handshake back until
    /// [`ClientEvent::Open`].
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
            role: Role::Client,
            version: this.version,
            protocol: this.protocol,
            extensions: this.extensions,
            input: this.input,
            output: this.output,
        };
        Ok(Connection::open(agreed, &this.options, now))
    }

    fn finish(&mut self) {
        self.phase = Phase::Done;
        self.timer = Timer::Off;
        self.input = BytesMut::new();
    }
}

impl Machine for ClientHandshake {
    type Event = ClientEvent;

    fn poll_event(&mut self) -> Option<ClientEvent> {
        self.poll()
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    fn received(&mut self, now: Instant) {
        self.timer.settle(now);
    }

    /// The handshake is over without a connection. No event follows
    /// (the transport's end is the caller's news), except the refusal
    /// whose body ran to the end of the stream.
    fn transport_closed(&mut self) {
        if let Phase::ReadingBody(wanted) = self.phase {
            self.event = self.read_body(wanted, true);
        } else if self.phase != Phase::Open {
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

    /// Past the handshake timeout, [`ClientEvent::Failed`] with
    /// [`Error::HandshakeTimeout`] follows.
    fn handle_timeout(&mut self, now: Instant) {
        self.timer.settle(now);
        if !self.timer.is_due(now) {
            return;
        }
        match self.phase {
            Phase::ReadingResponse => {
                self.finish();
                self.event = Some(ClientEvent::Failed(Error::HandshakeTimeout));
            }
            // A refusal is a refusal, however much of its page came.
            Phase::ReadingBody(wanted) => self.event = self.read_body(wanted, true),
            _ => {}
        }
    }
}

/// How much of a refusal's body to wait for (see [`BodyLength`]).
fn body_length(response: &Response) -> BodyLength {
    let headers = &response.headers;
    if headers.contains_key("transfer-encoding") {
        return BodyLength::AsArrived;
    }
    match headers.get("content-length") {
        Some(length) => match length.to_str().map(|l| l.trim().parse::<usize>()) {
            Ok(Ok(length)) => BodyLength::Exactly(length.min(MAX_REFUSAL_BODY)),
            _ => BodyLength::AsArrived,
        },
        None => BodyLength::UntilEnd,
    }
}
