//! A server speaking the drafts (hixie-75 and -76): a canned, valid
//! request, then whatever the fuzzer sends as frames, cut anywhere.
//! Checked: no panic, nothing reported after the close, no message over
//! `max_length`, and output that is a 101 head and then draft frames.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver_fuzz::peer::Peer;
use wsdriver_fuzz::{options, run, wire, Chunks, HIXIE75_REQUEST, HIXIE76_REQUEST};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, input)) = input.split_first() else {
        return;
    };
    let request = if mode & 1 == 0 {
        HIXIE76_REQUEST
    } else {
        HIXIE75_REQUEST
    };
    let mut server = Peer::server(options());
    let (_, output) = run(
        &mut server,
        std::iter::once(request).chain(Chunks::split(input)),
    );
    let (head, mut frames) = wire::after_head(&output).expect("the 101 was written");
    assert!(head.starts_with(b"HTTP/1.1 101 "), "{head:?}");
    if mode & 1 == 0 {
        frames = &frames[16..]; // the challenge's answer
    }
    // A server sends no messages here: only the closing 0xFF 0x00.
    assert!(frames.is_empty() || frames == [0xff, 0x00], "{frames:?}");
});
