//! The server's side of an event stream: what it writes, its keepalive
//! timer, closing, and a client that goes away; read back through the
//! decoder a client uses.

use std::time::{Duration, Instant};
use wsdriver::eventsource::{response_head, Decoder, Server, StreamClosed, StreamEvent};
use wsdriver::Machine;

const SECOND: Duration = Duration::from_secs(1);

fn decoded(bytes: &[u8]) -> (Vec<(String, String, String)>, Option<Duration>) {
    let mut decoder = Decoder::new(1 << 20);
    decoder.feed(bytes).unwrap();
    let mut events = Vec::new();
    while let Some(event) = decoder.next_event() {
        events.push((event.event, event.data, event.id));
    }
    (events, decoder.retry())
}

#[test]
fn events_round_trip_through_the_decoder_with_the_retry_first() {
    let mut stream = Server::new(Instant::now(), Duration::from_millis(2500), None);
    stream.send("tick").unwrap();
    stream
        .send_event(Some("chat"), "a\r\nb\rc\nd", Some("42"))
        .unwrap();
    stream.send_event(None, "", Some("43")).unwrap();
    let bytes = stream.take_output();
    assert!(bytes.starts_with(b"retry: 2500\n\n"));
    let (events, retry) = decoded(&bytes);
    assert_eq!(retry, Some(Duration::from_millis(2500)));
    let e = |t: &str, d: &str, i: &str| (t.to_owned(), d.to_owned(), i.to_owned());
    // An event whose data is empty still carries its id (it is dispatched
    // with one empty data line).
    assert_eq!(
        events,
        [
            e("message", "tick", ""),
            e("chat", "a\nb\nc\nd", "42"),
            e("message", "", "43")
        ]
    );
}

#[test]
fn a_raw_stream_gets_the_head_then_the_retry() {
    let head = response_head([("Access-Control-Allow-Origin", "*")]);
    let mut stream = Server::with_head(Instant::now(), head, 5 * SECOND, None);
    let bytes = String::from_utf8(stream.take_output()).unwrap();
    let (head, body) = bytes.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 200 OK\r\n"), "{head}");
    for line in [
        "Content-Type: text/event-stream",
        "Cache-Control: no-cache, no-store",
        "Access-Control-Allow-Origin: *",
        "Connection: close",
    ] {
        assert!(head.lines().any(|l| l == line), "{line} in {head}");
    }
    assert_eq!(body, "retry: 5000\n\n");
}

#[test]
fn keepalive_comments_go_out_every_ping_interval() {
    let start = Instant::now();
    let mut stream = Server::new(start, SECOND, Some(10 * SECOND));
    stream.take_output();
    assert_eq!(stream.poll_timeout(), Some(start + 10 * SECOND));
    stream.handle_timeout(start + 9 * SECOND);
    assert!(!stream.has_output(), "not yet due");
    // Late by half a second: the next is due ten seconds after this one.
    stream.handle_timeout(start + 10 * SECOND + SECOND / 2);
    assert_eq!(stream.take_output(), b":\n\n");
    assert_eq!(
        stream.poll_timeout(),
        Some(start + 20 * SECOND + SECOND / 2)
    );
    assert_eq!(stream.poll_timeout(), stream.poll_timeout(), "a pure query");
    let (events, _) = decoded(b":\n\n:\n\n");
    assert!(events.is_empty(), "comments dispatch nothing");

    let mut quiet = Server::new(start, SECOND, None);
    assert_eq!(quiet.poll_timeout(), None);
    quiet.ping().unwrap();
    assert!(quiet.take_output().ends_with(b":\n\n"));
}

#[test]
fn close_finishes_once_everything_queued_is_written() {
    let start = Instant::now();
    let mut stream = Server::new(start, SECOND, Some(SECOND));
    stream.send("last").unwrap();
    stream.close();
    assert!(!stream.is_open());
    assert_eq!(stream.send("late"), Err(StreamClosed));
    assert_eq!(stream.ping(), Err(StreamClosed));
    assert_eq!(stream.poll_timeout(), None, "no keepalive after close");
    assert!(!stream.is_finished(), "the last event is still queued");
    let queued = stream.buffered_amount();
    stream.advance_output(queued - 1);
    assert!(!stream.is_finished());
    stream.advance_output(1);
    assert!(stream.is_finished());
    assert_eq!(
        stream.poll_event(),
        None,
        "closing is not the client leaving"
    );
}

