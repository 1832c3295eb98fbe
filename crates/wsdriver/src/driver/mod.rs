//! [`Driver`]: one WebSocket connection as a state machine with Node's
//! websocket-driver API. Bytes go in with [`Driver::parse`], bytes to send
//! come out of the output buffer, and what happened comes out of
//! [`Driver::poll_event`]. The driver owns no socket and reads no clock.
//!
//! It is a front over the machines that do the work: a handshake
//! ([`ServerHandshake`] or [`ClientHandshake`]) until it opens, then a
//! [`Connection`]. What the front adds is websocket-driver's shape: one
//! object for the whole life of the connection, messages queued before
//! open, `Connect`/`Open`/`Close` events, and calls that take no time.

mod send;
mod transport;

use crate::close::CloseCode;
use crate::connection::Connection;
use crate::error::Error;
use crate::event::{CloseEvent, Event};
use crate::extensions::Extension;
use crate::handshake::client_handshake::ClientHandshake;
use crate::handshake::server_handshake::{
    check_extension, failure_code, ServerEvent, ServerHandshake,
};
use crate::http::{HttpRequest, Request, Response};
use crate::hybi::frame::Opcode;
use crate::hybi::sender::Payload;
use crate::kinds::{ReadyState, Role, Version};
use crate::machine::Machine;
use crate::options::Options;
use ::http::HeaderMap;
use bytes::Bytes;
use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;
use url::Url;

// The open connection is kept inline (it is what lives long); the
// handshakes, which are short-lived and larger, are boxed.
#[allow(clippy::large_enum_variant)]
enum Stage {
    Server(Box<ServerHandshake>),
    Client(Box<ClientHandshake>),
    Open(Connection),
    /// Only while one stage turns into the next.
    Moving,
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
    stage: Stage,
    /// Events of the handshake (`Connect`, `Open`, its failure); the
    /// connection keeps its own.
    events: VecDeque<Event>,
    /// What the caller sent before the handshake finished, in order.
    queue: Vec<(Opcode, Bytes)>,
    queued_pings: u64,
    /// The handshake ended without a connection (refused, failed, closed).
    ended: bool,
    url: Option<Url>,
    /// The server's answer, on a client.
    response: Option<Box<Response>>,
}

impl fmt::Debug for Driver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Driver")
            .field("role", &self.role)
            .field("ready_state", &self.ready_state())
            .field("version", &self.version())
            .field("protocol", &self.protocol())
            .field("buffered_amount", &self.buffered_amount())
            .finish_non_exhaustive()
    }
}

impl Driver {
    fn new(role: Role, stage: Stage, url: Option<Url>) -> Self {
        Driver {
            role,
            stage,
            events: VecDeque::new(),
            queue: Vec::new(),
            queued_pings: 0,
            ended: false,
            url,
            response: None,
        }
    }

    /// A client for a `ws:` or `wss:` URL. Userinfo in the URL becomes a
    /// Basic `Authorization` header. Call [`start`](Self::start) once the
    /// transport (and TLS, for `wss:`) is up.
    ///
    /// # Errors
    /// An invalid URL or option.
    pub fn client(url: &str, options: Options) -> Result<Self, Error> {
        options.validate()?;
        let mut handshake = ClientHandshake::new(url, options)?;
        // websocket-driver reports a refusal as soon as its head is in.
        handshake.fail_at_head();
        let url = Some(handshake.url().clone());
        Ok(Self::new(
            Role::Client,
            Stage::Client(Box::new(handshake)),
            url,
        ))
    }

    /// A server that reads the HTTP request head itself: feed it the
    /// connection's bytes, wait for [`Event::Connect`], look at
    /// [`request`](Self::request), then [`start`](Self::start).
    ///
    /// # Errors
    /// An invalid option.
    pub fn server(options: Options) -> Result<Self, Error> {
        options.validate()?;
        let handshake = ServerHandshake::new_at(options, None);
        Ok(Self::new(
            Role::Server,
            Stage::Server(Box::new(handshake)),
            None,
        ))
    }

    /// A server for a request something else parsed (hyper, axum, your own
    /// HTTP code). Feed it any bytes read after the head, then
    /// [`start`](Self::start).
    ///
    /// # Errors
    /// An invalid option.
    pub fn http(request: &impl HttpRequest, options: Options) -> Result<Self, Error> {
        options.validate()?;
        let handshake = ServerHandshake::for_request_at(request, options, None);
        Ok(Self::new(
            Role::Server,
            Stage::Server(Box::new(handshake)),
            None,
        ))
    }

    /// Client or server, fixed when the driver is made.
    pub fn role(&self) -> Role {
        self.role
    }

