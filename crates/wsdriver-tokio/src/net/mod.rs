//! Bytes on the wire: the one drive loop between a machine and a stream,
//! the streams a connection runs on (TCP or TLS, a client's or a
//! server's, with bytes read ahead), their buffers, and waiting within a machine's
//! deadline. Nothing here knows WebSockets or event streams.

pub(crate) mod deadline;
pub(crate) mod drive;
pub(crate) mod listener;
pub(crate) mod low_water;
pub(crate) mod read_buffer;
pub(crate) mod server_stream;
pub(crate) mod stream;
#[cfg(feature = "rustls")]
pub(crate) mod tls;
