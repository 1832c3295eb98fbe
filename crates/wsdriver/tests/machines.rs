//! The machines under the driver, used directly: the handshakes hand over
//! to a `Connection`, an HTTP layer gets the server's answer as a
//! structured head, and one generic loop drives any `Machine`.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wsdriver::http_types::Request;
use wsdriver::{
    ClientEvent, ClientHandshake, Error, Event, HandshakeError, Machine, Message, Options,
    ReadyState, ResponseHead, ServerEvent, ServerHandshake, Version,
};

const SECOND: Duration = Duration::from_secs(1);

/// The one loop every transport runs, here over two in-memory pipes: the
/// peer's bytes in, then events until there are none.
fn pump<M: Machine>(machine: &mut M, bytes: &[u8], now: Instant) -> Vec<M::Event> {
    if !bytes.is_empty() {
        machine.input_buffer().extend_from_slice(bytes);
        machine.received(now);
    }
    std::iter::from_fn(|| machine.poll_event()).collect()
}

fn parsed(request: &[u8]) -> Request<()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Request::new(&mut headers);
    let httparse::Status::Complete(_) = parsed.parse(request).unwrap() else {
        panic!("a whole head")
    };
    let mut builder = Request::builder()
        .method(parsed.method.unwrap())
        .uri(parsed.path.unwrap());
    for header in parsed.headers.iter() {
        builder = builder.header(header.name, header.value);
    }
    builder.body(()).unwrap()
}

#[test]
fn handshakes_hand_over_to_connections_that_talk() {
    let now = Instant::now();
    let mut client = ClientHandshake::new("ws://example.com/chat", Options::default()).unwrap();
    let mut server = ServerHandshake::new(Options::default(), now).unwrap();
    assert!(client.start(now));
    assert!(!client.start(now), "the request goes out once");
    assert_eq!(
        pump(&mut server, &client.take_output(), now),
        [ServerEvent::Request]
    );
    assert_eq!(server.request().unwrap().uri.path(), "/chat");
    server.accept().unwrap();
    // Frames that arrive with the 101 are the connection's first input.
    let mut answer = server.take_output();
    assert_eq!(pump(&mut server, &[], now), [ServerEvent::Open]);
    assert_eq!(server.url().unwrap().as_str(), "ws://example.com/chat");
    let mut server = server.into_connection(now).unwrap();
    server.text("hello").unwrap();
    answer.extend(server.take_output());
    assert_eq!(pump(&mut client, &answer, now), [ClientEvent::Open]);
    assert_eq!(client.status_code(), Some(101));
    let mut client = client.into_connection(now).unwrap();
    assert_eq!(
        pump(&mut client, &[], now),
        [Event::Message(Message::from("hello"))]
    );
    client.binary(&[1, 2, 3]).unwrap();
    assert_eq!(
        pump(&mut server, &client.take_output(), now),
        [binary_event(&[1, 2, 3])]
    );
    assert_eq!(client.version(), Version::Hybi13);
    assert_eq!(server.ready_state(), ReadyState::Open);
}

#[test]
fn a_handshake_that_is_not_open_is_given_back() {
    let now = Instant::now();
    let server = ServerHandshake::new(Options::default(), now).unwrap();
    let server = server.into_connection(now).unwrap_err();
    assert!(server.request().is_none());
    let client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    assert!(client.into_connection(now).is_err());
}

