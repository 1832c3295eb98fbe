//! Framing (RFC 6455 §5): every check on incoming frames with the close code
//! and reason it sends, reassembly, incremental UTF-8 and length checks, and
//! the shape of outgoing frames.

mod common;

use common::*;
use wsdriver::{Bytes, CloseCode, Driver, Event, Message, Options, ReadyState};

const RSV_MESSAGES: [(u8, &str); 3] = [
    (
        0b100,
        "One or more reserved bits are on: reserved1 = 1, reserved2 = 0, reserved3 = 0",
    ),
    (
        0b010,
        "One or more reserved bits are on: reserved1 = 0, reserved2 = 1, reserved3 = 0",
    ),
    (
        0b001,
        "One or more reserved bits are on: reserved1 = 0, reserved2 = 0, reserved3 = 1",
    ),
];

// ---- RSV bits ----------------------------------------------------------

#[test]
fn rfc6455_5_2_rsv_bit_without_extension_fails_1002() {
    for (rsv, message) in RSV_MESSAGES {
        for frame in [
            Frame::text("x"),
            Frame::binary([1]),
            Frame::ping("p"),
            Frame::pong("p"),
            Frame::close(1000, ""),
        ] {
            server_fails_with(&frame.clone().rsv(rsv).encode(), 1002, message);
            client_fails_with(&frame.rsv(rsv).unmasked().encode(), 1002, message);
        }
    }
}

#[test]
fn rfc6455_5_2_all_rsv_bits_are_named() {
    server_fails_with(
        &Frame::text("x").rsv(0b111).encode(),
        1002,
        "One or more reserved bits are on: reserved1 = 1, reserved2 = 1, reserved3 = 1",
    );
}

#[test]
fn rfc6455_5_2_rsv_bit_on_a_continuation_fails_1002() {
    let input = frames(&[Frame::text("a").fin(false), Frame::cont("b").rsv(0b100)]);
    server_fails_with(&input, 1002, RSV_MESSAGES[0].1);
}

#[test]
fn rfc6455_5_2_rsv_is_checked_before_the_opcode() {
    let mut frame = Frame::text("x").rsv(0b010);
    frame.opcode = 0x3;
    server_fails_with(&frame.encode(), 1002, RSV_MESSAGES[1].1);
}

// ---- opcodes -----------------------------------------------------------

#[test]
fn rfc6455_5_2_reserved_opcodes_fail_1002() {
    for opcode in (0x3..=0x7).chain(0xb..=0xf) {
        let message = format!("Unrecognized frame opcode: {opcode}");
        let frame = Frame::new(opcode, "payload");
        server_fails_with(&frame.encode(), 1002, &message);
        client_fails_with(&frame.clone().unmasked().encode(), 1002, &message);
        // without FIN too, and empty
        server_fails_with(&Frame::new(opcode, "").fin(false).encode(), 1002, &message);
    }
}

#[test]
fn rfc6455_5_2_reserved_opcode_inside_a_fragmented_message_fails_1002() {
    let input = frames(&[Frame::text("a").fin(false), Frame::new(0xb, "")]);
    server_fails_with(&input, 1002, "Unrecognized frame opcode: 11");
}

#[test]
fn rfc6455_5_2_opcode_is_checked_before_masking() {
    let frame = Frame::new(0x4, "x").unmasked();
    server_fails_with(&frame.encode(), 1002, "Unrecognized frame opcode: 4");
}

// ---- control frames ----------------------------------------------------

#[test]
fn rfc6455_5_5_fragmented_control_frame_fails_1002() {
    for (frame, opcode) in [
        (Frame::ping("p"), 9),
        (Frame::pong("p"), 10),
        (Frame::close(1000, ""), 8),
    ] {
        let message = format!("Received fragmented control frame: opcode = {opcode}");
        server_fails_with(&frame.clone().fin(false).encode(), 1002, &message);
        client_fails_with(&frame.fin(false).unmasked().encode(), 1002, &message);
    }
}

#[test]
fn rfc6455_5_5_control_frame_over_125_fails_1002() {
    let message = "Received control frame having too long payload: 126";
    for opcode in [PING, PONG, CLOSE] {
        let frame = Frame::new(opcode, vec![b'a'; 126]);
        server_fails_with(&frame.encode(), 1002, message);
        client_fails_with(&frame.clone().unmasked().encode(), 1002, message);
        // the header alone decides it
        server_fails_with(&frame.header(), 1002, message);
    }
}

