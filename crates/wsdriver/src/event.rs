//! What the driver tells its caller.

use crate::close::CloseCode;
use crate::close_cause::CloseCause;
use crate::error::Error;
use crate::message::Message;
use bytes::Bytes;

/// Something that happened on the connection, taken with
/// [`Driver::poll_event`](crate::Driver::poll_event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// A raw server driver parsed the request head. Inspect it with
    /// [`Driver::request`](crate::Driver::request), then call
    /// [`Driver::start`](crate::Driver::start) to answer as a WebSocket, or
    /// [`Driver::reject`](crate::Driver::reject) to answer otherwise.
    Connect,
    /// The handshake completed; messages queued before now have been sent.
    Open,
    /// A complete message from the peer.
    Message(Message),
    /// The peer pinged (the payload, at most 125 bytes); the pong is
    /// already in the output, so write it. (Past
    /// [`Options::max_queued_pongs`](crate::Options::max_queued_pongs)
    /// unwritten pongs, it waits for the output to drain and answers only
    /// the newest ping.)
    Ping(Bytes),
    /// The peer sent a pong. `ping` names the [`Driver::ping`](crate::Driver::ping)
    /// it answers, if its payload matched one still waiting.
    Pong {
        /// The pong's application data, at most 125 bytes.
        payload: Bytes,
        /// The oldest unanswered ping with the same payload; `None` for an
        /// unsolicited pong.
        ping: Option<PingId>,
    },
    /// Something the caller queued before the handshake finished could not
    /// be sent, and was dropped: a binary message, ping or pong queued
    /// before a hixie handshake ([`Error::Unsupported`]). The connection
    /// goes on. (What ends a connection is in its [`CloseEvent`].)
    Unsent(Error),
    /// The connection is closed; nothing more will be sent or received.
    /// Write what output remains (a close frame or an HTTP refusal), then
    /// end the transport. When a failure ended it (the peer broke the
    /// protocol, the handshake failed or timed out), the event says which.
    Close(CloseEvent),
}

/// Names a ping sent with [`Driver::ping`](crate::Driver::ping), so its pong
/// can be recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PingId(pub(crate) u64);

/// How the connection ended.
///
/// Non-exhaustive: build one with [`CloseEvent::new`], match it with `..`,
/// so that fields can be added without breaking anyone:
///
/// ```
/// use wsdriver::{CloseCode, CloseEvent};
///
/// let close = CloseEvent::new(CloseCode::NORMAL, "bye", true);
/// let CloseEvent { code, clean, .. } = close;
/// assert!(clean && code == 1000);
/// ```
///
/// A struct literal does not compile outside this crate:
///
/// ```compile_fail,E0639
/// let close = wsdriver::CloseEvent {
///     code: wsdriver::CloseCode::NORMAL,
///     reason: String::new(),
///     clean: true,
///     cause: wsdriver::CloseCause::PeerClosed,
///     error: None,
/// };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CloseEvent {
    /// The close code: the peer's, ours on a protocol error, 1005 when the
    /// peer's close frame had none, 1006 when there was no close handshake.
    pub code: CloseCode,
    /// The close frame's reason (at most 123 bytes of UTF-8), or why the
    /// driver failed the connection; empty for 1005 and 1006.
    pub reason: String,
    /// Whether both sides completed the close handshake.
    pub clean: bool,
    /// What ended it: the peer's close or ours, a broken rule, a timeout,
    /// a lost transport, a failed handshake.
    pub cause: CloseCause,
    /// The failure that ended the connection: the peer's protocol error
    /// ([`Error::Protocol`], whose code we sent), a refused or failed
    /// handshake, a timeout. `None` for a close either side asked for and
    /// for a transport that just ended. Boxed: events stay small.
    pub error: Option<Box<Error>>,
}

impl CloseEvent {
    /// A close without a failure: the peer's when `clean`, a transport
    /// that ended otherwise ([`with_cause`](Self::with_cause) says
    /// another).
    pub fn new(code: impl Into<CloseCode>, reason: impl Into<String>, clean: bool) -> Self {
        let cause = if clean {
            CloseCause::PeerClosed
        } else {
            CloseCause::TransportClosed
        };
        CloseEvent {
            code: code.into(),
            reason: reason.into(),
            clean,
            cause,
            error: None,
        }
    }

    /// The same event with another cause.
    pub fn with_cause(mut self, cause: CloseCause) -> Self {
        self.cause = cause;
        self
    }

    /// The failure that ended the connection; [`Error::Closed`] for a
    /// close that was not a failure.
    pub fn into_error(self) -> Error {
        self.error.map_or(Error::Closed, |error| *error)
    }

    /// A close caused by `error` (not clean; the cause follows from the
    /// error: [`CloseCause::HandshakeFailed`] for a handshake's,
    /// [`CloseCause::ProtocolError`] otherwise).
    pub fn failed(code: impl Into<CloseCode>, reason: impl Into<String>, error: Error) -> Self {
        let (code, reason) = (code.into(), reason.into());
        CloseEvent {
            code,
            reason,
            clean: false,
            cause: CloseCause::of_error(&error),
            error: Some(Box::new(error)),
        }
    }
}
