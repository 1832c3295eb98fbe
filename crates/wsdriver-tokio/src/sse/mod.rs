//! Server-sent events both ways: the `EventSource` client, and the
//! server's `EventStream` (on a raw stream, from `WebSocketServer`, or as
//! a hyper response body).

#[cfg(feature = "hyper")]
pub(crate) mod body;
pub(crate) mod source;
pub(crate) mod source_options;
pub(crate) mod stream;
pub(crate) mod stream_options;