#[test]
fn rfc6455_5_5_control_frame_with_64_bit_length_fails_1002() {
    let frame = Frame::ping("").claim_len(70_000);
    server_fails_with(
        &frame.header(),
        1002,
        "Received control frame having too long payload: 70000",
    );
}

#[test]
fn rfc6455_5_5_control_frame_of_125_is_accepted() {
    let payload = vec![b'z'; 125];
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::ping(&payload).encode()),
        [Event::Ping(Bytes::from(payload.clone()))]
    );
    let mut expected = vec![0x8a, 125];
    expected.extend_from_slice(&payload);
    assert_eq!(server.take_output(), expected);
}

// ---- fragmentation -----------------------------------------------------

#[test]
fn rfc6455_5_4_data_frame_inside_fragmented_message_fails_1002() {
    let message = "Received new data frame but previous continuous frame is unfinished";
    for second in [
        Frame::text("b"),
        Frame::binary("b"),
        Frame::text("b").fin(false),
    ] {
        let input = frames(&[Frame::text("a").fin(false), second.clone()]);
        server_fails_with(&input, 1002, message);
        let input = frames(&[Frame::binary("a").fin(false).unmasked(), second.unmasked()]);
        client_fails_with(&input, 1002, message);
    }
}

#[test]
fn rfc6455_5_4_continuation_without_message_fails_1002() {
    let message = "Received unexpected continuation frame";
    server_fails_with(&Frame::cont("x").encode(), 1002, message);
    server_fails_with(&Frame::cont("x").fin(false).encode(), 1002, message);
    client_fails_with(&Frame::cont("x").unmasked().encode(), 1002, message);
    // after a finished fragmented message, too
    let input = frames(&[
        Frame::text("a").fin(false),
        Frame::cont("b"),
        Frame::cont("c"),
    ]);
    let mut server = open_server(Options::default());
    let events = feed(&mut server, &input);
    assert_eq!(events[0], text_event("ab"));
    assert_protocol_failure(&mut server, &events, 1002, message, true);
}

#[test]
fn rfc6455_5_4_fragments_are_reassembled() {
    let mut server = open_server(Options::default());
    let input = frames(&[
        Frame::binary([1, 2]).fin(false),
        Frame::cont([]).fin(false),
        Frame::cont([3]).fin(false),
        Frame::cont([4, 5, 6]),
        Frame::text("He").fin(false),
        Frame::cont("llo"),
        Frame::text("").fin(false),
        Frame::cont(""),
    ]);
    assert_eq!(
        feed(&mut server, &input),
        [
            binary_event(&[1, 2, 3, 4, 5, 6]),
            text_event("Hello"),
            text_event(""),
        ]
    );
    assert!(!server.has_output());
    assert_eq!(server.ready_state(), ReadyState::Open);
}

#[test]
fn rfc6455_5_4_control_frames_may_interleave_with_fragments() {
    let mut server = open_server(Options::default());
    let ping = server.ping(b"mine").unwrap();
    server.take_output();
    let input = frames(&[
        Frame::text("Hel").fin(false),
        Frame::ping("p1"),
        Frame::cont("l").fin(false),
        Frame::pong("mine"),
        Frame::pong("other"),
        Frame::cont("o"),
    ]);
    assert_eq!(
        feed(&mut server, &input),
        [
            Event::Ping(Bytes::from_static(b"p1")),
            Event::Pong {
                payload: Bytes::from_static(b"mine"),
                ping: Some(ping)
            },
            Event::Pong {
                payload: Bytes::from_static(b"other"),
                ping: None
            },
            text_event("Hello"),
        ]
    );
    assert_eq!(server.take_output(), b"\x8a\x02p1");
}

#[test]
fn rfc6455_5_4_close_inside_a_fragmented_message_closes() {
    let mut server = open_server(Options::default());
    let input = frames(&[Frame::text("Hel").fin(false), Frame::close(1000, "bye")]);
    assert_eq!(feed(&mut server, &input), [close_event(1000, "bye", true)]);
    assert_eq!(server.take_output(), b"\x88\x02\x03\xe8");
}

