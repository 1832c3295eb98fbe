//! The closing handshake (RFC 6455 §5.5.1, §7): echoing, codes a peer may
//! send, codes an application may send, the Closing state, the close
//! timeout and the transport ending.

mod common;

use wsdriver::CloseCause;

use common::*;
use std::time::{Duration, Instant};
use wsdriver::{Bytes, Driver, Error, Event, Message, Options, ReadyState};

#[test]
fn rfc6455_5_5_1_received_close_is_echoed_with_its_code() {
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::close(1000, "bye").encode()),
        [close_event(1000, "bye", true)]
    );
    assert_eq!(server.take_output(), b"\x88\x02\x03\xe8");
    assert_eq!(server.ready_state(), ReadyState::Closed);
    // nothing after the close is read
    assert_eq!(feed(&mut server, &Frame::ping("x").encode()), []);
    assert!(!server.has_output());
}

#[test]
fn rfc6455_5_5_1_client_echoes_a_close_masked() {
    let mut client = open_client("ws://example.com/", Options::default());
    assert_eq!(
        feed(
            &mut client,
            &Frame::close(1001, "going away").unmasked().encode()
        ),
        [close_event(1001, "going away", true)]
    );
    let sent = decode_frames(&client.take_output());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].mask.is_some());
    assert_eq!(sent[0].close(), Some((1001, String::new())));
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn rfc6455_7_1_5_empty_close_is_echoed_empty_and_reported_1005() {
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::new(CLOSE, []).encode()),
        [close_event(1005, "", true)]
    );
    assert_eq!(server.take_output(), b"\x88\x00");
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[test]
fn rfc6455_5_5_1_close_with_one_byte_payload_fails_1002() {
    let message = "Received close frame with a one-byte payload";
    server_fails_with(&Frame::new(CLOSE, [0x03]).encode(), 1002, message);
    client_fails_with(
        &Frame::new(CLOSE, [0x03]).unmasked().encode(),
        1002,
        message,
    );
}

#[test]
fn rfc6455_7_4_invalid_received_codes_fail_1002() {
    for code in [
        0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let message = format!("Received close frame with an invalid close code: {code}");
        server_fails_with(&Frame::close(code, "").encode(), 1002, &message);
        client_fails_with(&Frame::close(code, "r").unmasked().encode(), 1002, &message);
    }
}

#[test]
fn rfc6455_7_4_valid_received_codes_are_echoed() {
    for code in [
        1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000,
        4999,
    ] {
        let mut server = open_server(Options::default());
        assert_eq!(
            feed(&mut server, &Frame::close(code, "why").encode()),
            [close_event(code, "why", true)],
            "code {code}"
        );
        assert_eq!(server.take_output(), server_close_frame(code, ""), "{code}");
    }
}

#[test]
fn rfc6455_8_1_close_reason_that_is_not_utf8_fails_1007() {
    let message = "Received close frame with a reason that is not UTF-8";
    for reason in [&b"\xff"[..], b"ok\xe2\x82", b"\xed\xa0\x80"] {
        server_fails_with(&Frame::close(1000, reason).encode(), 1007, message);
        client_fails_with(
            &Frame::close(1000, reason).unmasked().encode(),
            1007,
            message,
        );
    }
}

#[test]
fn an_invalid_code_is_reported_before_a_bad_reason() {
    server_fails_with(
        &Frame::close(1005, b"\xff").encode(),
        1002,
        "Received close frame with an invalid close code: 1005",
    );
}

#[test]
fn close_reason_of_any_valid_utf8_is_reported() {
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::close(4000, "κόσμε 𝄞").encode()),
        [close_event(4000, "κόσμε 𝄞", true)]
    );
}

#[test]
fn close_accepts_normal_and_application_codes() {
    for code in [1000, 3000, 4000, 4999] {
        let mut server = open_server(Options::default());
        server.close(code, "done").unwrap();
        assert_eq!(server.take_output(), server_close_frame(code, "done"));
        assert_eq!(server.ready_state(), ReadyState::Closing);
    }
    let mut server = open_server(Options::default());
    server.close(1000, "").unwrap();
    assert_eq!(server.take_output(), b"\x88\x02\x03\xe8");
}

