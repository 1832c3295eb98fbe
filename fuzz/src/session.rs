//! A connection whose opening handshake is canned and valid, so that every
//! input the fuzzer makes is about frames; the driver's report and output
//! are checked against [`reference`](crate::reference).

use crate::peer::Peer;
use crate::reference::{self, Side};
use crate::wire::{after_head, written_frames, Written};
use crate::{options, run, Chunks, Seen, HYBI_REQUEST, LIMITS};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

/// A server reads `stream` after a valid request, cut as `cuts` says.
pub fn server(cuts: &[u8], stream: &[u8]) {
    let mut server = Peer::server(options());
    let request = std::iter::once(HYBI_REQUEST);
    let (seen, output) = run(&mut server, request.chain(Chunks::new(cuts, stream)));
    let (head, frames) = after_head(&output).expect("the 101 was written");
    assert!(head.starts_with(b"HTTP/1.1 101 "), "{head:?}");
    check(stream, Side::Server, &seen, &written_frames(frames, false));
}

/// A client reads `stream` after a valid 101 for its own request.
pub fn client(cuts: &[u8], stream: &[u8]) {
    let mut client = Peer::client("ws://example.com/chat", options());
    let request = client.take_output();
    let response = switching_protocols(&request);
    let (seen, output) = run(
        &mut client,
        std::iter::once(&response[..]).chain(Chunks::new(cuts, stream)),
    );
    check(stream, Side::Client, &seen, &written_frames(&output, true));
}

/// What a server must answer to `request` to open the connection.
pub fn switching_protocols(request: &[u8]) -> Vec<u8> {
    let request = std::str::from_utf8(request).expect("the request is text");
    let key = request
        .lines()
        .find_map(|line| line.strip_prefix("Sec-WebSocket-Key: "))
        .expect("the request has a key");
    let mut sha1 = Sha1::new();
    sha1.update(key.as_bytes());
    sha1.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    let accept = STANDARD.encode(sha1.finalize());
    format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: {accept}\r\n\r\n"
    )
    .into_bytes()
}

/// The driver reported what the reference says, answered each ping it
/// reported with its payload, wrote nothing else but the closing frame, and
/// wrote that with the code it reported.
fn check(stream: &[u8], side: Side, seen: &[Seen], written: &[Written]) {
    let expected = reference::decode(stream, side, LIMITS);
    assert_eq!(seen, expected, "the driver and the reference disagree");
    let pings: Vec<&Vec<u8>> = seen
        .iter()
        .filter_map(|s| match s {
            Seen::Ping(payload) => Some(payload),
            _ => None,
        })
        .collect();
    let mut answered = 0;
    for frame in written {
        match frame.opcode {
            10 => {
                // Pongs may be merged when many wait (only the newest is
                // answered), but each answers a ping, in order.
                let at = pings[answered..]
                    .iter()
                    .position(|p| **p == frame.payload)
                    .expect("a pong for a ping that was reported");
                answered += at + 1;
            }
            8 => {}
            opcode => panic!("the driver wrote opcode {opcode} unasked"),
        }
    }
    if pings.len() <= wsdriver::DEFAULT_MAX_QUEUED_PONGS {
        assert_eq!(answered, pings.len(), "a ping left unanswered");
    }
    match (seen.last(), written.last()) {
        (Some(Seen::Close(code)), Some(close)) if close.opcode == 8 => {
            let sent = match close.payload[..] {
                [] => 1005,
                [hi, lo, ..] => u16::from_be_bytes([hi, lo]),
                _ => panic!("a one-byte close payload"),
            };
            assert_eq!(sent, *code, "the close written is not the one reported");
        }
        (Some(Seen::Close(_)), _) => panic!("closed without writing a close frame"),
        (_, Some(close)) => assert_ne!(close.opcode, 8, "a close frame, unreported"),
        (_, None) => {}
    }
}
