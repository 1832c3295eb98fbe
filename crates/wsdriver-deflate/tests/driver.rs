//! permessage-deflate between two in-memory drivers: negotiation results,
//! what goes on the wire, and what comes out.

use bytes::Bytes;
use flate2::{Compress, Compression, FlushCompress};
use wsdriver::hybi::frame::FrameHeader;
use wsdriver::{CloseCode, Driver, Error, Event, Message, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

fn drain(driver: &mut Driver) -> Vec<Event> {
    std::iter::from_fn(|| driver.poll_event()).collect()
}

/// Client and server with the given configs; the handshake's response.
fn pair(
    client: Option<PerMessageDeflate>,
    server: Option<PerMessageDeflate>,
) -> (Driver, Driver, String) {
    let mut c = Driver::client("ws://example.com/", Options::default()).unwrap();
    let mut s = Driver::server(Options::default()).unwrap();
    if let Some(ext) = client {
        c.add_extension(ext).unwrap();
    }
    if let Some(ext) = server {
        s.add_extension(ext).unwrap();
    }
    c.start();
    s.parse(&c.take_output());
    assert_eq!(drain(&mut s), [Event::Connect]);
    assert!(s.start());
    assert_eq!(drain(&mut s), [Event::Open]);
    let response = String::from_utf8(s.take_output()).unwrap();
    c.parse(response.as_bytes());
    assert_eq!(drain(&mut c), [Event::Open]);
    (c, s, response)
}

fn deflate(config: DeflateConfig) -> Option<PerMessageDeflate> {
    Some(PerMessageDeflate::new(config).unwrap())
}

fn everything() -> DeflateConfig {
    DeflateConfig::default().threshold(0)
}

/// (rsv, payload length) of every frame in `wire`, unmasked payloads.
fn frames(mut wire: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut out = Vec::new();
    while !wire.is_empty() {
        let (header, len) = FrameHeader::decode(wire).unwrap();
        let end = len + header.payload_len as usize;
        let mut payload = wire[len..end].to_vec();
        if let Some(key) = header.mask {
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= key[i % 4];
            }
        }
        out.push((header.rsv, payload));
        wire = &wire[end..];
    }
    out
}

fn compressible(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b"websocket deflate "[i % 18] ^ ((i / 4096) as u8 & 1))
        .collect()
}

#[test]
fn rfc7692_messages_of_every_size_round_trip_compressed_with_rsv1() {
    let (mut client, mut server, response) = pair(deflate(everything()), deflate(everything()));
    assert!(
        response.contains("\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"),
        "{response}"
    );
    for len in [10, 64 << 10, 4 << 20] {
        let data = compressible(len);
        client.binary(&data).unwrap();
        let wire = client.take_output();
        let sent = frames(&wire);
        assert_eq!(sent.len(), 1);
        assert_eq!(sent[0].0, 0b100, "RSV1 marks a compressed message");
        if len > 100 {
            assert!(
                wire.len() < len / 4,
                "{len} bytes went out as {}",
                wire.len()
            );
        }
        server.parse(&wire);
        assert_eq!(
            drain(&mut server),
            [Event::Message(Message::Binary(Bytes::from(data.clone())))]
        );

        let text = String::from_utf8(data.iter().map(|b| b'a' + b % 26).collect()).unwrap();
        server.text(&text).unwrap();
        let wire = server.take_output();
        assert_eq!(frames(&wire)[0].0, 0b100);
        client.parse(&wire);
        assert_eq!(drain(&mut client), [Event::Message(Message::from(text))]);
    }
}

