//! The client's side of the opening handshake (RFC 6455 §4.1): the exact
//! request, and every check on the server's answer.

mod common;

use common::*;
use wsdriver::{Driver, Error, Event, HandshakeError, Options, ReadyState, Version};

/// Starts a client and returns it with its request as text.
fn started(url: &str, options: Options) -> (Driver, String) {
    let mut client = Driver::client(url, options).unwrap();
    assert!(!client.has_output(), "nothing is sent before start");
    assert!(client.start());
    let request = String::from_utf8(client.take_output()).unwrap();
    (client, request)
}

/// The request a client sends, with `key` and the given extra lines.
fn expected_request(target: &str, host: &str, key: &str, extra: &[&str]) -> String {
    let mut out = format!(
        "GET {target} HTTP/1.1\r\n\
         Host: {host}\r\n\
         Upgrade: websocket\r\n\
         Connection: Upgrade\r\n\
         Sec-WebSocket-Key: {key}\r\n\
         Sec-WebSocket-Version: 13\r\n"
    );
    for line in extra {
        out.push_str(line);
        out.push_str("\r\n");
    }
    out.push_str("\r\n");
    out
}

/// A response head from a status line and header lines.
fn response(status_line: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    head(status_line, headers)
}

/// Feeds `response` to a started client and checks it fails the handshake
/// with `message`: `Error::Handshake`, close 1002, nothing sent, closed.
fn assert_handshake_fails(client: &mut Driver, response: &[u8], message: &str) {
    client.text("queued").unwrap();
    let events = feed(client, response);
    let display = format!("Error during WebSocket handshake: {message}");
    match &events[..] {
        [Event::Close(close)] => {
            assert_eq!(
                (close.code.as_u16(), close.reason.as_str(), close.clean),
                (1002, display.as_str(), false)
            );
            let error = close.error.as_deref().expect("the failure");
            assert!(matches!(error, Error::Handshake(_)), "{error:?}");
            assert_eq!(error.to_string(), display);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.ready_state(), ReadyState::Closed);
    assert!(!client.has_output(), "a failed handshake sends nothing");
    assert_eq!(client.protocol(), None);
    assert_eq!(feed(client, &Frame::text("x").unmasked().encode()), []);
    assert!(!client.has_output());
    assert_eq!(client.text("late"), Err(Error::Closed));
}

#[test]
fn rfc6455_4_1_exact_request_for_path_and_query() {
    let (client, request) = started("ws://example.com/chat?room=1&x=%20", Options::default());
    let key = key_from_request(request.as_bytes());
    assert_eq!(
        request,
        expected_request("/chat?room=1&x=%20", "example.com", &key, &[])
    );
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    assert_eq!(client.version(), Some(Version::Hybi13));
    assert_eq!(
        client.url().map(|u| u.as_str()),
        Some("ws://example.com/chat?room=1&x=%20")
    );
}

#[test]
fn rfc6455_4_1_empty_path_is_slash() {
    let (_, request) = started("ws://example.com", Options::default());
    assert!(request.starts_with("GET / HTTP/1.1\r\n"), "{request}");
}

#[test]
fn rfc6455_4_1_host_has_the_port_only_when_not_the_default() {
    for (url, host) in [
        ("ws://example.com/", "example.com"),
        ("ws://example.com:80/", "example.com"),
        ("ws://example.com:8080/", "example.com:8080"),
        ("ws://example.com:443/", "example.com:443"),
        ("wss://example.com/", "example.com"),
        ("wss://example.com:443/", "example.com"),
        ("wss://example.com:80/", "example.com:80"),
        ("ws://127.0.0.1:9001/", "127.0.0.1:9001"),
        ("ws://[::1]:9001/", "[::1]:9001"),
    ] {
        let (_, request) = started(url, Options::default());
        let key = key_from_request(request.as_bytes());
        assert_eq!(request, expected_request("/", host, &key, &[]), "{url}");
    }
}

#[test]
fn rfc6455_4_1_key_is_base64_of_16_random_bytes() {
    let (_, a) = started("ws://example.com/", Options::default());
    let (_, b) = started("ws://example.com/", Options::default());
    let a = key_from_request(a.as_bytes());
    let b = key_from_request(b.as_bytes());
    for key in [&a, &b] {
        assert_eq!(key.len(), 24, "{key}");
        assert_eq!(base64_decode(key).map(|raw| raw.len()), Some(16), "{key}");
    }
    assert_ne!(a, b, "two clients must not share a key");
    // The helper itself: the RFC's sample key is 16 bytes.
    assert_eq!(base64_decode(KEY).unwrap(), b"the sample nonce");
}

#[test]
fn rfc6455_4_1_subprotocols_are_offered_in_order() {
    let options = Options::default().protocols(["chat", "superchat"]);
    let (_, request) = started("ws://example.com/", options);
    let key = key_from_request(request.as_bytes());
    assert_eq!(
        request,
        expected_request(
            "/",
            "example.com",
            &key,
            &["Sec-WebSocket-Protocol: chat, superchat"]
        )
    );
}

#[test]
fn basic_authorization_comes_from_the_url_userinfo() {
    let (_, request) = started("ws://user:pass@example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    assert_eq!(
        request,
        expected_request(
            "/",
            "example.com",
            &key,
            &["Authorization: Basic dXNlcjpwYXNz"]
        )
    );
    // percent-encoded userinfo is decoded first: "user:p@ss"
    let (_, request) = started("ws://user:p%40ss@example.com/", Options::default());
    assert!(request.contains("\r\nAuthorization: Basic dXNlcjpwQHNz\r\n"));
    // no password
    let (_, request) = started("ws://user@example.com/", Options::default());
    assert!(request.contains("\r\nAuthorization: Basic dXNlcjo=\r\n"));
}

#[test]
fn custom_headers_are_sent_after_the_handshake_headers() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.set_header("Origin", "http://example.com").unwrap();
    client.set_header("X-Token", "abc").unwrap();
    client.start();
    let request = String::from_utf8(client.take_output()).unwrap();
    let key = key_from_request(request.as_bytes());
    assert_eq!(
        request,
        expected_request(
            "/",
            "example.com",
            &key,
            &["Origin: http://example.com", "X-Token: abc"]
        )
    );
    assert!(matches!(
        client.set_header("X-Late", "1"),
        Err(Error::InvalidHeader(_))
    ));
}

