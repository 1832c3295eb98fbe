//! The server's side of the opening handshake (RFC 6455 §4.2): the exact
//! `101`, subprotocol choice, custom headers, and every refusal with its
//! status and body.

mod common;

use common::*;
use wsdriver::http_types::{self, Method};
use wsdriver::{CloseCode, CloseEvent, Driver, Error, Event, Options, ReadyState, Version};

/// The exact refusal a server writes: plain text, closing the connection.
fn refusal(status_line: &str, extra: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!(
        "HTTP/1.1 {status_line}\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.push_str(body);
    out.into_bytes()
}

/// The events every refusal reports: the error, then close 1002.
fn refusal_events(status: u16, message: &str) -> Vec<Event> {
    vec![failure_event(
        1002,
        message,
        Error::BadRequest {
            status,
            message: message.to_owned(),
        },
    )]
}

/// A raw server reads `input` (a complete head), calls `start`, and must
/// refuse with exactly `expected` bytes and the matching events.
fn assert_refused(input: &[u8], status: u16, message: &str, expected: &[u8]) {
    let mut server = Driver::server(Options::default()).unwrap();
    assert_eq!(feed(&mut server, input), [Event::Connect]);
    assert!(!server.start(), "start must report the refusal");
    assert_eq!(drain(&mut server), refusal_events(status, message));
    assert_eq!(
        String::from_utf8_lossy(&server.take_output()),
        String::from_utf8_lossy(expected)
    );
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert_eq!(server.version(), None);
    assert_eq!(server.protocol(), None);
    // Later input (frames, another request) is ignored.
    assert_eq!(feed(&mut server, &Frame::text("late").encode()), []);
    assert!(!server.has_output());
    assert!(!server.start());
}

#[test]
fn rfc6455_1_3_sample_key_gets_exact_101() {
    let mut server = Driver::server(Options::default()).unwrap();
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    assert_eq!(feed(&mut server, &request(&[])), [Event::Connect]);
    assert!(!server.has_output(), "nothing is sent before start");
    assert_eq!(server.version(), None);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         \r\n"
    );
    assert_eq!(server.ready_state(), ReadyState::Open);
    assert_eq!(server.version(), Some(Version::Hybi13));
    assert_eq!(server.version().unwrap().to_string(), "hybi-13");
    assert_eq!(server.protocol(), None);
    assert!(!server.start(), "a second start does nothing");
    assert!(!server.has_output());
}

#[test]
fn rfc6455_4_2_1_head_split_byte_by_byte_gives_the_same_101() {
    let mut server = Driver::server(Options::default()).unwrap();
    let request = request(&[]);
    for (i, byte) in request.iter().enumerate() {
        let events = feed(&mut server, &[*byte]);
        if i + 1 < request.len() {
            assert_eq!(events, [], "Connect before the head ended, at byte {i}");
        } else {
            assert_eq!(events, [Event::Connect]);
        }
    }
    assert!(server.start());
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
}

#[test]
fn rfc6455_4_2_1_case_insensitive_upgrade_and_connection_token_list() {
    let mut server = Driver::server(Options::default()).unwrap();
    let input = request_without(
        &["Upgrade", "Connection"],
        &[
            ("Upgrade", "WebSocket"),
            ("Connection", "keep-alive, Upgrade"),
        ],
    );
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert!(server.start());
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
}

#[test]
fn hybi_8_request_is_accepted_and_reported_as_hybi8() {
    let mut server = Driver::server(Options::default()).unwrap();
    let input = request_without(
        &["Sec-WebSocket-Version"],
        &[("Sec-WebSocket-Version", "8")],
    );
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
    assert_eq!(server.version(), Some(Version::Hybi8));
    assert_eq!(server.version().unwrap().as_str(), "hybi-8");
}