#[test]
fn an_http_layer_gets_the_101_as_a_head_and_nothing_written() {
    let now = Instant::now();
    let request = parsed(&request(&[("Sec-WebSocket-Protocol", "chat")]));
    let options = Options::default().protocols(["chat"]);
    let mut server = ServerHandshake::for_request(&request, options, now).unwrap();
    let head = server.accept_head().unwrap();
    assert!(!server.has_output(), "the HTTP layer writes the head");
    assert_eq!(head.status(), 101);
    assert_eq!(head.reason(), None, "the usual reason phrase");
    assert_eq!(
        head.header("sec-websocket-accept"),
        Some("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    );
    assert_eq!(head.header("Sec-WebSocket-Protocol"), Some("chat"));
    let response = head.to_http();
    assert_eq!(response.status(), 101);
    assert_eq!(response.headers()["upgrade"], "websocket");
    assert_eq!(server.poll_event(), Some(ServerEvent::Open));
    assert_eq!(server.protocol(), Some("chat"));
}

#[test]
fn an_http_layer_gets_a_refusal_to_send_and_nothing_written() {
    let now = Instant::now();
    let request = parsed(&request(&[]));
    let mut wrong_version = request.clone();
    wrong_version
        .headers_mut()
        .insert("sec-websocket-version", "7".parse().unwrap());
    let mut server = ServerHandshake::for_request(&wrong_version, Options::default(), now).unwrap();
    let error = server.accept_head().unwrap_err();
    assert!(!server.has_output());
    let Error::BadRequest { status, message } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(*status, 426);
    let answer = ResponseHead::refusal(*status, message);
    assert_eq!(answer.header("sec-websocket-version"), Some("13, 8"));
    assert_eq!(answer.body(), message.as_str());
    assert_eq!(
        answer.header("content-length"),
        Some(message.len().to_string().as_str())
    );
    assert_eq!(server.poll_event(), Some(ServerEvent::Failed(error)));
    assert_eq!(server.accept(), Err(Error::Closed), "answered once");
}

#[test]
fn hixie_76_over_an_http_layer_answers_the_challenge_after_the_head() {
    let now = Instant::now();
    let head = head(
        "GET /demo HTTP/1.1",
        &[
            ("Host", "example.com"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00"),
            ("Upgrade", "WebSocket"),
            ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"),
            ("Origin", "http://example.com"),
        ],
    );
    let options = Options::default().allow_drafts(true);
    let mut server = ServerHandshake::for_request(&parsed(&head), options, now).unwrap();
    let answer = server.accept_head().unwrap();
    assert_eq!(answer.reason(), Some("WebSocket Protocol Handshake"));
    assert_eq!(server.poll_event(), None, "the challenge is still owed");
    // After hyper hands over the connection: the 8 bytes, then the answer.
    assert_eq!(pump(&mut server, b"^n:ds[4U", now), [ServerEvent::Open]);
    assert_eq!(server.take_output(), b"8jKS'y:G*Co,Wxa-");
    let connection = server.into_connection(now).unwrap();
    assert_eq!(connection.version(), Version::Hixie76);
}

#[test]
fn handshake_timeouts_are_machine_timers() {
    let start = Instant::now();
    let options = Options::default().handshake_timeout(Some(10 * SECOND));
    let mut server = ServerHandshake::new(options.clone(), start).unwrap();
    assert_eq!(server.poll_timeout(), Some(start + 10 * SECOND));
    assert_eq!(server.poll_timeout(), Some(start + 10 * SECOND), "pure");
    pump(&mut server, b"GET / HTTP/1.1\r\n", start + SECOND);
    server.handle_timeout(start + 9 * SECOND);
    assert_eq!(server.poll_event(), None);
    server.handle_timeout(start + 10 * SECOND);
    match server.poll_event() {
        Some(ServerEvent::Failed(Error::BadRequest { status: 408, .. })) => {}
        other => panic!("{other:?}"),
    }
    assert!(server
        .take_output()
        .starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
    assert_eq!(server.poll_timeout(), None);

    let mut client = ClientHandshake::new("ws://example.com/", options).unwrap();
    assert_eq!(client.poll_timeout(), None, "not started");
    client.start(start);
    client.handle_timeout(start + 10 * SECOND);
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Failed(Error::HandshakeTimeout))
    );
}

#[test]
fn a_refused_answer_keeps_its_status_and_headers() {
    let now = Instant::now();
    let mut client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    client.set_header("Cookie", "a=b").unwrap();
    client.set_origin("http://example.com").unwrap();
    client.start(now);
    let request = String::from_utf8(client.take_output()).unwrap();
    assert!(request.contains("\r\nCookie: a=b\r\n"), "{request}");
    assert!(request.contains("\r\nOrigin: http://example.com\r\n"));
    assert!(client.set_header("X-Late", "1").is_err(), "after start");
    let events = pump(
        &mut client,
        b"HTTP/1.1 302 Found\r\nLocation: /elsewhere\r\nContent-Length: 0\r\n\r\n",
        now,
    );
    assert_eq!(
        events,
        [ClientEvent::Failed(Error::Handshake(
            HandshakeError::UnexpectedStatus(302)
        ))]
    );
    assert_eq!(client.status_code(), Some(302));
    assert_eq!(client.headers().unwrap()["location"], "/elsewhere");
}

#[test]
fn machines_report_the_transport_end_their_own_way() {
    let now = Instant::now();
    let mut server = ServerHandshake::new(Options::default(), now).unwrap();
    pump(&mut server, b"GET / HT", now);
    server.transport_closed();
    assert_eq!(
        server.poll_event(),
        None,
        "the caller knows the stream ended"
    );
    assert_eq!(server.poll_timeout(), None);

    let (client, server) = open_pair();
    let mut connection = server.into_connection(now).unwrap();
    connection.transport_closed();
    assert_eq!(
        pump(&mut connection, &[], now),
        [close_event(1006, "", false)]
    );
    drop(client);
}

fn refused_client(now: Instant) -> ClientHandshake {
    let options = Options::default().handshake_timeout(Some(10 * SECOND));
    let mut client = ClientHandshake::new("ws://example.com/", options).unwrap();
    client.start(now);
    client.take_output();
    client
}

#[test]
fn a_refusal_waits_for_its_page_and_keeps_its_start() {
    let now = Instant::now();
    // Content-Length: the body, however it is cut.
    let mut client = refused_client(now);
    let head = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 12\r\n\r\nlog";
    assert_eq!(pump(&mut client, head, now), []);
    let events = pump(&mut client, b" in first", now);
    assert_eq!(
        events,
        [ClientEvent::Failed(Error::Handshake(
            HandshakeError::UnexpectedStatus(401)
        ))]
    );
    assert_eq!(&client.body()[..], b"log in first");
    assert_eq!(client.status_code(), Some(401));

    // Neither length nor chunks: until the stream ends, at most 4 KiB.
    let mut client = refused_client(now);
    let mut answer = b"HTTP/1.1 500 Oops\r\n\r\n".to_vec();
    answer.extend(vec![b'x'; 10_000]);
    let events = pump(&mut client, &answer, now);
    assert_eq!(events.len(), 1, "4 KiB is enough to stop waiting");
    assert_eq!(client.body().len(), wsdriver::MAX_REFUSAL_BODY);

    let mut client = refused_client(now);
    assert_eq!(
        pump(&mut client, b"HTTP/1.1 503 Busy\r\n\r\nlater", now),
        []
    );
    client.transport_closed();
    assert_eq!(client.poll_event().map(|_| ()), Some(()));
    assert_eq!(&client.body()[..], b"later");

    // Chunked: what came with the head, at once.
    let mut client = refused_client(now);
    let chunked = b"HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n";
    assert_eq!(pump(&mut client, chunked, now).len(), 1);
    assert_eq!(&client.body()[..], b"4\r\nnope\r\n");

    // A page that never ends is a refusal at the timeout, not a timeout.
    let mut client = refused_client(now);
    let head = b"HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\npart";
    assert_eq!(pump(&mut client, head, now), []);
    client.handle_timeout(now + 10 * SECOND);
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Failed(Error::Handshake(
            HandshakeError::UnexpectedStatus(403)
        )))
    );
    assert_eq!(&client.body()[..], b"part");
}