#[test]
fn rfc7692_7_2_3_1_hello_compressed_as_in_the_rfc() {
    // The RFC's example: "Hello" compressed is f2 48 cd c9 c9 07 00.
    let (_, mut server, _) = pair(deflate(everything()), deflate(everything()));
    let key = [1, 2, 3, 4];
    let payload = [0xf2u8, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let mut frame = vec![0xc1, 0x80 | 7, 1, 2, 3, 4];
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    server.parse(&frame);
    assert_eq!(drain(&mut server), [Event::Message(Message::from("Hello"))]);
    // The same message in two fragments: RSV1 on the first only (§6.1).
    let mut first = vec![0x41, 0x80 | 3, 1, 2, 3, 4];
    first.extend(payload[..3].iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    let mut second = vec![0x80, 0x80 | 4, 1, 2, 3, 4];
    second.extend(payload[3..].iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    server.parse(&[first, second].concat());
    assert_eq!(drain(&mut server), [Event::Message(Message::from("Hello"))]);
}

#[test]
fn context_takeover_makes_repeated_messages_cheaper_and_no_context_takeover_does_not() {
    // Letters in no pattern: little to gain within a message, everything
    // from the previous one.
    let mut seed = 7u32;
    let message: Vec<u8> = (0..2000)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            b'a' + (seed >> 16) as u8 % 26
        })
        .collect();
    let (mut client, mut server, _) = pair(deflate(everything()), deflate(everything()));
    client.binary(&message).unwrap();
    let first = client.take_output();
    client.binary(&message).unwrap();
    let second = client.take_output();
    assert!(
        second.len() < first.len() / 4,
        "takeover: {} then {}",
        first.len(),
        second.len()
    );
    server.parse(&[first, second].concat());
    let events = drain(&mut server);
    assert_eq!(
        events,
        [
            Event::Message(Message::Binary(message.clone().into())),
            Event::Message(Message::Binary(message.clone().into()))
        ]
    );

    let no_takeover = everything().no_context_takeover(true);
    let (mut client, mut server2, response) = pair(deflate(no_takeover), deflate(everything()));
    assert!(
        response.contains("client_no_context_takeover"),
        "{response}"
    );
    client.binary(&message).unwrap();
    let a = client.take_output();
    client.binary(&message).unwrap();
    let b = client.take_output();
    assert_eq!(a.len(), b.len(), "each message starts a fresh context");
    server2.parse(&[a, b].concat());
    assert_eq!(
        drain(&mut server2),
        [
            Event::Message(Message::Binary(message.clone().into())),
            Event::Message(Message::Binary(message.into()))
        ]
    );
}

#[test]
fn messages_under_the_threshold_go_uncompressed() {
    let (mut client, mut server, _) = pair(
        deflate(DeflateConfig::default().threshold(100)),
        deflate(everything()),
    );
    client.text("short").unwrap();
    client.text(&"long ".repeat(40)).unwrap();
    let wire = client.take_output();
    let sent = frames(&wire);
    assert_eq!((sent[0].0, sent[0].1.as_slice()), (0, &b"short"[..]));
    assert_eq!(sent[1].0, 0b100);
    server.parse(&wire);
    assert_eq!(
        drain(&mut server),
        [
            Event::Message("short".into()),
            Event::Message("long ".repeat(40).into())
        ]
    );
}

#[test]
fn a_peer_limited_to_a_256_byte_window_gets_uncompressed_messages() {
    // zlib cannot deflate with 8 window bits; sending uncompressed is the
    // one correct answer.
    let server_config = everything().request_max_window_bits(8);
    let (mut client, mut server, response) = pair(deflate(everything()), deflate(server_config));
    assert!(response.contains("client_max_window_bits=8"), "{response}");
    let data = compressible(5000);
    client.binary(&data).unwrap();
    let wire = client.take_output();
    assert_eq!(frames(&wire)[0].0, 0);
    server.parse(&wire);
    assert_eq!(
        drain(&mut server),
        [Event::Message(Message::Binary(data.clone().into()))]
    );
    // The other direction still compresses.
    server.binary(&data).unwrap();
    let wire = server.take_output();
    assert_eq!(frames(&wire)[0].0, 0b100);
    client.parse(&wire);
    assert_eq!(
        drain(&mut client),
        [Event::Message(Message::Binary(data.into()))]
    );
}

/// 2,000 pseudo-random bytes, ten times: a 15-bit window finds each
/// repeat 2,000 bytes back, a 10-bit one (1,024 bytes) finds none, so the
/// compressed size tells which window the sender used, and an inflater
/// with a 10-bit window fails on a sender that used more.
fn far_repeats() -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let block: Vec<u8> = (0..2000)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        })
        .collect();
    block.repeat(10)
}

