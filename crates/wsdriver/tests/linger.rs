//! The lingering close (issue 24): a connection that fails with a close
//! frame asks its transport to read on, and throws away what comes, until
//! the peer hangs up, `LINGER_BYTES` were read or `LINGER_TIME` passed, so
//! that closing the socket does not reset the connection before the peer
//! has read the code.

mod common;

use common::*;
use std::time::{Duration, Instant};
use wsdriver::{Connection, Event, Machine, Options, LINGER_BYTES, LINGER_TIME};

fn events(connection: &mut Connection) -> Vec<Event> {
    std::iter::from_fn(|| connection.poll_event()).collect()
}

/// A frame header that announces more than `max_length`, masked, and the
/// first bytes of its payload.
fn too_long(max_length: u64) -> Vec<u8> {
    let mut frame = Frame::binary(vec![0u8; 16])
        .claim_len(max_length + 1)
        .masked([1, 2, 3, 4])
        .encode();
    frame.truncate(frame.len() - 4);
    frame
}

fn fail_with_1009(options: Options, now: Instant) -> Connection {
    let mut connection = open_server_connection(options.max_length(1000), now);
    connection.input_buffer().extend_from_slice(&too_long(1000));
    connection.received(now);
    let events = events(&mut connection);
    assert!(
        matches!(&events[..], [Event::Close(close)] if close.code == 1009),
        "{events:?}"
    );
    let written = connection.take_output();
    assert_eq!(&written[..2], &[0x88, written[1]], "a close frame went out");
    assert_eq!(&written[2..4], &1009u16.to_be_bytes());
    connection
}

#[test]
fn a_failed_connection_lingers_and_discards_what_comes() {
    let now = Instant::now();
    let mut connection = fail_with_1009(Options::default(), now);
    assert!(connection.is_lingering());
    // Its time starts at the first call that tells it.
    connection.handle_timeout(now);
    assert_eq!(connection.poll_timeout(), Some(now + LINGER_TIME));
    // What comes is thrown away, not kept, and reports nothing.
    for _ in 0..100 {
        connection
            .input_buffer()
            .extend_from_slice(&[0xAB; 64 * 1024]);
        connection.received(now + Duration::from_millis(10));
        assert!(events(&mut connection).is_empty());
        assert!(connection.input_buffer().is_empty());
        assert!(!connection.has_output());
    }
    assert_eq!(connection.read_hint(), 0);
    assert!(connection.is_lingering());
    // The peer hung up: done.
    connection.transport_closed();
    assert!(!connection.is_lingering());
    assert!(events(&mut connection).is_empty(), "no second close");
    assert_eq!(connection.poll_timeout(), None);
}

#[test]
fn lingering_ends_at_its_time_or_the_close_timeout_if_shorter() {
    let now = Instant::now();
    let mut connection = fail_with_1009(Options::default(), now);
    connection.handle_timeout(now);
    connection.handle_timeout(now + LINGER_TIME - Duration::from_millis(1));
    assert!(connection.is_lingering());
    connection.handle_timeout(now + LINGER_TIME);
    assert!(!connection.is_lingering());
    assert_eq!(connection.poll_timeout(), None);

    let short = Duration::from_millis(300);
    let mut connection = fail_with_1009(Options::default().close_timeout(Some(short)), now);
    connection.received(now);
    assert_eq!(connection.poll_timeout(), Some(now + short));
}

#[test]
fn lingering_ends_after_its_byte_budget() {
    let now = Instant::now();
    let mut connection = fail_with_1009(Options::default(), now);
    connection.handle_timeout(now);
    let chunk = vec![0u8; 1 << 20];
    let mut read = 0;
    while connection.is_lingering() {
        connection.input_buffer().extend_from_slice(&chunk);
        connection.received(now);
        let _ = events(&mut connection);
        read += chunk.len();
        assert!(read <= LINGER_BYTES, "still lingering after {read} bytes");
    }
    assert_eq!(read, LINGER_BYTES);
}

#[test]
fn a_clean_close_and_a_peer_hanging_up_do_not_linger() {
    let now = Instant::now();
    let mut connection = open_server_connection(Options::default(), now);
    connection
        .input_buffer()
        .extend_from_slice(&Frame::close(1000, "bye").masked([1, 2, 3, 4]).encode());
    connection.received(now);
    let _ = events(&mut connection);
    assert!(!connection.is_lingering());

    let mut connection = open_server_connection(Options::default(), now);
    connection.transport_closed();
    let _ = events(&mut connection);
    assert!(!connection.is_lingering());
}
