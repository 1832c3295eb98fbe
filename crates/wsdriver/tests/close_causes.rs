//! A cause for every end (issue 25: an idle or close timeout ended with
//! `CloseEvent { error: None }` and 1006, exactly like a peer hanging up).
//! Each cause is produced here the way it happens, through the handshake
//! machines and `Connection` that the tokio crate runs.

mod common;

use common::*;
use std::io;
use std::time::{Duration, Instant};
use wsdriver::{CloseCause, CloseEvent, Connection, Driver, Error, Event, Machine, Options};

/// The close event `connection` reports now, with the events before it.
fn close_of(connection: &mut Connection) -> CloseEvent {
    let events: Vec<Event> = std::iter::from_fn(|| connection.poll_event()).collect();
    match events.last() {
        Some(Event::Close(close)) => close.clone(),
        _ => panic!("no close among {events:?}"),
    }
}

fn feed(connection: &mut Connection, bytes: &[u8], now: Instant) {
    connection.input_buffer().extend_from_slice(bytes);
    connection.received(now);
}

#[test]
fn the_peer_closing_is_peer_closed() {
    let now = Instant::now();
    let mut connection = open_server_connection(Options::default(), now);
    feed(&mut connection, &Frame::close(4001, "bye").encode(), now);
    let close = close_of(&mut connection);
    assert_eq!(
        (
            close.code.as_u16(),
            close.reason.as_str(),
            close.clean,
            close.cause
        ),
        (4001, "bye", true, CloseCause::PeerClosed)
    );
    assert!(!close.cause.is_failure());
    assert_eq!(close.error, None);
}

#[test]
fn our_close_answered_is_locally_closed() {
    let now = Instant::now();
    let mut connection = open_server_connection(Options::default(), now);
    connection.close(now, 1000u16, "done").unwrap();
    feed(&mut connection, &Frame::close(1000, "").encode(), now);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.clean, close.cause),
        (true, CloseCause::LocallyClosed)
    );
    assert!(!close.cause.is_failure());
}

#[test]
fn a_broken_rule_is_a_protocol_error_with_the_rule() {
    let now = Instant::now();
    let mut connection = open_server_connection(Options::default(), now);
    // A client's frame must be masked.
    feed(&mut connection, &Frame::text("x").unmasked().encode(), now);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.cause),
        (1002, CloseCause::ProtocolError)
    );
    assert!(matches!(close.error.as_deref(), Some(Error::Protocol { code, .. }) if *code == 1002));
    assert!(close.cause.is_failure());

    let mut connection = open_server_connection(Options::default().max_length(10), now);
    feed(&mut connection, &Frame::binary([0u8; 11]).encode(), now);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.cause),
        (1009, CloseCause::ProtocolError)
    );
}

#[test]
fn a_silent_peer_is_an_idle_timeout() {
    let now = Instant::now();
    let idle = Duration::from_secs(5);
    let mut connection = open_server_connection(Options::default().idle_timeout(Some(idle)), now);
    connection.handle_timeout(now + idle);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.clean, close.cause),
        (1006, false, CloseCause::IdleTimeout)
    );
    assert!(close.cause.is_failure());
}

#[test]
fn an_unanswered_close_is_a_close_timeout() {
    let now = Instant::now();
    let limit = Duration::from_secs(2);
    let mut connection = open_server_connection(Options::default().close_timeout(Some(limit)), now);
    connection.close(now, 1000u16, "").unwrap();
    connection.handle_timeout(now + limit);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.clean, close.cause),
        (1006, false, CloseCause::CloseTimeout)
    );
}

#[test]
fn a_transport_that_ends_or_fails_says_which() {
    let now = Instant::now();
    let mut connection = open_server_connection(Options::default(), now);
    connection.transport_closed();
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.cause),
        (1006, CloseCause::TransportClosed)
    );

    let mut connection = open_server_connection(Options::default(), now);
    connection.transport_failed(io::ErrorKind::ConnectionReset);
    let close = close_of(&mut connection);
    assert_eq!(
        (close.code.as_u16(), close.cause),
        (
            1006,
            CloseCause::TransportError(io::ErrorKind::ConnectionReset)
        )
    );
    assert_eq!(
        close.cause.to_string(),
        "connection error: connection reset"
    );

    // Once closed, a later failure changes nothing.
    let mut connection = open_server_connection(Options::default(), now);
    feed(&mut connection, &Frame::close(1000, "").encode(), now);
    assert_eq!(close_of(&mut connection).cause, CloseCause::PeerClosed);
    connection.transport_failed(io::ErrorKind::BrokenPipe);
    assert_eq!(connection.poll_event(), None);
}

#[test]
fn a_failed_handshake_is_handshake_failed() {
    let mut server = Driver::server(Options::default()).unwrap();
    // A plain GET, answered as a WebSocket: no `Upgrade`, so 400.
    let events = feed_driver(&mut server, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    assert_eq!(events, [Event::Connect]);
    server.start();
    let events = drain(&mut server);
    match &events[..] {
        [Event::Close(close)] => {
            assert_eq!(close.cause, CloseCause::HandshakeFailed);
            assert!(matches!(
                close.error.as_deref(),
                Some(Error::BadRequest { .. })
            ));
        }
        other => panic!("{other:?}"),
    }
}

fn feed_driver(driver: &mut Driver, bytes: &[u8]) -> Vec<Event> {
    common::feed(driver, bytes)
}
