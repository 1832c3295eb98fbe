//! A proxy's answer to `CONNECT`, cut anywhere: the same outcome as when
//! it arrives whole, the bytes after a 2xx head kept whole for the next
//! layer, and a head that never ends refused once it passes the bound.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver::proxy::MAX_PROXY_RESPONSE_SIZE;
use wsdriver::{Machine, Proxy, ProxyEvent};
use wsdriver_fuzz::Chunks;

fn answer<'a>(chunks: impl Iterator<Item = &'a [u8]>) -> (Option<bool>, Option<u16>, Vec<u8>) {
    let mut proxy =
        Proxy::new("ws://target.example/chat", "http://proxy.example:3128").expect("valid URLs");
    assert!(proxy.start());
    let mut outcome = None;
    for chunk in chunks {
        proxy.parse(chunk);
        while let Some(event) = proxy.poll_event() {
            assert!(outcome.is_none(), "a second event: {event:?}");
            outcome = Some(matches!(event, ProxyEvent::Connect));
        }
    }
    (
        outcome,
        proxy.status_code(),
        proxy.take_remaining().to_vec(),
    )
}

fuzz_target!(|input: &[u8]| {
    let chunks = Chunks::split(input);
    let data = chunks.data();
    let whole = answer(std::iter::once(data));
    let cut = answer(chunks);
    assert_eq!(whole, cut, "cutting the answer changed it");
    match whole.0 {
        // The tunnel's first bytes: everything after the head's blank line
        // (httparse takes a bare LF as a line end, as RFC 9112 lets it).
        Some(true) => {
            let head = &data[..data.len() - whole.2.len()];
            assert!(data.ends_with(&whole.2), "the tunnel's first bytes");
            assert!(
                head.ends_with(b"\n\n") || head.ends_with(b"\n\r\n"),
                "{head:?}"
            );
        }
        Some(false) => {}
        None => assert!(
            data.len() <= MAX_PROXY_RESPONSE_SIZE,
            "{} bytes and no answer",
            data.len()
        ),
    }
});
