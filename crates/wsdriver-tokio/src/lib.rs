//! WebSockets on tokio: a thin layer over the [`wsdriver`] sans-IO core.
//!
//! [`WebSocket`] runs a driver over any `AsyncRead + AsyncWrite` stream;
//! [`accept`] answers a client on a stream you accepted; [`connect`] opens
//! a client connection. All protocol decisions stay in the driver.

mod accept;
mod connect;
mod error;
mod split;
mod websocket;

pub use accept::{accept, accept_with, ServerOptions};
pub use connect::{connect, ClientOptions, MaybeTlsStream};
pub use error::Error;
pub use split::{ReadHalf, WriteHalf};
pub use websocket::{Config, Pong, WebSocket};
pub use wsdriver::{CloseEvent, Message, Options, ReadyState, Text, Version};
pub use wsdriver_deflate::DeflateConfig;
