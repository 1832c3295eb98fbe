//! WebSockets on tokio: a thin layer over the [`wsdriver`] sans-IO core.
//!
//! [`WebSocket`] runs a driver over any `AsyncRead + AsyncWrite` stream;
//! [`accept`] answers a client on a stream you accepted; [`connect`] opens
//! a client connection. All protocol decisions stay in the driver.
//!
//! This crate moves bytes between a tokio stream and the driver and runs
//! the driver's timers on tokio's clock. Handshake validation, framing,
//! UTF-8 checks, close codes and permessage-deflate are the driver's (and
//! [`wsdriver_deflate`]'s), so every way in below behaves the same.
//!
//! # The map
//!
//! **The connection.** [`WebSocket<S>`](WebSocket) is one connection,
//! client or server:
//!
//! - a [`Stream`](futures_core::Stream) of `Result<Message, Error>`: whole
//!   messages, pings answered for you; `None` once closed, then
//!   [`close_event`](WebSocket::close_event) says how. Receiving is
//!   cancellation-safe: dropping a `next()` future loses nothing.
//!   [`next_incoming`](WebSocket::next_incoming) reads the same with the
//!   peer's pings and pongs as [`Incoming`] items, for showing them.
//! - a [`Sink<Message>`](futures_sink::Sink), and
//!   [`send`](WebSocket::send), [`ping`](WebSocket::ping) (its [`Pong`]
//!   resolves when the answer is read), [`close`](WebSocket::close) (the
//!   whole close handshake), [`terminate`](WebSocket::terminate);
//! - [`split`](WebSocket::split) into a [`ReadHalf`] and a [`WriteHalf`]
//!   for two tasks.
//!
//! Keep reading it: answers to pings, close echoes, keepalive pings and
//! the timeouts all happen while the stream is being polled.
//!
//! **Servers**, three ways in:
//!
//! - [`accept`] / [`accept_with`] (a synchronous check of the request) on
//!   any stream you accepted: TCP, TLS, Unix, an in-memory pipe, with
//!   [`ServerOptions`]. The driver times the handshake (30 s by
//!   default, then `408 Request Timeout`).
//! - [`accept_tcp`]: the next connection on a `TcpListener`, riding out
//!   running out of file descriptors, for accept loops of your own.
//! - [`WebSocketServer`]: a TCP listener that does the rest, as ws's
//!   `WebSocketServer`: a task per handshake, a path filter, an async
//!   [`verify_client`](ServerBuilder::verify_client), a 30 s handshake
//!   timeout, a count of open clients, and a
//!   [`shutdown`](WebSocketServer::shutdown) that closes them with 1001.
//!   It hands out [`ServerSocket`]s.
//! - Feature `hyper`: [`upgrade`] answers a request a hyper 1 service got
//!   (the `101` [`Response`][hyper-response] and an [`Upgrading`] future,
//!   or a [`Refused`] holding the refusal to send). Feature `axum`: the
//!   [`WebSocketUpgrade`] extractor.
//!
//! **EventSource servers** (server-sent events), faye-websocket's second half:
//! an [`EventStream`] sends events to one client (`send`, `send_event`
//! with a type and an ID, keepalive comments by themselves, a bounded
//! buffer, [`closed`](EventStream::closed) once the client leaves, and
//! the [`last_event_id`](EventStream::last_event_id) a reconnecting
//! client resumes after), with [`EventStreamOptions`]. Open one with
//! [`accept_event_stream`] on any stream, from a [`WebSocketServer`] built
//! with [`event_streams`](ServerBuilder::event_streams) (it routes by what
//! each request asks for), or with `event_stream` (feature `hyper`) as
//! the body of a hyper or axum response.
//!
//! **Clients.** [`connect`] with [`ClientOptions`] opens `ws:`, `wss:`
//! and `ws+unix:/path/to/socket:/request/path` URLs. TLS is rustls
//! ([`TlsOptions`]), verified against the platform's roots plus any
//! [added][add_ca_pem], with an optional
//! [`client_cert`][client_cert] or a whole
//! `rustls::ClientConfig` of your own. HTTP `CONNECT` proxies come from
//! [`ProxyOptions`] or, with
//! [`use_env_proxy`](crate::TransportOptions::use_env_proxy), from `https_proxy`,
//! `http_proxy` and `no_proxy` ([`no_proxy_matches`]). Redirects are
//! followed when [`follow_redirects`](ClientOptions::follow_redirects)
//! says so, credentials kept only while the host stays the same and
//! `wss:` does not turn into `ws:`.
//!
//! **EventSource clients.** [`EventSource`] with [`EventSourceOptions`]
//! reads an `http:` or `https:` event stream (the same TLS and proxy
//! options as [`connect`]) as a [`Stream`](futures_core::Stream) of
//! [`MessageEvent`]s, and reconnects by itself as a browser does: after
//! the server's `retry:` (3 s by default), sending `Last-Event-ID`. A
//! `204` ends it; an answer that is not an event stream ends it with
//! [`Error::EventSource`], status and content type in it.
//!
//! **Settings.** [`Options`] (the driver's: `max_length`, subprotocols,
//! close timeout, drafts,
//! [`ping_interval`](Options::ping_interval) for keepalive pings,
//! [`idle_timeout`](Options::idle_timeout) to drop a silent peer with
//! 1006), [`DeflateConfig`] (permessage-deflate), and [`Config`] (this
//! layer's): [`max_buffered`](Config::max_buffered), the backpressure
//! point at which sends wait for the stream (64 KiB by default). The
//! timers run while the connection is being read (the driver's deadline
//! is checked inside [`WebSocket`]'s `poll_next`): a connection nobody
//! reads sends no keepalive pings and never times out.
//!
//! # Example
//!
//! A server and a client over an in-memory pipe: [`accept`] on one end,
//! [`connect_on`] on the other (both run on any stream; against the
//! network, [`connect`] opens the connection too).
//!
//! ```
//! use futures_util::StreamExt;
//! use wsdriver_tokio::{accept, connect_on, ClientOptions, Message, ServerOptions};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let (client_io, server_io) = tokio::io::duplex(4096);
//!
//! // The server: an echo.
//! let server = tokio::spawn(async move {
//!     let mut socket = accept(server_io, ServerOptions::default()).await?;
//!     while let Some(message) = socket.next().await {
//!         socket.send(message?).await?;
//!     }
//!     Ok::<_, wsdriver_tokio::Error>(socket.close_event().cloned())
//! });
//!
//! // The client: the handshake over the same pipe.
//! let mut client = connect_on(client_io, "ws://localhost/echo", ClientOptions::default()).await?;
//!
//! client.send("hello").await?;
//! assert_eq!(client.next().await.transpose()?, Some(Message::from("hello")));
//! let closed = client.close(1000, "bye").await?;
//! assert!(closed.clean);
//! let seen_by_server = server.await??.expect("closed");
//! assert_eq!((seen_by_server.code.as_u16(), seen_by_server.reason.as_str()), (1000, "bye"));
//! # Ok(()) }
//! ```
//!
//! Against the network, a client is one call:
//!
//! ```no_run
//! use futures_util::StreamExt;
//! use wsdriver_tokio::{connect, ClientOptions};
//!
//! # async fn run() -> Result<(), wsdriver_tokio::Error> {
//! let mut socket = connect("wss://echo.example/", ClientOptions::default()).await?;
//! socket.send("hello").await?;
//! if let Some(reply) = socket.next().await {
//!     println!("{:?}", reply?);
//! }
//! socket.close(1000, "").await?;
//! # Ok(()) }
//! ```
//!
//! # Memory
//!
//! An idle server connection costs about 2,460 bytes of heap, tokio task
//! included, on the `accept` path with the default options (measured by
//! `cargo run --release -p wsdriver-tokio --example idle_memory`, which
//! opens 1,000 connections and counts allocations; the kernel's socket
//! buffers are not counted). 1 KiB of it is the read buffer, which stays
//! that size while messages are small; a large frame sizes its own
//! reads. permessage-deflate, off in that measurement, adds its
//! compression state. Whatever waits to be written counts too, up to about
//! [`Config::max_buffered`] for senders that wait on `send`.
//!
//! # Features
//!
//! On by default:
//!
//! - `rustls`: TLS with rustls (the ring provider): `wss:` URLs, `https:`
//!   proxies, [`TlsOptions`], [`ClientCert`], [`certs_from_pem`], the TLS
//!   variants of [`MaybeTlsStream`], `Error::Tls` and the `rustls`
//!   re-export. Without it, connecting to a `wss:` URL fails with
//!   [`Error::Config`].
//! - `native-roots` (implies `rustls`): trust the platform's roots
//!   (rustls-native-certs). Without it only the roots added to a
//!   [`TlsOptions`] are trusted.
//! - `deflate`: permessage-deflate (wsdriver-deflate): [`DeflateConfig`],
//!   `ServerOptions::deflate` and `ClientOptions::deflate`.
//!
//! Opt-in:
//!
//! - `hyper`: [`upgrade`], [`Upgrading`], [`Refused`],
//!   [`UpgradedWebSocket`], for hyper 1 servers served `with_upgrades()`.
//! - `axum` (implies `hyper`): the [`WebSocketUpgrade`] extractor for axum
//!   0.8. An axum-only server can turn the defaults off:
//!   `default-features = false, features = ["axum"]`.
//! - `encrypted-keys` (implies `rustls`): `ClientCert::from_pem_with_passphrase`
//!   for passphrase-protected PKCS#8 client keys (the `pkcs8` crate).
//! - `tracing`: a span per connection (peer, URL) and one `debug` event
//!   for each open, refusal, failure (close code, error) and close, with
//!   its [`CloseCause`]; a `warn` when the accept loop runs out of file
//!   descriptors. Every span and event has the target `wsdriver`
//!   (`RUST_LOG=wsdriver=debug`). Nothing per message, so a server can
//!   leave it on; without the feature it costs nothing.
//!
//! Links to items of features that are off lead here.
//!

