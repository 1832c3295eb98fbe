//! What the fuzz targets share: cutting input into chunks, canned opening
//! handshakes (so the fuzzer spends its time on frames), running a
//! handshake and its connection over a byte stream as production does
//! ([`peer`]), and a second, slow and obvious decoder of RFC 6455 frames
//! that the connection's events are checked against.

pub mod peer;
pub mod reference;
pub mod session;
pub mod wire;

use peer::Peer;
use std::time::Duration;
use wsdriver::{Event, Message, Options};

/// What a driver reported, reduced to what the reference can predict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    /// The close code the peer sent (1005 for none) or the one the driver
    /// failed the connection with.
    Close(u16),
}

/// Chunk sizes taken from the front of the input: each byte is the size of
/// one piece (0 means "the rest"), so the fuzzer controls where the stream
/// is cut, which is where incremental parsers break.
pub struct Chunks<'a> {
    sizes: &'a [u8],
    data: &'a [u8],
}

impl<'a> Chunks<'a> {
    /// The first byte says how many size bytes follow (up to 15).
    pub fn split(input: &'a [u8]) -> Self {
        let Some((&first, rest)) = input.split_first() else {
            return Chunks::new(&[], &[]);
        };
        let n = usize::from(first & 0x0f).min(rest.len());
        let (sizes, data) = rest.split_at(n);
        Chunks::new(sizes, data)
    }

    /// `data` cut at `sizes`, then in one piece.
    pub fn new(sizes: &'a [u8], data: &'a [u8]) -> Self {
        Chunks { sizes, data }
    }

    /// The whole stream, however it is cut.
    pub fn data(&self) -> &'a [u8] {
        self.data
    }
}

impl<'a> Iterator for Chunks<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        if self.data.is_empty() {
            return None;
        }
        let size = match self.sizes.split_first() {
            Some((&size, rest)) => {
                self.sizes = rest;
                if size == 0 {
                    self.data.len()
                } else {
                    usize::from(size)
                }
            }
            None => self.data.len(),
        };
        let (chunk, rest) = self.data.split_at(size.min(self.data.len()));
        self.data = rest;
        Some(chunk)
    }
}

/// A valid RFC 6455 opening request.
pub const HYBI_REQUEST: &[u8] = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

/// A valid hixie-76 opening request with its 8-byte body (the draft's own
/// example).
pub const HIXIE76_REQUEST: &[u8] =
    b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nSec-WebSocket-Protocol: sample\r\nUpgrade: WebSocket\r\n\
Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n^n:ds[4U";

/// A valid hixie-75 opening request.
pub const HIXIE75_REQUEST: &[u8] =
    b"GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
Upgrade: WebSocket\r\nOrigin: http://example.com\r\n\r\n";

/// The bounds the targets set, small enough for the fuzzer to cross.
pub const LIMITS: reference::Limits = reference::Limits {
    max_length: 1000,
    max_fragments: 12,
};
/// The message bound of [`LIMITS`].
pub const MAX_LENGTH: usize = LIMITS.max_length;

/// Options every target's driver uses.
pub fn options() -> Options {
    Options::default()
        .max_length(LIMITS.max_length)
        .max_fragments(LIMITS.max_fragments)
        .allow_drafts(true)
}

/// Feeds `chunks` to `peer` (its handshake, then its connection), with a
/// little simulated time between them, and returns what it reported and
/// everything it wrote. Checks on the way the invariants that hold for
/// every input: nothing is reported after the close, no message is longer
/// than `max_length`, every close says why, and a timer that runs is
/// always one the clock can see.
pub fn run<'a>(peer: &mut Peer, chunks: impl Iterator<Item = &'a [u8]>) -> (Vec<Seen>, Vec<u8>) {
    let mut seen = Vec::new();
    let mut output = peer.take_output();
    let mut closed = false;
    for chunk in chunks {
        let mut events = peer.receive(chunk);
        // A millisecond a chunk: far under every timer the targets run,
        // so what the reference predicts is not cut short by one.
        events.extend(peer.pass(Duration::from_millis(1)));
        for event in events {
            assert!(!closed, "an event after the close: {event:?}");
            match event {
                Event::Connect | Event::Open => {}
                Event::Message(message) => {
                    let len = message.len();
                    assert!(len <= MAX_LENGTH, "a message of {len} bytes");
                    let bytes = message.as_bytes().to_vec();
                    seen.push(match message {
                        Message::Text(_) => Seen::Text(bytes),
                        Message::Binary(_) => Seen::Binary(bytes),
                    });
                }
                Event::Ping(payload) => seen.push(Seen::Ping(payload.to_vec())),
                Event::Pong { payload, .. } => seen.push(Seen::Pong(payload.to_vec())),
                Event::Unsent(_) => {}
                Event::Close(close) => {
                    closed = true;
                    seen.push(Seen::Close(close.code.as_u16()));
                }
            }
        }
        if let Some(connection) = peer.connection() {
            if connection.has_timer() {
                assert!(
                    wsdriver::Machine::poll_timeout(connection).is_some(),
                    "a timer the clock cannot see"
                );
            }
        }
        output.extend(peer.take_output());
    }
    (seen, output)
}
