//! Errors: from the caller's misuse (returned) and from the peer or the
//! handshake (returned, and reported as [`Event::Error`](crate::Event::Error)).

use std::fmt;

/// Why a driver call failed, or (in [`Event::Error`](crate::Event::Error))
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
    InvalidCloseCode(u16),
    /// A close reason or ping/pong payload is longer than a control frame
    /// allows.
    ControlPayloadTooLong(usize),
    /// The driver can no longer send: it is closing or closed.
    Closed,
    /// The driver does not support the operation in its protocol version.
    Unsupported(&'static str),
    /// The server's handshake response was not acceptable.
    Handshake(String),
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
        code: u16,
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
                "Invalid close code {code}: use 1000 or a code from 3000 to 4999"
            ),
            Error::ControlPayloadTooLong(len) => write!(
                f,
                "Control frame payload of {len} bytes is too long (close reasons: 123 bytes, ping/pong: 125)"
            ),
            Error::Closed => f.write_str("The WebSocket is closing or closed"),
            Error::Unsupported(what) => write!(f, "Not supported by this protocol version: {what}"),
            Error::HandshakeTimeout => f.write_str("Opening handshake has timed out"),
            Error::Handshake(msg) => write!(f, "Error during WebSocket handshake: {msg}"),
            Error::BadRequest { message, .. }
            | Error::Protocol { message, .. }
            | Error::Proxy { message, .. } => {
                f.write_str(message)
            }
        }
    }
}

impl std::error::Error for Error {}