#[test]
fn connect_exposes_method_uri_headers_and_body() {
    let mut server = Driver::server(Options::default()).unwrap();
    let mut input = head(
        "GET /chat?room=1 HTTP/1.1",
        &[
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
            ("Origin", "http://example.com"),
            ("X-Multi", "a"),
            ("X-Multi", "b"),
        ],
    );
    input.extend_from_slice(b"BODY");
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    let request = server.request().expect("a request after Connect");
    assert_eq!(request.method, Method::GET);
    assert_eq!(request.uri, "/chat?room=1");
    assert_eq!(request.headers["origin"], "http://example.com");
    assert_eq!(request.headers["sec-websocket-key"], KEY);
    let multi: Vec<_> = request.headers.get_all("x-multi").iter().collect();
    assert_eq!(multi, ["a", "b"]);
    assert!(wsdriver::is_websocket(request));
    assert!(!wsdriver::is_secure_request(request));
    assert_eq!(server.body(), b"BODY");
    // more bytes before start are body too
    assert_eq!(feed(&mut server, b"MORE"), []);
    assert_eq!(server.body(), b"BODYMORE");
}

#[test]
fn rfc6455_4_2_2_subprotocol_is_the_first_of_the_clients_list_the_server_supports() {
    let options = Options::default().protocols(["superchat", "chat"]);
    let mut server = Driver::server(options).unwrap();
    let input = request(&[("Sec-WebSocket-Protocol", "other, chat, superchat")]);
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert!(server.start());
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         Sec-WebSocket-Protocol: chat\r\n\
         \r\n"
    );
    assert_eq!(server.protocol(), Some("chat"));
}

#[test]
fn rfc6455_4_2_2_a_server_may_pick_by_its_own_order() {
    let options = Options::default()
        .protocols(["superchat", "chat"])
        .prefer_server_protocols(true);
    let mut server = Driver::server(options).unwrap();
    let input = request(&[("Sec-WebSocket-Protocol", "other, chat, superchat")]);
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert!(server.start());
    let response = String::from_utf8(server.take_output()).unwrap();
    assert!(
        response.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"),
        "{response}"
    );
    assert_eq!(server.protocol(), Some("superchat"));

    // Still only among what the client offered.
    let options = Options::default()
        .protocols(["v3", "v1"])
        .prefer_server_protocols(true);
    let mut server = Driver::server(options).unwrap();
    feed(
        &mut server,
        &request(&[("Sec-WebSocket-Protocol", "v1, v2")]),
    );
    assert!(server.start());
    assert_eq!(server.protocol(), Some("v1"));
}

#[test]
fn rfc6455_4_2_2_subprotocol_list_may_span_several_header_lines() {
    let options = Options::default().protocols_list("xmpp, superchat");
    let mut server = Driver::server(options).unwrap();
    let input = request(&[
        ("Sec-WebSocket-Protocol", "chat"),
        ("Sec-WebSocket-Protocol", "superchat, xmpp"),
    ]);
    feed(&mut server, &input);
    assert!(server.start());
    let response = String::from_utf8(server.take_output()).unwrap();
    assert!(
        response.contains("\r\nSec-WebSocket-Protocol: superchat\r\n"),
        "{response}"
    );
    assert_eq!(server.protocol(), Some("superchat"));
}

#[test]
fn rfc6455_4_2_2_no_common_subprotocol_still_opens_without_the_header() {
    for (ours, theirs) in [
        (vec!["chat"], Some("xmpp, mqtt")),
        (vec!["chat"], None),
        (vec![], Some("chat")),
    ] {
        let mut server = Driver::server(Options::default().protocols(ours.clone())).unwrap();
        let extra: Vec<(&str, &str)> = theirs
            .map(|p| ("Sec-WebSocket-Protocol", p))
            .into_iter()
            .collect();
        feed(&mut server, &request(&extra));
        assert!(server.start(), "{ours:?} / {theirs:?}");
        assert_eq!(drain(&mut server), [Event::Open]);
        assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
        assert_eq!(server.protocol(), None);
    }
}

#[test]
fn custom_headers_follow_the_handshake_headers() {
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &request(&[]));
    server.set_header("X-Powered-By", "wsdriver").unwrap();
    server.set_header("Set-Cookie", "a=1").unwrap();
    server.set_header("Set-Cookie", "b=2").unwrap();
    assert!(server.start());
    // Names keep the caller's spelling.
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        "HTTP/1.1 101 Switching Protocols\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
         X-Powered-By: wsdriver\r\n\
         Set-Cookie: a=1\r\n\
         Set-Cookie: b=2\r\n\
         \r\n"
    );
}

