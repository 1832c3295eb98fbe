//! The sans-IO EventSource client: its requests, what each response head
//! decides, bodies however framed and cut, reconnection on a simulated
//! clock with `Last-Event-ID` and `retry:`, and its bounds.

use std::time::{Duration, Instant};
use wsdriver::eventsource::{
    write_event, write_retry, Client, ClientConfig, ClientError, Interruption, MessageEvent,
    SourceEvent, SourceState, DEFAULT_RECONNECTION_TIME,
};
use wsdriver::Machine;

const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

/// Takes the `Connect` the client asks for, opens a transport at `now`,
/// and returns the request it wrote.
fn connect(client: &mut Client, now: Instant) -> String {
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    assert!(client.transport_opened(now));
    String::from_utf8(client.take_output()).unwrap()
}

/// Gives the client `bytes` and returns every event it then has.
fn feed(client: &mut Client, bytes: &[u8]) -> Vec<SourceEvent> {
    client.input_buffer().extend_from_slice(bytes);
    drain(client)
}

fn drain(client: &mut Client) -> Vec<SourceEvent> {
    std::iter::from_fn(|| client.poll_event()).collect()
}

fn message(event: &str, data: &str, id: &str) -> SourceEvent {
    let mut out = Vec::new();
    write_event(&mut out, Some(event), data, None);
    let mut decoder = wsdriver::eventsource::Decoder::resuming(1024, id);
    decoder.feed(&out).unwrap();
    SourceEvent::Message(decoder.next_event().unwrap())
}

fn messages(events: &[SourceEvent]) -> Vec<&MessageEvent> {
    events
        .iter()
        .filter_map(|event| match event {
            SourceEvent::Message(message) => Some(message),
            _ => None,
        })
        .collect()
}

/// An encoded stream of `count` events, `id: 1` to `id: count`.
fn encoded(count: usize) -> Vec<u8> {
    let mut body = Vec::new();
    for i in 1..=count {
        write_event(
            &mut body,
            Some("tick"),
            &format!("line {i}\nsecond"),
            Some(&i.to_string()),
        );
    }
    body
}

