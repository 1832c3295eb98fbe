//! WebSockets on tokio: a thin layer over the [`wsdriver`] sans-IO core.
//!
//! [`WebSocket`] runs a driver over any `AsyncRead + AsyncWrite` stream;
//! [`accept`] answers a client on a stream you accepted; [`connect`] opens
//! a client connection. All protocol decisions stay in the driver.

mod accept;
mod connect;
mod error;
mod proxy;
mod server;
mod split;
mod stream;
mod tls;
#[cfg(feature = "hyper")]
mod upgrade;
mod websocket;

pub use accept::{accept, accept_with, ServerOptions};
pub use connect::{connect, ClientOptions, DEFAULT_MAX_REDIRECTS};
pub use error::Error;
pub use proxy::{no_proxy_matches, ProxyOptions};
pub use rustls;
pub use server::{ClientInfo, ServerBuilder, ServerSocket, WebSocketServer};
pub use split::{ReadHalf, WriteHalf};
pub use stream::{MaybeTlsStream, PrefixedStream};
pub use tls::{certs_from_pem, ClientCert, TlsOptions};
#[cfg(feature = "axum")]
pub use upgrade::WebSocketUpgrade;
#[cfg(feature = "hyper")]
pub use upgrade::{upgrade, Refused, UpgradedWebSocket, Upgrading};
pub use websocket::{Config, Pong, WebSocket};
pub use wsdriver::{CloseEvent, Message, Options, ReadyState, Text, Version};
pub use wsdriver_deflate::DeflateConfig;