#[test]
fn set_header_after_start_is_an_error() {
    let mut server = open_server(Options::default());
    assert!(matches!(
        server.set_header("X-Late", "1"),
        Err(Error::InvalidHeader(_))
    ));
    assert!(!server.has_output());
}

#[test]
fn set_header_rejects_invalid_names_and_values() {
    let mut server = Driver::server(Options::default()).unwrap();
    assert!(matches!(
        server.set_header("Bad Name", "1"),
        Err(Error::InvalidHeader(_))
    ));
    assert!(matches!(
        server.set_header("X-Ok", "line\r\nbreak"),
        Err(Error::InvalidHeader(_))
    ));
    feed(&mut server, &request(&[]));
    assert!(server.start());
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
}

#[test]
fn rfc6455_4_2_1_non_get_is_refused_405_with_allow() {
    let message = "Method Not Allowed: a WebSocket handshake is a GET";
    let input = head("POST /chat HTTP/1.1", &upgrade_headers());
    assert_refused(
        &input,
        405,
        message,
        &refusal("405 Method Not Allowed", &[("Allow", "GET")], message),
    );
}

#[test]
fn rfc6455_4_2_1_not_a_websocket_request_is_refused_400() {
    let message = "Not a WebSocket request";
    let expected = refusal("400 Bad Request", &[], message);
    for input in [
        request_without(&["Upgrade"], &[]),
        request_without(&["Connection"], &[]),
        request_without(&["Connection"], &[("Connection", "keep-alive")]),
        request_without(&["Upgrade"], &[("Upgrade", "h2c")]),
        head("GET / HTTP/1.1", &[("Host", "example.com")]),
    ] {
        assert_refused(&input, 400, message, &expected);
    }
}

#[test]
fn rfc6455_4_2_1_missing_version_is_refused_400() {
    let message = "Missing handshake request header: Sec-WebSocket-Version";
    assert_refused(
        &request_without(&["Sec-WebSocket-Version"], &[]),
        400,
        message,
        &refusal("400 Bad Request", &[], message),
    );
}

#[test]
fn rfc6455_4_4_unsupported_version_is_refused_426_naming_13_and_8() {
    let message = "Unsupported WebSocket version: use 13 or 8";
    let expected = refusal(
        "426 Upgrade Required",
        &[("Sec-WebSocket-Version", "13, 8")],
        message,
    );
    for version in ["7", "14", "0", "13, 8", "abc"] {
        let input = request_without(
            &["Sec-WebSocket-Version"],
            &[("Sec-WebSocket-Version", version)],
        );
        assert_refused(&input, 426, message, &expected);
    }
}

#[test]
fn rfc6455_4_2_1_http_1_0_is_refused_400() {
    let message = "Bad Request: a WebSocket handshake needs HTTP/1.1 or later";
    assert_refused(
        &head("GET /chat HTTP/1.0", &upgrade_headers()),
        400,
        message,
        &refusal("400 Bad Request", &[], message),
    );
}

#[test]
fn rfc6455_4_2_1_missing_or_repeated_host_is_refused_400() {
    let message = "Missing handshake request header: Host";
    assert_refused(
        &request_without(&["Host"], &[]),
        400,
        message,
        &refusal("400 Bad Request", &[], message),
    );
    let message = "Bad Request: more than one Host header";
    assert_refused(
        &request(&[("Host", "evil.example.com")]),
        400,
        message,
        &refusal("400 Bad Request", &[], message),
    );
}

#[test]
fn rfc6455_4_2_1_repeated_key_is_refused_400_even_when_both_are_valid() {
    let message = "Invalid Sec-WebSocket-Key header: it must appear once";
    for second in [KEY, "AQIDBAUGBwgJCgsMDQ4PEA=="] {
        assert_refused(
            &request(&[("Sec-WebSocket-Key", second)]),
            400,
            message,
            &refusal("400 Bad Request", &[], message),
        );
    }
}

#[test]
fn rfc6455_4_4_repeated_version_is_refused_426_not_first_one_wins() {
    let message = "Unsupported WebSocket version: use 13 or 8";
    let expected = refusal(
        "426 Upgrade Required",
        &[("Sec-WebSocket-Version", "13, 8")],
        message,
    );
    for second in ["8", "13"] {
        assert_refused(
            &request(&[("Sec-WebSocket-Version", second)]),
            426,
            message,
            &expected,
        );
    }
}

