//! [`Connection`]: an open WebSocket, after the handshake. It holds only
//! what an open connection needs (framing, active extensions, pings and
//! pongs, the output, its timers); the handshake machines build it and hand
//! it the bytes they read past their head.

mod framing;
mod incoming;
mod outgoing;
mod timers;

pub use outgoing::MAX_PENDING_PINGS;

pub(crate) use framing::Framing;

use crate::close::CloseCode;
use crate::event::{Event, PingId};
use crate::extensions::negotiation::Registry;
use crate::hybi::pongs::AutoPongs;
use crate::hybi::receiver::MaskRule;
use crate::options::Options;
use crate::output::Output;
use crate::{ReadyState, Role, Version};
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::fmt;
use std::io::{self, IoSlice, Write};
use std::time::Instant;
use timers::Timers;

/// An open WebSocket connection, client or server, without I/O.
///
/// Made by a handshake ([`Driver`](crate::Driver) uses one inside, and
/// [`Driver::into_connection`](crate::Driver::into_connection) hands it
/// over). Bytes from the transport go into [`input_buffer`](Self::input_buffer)
/// (or [`parse`](Self::parse)), followed by [`received`](Self::received)
/// with the time they came; events come out of [`poll_event`](Self::poll_event),
/// bytes to send out of [`output_slices`](Self::output_slices). The
/// connection owns every timer (close handshake, keepalive pings, idle
/// timeout): calls that start one take `now`, [`poll_timeout`](Self::poll_timeout)
/// says when [`handle_timeout`](Self::handle_timeout) is next due.
pub struct Connection {
    role: Role,
    state: ReadyState,
    version: Version,
    protocol: Option<String>,
    mask: bool,
    max_length: usize,
    framing: Framing,
    /// The extensions the handshake agreed on, in registration order.
    extensions: Registry,
    input: BytesMut,
    output: Output,
    events: VecDeque<Event>,
    pings: VecDeque<(PingId, Bytes)>,
    next_ping: u64,
    /// Pongs owed to the peer, bounded.
    pongs: AutoPongs,
    timers: Timers,
}

/// What a handshake agreed on, to open a [`Connection`] with.
pub(crate) struct Agreed {
    pub role: Role,
    pub version: Version,
    pub protocol: Option<String>,
    pub extensions: Registry,
    /// Bytes read past the handshake.
    pub input: BytesMut,
    /// Bytes the handshake has not written yet (its `101`, a queue).
    pub output: Output,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("role", &self.role)
            .field("ready_state", &self.state)
            .field("version", &self.version)
            .field("protocol", &self.protocol)
            .field("buffered_amount", &self.output.len())
            .finish_non_exhaustive()
    }
}

impl Connection {
    /// Opens: timers start at `now` when it is known, else at the next
    /// call that tells the time.
    pub(crate) fn open(agreed: Agreed, options: &Options, now: Option<Instant>) -> Self {
        let Agreed {
            role,
            version,
            protocol,
            extensions,
            input,
            output,
        } = agreed;
        let framing = match version {
            Version::Hixie75 | Version::Hixie76 => {
                Framing::draft(version == Version::Hixie76, options.max_length)
            }
            Version::Hybi13 | Version::Hybi8 => {
                let mask_rule = match (role, options.require_masking) {
                    (Role::Client, _) => MaskRule::Forbidden,
                    (Role::Server, true) => MaskRule::Required,
                    (Role::Server, false) => MaskRule::Optional,
                };
                let rsv = extensions.iter().fold(0, |bits, e| bits | e.rsv());
                Framing::rfc6455(mask_rule, options.max_length, rsv)
            }
        };
        Connection {
            role,
            state: ReadyState::Open,
            version,
            protocol,
            mask: options.masking.unwrap_or(role == Role::Client),
            max_length: options.max_length,
            framing,
            extensions,
            input,
            output,
            events: VecDeque::new(),
            pings: VecDeque::new(),
            next_ping: 0,
            pongs: AutoPongs::new(options.max_queued_pongs),
            timers: Timers::new(options, now),
        }
    }