#[test]
fn client_reassembles_unmasked_fragments() {
    let mut client = open_client("ws://example.com/", Options::default());
    let input = frames(&[
        Frame::text("κό").fin(false).unmasked(),
        Frame::ping("").unmasked(),
        Frame::cont("σμε").unmasked(),
    ]);
    assert_eq!(
        feed(&mut client, &input),
        [Event::Ping(Bytes::new()), text_event("κόσμε")]
    );
    let sent = decode_frames(&client.take_output());
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].opcode, sent[0].payload.len()), (PONG, 0));
}

// ---- masking -----------------------------------------------------------

#[test]
fn rfc6455_5_1_server_receiving_unmasked_frame_fails_1002() {
    for frame in [
        Frame::text("Hello"),
        Frame::binary([1]),
        Frame::ping(""),
        Frame::close(1000, ""),
    ] {
        server_fails_with(&frame.unmasked().encode(), 1002, "Received unmasked frame");
    }
}

#[test]
fn rfc6455_5_1_unmasked_frames_are_accepted_when_masking_is_not_required() {
    let mut server = open_server(Options::default().require_masking(false));
    let input = frames(&[
        Frame::text("Hello").unmasked(),
        Frame::text("masked too").masked([1, 2, 3, 4]),
        Frame::ping("p").unmasked(),
    ]);
    assert_eq!(
        feed(&mut server, &input),
        [
            text_event("Hello"),
            text_event("masked too"),
            Event::Ping(Bytes::from_static(b"p"))
        ]
    );
    assert_eq!(server.take_output(), b"\x8a\x01p");
}

#[test]
fn rfc6455_5_1_client_receiving_masked_frame_fails_1002() {
    for frame in [
        Frame::text("Hello"),
        Frame::ping("p"),
        Frame::close(1000, ""),
    ] {
        client_fails_with(&frame.encode(), 1002, "Received masked frame");
    }
}

#[test]
fn rfc6455_5_7_masked_hello_is_read() {
    // The RFC's own bytes: a masked "Hello" from a client.
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(
            &mut server,
            &[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]
        ),
        [text_event("Hello")]
    );
    // and the unmasked one from a server
    let mut client = open_client("ws://example.com/", Options::default());
    assert_eq!(
        feed(&mut client, &[0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f]),
        [text_event("Hello")]
    );
}

// ---- lengths -----------------------------------------------------------

#[test]
fn rfc6455_5_2_length_with_top_bit_set_fails_1002() {
    let message = "Invalid frame length: the top bit is set";
    let mut header = vec![0x82, 0xff];
    header.extend_from_slice(&(1u64 << 63).to_be_bytes());
    header.extend_from_slice(&MASK);
    server_fails_with(&header, 1002, message);
    // before the mask key has even arrived
    server_fails_with(&header[..10], 1002, message);
    let mut header = vec![0x82, 0x7f];
    header.extend_from_slice(&u64::MAX.to_be_bytes());
    client_fails_with(&header, 1002, message);
}

#[test]
fn message_over_max_length_fails_1009_from_the_header_alone() {
    let message = "WebSocket frame length too large";
    for opcode in [TEXT, BINARY] {
        let frame = Frame::new(opcode, vec![b'a'; 101]);
        let mut server = open_server(Options::default().max_length(100));
        // only the header: the payload never arrives
        let events = feed(&mut server, &frame.header());
        assert_protocol_failure(&mut server, &events, 1009, message, true);

        let mut client = open_client("ws://example.com/", Options::default().max_length(100));
        let events = feed(&mut client, &frame.clone().unmasked().header());
        assert_eq!(events.len(), 1);
        let sent = decode_frames(&client.take_output());
        assert_eq!(sent[0].close(), Some((1009, message.to_owned())));
        assert_protocol_failure(&mut client, &events, 1009, message, false);
    }
}

#[test]
fn huge_claimed_length_fails_1009_without_buffering() {
    let message = "WebSocket frame length too large";
    let header = Frame::binary("").claim_len(1 << 40).header();
    assert_eq!(header.len(), 14);
    server_fails_with(&header, 1009, message);
    // just above the default max_length (2^26 - 1)
    let header = Frame::binary("").claim_len(1 << 26).header();
    server_fails_with(&header, 1009, message);
}

