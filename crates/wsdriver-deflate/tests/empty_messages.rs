//! Empty messages through permessage-deflate (issue 24): an empty
//! compressed message must be the empty stored block of RFC 7692 section
//! 7.2.3.6, so that a receiver's stream stays in step and the messages
//! after it inflate. Checked in both directions, for every combination of
//! context takeover and window sizes, by our own peer and by an independent
//! RFC 7692 receiver on flate2.

use flate2::{Decompress, FlushDecompress};
use wsdriver::hybi::frame::FrameHeader;
use wsdriver::{Driver, Event, Message, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

fn drain(driver: &mut Driver) -> Vec<Event> {
    std::iter::from_fn(|| driver.poll_event()).collect()
}

fn pair(client: DeflateConfig, server: DeflateConfig) -> (Driver, Driver, String) {
    let mut c = Driver::client("ws://example.com/", Options::default()).unwrap();
    let mut s = Driver::server(Options::default()).unwrap();
    c.add_extension(PerMessageDeflate::new(client).unwrap())
        .unwrap();
    s.add_extension(PerMessageDeflate::new(server).unwrap())
        .unwrap();
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

/// Empty text and binary messages between others, empties back to back,
/// and an empty one last.
fn conversation() -> Vec<Message> {
    let compressible: Vec<u8> = (0..3000u32).map(|i| b"abcdefgh"[i as usize % 8]).collect();
    vec![
        Message::from(""),
        Message::from("hello"),
        Message::Binary(Vec::new().into()),
        Message::from(""),
        Message::Binary(compressible.into()),
        Message::from("hello"),
        Message::Binary(Vec::new().into()),
        Message::from("world, world, world"),
        Message::from(""),
    ]
}

/// An RFC 7692 receiver written from the RFC alone: each RSV1 message's
/// payload with `00 00 ff ff` appended, inflated on one stream that is
/// reset after each message when context is not taken over.
struct Rfc7692Receiver {
    inflate: Decompress,
    no_context_takeover: bool,
}

impl Rfc7692Receiver {
    fn new(no_context_takeover: bool) -> Self {
        Rfc7692Receiver {
            inflate: Decompress::new_with_window_bits(false, 15),
            no_context_takeover,
        }
    }

    fn receive(&mut self, rsv: u8, payload: &[u8]) -> Result<Vec<u8>, String> {
        if rsv & 0b100 == 0 {
            return Ok(payload.to_vec());
        }
        let input = [payload, &[0x00, 0x00, 0xff, 0xff]].concat();
        let mut out = Vec::with_capacity(1 << 16);
        let before = self.inflate.total_in();
        self.inflate
            .decompress_vec(&input, &mut out, FlushDecompress::Sync)
            .map_err(|e| e.to_string())?;
        if self.inflate.total_in() - before != input.len() as u64 {
            return Err("the message did not end on a block boundary".into());
        }
        if self.no_context_takeover {
            self.inflate.reset(false);
        }
        Ok(out)
    }
}

/// (rsv, opcode byte, unmasked payload) of each frame in `wire`.
fn frames(mut wire: &[u8]) -> Vec<(u8, u8, Vec<u8>)> {
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
        out.push((header.rsv, wire[0] & 0x0f, payload));
        wire = &wire[end..];
    }
    out
}

/// Sends the conversation from `from` to `to`, checks each frame with the
/// independent receiver and each message as `to` sees it. Every message
/// goes compressed unless the sender's window is 8 bits, which zlib
/// cannot deflate with.
fn send_all(
    from: &mut Driver,
    to: &mut Driver,
    reference: &mut Rfc7692Receiver,
    compressed: bool,
    label: &str,
) {
    for message in conversation() {
        from.send(message.clone()).unwrap();
        let wire = from.take_output();
        let sent = frames(&wire);
        assert_eq!(sent.len(), 1, "{label}");
        let (rsv, _, payload) = &sent[0];
        assert_eq!(rsv & 0b100 != 0, compressed, "{label}: {message:?}");
        if message.as_bytes().is_empty() && compressed {
            assert_eq!(payload, &[0x00], "{label}: an empty stored block");
        }
        let inflated = reference
            .receive(*rsv, payload)
            .unwrap_or_else(|e| panic!("{label}: the RFC receiver failed on {message:?}: {e}"));
        assert_eq!(inflated, message.as_bytes(), "{label}");
        to.parse(&wire);
        assert_eq!(drain(to), [Event::Message(message)], "{label}");
    }
}

#[test]
fn empty_messages_keep_both_streams_in_step_for_every_negotiation() {
    let mut negotiations = 0;
    for client_takeover_off in [false, true] {
        for server_takeover_off in [false, true] {
            for client_bits in [15, 9, 8] {
                for server_bits in [15, 10, 8] {
                    let client = DeflateConfig::default()
                        .threshold(0)
                        .no_context_takeover(client_takeover_off)
                        .max_window_bits(client_bits)
                        .request_no_context_takeover(server_takeover_off)
                        .request_max_window_bits(server_bits);
                    let server = DeflateConfig::default().threshold(0);
                    let (mut c, mut s, response) = pair(client, server);
                    let label = format!(
                        "client takeover off {client_takeover_off}, server takeover off \
                         {server_takeover_off}, client bits {client_bits}, server bits \
                         {server_bits}; response {response:?}"
                    );
                    assert!(response.contains("permessage-deflate"), "{label}");
                    let client_off = response.contains("client_no_context_takeover");
                    let server_off = response.contains("server_no_context_takeover");
                    assert_eq!(server_off, server_takeover_off, "{label}");
                    send_all(
                        &mut c,
                        &mut s,
                        &mut Rfc7692Receiver::new(client_off),
                        client_bits > 8,
                        &label,
                    );
                    send_all(
                        &mut s,
                        &mut c,
                        &mut Rfc7692Receiver::new(server_off),
                        server_bits > 8,
                        &label,
                    );
                    negotiations += 1;
                }
            }
        }
    }
    assert_eq!(negotiations, 36);
}

/// What a correct peer (Node's `ws`, or zlib flushed with no input) sends
/// for an empty message, then a compressed one, arrives as both messages.
#[test]
fn a_peers_empty_stored_block_then_hello() {
    let (_, mut server, _) = pair(
        DeflateConfig::default().threshold(0),
        DeflateConfig::default().threshold(0),
    );
    let hello = [0xf2u8, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];
    let key = [9, 8, 7, 6];
    // The empty stored block, 0x00, masked with the key's first byte.
    let mut wire = vec![0xc1, 0x81, 9, 8, 7, 6, 9];
    wire.extend([0xc1, 0x80 | 7, 9, 8, 7, 6]);
    wire.extend(hello.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    server.parse(&wire);
    assert_eq!(
        drain(&mut server),
        [
            Event::Message(Message::from("")),
            Event::Message(Message::from("Hello"))
        ]
    );
}

/// Earlier wsdriver builds sent an empty message as RSV1 with no payload
/// at all; a receiver that inflated only the trailer was then left inside
/// a stored block. Such a message is taken as empty and the stream goes on.
#[test]
fn an_empty_payload_with_rsv1_leaves_the_stream_in_step() {
    let (mut client, mut server, _) = pair(
        DeflateConfig::default().threshold(0),
        DeflateConfig::default().threshold(0),
    );
    client.text("Hello, Hello").unwrap();
    let first = client.take_output();
    let bare_empty = [0xc1u8, 0x80, 1, 2, 3, 4];
    client.text("Hello, Hello, again").unwrap();
    let third = client.take_output();
    server.parse(&[&first[..], &bare_empty, &third].concat());
    assert_eq!(
        drain(&mut server),
        [
            Event::Message(Message::from("Hello, Hello")),
            Event::Message(Message::from("")),
            Event::Message(Message::from("Hello, Hello, again"))
        ]
    );
}