    /// Client or server.
    pub fn role(&self) -> Role {
        self.role
    }

    /// `Open`, then `Closing` once we sent a close, then `Closed`.
    pub fn ready_state(&self) -> ReadyState {
        self.state
    }

    /// The protocol version the handshake agreed on.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The subprotocol both sides agreed on, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// Feeds bytes received from the transport. They are read as
    /// [`poll_event`](Self::poll_event) asks for the next event, so each
    /// event is handled before the bytes after it are looked at. Follow
    /// with [`received`](Self::received) when you know the time.
    #[inline]
    pub fn parse(&mut self, data: &[u8]) {
        if self.state != ReadyState::Closed {
            self.input.extend_from_slice(data);
            self.timers.received_untimed();
        }
    }

    /// The buffer [`parse`](Self::parse) appends to, for callers that read
    /// straight into it (no copy, no zero-filling).
    #[inline]
    pub fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Says that bytes from the peer arrived at `now`: the idle timeout
    /// starts over, and timers the messages in them start count from `now`.
    #[inline]
    pub fn received(&mut self, now: Instant) {
        self.timers.received(now);
    }

    /// How many more bytes would complete the frame in progress; a hint
    /// for sizing reads.
    #[inline]
    pub fn read_hint(&self) -> usize {
        self.framing.wanted(self.input.len())
    }

    /// The next thing that happened, reading more of the input if needed.
    #[inline]
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            self.process();
        }
        self.events.pop_front()
    }

    /// Tells the connection the transport has ended. Unless the close
    /// handshake finished, this reports `Close` with 1006.
    pub fn transport_closed(&mut self) {
        if self.state != ReadyState::Closed {
            self.finish(CloseCode::ABNORMAL, String::new(), false);
        }
    }

    /// Whether there are bytes to write.
    #[inline]
    pub fn has_output(&self) -> bool {
        !self.output.is_empty()
    }

    /// Bytes waiting to be written.
    #[inline]
    pub fn buffered_amount(&self) -> usize {
        self.output.len()
    }

    /// Fills `dst` with the bytes to write, in order, for a vectored write;
    /// returns how many slices it filled. Follow with
    /// [`advance_output`](Self::advance_output).
    #[inline]
    pub fn output_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.output.slices(dst)
    }

    /// The first contiguous run of bytes to write, for transports without
    /// vectored writes.
    pub fn output_chunk(&self) -> &[u8] {
        self.output.first_slice()
    }

    /// Marks `n` bytes of output as written.
    ///
    /// # Panics
    /// If `n` is more than [`buffered_amount`](Self::buffered_amount).
    #[inline]
    pub fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
        self.pongs.release(&mut self.output, self.mask);
    }

    /// Writes all pending output to a blocking writer.
    ///
    /// # Errors
    /// The writer's error; what it did not take stays queued.
    pub fn write_output<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()> {
        loop {
            let written = self.output.write_to(writer);
            // Whatever was written may make room for a held pong, even if
            // the write then failed.
            self.pongs.release(&mut self.output, self.mask);
            written?;
            if self.output.is_empty() {
                return Ok(());
            }
        }
    }

    /// Takes all pending output as one buffer (handy in tests).
    pub fn take_output(&mut self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.output.len());
        self.write_output(&mut bytes)
            .expect("writing to a Vec cannot fail");
        bytes
    }

    #[inline]
    pub(crate) fn output_ref(&self) -> &Output {
        &self.output
    }

    /// Ping ids handed out before the connection opened (by a driver that
    /// queued pings) are not handed out again.
    pub(crate) fn skip_ping_ids(&mut self, count: u64) {
        self.next_ping = self.next_ping.max(count);
    }

    /// Whether to read more from the transport: `false` while the peer
    /// leaves [`Options::max_queued_pongs`] of our pongs unread, so that a
    /// transport stops reading from a peer that floods pings without
    /// reading, until the output drains.
    #[inline]
    pub fn wants_read(&self) -> bool {
        !self.pongs.holding()
    }
}
