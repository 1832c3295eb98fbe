//! Protocol extensions (RFC 6455 §9), with the semantics of Node's
//! `websocket-extensions`: an extension is offered by the client, accepted
//! by the server, claims RSV bits, and transforms whole messages (outgoing
//! in registration order, incoming in reverse).
//!
//! This is a public API so that any crate can write an extension:
//! `wsdriver-deflate` is built on it alone. Each connection gets its own
//! extension value (one per [`Driver`](crate::Driver)), so the value holds
//! the session state: there is no separate factory and session.

pub mod header;
pub(crate) mod negotiation;

use crate::close::CloseCode;
pub use crate::hybi::frame::{RSV1, RSV2, RSV3};
use bytes::Bytes;
use std::fmt;

/// An extension's parameters, in order; a value of `None` is a flag.
/// Names may repeat (§9.1 allows it; the extension decides what that means).
/// Values are kept unquoted; the header writer quotes any that is not a
/// token.
///
/// ```
/// use wsdriver::Params;
///
/// let params = Params::new()
///     .flag("client_max_window_bits")
///     .value("server_max_window_bits", 10);
/// assert_eq!(params.get("client_max_window_bits"), Some(None)); // a flag
/// assert_eq!(params.get("server_max_window_bits"), Some(Some("10")));
/// assert_eq!(params.get("server_no_context_takeover"), None); // absent
/// assert_eq!(params.count("server_max_window_bits"), 1);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
    /// No parameters: the bare extension name in a header.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a parameter.
    pub fn push(&mut self, name: impl Into<String>, value: Option<String>) {
        self.0.push((name.into(), value));
    }

    /// Adds a flag (`; name`).
    pub fn flag(mut self, name: impl Into<String>) -> Self {
        self.push(name, None);
        self
    }

    /// Adds a value (`; name=value`).
    pub fn value(mut self, name: impl Into<String>, value: impl ToString) -> Self {
        self.push(name, Some(value.to_string()));
        self
    }

    /// The first parameter called `name`: `Some(None)` for a flag.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.0
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_deref())
    }

    /// How many times `name` appears.
    pub fn count(&self, name: &str) -> usize {
        self.0.iter().filter(|(n, _)| n == name).count()
    }

    /// Every parameter in header order, repeats included; `None` is a flag.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    /// Whether there are no parameters at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a message is text or binary; extensions see only data messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Opcode 0x1. What `incoming` leaves must be UTF-8, or the connection
    /// fails with 1007.
    Text,
    /// Opcode 0x2.
    Binary,
}

/// A whole message as it passes through the extensions.
///
/// Non-exhaustive: the driver makes them and extensions change their
/// fields; [`new`](Self::new) is for an extension's own tests (and
/// fuzzing), which feed it messages without a driver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionMessage {
    /// Text or binary; an extension must not change it.
    pub kind: MessageKind,
    /// RSV bits of the message's first frame (`RSV1` = `0b100`). Outgoing,
    /// an extension sets its bits when it transforms the message; incoming,
    /// it clears them when it undoes the transform.
    pub rsv: u8,
    /// The whole payload: incoming, fragments already joined; outgoing, it
    /// leaves as one frame. Replace it with the transformed bytes.
    pub payload: Bytes,
}

impl ExtensionMessage {
    /// A message as the driver would hand it over: `rsv` holds the RSV
    /// bits of its first frame (`RSV1` = `0b100`).
    ///
    /// ```
    /// use wsdriver::{Bytes, ExtensionMessage, MessageKind};
    ///
    /// let message = ExtensionMessage::new(MessageKind::Text, 0, Bytes::from("hi"));
    /// assert_eq!((message.kind, message.rsv, &message.payload[..]), (MessageKind::Text, 0, &b"hi"[..]));
    /// ```
    pub fn new(kind: MessageKind, rsv: u8, payload: Bytes) -> Self {
        ExtensionMessage { kind, rsv, payload }
    }
}

/// An extension could not process a message. The connection fails with
/// `code`, or when it is `None` with 1010 on a client and 1011 on a server.
///
/// Non-exhaustive: build one with [`new`](Self::new),
/// [`too_large`](Self::too_large) or `From` a message; a struct literal
/// does not compile outside this crate:
///
/// ```compile_fail,E0639
/// let error = wsdriver::ExtensionError { code: None, message: "no".into() };
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExtensionError {
    /// The close code to fail with (RFC 6455 §7.4); `None` for the
    /// default, 1010 on a client and 1011 on a server.
    pub code: Option<CloseCode>,
    /// Why; sent as the close reason (its first 123 bytes) and reported in
    /// [`Error::Protocol`](crate::Error::Protocol).
    pub message: String,
}

impl ExtensionError {
    /// Fails the connection with the default code (1010 on a client, 1011
    /// on a server).
    pub fn new(message: impl Into<String>) -> Self {
        ExtensionError {
            code: None,
            message: message.into(),
        }
    }

    /// The message would exceed `max_length` (close 1009).
    pub fn too_large(message: impl Into<String>) -> Self {
        ExtensionError {
            code: Some(CloseCode::TOO_LARGE),
            message: message.into(),
        }
    }
}

/// A message alone: the default close code.
impl From<String> for ExtensionError {
    fn from(message: String) -> Self {
        ExtensionError::new(message)
    }
}

