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
use crate::timer::Timer;
use std::time::{Duration, Instant};

/// The longest a failed connection waits for the peer to read its close
/// frame and hang up: long enough for a peer across the world to read it,
/// short enough that a hostile one holds nothing for long.
pub const LINGER_TIME: Duration = Duration::from_secs(5);

/// The most bytes a failed connection reads and throws away while it
/// lingers: a peer that was refused a 64 MiB message mid-way, and sends
/// the rest before it reads anything, still sees the code. Nothing is
/// kept, so this bounds work, not memory.
pub const LINGER_BYTES: usize = 64 << 20;

#[derive(Debug, Clone, Copy)]
pub(crate) struct Linger {
    pub timer: Timer,
    pub bytes_left: usize,
}

impl Linger {
    pub fn new(close_timeout: Option<Duration>) -> Self {
        let time = close_timeout.map_or(LINGER_TIME, |t| t.min(LINGER_TIME));
        Linger {
            timer: Timer::start(Some(time), None),
            bytes_left: LINGER_BYTES,
        }
    }
}

impl Connection {
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
        self.linger.is_some()
    }

    /// Stops lingering at once (a transport that cannot read on, or is
    /// shutting down).
    pub fn stop_lingering(&mut self) {
        self.linger = None;
    }

    /// Throws away what arrived while lingering; stops when the budget is
    /// spent.
    pub(super) fn discard_lingering(&mut self) {
        let read = self.input.len();
        self.input.clear();
        if let Some(linger) = &mut self.linger {
            linger.bytes_left = linger.bytes_left.saturating_sub(read);
            if linger.bytes_left == 0 {
                self.linger = None;
            }
        }
    }

    pub(super) fn settle_linger(&mut self, now: Instant) {
        if let Some(linger) = &mut self.linger {
            linger.timer.settle(now);
            if linger.timer.is_due(now) {
                self.linger = None;
            }
        }
    }

    pub(super) fn linger_deadline(&self) -> Option<Instant> {
        self.linger.and_then(|linger| linger.timer.deadline())
    }
}
