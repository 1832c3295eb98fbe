//! An open connection's timers: the close handshake's deadline, keepalive
//! pings and the idle timeout. They live here, in the core, so that every
//! transport (tokio, a thread per connection, a test on a simulated clock)
//! gets them alike.

use super::Connection;
use crate::close::CloseCode;
use crate::close_cause::CloseCause;
use crate::kinds::ReadyState;
use crate::options::Options;
use crate::timer::Timer;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub(crate) struct Timers {
    close_timeout: Option<Duration>,
    ping_interval: Option<Duration>,
    idle_timeout: Option<Duration>,
    close: Timer,
    ping: Timer,
    idle: Timer,
    /// A failed connection's lingering close (see `linger`).
    pub(super) linger: Timer,
    /// The earliest deadline, kept up to date by every change: the drive
    /// loop asks for it after each read and each poll.
    due: Option<Instant>,
    /// The latest time a call told: a timer armed by a call that carries
    /// no time (`parse`, a failure found while reading) is reported due
    /// then, so that the transport wakes at once and its
    /// `handle_timeout(now)` starts it with the real time. `poll_timeout`
    /// is thus never `None` while a timer runs.
    known: Option<Instant>,
}

impl Timers {
    pub fn new(options: &Options, now: Option<Instant>) -> Self {
        let mut timers = Timers {
            close_timeout: options.close_timeout,
            ping_interval: options.ping_interval.filter(|d| !d.is_zero()),
            idle_timeout: options.idle_timeout,
            close: Timer::Off,
            ping: Timer::start(options.ping_interval.filter(|d| !d.is_zero()), now),
            idle: Timer::start(options.idle_timeout, now),
            linger: Timer::Off,
            due: None,
            known: now,
        };
        timers.refresh();
        timers
    }

    /// Recomputes the earliest deadline after a change.
    fn refresh(&mut self) {
        self.due = [self.close, self.ping, self.idle, self.linger]
            .into_iter()
            .filter_map(|timer| timer.wake_at(self.known))
            .min();
    }

    pub fn received(&mut self, now: Instant) {
        self.settle(now);
        if self.idle.is_running() {
            self.idle = Timer::start(self.idle_timeout, Some(now));
            self.refresh();
        }
    }

    /// Input arrived at an unknown time: the idle timeout starts over at the
    /// next known time (reported due at the last one, to ask for it).
    pub fn received_untimed(&mut self) {
        if self.idle.is_running() {
            self.idle = Timer::start(self.idle_timeout, None);
            self.refresh();
        }
    }

    pub fn start_close(&mut self, now: Option<Instant>) {
        self.close = Timer::start(self.close_timeout, now);
        self.refresh();
    }

    pub fn settle(&mut self, now: Instant) {
        self.known = Some(now);
        self.close.settle(now);
        self.ping.settle(now);
        self.idle.settle(now);
        self.linger.settle(now);
        self.refresh();
    }

    pub fn stop(&mut self) {
        self.close = Timer::Off;
        self.ping = Timer::Off;
        self.idle = Timer::Off;
        self.linger = Timer::Off;
        self.due = None;
    }

    /// Starts a lingering close of `after`, counted from the next known
    /// time.
    pub fn start_linger(&mut self, after: Duration) {
        self.linger = Timer::start(Some(after), None);
        self.refresh();
    }

    pub fn stop_linger(&mut self) {
        self.linger = Timer::Off;
        self.refresh();
    }

    #[inline]
    pub fn is_running(&self) -> bool {
        self.close.is_running()
            || self.ping.is_running()
            || self.idle.is_running()
            || self.linger.is_running()
    }

    #[inline]
    pub fn next(&self) -> Option<Instant> {
        self.due
    }

    pub fn close_timeout(&self) -> Option<Duration> {
        self.close_timeout
    }
}

impl Connection {
    /// The timers due by `now`: a close handshake the peer never finished
    /// ends with 1006, and so does a connection the peer left idle for
    /// [`Options::idle_timeout`]; a keepalive ping goes out every
    /// [`Options::ping_interval`].
    pub(super) fn run_timers(&mut self, now: Instant) {
        self.timers.settle(now);
        if self.state == ReadyState::Closed {
            if self.timers.linger.is_due(now) {
                self.stop_lingering();
            }
            return;
        }
        if self.timers.close.is_due(now) {
            self.finish(
                CloseCode::ABNORMAL,
                String::new(),
                false,
                CloseCause::CloseTimeout,
            );
            return;
        }
        if self.timers.idle.is_due(now) {
            self.finish(
                CloseCode::ABNORMAL,
                String::new(),
                false,
                CloseCause::IdleTimeout,
            );
            return;
        }
        if self.timers.ping.is_due(now) {
            if self.state == ReadyState::Open {
                // Cannot fail: the payload is empty and the connection open.
                let _ = self.ping(b"");
            }
            let at = self.timers.ping.deadline().unwrap_or(now).max(now);
            self.timers.ping = Timer::start(self.timers.ping_interval, Some(at));
            self.timers.refresh();
        }
    }

    /// Sets (or with `None`, stops) the keepalive ping interval, counting
    /// from `now`.
    pub fn set_ping_interval(&mut self, every: Option<std::time::Duration>, now: Instant) {
        self.timers.ping_interval = every.filter(|d| !d.is_zero());
        if self.state == ReadyState::Open {
            self.timers.ping = Timer::start(self.timers.ping_interval, Some(now));
            self.timers.refresh();
        }
    }

    /// Sets (or with `None`, stops) the idle timeout, counting from `now`.
    pub fn set_idle_timeout(&mut self, after: Option<std::time::Duration>, now: Instant) {
        self.timers.idle_timeout = after;
        if self.state != ReadyState::Closed {
            self.timers.idle = Timer::start(after, Some(now));
            self.timers.refresh();
        }
    }

    /// Whether a timer runs (or waits for the time to start), so that a
    /// transport can skip reading the clock when none does.
    #[inline]
    pub fn has_timer(&self) -> bool {
        self.timers.is_running()
    }

    /// Starts pending timers at `now` (for [`Driver`](crate::Driver), whose
    /// calls carry no time).
    pub(crate) fn settle_timers(&mut self, now: Instant) {
        self.timers.settle(now);
    }
}
