//! The EventSource decoder, fed a stream whole and cut anywhere: both must
//! dispatch the same events (a CR at the end of one piece and an LF at the
//! start of the next are one line end; a BOM may be split), fail alike
//! when an event outgrows the bound, and never hold an event over it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver::eventsource::{Decoder, MessageEvent};
use wsdriver_fuzz::Chunks;

const MAX: usize = 300;

fn decode<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> (Vec<MessageEvent>, bool, String) {
    let mut decoder = Decoder::new(MAX);
    let mut events = Vec::new();
    let mut failed = false;
    for chunk in chunks {
        failed = decoder.feed(chunk).is_err();
        while let Some(event) = decoder.next_event() {
            assert!(
                event.data.len() <= MAX,
                "an event of {} bytes",
                event.data.len()
            );
            events.push(event);
        }
        if failed {
            break;
        }
    }
    decoder.finish();
    assert!(decoder.next_event().is_none(), "finish dispatched an event");
    (events, failed, decoder.last_event_id().to_owned())
}

fuzz_target!(|input: &[u8]| {
    let chunks = Chunks::split(input);
    let whole = decode(std::iter::once(chunks.data()));
    let cut = decode(chunks);
    assert_eq!(whole, cut, "cutting the stream changed what it says");
});
