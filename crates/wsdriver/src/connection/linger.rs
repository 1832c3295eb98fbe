//! A lingering close: after failing a connection with a close frame
//! (1002, 1007, 1009...), keep reading, and discarding, what the peer
//! still sends, for a bounded time and amount.
//!
//! A transport that closes its socket while the peer's bytes sit unread in
//! its receive buffer makes the kernel answer with a reset, and a reset
//! that reaches the peer before it has read our close frame throws that
//! frame away: a sender refused with 1009 in the middle of a large
//! message saw `ECONNRESET`, never the code. HTTP servers linger for the
//! same reason (Apache's `lingering_close`, nginx's `lingering_time`). The
//! transport writes the close, shuts down its write side, and reads on
//! while [`Connection::is_lingering`] holds.

use super::Connection;
use std::time::Duration;

/// The longest a failed connection waits for the peer to read its close
/// frame and hang up: long enough for a peer across the world to read it,
/// short enough that a hostile one holds nothing for long.
pub const LINGER_TIME: Duration = Duration::from_secs(5);

/// The most bytes a failed connection reads and throws away while it
/// lingers: a peer that was refused a 64 MiB message mid-way, and sends
/// the rest before it reads anything, still sees the code. Nothing is
/// kept, so this bounds work, not memory.
pub const LINGER_BYTES: usize = 64 << 20;

impl Connection {
    /// Starts lingering, after a failure that wrote a close frame.
    pub(super) fn start_lingering(&mut self) {
        let time = self
            .timers
            .close_timeout()
            .map_or(LINGER_TIME, |t| t.min(LINGER_TIME));
        self.timers.start_linger(time);
        self.linger_left = LINGER_BYTES;
    }

    /// Whether the transport should keep reading (and the connection
    /// discarding) after the connection failed: the close frame it wrote
    /// is on its way, and closing the socket on unread bytes would reset
    /// the connection before the peer reads it. Once the output is
    /// written, shut down the write side and read on until this turns
    /// `false`: the peer hung up ([`transport_closed`](crate::Machine::transport_closed)),
    /// [`LINGER_BYTES`] were read, or [`LINGER_TIME`] passed (or the
    /// close timeout, if shorter). The time counts from the first call
    /// that tells it ([`handle_timeout`](crate::Machine::handle_timeout)
    /// or [`received`](crate::Machine::received)); after that,
    /// [`poll_timeout`](crate::Machine::poll_timeout) gives the deadline.
    pub fn is_lingering(&self) -> bool {
        self.timers.linger.is_running()
    }

    /// Stops lingering at once (a transport that cannot read on, or is
    /// shutting down).
    pub fn stop_lingering(&mut self) {
        self.timers.stop_linger();
        self.linger_left = 0;
    }

    /// Counts `read` bytes that arrived while lingering against the
    /// budget; stops when it is spent.
    pub(super) fn discarded(&mut self, read: usize) {
        self.linger_left = self.linger_left.saturating_sub(read);
        if self.linger_left == 0 {
            self.stop_lingering();
        }
    }
}
