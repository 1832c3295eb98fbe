//! The connection's timers (keepalive pings, idle timeout, close timeout)
//! on a simulated clock: two connections wired to each other in memory,
//! as quinn-proto's tests do, with time passed in by the test. Nothing
//! here sleeps.

mod common;

use wsdriver::CloseCause;

use common::*;
use std::time::{Duration, Instant};
use wsdriver::{Connection, Driver, Event, Machine, Message, Options, ReadyState};

const SECOND: Duration = Duration::from_secs(1);

/// A client and a server connection and the time they live in.
struct Pair {
    client: Connection,
    server: Connection,
    now: Instant,
}

impl Pair {
    fn new(client: Options, server: Options) -> Pair {
        let mut client = Driver::client("ws://example.com/chat", client).unwrap();
        let mut server = Driver::server(server).unwrap();
        client.start();
        assert_eq!(feed(&mut server, &client.take_output()), [Event::Connect]);
        assert!(server.start());
        assert_eq!(drain(&mut server), [Event::Open]);
        assert_eq!(feed(&mut client, &server.take_output()), [Event::Open]);
        let now = Instant::now();
        let mut client = client.into_connection(now).unwrap();
        let mut server = server.into_connection(now).unwrap();
        // Timers armed by the handshake start when the test says so.
        client.received(now);
        server.received(now);
        Pair {
            client,
            server,
            now,
        }
    }

    /// Moves the clock on, running each side's due timers.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        self.client.handle_timeout(self.now);
        self.server.handle_timeout(self.now);
    }

    /// Delivers what each side wrote to the other, at the current time;
    /// returns (client's events, server's events).
    fn deliver(&mut self) -> (Vec<Event>, Vec<Event>) {
        let to_server = self.client.take_output();
        let to_client = self.server.take_output();
        (
            receive(&mut self.client, &to_client, self.now),
            receive(&mut self.server, &to_server, self.now),
        )
    }
}

fn receive(connection: &mut Connection, bytes: &[u8], now: Instant) -> Vec<Event> {
    if !bytes.is_empty() {
        connection.input_buffer().extend_from_slice(bytes);
        connection.received(now);
    }
    std::iter::from_fn(|| connection.poll_event()).collect()
}

#[test]
fn keepalive_pings_go_out_every_interval_and_their_pongs_come_back() {
    let server = Options::default().ping_interval(Some(10 * SECOND));
    let mut pair = Pair::new(Options::default(), server);
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + 10 * SECOND));
    assert_eq!(pair.client.poll_timeout(), None, "the client runs no timer");

    pair.advance(9 * SECOND);
    assert!(!pair.server.has_output(), "no ping before the interval");
    pair.advance(SECOND);
    let (client_events, _) = pair.deliver();
    assert!(matches!(client_events[..], [Event::Ping(ref p)] if p.is_empty()));
    let (_, server_events) = pair.deliver();
    assert!(
        matches!(server_events[..], [Event::Pong { ping: Some(_), .. }]),
        "{server_events:?}"
    );
    // The next one is due an interval after the first was.
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + 10 * SECOND));
    pair.advance(10 * SECOND);
    assert!(matches!(pair.deliver().0[..], [Event::Ping(_)]));
}

#[test]
fn a_late_check_sends_one_ping_not_a_burst() {
    let server = Options::default().ping_interval(Some(SECOND));
    let mut pair = Pair::new(Options::default(), server);
    pair.advance(60 * SECOND);
    let (client_events, _) = pair.deliver();
    assert_eq!(client_events.len(), 1, "{client_events:?}");
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + SECOND));
}

#[test]
fn poll_timeout_changes_nothing() {
    let server = Options::default()
        .ping_interval(Some(10 * SECOND))
        .idle_timeout(Some(15 * SECOND));
    let pair = Pair::new(Options::default(), server);
    let first = pair.server.poll_timeout();
    for _ in 0..3 {
        assert_eq!(pair.server.poll_timeout(), first);
    }
    assert!(!pair.server.has_output());
    assert_eq!(pair.server.ready_state(), ReadyState::Open);
}

