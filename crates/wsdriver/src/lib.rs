//! A WebSocket protocol driver with pluggable I/O: the sans-IO core of
//! wsdriver.
//!
//! A [`Driver`] is one connection's protocol state. The caller moves the
//! bytes: whatever arrives from the transport goes into
//! [`Driver::parse`], whatever the driver wants sent comes out of
//! [`Driver::output_slices`] (or [`Driver::write_output`]), and what
//! happened comes out of [`Driver::poll_event`]. Time is passed in too
//! ([`Driver::next_deadline`], [`Driver::handle_timeout`]), so the same
//! driver runs under tokio, a thread per connection, or a test.
//!
//! The driver speaks RFC 6455 (and its draft 8) as client or server,
//! including the opening handshake (from raw bytes or from a request hyper
//! or axum already parsed), subprotocols, fragmentation, ping/pong and the
//! close handshake.
//!
//! Underneath, each stage is a [`Machine`] of its own: a
//! [`ServerHandshake`] or [`ClientHandshake`] hands over to a
//! [`Connection`], whose timers (close, keepalive, idle) take the time as
//! quinn-proto's do. Use those directly to drive a connection from your own
//! loop; [`Driver`] is the one-object API of Node's websocket-driver over
//! them.
//!
//! A client and a server, wired to each other in memory:
//!
//! ```
//! use wsdriver::{Driver, Event, Message, Options};
//!
//! let mut client = Driver::client("ws://example.com/chat", Options::default())?;
//! let mut server = Driver::server(Options::default())?;
//! client.start();
//! server.parse(&client.take_output());
//! assert_eq!(server.poll_event(), Some(Event::Connect));
//! assert_eq!(server.request().unwrap().uri.path(), "/chat");
//! server.start();
//! server.text("welcome")?; // sent with the 101
//! client.parse(&server.take_output());
//! assert_eq!(client.poll_event(), Some(Event::Open));
//! assert_eq!(client.poll_event(), Some(Event::Message(Message::from("welcome"))));
//!
//! client.close(1000, "bye")?;
//! server.parse(&client.take_output());
//! while let Some(event) = server.poll_event() {
//!     if let Event::Close(close) = event {
//!         assert_eq!((close.code.as_u16(), close.reason.as_str()), (1000, "bye"));
//!     }
//! }
//! client.parse(&server.take_output()); // the echo of the close
//! assert!(matches!(client.poll_event(), Some(Event::Close(c)) if c.clean));
//! # Ok::<(), wsdriver::Error>(())
//! ```

#![forbid(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]

pub mod close;
mod close_cause;
mod connection;
mod driver;
mod error;
mod event;
pub mod eventsource;
pub mod extensions;
pub mod handshake;
mod hixie;
mod http;
pub mod hybi;
mod kinds;
mod machine;
mod message;
mod options;
mod origin;
mod output;
pub mod proxy;
mod timer;

pub use close::CloseCode;
pub use close_cause::CloseCause;
pub use connection::{Connection, LINGER_BYTES, LINGER_TIME, MAX_PENDING_PINGS};
pub use driver::Driver;
pub use error::{Error, HandshakeError};
pub use event::{CloseEvent, Event, PingId};
pub use extensions::{Extension, ExtensionError, ExtensionMessage, MessageKind, Params};
pub use handshake::client_handshake::{ClientEvent, ClientHandshake, MAX_REFUSAL_BODY};
pub use handshake::server_handshake::{ServerEvent, ServerHandshake};
pub use http::{
    is_secure_request, is_websocket, ConnectProtocol, HttpRequest, Request, ResponseHead,
};
pub use kinds::{ReadyState, Role, Version};
pub use machine::Machine;
pub use message::{Message, Text};
pub use options::{
    Options, DEFAULT_CLOSE_TIMEOUT, DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_FRAGMENTS,
    DEFAULT_MAX_HANDSHAKE_SIZE, DEFAULT_MAX_HEADERS, DEFAULT_MAX_LENGTH, DEFAULT_MAX_QUEUED_PONGS,
    DEFAULT_MAX_REDIRECTS,
};
pub use origin::AllowedOrigins;
pub use output::Output;
pub use proxy::{Proxy, ProxyEvent};

/// Re-exported so callers build requests and headers with the same types.
pub use ::http as http_types;
pub use bytes::Bytes;
