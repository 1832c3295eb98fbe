//! The legacy drafts, server side: hixie-75 and hixie-76 behind
//! `allow_drafts`.

mod common;

use common::*;
use wsdriver::{CloseCode, Driver, Error, Event, Options, ReadyState, Version};

const KEY1: &str = "4 @1  46546xW%0l 1 5";
const KEY2: &str = "12998 5 Y3 1  .P00";
const BODY: &[u8] = b"^n:ds[4U";

/// The request of draft-hixie-thewebsocketprotocol-76 §1.3, without its body.
fn hixie76_head() -> Vec<u8> {
    head(
        "GET /demo HTTP/1.1",
        &[
            ("Host", "example.com"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key2", KEY2),
            ("Sec-WebSocket-Protocol", "sample"),
            ("Upgrade", "WebSocket"),
            ("Sec-WebSocket-Key1", KEY1),
            ("Origin", "http://example.com"),
        ],
    )
}

const HIXIE76_RESPONSE: &str = "HTTP/1.1 101 WebSocket Protocol Handshake\r\n\
    Upgrade: WebSocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Origin: http://example.com\r\n\
    Sec-WebSocket-Location: ws://example.com/demo\r\n\
    Sec-WebSocket-Protocol: sample\r\n\
    \r\n";

fn drafts() -> Options {
    Options::default().allow_drafts(true).protocols(["sample"])
}

#[test]
fn hixie76_draft_example_answers_8jks() {
    let mut server = Driver::server(drafts()).unwrap();
    let mut input = hixie76_head();
    input.extend_from_slice(BODY);
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert_eq!(server.body(), BODY);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    let mut expected = HIXIE76_RESPONSE.as_bytes().to_vec();
    expected.extend_from_slice(b"8jKS'y:G*Co,Wxa-");
    assert_eq!(
        String::from_utf8_lossy(&server.take_output()),
        String::from_utf8_lossy(&expected)
    );
    assert_eq!(server.version(), Some(Version::Hixie76));
    assert_eq!(server.version().unwrap().as_str(), "hixie-76");
    assert_eq!(server.protocol(), Some("sample"));
}

#[test]
fn hixie76_body_held_back_by_a_proxy_keeps_the_driver_connecting() {
    let mut server = Driver::server(drafts()).unwrap();
    assert_eq!(feed(&mut server, &hixie76_head()), [Event::Connect]);
    assert!(server.start());
    assert_eq!(drain(&mut server), []);
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    // The head goes out at once; the answer waits for the challenge bytes.
    assert_eq!(server.take_output(), HIXIE76_RESPONSE.as_bytes());
    server.text("queued").unwrap();
    assert_eq!(feed(&mut server, &BODY[..5]), []);
    assert!(server.take_output().is_empty());

    // The rest of the body, and a frame right behind it.
    let mut rest = BODY[5..].to_vec();
    rest.extend_from_slice(b"\x00hi\xff");
    assert_eq!(feed(&mut server, &rest), [Event::Open, text_event("hi")]);
    let mut expected = b"8jKS'y:G*Co,Wxa-".to_vec();
    expected.extend_from_slice(b"\x00queued\xff");
    assert_eq!(server.take_output(), expected);
}

#[test]
fn hixie76_through_the_parsed_request_factory_with_body_bytes() {
    let mut builder = wsdriver::http_types::Request::builder().uri("/demo");
    for (name, value) in [
        ("Host", "example.com"),
        ("Connection", "Upgrade"),
        ("Upgrade", "WebSocket"),
        ("Sec-WebSocket-Key1", KEY1),
        ("Sec-WebSocket-Key2", KEY2),
        ("Origin", "http://example.com"),
    ] {
        builder = builder.header(name, value);
    }
    let request = builder.body(()).unwrap();
    let mut server = Driver::http(&request, Options::default().allow_drafts(true)).unwrap();
    server.parse(BODY); // the bytes that arrived with the head
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    let output = server.take_output();
    assert!(
        output.ends_with(b"\r\n\r\n8jKS'y:G*Co,Wxa-"),
        "{}",
        String::from_utf8_lossy(&output)
    );
}

#[test]
fn drafts_are_refused_unless_allowed() {
    for request in [hixie76_head(), hixie75_head()] {
        let mut server = Driver::server(Options::default()).unwrap();
        feed(&mut server, &request);
        assert!(!server.start());
        let output = String::from_utf8(server.take_output()).unwrap();
        assert!(
            output.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{output}"
        );
        assert!(
            output.ends_with("\r\n\r\nUnsupported WebSocket version"),
            "{output}"
        );
        let events = drain(&mut server);
        assert!(
            matches!(&events[..], [Event::Close(c)] if matches!(c.error.as_deref(), Some(Error::BadRequest { status: 400, .. })) && c.code == 1002)
        );
    }
}

#[test]
fn hixie76_key_errors_are_400() {
    for (key1, message) in [
        (
            "12345",
            "Invalid Sec-WebSocket-Key1 header: it has no spaces",
        ),
        (
            "1 2 3",
            "Invalid Sec-WebSocket-Key1 header: its number is not a multiple of its spaces",
        ),
        (
            "99999999999 ",
            "Invalid Sec-WebSocket-Key1 header: its number is too large",
        ),
    ] {
        let request = head(
            "GET /demo HTTP/1.1",
            &[
                ("Host", "example.com"),
                ("Connection", "Upgrade"),
                ("Upgrade", "WebSocket"),
                ("Sec-WebSocket-Key1", key1),
                ("Sec-WebSocket-Key2", KEY2),
            ],
        );
        let mut server = Driver::server(drafts()).unwrap();
        feed(&mut server, &request);
        assert!(!server.start());
        let output = String::from_utf8(server.take_output()).unwrap();
        assert!(
            output.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{output}"
        );
        assert!(output.ends_with(message), "{output}");
    }
}

fn hixie75_head() -> Vec<u8> {
    head(
        "GET /demo HTTP/1.1",
        &[
            ("Host", "example.com"),
            ("Connection", "Upgrade"),
            ("Upgrade", "WebSocket"),
            ("Origin", "http://example.com"),
        ],
    )
}

fn open_hixie75() -> Driver {
    let mut server = Driver::server(drafts()).unwrap();
    feed(&mut server, &hixie75_head());
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        "HTTP/1.1 101 Web Socket Protocol Handshake\r\n\
         Upgrade: WebSocket\r\n\
         Connection: Upgrade\r\n\
         WebSocket-Origin: http://example.com\r\n\
         WebSocket-Location: ws://example.com/demo\r\n\
         \r\n"
    );
    server
}