#[test]
fn http_driver_applies_the_same_checks_to_parsed_requests() {
    let cases: [(http_types::Request<()>, u16, &str); 4] = [
        (
            {
                let mut request = parsed_request(&upgrade_headers());
                *request.version_mut() = http_types::Version::HTTP_10;
                request
            },
            400,
            "Bad Request: a WebSocket handshake needs HTTP/1.1 or later",
        ),
        (
            parsed_request(
                &upgrade_headers()
                    .into_iter()
                    .filter(|(name, _)| *name != "Host")
                    .collect::<Vec<_>>(),
            ),
            400,
            "Missing handshake request header: Host",
        ),
        (
            parsed_request(&[upgrade_headers(), vec![("Sec-WebSocket-Key", KEY)]].concat()),
            400,
            "Invalid Sec-WebSocket-Key header: it must appear once",
        ),
        (
            parsed_request(&[upgrade_headers(), vec![("Sec-WebSocket-Version", "8")]].concat()),
            426,
            "Unsupported WebSocket version: use 13 or 8",
        ),
    ];
    for (request, status, message) in cases {
        let mut server = Driver::http(&request, Options::default()).unwrap();
        assert!(!server.start(), "{message}");
        assert_eq!(drain(&mut server), refusal_events(status, message));
        let output = String::from_utf8(server.take_output()).unwrap();
        assert!(
            output.starts_with(&format!("HTTP/1.1 {status} ")),
            "{output}"
        );
    }
}

#[test]
fn rfc6455_4_2_1_missing_key_is_refused_400() {
    let message = "Missing handshake request header: Sec-WebSocket-Key";
    assert_refused(
        &request_without(&["Sec-WebSocket-Key"], &[]),
        400,
        message,
        &refusal("400 Bad Request", &[], message),
    );
}

#[test]
fn rfc6455_4_1_key_not_base64_of_16_bytes_is_refused_400() {
    let message = "Invalid Sec-WebSocket-Key header: it must be base64 of 16 bytes";
    let expected = refusal("400 Bad Request", &[], message);
    for key in [
        "dGhlIHNhbXBsZQ==",             // base64 of 10 bytes
        "dGhlIHNhbXBsZSBub25jZQ",       // 16 bytes, padding missing
        "dGhlIHNhbXBsZSBub25jZSE=",     // 17 bytes
        "not base64 at all!!!!!!!",     // 24 characters, not base64
        "dGhlIHNhbXBsZSBub25jZQ==dGhl", // too long
    ] {
        let input = request_without(&["Sec-WebSocket-Key"], &[("Sec-WebSocket-Key", key)]);
        assert_refused(&input, 400, message, &expected);
    }
}

#[test]
fn oversized_head_is_refused_431_without_connect() {
    let message = "Request header fields too large";
    let expected = refusal("431 Request Header Fields Too Large", &[], message);
    let big = "a".repeat(300);
    let input = request(&[("X-Big", &big)]);
    // complete but too long, and incomplete but already too long
    for input in [&input[..], &input[..280]] {
        let mut server = Driver::server(Options::default().max_handshake_size(256)).unwrap();
        let events = feed(&mut server, input);
        assert_eq!(events, refusal_events(431, message));
        assert_eq!(
            String::from_utf8_lossy(&server.take_output()),
            String::from_utf8_lossy(&expected)
        );
        assert_eq!(server.ready_state(), ReadyState::Closed);
        assert!(server.request().is_none());
        assert!(!server.start());
        assert_eq!(feed(&mut server, &request(&[])), []);
        assert!(!server.has_output());
    }
}

#[test]
fn head_of_exactly_max_handshake_size_is_accepted() {
    let base = request(&[("X-Pad", "")]).len();
    let pad = "p".repeat(300 - base);
    let input = request(&[("X-Pad", &pad)]);
    assert_eq!(input.len(), 300);
    let mut server = Driver::server(Options::default().max_handshake_size(300)).unwrap();
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    let mut server = Driver::server(Options::default().max_handshake_size(299)).unwrap();
    assert_eq!(
        feed(&mut server, &input),
        refusal_events(431, "Request header fields too large")
    );
}

