//! A server's refusal of a handshake: the status and the plain-text
//! reason, written as a complete response that closes the connection.
//! Shared by the RFC 6455 and the draft handshakes.

use super::{write_response, CustomHeaders};

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

    /// Writes the refusal as a complete HTTP response that closes the
    /// connection.
    pub fn write(&self, out: &mut Vec<u8>) {
        let length = self.message.len().to_string();
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("Content-Type", b"text/plain"),
            ("Content-Length", length.as_bytes()),
            ("Connection", b"close"),
        ];
        match self.status {
            405 => headers.push(("Allow", b"GET")),
            426 => headers.push(("Sec-WebSocket-Version", b"13, 8")),
            _ => {}
        }
        write_response(
            out,
            self.status,
            None,
            &headers,
            &CustomHeaders::default(),
            self.message.as_bytes(),
        );
    }
}
