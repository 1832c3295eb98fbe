//! Close codes (RFC 6455 §7.4) and the rules for which may be sent and
//! received.
//!
//! An application closes with [`NORMAL`] or a code of its own (3000-4999);
//! the protocol codes are the driver's, and 1001 has its own call
//! ([`Driver::going_away`](crate::Driver::going_away)):
//!
//! ```
//! use wsdriver::{close, Driver, Error, Options};
//!
//! assert!(close::is_valid_local(close::NORMAL) && close::is_valid_local(4000));
//! assert!(!close::is_valid_local(close::PROTOCOL_ERROR));
//! // 1005 and 1006 are only ever reported, never put on the wire.
//! assert!(!close::is_valid_received(close::NO_STATUS));
//! assert!(close::is_valid_received(1012)); // registered after the RFC
//!
//! let mut driver = Driver::client("ws://example.com/", Options::default()).unwrap();
//! assert_eq!(driver.close(1002, ""), Err(Error::InvalidCloseCode(1002)));
//! let too_long = "x".repeat(close::MAX_REASON_LEN + 1);
//! assert!(matches!(
//!     driver.close(close::NORMAL, &too_long),
//!     Err(Error::ControlPayloadTooLong(_))
//! ));
//! ```

/// Normal closure.
pub const NORMAL: u16 = 1000;
/// The endpoint is going away (server shutdown, page navigation).
pub const GOING_AWAY: u16 = 1001;
/// The peer broke the protocol.
pub const PROTOCOL_ERROR: u16 = 1002;
/// The peer sent a kind of data that cannot be accepted.
pub const UNACCEPTABLE: u16 = 1003;
/// Reported (never sent) when a close frame carried no code.
pub const NO_STATUS: u16 = 1005;
/// Reported (never sent) when the connection ended without a close frame.
pub const ABNORMAL: u16 = 1006;
/// A text message or close reason was not UTF-8.
pub const INVALID_PAYLOAD: u16 = 1007;
/// A policy of the endpoint was violated.
pub const POLICY_VIOLATION: u16 = 1008;
/// A message was longer than `max_length`.
pub const TOO_LARGE: u16 = 1009;
/// The client needed an extension the server did not agree to.
pub const EXTENSION_ERROR: u16 = 1010;
/// The server hit an unexpected condition.
pub const UNEXPECTED_CONDITION: u16 = 1011;

/// Codes a peer may put in a close frame: the defined ones that are not
/// reserved for reporting, 1012-1014 (registered with IANA after the RFC),
/// and the ranges for libraries and applications.
pub fn is_valid_received(code: u16) -> bool {
    matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999)
}

/// Codes an application may pass to `close`: normal closure, or its own
/// range. The protocol-error codes are the driver's to send.
pub fn is_valid_local(code: u16) -> bool {
    code == NORMAL || (3000..=4999).contains(&code)
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
            assert!(is_valid_received(code), "{code}");
        }
        for code in [
            0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
        ] {
            assert!(!is_valid_received(code), "{code}");
        }
    }

    #[test]
    fn local_codes_are_normal_or_application() {
        assert!(is_valid_local(1000) && is_valid_local(3000) && is_valid_local(4999));
        assert!(
            !is_valid_local(1001)
                && !is_valid_local(1002)
                && !is_valid_local(2999)
                && !is_valid_local(5000)
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