#[test]
fn close_refuses_codes_an_application_may_not_send() {
    let mut server = open_server(Options::default());
    for code in [0, 999, 1004, 1005, 1006, 1015, 2000, 2999, 5000, 65535] {
        assert_eq!(
            server.close(code, ""),
            Err(Error::InvalidCloseCode(code.into())),
            "{code}"
        );
    }
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Open);
}

#[test]
fn servers_may_close_with_the_codes_they_send_all_the_time() {
    // 1001 (going away), 1008 (policy), 1011 (internal error), 1013 (try
    // again later): every code a close frame may carry is the caller's.
    for code in [1001u16, 1003, 1008, 1011, 1013, 1014] {
        let mut server = open_server(Options::default());
        server.close(code, "bye").unwrap();
        let sent = decode_frames(&server.take_output());
        assert_eq!(sent[0].close(), Some((code, "bye".to_owned())), "{code}");
        assert_eq!(server.ready_state(), ReadyState::Closing);
    }
}

#[test]
fn close_reason_is_at_most_123_bytes() {
    let mut server = open_server(Options::default());
    assert_eq!(
        server.close(1000, &"r".repeat(124)),
        Err(Error::ControlPayloadTooLong(126))
    );
    // 62 two-byte characters: 124 bytes
    assert_eq!(
        server.close(1000, &"é".repeat(62)),
        Err(Error::ControlPayloadTooLong(126))
    );
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Open);
    let reason = "r".repeat(123);
    server.close(1000, &reason).unwrap();
    let output = server.take_output();
    assert_eq!(output[..2], [0x88, 125]);
    assert_eq!(decode_frames(&output)[0].close(), Some((1000, reason)));
}

#[test]
fn client_close_frame_is_masked() {
    let mut client = open_client("ws://example.com/", Options::default());
    client.close(3001, "bye").unwrap();
    let sent = decode_frames(&client.take_output());
    assert_eq!(sent.len(), 1);
    assert!(sent[0].mask.is_some());
    assert_eq!(sent[0].close(), Some((3001, "bye".to_owned())));
}