/// `body` in HTTP/1.1 chunks of `size` bytes, then the last chunk.
fn chunked(body: &[u8], size: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for chunk in body.chunks(size) {
        out.extend_from_slice(format!("{:x};ext=1\r\n", chunk.len()).as_bytes());
        out.extend_from_slice(chunk);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\nX-Trailer: yes\r\n\r\n");
    out
}

#[test]
fn the_request_has_what_an_event_source_sends() {
    let now = Instant::now();
    let url = "http://user:pa%20ss@example.com:8080/feed?x=1#frag";
    let config = ClientConfig::default().header("X-Token", "abc");
    let mut client = Client::with_config(url, config).unwrap();
    let bad = ClientConfig::default().header("Bad\nName", "v");
    assert!(Client::with_config(url, bad).is_err());
    let request = connect(&mut client, now);
    assert!(
        request.starts_with("GET /feed?x=1 HTTP/1.1\r\n"),
        "{request}"
    );
    for line in [
        "Host: example.com:8080",
        "Accept: text/event-stream",
        "Cache-Control: no-cache",
        "X-Token: abc",
        "Authorization: Basic dXNlcjpwYSBzcw==",
    ] {
        assert!(
            request.contains(&format!("\r\n{line}\r\n")),
            "{line} in {request}"
        );
    }
    assert!(!request.contains("Last-Event-ID"), "no ID yet: {request}");
    assert!(request.ends_with("\r\n\r\n"));
    assert!(!client.transport_opened(now), "one transport at a time");

    let config = ClientConfig::default().last_event_id("41");
    let mut resuming = Client::with_config("https://example.com/", config).unwrap();
    let request = connect(&mut resuming, now);
    assert!(request.contains("\r\nHost: example.com\r\n"), "{request}");
    assert!(request.contains("\r\nLast-Event-ID: 41\r\n"), "{request}");

    for bad in [
        "ws://example.com/",
        "ftp://example.com/",
        "not a url",
        "http://",
    ] {
        assert!(Client::new(bad).is_err(), "{bad}");
    }
}

#[test]
fn what_each_response_head_decides() {
    let now = Instant::now();
    let decide = |head: &str| {
        let mut client = Client::new("http://example.com/events").unwrap();
        connect(&mut client, now);
        let mut events = Vec::new();
        // Cut at every byte: the same answer.
        for byte in head.as_bytes() {
            events.extend(feed(&mut client, &[*byte]));
        }
        (events, client)
    };

    let (events, client) =
        decide("HTTP/1.1 200 OK\r\nContent-Type: Text/Event-Stream; charset=utf-8\r\n\r\n");
    assert_eq!(events, [SourceEvent::Open]);
    assert_eq!(client.ready_state(), SourceState::Open);
    assert_eq!(client.poll_timeout(), None, "the head timeout stops");

    let (events, client) = decide("HTTP/1.1 204 No Content\r\n\r\n");
    assert_eq!(events, [SourceEvent::Closed(None)]);
    assert_eq!(client.ready_state(), SourceState::Closed);
    assert_eq!(client.poll_timeout(), None, "no reconnection after 204");

    let (events, client) = decide("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n\r\n<html>");
    let error = ClientError::NotEventStream {
        status: 200,
        content_type: Some("text/html".into()),
    };
    assert!(error.to_string().contains("200") && error.to_string().contains("text/html"));
    assert_eq!(events, [SourceEvent::Closed(Some(error))]);
    assert_eq!(
        client.poll_timeout(),
        None,
        "no reconnection after a failure"
    );

    let (events, _) = decide("HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(
        events,
        [SourceEvent::Closed(Some(ClientError::NotEventStream {
            status: 200,
            content_type: None
        }))]
    );
    let (events, _) = decide("HTTP/1.1 503 Busy\r\nContent-Type: text/event-stream\r\n\r\n");
    assert!(matches!(
        &events[..],
        [SourceEvent::Closed(Some(ClientError::NotEventStream {
            status: 503,
            ..
        }))]
    ));
    let (events, _) = decide(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: gzip\r\n\r\n",
    );
    assert!(matches!(
        &events[..],
        [SourceEvent::Closed(Some(ClientError::InvalidResponse(_)))]
    ));
    let (events, _) = decide("SPDY/9 200 OK\r\n\r\n");
    assert!(matches!(
        &events[..],
        [SourceEvent::Closed(Some(ClientError::InvalidResponse(_)))]
    ));
}

#[test]
fn redirects_are_followed_a_bounded_number_of_times() {
    let now = Instant::now();
    let config = ClientConfig::default()
        .header("Authorization", "Bearer secret")
        .max_redirects(2);
    let mut client = Client::with_config("http://example.com/a/b", config).unwrap();
    connect(&mut client, now);
    let events = feed(
        &mut client,
        b"HTTP/1.1 307 Temporary\r\nLocation: c?x=1\r\n\r\n",
    );
    assert_eq!(events, [SourceEvent::Connect], "straight to the new URL");
    assert_eq!(client.current_url().as_str(), "http://example.com/a/c?x=1");
    assert_eq!(client.url().as_str(), "http://example.com/a/b");
    assert!(client.transport_opened(now));
    let request = String::from_utf8(client.take_output()).unwrap();
    assert!(request.starts_with("GET /a/c?x=1 HTTP/1.1\r\n"));
    assert!(
        request.contains("Bearer secret"),
        "same origin keeps credentials"
    );

    let events = feed(
        &mut client,
        b"HTTP/1.1 302 Found\r\nLocation: http://other.example/x\r\n\r\n",
    );
    assert_eq!(events, [SourceEvent::Connect]);
    assert!(client.transport_opened(now));
    let request = String::from_utf8(client.take_output()).unwrap();
    assert!(request.contains("\r\nHost: other.example\r\n"), "{request}");
    assert!(
        !request.contains("secret"),
        "credentials stay behind: {request}"
    );

    let events = feed(
        &mut client,
        b"HTTP/1.1 301 Moved\r\nLocation: /again\r\n\r\n",
    );
    assert_eq!(
        events,
        [SourceEvent::Closed(Some(ClientError::Redirect {
            status: 301,
            location: "/again".into()
        }))],
        "the third redirect is one too many"
    );

    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let events = feed(
        &mut client,
        b"HTTP/1.1 302 Found\r\nLocation: ftp://example.com/\r\n\r\n",
    );
    assert!(matches!(
        &events[..],
        [SourceEvent::Closed(Some(ClientError::Redirect {
            status: 302,
            ..
        }))]
    ));
}

#[test]
fn events_arrive_in_order_with_type_data_and_id() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let mut bytes = STREAM_HEAD.to_vec();
    bytes.extend_from_slice(&encoded(3));
    let events = feed(&mut client, &bytes);
    assert_eq!(events[0], SourceEvent::Open);
    let got = messages(&events);
    assert_eq!(got.len(), 3);
    for (i, message) in got.iter().enumerate() {
        assert_eq!(message.event, "tick");
        assert_eq!(message.data, format!("line {}\nsecond", i + 1));
        assert_eq!(message.id, (i + 1).to_string());
    }
    assert_eq!(client.last_event_id(), "3");
}

