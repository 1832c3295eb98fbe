//! Ping and pong (RFC 6455 §5.5.2, §5.5.3): automatic answers, matching
//! pongs to pings, payload limits.

mod common;

use common::*;
use wsdriver::{Bytes, Error, Event, Options};

fn pong_event(payload: &'static [u8], ping: Option<wsdriver::PingId>) -> Event {
    Event::Pong {
        payload: Bytes::from_static(payload),
        ping,
    }
}

#[test]
fn rfc6455_5_5_2_ping_is_answered_with_a_pong_of_the_same_payload_before_the_event() {
    let mut server = open_server(Options::default());
    server.parse(&Frame::ping("Hello").encode());
    assert!(!server.has_output(), "parse only buffers");
    assert_eq!(
        server.poll_event(),
        Some(Event::Ping(Bytes::from_static(b"Hello")))
    );
    // The pong is already queued when the Ping event is seen.
    assert_eq!(server.take_output(), b"\x8a\x05Hello");
    assert_eq!(server.poll_event(), None);
}

#[test]
fn rfc6455_5_5_2_each_ping_is_answered_as_its_event_is_taken() {
    let mut server = open_server(Options::default());
    server.parse(&frames(&[
        Frame::ping("a"),
        Frame::ping("bb"),
        Frame::ping(""),
    ]));
    assert_eq!(
        server.poll_event(),
        Some(Event::Ping(Bytes::from_static(b"a")))
    );
    assert_eq!(server.take_output(), b"\x8a\x01a");
    assert_eq!(
        server.poll_event(),
        Some(Event::Ping(Bytes::from_static(b"bb")))
    );
    assert_eq!(server.poll_event(), Some(Event::Ping(Bytes::new())));
    assert_eq!(server.poll_event(), None);
    assert_eq!(server.take_output(), b"\x8a\x02bb\x8a\x00");
}

#[test]
fn rfc6455_5_5_2_binary_ping_payload_of_125_is_echoed() {
    let payload: Vec<u8> = (0..125u8).map(|i| i.wrapping_mul(37)).collect();
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::ping(&payload).encode()),
        [Event::Ping(Bytes::from(payload.clone()))]
    );
    let mut expected = vec![0x8a, 125];
    expected.extend_from_slice(&payload);
    assert_eq!(server.take_output(), expected);
}

#[test]
fn rfc6455_5_5_3_client_pong_is_masked_and_carries_the_ping_payload() {
    let mut client = open_client("ws://example.com/", Options::default());
    assert_eq!(
        feed(
            &mut client,
            &Frame::ping("are you there").unmasked().encode()
        ),
        [Event::Ping(Bytes::from_static(b"are you there"))]
    );
    let sent = decode_frames(&client.take_output());
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].opcode, PONG);
    assert!(sent[0].fin);
    assert!(sent[0].mask.is_some());
    assert_eq!(sent[0].payload, b"are you there");
}

#[test]
fn ping_writes_a_ping_frame() {
    let mut server = open_server(Options::default());
    server.ping(b"beat").unwrap();
    assert_eq!(server.take_output(), b"\x89\x04beat");
    server.ping(b"").unwrap();
    assert_eq!(server.take_output(), b"\x89\x00");

    let mut client = open_client("ws://example.com/", Options::default());
    client.ping(b"beat").unwrap();
    let sent = decode_frames(&client.take_output());
    assert_eq!((sent[0].opcode, &sent[0].payload[..]), (PING, &b"beat"[..]));
    assert!(sent[0].mask.is_some());
}

#[test]
fn ping_id_comes_back_with_the_matching_pong_only() {
    let mut server = open_server(Options::default());
    let first = server.ping(b"one").unwrap();
    let second = server.ping(b"two").unwrap();
    assert_ne!(first, second);
    server.take_output();

    // a pong with another payload answers no ping
    assert_eq!(
        feed(&mut server, &Frame::pong("three").encode()),
        [pong_event(b"three", None)]
    );
    // answered out of order, each pong names its own ping
    assert_eq!(
        feed(&mut server, &Frame::pong("two").encode()),
        [pong_event(b"two", Some(second))]
    );
    assert_eq!(
        feed(&mut server, &Frame::pong("one").encode()),
        [pong_event(b"one", Some(first))]
    );
    // a second pong for the same ping matches nothing
    assert_eq!(
        feed(&mut server, &Frame::pong("one").encode()),
        [pong_event(b"one", None)]
    );
    assert!(!server.has_output(), "pongs are not answered");
}