#[test]
fn custom_host_and_authorization_replace_the_generated_ones() {
    let mut client = Driver::client("ws://u:p@example.com/", Options::default()).unwrap();
    client.set_header("Host", "virtual.example").unwrap();
    client.set_header("Authorization", "Bearer t").unwrap();
    client.start();
    let request = String::from_utf8(client.take_output()).unwrap();
    assert_eq!(
        request.matches("Host").count() + request.matches("host").count(),
        1
    );
    assert!(
        request.contains("\r\nHost: virtual.example\r\n"),
        "{request}"
    );
    assert!(!request.contains("Basic"), "{request}");
    assert!(request.contains("\r\nAuthorization: Bearer t\r\n"));
}

#[test]
fn invalid_urls_are_errors() {
    for url in [
        "http://example.com/",
        "ws://example.com/#fragment",
        "not a url",
        "wss://",
    ] {
        assert!(
            matches!(
                Driver::client(url, Options::default()),
                Err(Error::InvalidUrl(_))
            ),
            "{url}"
        );
    }
}

#[test]
fn rfc6455_4_1_valid_101_opens_the_client() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    assert_eq!(feed(&mut client, &response_101(&key, &[])), [Event::Open]);
    assert_eq!(client.ready_state(), ReadyState::Open);
    assert_eq!(client.status_code(), Some(101));
    assert_eq!(
        client.headers().unwrap()["sec-websocket-accept"],
        wsdriver::handshake::accept_key(key.as_bytes()).as_str()
    );
    assert_eq!(client.protocol(), None);
}

#[test]
fn response_split_byte_by_byte_still_opens() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    let response = response_101(&key, &[]);
    for (i, byte) in response.iter().enumerate() {
        let events = feed(&mut client, &[*byte]);
        if i + 1 < response.len() {
            assert_eq!(events, [], "opened early at byte {i}");
        } else {
            assert_eq!(events, [Event::Open]);
        }
    }
}