#[test]
fn chunked_bodies_split_at_every_byte() {
    let now = Instant::now();
    let body = encoded(4);
    let framed = chunked(&body, 7);
    let mut whole = CHUNKED_HEAD.to_vec();
    whole.extend_from_slice(&framed);
    let mut expected: Option<Vec<SourceEvent>> = None;
    for cut in 0..=whole.len() {
        let mut client = Client::new("http://example.com/").unwrap();
        connect(&mut client, now);
        let mut events = feed(&mut client, &whole[..cut]);
        events.extend(feed(&mut client, &whole[cut..]));
        assert_eq!(messages(&events).len(), 4, "cut at {cut}");
        assert_eq!(events[0], SourceEvent::Open);
        assert_eq!(
            events.last(),
            Some(&SourceEvent::Reconnecting {
                after: DEFAULT_RECONNECTION_TIME,
                cause: Interruption::EndOfStream
            }),
            "the last chunk ends the stream (cut at {cut})"
        );
        match &expected {
            None => expected = Some(events),
            Some(expected) => assert_eq!(&events, expected, "cut at {cut}"),
        }
    }
    // And a byte at a time.
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let events: Vec<SourceEvent> = whole
        .iter()
        .flat_map(|b| feed(&mut client, &[*b]))
        .collect();
    assert_eq!(Some(events), expected);
}

#[test]
fn broken_chunking_reconnects() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let mut bytes = CHUNKED_HEAD.to_vec();
    bytes.extend_from_slice(b"zz\r\n");
    let events = feed(&mut client, &bytes);
    assert!(matches!(
        &events[..],
        [
            SourceEvent::Open,
            SourceEvent::Reconnecting {
                cause: Interruption::InvalidBody(_),
                ..
            }
        ]
    ));
    // An endless chunk-size line is bounded too.
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    feed(&mut client, CHUNKED_HEAD);
    let mut events = Vec::new();
    for _ in 0..64 {
        events.extend(feed(&mut client, &[b'0'; 64]));
    }
    assert!(matches!(
        &events[..],
        [SourceEvent::Reconnecting {
            cause: Interruption::InvalidBody(_),
            ..
        }]
    ));
}

#[test]
fn a_content_length_body_ends_the_stream() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let body = encoded(2);
    let mut bytes = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    bytes.extend_from_slice(&body);
    bytes.extend_from_slice(b"data: past the end\n\n");
    let events = feed(&mut client, &bytes);
    assert_eq!(
        messages(&events).len(),
        2,
        "nothing past the length is read"
    );
    assert!(matches!(
        events.last(),
        Some(SourceEvent::Reconnecting {
            cause: Interruption::EndOfStream,
            ..
        })
    ));
}

#[test]
fn an_empty_body_ends_at_once() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    let events = feed(
        &mut client,
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 0\r\n\r\n",
    );
    assert!(matches!(
        &events[..],
        [
            SourceEvent::Open,
            SourceEvent::Reconnecting {
                cause: Interruption::EndOfStream,
                ..
            }
        ]
    ));
}