// The links to feature-gated items: to the items when their feature is
// on, to the list of features above when it is off.
#![cfg_attr(
    feature = "rustls",
    doc = "[`TlsOptions`]: TlsOptions\n[add_ca_pem]: TlsOptions::add_ca_pem\n\
           [client_cert]: TlsOptions::client_cert\n[`ClientCert`]: ClientCert\n\
           [`certs_from_pem`]: certs_from_pem"
)]
#![cfg_attr(
    not(feature = "rustls"),
    doc = "[`TlsOptions`]: #features\n[add_ca_pem]: #features\n\
           [client_cert]: #features\n[`ClientCert`]: #features\n\
           [`certs_from_pem`]: #features"
)]
#![cfg_attr(
    feature = "deflate",
    doc = "[`wsdriver_deflate`]: wsdriver_deflate\n[`DeflateConfig`]: DeflateConfig"
)]
#![cfg_attr(
    not(feature = "deflate"),
    doc = "[`wsdriver_deflate`]: https://docs.rs/wsdriver-deflate\n\
           [`DeflateConfig`]: #features"
)]
#![cfg_attr(
    feature = "hyper",
    doc = "[`upgrade`]: fn@upgrade\n[`Upgrading`]: Upgrading\n[`Refused`]: Refused\n\
           [`UpgradedWebSocket`]: UpgradedWebSocket\n[hyper-response]: hyper::Response"
)]
#![cfg_attr(
    not(feature = "hyper"),
    doc = "[`upgrade`]: #features\n[`Upgrading`]: #features\n[`Refused`]: #features\n\
           [`UpgradedWebSocket`]: #features\n[hyper-response]: #features"
)]
#![cfg_attr(feature = "axum", doc = "[`WebSocketUpgrade`]: WebSocketUpgrade")]
#![cfg_attr(not(feature = "axum"), doc = "[`WebSocketUpgrade`]: #features")]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]