#[test]
fn rfc6455_4_1_case_insensitive_headers_and_connection_token_list_are_accepted() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    let accept = wsdriver::handshake::accept_key(key.as_bytes());
    let input = response(
        "HTTP/1.1 101 Switching Protocols",
        &[
            ("upgrade", "WebSocket"),
            ("connection", "keep-alive, Upgrade"),
            ("sec-websocket-accept", &accept),
        ],
    );
    assert_eq!(feed(&mut client, &input), [Event::Open]);
}

#[test]
fn rfc6455_4_1_agreed_subprotocol_is_reported() {
    let options = Options::default().protocols(["chat", "superchat"]);
    let (mut client, request) = started("ws://example.com/", options);
    let key = key_from_request(request.as_bytes());
    let input = response_101(&key, &[("Sec-WebSocket-Protocol", "superchat")]);
    assert_eq!(feed(&mut client, &input), [Event::Open]);
    assert_eq!(client.protocol(), Some("superchat"));
}

#[test]
fn rfc6455_4_1_non_101_fails_with_status_and_headers_readable() {
    let (mut client, _) = started("ws://example.com/", Options::default());
    let input = b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\nX-Why: gone\r\n\r\nNot Found";
    assert_handshake_fails(&mut client, input, "Unexpected response code: 404");
    assert_eq!(client.status_code(), Some(404));
    let headers = client.headers().unwrap();
    assert_eq!(headers["x-why"], "gone");
    assert_eq!(headers["content-type"], "text/plain");
}

#[test]
fn rfc6455_4_1_non_101_success_codes_also_fail() {
    let (mut client, _) = started("ws://example.com/", Options::default());
    assert_handshake_fails(
        &mut client,
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        "Unexpected response code: 200",
    );
    assert_eq!(client.status_code(), Some(200));
}

#[test]
fn rfc6455_4_1_upgrade_header_missing_fails() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let accept = wsdriver::handshake::accept_key(key_from_request(request.as_bytes()).as_bytes());
    let input = response(
        "HTTP/1.1 101 Switching Protocols",
        &[("Connection", "Upgrade"), ("Sec-WebSocket-Accept", &accept)],
    );
    assert_handshake_fails(&mut client, &input, "'Upgrade' header is missing");
}

#[test]
fn rfc6455_4_1_upgrade_header_wrong_fails() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let accept = wsdriver::handshake::accept_key(key_from_request(request.as_bytes()).as_bytes());
    let input = response(
        "HTTP/1.1 101 Switching Protocols",
        &[
            ("Upgrade", "h2c"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", &accept),
        ],
    );
    assert_handshake_fails(
        &mut client,
        &input,
        "'Upgrade' header value is not 'WebSocket'",
    );
}

#[test]
fn rfc6455_4_1_connection_header_missing_fails() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let accept = wsdriver::handshake::accept_key(key_from_request(request.as_bytes()).as_bytes());
    let input = response(
        "HTTP/1.1 101 Switching Protocols",
        &[("Upgrade", "websocket"), ("Sec-WebSocket-Accept", &accept)],
    );
    assert_handshake_fails(&mut client, &input, "'Connection' header is missing");
}

#[test]
fn rfc6455_4_1_connection_without_upgrade_token_fails() {
    for value in ["keep-alive", "close", "upgraded", ""] {
        let (mut client, request) = started("ws://example.com/", Options::default());
        let accept =
            wsdriver::handshake::accept_key(key_from_request(request.as_bytes()).as_bytes());
        let input = response(
            "HTTP/1.1 101 Switching Protocols",
            &[
                ("Upgrade", "websocket"),
                ("Connection", value),
                ("Sec-WebSocket-Accept", &accept),
            ],
        );
        assert_handshake_fails(
            &mut client,
            &input,
            "'Connection' header value is not 'Upgrade'",
        );
    }
}

