//! The async layer's own settings, kept apart from the protocol's
//! [`Options`](crate::Options): backpressure is a matter of how this crate
//! writes to a tokio stream, not of the protocol, so the core has no place
//! for it. Every way in (a client's options, a server's options,
//! `from_connection`) carries a [`Config`] to the
//! [`WebSocket`](crate::WebSocket) it opens, which is why it stands on its
//! own rather than inside the connection's file.

/// Settings of the async layer itself: backpressure. The protocol's
/// settings (`max_length`, subprotocols, close timeout) and the keepalive
/// timers ([`ping_interval`](wsdriver::Options::ping_interval),
/// [`idle_timeout`](wsdriver::Options::idle_timeout)) are the driver's, in
/// [`Options`](crate::Options), so that every transport runs them alike.
///
/// Give it to [`ClientOptions::config`](crate::ClientOptions::config),
/// [`ServerOptions::config`](crate::ServerOptions::config) or
/// [`WebSocket::from_connection`](crate::WebSocket::from_connection). The
/// default holds sends back at 64 KiB.
///
/// ```
/// use std::time::Duration;
/// use wsdriver_tokio::{Config, Options};
///
/// // Sends wait while 16 KiB are unwritten.
/// let config = Config::default().max_buffered(16 * 1024);
/// // Keepalive is the driver's: ping every 20 s, and drop a peer silent
/// // for 45 s (two pings unanswered, and nothing else) with 1006.
/// let options = Options::default()
///     .ping_interval(Some(Duration::from_secs(20)))
///     .idle_timeout(Some(Duration::from_secs(45)));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) max_buffered: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_buffered: 64 * 1024,
        }
    }
}

impl Config {
    /// Sends wait while more than this many bytes are waiting to be
    /// written (backpressure), so a slow peer cannot make a sender buffer
    /// without end.
    ///
    /// [`WebSocket::send`](crate::WebSocket::send) and `Sink::poll_ready`
    /// wait while [`buffered_amount`](crate::WebSocket::buffered_amount) is
    /// more than this many bytes (64 KiB by default). It is checked before a message is
    /// queued, so the queue can pass it by one message; 0 makes every send
    /// wait until the previous ones are written.
    pub fn max_buffered(mut self, bytes: usize) -> Self {
        self.max_buffered = bytes;
        self
    }
}