#[test]
fn too_many_headers_is_refused_431() {
    let names: Vec<String> = (0..200).map(|i| format!("X-H{i}")).collect();
    let extra: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "v")).collect();
    let mut server = Driver::server(Options::default().max_handshake_size(1 << 20)).unwrap();
    assert_eq!(
        feed(&mut server, &request(&extra)),
        refusal_events(431, "Request header fields too large")
    );
    assert!(server
        .take_output()
        .starts_with(b"HTTP/1.1 431 Request Header Fields Too Large\r\n"));
}

#[test]
fn malformed_head_is_refused_400_without_connect() {
    for (input, message) in [
        (
            &b"GET / HTTP/1.1\r\nBad Header\r\n\r\n"[..],
            "Invalid HTTP request: invalid header name",
        ),
        (
            &b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03"[..],
            "Invalid HTTP request: invalid token",
        ),
        (
            &b"GET / HTTP/9.9\r\n\r\n"[..],
            "Invalid HTTP request: invalid HTTP version",
        ),
    ] {
        let mut server = Driver::server(Options::default()).unwrap();
        assert_eq!(feed(&mut server, input), refusal_events(400, message));
        assert_eq!(
            String::from_utf8_lossy(&server.take_output()),
            String::from_utf8_lossy(&refusal("400 Bad Request", &[], message))
        );
        assert_eq!(server.ready_state(), ReadyState::Closed);
        assert!(!server.start());
    }
}

#[test]
fn frames_in_the_same_chunk_as_the_head_are_read_after_start() {
    let mut server = Driver::server(Options::default()).unwrap();
    let frames = frames(&[Frame::text("Hello"), Frame::ping("p")]);
    let mut input = request(&[]);
    input.extend_from_slice(&frames);
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert_eq!(server.body(), &frames[..]);
    assert!(server.start());
    assert_eq!(
        drain(&mut server),
        [
            Event::Open,
            text_event("Hello"),
            Event::Ping(wsdriver::Bytes::from_static(b"p"))
        ]
    );
    let mut expected = RESPONSE_101.as_bytes().to_vec();
    expected.extend_from_slice(&[0x8a, 0x01, b'p']);
    assert_eq!(server.take_output(), expected);
    assert_eq!(server.body(), b"", "the body became frames");
}

#[test]
fn messages_sent_before_start_follow_the_101() {
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &request(&[]));
    server.text("first").unwrap();
    server.binary(&[1, 2, 3]).unwrap();
    assert!(!server.has_output(), "queued until open");
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    let mut expected = RESPONSE_101.as_bytes().to_vec();
    expected.extend_from_slice(b"\x81\x05first\x82\x03\x01\x02\x03");
    assert_eq!(server.take_output(), expected);
}

#[test]
fn a_refused_handshake_drops_the_queue() {
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &request_without(&["Sec-WebSocket-Key"], &[]));
    server.text("never sent").unwrap();
    assert!(!server.start());
    let output = server.take_output();
    assert!(output.starts_with(b"HTTP/1.1 400 Bad Request\r\n"));
    assert!(
        !output.windows(10).any(|w| w == b"never sent"),
        "queued message leaked after a refusal"
    );
    assert_eq!(
        server.text("after"),
        Err(Error::Closed),
        "sending after the refusal"
    );
}

#[test]
fn reject_answers_with_plain_http_and_closes() {
    let mut server = Driver::server(Options::default()).unwrap();
    let input = head("GET /plain HTTP/1.1", &[("Host", "example.com")]);
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert!(!wsdriver::is_websocket(server.request().unwrap()));
    server.set_header("X-Reason", "no").unwrap();
    server.reject(426, "Upgrade Required").unwrap();
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        "HTTP/1.1 426 Upgrade Required\r\n\
         Content-Type: text/plain\r\n\
         Content-Length: 16\r\n\
         Connection: close\r\n\
         X-Reason: no\r\n\
         \r\n\
         Upgrade Required"
    );
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert!(!server.start());
    assert_eq!(server.reject(400, "again"), Err(Error::Closed));
    assert_eq!(feed(&mut server, &Frame::text("x").encode()), []);
    assert!(!server.has_output());
}