#[test]
fn reconnects_after_the_delay_with_last_event_id_and_retry() {
    let t0 = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, t0);
    let mut bytes = STREAM_HEAD.to_vec();
    bytes.extend_from_slice(&encoded(2));
    write_retry(&mut bytes, Duration::from_millis(1500));
    bytes.extend_from_slice(b"data: unfinished");
    feed(&mut client, &bytes);
    assert_eq!(client.reconnection_time(), Duration::from_millis(1500));

    // The server hangs up: the unfinished event is dropped.
    client.transport_closed();
    let after = Duration::from_millis(1500);
    assert_eq!(
        drain(&mut client),
        [SourceEvent::Reconnecting {
            after,
            cause: Interruption::EndOfStream
        }]
    );
    assert_eq!(client.ready_state(), SourceState::Connecting);
    // The delay has no start yet: it is reported due at the last time the
    // client was told, so that the transport's wake-up starts it.
    assert_eq!(client.poll_timeout(), Some(t0));
    let t1 = t0 + Duration::from_secs(10);
    client.handle_timeout(t1);
    assert_eq!(
        client.poll_timeout(),
        Some(t1 + after),
        "counted from the first time given"
    );
    client.handle_timeout(t1 + after - Duration::from_millis(1));
    assert_eq!(client.poll_event(), None, "not before the delay");
    client.handle_timeout(t1 + after);
    let request = connect(&mut client, t1 + after);
    assert!(request.contains("\r\nLast-Event-ID: 2\r\n"), "{request}");

    // The resumed stream's events carry the ID until it sets another.
    let events = feed(&mut client, &[STREAM_HEAD, b"data: resumed\n\n"].concat());
    assert_eq!(
        events,
        [SourceEvent::Open, message("message", "resumed", "2")]
    );

    // A network error: the delay counts from when it happened.
    let t2 = t1 + Duration::from_secs(60);
    client.network_error(t2, "connection reset");
    assert_eq!(
        drain(&mut client),
        [SourceEvent::Reconnecting {
            after,
            cause: Interruption::NetworkError("connection reset".into())
        }]
    );
    assert_eq!(client.poll_timeout(), Some(t2 + after));
    client.handle_timeout(t2 + after);
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    // Connecting failed too: another delay.
    client.network_error(t2 + after, "refused");
    assert!(matches!(
        client.poll_event(),
        Some(SourceEvent::Reconnecting { .. })
    ));
    assert_eq!(client.poll_timeout(), Some(t2 + after * 2));
}

#[test]
fn the_default_delay_and_the_configured_one() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    client.network_error(now, "down");
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(3)));

    let config = ClientConfig::default().reconnection_time(Duration::from_millis(250));
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    connect(&mut client, now);
    client.transport_closed();
    assert!(matches!(
        client.poll_event(),
        Some(SourceEvent::Reconnecting { .. })
    ));
    client.handle_timeout(now);
    assert_eq!(
        client.poll_timeout(),
        Some(now + Duration::from_millis(250))
    );
}

#[test]
fn a_silent_server_times_out_and_is_retried() {
    let now = Instant::now();
    let config = ClientConfig::default().head_timeout(Some(Duration::from_secs(5)));
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    connect(&mut client, now);
    assert_eq!(client.poll_timeout(), Some(now + Duration::from_secs(5)));
    client.handle_timeout(now + Duration::from_secs(5));
    assert_eq!(
        client.poll_event(),
        Some(SourceEvent::Reconnecting {
            after: DEFAULT_RECONNECTION_TIME,
            cause: Interruption::Timeout
        })
    );
    // A hang-up before the head: lost, not failed.
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    feed(&mut client, b"HTTP/1.1 200 OK\r\n");
    client.transport_closed();
    assert!(matches!(
        client.poll_event(),
        Some(SourceEvent::Reconnecting {
            cause: Interruption::TransportClosed,
            ..
        })
    ));
}

