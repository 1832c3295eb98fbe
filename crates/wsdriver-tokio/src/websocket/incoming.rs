//! [`Incoming`]: what [`WebSocket::next_incoming`](crate::WebSocket::next_incoming)
//! hands out, messages and the peer's pings and pongs, for programs that
//! show the control frames (ws's `ping` and `pong` events, wscat's `-P`).

use bytes::Bytes;
use wsdriver::Message;

/// A message, or a ping or pong from the peer.
///
/// From [`WebSocket::next_incoming`](crate::WebSocket::next_incoming).
/// The connection has already answered a ping (its pong is queued) and
/// matched a pong to the [`Pong`](crate::Pong) waiting for it: these are
/// for showing, not for answering.
///
/// Non-exhaustive: match with a `_` arm.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Incoming {
    /// A whole message, as the `Stream` yields it.
    Message(Message),
    /// The peer pinged, with this payload (at most 125 bytes).
    Ping(Bytes),
    /// The peer sent a pong, an answer to our ping or unsolicited.
    Pong(Bytes),
}