#[test]
fn reject_needs_a_request_and_a_final_status() {
    let mut server = Driver::server(Options::default()).unwrap();
    assert_eq!(server.reject(400, "too early"), Err(Error::Closed));
    feed(&mut server, &request(&[]));
    assert!(matches!(
        server.reject(101, "not final"),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        server.reject(600, "not a status"),
        Err(Error::InvalidOption(_))
    ));
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    // the driver can still accept
    assert!(server.start());
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
}

fn parsed_request(headers: &[(&str, &str)]) -> http_types::Request<()> {
    let mut builder = http_types::Request::builder()
        .method(Method::GET)
        .uri("/chat?x=1");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

#[test]
fn http_driver_answers_a_request_parsed_elsewhere() {
    let request = parsed_request(&upgrade_headers());
    let mut server = Driver::http(&request, Options::default()).unwrap();
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    assert_eq!(server.request().unwrap().uri, "/chat?x=1");
    // bytes read after the head wait for start
    assert_eq!(feed(&mut server, &Frame::text("early").encode()), []);
    assert!(server.start());
    assert_eq!(
        drain(&mut server),
        [Event::Open, text_event("early")],
        "the Open comes first, then the buffered frame"
    );
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
    assert_eq!(server.version(), Some(Version::Hybi13));
    server.text("hi").unwrap();
    assert_eq!(server.take_output(), b"\x81\x02hi");
}

#[test]
fn http_driver_accepts_request_parts_and_refuses_bad_requests() {
    let (parts, ()) = parsed_request(&request_headers_without_key()).into_parts();
    let mut server = Driver::http(&parts, Options::default()).unwrap();
    assert!(!server.start());
    let message = "Missing handshake request header: Sec-WebSocket-Key";
    assert_eq!(drain(&mut server), refusal_events(400, message));
    assert_eq!(
        server.take_output(),
        refusal("400 Bad Request", &[], message)
    );
}

fn request_headers_without_key() -> Vec<(&'static str, &'static str)> {
    upgrade_headers()
        .into_iter()
        .filter(|(name, _)| *name != "Sec-WebSocket-Key")
        .collect()
}

#[test]
fn http_driver_with_options_checks_them() {
    let request = parsed_request(&upgrade_headers());
    assert!(matches!(
        Driver::http(&request, Options::default().max_length(0)),
        Err(Error::InvalidOption(_))
    ));
    assert!(matches!(
        Driver::server(Options::default().protocols(["not a token"])),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn server_url_is_ws_or_wss_from_host_and_target() {
    let mut server = Driver::server(Options::default()).unwrap();
    assert_eq!(server.url(), None);
    feed(&mut server, &request(&[]));
    server.start();
    assert_eq!(
        server.url().map(|u| u.as_str()),
        Some("ws://server.example.com/chat")
    );

    for (header, value) in [
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Ssl", "on"),
        ("X-Forwarded-Scheme", "https"),
        ("Https", "on"),
    ] {
        let request = parsed_request(&[&upgrade_headers()[..], &[(header, value)]].concat());
        let mut server = Driver::http(&request, Options::default()).unwrap();
        server.start();
        assert_eq!(
            server.url().map(|u| u.as_str()),
            Some("wss://server.example.com/chat?x=1"),
            "{header}: {value}"
        );
    }

    let request =
        parsed_request(&[&upgrade_headers()[..], &[("X-Forwarded-Proto", "http")]].concat());
    let mut server = Driver::http(&request, Options::default()).unwrap();
    server.start();
    assert_eq!(
        server.url().map(|u| u.as_str()),
        Some("ws://server.example.com/chat?x=1")
    );
}

#[test]
fn every_refusal_reports_error_then_close_1002() {
    // One more angle on the same rule: the Close event's fields.
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &head("PUT / HTTP/1.1", &upgrade_headers()));
    server.start();
    let events = drain(&mut server);
    match &events[..] {
        [Event::Close(CloseEvent {
            code: CloseCode::PROTOCOL_ERROR,
            clean: false,
            error: Some(error),
            ..
        })] => assert!(matches!(**error, Error::BadRequest { status: 405, .. })),
        other => panic!("{other:?}"),
    }
}

/// A head that passes the size limit and is malformed only after it.
fn long_head_malformed_past_the_limit() -> Vec<u8> {
    let mut input = b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ".to_vec();
    input.extend_from_slice(&[b'a'; 240]);
    input.extend_from_slice(b"\r\nBad[: x\r\n\r\n");
    input
}

#[test]
fn malformed_head_past_the_limit_is_refused_the_same_whatever_the_chunking() {
    let input = long_head_malformed_past_the_limit();
    assert!(input.len() > 256);
    let mut whole = Driver::server(Options::default().max_handshake_size(256)).unwrap();
    let whole_events = feed(&mut whole, &input);
    let mut cut = Driver::server(Options::default().max_handshake_size(256)).unwrap();
    let mut cut_events = feed(&mut cut, &input[..257]);
    cut_events.extend(feed(&mut cut, &input[257..]));
    assert_eq!(cut_events, whole_events);
    assert_eq!(cut.take_output(), whole.take_output());
    // The head is over the limit either way: 431 is the answer that does
    // not depend on what follows the limit.
    assert_eq!(
        whole_events,
        refusal_events(431, "Request header fields too large")
    );
}

#[test]
fn an_open_connection_lets_go_of_the_request() {
    // Idle connections stay small: the head (often a browser's kilobyte of
    // headers) is read at Connect and not kept once open.
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &request(&[("Cookie", "session=abc")]));
    let request = server.request().expect("readable at Connect").clone();
    assert_eq!(request.headers["cookie"], "session=abc");
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert!(server.request().is_none());
    assert_eq!(
        server.url().map(|u| u.as_str()),
        Some("ws://server.example.com/chat"),
        "what the connection does keep"
    );
}

/// Issue 24: an upgrade request that announces a body used to get its 101
/// and then have the body read as frames (a 1002 after the fact). RFC 9112
/// section 6 asks for a refusal first: 501 for an unknown coding, 400 for
/// the rest.
/// Extra headers, then the refusal's status, status line and message.
type BodyCase = (
    &'static [(&'static str, &'static str)],
    u16,
    &'static str,
    &'static str,
);

#[test]
fn rfc9112_6_a_request_with_a_body_is_refused_before_the_101() {
    let cases: [BodyCase; 7] = [
        (
            &[("Transfer-Encoding", "chunked"), ("Content-Length", "5")],
            400,
            "400 Bad Request",
            "Bad Request: a WebSocket handshake has no body (Transfer-Encoding)",
        ),
        (
            &[("Transfer-Encoding", "chunked")],
            400,
            "400 Bad Request",
            "Bad Request: a WebSocket handshake has no body (Transfer-Encoding)",
        ),
        (
            &[("Content-Length", "5"), ("Content-Length", "6")],
            400,
            "400 Bad Request",
            "Bad Request: Content-Length values disagree",
        ),
        (
            &[("Content-Length", "5, 6")],
            400,
            "400 Bad Request",
            "Bad Request: Content-Length values disagree",
        ),
        (
            &[("Content-Length", "+5")],
            400,
            "400 Bad Request",
            "Bad Request: invalid Content-Length",
        ),
        (
            &[("Content-Length", "4")],
            400,
            "400 Bad Request",
            "Bad Request: a WebSocket handshake has no body (Content-Length)",
        ),
        (
            &[("Transfer-Encoding", "gzip, chunked")],
            501,
            "501 Not Implemented",
            "Not Implemented: unknown Transfer-Encoding",
        ),
    ];
    for (extra, status, status_line, message) in cases {
        let mut input = request(extra);
        input.extend_from_slice(b"\x81\x05hello");
        assert_refused(&input, status, message, &refusal(status_line, &[], message));
    }
}

#[test]
fn rfc9112_6_a_zero_content_length_or_the_same_length_twice_is_no_body() {
    for extra in [
        &[("Content-Length", "0")][..],
        &[("Content-Length", "0"), ("Content-Length", "0")][..],
        &[("Content-Length", "0, 0")][..],
    ] {
        let mut server = Driver::server(Options::default()).unwrap();
        feed(&mut server, &request(extra));
        assert!(server.start(), "{extra:?}");
        assert!(String::from_utf8(server.take_output())
            .unwrap()
            .starts_with("HTTP/1.1 101"));
    }
}
