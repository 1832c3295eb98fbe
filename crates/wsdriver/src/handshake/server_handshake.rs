//! [`ServerHandshake`]: a server's side of the opening handshake, from the
//! request head (read from raw bytes, or handed over already parsed) to
//! the `101` and, for hixie-76, the challenge answer. It then hands the
//! bytes read past the handshake to a [`Connection`].

use super::server::{self, Settings};
use crate::close::CloseCode;
use crate::connection::{Agreed, Connection};
use crate::error::Error;
use crate::extensions::negotiation::Registry;
use crate::extensions::Extension;
use crate::hixie::handshake::{challenge_answer, BODY_LEN};
use crate::http::{
    self, parse_request, CustomHeaders, HeadError, HttpRequest, Refusal, Request, ResponseHead,
};
use crate::options::Options;
use crate::output::Output;
use crate::timer::Timer;
use crate::{Role, Version};
use bytes::BytesMut;
use std::time::Instant;
use url::Url;

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
pub(crate) enum ServerEvent {
    /// The request head is in: look at it, then accept or refuse.
    Request,
    /// The handshake is complete: make the connection.
    Open,
    /// The handshake failed: any answer (a refusal, 408) is in the output.
    Failed(Error),
}

pub(crate) struct ServerHandshake {
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
    url: Option<Url>,
    event: Option<ServerEvent>,
}

impl ServerHandshake {
    /// A server that reads the request head from the connection's bytes.
    pub fn new(options: Options, now: Option<Instant>) -> Self {
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
            url: None,
            event: None,
        }
    }

    /// A server for a request something else parsed.
    pub fn for_request(request: &impl HttpRequest, options: Options, now: Option<Instant>) -> Self {
        let mut handshake = ServerHandshake::new(options, now);
        handshake.request = Some(Box::new(Request::from_any(request)));
        handshake.phase = Phase::AwaitingAnswer;
        handshake
    }

    pub fn request(&self) -> Option<&Request> {
        self.request.as_deref()
    }

    pub fn version(&self) -> Option<Version> {
        self.version
    }

    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    pub fn url(&self) -> Option<&Url> {
        self.url.as_ref()
    }

    /// Bytes past the request head not yet read.
    pub fn body(&self) -> &[u8] {
        &self.input
    }

    pub fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    pub fn output(&mut self) -> &mut Output {
        &mut self.output
    }

    pub fn output_ref(&self) -> &Output {
        &self.output
    }

    /// Whether headers and extensions may still be added.
    pub fn is_unanswered(&self) -> bool {
        matches!(self.phase, Phase::ReadingRequest | Phase::AwaitingAnswer)
    }

    pub fn options_mut(&mut self) -> &mut Options {
        &mut self.options
    }

    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        self.custom_headers.append(name, value)
    }

    pub fn add_extension(&mut self, extension: Box<dyn Extension>) {
        self.extensions.push(extension);
    }

    /// Reads what the input allows: the request head, or the challenge.
    pub fn poll(&mut self) -> Option<ServerEvent> {
        if let Some(event) = self.event.take() {
            return Some(event);
        }
        match self.phase {
            Phase::ReadingRequest => {
                match parse_request(&self.input, self.options.max_handshake_size) {
                    Ok(None) => None,
                    Ok(Some((request, len))) => {
                        let _ = self.input.split_to(len);
                        self.request = Some(Box::new(request));
                        self.phase = Phase::AwaitingAnswer;
                        Some(ServerEvent::Request)
                    }
                    Err(error) => {
                        let (status, message) = match error {
                            HeadError::TooLarge => {
                                (431, "Request header fields too large".to_owned())
                            }
                            HeadError::Malformed(message) => (400, message),
                        };
                        Some(self.refuse(Refusal::new(status, message)))
                    }
                }
            }
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

    /// Checks the request and answers it. `Ok` holds the `101`, which is
    /// also written to the output when `write` is set (a raw stream);
    /// a refusal is always written, and reported by the next `poll`.
    pub fn accept(&mut self, write: bool) -> Result<ResponseHead, Error> {
        if self.phase != Phase::AwaitingAnswer {
            return Err(Error::Closed);
        }
        let request = self.request.take().expect("a request awaits an answer");
        self.url = server_url(&request);
        let location = self.url.as_ref().map_or("", Url::as_str);
        let settings = Settings {
            protocols: &self.options.protocols,
            allow_drafts: self.options.allow_drafts,
            location,
            custom: &self.custom_headers,
        };
        let result = server::accept(request.as_ref(), &settings, &mut self.extensions);
        self.request = Some(request);
        match result {
            Ok((accepted, head)) => {
                if write {
                    head.write(self.output.buffer());
                }
                self.version = Some(accepted.version);
                self.protocol = accepted.protocol;
                match accepted.challenge {
                    Some(keys) => self.phase = Phase::AwaitingChallenge(keys),
                    None => {
                        self.phase = Phase::Open;
                        self.event = Some(ServerEvent::Open);
                    }
                }
                Ok(head)
            }
            Err(refusal) => {
                let event = self.refuse(refusal);
                let ServerEvent::Failed(error) = &event else {
                    unreachable!()
                };
                let error = error.clone();
                self.event = Some(event);
                Err(error)
            }
        }
    }

    /// Answers with a plain response of the caller's own (not a WebSocket).
    pub fn reject(&mut self, status: u16, body: &str) -> Result<(), Error> {
        if self.phase != Phase::AwaitingAnswer {
            return Err(Error::Closed);
        }
        if !(200..=599).contains(&status) {
            return Err(Error::InvalidOption(format!(
                "{status} is not a final HTTP status"
            )));
        }
        let mut head = ResponseHead::plain(status, body);
        head.extend(&self.custom_headers);
        head.write(self.output.buffer());
        self.finish();
        Ok(())
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timer.deadline()
    }

    pub fn settle_timer(&mut self, now: Instant) {
        self.timer.settle(now);
    }

    pub fn has_timer(&self) -> bool {
        self.timer.is_running()
    }

    /// A handshake past its deadline: a server holding any of the request
    /// answers 408 (one that received nothing just closes).
    pub fn handle_timeout(&mut self, now: Instant) -> Option<ServerEvent> {
        self.timer.settle(now);
        if !self.timer.is_due(now) {
            return None;
        }
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

    /// The transport ended before the handshake did.
    pub fn transport_closed(&mut self) {
        self.finish();
    }

    /// The open connection, with the bytes read past the handshake and the
    /// output not yet written.
    pub fn into_connection(self: Box<Self>, now: Option<Instant>) -> Result<Connection, Box<Self>> {
        if self.phase != Phase::Open {
            return Err(self);
        }
        let this = *self;
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

/// The close code a failed server handshake reports.
pub(crate) fn failure_code(error: &Error) -> CloseCode {
    match error {
        Error::HandshakeTimeout | Error::BadRequest { status: 408, .. } => CloseCode::ABNORMAL,
        _ => CloseCode::PROTOCOL_ERROR,
    }
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
