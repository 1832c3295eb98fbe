//! A running timer is one the clock can see (issue 25: after the public
//! `Connection::parse`, `poll_timeout()` was `None` while `has_timer()`
//! was true, so a transport that sleeps until `poll_timeout` never
//! started the idle timeout again). Random call sequences on a simulated
//! clock, checked after every call; and a timed transport's loop (sleep
//! until `poll_timeout`, then `handle_timeout`) does end an idle
//! connection.

mod common;

use common::*;
use proptest::prelude::*;
use std::time::{Duration, Instant};
use wsdriver::{Machine, Options};

#[derive(Debug, Clone)]
enum Call {
    /// Bytes at an unknown time (the public `parse`).
    Parse(Vec<u8>),
    /// Bytes at a known time, as the tokio layer feeds them.
    Received(Vec<u8>, u64),
    /// Time passes; the transport calls `handle_timeout`.
    Timeout(u64),
    PollEvents,
    TakeOutput,
    Text,
    Ping,
    Close,
    GoingAway,
    TransportClosed,
    SetIdle(Option<u64>),
    SetPing(Option<u64>),
    StopLingering,
}

fn bytes() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Frame::text("hello").encode()),
        Just(Frame::ping("p").encode()),
        Just(Frame::pong("p").encode()),
        Just(Frame::close(1000, "bye").encode()),
        // Fails the connection (unmasked from a client): a close frame
        // and a lingering close.
        Just(Frame::text("x").unmasked().encode()),
        Just(Frame::binary(vec![0u8; 16]).claim_len(1 << 40).encode()),
        prop::collection::vec(any::<u8>(), 0..24),
    ]
}

fn millis() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0u64), 1u64..50, 50u64..5_000, 5_000u64..40_000]
}

fn call() -> impl Strategy<Value = Call> {
    prop_oneof![
        bytes().prop_map(Call::Parse),
        (bytes(), millis()).prop_map(|(b, t)| Call::Received(b, t)),
        millis().prop_map(Call::Timeout),
        Just(Call::PollEvents),
        Just(Call::TakeOutput),
        Just(Call::Text),
        Just(Call::Ping),
        Just(Call::Close),
        Just(Call::GoingAway),
        Just(Call::TransportClosed),
        prop::option::of(1u64..20_000).prop_map(Call::SetIdle),
        prop::option::of(1u64..20_000).prop_map(Call::SetPing),
        Just(Call::StopLingering),
    ]
}

fn option_ms() -> impl Strategy<Value = Option<Duration>> {
    prop::option::of((1u64..20_000).prop_map(Duration::from_millis))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn poll_timeout_is_some_whenever_a_timer_runs(
        idle in option_ms(),
        ping in option_ms(),
        close in option_ms(),
        calls in prop::collection::vec(call(), 1..40),
    ) {
        let mut now = Instant::now();
        let options = Options::default()
            .idle_timeout(idle)
            .ping_interval(ping)
            .close_timeout(close);
        let mut connection = open_server_connection(options, now);
        for (i, call) in calls.iter().enumerate() {
            match call {
                Call::Parse(bytes) => connection.parse(bytes),
                Call::Received(bytes, ms) => {
                    now += Duration::from_millis(*ms);
                    connection.input_buffer().extend_from_slice(bytes);
                    connection.received(now);
                }
                Call::Timeout(ms) => {
                    now += Duration::from_millis(*ms);
                    connection.handle_timeout(now);
                }
                Call::PollEvents => while connection.poll_event().is_some() {},
                Call::TakeOutput => drop(connection.take_output()),
                Call::Text => drop(connection.text("hi")),
                Call::Ping => drop(connection.ping(b"")),
                Call::Close => drop(connection.close(now, 1000u16, "")),
                Call::GoingAway => drop(connection.going_away(now, "")),
                Call::TransportClosed => connection.transport_closed(),
                Call::SetIdle(ms) => connection.set_idle_timeout(ms.map(Duration::from_millis), now),
                Call::SetPing(ms) => connection.set_ping_interval(ms.map(Duration::from_millis), now),
                Call::StopLingering => connection.stop_lingering(),
            }
            if connection.has_timer() {
                prop_assert!(
                    connection.poll_timeout().is_some(),
                    "after call {i} ({call:?}) of {calls:?}: a timer runs and poll_timeout is None"
                );
            }
        }
    }
}

/// The loop every transport runs, on a simulated clock: sleep until
/// `poll_timeout` (or until bytes come), then `handle_timeout`. Before the
/// fix, bytes fed through `parse` left the idle timer waiting for a time
/// that this loop never gave, and the idle connection stayed open.
#[test]
fn an_idle_timeout_after_untimed_input_ends_the_connection() {
    let idle = Duration::from_secs(10);
    let start = Instant::now();
    let mut connection = open_server_connection(Options::default().idle_timeout(Some(idle)), start);
    // Bytes at 3 s, through the untimed call.
    let mut now = start + Duration::from_secs(3);
    connection.parse(&Frame::text("hello").encode());
    while connection.poll_event().is_some() {}
    let mut wakes = 0;
    while connection.ready_state() != wsdriver::ReadyState::Closed {
        let Some(at) = connection.poll_timeout() else {
            panic!("the connection is open, idle, and no timer is visible");
        };
        now = now.max(at);
        connection.handle_timeout(now);
        while connection.poll_event().is_some() {}
        wakes += 1;
        assert!(wakes < 10, "woke {wakes} times without closing");
    }
    // Idle counts from the first wake after the bytes, at 3 s.
    assert_eq!(now, start + Duration::from_secs(3) + idle);
}