/// Sends `data` twice from `from` to `to`; returns the two payload sizes on
/// the wire after checking that `to` got exactly the two messages.
fn send_twice(from: &mut Driver, to: &mut Driver, data: &[u8]) -> (usize, usize) {
    from.binary(data).unwrap();
    from.binary(data).unwrap();
    let wire = from.take_output();
    let sent = frames(&wire);
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(rsv, _)| *rsv == 0b100), "compressed");
    to.parse(&wire);
    assert_eq!(
        drain(to),
        [
            Event::Message(Message::Binary(data.to_vec().into())),
            Event::Message(Message::Binary(data.to_vec().into()))
        ]
    );
    (sent[0].1.len(), sent[1].1.len())
}

#[test]
fn far_repeats_are_found_by_a_full_window_and_missed_by_a_10_bit_one() {
    // The yardstick the two tests below rely on.
    let (mut client, mut server, _) = pair(deflate(everything()), deflate(everything()));
    let data = far_repeats();
    let (first, second) = send_twice(&mut server, &mut client, &data);
    assert!(first < data.len() / 4, "{first}");
    assert!(second < first / 4, "context takeover: {second}");
}

#[test]
fn server_window_and_context_parameters_bind_the_server() {
    let client_config = everything()
        .request_no_context_takeover(true)
        .request_max_window_bits(10);
    let (mut client, mut server, response) = pair(deflate(client_config), deflate(everything()));
    assert!(
        response.contains("Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover; server_max_window_bits=10\r\n"),
        "{response}"
    );
    let data = far_repeats();
    let (first, second) = send_twice(&mut server, &mut client, &data);
    assert!(first > data.len() * 9 / 10, "a 10-bit window: {first}");
    assert_eq!(first, second, "no context takeover");
}

#[test]
fn client_window_and_context_parameters_bind_the_client() {
    let server_config = everything()
        .request_no_context_takeover(true)
        .request_max_window_bits(10);
    let (mut client, mut server, response) = pair(deflate(everything()), deflate(server_config));
    assert!(
        response.contains("client_no_context_takeover"),
        "{response}"
    );
    assert!(response.contains("client_max_window_bits=10"), "{response}");
    let data = far_repeats();
    let (first, second) = send_twice(&mut client, &mut server, &data);
    assert!(first > data.len() * 9 / 10, "a 10-bit window: {first}");
    assert_eq!(first, second, "no context takeover");
}

#[test]
fn without_a_matching_offer_nothing_is_negotiated_and_rsv1_is_refused() {
    let (_, mut server, response) = pair(None, deflate(everything()));
    assert!(!response.contains("Sec-WebSocket-Extensions"));
    server.parse(&[0xc1, 0x81, 0, 0, 0, 0, 0x00]);
    let events = drain(&mut server);
    assert!(
        matches!(
            only_failure(&events),
            Some(Error::Protocol {
                code: CloseCode::PROTOCOL_ERROR,
                ..
            })
        ),
        "{events:?}"
    );
}

fn raw_deflate(data: &[u8]) -> Vec<u8> {
    let mut c = Compress::new_with_window_bits(Compression::default(), false, 15);
    let mut out = Vec::with_capacity(data.len() + 64);
    c.compress_vec(data, &mut out, FlushCompress::Sync).unwrap();
    out.truncate(out.len() - 4);
    out
}

