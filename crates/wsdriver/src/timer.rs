//! One timer: off, due at an instant, or waiting for the time to start.
//!
//! Calls that arm a timer take `now` (quinn-proto's rule) so that
//! [`poll_timeout`](crate::Connection::poll_timeout) can be a pure query.
//! [`Driver`](crate::Driver) keeps websocket-driver's calls, which carry no
//! time: the timers they arm wait as `Pending` until the next call that does
//! ([`Driver::next_deadline`](crate::Driver::next_deadline) in a loop), a
//! few microseconds later. A machine that was told a time reports such a
//! timer due at that time ([`Timer::wake_at`]), so its `poll_timeout` asks
//! for the call that starts it.

use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Timer {
    #[default]
    Off,
    /// Armed without a time: starts counting at the next known `now`.
    Pending(Duration),
    At(Instant),
}

impl Timer {
    /// A timer running for `after` from `now` (or from the next known time);
    /// off when there is no duration.
    pub fn start(after: Option<Duration>, now: Option<Instant>) -> Timer {
        match (after, now) {
            (None, _) => Timer::Off,
            (Some(after), Some(now)) => Timer::At(now + after),
            (Some(after), None) => Timer::Pending(after),
        }
    }

    /// Starts a pending timer at `now`.
    pub fn settle(&mut self, now: Instant) {
        if let Timer::Pending(after) = *self {
            *self = Timer::At(now + after);
        }
    }

    pub fn deadline(self) -> Option<Instant> {
        match self {
            Timer::At(at) => Some(at),
            _ => None,
        }
    }

    /// When to wake for this timer: its deadline, or for one armed
    /// without a time, `known` (the latest time the machine was told), so
    /// that the wake-up's `handle_timeout(now)` starts it. `None` only
    /// when it is off, or no time was ever told.
    pub fn wake_at(self, known: Option<Instant>) -> Option<Instant> {
        match self {
            Timer::Off => None,
            Timer::Pending(_) => known,
            Timer::At(at) => Some(at),
        }
    }

    pub fn is_due(self, now: Instant) -> bool {
        self.deadline().is_some_and(|at| at <= now)
    }

    #[inline]
    pub fn is_running(self) -> bool {
        !matches!(self, Timer::Off)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_timers_start_at_the_next_known_time() {
        let now = Instant::now();
        let second = Duration::from_secs(1);
        let mut timer = Timer::start(Some(second), None);
        assert!(timer.is_running());
        assert_eq!(timer.deadline(), None);
        assert!(!timer.is_due(now + second * 100));
        timer.settle(now);
        assert_eq!(timer.deadline(), Some(now + second));
        timer.settle(now + second); // already running: unchanged
        assert_eq!(timer.deadline(), Some(now + second));
        assert!(!timer.is_due(now));
        assert!(timer.is_due(now + second));
        assert_eq!(Timer::start(None, Some(now)), Timer::Off);
        assert!(!Timer::Off.is_running());
        let pending = Timer::start(Some(second), None);
        assert_eq!(pending.wake_at(Some(now)), Some(now));
        assert_eq!(pending.wake_at(None), None);
        assert_eq!(Timer::Off.wake_at(Some(now)), None);
        assert_eq!(
            Timer::At(now + second).wake_at(Some(now)),
            Some(now + second)
        );
    }
}
