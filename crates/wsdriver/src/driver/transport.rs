//! The driver's transport side: bytes in, events out, bytes to write,
//! and its timers. Each call goes to whichever machine the connection is
//! in (a handshake, then the open connection).

use super::{Driver, Stage};
use crate::event::Event;
use crate::handshake::client_handshake::ClientEvent;
use crate::handshake::server_handshake::ServerEvent;
use crate::machine::Machine;
use crate::output::Output;
use bytes::BytesMut;
use std::io::{self, IoSlice, Write};
use std::time::{Duration, Instant};

impl Driver {
    /// Feeds bytes received from the transport. They are read as
    /// [`poll_event`](Self::poll_event) asks for the next event, so each
    /// event is handled before the bytes after it are looked at (as with
    /// websocket-driver's synchronous callbacks): call `poll_event` until it
    /// returns `None` after every `parse`.
    #[inline]
    pub fn parse(&mut self, data: &[u8]) {
        match &mut self.stage {
            Stage::Open(connection) => connection.parse(data),
            _ if self.ended => {}
            _ => self.input_buffer().extend_from_slice(data),
        }
    }

    /// The buffer [`parse`](Self::parse) appends to, for callers that read
    /// straight into it (no copy, no zero-filling).
    #[inline]
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        match &mut self.stage {
            Stage::Server(handshake) => handshake.input_buffer(),
            Stage::Client(handshake) => handshake.input_buffer(),
            Stage::Open(connection) => connection.input_buffer(),
            Stage::Moving => unreachable!("between stages"),
        }
    }

    /// Says that bytes from the peer arrived at `now` (after reading into
    /// [`input_buffer`](Self::input_buffer)): the idle timeout starts over.
    #[inline]
    pub fn received(&mut self, now: Instant) {
        match &mut self.stage {
            Stage::Open(connection) => connection.received(now),
            Stage::Server(handshake) => handshake.settle_timer(now),
            Stage::Client(handshake) => handshake.settle_timer(now),
            Stage::Moving => {}
        }
    }

    /// How many more bytes would complete the frame in progress; a hint
    /// for sizing reads.
    #[inline]
    pub fn read_hint(&self) -> usize {
        match &self.stage {
            Stage::Open(connection) => connection.read_hint(),
            _ => 0,
        }
    }

    /// The next thing that happened, reading more of the input if needed.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        if let (Stage::Open(connection), true) = (&mut self.stage, self.events.is_empty()) {
            return connection.poll_event();
        }
        self.poll_handshake_event()
    }

    /// `poll_event` while the handshake's events are being taken.
    #[inline(never)]
    fn poll_handshake_event(&mut self) -> Option<Event> {
        loop {
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
            match &mut self.stage {
                Stage::Open(connection) => return connection.poll_event(),
                Stage::Server(handshake) => match handshake.poll_event()? {
                    ServerEvent::Request => self.events.push_back(Event::Connect),
                    ServerEvent::Open => self.open(),
                    ServerEvent::Failed(error) => self.handshake_failed(error),
                },
                Stage::Client(handshake) => match handshake.poll_event()? {
                    ClientEvent::Open => self.open(),
                    ClientEvent::Failed(error) => self.handshake_failed(error),
                },
                Stage::Moving => return None,
            }
        }
    }

    /// When [`handle_timeout`](Self::handle_timeout) is next due. Timers
    /// armed since the last call that told the time start counting at `now`.
    #[inline]
    pub fn next_deadline(&mut self, now: Instant) -> Option<Instant> {
        match &mut self.stage {
            Stage::Open(connection) => {
                connection.settle_timers(now);
                connection.poll_timeout()
            }
            Stage::Server(handshake) => {
                handshake.settle_timer(now);
                handshake.poll_timeout()
            }
            Stage::Client(handshake) => {
                handshake.settle_timer(now);
                handshake.poll_timeout()
            }
            Stage::Moving => None,
        }
    }

    /// Whether a timer is running (or waits for `next_deadline` to start
    /// it), so a transport can skip reading the clock when none is.
    #[inline]
    pub fn has_timer(&self) -> bool {
        match &self.stage {
            Stage::Open(connection) => connection.has_timer(),
            Stage::Server(handshake) => handshake.has_timer(),
            Stage::Client(handshake) => handshake.has_timer(),
            Stage::Moving => false,
        }
    }

    /// Runs timers due by `now`: a close handshake the peer never finished
    /// ends with 1006; so does an opening handshake that took too long
    /// (see [`Options::handshake_timeout`](crate::Options::handshake_timeout)) and a connection left idle
    /// (see [`Options::idle_timeout`](crate::Options::idle_timeout)); keepalive pings go out.
    #[inline]
    pub fn handle_timeout(&mut self, now: Instant) {
        match &mut self.stage {
            Stage::Open(connection) => connection.handle_timeout(now),
            // A failure is reported at once, as the other calls do.
            Stage::Server(handshake) => {
                handshake.handle_timeout(now);
                if let Some(ServerEvent::Failed(error)) = handshake.poll_event() {
                    self.handshake_failed(error);
                }
            }
            Stage::Client(handshake) => {
                handshake.handle_timeout(now);
                if let Some(ClientEvent::Failed(error)) = handshake.poll_event() {
                    self.handshake_failed(error);
                }
            }
            Stage::Moving => {}
        }
    }

    /// Sets (or with `None`, stops) the keepalive ping interval, counting
    /// from `now` (from the open, while connecting).
    pub fn set_ping_interval(&mut self, every: Option<Duration>, now: Instant) {
        let every = every.filter(|d| !d.is_zero());
        match &mut self.stage {
            Stage::Open(connection) => connection.set_ping_interval(every, now),
            Stage::Server(handshake) => handshake.options_mut().ping_interval = every,
            Stage::Client(handshake) => handshake.options_mut().ping_interval = every,
            Stage::Moving => {}
        }
    }

    /// Sets (or with `None`, stops) the idle timeout, counting from `now`
    /// (from the open, while connecting).
    pub fn set_idle_timeout(&mut self, after: Option<Duration>, now: Instant) {
        match &mut self.stage {
            Stage::Open(connection) => connection.set_idle_timeout(after, now),
            Stage::Server(handshake) => handshake.options_mut().idle_timeout = after,
            Stage::Client(handshake) => handshake.options_mut().idle_timeout = after,
            Stage::Moving => {}
        }
    }

    #[inline]
    fn output(&self) -> &Output {
        match &self.stage {
            Stage::Server(handshake) => handshake.output(),
            Stage::Client(handshake) => handshake.output(),
            Stage::Open(connection) => connection.output(),
            Stage::Moving => unreachable!("between stages"),
        }
    }

    /// Whether there are bytes to write.
    #[inline]
    pub fn has_output(&self) -> bool {
        !self.output().is_empty()
    }

    /// Bytes waiting to be written.
    #[inline]
    pub fn buffered_amount(&self) -> usize {
        self.output().len()
    }

    /// Fills `dst` with the bytes to write, in order, for a vectored write;
    /// returns how many slices it filled. Follow with
    /// [`advance_output`](Self::advance_output).
    #[inline]
    pub fn output_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.output().slices(dst)
    }

    /// The first contiguous run of bytes to write, for transports without
    /// vectored writes.
    pub fn output_chunk(&self) -> &[u8] {
        self.output().first_slice()
    }

    /// Marks `n` bytes of output as written.
    ///
    /// # Panics
    /// If `n` is more than [`buffered_amount`](Self::buffered_amount).
    #[inline]
    pub fn advance_output(&mut self, n: usize) {
        match &mut self.stage {
            Stage::Server(handshake) => handshake.advance_output(n),
            Stage::Client(handshake) => handshake.advance_output(n),
            Stage::Open(connection) => connection.advance_output(n),
            Stage::Moving => unreachable!("between stages"),
        }
    }

    /// Writes all pending output to a blocking writer.
    ///
    /// # Errors
    /// The writer's error; what it did not take stays queued.
    pub fn write_output<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        match &mut self.stage {
            Stage::Server(handshake) => handshake.write_output(writer),
            Stage::Client(handshake) => handshake.write_output(writer),
            Stage::Open(connection) => connection.write_output(writer),
            Stage::Moving => unreachable!("between stages"),
        }
    }

    /// Whether to read more from the transport: `false` while the peer
    /// leaves [`Options::max_queued_pongs`](crate::Options::max_queued_pongs) of our pongs unread, so that a
    /// transport stops reading from a peer that floods pings without
    /// reading, until the output drains. (Input fed meanwhile is still
    /// handled, with pongs coalesced, so memory stays bounded either way.)
    #[inline]
    pub fn wants_read(&self) -> bool {
        match &self.stage {
            Stage::Open(connection) => connection.wants_read(),
            _ => true,
        }
    }

    /// Takes all pending output as one buffer (handy in tests; transports
    /// should prefer [`output_slices`](Self::output_slices)).
    ///
    /// # Panics
    /// Never: writing to a `Vec` cannot fail.
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.buffered_amount());
        self.write_output(&mut bytes)
            .expect("writing to a Vec cannot fail");
        bytes
    }
}