#[test]
fn message_of_exactly_max_length_is_accepted() {
    let mut server = open_server(Options::default().max_length(100));
    let payload = vec![7u8; 100];
    assert_eq!(
        feed(&mut server, &Frame::binary(&payload).encode()),
        [binary_event(&payload)]
    );
    let input = frames(&[
        Frame::text("a".repeat(60)).fin(false),
        Frame::ping("control frames do not count"),
        Frame::cont("b".repeat(40)),
    ]);
    let events = feed(&mut server, &input);
    assert_eq!(events.len(), 2);
    assert_eq!(text_of(&events[1]), "a".repeat(60) + &"b".repeat(40));
}

#[test]
fn fragmented_message_over_max_length_fails_1009_from_the_continuation_header() {
    let message = "WebSocket frame length too large";
    let mut server = open_server(Options::default().max_length(100));
    let mut input = Frame::binary(vec![1; 60]).fin(false).encode();
    input.extend(Frame::cont(vec![2; 30]).fin(false).encode());
    input.extend(Frame::cont(vec![3; 11]).header()); // 101 in all
    let events = feed(&mut server, &input);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_protocol_failure(&mut server, &events, 1009, message, true);
}

// ---- UTF-8 -------------------------------------------------------------

const INVALID_UTF8: &str = "Could not decode a text frame as UTF-8";

#[test]
fn rfc6455_8_1_invalid_utf8_fails_1007() {
    for bad in [
        &b"\xff"[..],
        b"\xc0\xaf",                                                       // overlong '/'
        b"\xed\xa0\x80",                                                   // surrogate
        b"\xf4\x90\x80\x80",                                               // past U+10FFFF
        b"ok\xe2\x82", // truncated at the end of the message
        b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited", // Autobahn 6.3.1
    ] {
        server_fails_with(&Frame::text(bad).encode(), 1007, INVALID_UTF8);
        client_fails_with(&Frame::text(bad).unmasked().encode(), 1007, INVALID_UTF8);
    }
}

#[test]
fn invalid_utf8_in_binary_messages_is_fine() {
    let mut server = open_server(Options::default());
    assert_eq!(
        feed(&mut server, &Frame::binary(b"\xff\xfe").encode()),
        [binary_event(b"\xff\xfe")]
    );
}

#[test]
fn invalid_utf8_in_the_continuations_of_a_binary_message_is_fine() {
    let mut server = open_server(Options::default());
    let input = frames(&[
        Frame::binary(b"\x01").fin(false),
        Frame::cont(b"\xff\xfe").fin(false),
        Frame::cont(b"\xc0"),
    ]);
    assert_eq!(
        feed(&mut server, &input),
        [binary_event(b"\x01\xff\xfe\xc0")]
    );
}

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_before_the_frame_ends() {
    // 40 bytes; the first 20 already hold a byte no UTF-8 can contain.
    let mut payload = b"hello \xf4\x90 world".to_vec();
    payload.resize(40, b'.');
    let frame = Frame::text(&payload);
    let wire = frame.encode();
    let half = frame.header().len() + 20;

    let mut server = open_server(Options::default());
    let events = feed(&mut server, &wire[..half]);
    assert_eq!(events.len(), 1, "the failure must not wait for the rest");
    assert_protocol_failure(&mut server, &events, 1007, INVALID_UTF8, true);

    let wire = frame.clone().unmasked().encode();
    let half = frame.clone().unmasked().header().len() + 20;
    let mut client = open_client("ws://example.com/", Options::default());
    let events = feed(&mut client, &wire[..half]);
    assert_eq!(events.len(), 1, "the failure must not wait for the rest");
    assert_eq!(
        decode_frames(&client.take_output())[0].close(),
        Some((1007, INVALID_UTF8.to_owned()))
    );
    assert_protocol_failure(&mut client, &events, 1007, INVALID_UTF8, false);
}

#[test]
fn rfc6455_8_1_invalid_utf8_fails_fast_inside_a_fragmented_message() {
    let mut server = open_server(Options::default());
    let first = Frame::text("κόσμε").fin(false);
    let mut rest = b"fine \xed\xa0\x80".to_vec(); // surrogate in the second fragment
    rest.resize(64, b'x');
    let second = Frame::cont(&rest);
    let mut input = first.encode();
    input.extend(&second.encode()[..second.header().len() + 10]);
    let events = feed(&mut server, &input);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_protocol_failure(&mut server, &events, 1007, INVALID_UTF8, true);
}

