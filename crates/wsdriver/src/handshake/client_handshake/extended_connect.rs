//! RFC 8441 on the client: a WebSocket opened as one stream of an HTTP/2
//! connection. The machine builds the extended CONNECT's head and checks
//! the answer that the HTTP/2 layer hands back as a head; the stream's
//! bytes then run through the same `Connection` as a TCP connection's.

use super::{ClientEvent, ClientHandshake, Phase};
use crate::error::{Error, HandshakeError};
use crate::extensions::negotiation;
use crate::handshake::client;
use crate::http::{self, CustomHeaders, Response};
use crate::kinds::Version;
use crate::timer::Timer;
use ::http::HeaderMap;
use std::time::Instant;

impl ClientHandshake {
    /// RFC 8441: opens the WebSocket as one stream of an HTTP/2
    /// connection instead of writing an HTTP/1.1 upgrade. Returns the
    /// extended CONNECT's head for the HTTP/2 layer to send (its
    /// `:protocol` is the [`ConnectProtocol`](crate::ConnectProtocol)
    /// extension); give its answer to
    /// [`extended_connect_response`](Self::extended_connect_response).
    /// The stream's data then flows through this machine's input and
    /// output as a TCP connection's would. The handshake timeout counts
    /// from `now`.
    ///
    /// # Errors
    /// [`Error::Closed`] once started; [`Error::Unsupported`] for
    /// `protocol_version(8)`, which predates HTTP/2; a custom header that
    /// HTTP/2 cannot carry.
    pub fn extended_connect(&mut self, now: Instant) -> Result<::http::Request<()>, Error> {
        if self.phase != Phase::Idle {
            return Err(Error::Closed);
        }
        if self.version != Version::Hybi13 {
            return Err(Error::Unsupported(
                "RFC 8441 opens version 13 WebSockets only",
            ));
        }
        let offer = negotiation::client_offer(&mut self.extensions);
        let request = client::extended_connect_request(
            &self.url,
            &self.options.protocols,
            offer.as_deref(),
            &self.custom_headers,
        )?;
        self.custom_headers = CustomHeaders::default();
        self.extended_connect = true;
        self.phase = Phase::ReadingResponse;
        self.timer = Timer::start(self.options.handshake_timeout, Some(now));
        Ok(request)
    }

    /// The answer to the [`extended_connect`](Self::extended_connect), as
    /// the HTTP/2 layer received it: a 2xx with what the server agreed to
    /// opens ([`ClientEvent::Open`]); anything else fails
    /// ([`ClientEvent::Failed`]). Ignored unless an extended CONNECT
    /// awaits its answer.
    pub fn extended_connect_response(&mut self, status: u16, headers: HeaderMap) {
        if !self.extended_connect || self.phase != Phase::ReadingResponse {
            return;
        }
        let result = client::validate_extended_connect(status, &headers, &self.options.protocols)
            .and_then(|protocol| {
                let accepted = http::joined(&headers, "sec-websocket-extensions");
                negotiation::client_activate(&mut self.extensions, accepted.as_deref())
                    .map_err(HandshakeError::Extensions)?;
                Ok(protocol)
            });
        self.response = ::http::StatusCode::from_u16(status)
            .ok()
            .map(|status| Box::new(Response { status, headers }));
        self.event = Some(match result {
            Ok(protocol) => {
                self.protocol = protocol;
                self.phase = Phase::Open;
                self.timer = Timer::Off;
                ClientEvent::Open
            }
            Err(error) => {
                self.finish();
                ClientEvent::Failed(Error::Handshake(error))
            }
        });
    }
}
