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

pub use crate::hybi::frame::{RSV1, RSV2, RSV3};
use bytes::Bytes;
use std::fmt;

/// An extension's parameters, in order; a value of `None` is a flag.
/// Names may repeat (§9.1 allows it; the extension decides what that means).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params(Vec<(String, Option<String>)>);

impl Params {
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

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Whether a message is text or binary; extensions see only data messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    Text,
    Binary,
}

/// A whole message as it passes through the extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionMessage {
    pub kind: MessageKind,
    /// RSV bits of the message's first frame (`RSV1` = `0b100`). Outgoing,
    /// an extension sets its bits when it transforms the message; incoming,
    /// it clears them when it undoes the transform.
    pub rsv: u8,
    pub payload: Bytes,
}

/// An extension could not process a message. The connection fails with
/// `code`, or when it is `None` with 1010 on a client and 1011 on a server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionError {
    pub code: Option<u16>,
    pub message: String,
}

impl ExtensionError {
    pub fn new(message: impl Into<String>) -> Self {
        ExtensionError {
            code: None,
            message: message.into(),
        }
    }

    /// The message would exceed `max_length` (close 1009).
    pub fn too_large(message: impl Into<String>) -> Self {
        ExtensionError {
            code: Some(crate::close::TOO_LARGE),
            message: message.into(),
        }
    }
}

impl fmt::Display for ExtensionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExtensionError {}

/// A WebSocket extension, for one connection.
pub trait Extension: Send {
    /// The registered name, as in the header (`permessage-deflate`).
    fn name(&self) -> &str;

    /// The RSV bits it uses (`RSV1 | RSV2 | RSV3` or a subset). Two active
    /// extensions cannot share a bit.
    fn rsv(&self) -> u8;

    /// Client: the offers to send, most preferred first (several are sent
    /// when the extension can work with different parameter sets).
    fn offers(&mut self) -> Vec<Params>;

    /// Client: the server accepted with `params`; check them and start.
    /// `Err` explains why they are unacceptable and fails the handshake.
    fn activate(&mut self, params: &Params) -> Result<(), String>;

    /// Server: the client's offers for this extension, in its order.
    /// Return the response parameters to accept one, or `None` to decline.
    fn accept(&mut self, offers: &[Params]) -> Option<Params>;

    /// Transforms an outgoing message.
    fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError>;

    /// Transforms an incoming message. Whatever it produces must stay
    /// within `max_length` bytes: return [`ExtensionError::too_large`]
    /// instead of producing more.
    fn incoming(
        &mut self,
        message: &mut ExtensionMessage,
        max_length: usize,
    ) -> Result<(), ExtensionError>;

    /// The connection closed; release what the extension holds.
    fn close(&mut self) {}
}
