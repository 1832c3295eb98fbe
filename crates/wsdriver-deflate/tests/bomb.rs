//! A decompression bomb: 1 GiB of zeros, compressed to about 1 MiB, sent
//! as one message. It must be refused with 1009 once it would inflate past
//! `max_length`, and inflating it must never hold much more than
//! `max_length` bytes. A counting allocator measures the peak; this file
//! holds one test so nothing else allocates meanwhile.

use flate2::{Compress, Compression, FlushCompress};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use wsdriver::{CloseCode, Driver, Error, Event, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator with the same
// arguments; the counters only observe sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = CURRENT.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if new_size > layout.size() {
            let now = CURRENT.fetch_add(new_size - layout.size(), Ordering::SeqCst) + new_size
                - layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        } else {
            CURRENT.fetch_sub(layout.size() - new_size, Ordering::SeqCst);
        }
        // SAFETY: forwarded as received.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const GIB: usize = 1 << 30;
const MAX_LENGTH: usize = 16 << 20;

/// 1 GiB of zeros as one permessage-deflate payload (trailer removed).
fn bomb() -> Vec<u8> {
    let zeros = vec![0u8; 1 << 20];
    let mut compress = Compress::new_with_window_bits(Compression::best(), false, 15);
    let mut out = Vec::with_capacity(2 << 20);
    for i in 0..GIB / zeros.len() {
        let flush = if i + 1 == GIB / zeros.len() {
            FlushCompress::Sync
        } else {
            FlushCompress::None
        };
        let mut input = &zeros[..];
        loop {
            let before = compress.total_in();
            compress.compress_vec(input, &mut out, flush).unwrap();
            input = &input[(compress.total_in() - before) as usize..];
            if input.is_empty() && out.len() < out.capacity() {
                break;
            }
            out.reserve(1 << 20);
        }
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

/// A masked client frame carrying `payload` with RSV1 set.
fn compressed_frame(payload: &[u8]) -> Vec<u8> {
    let key = [0x12, 0x34, 0x56, 0x78];
    let mut frame = vec![0x80 | 0x40 | 0x2, 0x80 | 127];
    frame.extend_from_slice(&(payload.len() as u64).to_be_bytes());
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

#[test]
fn a_gigabyte_of_zeros_is_refused_at_max_length_with_bounded_memory() {
    let payload = bomb();
    assert!(
        payload.len() < 2 << 20,
        "the bomb should compress to about 1 MiB, not {}",
        payload.len()
    );
    let frame = compressed_frame(&payload);
    drop(payload);

    let mut server = Driver::server(Options::default().max_length(MAX_LENGTH)).unwrap();
    let deflate = PerMessageDeflate::new(DeflateConfig::default().threshold(0)).unwrap();
    server.add_extension(deflate).unwrap();
    server.parse(
        b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
          Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n",
    );
    assert_eq!(server.poll_event(), Some(Event::Connect));
    assert!(server.start());
    assert_eq!(server.poll_event(), Some(Event::Open));
    let response = String::from_utf8(server.take_output()).unwrap();
    assert!(
        response.contains("Sec-WebSocket-Extensions: permessage-deflate\r\n"),
        "{response}"
    );

    server.parse(&frame);
    let baseline = CURRENT.load(Ordering::SeqCst);
    PEAK.store(baseline, Ordering::SeqCst);
    let events: Vec<Event> = std::iter::from_fn(|| server.poll_event()).collect();
    let peak = PEAK.load(Ordering::SeqCst) - baseline;

    match &events[..] {
        [Event::Close(close)] => {
            let Some(Error::Protocol {
                code: CloseCode::TOO_LARGE,
                message,
            }) = close.error.as_deref()
            else {
                panic!("{close:?}")
            };
            assert!(message.contains("max_length"), "{message}");
            assert_eq!((close.code.as_u16(), close.clean), (1009, false));
        }
        other => panic!("expected a 1009 failure, got {other:?}"),
    }
    let close = server.take_output();
    assert_eq!(&close[..4], &[0x88, close.len() as u8 - 2, 0x03, 0xf1]);
    // The inflated output is capped at max_length + 1; zlib's window and
    // state add some 100 KiB. Nothing near the 1 GiB the bomb holds.
    assert!(
        peak <= MAX_LENGTH + (1 << 20),
        "peak allocation {peak} bytes for max_length {MAX_LENGTH}"
    );
}
