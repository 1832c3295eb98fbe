//! The small vocabulary every machine shares: which end we are, where the
//! connection is, which protocol version it speaks.

use std::fmt;

/// Which end of the connection a driver plays.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Sends the request and masks its frames (RFC 6455 §5.3); a masked
    /// frame from the server fails the connection with 1002.
    Client,
    /// Answers the request and does not mask; an unmasked frame fails the
    /// connection with 1002 unless [`Options::require_masking`](crate::Options::require_masking) is off.
    Server,
}

/// The connection's state, as in the WebSocket API (0 to 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ReadyState {
    /// The opening handshake is under way; messages sent now are queued
    /// and go out on `Open`.
    Connecting = 0,
    /// Messages flow both ways.
    Open = 1,
    /// We sent a close frame and wait (at most the close timeout) for the
    /// peer's; sending fails with [`Error::Closed`](crate::Error::Closed).
    Closing = 2,
    /// Over: the `Close` event is queued or taken, or the request was
    /// rejected. Nothing more is read or sent.
    Closed = 3,
}

/// The protocol version spoken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 6455.
    Hybi13,
    /// Draft 8, which differs from RFC 6455 only in its handshake version.
    Hybi8,
    /// draft-hixie-thewebsocketprotocol-75: text only, no closing frame.
    Hixie75,
    /// draft-hixie-thewebsocketprotocol-76: text only, `FF 00` closes.
    Hixie76,
}

impl Version {
    /// The name Node's websocket-driver gives it: `hybi-13`, `hybi-8`.
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Hybi13 => "hybi-13",
            Version::Hybi8 => "hybi-8",
            Version::Hixie75 => "hixie-75",
            Version::Hixie76 => "hixie-76",
        }
    }

    pub(crate) fn is_hixie(self) -> bool {
        matches!(self, Version::Hixie75 | Version::Hixie76)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
