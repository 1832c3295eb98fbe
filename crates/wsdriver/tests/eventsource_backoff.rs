//! The EventSource client's reconnection delay on a simulated clock: a
//! floor under `retry: 0`, a backoff while attempts keep failing (a
//! server that hangs up at once, a broken chunked body, a refused
//! connection), back to the reconnection time once an event arrives, and
//! giving up after a bound when asked to.

use std::time::{Duration, Instant};
use wsdriver::eventsource::{
    Client, ClientConfig, ClientError, Interruption, SourceEvent, MAX_RECONNECTION_BACKOFF,
    MIN_RECONNECTION_TIME,
};
use wsdriver::Machine;

const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

fn drain(client: &mut Client) -> Vec<SourceEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

/// Waits out the reconnection at `now` (the delay the client gave, to
/// the instant) and opens the next transport; the time it opened.
fn reconnect(client: &mut Client, now: Instant, after: Duration) -> Instant {
    client.handle_timeout(now);
    assert_eq!(client.poll_timeout(), Some(now + after));
    client.handle_timeout(now + after - Duration::from_millis(1));
    assert_eq!(client.poll_event(), None, "not before {after:?}");
    client.handle_timeout(now + after);
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    assert!(client.transport_opened(now + after));
    client.take_output();
    now + after
}

/// One attempt answered with `body` (after a 200 event-stream head), the
/// transport then closed: the delay the client asks for, and the events
/// before it.
fn attempt(client: &mut Client, body: &[u8]) -> (Duration, Vec<SourceEvent>) {
    client.input_buffer().extend_from_slice(STREAM_HEAD);
    client.input_buffer().extend_from_slice(body);
    client.transport_closed();
    let mut events = drain(client);
    match events.pop() {
        Some(SourceEvent::Reconnecting { after, .. }) => (after, events),
        other => panic!("expected a reconnection, got {other:?} after {events:?}"),
    }
}

/// What the 37,397 reconnections in 45 s came from: `retry: 0` and a
/// hang-up, over and over. The first wait is the floor, then each doubles
/// up to the cap; 45 s now hold a handful of attempts.
#[test]
fn retry_zero_and_a_hang_up_back_off_from_the_floor_to_the_cap() {
    let mut now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    client.transport_opened(now);
    let mut delays = Vec::new();
    let started = now;
    let mut attempts = 1;
    while now - started < Duration::from_secs(45) {
        let (after, events) = attempt(&mut client, b"retry: 0\n\n");
        assert_eq!(events, [SourceEvent::Open]);
        assert_eq!(client.reconnection_time(), Duration::ZERO);
        delays.push(after);
        now = reconnect(&mut client, now, after);
        attempts += 1;
    }
    let ms = Duration::from_millis;
    assert_eq!(MIN_RECONNECTION_TIME, ms(250));
    assert_eq!(MAX_RECONNECTION_BACKOFF, Duration::from_secs(30));
    assert_eq!(
        delays,
        [
            ms(250),
            ms(500),
            ms(1000),
            ms(2000),
            ms(4000),
            ms(8000),
            ms(16000),
            ms(30000)
        ]
    );
    assert_eq!(attempts, 9, "attempts in 45 s");
    // And it stays at the cap.
    let (after, _) = attempt(&mut client, b"retry: 0\n\n");
    assert_eq!(after, MAX_RECONNECTION_BACKOFF);
}