#[test]
fn idle_timeout_restarts_with_every_byte_and_ends_a_silent_peer() {
    let server = Options::default().idle_timeout(Some(30 * SECOND));
    let mut pair = Pair::new(Options::default(), server);
    pair.advance(20 * SECOND);
    pair.client.text("still here").unwrap();
    let (_, events) = pair.deliver();
    assert_eq!(events, [Event::Message(Message::from("still here"))]);
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + 30 * SECOND));

    pair.advance(29 * SECOND);
    assert_eq!(pair.server.ready_state(), ReadyState::Open, "20 + 29 s");
    pair.advance(SECOND);
    let events: Vec<_> = std::iter::from_fn(|| pair.server.poll_event()).collect();
    assert_eq!(events, [abnormal(CloseCause::IdleTimeout)]);
    assert_eq!(pair.server.ready_state(), ReadyState::Closed);
    assert_eq!(
        pair.server.poll_timeout(),
        None,
        "a closed connection runs no timer"
    );
}

#[test]
fn keepalive_with_an_idle_timeout_keeps_a_live_peer_and_drops_a_dead_one() {
    let server = Options::default()
        .ping_interval(Some(10 * SECOND))
        .idle_timeout(Some(25 * SECOND));
    let mut pair = Pair::new(Options::default(), server);
    // A live peer answers every ping, so the idle timer never runs out.
    for _ in 0..10 {
        pair.advance(10 * SECOND);
        pair.deliver(); // ping to the client
        pair.deliver(); // pong to the server
        assert_eq!(pair.server.ready_state(), ReadyState::Open);
    }
    // A dead one (nothing delivered any more) is dropped 25 s after the
    // last pong.
    pair.advance(10 * SECOND);
    pair.advance(10 * SECOND);
    assert_eq!(pair.server.ready_state(), ReadyState::Open);
    pair.advance(5 * SECOND);
    assert_eq!(pair.server.ready_state(), ReadyState::Closed);
}

#[test]
fn close_timeout_counts_from_the_close_call() {
    let client = Options::default().close_timeout(Some(5 * SECOND));
    let mut pair = Pair::new(client, Options::default());
    pair.advance(100 * SECOND);
    pair.client.close(pair.now, 1000, "bye").unwrap();
    assert_eq!(pair.client.ready_state(), ReadyState::Closing);
    assert_eq!(pair.client.poll_timeout(), Some(pair.now + 5 * SECOND));
    pair.advance(4 * SECOND);
    assert_eq!(pair.client.ready_state(), ReadyState::Closing);
    pair.advance(SECOND);
    let events: Vec<_> = std::iter::from_fn(|| pair.client.poll_event()).collect();
    assert_eq!(events, [abnormal(CloseCause::CloseTimeout)]);
}

#[test]
fn set_at_run_time_and_stopped_with_none() {
    let mut pair = Pair::new(Options::default(), Options::default());
    assert_eq!(pair.server.poll_timeout(), None);
    pair.server.set_ping_interval(Some(SECOND), pair.now);
    pair.server.set_idle_timeout(Some(3 * SECOND), pair.now);
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + SECOND));
    pair.server.set_ping_interval(None, pair.now);
    assert_eq!(pair.server.poll_timeout(), Some(pair.now + 3 * SECOND));
    pair.server.set_idle_timeout(None, pair.now);
    assert_eq!(pair.server.poll_timeout(), None);
    assert!(!pair.server.has_timer());
}

#[test]
fn a_blocking_driver_gets_keepalive_and_idle_through_next_deadline() {
    // Driver's calls carry no time: timers they start begin at the next
    // `next_deadline(now)`, which a blocking loop calls after every read.
    let options = Options::default()
        .ping_interval(Some(10 * SECOND))
        .idle_timeout(Some(15 * SECOND));
    let mut server = open_server(options);
    let start = Instant::now();
    assert!(server.has_timer());
    assert_eq!(server.next_deadline(start), Some(start + 10 * SECOND));
    server.handle_timeout(start + 10 * SECOND);
    let ping = server.take_output();
    assert_eq!(ping, [0x89, 0x00], "an empty ping");
    // Input at an unknown time restarts the idle timer at the next
    // known time.
    server.parse(&Frame::pong("").masked([1, 2, 3, 4]).encode());
    assert!(matches!(drain(&mut server)[..], [Event::Pong { .. }]));
    let later = start + 12 * SECOND;
    assert_eq!(server.next_deadline(later), Some(start + 20 * SECOND));
    server.handle_timeout(later + 15 * SECOND);
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert_eq!(drain(&mut server), [abnormal(CloseCause::IdleTimeout)]);
}
