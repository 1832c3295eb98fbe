//! The opening handshake (RFC 6455 §4): what a server accepts and answers,
//! what a client asks and checks.

pub(crate) mod client;
pub(crate) mod client_handshake;
pub(crate) mod key;
pub(crate) mod server;
pub(crate) mod server_handshake;

pub use key::accept_key;
pub use server::selected_protocol;
pub use server_handshake::NOT_WEBSOCKET;
