//! [`Connection`]: an open WebSocket, after the handshake. It holds only
//! what an open connection needs (framing, active extensions, pings and
//! pongs, the output, its timers); the handshake machines build it and hand
//! it the bytes they read past their head.

mod framing;
mod incoming;
mod linger;
mod outgoing;
mod timers;

pub use linger::{LINGER_BYTES, LINGER_TIME};
pub use outgoing::MAX_PENDING_PINGS;

pub(crate) use framing::Framing;

use crate::close::CloseCode;
use crate::close_cause::CloseCause;
use crate::event::{Event, PingId};
use crate::extensions::negotiation::Registry;
use crate::hybi::pongs::AutoPongs;
use crate::hybi::receiver::MaskRule;
use crate::kinds::{ReadyState, Role, Version};
use crate::machine::Machine;
use crate::options::Options;
use crate::output::Output;
use bytes::{Bytes, BytesMut};
use std::collections::VecDeque;
use std::fmt;
use std::time::Instant;
use timers::Timers;

/// An open WebSocket connection, client or server, without I/O.
///
/// Made by a handshake ([`ServerHandshake::into_connection`](crate::ServerHandshake::into_connection),
/// [`ClientHandshake::into_connection`](crate::ClientHandshake::into_connection),
/// or [`Driver::into_connection`](crate::Driver::into_connection) once a
/// driver is open). It is a [`Machine`]: bytes from the transport go into
/// [`input_buffer`](Machine::input_buffer), followed by
/// [`received`](Machine::received) with the time they came; events come
/// out of [`poll_event`](Machine::poll_event), bytes to send out of
/// [`output`](Machine::output). The connection owns every timer (close
/// handshake, keepalive pings, idle timeout): calls that start one take
/// `now`, and [`poll_timeout`](Machine::poll_timeout) says when
/// [`handle_timeout`](Machine::handle_timeout) is next due.
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
    /// While a failed connection lingers (its timer is in `timers`): how
    /// many more bytes it reads and discards.
    linger_left: usize,
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
                Framing::rfc6455(mask_rule, options.max_length, options.max_fragments, rsv)
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
            linger_left: 0,
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

    /// Feeds bytes received from the transport, at a time the caller does
    /// not know (the idle timeout starts over at the next call that tells
    /// the time). They are read as [`poll_event`](Machine::poll_event)
    /// asks for the next event, so each event is handled before the bytes
    /// after it are looked at.
    #[inline]
    pub fn parse(&mut self, data: &[u8]) {
        if self.state != ReadyState::Closed {
            self.input.extend_from_slice(data);
            self.timers.received_untimed();
        } else if self.is_lingering() {
            self.discarded(data.len());
        }
    }

    /// The transport failed with an error of this `kind` (a reset, a
    /// broken pipe): as [`transport_closed`](Machine::transport_closed),
    /// with [`CloseCause::TransportError`] in the close event.
    pub fn transport_failed(&mut self, kind: std::io::ErrorKind) {
        self.transport_ended(CloseCause::TransportError(kind));
    }

    fn transport_ended(&mut self, cause: CloseCause) {
        self.stop_lingering();
        if self.state != ReadyState::Closed {
            self.finish(CloseCode::ABNORMAL, String::new(), false, cause);
        }
    }

    /// Ping ids handed out before the connection opened (by a driver that
    /// queued pings) are not handed out again.
    pub(crate) fn skip_ping_ids(&mut self, count: u64) {
        self.next_ping = self.next_ping.max(count);
    }
}

impl Machine for Connection {
    type Event = Event;

    #[inline]
    fn poll_event(&mut self) -> Option<Event> {
        match self.events.pop_front() {
            Some(event) => Some(event),
            // No input, nothing to read: the poll after every message and
            // every wake-up before a read ends here.
            None if self.input.is_empty() => None,
            None => self.process(),
        }
    }

    #[inline]
    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// The idle timeout starts over, and timers that messages in these
    /// bytes start count from `now`.
    #[inline]
    fn received(&mut self, now: Instant) {
        self.timers.received(now);
    }

    /// Unless the close handshake finished, this reports `Close` with 1006
    /// ([`CloseCause::TransportClosed`]).
    fn transport_closed(&mut self) {
        self.transport_ended(CloseCause::TransportClosed);
    }

    #[inline]
    fn output(&self) -> &Output {
        &self.output
    }

    #[inline]
    fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
        self.pongs.release(&mut self.output, self.mask);
    }

    #[inline]
    fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next()
    }

    fn handle_timeout(&mut self, now: Instant) {
        self.run_timers(now);
    }

    /// `false` while the peer leaves [`Options::max_queued_pongs`] of our
    /// pongs unread, so that a transport stops reading from a peer that
    /// floods pings without reading, until the output drains.
    #[inline]
    fn wants_read(&self) -> bool {
        !self.pongs.holding()
    }

    #[inline]
    fn read_hint(&self) -> usize {
        // Closed (lingering): whatever comes is thrown away, however much
        // of a frame the peer said was coming.
        if self.state == ReadyState::Closed {
            return 0;
        }
        self.framing.wanted(self.input.len())
    }
}
