//! What the driver tells its caller.

use crate::close::CloseCode;
use crate::error::Error;
use bytes::Bytes;
use std::fmt;

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
/// Non-exhaustive: build one with [`CloseEvent::new`], match it with `..`.
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
    /// The failure that ended the connection: the peer's protocol error
    /// ([`Error::Protocol`], whose code we sent), a refused or failed
    /// handshake, a timeout. `None` for a close either side asked for and
    /// for a transport that just ended. Boxed: events stay small.
    pub error: Option<Box<Error>>,
}

impl CloseEvent {
    /// A close without a failure.
    pub fn new(code: impl Into<CloseCode>, reason: impl Into<String>, clean: bool) -> Self {
        CloseEvent {
            code: code.into(),
            reason: reason.into(),
            clean,
            error: None,
        }
    }

    /// The failure that ended the connection; [`Error::Closed`] for a
    /// close that was not a failure.
    pub fn into_error(self) -> Error {
        self.error.map_or(Error::Closed, |error| *error)
    }

    /// A close caused by `error`.
    pub(crate) fn failed(code: CloseCode, reason: String, error: Error) -> Self {
        CloseEvent {
            code,
            reason,
            clean: false,
            error: Some(Box::new(error)),
        }
    }
}

/// A whole WebSocket message: fragments joined, extensions undone, at most
/// `max_length` bytes. Build one with `From` and send it with
/// [`Driver::send`](crate::Driver::send).
///
/// ```
/// use wsdriver::{Bytes, Message};
///
/// let text = Message::from("héllo");
/// assert!(matches!(&text, Message::Text(t) if t == "héllo"));
/// let binary = Message::from(vec![1, 2, 3]);
/// assert_eq!(binary, Message::Binary(Bytes::from_static(&[1, 2, 3])));
/// assert_eq!(binary.as_bytes(), [1, 2, 3]);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// Opcode 0x1: UTF-8, already checked (an invalid one fails the
    /// connection with 1007 and is never delivered).
    Text(Text),
    /// Opcode 0x2: any bytes.
    Binary(Bytes),
}

impl Message {
    /// The payload, whatever the type.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }
}

impl From<&str> for Message {
    fn from(text: &str) -> Self {
        Message::Text(text.into())
    }
}

impl From<String> for Message {
    fn from(text: String) -> Self {
        Message::Text(text.into())
    }
}

impl From<Bytes> for Message {
    fn from(bytes: Bytes) -> Self {
        Message::Binary(bytes)
    }
}

impl From<Vec<u8>> for Message {
    fn from(bytes: Vec<u8>) -> Self {
        Message::Binary(bytes.into())
    }
}

/// Text known to be UTF-8, held as `Bytes` so a received message is handed
/// over without being copied or validated a second time.
///
/// It derefs to `str` and compares with `&str`:
///
/// ```
/// use wsdriver::{Bytes, Text};
///
/// let text = Text::try_from_bytes(Bytes::from_static(b"caf\xc3\xa9")).unwrap();
/// assert_eq!(text, "café");
/// assert_eq!(text.len(), 5); // bytes, through `Deref<Target = str>`
/// assert!(text.starts_with("caf"));
/// assert!(Text::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
///
/// let bytes: Bytes = text.into_bytes(); // no copy
/// assert_eq!(&bytes[..], "café".as_bytes());
/// ```
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Text(Bytes);

impl Text {
    /// Wraps bytes the caller has just validated as UTF-8.
    pub(crate) fn from_validated(bytes: Bytes) -> Self {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Text(bytes)
    }

    /// Checks `bytes` and wraps them without a copy.
    ///
    /// # Errors
    /// Bytes that are not UTF-8.
    pub fn try_from_bytes(bytes: Bytes) -> Result<Self, std::str::Utf8Error> {
        std::str::from_utf8(&bytes)?;
        Ok(Text(bytes))
    }

    /// The text, without a copy or a second UTF-8 check.
    pub fn as_str(&self) -> &str {
        // SAFETY: every constructor guarantees the bytes are UTF-8: `From`
        // impls take `str`/`String`, `try_from_bytes` validates, and
        // `from_validated` is only called by the receiver after its UTF-8
        // validator accepted the whole message (checked again by the
        // debug assertion and by `text_is_always_utf8` in the tests).
        // `Bytes` is immutable, so the contents cannot change afterwards.
        #[allow(unsafe_code)]
        unsafe {
            std::str::from_utf8_unchecked(&self.0)
        }
    }

    /// The UTF-8 bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying bytes, without a copy.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl std::ops::Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl From<&str> for Text {
    fn from(text: &str) -> Self {
        Text(Bytes::copy_from_slice(text.as_bytes()))
    }
}

impl From<String> for Text {
    fn from(text: String) -> Self {
        Text(Bytes::from(text.into_bytes()))
    }
}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_always_utf8() {
        assert!(Text::try_from_bytes(Bytes::from_static(b"\xff")).is_err());
        let text = Text::try_from_bytes(Bytes::from_static("héllo".as_bytes())).unwrap();
        assert_eq!(text.as_str(), "héllo");
        assert_eq!(Text::from(String::from("x")), "x");
    }
}
