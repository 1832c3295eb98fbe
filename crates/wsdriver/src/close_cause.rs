//! Why a connection ended, as a type: a peer hanging up and an idle
//! timeout both end in 1006, and code alone cannot tell them apart, nor
//! can a log line or a CLI's exit status built from the code.

use crate::error::Error;
use std::fmt;
use std::io;

/// What ended a connection ([`CloseEvent::cause`](crate::CloseEvent::cause)).
///
/// Read it with the event's `code` and `clean`: `PeerClosed` with
/// `clean: true` is an ordinary goodbye; `IdleTimeout` and
/// `TransportClosed` both come with 1006, and only this says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseCause {
    /// The peer started the close handshake; the event's code and reason
    /// are its own.
    PeerClosed,
    /// This side started it (`close`, `going_away`, a server's shutdown)
    /// and the peer answered (the event's code is the answer's); on the
    /// drafts, which have no answer, at once.
    LocallyClosed,
    /// The peer broke the protocol or a limit: the event's code is the
    /// one we sent (1002, 1007, 1009, 1011...) and its `error` says which
    /// rule.
    ProtocolError,
    /// Nothing came from the peer for
    /// [`Options::idle_timeout`](crate::Options::idle_timeout).
    IdleTimeout,
    /// The peer did not answer our close frame within
    /// [`Options::close_timeout`](crate::Options::close_timeout).
    CloseTimeout,
    /// The transport ended (the peer hung up) without a close handshake,
    /// or before it finished.
    TransportClosed,
    /// The transport failed with an I/O error of this kind (a reset, a
    /// broken pipe...) without a close handshake, or before it finished.
    TransportError(io::ErrorKind),
    /// The opening handshake failed, was refused or timed out; the
    /// event's `error` says how.
    HandshakeFailed,
}

impl CloseCause {
    /// The cause a failure stands for.
    pub(crate) fn of_error(error: &Error) -> Self {
        match error {
            Error::Handshake(_)
            | Error::HandshakeTimeout
            | Error::BadRequest { .. }
            | Error::Proxy { .. } => CloseCause::HandshakeFailed,
            _ => CloseCause::ProtocolError,
        }
    }

    /// Whether the connection ended because of a fault (a broken rule, a
    /// timeout, a lost transport, a failed handshake) rather than a close
    /// either side asked for.
    pub fn is_failure(self) -> bool {
        !matches!(self, CloseCause::PeerClosed | CloseCause::LocallyClosed)
    }
}

impl fmt::Display for CloseCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CloseCause::PeerClosed => f.write_str("closed by the peer"),
            CloseCause::LocallyClosed => f.write_str("closed by this side"),
            CloseCause::ProtocolError => f.write_str("the peer broke the protocol"),
            CloseCause::IdleTimeout => f.write_str("idle timeout"),
            CloseCause::CloseTimeout => f.write_str("the peer did not answer the close"),
            CloseCause::TransportClosed => f.write_str("the connection was dropped"),
            CloseCause::TransportError(kind) => write!(f, "connection error: {kind}"),
            CloseCause::HandshakeFailed => f.write_str("the opening handshake failed"),
        }
    }
}