#[test]
fn rfc6455_8_1_invalid_sequence_split_across_fragments_fails_1007() {
    // "\xce" starts a two-byte sequence; "(" cannot continue it.
    let input = frames(&[Frame::text(b"a\xce").fin(false), Frame::cont(b"(b")]);
    server_fails_with(&input, 1007, INVALID_UTF8);
    // unfinished at the end of the last fragment
    let input = frames(&[Frame::text(b"a").fin(false), Frame::cont(b"\xf0\x9f\x98")]);
    server_fails_with(&input, 1007, INVALID_UTF8);
}

#[test]
fn rfc6455_8_1_valid_utf8_split_across_fragments_at_every_byte_is_accepted() {
    let text = "κόσμε 𝄞 €uro ✓";
    let bytes = text.as_bytes();
    for a in 0..=bytes.len() {
        let mut server = open_server(Options::default());
        let input = frames(&[
            Frame::text(&bytes[..a]).fin(false),
            Frame::cont(&bytes[a..]),
        ]);
        assert_eq!(
            feed(&mut server, &input),
            [text_event(text)],
            "split at {a}"
        );
        for b in a..=bytes.len() {
            let input = frames(&[
                Frame::text(&bytes[..a]).fin(false),
                Frame::ping("between"),
                Frame::cont(&bytes[a..b]).fin(false),
                Frame::cont(&bytes[b..]),
            ]);
            let events = feed(&mut server, &input);
            assert_eq!(events.len(), 2, "split at {a}, {b}");
            assert_eq!(text_of(&events[1]), text, "split at {a}, {b}");
        }
    }
}

#[test]
fn valid_utf8_fed_one_byte_at_a_time_is_accepted() {
    let text = "𝄞 κόσμε";
    let mut server = open_server(Options::default());
    let wire = frames(&[
        Frame::text(&text.as_bytes()[..3]).fin(false),
        Frame::cont(&text.as_bytes()[3..]),
    ]);
    let mut events = Vec::new();
    for byte in &wire {
        events.extend(feed(&mut server, &[*byte]));
    }
    assert_eq!(events, [text_event(text)]);
}

#[test]
fn every_message_starts_with_a_fresh_utf8_state() {
    // A binary message between two text ones does not disturb validation,
    // and a valid text message leaves nothing pending.
    let mut server = open_server(Options::default());
    let input = frames(&[
        Frame::text("é"),
        Frame::binary(b"\xc3"),
        Frame::text("\u{a9}"),
    ]);
    assert_eq!(
        feed(&mut server, &input),
        [text_event("é"), binary_event(b"\xc3"), text_event("©")]
    );
}

// ---- what a driver writes ----------------------------------------------

#[test]
fn rfc6455_5_2_server_output_uses_minimal_length_encoding_unmasked() {
    let mut server = open_server(Options::default());
    for (len, header) in [
        (0usize, vec![0x82, 0]),
        (125, vec![0x82, 125]),
        (126, vec![0x82, 126, 0x00, 126]),
        (65535, vec![0x82, 126, 0xff, 0xff]),
        (65536, vec![0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]),
    ] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        server.binary(&payload).unwrap();
        let mut expected = header.clone();
        expected.extend_from_slice(&payload);
        assert_eq!(server.take_output(), expected, "binary of {len}");
        // owned payloads take the zero-copy path; same bytes
        server
            .send(Message::Binary(Bytes::from(payload.clone())))
            .unwrap();
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        let n = server.output_slices(&mut slices);
        let gathered: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
        assert_eq!(gathered, expected, "send of {len}");
        assert_eq!(server.buffered_amount(), expected.len());
        server.advance_output(expected.len());
        assert!(!server.has_output());
    }
    server.text("Hello").unwrap();
    assert_eq!(server.take_output(), b"\x81\x05Hello");
}