/// The driver is a machine like the ones it fronts, so that the loop
/// that drives them (the tokio crate's drive step, or your own) drives it
/// too. Each call goes to the inherent method of the same name; the
/// timer is the current stage's, read without settling anything
/// (`poll_timeout` is pure: a timer armed by one of the driver's untimed
/// calls shows once [`next_deadline`](Driver::next_deadline) or a timed
/// call has told it the time, and until then `poll_timeout` of the stage
/// says when it is due from the last time it was told).
impl Machine for Driver {
    type Event = Event;

    fn poll_event(&mut self) -> Option<Event> {
        Driver::poll_event(self)
    }

    fn input_buffer(&mut self) -> &mut BytesMut {
        Driver::input_buffer(self)
    }

    fn received(&mut self, now: Instant) {
        Driver::received(self, now)
    }

    fn transport_closed(&mut self) {
        Driver::transport_closed(self)
    }

    fn output(&self) -> &Output {
        Driver::output(self)
    }

    fn advance_output(&mut self, n: usize) {
        Driver::advance_output(self, n)
    }

    fn poll_timeout(&self) -> Option<Instant> {
        match &self.stage {
            Stage::Open(connection) => connection.poll_timeout(),
            Stage::Server(handshake) => handshake.poll_timeout(),
            Stage::Client(handshake) => handshake.poll_timeout(),
            Stage::Moving => None,
        }
    }

    fn handle_timeout(&mut self, now: Instant) {
        Driver::handle_timeout(self, now)
    }

    fn wants_read(&self) -> bool {
        Driver::wants_read(self)
    }

    fn read_hint(&self) -> usize {
        Driver::read_hint(self)
    }
}