#[test]
fn plain_http_is_answered_426_with_upgrade_websocket() {
    let now = Instant::now();
    let mut server = ServerHandshake::new(Options::default(), now).unwrap();
    let plain = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    assert_eq!(pump(&mut server, plain, now), [ServerEvent::Request]);
    server.reject_plain_http().unwrap();
    let answer = String::from_utf8(server.take_output()).unwrap();
    assert!(
        answer.starts_with("HTTP/1.1 426 Upgrade Required\r\n"),
        "{answer}"
    );
    assert!(answer.contains("\r\nUpgrade: websocket\r\n"), "{answer}");
    assert!(
        answer.ends_with(wsdriver::handshake::NOT_WEBSOCKET),
        "{answer}"
    );
    assert_eq!(
        server.reject_plain_http(),
        Err(Error::Closed),
        "answered once"
    );
}

/// `Driver` is a `Machine` too: the loop that drives the machines drives
/// it, and its timer shows through `poll_timeout` once a timed call has
/// told it the time.
#[test]
fn the_driver_is_driven_by_the_same_loop() {
    use wsdriver::Driver;
    let now = Instant::now();
    let mut client = ClientHandshake::new("ws://example.com/chat", Options::default()).unwrap();
    let mut server = Driver::server(Options::default()).unwrap();
    assert!(client.start(now));
    assert_eq!(
        pump(&mut server, &client.take_output(), now),
        [Event::Connect]
    );
    // The handshake's timer, counted from the bytes that came.
    assert_eq!(Machine::poll_timeout(&server), Some(now + 30 * SECOND));
    server.start();
    assert_eq!(pump(&mut server, &[], now), [Event::Open]);
    assert_eq!(
        pump(&mut client, &Machine::take_output(&mut server), now),
        [ClientEvent::Open]
    );
    let mut client = client.into_connection(now).unwrap();
    client.text("hi").unwrap();
    assert_eq!(
        pump(&mut server, &client.take_output(), now),
        [Event::Message(Message::from("hi"))]
    );
    // No timer once open (none asked for).
    assert_eq!(Machine::poll_timeout(&server), None);
    Machine::transport_closed(&mut server);
    assert!(matches!(
        pump(&mut server, &[], now)[..],
        [Event::Close(ref close)] if close.code == 1006
    ));
}