#[test]
fn pings_with_the_same_payload_are_matched_oldest_first() {
    let mut client = open_client("ws://example.com/", Options::default());
    let a = client.ping(b"same").unwrap();
    let b = client.ping(b"same").unwrap();
    let input = frames(&[
        Frame::pong("same").unmasked(),
        Frame::pong("same").unmasked(),
        Frame::pong("same").unmasked(),
    ]);
    assert_eq!(
        feed(&mut client, &input),
        [
            pong_event(b"same", Some(a)),
            pong_event(b"same", Some(b)),
            pong_event(b"same", None),
        ]
    );
}

#[test]
fn unsolicited_pong_is_reported_without_a_ping() {
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::pong("").encode()),
        [pong_event(b"", None)]
    );
}

#[test]
fn ping_and_pong_payloads_over_125_are_errors() {
    let mut server = open_server(Options::default());
    let long = [0u8; 126];
    assert_eq!(server.ping(&long), Err(Error::ControlPayloadTooLong(126)));
    assert_eq!(server.pong(&long), Err(Error::ControlPayloadTooLong(126)));
    assert!(!server.has_output());
    // a refused ping gets no id, so a pong with that payload matches nothing
    assert_eq!(
        feed(&mut server, &Frame::pong(&long[..125]).encode()).len(),
        1
    );
    assert!(server.ping(&long[..125]).is_ok());
    assert!(server.pong(&long[..125]).is_ok());
    let sent = decode_frames(&server.take_output());
    assert_eq!(
        sent.iter()
            .map(|f| (f.opcode, f.payload.len()))
            .collect::<Vec<_>>(),
        [(PING, 125), (PONG, 125)]
    );
}

#[test]
fn unsolicited_pong_writes_a_pong_frame() {
    let mut server = open_server(Options::default());
    server.pong(b"heartbeat").unwrap();
    assert_eq!(server.take_output(), b"\x8a\x09heartbeat");
}

#[test]
fn pongs_for_pings_sent_before_a_close_handshake_are_still_matched() {
    let mut server = open_server(Options::default());
    let id = server.ping(b"last").unwrap();
    server.close(1000, "").unwrap();
    server.take_output();
    assert_eq!(
        feed(&mut server, &Frame::pong("last").encode()),
        [pong_event(b"last", Some(id))]
    );
}

#[test]
fn ping_between_two_drivers_round_trips() {
    let (mut client, mut server) = open_pair();
    let id = client.ping(b"rtt").unwrap();
    assert_eq!(
        feed(&mut server, &client.take_output()),
        [Event::Ping(Bytes::from_static(b"rtt"))]
    );
    assert_eq!(
        feed(&mut client, &server.take_output()),
        [pong_event(b"rtt", Some(id))]
    );
}

#[test]
fn only_the_newest_pings_are_remembered() {
    let mut server = open_server(Options::default());
    let first = server.ping(b"first").unwrap();
    for i in 0..wsdriver::MAX_PENDING_PINGS {
        server.ping(format!("{i}").as_bytes()).unwrap();
    }
    let newest = server.ping(b"newest").unwrap();
    server.take_output();
    let events = feed(
        &mut server,
        &Frame::new(PONG, "first").masked(MASK).encode(),
    );
    assert_eq!(
        events,
        [Event::Pong {
            payload: bytes::Bytes::from_static(b"first"),
            ping: None
        }]
    );
    let events = feed(
        &mut server,
        &Frame::new(PONG, "newest").masked(MASK).encode(),
    );
    assert_eq!(
        events,
        [Event::Pong {
            payload: bytes::Bytes::from_static(b"newest"),
            ping: Some(newest)
        }]
    );
    assert_ne!(first, newest);
}

/// A ping of 125 bytes whose payload says which ping it was.
fn numbered_ping(n: u32) -> Frame {
    let mut payload = vec![b'.'; 125];
    payload[..4].copy_from_slice(&n.to_be_bytes());
    Frame::ping(payload)
}

