//! The opening handshake's deadline, on a simulated clock: a server that
//! has part of a request answers 408, one that has nothing just ends, a
//! client whose answer never comes fails, and opening in time stops it.

mod common;

use wsdriver::CloseCause;

use common::*;
use std::time::{Duration, Instant};
use wsdriver::{Driver, Error, Event, Options, ReadyState, DEFAULT_HANDSHAKE_TIMEOUT};

const TIMEOUT_MESSAGE: &str = "Request Timeout: the WebSocket handshake took too long";

fn expected_408() -> String {
    format!(
        "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{TIMEOUT_MESSAGE}",
        TIMEOUT_MESSAGE.len()
    )
}

#[test]
fn the_default_is_30_seconds_from_the_first_deadline_asked() {
    assert_eq!(DEFAULT_HANDSHAKE_TIMEOUT, Duration::from_secs(30));
    let mut server = Driver::server(Options::default()).unwrap();
    assert!(
        server.has_timer(),
        "a server's handshake is timed from the start"
    );
    let now = Instant::now();
    assert_eq!(
        server.next_deadline(now),
        Some(now + Duration::from_secs(30))
    );
    // Asking again does not move it.
    assert_eq!(
        server.next_deadline(now + Duration::from_secs(10)),
        Some(now + Duration::from_secs(30))
    );
}

#[test]
fn a_server_with_part_of_a_request_answers_408_when_time_runs_out() {
    let mut server = Driver::server(Options::default()).unwrap();
    let now = Instant::now();
    let deadline = server.next_deadline(now).unwrap();
    let head = request(&[]);
    assert_eq!(feed(&mut server, &head[..20]), []);
    server.handle_timeout(deadline - Duration::from_millis(1));
    assert_eq!(drain(&mut server), [], "not due yet");
    assert!(!server.has_output());

    server.handle_timeout(deadline);
    assert_eq!(
        drain(&mut server),
        [failure_event(
            1006,
            TIMEOUT_MESSAGE,
            Error::BadRequest {
                status: 408,
                message: TIMEOUT_MESSAGE.into()
            }
        ),]
    );
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        expected_408()
    );
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert!(!server.has_timer());
    // The rest of the head, late, changes nothing.
    assert_eq!(feed(&mut server, &head[20..]), []);
    assert!(!server.has_output());
}

#[test]
fn a_server_that_got_nothing_ends_without_an_answer() {
    let mut server = Driver::server(Options::default()).unwrap();
    let now = Instant::now();
    let deadline = server.next_deadline(now).unwrap();
    server.handle_timeout(deadline + Duration::from_secs(1));
    assert_eq!(
        drain(&mut server),
        [failure_event(
            1006,
            "Opening handshake has timed out",
            Error::HandshakeTimeout
        ),]
    );
    assert!(!server.has_output());
}

#[test]
fn a_server_holding_a_request_it_has_not_started_answers_408() {
    // An application check that never finishes (say an async lookup).
    let mut server = Driver::server(Options::default()).unwrap();
    let now = Instant::now();
    let deadline = server.next_deadline(now).unwrap();
    assert_eq!(feed(&mut server, &request(&[])), [Event::Connect]);
    server.handle_timeout(deadline);
    assert!(matches!(
        only_failure(&drain(&mut server)),
        Some(Error::BadRequest { status: 408, .. })
    ));
    assert_eq!(
        String::from_utf8(server.take_output()).unwrap(),
        expected_408()
    );
    assert!(!server.start(), "too late to accept");
}

#[test]
fn opening_in_time_stops_the_timer() {
    let mut server = Driver::server(Options::default()).unwrap();
    let now = Instant::now();
    let deadline = server.next_deadline(now).unwrap();
    feed(&mut server, &request(&[]));
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    server.take_output();
    assert!(!server.has_timer());
    assert_eq!(server.next_deadline(now), None);
    server.handle_timeout(deadline + Duration::from_secs(60));
    assert_eq!(drain(&mut server), []);
    assert_eq!(server.ready_state(), ReadyState::Open);
    assert!(!server.has_output());
}