#[test]
fn rfc6455_4_1_bad_accept_fails() {
    for accept in [Some(ACCEPT), Some("garbage"), None] {
        let (mut client, _) = started("ws://example.com/", Options::default());
        let mut headers = vec![("Upgrade", "websocket"), ("Connection", "Upgrade")];
        if let Some(accept) = accept {
            headers.push(("Sec-WebSocket-Accept", accept));
        }
        let input = response("HTTP/1.1 101 Switching Protocols", &headers);
        assert_handshake_fails(&mut client, &input, "Sec-WebSocket-Accept mismatch");
    }
}

#[test]
fn rfc6455_4_1_unoffered_subprotocol_fails() {
    for offered in [vec![], vec!["chat"]] {
        let options = Options::default().protocols(offered);
        let (mut client, request) = started("ws://example.com/", options);
        let key = key_from_request(request.as_bytes());
        let input = response_101(&key, &[("Sec-WebSocket-Protocol", "xmpp")]);
        assert_handshake_fails(&mut client, &input, "Sec-WebSocket-Protocol mismatch");
    }
}

#[test]
fn rfc6455_4_1_unexpected_extension_fails() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    let input = response_101(
        &key,
        &[(
            "Sec-WebSocket-Extensions",
            "permessage-deflate; server_no_context_takeover",
        )],
    );
    assert_handshake_fails(
        &mut client,
        &input,
        "Server sent an extension response for unknown extension \"permessage-deflate\"",
    );
}

#[test]
fn oversized_response_head_fails() {
    let options = Options::default().max_handshake_size(256);
    let (mut client, request) = started("ws://example.com/", options);
    let key = key_from_request(request.as_bytes());
    let big = "b".repeat(300);
    let input = response_101(&key, &[("X-Big", &big)]);
    assert_handshake_fails(&mut client, &input, "Response header fields too large");
}

#[test]
fn malformed_response_head_fails() {
    let (mut client, _) = started("ws://example.com/", Options::default());
    let events = feed(&mut client, b"SSH-2.0-OpenSSH_9.0\r\n\r\n");
    assert_eq!(events.len(), 1, "{events:?}");
    match &events[0] {
        Event::Close(close) => {
            assert_eq!((close.code.as_u16(), close.clean), (1002, false));
            match close.error.as_deref() {
                Some(Error::Handshake(HandshakeError::Malformed(message))) => {
                    assert!(message.starts_with("Invalid HTTP response"), "{message}")
                }
                other => panic!("{other:?}"),
            }
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn frames_in_the_same_chunk_as_the_101_are_read() {
    let (mut client, request) = started("ws://example.com/", Options::default());
    let key = key_from_request(request.as_bytes());
    let mut input = response_101(&key, &[]);
    input.extend(frames(&[
        Frame::text("Hello").unmasked(),
        Frame::ping("p").unmasked(),
        Frame::binary([1, 2]).unmasked(),
    ]));
    assert_eq!(
        feed(&mut client, &input),
        [
            Event::Open,
            text_event("Hello"),
            Event::Ping(wsdriver::Bytes::from_static(b"p")),
            binary_event(&[1, 2]),
        ]
    );
    let sent = decode_frames(&client.take_output());
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].opcode, &sent[0].payload[..]), (PONG, &b"p"[..]));
    assert!(sent[0].mask.is_some());
}

#[test]
fn messages_sent_before_open_are_flushed_in_order_before_open() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.text("one").unwrap();
    let ping = client.ping(b"p").unwrap();
    assert!(!client.has_output(), "nothing before start");
    client.start();
    let request = client.take_output();
    assert!(
        request.ends_with(b"\r\n\r\n"),
        "only the request before open"
    );
    client.binary(&[2, 2]).unwrap();
    client
        .send(wsdriver::Message::Text("three".into()))
        .unwrap();
    assert!(!client.has_output(), "queued until the handshake finishes");
    assert_eq!(client.buffered_amount(), 0);

    let key = key_from_request(&request);
    client.parse(&response_101(&key, &[]));
    assert_eq!(client.poll_event(), Some(Event::Open));
    // When Open is seen, the queue is already in the output, in order.
    let sent = decode_frames(&client.take_output());
    let summary: Vec<(u8, Vec<u8>)> = sent.iter().map(|f| (f.opcode, f.payload.clone())).collect();
    assert_eq!(
        summary,
        [
            (TEXT, b"one".to_vec()),
            (PING, b"p".to_vec()),
            (BINARY, vec![2, 2]),
            (TEXT, b"three".to_vec()),
        ]
    );
    assert!(sent.iter().all(|f| f.mask.is_some() && f.fin));
    assert_eq!(client.poll_event(), None);
    // the queued ping still matches its pong
    let events = feed(&mut client, &Frame::pong("p").unmasked().encode());
    assert_eq!(
        events,
        [Event::Pong {
            payload: wsdriver::Bytes::from_static(b"p"),
            ping: Some(ping)
        }]
    );
}