    /// Where the connection is, as the WebSocket API's `readyState`.
    #[inline]
    pub fn ready_state(&self) -> ReadyState {
        match &self.stage {
            Stage::Open(connection) => connection.ready_state(),
            _ if self.ended => ReadyState::Closed,
            _ => ReadyState::Connecting,
        }
    }

    /// The protocol version: known on a client from the start, on a server
    /// once the handshake is accepted.
    pub fn version(&self) -> Option<Version> {
        match &self.stage {
            Stage::Server(handshake) => handshake.version(),
            Stage::Client(handshake) => Some(handshake.version()),
            Stage::Open(connection) => Some(connection.version()),
            Stage::Moving => None,
        }
    }

    /// The subprotocol both sides agreed on, once open.
    pub fn protocol(&self) -> Option<&str> {
        match &self.stage {
            Stage::Server(handshake) => handshake.protocol(),
            Stage::Open(connection) => connection.protocol(),
            _ => None,
        }
    }

    /// The connection's URL: the client's target, or on a server the URL
    /// the request addressed (`wss:` when proxy headers say TLS).
    pub fn url(&self) -> Option<&Url> {
        match &self.stage {
            Stage::Server(handshake) => handshake.url(),
            _ => self.url.as_ref(),
        }
    }

    /// The request a server is answering, from [`Event::Connect`] until
    /// the connection opens.
    ///
    /// Read what you need of it (the target, a cookie, `Origin`) before
    /// [`start`](Self::start), or clone it: an open connection does not
    /// keep it, since a browser's request head often costs more memory
    /// than everything else an idle connection holds.
    pub fn request(&self) -> Option<&Request> {
        match &self.stage {
            Stage::Server(handshake) => handshake.request(),
            _ => None,
        }
    }

    /// Bytes that followed the request head and have not been read as
    /// frames yet: a raw server's view of the request body at `Connect`.
    pub fn body(&self) -> &[u8] {
        match &self.stage {
            Stage::Server(handshake) if handshake.is_unanswered() => handshake.body(),
            _ => &[],
        }
    }

    /// The status of the server's response, on a client.
    pub fn status_code(&self) -> Option<u16> {
        self.response().map(|r| r.status.as_u16())
    }