#[test]
fn none_waits_for_ever() {
    let options = Options::default().handshake_timeout(None);
    let server = Driver::server(options.clone()).unwrap();
    assert!(!server.has_timer());
    let mut client = Driver::client("ws://example.com/", options).unwrap();
    client.start();
    assert!(!client.has_timer());
    assert_eq!(client.next_deadline(Instant::now()), None);
}

#[test]
fn a_custom_timeout_is_honoured() {
    let options = Options::default().handshake_timeout(Some(Duration::from_millis(1500)));
    let mut server = Driver::server(options).unwrap();
    let now = Instant::now();
    assert_eq!(
        server.next_deadline(now),
        Some(now + Duration::from_millis(1500))
    );
}

#[test]
fn a_client_whose_answer_never_comes_fails_with_1006() {
    let mut client = Driver::client("ws://example.com/chat", Options::default()).unwrap();
    assert!(!client.has_timer(), "nothing is timed before start");
    client.start();
    client.take_output();
    let now = Instant::now();
    let deadline = client.next_deadline(now).unwrap();
    assert_eq!(deadline, now + Duration::from_secs(30));
    // Half an answer does not stop the clock.
    assert_eq!(feed(&mut client, b"HTTP/1.1 101 Switching"), []);
    client.handle_timeout(deadline);
    assert_eq!(
        drain(&mut client),
        [failure_event(
            1006,
            "Opening handshake has timed out",
            Error::HandshakeTimeout
        ),]
    );
    assert!(!client.has_output(), "a client has nothing to answer");
    assert_eq!(client.ready_state(), ReadyState::Closed);
}

#[test]
fn a_client_answered_in_time_is_not_failed_later() {
    let mut client = open_client("ws://example.com/chat", Options::default());
    let now = Instant::now();
    assert_eq!(client.next_deadline(now), None);
    client.handle_timeout(now + Duration::from_secs(3600));
    assert_eq!(drain(&mut client), []);
    assert_eq!(client.ready_state(), ReadyState::Open);
}

#[test]
fn a_hixie_76_challenge_that_never_comes_times_out() {
    let mut server = Driver::server(Options::default().allow_drafts(true)).unwrap();
    let now = Instant::now();
    let deadline = server.next_deadline(now).unwrap();
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
    assert_eq!(feed(&mut server, &head), [Event::Connect]);
    server.start();
    assert_eq!(drain(&mut server), [], "waiting for the 8 challenge bytes");
    server.take_output();
    server.handle_timeout(deadline);
    assert_eq!(
        drain(&mut server),
        [failure_event(
            1006,
            "Opening handshake has timed out",
            Error::HandshakeTimeout
        ),]
    );
    assert!(!server.has_output(), "the 101 head went already: no 408");
}

#[test]
fn the_close_timer_after_a_timed_handshake_is_the_close_timeout() {
    let options = Options::default().close_timeout(Some(Duration::from_secs(5)));
    let mut server = Driver::server(options).unwrap();
    let start = Instant::now();
    let handshake_deadline = server.next_deadline(start).unwrap();
    feed(&mut server, &request(&[]));
    server.start();
    drain(&mut server);
    assert_eq!(server.next_deadline(start), None);
    let later = start + Duration::from_secs(40);
    server.close(1000, "bye").unwrap();
    let close_deadline = server.next_deadline(later).unwrap();
    assert_eq!(close_deadline, later + Duration::from_secs(5));
    // The handshake's deadline passing means nothing now.
    server.handle_timeout(handshake_deadline);
    assert_eq!(drain(&mut server), []);
    assert_eq!(server.ready_state(), ReadyState::Closing);
    server.handle_timeout(close_deadline);
    assert_eq!(drain(&mut server), [abnormal(CloseCause::CloseTimeout)]);
}