#[test]
fn a_failed_handshake_drops_the_queue() {
    let (mut client, _) = started("ws://example.com/", Options::default());
    client.text("dropped").unwrap();
    // assert_handshake_fails checks that nothing at all is written
    assert_handshake_fails(
        &mut client,
        b"HTTP/1.1 403 Forbidden\r\n\r\n",
        "Unexpected response code: 403",
    );
}

#[test]
fn client_before_start_reads_nothing() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    assert_eq!(
        feed(&mut client, b"HTTP/1.1 101 Switching Protocols\r\n\r\n"),
        []
    );
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    assert_eq!(client.status_code(), None);
}

#[test]
fn client_and_server_drivers_talk_to_each_other() {
    let (mut client, mut server) = open_pair();
    client.text("ping? κόσμε").unwrap();
    assert_eq!(
        feed(&mut server, &client.take_output()),
        [text_event("ping? κόσμε")]
    );
    server.binary(&[0, 255]).unwrap();
    assert_eq!(
        feed(&mut client, &server.take_output()),
        [binary_event(&[0, 255])]
    );
    client.close(1000, "done").unwrap();
    assert_eq!(
        feed(&mut server, &client.take_output()),
        [close_event(1000, "done", true)]
    );
    assert_eq!(
        feed(&mut client, &server.take_output()),
        [closed_by_us(1000, "")]
    );
    assert_eq!(client.ready_state(), ReadyState::Closed);
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[test]
fn malformed_response_past_the_limit_fails_the_same_whatever_the_chunking() {
    let mut input = b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: ".to_vec();
    input.extend_from_slice(&[b'a'; 240]);
    input.extend_from_slice(b"\r\nBad[: x\r\n\r\n");
    let options = || Options::default().max_handshake_size(256);
    let (mut whole, _) = started("ws://example.com/", options());
    let whole_events = feed(&mut whole, &input);
    let (mut cut, _) = started("ws://example.com/", options());
    let mut cut_events = feed(&mut cut, &input[..257]);
    cut_events.extend(feed(&mut cut, &input[257..]));
    assert_eq!(cut_events, whole_events);
    let message = "Response header fields too large";
    assert_eq!(
        whole_events,
        [failure_event(
            1002,
            &format!("Error during WebSocket handshake: {message}"),
            Error::Handshake(HandshakeError::TooLarge)
        )]
    );
}

#[test]
fn protocol_version_8_is_sent_and_reported() {
    let mut client =
        Driver::client("ws://example.com/", Options::default().protocol_version(8)).unwrap();
    assert_eq!(client.version(), Some(wsdriver::Version::Hybi8));
    client.start();
    let request = String::from_utf8(client.take_output()).unwrap();
    assert!(
        request.contains("\r\nSec-WebSocket-Version: 8\r\n"),
        "{request}"
    );
    assert!(Driver::client("ws://example.com/", Options::default().protocol_version(7)).is_err());
}

#[test]
fn origin_is_named_after_the_protocol_version() {
    for (version, line) in [
        (13, "\r\nOrigin: https://example.com\r\n"),
        (8, "\r\nSec-WebSocket-Origin: https://example.com\r\n"),
    ] {
        let mut client = Driver::client(
            "ws://example.com/",
            Options::default().protocol_version(version),
        )
        .unwrap();
        client.set_origin("https://example.com").unwrap();
        client.start();
        let request = String::from_utf8(client.take_output()).unwrap();
        assert!(request.contains(line), "{request}");
    }
}