/// An event brings the delay back to the reconnection time (at least the
/// floor): a server that sends one event per connection and hangs up is
/// polled every 250 ms, not faster, and not ever slower.
#[test]
fn an_event_resets_the_backoff() {
    let mut now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    client.transport_opened(now);
    for _ in 0..3 {
        let (after, _) = attempt(&mut client, b"retry: 0\n\n");
        now = reconnect(&mut client, now, after);
    }
    assert_eq!(client.failed_attempts(), 3);
    for round in 0..5 {
        let (after, events) = attempt(&mut client, b"retry: 0\ndata: news\n\n");
        assert!(
            matches!(&events[..], [SourceEvent::Open, SourceEvent::Message(m)] if m.data == "news"),
            "{events:?}"
        );
        assert_eq!(after, MIN_RECONNECTION_TIME, "round {round}");
        assert_eq!(client.failed_attempts(), 0);
        now = reconnect(&mut client, now, after);
    }
    // A server's longer retry is kept as it is, and is where the backoff
    // starts from.
    let (after, _) = attempt(&mut client, b"retry: 2000\ndata: slower\n\n");
    assert_eq!(after, Duration::from_secs(2));
    now = reconnect(&mut client, now, after);
    let (after, _) = attempt(&mut client, b"");
    assert_eq!(after, Duration::from_secs(2), "the first failure");
    now = reconnect(&mut client, now, after);
    let (after, _) = attempt(&mut client, b"");
    assert_eq!(after, Duration::from_secs(4), "the second in a row");
    reconnect(&mut client, now, after);
}

/// A broken chunked body (what "retried silently for ever") and refused
/// connections back off the same way, and with a bound the client gives
/// up, saying why.
#[test]
fn broken_bodies_and_refusals_back_off_then_give_up_at_the_bound() {
    let mut now = Instant::now();
    let config = ClientConfig::default()
        .reconnection_time(Duration::ZERO)
        .max_failed_attempts(Some(5));
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    client.transport_opened(now);
    let mut delays = Vec::new();
    for _ in 0..2 {
        client.input_buffer().extend_from_slice(CHUNKED_HEAD);
        client.input_buffer().extend_from_slice(b"zz\r\n");
        let events = drain(&mut client);
        let Some(SourceEvent::Reconnecting { after, cause }) = events.last() else {
            panic!("{events:?}")
        };
        assert!(matches!(cause, Interruption::InvalidBody(_)), "{cause:?}");
        delays.push(*after);
        now = reconnect(&mut client, now, *after);
    }
    for _ in 0..2 {
        client.network_error(now, "connection refused");
        let events = drain(&mut client);
        let [SourceEvent::Reconnecting { after, .. }] = &events[..] else {
            panic!("{events:?}")
        };
        delays.push(*after);
        assert_eq!(client.poll_timeout(), Some(now + *after));
        client.handle_timeout(now + *after);
        assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
        now += *after;
    }
    let ms = Duration::from_millis;
    assert_eq!(delays, [ms(250), ms(500), ms(1000), ms(2000)]);
    assert_eq!(client.failed_attempts(), 4);
    // The fifth failure in a row: no more reconnections.
    client.network_error(now, "connection refused");
    assert_eq!(
        drain(&mut client),
        [SourceEvent::Closed(Some(ClientError::GaveUp {
            attempts: 5,
            cause: Interruption::NetworkError("connection refused".into()),
        }))]
    );
    assert_eq!(client.poll_timeout(), None);
    let error = ClientError::GaveUp {
        attempts: 5,
        cause: Interruption::NetworkError("connection refused".into()),
    };
    assert_eq!(
        error.to_string(),
        "gave up after 5 failed attempts in a row: network error: connection refused"
    );
}

/// Events a body held count even when its end is read in the same step
/// (the reconnection is decided before they are handed out): no failure,
/// no give-up.
#[test]
fn events_read_with_the_end_of_the_body_count() {
    let now = Instant::now();
    let config = ClientConfig::default().max_failed_attempts(Some(1));
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    client.transport_opened(now);
    let body = b"data: one\n\n";
    let head = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    client.input_buffer().extend_from_slice(head.as_bytes());
    client.input_buffer().extend_from_slice(body);
    let events = drain(&mut client);
    assert!(
        matches!(
            &events[..],
            [
                SourceEvent::Open,
                SourceEvent::Message(_),
                SourceEvent::Reconnecting { .. }
            ]
        ),
        "{events:?}"
    );
    assert_eq!(client.failed_attempts(), 0);
}