    /// The headers of the server's response, on a client.
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response().map(|r| &r.headers)
    }

    fn response(&self) -> Option<&Response> {
        match &self.stage {
            Stage::Client(handshake) => handshake.response(),
            _ => self.response.as_deref(),
        }
    }

    /// A driver for the HTTP CONNECT proxy at `proxy_url` (`http:` or
    /// `https:`, userinfo becomes Basic `Proxy-Authorization`) that opens
    /// a tunnel to this client's URL. Run it on the connection to the proxy
    /// first; after its `Connect` event, feed its remaining bytes to this
    /// driver and call [`start`](Self::start).
    ///
    /// # Errors
    /// On a server, or for an invalid proxy URL.
    pub fn proxy(&self, proxy_url: &str) -> Result<crate::proxy::Proxy, Error> {
        let url = self
            .url
            .as_ref()
            .filter(|_| self.role == Role::Client)
            .ok_or_else(|| {
                Error::InvalidOption("only a client driver can go through a proxy".into())
            })?;
        crate::proxy::Proxy::new(url.as_str(), proxy_url)
    }

    /// Adds a header to the handshake this side sends; only before
    /// [`start`](Self::start).
    ///
    /// # Errors
    /// An invalid name or value, or a handshake already sent.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Client(handshake) if handshake.is_idle() => handshake.set_header(name, value),
            Stage::Server(handshake) if handshake.is_unanswered() => {
                handshake.set_header(name, value)
            }
            _ => Err(Error::InvalidHeader(format!(
                "{name}: headers cannot be set after the handshake has started"
            ))),
        }
    }

    /// Sets the client's origin: `Origin` on RFC 6455, `Sec-WebSocket-Origin`
    /// on draft 8, which named it so (as ws does for `protocolVersion: 8`).
    /// Only before [`start`](Self::start).
    ///
    /// # Errors
    /// As [`set_header`](Self::set_header).
    pub fn set_origin(&mut self, origin: &str) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Client(handshake) => handshake.set_origin(origin),
            _ => self.set_header("Origin", origin),
        }
    }

    /// Registers an extension to offer (client) or accept (server); only
    /// before [`start`](Self::start). Extensions transform outgoing
    /// messages in the order they were added, incoming in reverse.
    ///
    /// # Errors
    /// A handshake already sent, or an extension that claims bits other
    /// than RSV1-RSV3.
    pub fn add_extension(&mut self, extension: impl Extension + 'static) -> Result<(), Error> {
        check_extension(&extension)?;
        match &mut self.stage {
            Stage::Client(handshake) if handshake.is_idle() => {
                handshake.add_boxed_extension(Box::new(extension));
            }
            Stage::Server(handshake) if handshake.is_unanswered() => {
                handshake.add_boxed_extension(Box::new(extension));
            }
            _ => {
                return Err(Error::InvalidOption(format!(
                    "extension {} added after the handshake started",
                    extension.name()
                )))
            }
        }
        Ok(())
    }

    /// Sends the handshake: the request on a client, the response on a
    /// server. Returns whether a handshake was sent; a server that refuses
    /// the request sends the refusal, reports `Error` and `Close`, and
    /// returns `false`.
    pub fn start(&mut self) -> bool {
        match &mut self.stage {
            Stage::Client(handshake) => handshake.start_at(None),
            Stage::Server(handshake) if handshake.request().is_some() && !self.ended => {
                let accepted = handshake.accept().is_ok();
                // An accepted RFC 6455 handshake is open at once, as is a
                // hixie-76 one whose challenge is already in; a refusal is
                // reported at once.
                match handshake.poll_event() {
                    Some(ServerEvent::Open) => self.open(),
                    Some(ServerEvent::Failed(error)) => self.handshake_failed(error),
                    _ => {}
                }
                accepted
            }
            _ => false,
        }
    }

    /// Answers a request with a plain HTTP response instead of a WebSocket
    /// (a raw server's other requests, or a refusal of your own), then
    /// closes. This is the caller's own decision, so no event follows:
    /// write the output and end the transport.
    ///
    /// # Errors
    /// [`Error::Closed`] unless a request awaits an answer; a status that
    /// is not final.
    pub fn reject(&mut self, status: u16, body: &str) -> Result<(), Error> {
        let Stage::Server(handshake) = &mut self.stage else {
            return Err(Error::Closed);
        };
        handshake.reject(status, body)?;
        self.ended = true;
        self.queue.clear();
        Ok(())
    }

    /// The open connection, for callers that no longer need the driver's
    /// websocket-driver shape (its events up to `Open` must have been
    /// taken); timers its calls started without a time count from `now`.
    /// Gives the driver back if it is not open.
    ///
    /// # Errors
    /// The driver itself, while connecting or with events still queued.
    pub fn into_connection(self, now: Instant) -> Result<Connection, Box<Driver>> {
        match self.stage {
            Stage::Open(mut connection) if self.events.is_empty() => {
                connection.settle_timers(now);
                Ok(connection)
            }
            _ => Err(Box::new(self)),
        }
    }

    /// The handshake is complete: open the connection, flush the queue,
    /// then report `Open`.
    fn open(&mut self) {
        let stage = std::mem::replace(&mut self.stage, Stage::Moving);
        let opened = match stage {
            Stage::Server(handshake) => {
                self.url = handshake.url().cloned();
                handshake
                    .open_at(None)
                    .map_err(|h| Stage::Server(Box::new(h)))
            }
            Stage::Client(mut handshake) => {
                self.response = handshake.take_response();
                handshake
                    .open_at(None)
                    .map_err(|h| Stage::Client(Box::new(h)))
            }
            other => Err(other),
        };
        let mut connection = match opened {
            Ok(connection) => connection,
            Err(stage) => {
                self.stage = stage;
                return;
            }
        };
        for (opcode, payload) in std::mem::take(&mut self.queue) {
            let ping = (opcode == Opcode::Ping).then(|| payload.clone());
            match connection.send_frame(opcode, Payload::Owned(payload)) {
                Ok(()) => {
                    if let Some(ping) = ping {
                        connection.remember_ping(&ping);
                    }
                }
                // Queued before the version was known: say what was dropped.
                Err(error @ Error::Unsupported(_)) => self.events.push_back(Event::Unsent(error)),
                Err(_) => break,
            }
        }
        connection.skip_ping_ids(self.queued_pings);
        let failed = connection.ready_state() == ReadyState::Closed;
        self.stage = Stage::Open(connection);
        if !failed {
            self.events.push_back(Event::Open);
        }
    }

    fn handshake_failed(&mut self, error: Error) {
        let code = failure_code(&error);
        let reason = error.to_string();
        self.end_handshake(code, reason, Some(error));
    }

    /// A handshake that will not open: `Close`, and nothing more.
    fn end_handshake(&mut self, code: CloseCode, reason: String, error: Option<Error>) {
        match &mut self.stage {
            Stage::Server(handshake) => handshake.transport_closed(),
            Stage::Client(handshake) => handshake.transport_closed(),
            _ => {}
        }
        self.ended = true;
        self.queue.clear();
        let event = match error {
            Some(error) => CloseEvent::failed(code, reason, error),
            None => CloseEvent::new(code, reason, false),
        };
        self.events.push_back(Event::Close(event));
    }
}
