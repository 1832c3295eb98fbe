//! A client reading whatever a server sends. With the first byte even, the
//! server's 101 is canned and valid, and the frames after it are checked
//! against the reference decoder; odd, the fuzzer writes the response too.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver_fuzz::peer::Peer;
use wsdriver_fuzz::{options, run, session, Chunks};

fuzz_target!(|input: &[u8]| {
    let Some((&mode, input)) = input.split_first() else {
        return;
    };
    let chunks = Chunks::split(input);
    if mode & 1 == 0 {
        let (cuts, stream) = input.split_at(input.len() - chunks.data().len());
        session::client(cuts, stream);
        return;
    }
    let mut client = Peer::client("ws://example.com/chat", options());
    client.take_output();
    run(&mut client, chunks);
});
