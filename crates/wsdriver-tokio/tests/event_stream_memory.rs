//! What an open event stream keeps of its request (issue 24: it kept the
//! whole head, up to hyper's ~400 KB of headers, for as long as it was
//! open). Heap counted by a wrapping allocator, in a test binary of its
//! own so that nothing else allocates meanwhile.
#![cfg(feature = "hyper")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use wsdriver_tokio::{event_stream, EventStreamOptions};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the
// counter only observes sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

#[test]
fn an_open_stream_keeps_its_target_and_last_event_id_not_its_headers() {
    const STREAMS: usize = 200;
    let filler = "x".repeat(12 * 1024);
    let before = CURRENT.load(Ordering::Relaxed);
    let mut open = Vec::with_capacity(STREAMS);
    for i in 0..STREAMS {
        let request = wsdriver_tokio::core::http_types::Request::builder()
            .uri(format!("/events?room={i}"))
            .header("accept", "text/event-stream")
            .header("last-event-id", "41")
            .header("cookie", &filler)
            .body(())
            .unwrap();
        let (response, stream) = event_stream(&request, EventStreamOptions::default()).unwrap();
        drop(request);
        assert_eq!(stream.last_event_id(), Some("41"));
        assert_eq!(stream.uri().query(), Some(format!("room={i}").as_str()));
        open.push((response, stream));
    }
    let per_stream = (CURRENT.load(Ordering::Relaxed) - before) / STREAMS;
    eprintln!("{per_stream} bytes of heap per open event stream");
    assert!(
        per_stream < 2048,
        "{per_stream} bytes per open stream (its request's headers were {} bytes)",
        filler.len()
    );
    drop(open);
}