#[test]
fn rfc6455_1_4_after_our_close_data_is_dropped_pings_answered_and_the_peer_close_finishes() {
    let mut server = open_server(Options::default());
    server.close(1000, "bye").unwrap();
    assert_eq!(server.take_output(), server_close_frame(1000, "bye"));
    assert_eq!(server.ready_state(), ReadyState::Closing);
    assert_eq!(drain(&mut server), [], "no Close until the peer answers");

    // data is dropped
    let input = frames(&[
        Frame::text("dropped"),
        Frame::binary([1]),
        Frame::text("frag").fin(false),
        Frame::cont("ment"),
    ]);
    assert_eq!(feed(&mut server, &input), []);
    // pings are still answered
    assert_eq!(
        feed(&mut server, &Frame::ping("still there?").encode()),
        [Event::Ping(Bytes::from_static(b"still there?"))]
    );
    assert_eq!(server.take_output(), b"\x8a\x0cstill there?");
    assert_eq!(server.ready_state(), ReadyState::Closing);

    // the peer's close ends it cleanly, without another close frame
    assert_eq!(
        feed(&mut server, &Frame::close(1000, "ok").encode()),
        [closed_by_us(1000, "ok")]
    );
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[test]
fn after_our_close_an_empty_close_finishes_with_1005() {
    let mut client = open_client("ws://example.com/", Options::default());
    client.close(1000, "").unwrap();
    client.take_output();
    assert_eq!(
        feed(&mut client, &Frame::new(CLOSE, []).unmasked().encode()),
        [closed_by_us(1005, "")]
    );
    assert!(!client.has_output());
}

#[test]
fn a_protocol_error_while_closing_sends_no_second_close() {
    let mut server = open_server(Options::default());
    server.close(1000, "").unwrap();
    server.take_output();
    let events = feed(&mut server, &Frame::text("x").unmasked().encode());
    assert_protocol_failure(&mut server, &events, 1002, "Received unmasked frame", false);

    let mut server = open_server(Options::default());
    server.close(1000, "").unwrap();
    server.take_output();
    let events = feed(&mut server, &Frame::close(1006, "").encode());
    assert_protocol_failure(
        &mut server,
        &events,
        1002,
        "Received close frame with an invalid close code: 1006",
        false,
    );
}

#[test]
fn rfc6455_7_1_7_invalid_utf8_while_closing_still_fails_1007() {
    let mut server = open_server(Options::default());
    server.close(1000, "").unwrap();
    server.take_output();
    let events = feed(&mut server, &Frame::text(b"\xff").encode());
    assert_protocol_failure(
        &mut server,
        &events,
        1007,
        "Could not decode a text frame as UTF-8",
        false,
    );
}

#[test]
fn close_timeout_ends_with_1006() {
    let mut server = open_server(Options::default());
    let now = Instant::now();
    assert_eq!(server.next_deadline(now), None, "no timer while open");
    server.close(1000, "").unwrap();
    let deadline = server.next_deadline(now).expect("a close timer");
    assert_eq!(deadline, now + Duration::from_secs(30));
    // asking later does not move it
    assert_eq!(
        server.next_deadline(now + Duration::from_secs(5)),
        Some(deadline)
    );

    server.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(drain(&mut server), []);
    assert_eq!(server.ready_state(), ReadyState::Closing);

    server.handle_timeout(deadline);
    assert_eq!(drain(&mut server), [abnormal(CloseCause::CloseTimeout)]);
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert_eq!(server.next_deadline(deadline), None);
    // a late close frame changes nothing
    assert_eq!(feed(&mut server, &Frame::close(1000, "").encode()), []);
    server.handle_timeout(deadline + Duration::from_secs(60));
    assert_eq!(drain(&mut server), []);
}

#[test]
fn close_timeout_is_configurable_and_can_be_off() {
    let mut client = open_client(
        "ws://example.com/",
        Options::default().close_timeout(Some(Duration::from_millis(250))),
    );
    let now = Instant::now();
    client.close(1000, "").unwrap();
    assert_eq!(
        client.next_deadline(now),
        Some(now + Duration::from_millis(250))
    );
    client.handle_timeout(now + Duration::from_secs(1));
    assert_eq!(drain(&mut client), [abnormal(CloseCause::CloseTimeout)]);

    let mut client = open_client("ws://example.com/", Options::default().close_timeout(None));
    client.close(1000, "").unwrap();
    assert_eq!(client.next_deadline(now), None);
    client.handle_timeout(now + Duration::from_secs(3600));
    assert_eq!(drain(&mut client), []);
    assert_eq!(client.ready_state(), ReadyState::Closing);

    assert!(matches!(
        Driver::client(
            "ws://example.com/",
            Options::default().close_timeout(Some(Duration::ZERO))
        ),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn close_handshake_finished_in_time_disarms_the_timer() {
    let mut server = open_server(Options::default());
    let now = Instant::now();
    server.close(1000, "").unwrap();
    let deadline = server.next_deadline(now).unwrap();
    assert_eq!(
        feed(&mut server, &Frame::close(1000, "").encode()),
        [closed_by_us(1000, "")]
    );
    assert_eq!(server.next_deadline(now), None);
    server.handle_timeout(deadline);
    assert_eq!(drain(&mut server), []);
}

#[test]
fn transport_closed_reports_1006() {
    let mut server = open_server(Options::default());
    server.transport_closed();
    assert_eq!(drain(&mut server), [close_event(1006, "", false)]);
    assert_eq!(server.ready_state(), ReadyState::Closed);
    // once only
    server.transport_closed();
    assert_eq!(drain(&mut server), []);

    // while closing, too
    let mut client = open_client("ws://example.com/", Options::default());
    client.close(1000, "").unwrap();
    client.transport_closed();
    assert_eq!(drain(&mut client), [close_event(1006, "", false)]);

    // and after a clean close, nothing more
    let mut server = open_server(Options::default());
    feed(&mut server, &Frame::close(1000, "").encode());
    server.transport_closed();
    assert_eq!(drain(&mut server), []);
}

#[test]
fn transport_closed_during_the_handshake_reports_1006() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.start();
    client.transport_closed();
    assert_eq!(drain(&mut client), [close_event(1006, "", false)]);
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn sending_after_close_is_an_error() {
    for closed in [false, true] {
        let mut server = open_server(Options::default());
        server.close(1000, "").unwrap();
        if closed {
            feed(&mut server, &Frame::close(1000, "").encode());
            assert_eq!(server.ready_state(), ReadyState::Closed);
        }
        server.take_output();
        assert_eq!(server.text("x"), Err(Error::Closed));
        assert_eq!(server.binary(b"x"), Err(Error::Closed));
        assert_eq!(server.send(Message::from("x")), Err(Error::Closed));
        assert_eq!(server.ping(b"x"), Err(Error::Closed));
        assert_eq!(server.pong(b"x"), Err(Error::Closed));
        // a second close is harmless and sends nothing
        assert_eq!(server.close(1000, ""), Ok(()));
        assert!(!server.has_output());
    }
}

#[test]
fn close_before_open_closes_at_once() {
    // a client before start
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.text("queued").unwrap();
    client.close(1000, "never mind").unwrap();
    assert_eq!(drain(&mut client), [close_event(1000, "never mind", false)]);
    assert_eq!(client.ready_state(), ReadyState::Closed);
    assert!(!client.start());
    assert!(!client.has_output());

    // a client waiting for the response
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.start();
    let sent = client.take_output();
    client.text("queued").unwrap();
    client.close(3000, "").unwrap();
    assert_eq!(drain(&mut client), [close_event(3000, "", false)]);
    let key = key_from_request(&sent);
    assert_eq!(feed(&mut client, &response_101(&key, &[])), []);
    assert!(!client.has_output(), "the queue was dropped");

    // a raw server holding a request
    let mut server = Driver::server(Options::default()).unwrap();
    feed(&mut server, &request(&[]));
    server.text("queued").unwrap();
    server.close(1000, "").unwrap();
    assert_eq!(drain(&mut server), [close_event(1000, "", false)]);
    assert!(!server.start());
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[test]
fn close_before_open_still_checks_its_arguments() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    assert_eq!(
        client.close(1006, ""),
        Err(Error::InvalidCloseCode(1006.into()))
    );
    assert_eq!(client.ready_state(), ReadyState::Connecting);
    assert_eq!(drain(&mut client), []);
}

#[test]
fn both_sides_close_at_once() {
    // Each side sends its close before seeing the other's.
    let (mut client, mut server) = open_pair();
    client.close(1000, "client").unwrap();
    server.close(3000, "server").unwrap();
    let from_client = client.take_output();
    let from_server = server.take_output();
    assert_eq!(
        feed(&mut server, &from_client),
        [closed_by_us(1000, "client")]
    );
    assert_eq!(
        feed(&mut client, &from_server),
        // Each side had started its own close.
        [closed_by_us(3000, "server")]
    );
    assert!(
        !client.has_output() && !server.has_output(),
        "no echo of an echo"
    );
}

#[test]
fn going_away_sends_1001_and_waits_for_the_answer() {
    let mut server = open_server(Options::default());
    server.going_away("shutting down").unwrap();
    let sent = decode_frames(&server.take_output());
    assert_eq!(sent[0].close(), Some((1001, "shutting down".into())));
    assert_eq!(server.ready_state(), wsdriver::ReadyState::Closing);
    let events = feed(
        &mut server,
        &Frame::new(CLOSE, vec![0x03, 0xe9]).masked(MASK).encode(),
    );
    assert_eq!(events, [closed_by_us(1001, "")]);
}

#[test]
fn has_timer_is_true_only_while_a_close_waits_for_its_answer() {
    let mut server = open_server(Options::default());
    assert!(!server.has_timer());
    server.close(1000, "").unwrap();
    assert!(server.has_timer());
    feed(
        &mut server,
        &Frame::new(CLOSE, vec![0x03, 0xe8]).masked(MASK).encode(),
    );
    assert!(!server.has_timer());
}