mod client;
mod error;
mod net;
#[cfg(feature = "hyper")]
mod serve;
mod server;
mod sse;
mod sync;
mod trace;
mod websocket;

pub use client::connect::{connect, connect_on};
pub use client::options::ClientOptions;
pub use client::proxy::{no_proxy_matches, ProxyOptions};
pub use client::request::{ClientRequest, IntoClientRequest};
pub use client::transport_options::{TransportOptions, DEFAULT_MAX_REDIRECTS};
pub use error::{Error, Phase};
pub use net::listener::{accept_tcp, ACCEPT_BACKOFF};
pub use net::server_stream::ServerStream;
pub use net::stream::{MaybeTlsStream, PrefixedStream};
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub use net::tls::{certs_from_pem, ClientCert, TlsOptions};
#[cfg(feature = "rustls")]
#[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
pub use rustls;
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub use serve::upgrade::{upgrade, Refused, UpgradedWebSocket, Upgrading};
#[cfg(feature = "axum")]
#[cfg_attr(docsrs, doc(cfg(feature = "axum")))]
pub use serve::upgrade::{NotWebSocket, WebSocketUpgrade};
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub use serve::{serve, serve_with, HttpLimits, DEFAULT_HEAD_TIMEOUT, DEFAULT_MAX_HEAD_SIZE};
pub use server::accept::{accept, accept_with};
pub use server::builder::{ClientInfo, ServerBuilder, DEFAULT_MAX_CONNECTIONS};
pub use server::options::ServerOptions;
pub use server::reject::Reject;
pub use server::socket::ServerSocket;
pub use server::WebSocketServer;
#[cfg(feature = "hyper")]
#[cfg_attr(docsrs, doc(cfg(feature = "hyper")))]
pub use sse::body::{event_stream, EventStreamBody};
pub use sse::source::EventSource;
pub use sse::source_options::EventSourceOptions;
pub use sse::stream::{accept_event_stream, EventStream};
pub use sse::stream_options::EventStreamOptions;
pub use websocket::config::Config;
pub use websocket::incoming::Incoming;
pub use websocket::pong::Pong;
pub use websocket::split::{ReadHalf, WriteHalf};
pub use websocket::WebSocket;
/// The sans-IO core (crate `wsdriver`), for what this crate does not
/// wrap: the machines, `Driver`, every type, without a second dependency.
pub use wsdriver as core;
pub use wsdriver::eventsource::{is_event_source, MessageEvent};
pub use wsdriver::http_types::HeaderMap;
pub use wsdriver::{is_websocket, AllowedOrigins, Request};
pub use wsdriver::{
    CloseCause, CloseCode, CloseEvent, Message, Options, ReadyState, Text, Version,
};
#[cfg(feature = "deflate")]
#[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
pub use wsdriver_deflate::DeflateConfig;