fn masked_compressed(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() < 126);
    let mut frame = vec![0xc0 | opcode, 0x80 | payload.len() as u8, 0, 0, 0, 0];
    frame.extend_from_slice(payload);
    frame
}

#[test]
fn text_that_inflates_to_invalid_utf8_fails_with_1007() {
    let (_, mut server, _) = pair(deflate(everything()), deflate(everything()));
    server.parse(&masked_compressed(0x1, &raw_deflate(b"ok \xff\xfe")));
    let events = drain(&mut server);
    assert!(
        matches!(
            only_failure(&events),
            Some(Error::Protocol {
                code: CloseCode::INVALID_PAYLOAD,
                ..
            })
        ),
        "{events:?}"
    );
}

#[test]
fn corrupt_compressed_data_fails_with_1011_on_a_server_and_1010_on_a_client() {
    let (mut client, mut server, _) = pair(deflate(everything()), deflate(everything()));
    server.parse(&masked_compressed(0x2, &[0xff, 0xff, 0xff, 0xff]));
    let events = drain(&mut server);
    assert!(
        matches!(
            only_failure(&events),
            Some(Error::Protocol {
                code: CloseCode::UNEXPECTED_CONDITION,
                ..
            })
        ),
        "{events:?}"
    );
    client.parse(&[0xc2, 4, 0xff, 0xff, 0xff, 0xff]);
    let events = drain(&mut client);
    assert!(
        matches!(
            only_failure(&events),
            Some(Error::Protocol {
                code: CloseCode::EXTENSION_ERROR,
                ..
            })
        ),
        "{events:?}"
    );
}

#[test]
fn client_refuses_a_response_that_breaks_rfc7692() {
    for (config, header, reason) in [
        (
            everything(),
            "permessage-deflate; client_max_window_bits",
            "client_max_window_bits needs a value in a response",
        ),
        (
            everything(),
            "permessage-deflate; server_max_window_bits=7",
            "server_max_window_bits=7 is not a window size from 8 to 15",
        ),
        (
            everything(),
            "permessage-deflate; nonsense",
            "unknown parameter nonsense",
        ),
        (
            everything().request_no_context_takeover(true),
            "permessage-deflate",
            "the server did not agree to server_no_context_takeover",
        ),
    ] {
        let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
        client
            .add_extension(PerMessageDeflate::new(config).unwrap())
            .unwrap();
        client.start();
        let request = String::from_utf8(client.take_output()).unwrap();
        let key = request
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .unwrap();
        let accept = wsdriver::handshake::accept_key(key.as_bytes());
        client.parse(
            format!(
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                 Sec-WebSocket-Accept: {accept}\r\nSec-WebSocket-Extensions: {header}\r\n\r\n"
            )
            .as_bytes(),
        );
        match &drain(&mut client)[..] {
            [Event::Close(close)] => {
                let error = close.error.as_deref().expect("the failure");
                assert!(error.to_string().ends_with(reason), "{error}");
                assert!(error.to_string().starts_with("Error during WebSocket handshake: Server sent unacceptable extension parameters: permessage-deflate"), "{error}");
                assert_eq!(close.code.as_u16(), 1002);
            }
            other => panic!("{header}: {other:?}"),
        }
    }
}

#[test]
fn bad_options_are_errors() {
    assert!(PerMessageDeflate::new(DeflateConfig::default().level(10)).is_err());
    assert!(PerMessageDeflate::new(DeflateConfig::default().mem_level(0)).is_err());
    assert!(PerMessageDeflate::new(DeflateConfig::default().max_window_bits(7)).is_err());
    assert!(PerMessageDeflate::new(DeflateConfig::default().request_max_window_bits(16)).is_err());
}

/// The error of a failure that is all of `events`: one `Close` that a
/// failure ended; `None` for anything else.
fn only_failure(events: &[Event]) -> Option<&Error> {
    match events {
        [Event::Close(close)] if !close.clean => close.error.as_deref(),
        _ => None,
    }
}
