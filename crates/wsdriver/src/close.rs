//! Close codes (RFC 6455 §7.4) and the rules for which may be sent and
//! received.
//!
//! An endpoint may close with any code that may stand in a close frame:
//! 1000-1003, 1007-1014 (1001 when going away, 1008 for a policy, 1011 for
//! an internal error...) and its own 3000-4999. 1005 and 1006 are only
//! ever reported, and 1004 and 1015 are reserved:
//!
//! ```
//! use wsdriver::{close, CloseCode, Driver, Error, Options};
//!
//! assert!(CloseCode::NORMAL.is_sendable() && CloseCode::new(4000).is_sendable());
//! assert!(CloseCode::POLICY_VIOLATION.is_sendable());
//! assert!(!CloseCode::ABNORMAL.is_sendable());
//! // 1005 and 1006 are only ever reported, never put on the wire.
//! assert!(!CloseCode::NO_STATUS.is_valid_received());
//! assert!(CloseCode::new(1012).is_valid_received()); // registered after the RFC
//! assert_eq!(format!("{:?}", CloseCode::TOO_LARGE), "1009 (Message Too Big)");
//!
//! let mut driver = Driver::client("ws://example.com/", Options::default()).unwrap();
//! assert_eq!(driver.close(1006, ""), Err(Error::InvalidCloseCode(CloseCode::ABNORMAL)));
//! let too_long = "x".repeat(close::MAX_REASON_LEN + 1);
//! assert!(matches!(
//!     driver.close(CloseCode::NORMAL, &too_long),
//!     Err(Error::ControlPayloadTooLong(_))
//! ));
//! ```

use std::fmt;

/// A close code (RFC 6455 §7.4): the named ones the RFC and IANA define,
/// or any other number a peer sent. Which codes may be sent and received
/// is decided here, in one place.
///
/// Compares with plain numbers, and converts from them, so
/// `driver.close(1000, "")` and `driver.close(CloseCode::NORMAL, "")` say
/// the same thing.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CloseCode(u16);

impl CloseCode {
    /// Normal closure.
    pub const NORMAL: CloseCode = CloseCode(1000);
    /// The endpoint is going away (server shutdown, page navigation).
    pub const GOING_AWAY: CloseCode = CloseCode(1001);
    /// The peer broke the protocol.
    pub const PROTOCOL_ERROR: CloseCode = CloseCode(1002);
    /// The peer sent a kind of data that cannot be accepted.
    pub const UNACCEPTABLE: CloseCode = CloseCode(1003);
    /// Reported (never sent) when a close frame carried no code.
    pub const NO_STATUS: CloseCode = CloseCode(1005);
    /// Reported (never sent) when the connection ended without a close
    /// handshake.
    pub const ABNORMAL: CloseCode = CloseCode(1006);
    /// A text message or close reason was not UTF-8.
    pub const INVALID_PAYLOAD: CloseCode = CloseCode(1007);
    /// A policy of the endpoint was violated.
    pub const POLICY_VIOLATION: CloseCode = CloseCode(1008);
    /// A message was longer than `max_length`.
    pub const TOO_LARGE: CloseCode = CloseCode(1009);
    /// The client needed an extension the server did not agree to.
    pub const EXTENSION_ERROR: CloseCode = CloseCode(1010);
    /// The server hit an unexpected condition.
    pub const UNEXPECTED_CONDITION: CloseCode = CloseCode(1011);
    /// The server is restarting (registered with IANA after the RFC).
    pub const SERVICE_RESTART: CloseCode = CloseCode(1012);
    /// The server is overloaded: try again later (IANA).
    pub const TRY_AGAIN_LATER: CloseCode = CloseCode(1013);
    /// A gateway got a bad answer from the server behind it (IANA).
    pub const BAD_GATEWAY: CloseCode = CloseCode(1014);

    /// Any code, checked only where it is used.
    pub const fn new(code: u16) -> CloseCode {
        CloseCode(code)
    }

    /// The number on the wire.
    pub const fn as_u16(self) -> u16 {
        self.0
    }

    /// Whether a peer may put it in a close frame: the defined codes that
    /// are not reserved for reporting, 1012-1014, and the ranges for
    /// libraries and applications.
    pub fn is_valid_received(self) -> bool {
        matches!(self.0, 1000..=1003 | 1007..=1014 | 3000..=4999)
    }

    /// Whether an endpoint may pass it to `close`: every code that may
    /// stand in a close frame (the same set as
    /// [`is_valid_received`](Self::is_valid_received)). The driver sends
    /// 1002, 1007, 1009... itself when the peer breaks the protocol; an
    /// application may send them too, as a server sends 1008 or 1011.
    pub fn is_sendable(self) -> bool {
        self.is_valid_received()
    }

    /// The RFC's or IANA's name for it, if it has one.
    pub fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1000 => "Normal Closure",
            1001 => "Going Away",
            1002 => "Protocol Error",
            1003 => "Unsupported Data",
            1005 => "No Status Received",
            1006 => "Abnormal Closure",
            1007 => "Invalid Frame Payload Data",
            1008 => "Policy Violation",
            1009 => "Message Too Big",
            1010 => "Mandatory Extension",
            1011 => "Internal Error",
            1012 => "Service Restart",
            1013 => "Try Again Later",
            1014 => "Bad Gateway",
            _ => return None,
        })
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> Self {
        CloseCode(code)
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> Self {
        code.0
    }
}

impl PartialEq<u16> for CloseCode {
    fn eq(&self, other: &u16) -> bool {
        self.0 == *other
    }
}

impl PartialEq<CloseCode> for u16 {
    fn eq(&self, other: &CloseCode) -> bool {
        *self == other.0
    }
}

/// The number, as it would be logged.
impl fmt::Display for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// The number and its name: `1000 (Normal Closure)`.
impl fmt::Debug for CloseCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => write!(f, "{} ({name})", self.0),
            None => write!(f, "{}", self.0),
        }
    }
}

/// The longest close reason: a control payload is at most 125 bytes, two
/// of which hold the code.
pub const MAX_REASON_LEN: usize = 123;

/// Cuts `reason` to fit in a close frame without splitting a character.
pub(crate) fn truncate_reason(reason: &str) -> &str {
    if reason.len() <= MAX_REASON_LEN {
        return reason;
    }
    let mut end = MAX_REASON_LEN;
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    &reason[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_7_4_received_codes() {
        for code in [
            1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
            4000, 4999,
        ] {
            assert!(CloseCode(code).is_valid_received(), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!CloseCode(code).is_valid_received(), "{code}");
        }
    }

    #[test]
    fn sendable_codes_are_those_a_close_frame_may_carry() {
        for code in [1000, 1001, 1003, 1008, 1011, 1014, 3000, 4999] {
            assert!(CloseCode(code).is_sendable(), "{code}");
        }
        for code in [0, 999, 1004, 1005, 1006, 1015, 2999, 5000] {
            assert!(!CloseCode(code).is_sendable(), "{code}");
        }
        assert_eq!(CloseCode::new(4321), 4321);
        assert_eq!(
            format!("{} {:?}", CloseCode(4321), CloseCode(1000)),
            "4321 1000 (Normal Closure)"
        );
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        let reason = "é".repeat(70); // 140 bytes
        let cut = truncate_reason(&reason);
        assert_eq!(cut.len(), 122);
        assert_eq!(truncate_reason("short"), "short");
    }
}
