//! A server's refusal of a handshake: the status and the plain-text
//! reason, answered as a complete response that closes the connection.
//! Shared by the RFC 6455 and the draft handshakes.

use super::ResponseHead;

/// A refused handshake: the status and the plain-text reason sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    pub fn new(status: u16, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// The answer: the reason as plain text, plus what the status asks for
    /// (`Allow` on 405, the versions we speak on 426).
    pub fn head(&self) -> ResponseHead {
        let mut head = ResponseHead::plain(self.status, &self.message);
        match self.status {
            405 => head.push("Allow", "GET"),
            426 => head.push("Sec-WebSocket-Version", "13, 8"),
            _ => {}
        }
        head
    }
}