#[test]
fn a_client_that_leaves_is_reported_once_and_its_queue_dropped() {
    let start = Instant::now();
    let mut stream = Server::new(start, SECOND, Some(SECOND));
    stream.send(&"x".repeat(100_000)).unwrap();
    // Whatever the client sends is dropped at once.
    stream.input_buffer().extend_from_slice(&[b'G'; 4096]);
    stream.received(start);
    assert!(stream.input_buffer().is_empty());
    assert_eq!(stream.poll_event(), None);

    stream.transport_closed();
    assert_eq!(stream.poll_event(), Some(StreamEvent::Gone));
    assert_eq!(stream.poll_event(), None);
    assert_eq!(stream.buffered_amount(), 0);
    assert!(stream.is_finished());
    assert_eq!(stream.send("after"), Err(StreamClosed));
    assert_eq!(stream.poll_timeout(), None);
    stream.transport_closed();
    assert_eq!(stream.poll_event(), None, "still reported once");
}

/// Issue 24: a client that never reads held what was sent to it, and
/// blocked its producer, for as long as its connection lived. Past the
/// stall limit for its time, the stream is cut and reports it.
#[test]
fn a_stream_over_its_stall_limit_for_its_time_is_cut() {
    let opened = Instant::now();
    let mut stream = Server::new(opened, SECOND, None);
    stream.stall_limit(100, Some(30 * SECOND));
    let _ = stream.take_output();
    assert_eq!(stream.poll_timeout(), None);
    stream.send(&"x".repeat(150)).unwrap();
    // Armed without the time: due at once, so the loop gives it the time.
    let due = stream.poll_timeout().expect("the stall timer runs");
    assert!(due <= opened);
    let t0 = opened + 5 * SECOND;
    stream.handle_timeout(t0);
    assert_eq!(stream.poll_timeout(), Some(t0 + 30 * SECOND));
    // Some is written, not enough to come under the limit.
    stream.advance_output(20);
    stream.handle_timeout(t0 + 29 * SECOND);
    assert!(stream.is_open());
    assert_eq!(stream.poll_event(), None);
    stream.handle_timeout(t0 + 30 * SECOND);
    assert_eq!(stream.poll_event(), Some(StreamEvent::Stalled));
    assert_eq!(stream.poll_event(), None);
    assert!(stream.is_stalled() && stream.is_finished() && !stream.is_open());
    assert!(!stream.has_output(), "what it held is dropped");
    assert_eq!(stream.send("more"), Err(StreamClosed));
    assert_eq!(stream.poll_timeout(), None);
}

#[test]
fn a_stream_that_drains_under_its_stall_limit_stops_the_timer() {
    let opened = Instant::now();
    let mut stream = Server::new(opened, SECOND, Some(10 * SECOND));
    stream.stall_limit(100, Some(30 * SECOND));
    let _ = stream.take_output();
    stream.send(&"x".repeat(150)).unwrap();
    stream.handle_timeout(opened);
    assert_eq!(stream.poll_timeout(), Some(opened + 10 * SECOND));
    let _ = stream.take_output();
    // Only the keepalive runs now.
    assert_eq!(stream.poll_timeout(), Some(opened + 10 * SECOND));
    stream.handle_timeout(opened + 40 * SECOND);
    assert!(stream.is_open() && !stream.is_stalled());
    // Without a limit nothing is ever cut.
    let mut unlimited = Server::new(opened, SECOND, None);
    unlimited.send(&"x".repeat(1 << 20)).unwrap();
    assert_eq!(unlimited.poll_timeout(), None);
}

/// A client that writes on its event stream, to a server with no
/// keepalive (so no timer runs, and a transport that only tells the
/// machine about reads when a timer wants to know never calls
/// `received`): what it writes is thrown away before each read, never
/// kept.
#[test]
fn bytes_a_client_writes_are_never_kept_even_without_a_timer() {
    let mut stream = Server::with_head(Instant::now(), response_head([]), SECOND, None);
    assert_eq!(stream.poll_timeout(), None);
    for _ in 0..1_000 {
        stream.input_buffer().extend_from_slice(&[b'x'; 4096]);
    }
    assert!(
        stream.input_buffer().len() <= 4096,
        "kept {} bytes",
        stream.input_buffer().len()
    );
}