#[test]
fn a_ping_flood_without_reading_queues_at_most_60_pongs_and_one_for_the_newest() {
    assert_eq!(wsdriver::DEFAULT_MAX_QUEUED_PONGS, 60);
    let mut server = open_server(Options::default());
    let mut sent = 0u32;
    for round in 0..200u32 {
        // 200,000 pings in all, none of their pongs read.
        let frames: Vec<Frame> = (0..1000).map(|i| numbered_ping(round * 1000 + i)).collect();
        server.parse(&self::frames(&frames));
        let events = drain(&mut server);
        assert_eq!(events.len(), 1000, "every ping is still reported");
        sent += 1000;
        assert!(
            server.buffered_amount() <= 60 * 127,
            "{} bytes queued after {sent} pings",
            server.buffered_amount()
        );
        assert!(!server.wants_read(), "the peer reads nothing: stop reading");
    }
    // The peer reads at last: the 60 first pongs, then one for the newest.
    let pongs = decode_frames(&server.take_output());
    assert_eq!(pongs.len(), 61);
    for (n, pong) in pongs.iter().enumerate() {
        assert_eq!(pong.opcode, 0xa);
        let expected = if n < 60 { n as u32 } else { sent - 1 };
        assert_eq!(pong.payload, numbered_ping(expected).payload, "pong {n}");
    }
    assert!(server.wants_read());
    assert!(!server.has_output());
}

#[test]
fn pongs_that_left_make_room_for_new_ones_one_by_one() {
    let mut server = open_server(Options::default().max_queued_pongs(2));
    feed(
        &mut server,
        &frames(&[numbered_ping(0), numbered_ping(1), numbered_ping(2)]),
    );
    assert!(!server.wants_read());
    assert_eq!(server.buffered_amount(), 2 * 127, "two queued, one held");
    // Writing part of the first pong frees nothing; the whole of it lets
    // the held one in.
    server.advance_output(100);
    assert!(!server.wants_read());
    server.advance_output(27);
    assert!(server.wants_read());
    assert_eq!(server.buffered_amount(), 2 * 127);
    let pongs = decode_frames(&server.take_output());
    let numbers: Vec<u8> = pongs.iter().map(|p| p.payload[3]).collect();
    assert_eq!(numbers, [1, 2]);
}

#[test]
fn a_flood_read_slowly_still_answers_every_ping() {
    // A peer that reads as we write gets every pong, in order.
    let mut server = open_server(Options::default().max_queued_pongs(1));
    for n in 0..500 {
        feed(&mut server, &numbered_ping(n).encode());
        let pongs = decode_frames(&server.take_output());
        assert_eq!(pongs.len(), 1);
        assert_eq!(pongs[0].payload, numbered_ping(n).payload);
    }
    assert!(matches!(
        wsdriver::Driver::server(Options::default().max_queued_pongs(0)),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn a_held_pong_is_superseded_when_room_comes_back_another_way() {
    // Room made by a write that then failed: the held pong is still
    // released, and a newer ping's pong never goes out before an older one.
    struct FailsAfter(usize);
    impl std::io::Write for FailsAfter {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            if self.0 == 0 {
                return Err(std::io::ErrorKind::BrokenPipe.into());
            }
            let n = buf.len().min(self.0);
            self.0 -= n;
            Ok(n)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut server = open_server(Options::default().max_queued_pongs(1));
    feed(&mut server, &frames(&[numbered_ping(0), numbered_ping(1)]));
    assert!(!server.wants_read());
    assert!(server.write_output(&mut FailsAfter(127)).is_err());
    assert!(
        server.wants_read(),
        "the first pong left: the held one went in"
    );
    feed(&mut server, &numbered_ping(2).encode());
    let pongs = decode_frames(&server.take_output());
    let numbers: Vec<u8> = pongs.iter().map(|p| p.payload[3]).collect();
    assert_eq!(numbers, [1, 2], "in the order of their pings");
}

#[test]
fn closing_drops_a_held_pong() {
    let mut server = open_server(Options::default().max_queued_pongs(1));
    feed(&mut server, &frames(&[numbered_ping(0), numbered_ping(1)]));
    assert!(!server.wants_read());
    server.transport_closed();
    drain(&mut server);
    assert!(server.wants_read(), "nothing is owed to a closed peer");
    let pongs = decode_frames(&server.take_output());
    assert_eq!(pongs.len(), 1, "the held pong was not sent after the end");
}