/// A message alone: the default close code.
impl From<&str> for ExtensionError {
    fn from(message: &str) -> Self {
        ExtensionError::new(message)
    }
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtensionError {}

/// A WebSocket extension, for one connection.
///
/// Register it with [`Driver::add_extension`](crate::Driver::add_extension)
/// before the handshake. Negotiation calls [`offers`](Self::offers) and
/// [`activate`](Self::activate) on a client, [`accept`](Self::accept) on a
/// server; an extension the handshake did not agree to is dropped and sees
/// no messages. Once open, every text and binary message (never a control
/// frame) passes through [`outgoing`](Self::outgoing) or
/// [`incoming`](Self::incoming), whether or not it carries this
/// extension's RSV bits. An `Err` fails the connection. `Send` so that a
/// driver can move to another thread or task.
///
/// A toy extension that sends binary messages reversed, marked with RSV2:
///
/// ```
/// use wsdriver::extensions::RSV2;
/// use wsdriver::{Bytes, Driver, Event, Extension, ExtensionError, ExtensionMessage};
/// use wsdriver::{Message, MessageKind, Options};
///
/// struct Reverse;
///
/// fn reversed(payload: &[u8]) -> Bytes {
///     payload.iter().rev().copied().collect::<Vec<u8>>().into()
/// }
///
/// impl Extension for Reverse {
///     fn name(&self) -> &str { "x-reverse" }
///     fn rsv(&self) -> u8 { RSV2 }
///     // offers, activate and accept keep their defaults: one offer
///     // without parameters, accepted as such.
///     fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError> {
///         if message.kind == MessageKind::Binary {
///             message.payload = reversed(&message.payload);
///             message.rsv |= RSV2;
///         }
///         Ok(())
///     }
///     fn incoming(&mut self, message: &mut ExtensionMessage, _max_length: usize)
///         -> Result<(), ExtensionError> {
///         if message.rsv & RSV2 != 0 {
///             message.payload = reversed(&message.payload);
///             message.rsv &= !RSV2; // undone: clear the bit
///         }
///         Ok(())
///     }
/// }
///
/// let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
/// let mut server = Driver::server(Options::default()).unwrap();
/// client.add_extension(Reverse).unwrap();
/// server.add_extension(Reverse).unwrap();
/// client.start();
/// server.parse(&client.take_output());
/// assert_eq!(server.poll_event(), Some(Event::Connect));
/// server.start();
/// assert_eq!(server.poll_event(), Some(Event::Open));
/// let response = server.take_output();
/// assert!(String::from_utf8_lossy(&response).contains("Sec-WebSocket-Extensions: x-reverse\r\n"));
/// client.parse(&response);
/// assert_eq!(client.poll_event(), Some(Event::Open));
///
/// server.binary(b"abc").unwrap();
/// let frame = server.take_output();
/// assert_eq!(frame, [0x80 | 0x20 | 0x2, 3, b'c', b'b', b'a']); // FIN, RSV2, binary
/// client.parse(&frame);
/// assert_eq!(client.poll_event(), Some(Event::Message(Message::Binary(Bytes::from_static(b"abc")))));
/// ```
pub trait Extension: Send {
    /// The registered name, as in the header (`permessage-deflate`).
    fn name(&self) -> &str;

    /// The RSV bits it uses (`RSV1 | RSV2 | RSV3` or a subset). Two active
    /// extensions cannot share a bit. By default none.
    fn rsv(&self) -> u8 {
        0
    }

    /// Client: the offers to send, most preferred first (several are sent
    /// when the extension can work with different parameter sets). By
    /// default one offer without parameters.
    fn offers(&mut self) -> Vec<Params> {
        vec![Params::new()]
    }

    /// Client: the server accepted with `params`; check them and start.
    /// `Err` explains why they are unacceptable and fails the handshake
    /// (its code is not used: no connection is open yet).
    /// By default only an answer without parameters is acceptable.
    ///
    /// # Errors
    /// Parameters this extension cannot work with.
    fn activate(&mut self, params: &Params) -> Result<(), ExtensionError> {
        if params.is_empty() {
            Ok(())
        } else {
            Err(ExtensionError::new(format!(
                "{} takes no parameters",
                self.name()
            )))
        }
    }

    /// Server: the client's offers for this extension, in its order.
    /// Return the response parameters to accept one, or `None` to decline.
    /// By default the first offer without parameters is accepted.
    fn accept(&mut self, offers: &[Params]) -> Option<Params> {
        offers.iter().any(Params::is_empty).then(Params::new)
    }

    /// Transforms an outgoing message, in registration order; set this
    /// extension's bits in `message.rsv` when the payload was changed. By
    /// default the message passes unchanged.
    ///
    /// # Errors
    /// A message the extension cannot transform; it fails the connection.
    fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError> {
        let _ = message;
        Ok(())
    }

    /// Transforms an incoming message, in reverse registration order; act
    /// only when this extension's bits are set in `message.rsv`, and clear
    /// them. Whatever it produces must stay within `max_length` bytes:
    /// return [`ExtensionError::too_large`] instead of producing more. By
    /// default the message passes unchanged.
    ///
    /// # Errors
    /// A message the extension cannot undo, or one that would grow past
    /// `max_length`; it fails the connection.
    fn incoming(
        &mut self,
        message: &mut ExtensionMessage,
        max_length: usize,
    ) -> Result<(), ExtensionError> {
        let _ = (message, max_length);
        Ok(())
    }

    /// The connection closed; release what the extension holds.
    fn close(&mut self) {}
}
