//! [`ClientHandshake`]: a client's side of the opening handshake: the
//! request, then every check on the server's answer. It then hands the
//! bytes read past the response to a [`Connection`].

use super::client;
use crate::connection::{Agreed, Connection};
use crate::error::{Error, HandshakeError};
use crate::extensions::negotiation::{self, Registry};
use crate::extensions::Extension;
use crate::http::{self, parse_response, CustomHeaders, HeadError, Response};
use crate::options::Options;
use crate::output::Output;
use crate::timer::Timer;
use crate::{Role, Version};
use bytes::BytesMut;
use std::time::Instant;
use url::Url;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `start`: headers and extensions may still be added.
    Idle,
    /// The request is out; reading the response head.
    ReadingResponse,
    /// The server agreed: ready to become a connection.
    Open,
    /// The handshake failed or timed out.
    Done,
}

/// What a [`ClientHandshake`] has to say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ClientEvent {
    Open,
    Failed(Error),
}

pub(crate) struct ClientHandshake {
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
    protocol: Option<String>,
}

impl ClientHandshake {
    pub fn new(url: &str, options: Options) -> Result<Self, Error> {
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
            protocol: None,
        })
    }

    pub fn url(&self) -> &Url {
        &self.url
    }

    pub fn version(&self) -> Version {
        self.version
    }

    pub fn is_idle(&self) -> bool {
        self.phase == Phase::Idle
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

    pub fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    pub fn output(&mut self) -> &mut Output {
        &mut self.output
    }

    pub fn output_ref(&self) -> &Output {
        &self.output
    }

    /// The server's answer, once read (kept even when it was refused).
    pub fn response(&self) -> Option<&Response> {
        self.response.as_deref()
    }

    pub fn take_response(&mut self) -> Option<Box<Response>> {
        self.response.take()
    }

    /// Writes the request and starts the handshake timer.
    pub fn start(&mut self, now: Option<Instant>) -> bool {
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
    pub fn poll(&mut self) -> Option<ClientEvent> {
        if self.phase != Phase::ReadingResponse {
            return None;
        }
        let failed = |this: &mut Self, error: HandshakeError| {
            this.finish();
            Some(ClientEvent::Failed(Error::Handshake(error)))
        };
        match parse_response(&self.input, self.options.max_handshake_size) {
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
                self.response = Some(Box::new(response));
                match result {
                    Ok(protocol) => {
                        self.protocol = protocol;
                        self.phase = Phase::Open;
                        self.timer = Timer::Off;
                        Some(ClientEvent::Open)
                    }
                    Err(message) => failed(self, message),
                }
            }
            Err(HeadError::TooLarge) => failed(self, HandshakeError::TooLarge),
            Err(HeadError::Malformed(message)) => failed(self, HandshakeError::Malformed(message)),
        }
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

    pub fn handle_timeout(&mut self, now: Instant) -> Option<ClientEvent> {
        self.timer.settle(now);
        if !self.timer.is_due(now) || self.phase != Phase::ReadingResponse {
            return None;
        }
        self.finish();
        Some(ClientEvent::Failed(Error::HandshakeTimeout))
    }

    pub fn transport_closed(&mut self) {
        self.finish();
    }

    /// The open connection, with the bytes read past the response.
    pub fn into_connection(self: Box<Self>, now: Option<Instant>) -> Result<Connection, Box<Self>> {
        if self.phase != Phase::Open {
            return Err(self);
        }
        let this = *self;
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
