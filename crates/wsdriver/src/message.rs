//! [`Message`] and [`Text`]: what travels, with the conversions users
//! reach for, and text that is known to be UTF-8 without being copied or
//! checked twice.

use bytes::Bytes;
use std::fmt;

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
/// assert!(binary.is_binary() && !binary.is_text() && binary.len() == 3);
/// assert_eq!(Message::from(&b"raw"[..]), Message::from(b"raw"));
/// assert_eq!(text.as_text(), Some("héllo"));
/// assert_eq!(text.clone().into_text().unwrap(), "héllo");
/// assert_eq!(binary.clone().into_text(), Err(binary.clone()));
/// assert_eq!(&binary.into_bytes()[..], [1, 2, 3]);
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

    /// Whether it is a text message.
    pub fn is_text(&self) -> bool {
        matches!(self, Message::Text(_))
    }

    /// Whether it is a binary message.
    pub fn is_binary(&self) -> bool {
        matches!(self, Message::Binary(_))
    }

    /// The payload's length in bytes.
    pub fn len(&self) -> usize {
        self.as_bytes().len()
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.as_bytes().is_empty()
    }

    /// The text of a text message; `None` for a binary one.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(text) => Some(text.as_str()),
            Message::Binary(_) => None,
        }
    }

    /// The text of a text message, without a copy.
    ///
    /// # Errors
    /// A binary message is given back, untouched.
    pub fn into_text(self) -> Result<Text, Message> {
        match self {
            Message::Text(text) => Ok(text),
            binary => Err(binary),
        }
    }

    /// The payload, whatever the type, without a copy.
    pub fn into_bytes(self) -> Bytes {
        match self {
            Message::Text(text) => text.into_bytes(),
            Message::Binary(bytes) => bytes,
        }
    }
}

impl From<Text> for Message {
    fn from(text: Text) -> Self {
        Message::Text(text)
    }
}

impl From<&String> for Message {
    fn from(text: &String) -> Self {
        Message::Text(text.as_str().into())
    }
}

impl From<&[u8]> for Message {
    fn from(bytes: &[u8]) -> Self {
        Message::Binary(Bytes::copy_from_slice(bytes))
    }
}

impl<const N: usize> From<&[u8; N]> for Message {
    fn from(bytes: &[u8; N]) -> Self {
        Message::Binary(Bytes::copy_from_slice(bytes))
    }
}

impl From<Message> for Bytes {
    fn from(message: Message) -> Self {
        message.into_bytes()
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
