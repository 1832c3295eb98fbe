//! What an open event stream keeps of its request (issue 24: it kept the
//! whole head, up to hyper's ~400 KB of headers, for as long as it was
//! open). Heap counted by a wrapping allocator, in a test binary of its
//! own so that nothing else allocates meanwhile.
#![cfg(feature = "hyper")]

use wsdriver_tokio::{event_stream, EventStreamOptions};

mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

#[test]
fn an_open_stream_keeps_its_target_and_last_event_id_not_its_headers() {
    const STREAMS: usize = 200;
    let filler = "x".repeat(12 * 1024);
    let before = counting::in_use();
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
    let per_stream = (counting::in_use() - before) / STREAMS;
    eprintln!("{per_stream} bytes of heap per open event stream");
    assert!(
        per_stream < 2048,
        "{per_stream} bytes per open stream (its request's headers were {} bytes)",
        filler.len()
    );
    drop(open);
}
