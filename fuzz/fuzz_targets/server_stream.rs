//! A server reading whatever a client sends, cut anywhere. With the first
//! byte even, the opening request is canned and valid, and the frames that
//! follow are checked against the reference decoder (the differential
//! target); odd, the fuzzer writes the request too (hybi, hixie or
//! neither) and only the invariants are checked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver_fuzz::peer::Peer;
use wsdriver_fuzz::{options, run, session, wire, Chunks};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, input)) = input.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        let chunks = Chunks::split(input);
        let (cuts, stream) = input.split_at(input.len() - chunks.data().len());
        session::server(cuts, stream);
        return;
    }
    let mut server = Peer::server(options());
    let (_, output) = run(&mut server, Chunks::split(input));
    if let Some((head, rest)) = wire::after_head(&output) {
        if !head.starts_with(b"HTTP/1.1 101 ") {
            // Anything but a 101 is a refusal.
            assert!(head.starts_with(b"HTTP/1.1 4"), "{head:?}");
        } else if head.windows(20).any(|w| w == b"Sec-WebSocket-Accept") {
            // RFC 6455 framing follows (the drafts' is checked by `hixie`).
            wire::written_frames(rest, false);
        }
    }
});
