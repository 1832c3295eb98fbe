//! Errors: from the caller's misuse (returned) and from the peer or the
//! handshake (in the [`CloseEvent`](crate::CloseEvent) that ends the
//! connection).

use crate::close::CloseCode;
use std::fmt;

/// Why a driver call failed, or (in a [`CloseEvent`](crate::CloseEvent))
/// why the connection did. Non-exhaustive: match with a wildcard arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The URL given to a client is not a usable `ws:`/`wss:` URL.
    InvalidUrl(String),
    /// An option has a value the driver cannot work with.
    InvalidOption(String),
    /// A header name or value is not valid HTTP, or was set too late.
    InvalidHeader(String),
    /// `close` was given a code an application may not send.
    InvalidCloseCode(CloseCode),
    /// A close reason or ping/pong payload is longer than a control frame
    /// allows.
    ControlPayloadTooLong(usize),
    /// The driver can no longer send: it is closing or closed.
    Closed,
    /// The driver does not support the operation in its protocol version.
    Unsupported(&'static str),
    /// The server's handshake response was not acceptable.
    Handshake(HandshakeError),
    /// The client's request was not acceptable; `status` was the answer.
    BadRequest {
        /// The HTTP status sent back: 400, 405, 426 (version), 431 (head
        /// too large), ...
        status: u16,
        /// Why; also the plain-text body of that response.
        message: String,
    },
    /// The opening handshake took longer than
    /// [`Options::handshake_timeout`](crate::Options::handshake_timeout).
    /// (A server that had part of a request answered 408 and reports
    /// [`Error::BadRequest`] instead.)
    HandshakeTimeout,
    /// The peer broke the protocol; `code` was sent in our close frame.
    Protocol {
        /// The close code sent (RFC 6455 §7.4): 1002, 1007, 1009, ...
        code: CloseCode,
        /// What went wrong; its first 123 bytes were the close reason.
        message: String,
    },
    /// An HTTP proxy did not open a tunnel: it answered `status` (not 2xx),
    /// or (`status` is `None`) sent no valid HTTP answer.
    Proxy {
        /// The proxy's HTTP status; `None` if it closed or sent no valid
        /// response head.
        status: Option<u16>,
        /// websocket-driver's `Can't establish a connection to the server at …`,
        /// with the reason when one is known.
        message: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidUrl(msg) => write!(f, "Invalid URL: {msg}"),
            Error::InvalidOption(msg) => write!(f, "Invalid option: {msg}"),
            Error::InvalidHeader(msg) => write!(f, "Invalid header: {msg}"),
            Error::InvalidCloseCode(code) => write!(
                f,
                "Invalid close code {code}: use 1000-1003, 1007-1014 or 3000-4999"
            ),
            Error::ControlPayloadTooLong(len) => write!(
                f,
                "Control frame payload of {len} bytes is too long (close reasons: 123 bytes, ping/pong: 125)"
            ),
            Error::Closed => f.write_str("The WebSocket is closing or closed"),
            Error::Unsupported(what) => write!(f, "Not supported by this protocol version: {what}"),
            Error::HandshakeTimeout => f.write_str("Opening handshake has timed out"),
            Error::Handshake(error) => write!(f, "Error during WebSocket handshake: {error}"),
            Error::BadRequest { message, .. }
            | Error::Protocol { message, .. }
            | Error::Proxy { message, .. } => {
                f.write_str(message)
            }
        }
    }
}

/// `Display` already says what a handshake error says, so `source`
/// goes on from there (an error chain printed whole says nothing twice).
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Handshake(error) => std::error::Error::source(error),
            _ => None,
        }
    }
}

/// Why a client refused the server's handshake answer; `Display` has
/// websocket-driver's words.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandshakeError {
    /// The answer was not `101` (a client gets the status and headers from
    /// [`Driver::status_code`](crate::Driver::status_code) and
    /// [`Driver::headers`](crate::Driver::headers)).
    UnexpectedStatus(u16),
    /// No `Upgrade` header.
    MissingUpgrade,
    /// `Upgrade` is not `websocket`.
    InvalidUpgrade,
    /// No `Connection` header.
    MissingConnection,
    /// `Connection` does not hold `Upgrade`.
    InvalidConnection,
    /// `Sec-WebSocket-Accept` does not answer our key.
    AcceptMismatch,
    /// The server picked a subprotocol we did not offer.
    ProtocolMismatch,
    /// The server's `Sec-WebSocket-Extensions` cannot be accepted: an
    /// extension we did not offer, one named twice, RSV bits claimed twice,
    /// parameters an extension refused, or a header that does not parse.
    Extensions(String),
    /// The response head passed `max_handshake_size`.
    TooLarge,
    /// The response is not HTTP/1.1.
    Malformed(String),
}

impl fmt::Display for HandshakeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HandshakeError::UnexpectedStatus(status) => {
                write!(f, "Unexpected response code: {status}")
            }
            HandshakeError::MissingUpgrade => f.write_str("'Upgrade' header is missing"),
            HandshakeError::InvalidUpgrade => {
                f.write_str("'Upgrade' header value is not 'WebSocket'")
            }
            HandshakeError::MissingConnection => f.write_str("'Connection' header is missing"),
            HandshakeError::InvalidConnection => {
                f.write_str("'Connection' header value is not 'Upgrade'")
            }
            HandshakeError::AcceptMismatch => f.write_str("Sec-WebSocket-Accept mismatch"),
            HandshakeError::ProtocolMismatch => f.write_str("Sec-WebSocket-Protocol mismatch"),
            HandshakeError::TooLarge => f.write_str("Response header fields too large"),
            HandshakeError::Extensions(message) | HandshakeError::Malformed(message) => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for HandshakeError {}