#[test]
fn rfc6455_5_3_client_output_is_masked_with_a_key_that_unmasks_to_the_payload() {
    let mut client = open_client("ws://example.com/", Options::default());
    let mut keys = Vec::new();
    for (len, header_len, len_byte) in [
        (0usize, 6, 0x80u8),
        (125, 6, 0x80 | 125),
        (126, 8, 0x80 | 126),
        (65535, 8, 0x80 | 126),
        (65536, 14, 0x80 | 127),
    ] {
        let payload: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        client.binary(&payload).unwrap();
        let output = client.take_output();
        assert_eq!(output[0], 0x82);
        assert_eq!(output[1], len_byte, "length form for {len}");
        let frames = decode_frames(&output);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].header_len, header_len);
        assert_eq!(frames[0].payload, payload, "unmasked payload of {len}");
        let key = frames[0].mask.expect("client frames are masked");
        // the raw bytes on the wire are the payload XOR the key
        assert_eq!(&output[header_len..], mask(&payload, key));
        keys.push(key);
    }
    // Five random 32-bit keys are all different but with odds of about
    // one in 400 million: a repeat means keys are not drawn per frame.
    for (i, key) in keys.iter().enumerate() {
        assert!(
            !keys[..i].contains(key),
            "every frame should get a fresh key: {keys:?}"
        );
    }
    client.text("Hello").unwrap();
    let frames = decode_frames(&client.take_output());
    assert_eq!(
        (
            frames[0].fin,
            frames[0].rsv,
            frames[0].opcode,
            &frames[0].payload[..]
        ),
        (true, 0, TEXT, &b"Hello"[..])
    );
}

#[test]
fn rfc6455_5_3_a_client_told_not_to_mask_does_not() {
    let mut client = open_client("ws://example.com/", Options::default().masking(false));
    client.text("Hi").unwrap();
    assert_eq!(client.take_output(), b"\x81\x02Hi");
}

#[test]
fn read_hint_names_the_bytes_still_missing() {
    let mut server = open_server(Options::default());
    let frame = Frame::binary(vec![0u8; 1000]);
    let wire = frame.encode();
    let header = frame.header().len();
    assert_eq!(feed(&mut server, &wire[..header + 100]), []);
    assert_eq!(server.read_hint(), 900);
    assert_eq!(
        feed(&mut server, &wire[header + 100..]),
        [binary_event(&[0u8; 1000])]
    );
    assert_eq!(server.read_hint(), 0);
}

#[test]
fn input_buffer_can_be_filled_directly() {
    let mut server = open_server(Options::default());
    server
        .input_buffer()
        .extend_from_slice(&Frame::text("direct").encode());
    assert_eq!(drain(&mut server), [text_event("direct")]);
}

#[test]
fn a_failure_after_good_messages_keeps_the_good_ones() {
    let mut server = open_server(Options::default());
    let mut input = frames(&[Frame::text("one"), Frame::ping("p")]);
    input.extend(Frame::text("x").unmasked().encode());
    input.extend(Frame::text("never").encode());
    let events = feed(&mut server, &input);
    assert_eq!(
        events[..2],
        [text_event("one"), Event::Ping(Bytes::from_static(b"p"))]
    );
    assert_eq!(events.len(), 3);
    let output = server.take_output();
    let sent = decode_frames(&output);
    assert_eq!(sent[0].opcode, PONG);
    assert_eq!(
        sent[1].close(),
        Some((1002, "Received unmasked frame".into()))
    );
    assert_eq!(sent.len(), 2);
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[test]
fn frames_before_start_are_judged_only_after_start() {
    // a raw server waiting for start holds frame bytes as body
    let mut server = Driver::server(Options::default()).unwrap();
    let mut input = request(&[]);
    input.extend(Frame::text("x").unmasked().encode());
    assert_eq!(feed(&mut server, &input), [Event::Connect]);
    assert_eq!(server.ready_state(), ReadyState::Connecting);
    // only after start is the unmasked frame judged
    server.start();
    let events = drain(&mut server);
    assert_eq!(events[0], Event::Open);
    let mut expected = RESPONSE_101.as_bytes().to_vec();
    expected.extend(server_close_frame(1002, "Received unmasked frame"));
    assert_eq!(server.take_output(), expected);
    assert_eq!(
        events[1..],
        [failure_event(
            1002,
            "Received unmasked frame",
            wsdriver::Error::Protocol {
                code: CloseCode::PROTOCOL_ERROR,
                message: "Received unmasked frame".into()
            }
        )]
    );
}