#[test]
fn hixie75_handshake_and_framing() {
    let mut server = open_hixie75();
    assert_eq!(server.version(), Some(Version::Hixie75));
    // A text frame, a skipped length-prefixed frame, and text split in two.
    assert_eq!(
        feed(&mut server, b"\x00one\xff\x80\x02ab\x00t"),
        [text_event("one")]
    );
    assert_eq!(feed(&mut server, b"w\xc3\xb6\xff"), [text_event("twö")]);
    server.text("out").unwrap();
    assert_eq!(server.take_output(), b"\x00out\xff");
}

#[test]
fn binary_ping_and_pong_are_unsupported_on_drafts() {
    let mut server = open_hixie75();
    assert!(matches!(server.binary(b"x"), Err(Error::Unsupported(_))));
    assert!(matches!(server.ping(b""), Err(Error::Unsupported(_))));
    assert!(matches!(server.pong(b""), Err(Error::Unsupported(_))));
    assert!(server.take_output().is_empty());
}

#[test]
fn frames_queued_before_the_version_was_known_are_reported_if_unsupported() {
    let mut server = Driver::server(drafts()).unwrap();
    feed(&mut server, &hixie75_head());
    server.binary(b"bin").unwrap();
    server.text("txt").unwrap();
    assert!(server.start());
    let events = drain(&mut server);
    assert!(
        matches!(
            &events[..],
            [Event::Unsent(Error::Unsupported(_)), Event::Open]
        ),
        "{events:?}"
    );
    assert!(server.take_output().ends_with(b"\r\n\r\n\x00txt\xff"));
}

fn open_hixie76() -> Driver {
    let mut server = Driver::server(drafts()).unwrap();
    let mut input = hixie76_head();
    input.extend_from_slice(BODY);
    feed(&mut server, &input);
    server.start();
    drain(&mut server);
    server.take_output();
    server
}

#[test]
fn hixie76_closing_frame_both_ways() {
    let mut server = open_hixie76();
    let events = feed(&mut server, b"\xff\x00\x00ignored\xff");
    assert_eq!(events, [close_event(1000, "", true)]);
    assert_eq!(server.take_output(), b"\xff\x00");
    assert_eq!(server.ready_state(), ReadyState::Closed);

    let mut server = open_hixie76();
    server.close(1000, "").unwrap();
    assert_eq!(server.take_output(), b"\xff\x00");
    assert_eq!(drain(&mut server), [closed_by_us(1000, "")]);
    assert_eq!(server.text("late"), Err(Error::Closed));
}

#[test]
fn hixie_text_longer_than_max_length_fails() {
    let mut server = Driver::server(drafts().max_length(8)).unwrap();
    let mut input = hixie76_head();
    input.extend_from_slice(BODY);
    feed(&mut server, &input);
    server.start();
    drain(&mut server);
    server.take_output();
    let events = feed(&mut server, b"\x00123456789");
    assert!(
        matches!(&events[..], [Event::Close(c)] if matches!(c.error.as_deref(), Some(Error::Protocol { code: CloseCode::TOO_LARGE, .. })) && c.code == 1009),
        "{events:?}"
    );
    assert_eq!(server.take_output(), b"\xff\x00");
}

#[test]
fn hybi_requests_still_win_when_drafts_are_allowed() {
    let mut server = Driver::server(drafts()).unwrap();
    feed(&mut server, &request(&[]));
    assert!(server.start());
    assert_eq!(server.version(), Some(Version::Hybi13));
}