#[test]
fn the_response_head_is_bounded() {
    let now = Instant::now();
    let config = ClientConfig::default().max_head_size(1024);
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    connect(&mut client, now);
    let mut events = feed(&mut client, b"HTTP/1.1 200 OK\r\n");
    for _ in 0..100 {
        if !events.is_empty() {
            break;
        }
        events = feed(
            &mut client,
            b"X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n",
        );
    }
    assert!(
        matches!(&events[..], [SourceEvent::Closed(Some(ClientError::InvalidResponse(m)))] if m.contains("1024")),
        "{events:?}"
    );
    assert!(client.input_buffer().capacity() < 4096, "nothing kept");
}

#[test]
fn an_event_over_the_bound_fails_after_the_events_before_it() {
    let now = Instant::now();
    let config = ClientConfig::default().max_event_size(100);
    let mut client = Client::with_config("http://example.com/", config).unwrap();
    connect(&mut client, now);
    let mut bytes = STREAM_HEAD.to_vec();
    bytes.extend_from_slice(b"id: 1\ndata: small\n\n");
    let events = feed(&mut client, &bytes);
    assert_eq!(
        events,
        [SourceEvent::Open, message("message", "small", "1")]
    );
    let mut events = Vec::new();
    // A line that never ends, fed in pieces: refused at the bound.
    for _ in 0..10 {
        events.extend(feed(&mut client, &[b'x'; 30]));
    }
    assert_eq!(
        events,
        [SourceEvent::Closed(Some(ClientError::EventTooLarge(
            wsdriver::eventsource::EventTooLarge { limit: 100 }
        )))]
    );
    assert_eq!(client.ready_state(), SourceState::Closed);
    assert_eq!(client.poll_timeout(), None);
}

#[test]
fn close_stops_for_good() {
    let now = Instant::now();
    let mut client = Client::new("http://example.com/").unwrap();
    connect(&mut client, now);
    feed(&mut client, STREAM_HEAD);
    client.input_buffer().extend_from_slice(b"data: unread\n\n");
    client.close();
    assert_eq!(client.poll_event(), None);
    assert_eq!(client.ready_state(), SourceState::Closed);
    client.transport_closed();
    client.network_error(now, "late");
    client.handle_timeout(now + Duration::from_secs(60));
    assert_eq!(client.poll_event(), None, "no reconnection after close");
    assert_eq!(client.poll_timeout(), None);
}

/// One bound for an attempt, timed by the machine (issue 25: the tokio
/// wrapper timed the opening itself, and the machine's head timeout then
/// started afresh, so an attempt could take up to twice the limit).
#[test]
fn the_head_timeout_counts_from_connecting_and_covers_the_opening() {
    let t0 = Instant::now();
    let limit = Duration::from_secs(10);
    let timed = || ClientConfig::default().head_timeout(Some(limit));
    let mut client = Client::with_config("http://example.com/", timed()).unwrap();
    assert_eq!(client.poll_event(), Some(SourceEvent::Connect));
    client.connecting(t0);
    assert_eq!(client.poll_timeout(), Some(t0 + limit));

    // A slow opening leaves the head what is left of the bound.
    let opened = t0 + Duration::from_secs(7);
    assert!(client.transport_opened(opened));
    assert_eq!(client.poll_timeout(), Some(t0 + limit));

    // An opening that never finishes is cut at the bound.
    let mut stuck = Client::with_config("http://example.com/", timed()).unwrap();
    assert_eq!(stuck.poll_event(), Some(SourceEvent::Connect));
    stuck.connecting(t0);
    stuck.handle_timeout(t0 + limit - Duration::from_millis(1));
    assert_eq!(drain(&mut stuck), []);
    stuck.handle_timeout(t0 + limit);
    match &drain(&mut stuck)[..] {
        [SourceEvent::Reconnecting { cause, .. }] => assert_eq!(*cause, Interruption::Timeout),
        other => panic!("{other:?}"),
    }
    assert_eq!(stuck.ready_state(), SourceState::Connecting);

    // Without `connecting`, the bound starts with the transport, as before.
    let mut untimed = Client::with_config("http://example.com/", timed()).unwrap();
    connect(&mut untimed, opened);
    assert_eq!(untimed.poll_timeout(), Some(opened + limit));
}
