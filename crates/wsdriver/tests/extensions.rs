//! The extension framework end to end, with two small test extensions:
//! `x-reverse` (RSV2) reverses payload bytes, `x-tag` (RSV3) appends `!`.

mod common;

use bytes::Bytes;
use common::*;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use wsdriver::extensions::{RSV1, RSV2, RSV3};
use wsdriver::{
    CloseCode, Driver, Error, Event, Extension, ExtensionError, ExtensionMessage, Message, Options,
    Params, ReadyState,
};

#[derive(Default, Clone)]
struct Probe {
    closed: Arc<AtomicBool>,
    max_length: Arc<AtomicUsize>,
}

struct Reverse {
    offers: Vec<Params>,
    rsv: u8,
    probe: Probe,
}

impl Reverse {
    fn new() -> Self {
        Reverse {
            offers: vec![mode("reverse")],
            rsv: RSV2,
            probe: Probe::default(),
        }
    }
}

fn mode(value: &str) -> Params {
    Params::new().value("mode", value)
}

impl Extension for Reverse {
    fn name(&self) -> &str {
        "x-reverse"
    }
    fn rsv(&self) -> u8 {
        self.rsv
    }
    fn offers(&mut self) -> Vec<Params> {
        self.offers.clone()
    }
    fn activate(&mut self, params: &Params) -> Result<(), ExtensionError> {
        match params.get("mode") {
            Some(Some("reverse")) => Ok(()),
            _ => Err("mode must be reverse".into()),
        }
    }
    fn accept(&mut self, offers: &[Params]) -> Option<Params> {
        offers
            .iter()
            .find(|o| o.get("mode") == Some(Some("reverse")))
            .map(|_| mode("reverse"))
    }
    fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError> {
        let reversed: Vec<u8> = message.payload.iter().rev().copied().collect();
        message.payload = Bytes::from(reversed);
        message.rsv |= self.rsv;
        Ok(())
    }
    fn incoming(
        &mut self,
        message: &mut ExtensionMessage,
        max_length: usize,
    ) -> Result<(), ExtensionError> {
        self.probe.max_length.store(max_length, Ordering::SeqCst);
        if message.rsv & self.rsv == 0 {
            return Ok(());
        }
        if &message.payload[..] == b"liaf" {
            return Err(ExtensionError::new("x-reverse cannot take this"));
        }
        let reversed: Vec<u8> = message.payload.iter().rev().copied().collect();
        message.payload = Bytes::from(reversed);
        message.rsv &= !self.rsv;
        Ok(())
    }
    fn close(&mut self) {
        self.probe.closed.store(true, Ordering::SeqCst);
    }
}

struct Tag;

impl Extension for Tag {
    fn name(&self) -> &str {
        "x-tag"
    }
    fn rsv(&self) -> u8 {
        RSV3
    }
    fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError> {
        let mut tagged = message.payload.to_vec();
        tagged.push(b'!');
        message.payload = tagged.into();
        message.rsv |= RSV3;
        Ok(())
    }
    fn incoming(&mut self, message: &mut ExtensionMessage, _: usize) -> Result<(), ExtensionError> {
        if message.rsv & RSV3 != 0 {
            let payload = message
                .payload
                .strip_suffix(b"!")
                .ok_or_else(|| ExtensionError::new("untagged"))?;
            message.payload = Bytes::copy_from_slice(payload);
            message.rsv &= !RSV3;
        }
        Ok(())
    }
}

/// Registers one extension on a driver.
type AddExtension = Box<dyn FnOnce(&mut Driver)>;

/// Client and server, each with the given extensions, handshake done.
fn pair(
    client_ext: Vec<AddExtension>,
    server_ext: Vec<AddExtension>,
) -> (Driver, Driver, String, String) {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    for add in client_ext {
        add(&mut client);
    }
    let mut server = Driver::server(Options::default()).unwrap();
    for add in server_ext {
        add(&mut server);
    }
    client.start();
    let request = String::from_utf8(client.take_output()).unwrap();
    assert_eq!(feed(&mut server, request.as_bytes()), [Event::Connect]);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    let response = String::from_utf8(server.take_output()).unwrap();
    assert_eq!(feed(&mut client, response.as_bytes()), [Event::Open]);
    (client, server, request, response)
}

fn with<E: Extension + 'static>(make: impl FnOnce() -> E + 'static) -> AddExtension {
    Box::new(move |driver: &mut Driver| driver.add_extension(make()).unwrap())
}

#[test]
fn negotiated_extension_transforms_both_ways_in_both_roles() {
    let (mut client, mut server, request, response) =
        pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    assert!(
        request.contains("\r\nSec-WebSocket-Extensions: x-reverse; mode=reverse\r\n"),
        "{request}"
    );
    assert!(
        response.contains("\r\nSec-WebSocket-Extensions: x-reverse; mode=reverse\r\n"),
        "{response}"
    );

    client.text("hello").unwrap();
    let wire = client.take_output();
    let frames = decode_frames(&wire);
    assert_eq!(
        (frames[0].rsv, frames[0].payload.as_slice()),
        (RSV2, &b"olleh"[..])
    );
    assert_eq!(feed(&mut server, &wire), [text_event("hello")]);

    // Reversed multi-byte text is not UTF-8 on the wire: the check must
    // come after the extension has undone its transform.
    server.text("héllo wörld").unwrap();
    let wire = server.take_output();
    let frames = decode_frames(&wire);
    assert_eq!(frames[0].rsv, RSV2);
    assert!(std::str::from_utf8(&frames[0].payload).is_err());
    assert_eq!(feed(&mut client, &wire), [text_event("héllo wörld")]);

    server.binary(&[1, 2, 3]).unwrap();
    assert_eq!(
        feed(&mut client, &server.take_output()),
        [binary_event(&[1, 2, 3])]
    );
}

#[test]
fn outgoing_runs_in_registration_order_and_incoming_in_reverse() {
    let (mut client, mut server, request, response) = pair(
        vec![with(Reverse::new), with(|| Tag)],
        vec![with(Reverse::new), with(|| Tag)],
    );
    assert!(
        request.contains("Sec-WebSocket-Extensions: x-reverse; mode=reverse, x-tag\r\n"),
        "{request}"
    );
    assert!(
        response.contains("Sec-WebSocket-Extensions: x-reverse; mode=reverse, x-tag\r\n"),
        "{response}"
    );
    client.text("abc").unwrap();
    let wire = client.take_output();
    let frame = &decode_frames(&wire)[0];
    assert_eq!(
        (frame.rsv, frame.payload.as_slice()),
        (RSV2 | RSV3, &b"cba!"[..])
    );
    assert_eq!(feed(&mut server, &wire), [text_event("abc")]);
}

#[test]
fn control_frames_do_not_pass_through_extensions() {
    let (mut client, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    client.ping(b"abc").unwrap();
    let wire = client.take_output();
    let frame = &decode_frames(&wire)[0];
    assert_eq!((frame.rsv, frame.payload.as_slice()), (0, &b"abc"[..]));
    let events = feed(&mut server, &wire);
    assert_eq!(events, [Event::Ping(Bytes::from_static(b"abc"))]);
}

#[test]
fn server_declines_what_the_client_did_not_offer_and_rsv_stays_forbidden() {
    let (_, mut server, request, response) = pair(vec![], vec![with(Reverse::new)]);
    assert!(!request.contains("Sec-WebSocket-Extensions"));
    assert!(!response.contains("Sec-WebSocket-Extensions"));
    let mut frame = Frame::new(TEXT, "olleh").masked(MASK);
    frame.rsv = RSV2;
    let events = feed(&mut server, &frame.encode());
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

#[test]
fn server_accepts_the_first_acceptable_of_several_offers() {
    let mut offering = Reverse::new();
    offering.offers = vec![mode("sideways"), mode("reverse")];
    let (_, _, request, response) = pair(vec![with(move || offering)], vec![with(Reverse::new)]);
    assert!(request.contains(
        "Sec-WebSocket-Extensions: x-reverse; mode=sideways, x-reverse; mode=reverse\r\n"
    ));
    assert!(response.contains("\r\nSec-WebSocket-Extensions: x-reverse; mode=reverse\r\n"));
}

#[test]
fn server_accepts_only_one_extension_per_rsv_bit() {
    struct Other;
    impl Extension for Other {
        fn name(&self) -> &str {
            "x-other"
        }
        fn rsv(&self) -> u8 {
            RSV2
        }
    }
    let (_, _, _, response) = pair(
        vec![with(Reverse::new), with(|| Other)],
        vec![with(Reverse::new), with(|| Other)],
    );
    assert!(
        response.contains("\r\nSec-WebSocket-Extensions: x-reverse; mode=reverse\r\n"),
        "{response}"
    );
    assert!(!response.contains("x-other"));
}

fn client_with_response(extensions: Vec<AddExtension>, header: &str) -> Vec<Event> {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    for add in extensions {
        add(&mut client);
    }
    client.text("queued").unwrap();
    client.start();
    let key = key_from_request(&client.take_output());
    feed(
        &mut client,
        &response_101(&key, &[("Sec-WebSocket-Extensions", header)]),
    )
}

fn assert_handshake_error(events: &[Event], message: &str) {
    match events {
        [Event::Close(close)] => {
            let error = close.error.as_deref().expect("the failure");
            assert_eq!(
                error.to_string(),
                format!("Error during WebSocket handshake: {message}")
            );
            assert_eq!(close.code.as_u16(), 1002);
        }
        other => panic!("expected a handshake failure, got {other:?}"),
    }
}

#[test]
fn client_rejects_an_extension_it_did_not_offer() {
    let events = client_with_response(vec![with(Reverse::new)], "x-tag");
    assert_handshake_error(
        &events,
        "Server sent an extension response for unknown extension \"x-tag\"",
    );
}

#[test]
fn client_rejects_two_responses_for_one_extension() {
    let events = client_with_response(
        vec![with(Reverse::new)],
        "x-reverse; mode=reverse, x-reverse; mode=reverse",
    );
    assert_handshake_error(
        &events,
        "Server sent two extension responses for \"x-reverse\"",
    );
}

#[test]
fn client_rejects_two_extensions_on_one_rsv_bit() {
    let mut second = Reverse::new();
    second.rsv = RSV2 | RSV1;
    struct Renamed(Reverse);
    impl Extension for Renamed {
        fn name(&self) -> &str {
            "x-reverse2"
        }
        fn rsv(&self) -> u8 {
            self.0.rsv()
        }
        fn offers(&mut self) -> Vec<Params> {
            self.0.offers()
        }
        fn activate(&mut self, p: &Params) -> Result<(), ExtensionError> {
            self.0.activate(p)
        }
        fn accept(&mut self, o: &[Params]) -> Option<Params> {
            self.0.accept(o)
        }
        fn outgoing(&mut self, m: &mut ExtensionMessage) -> Result<(), ExtensionError> {
            self.0.outgoing(m)
        }
        fn incoming(&mut self, m: &mut ExtensionMessage, l: usize) -> Result<(), ExtensionError> {
            self.0.incoming(m, l)
        }
    }
    let events = client_with_response(
        vec![with(Reverse::new), with(move || Renamed(second))],
        "x-reverse; mode=reverse, x-reverse2; mode=reverse",
    );
    assert_handshake_error(
        &events,
        "Server sent two extension responses that use the RSV2 bit",
    );
}

#[test]
fn client_rejects_unacceptable_parameters() {
    let events = client_with_response(vec![with(Reverse::new)], "x-reverse; mode=sideways");
    assert_handshake_error(
        &events,
        "Server sent unacceptable extension parameters: x-reverse; mode=sideways: mode must be reverse",
    );
}

#[test]
fn client_rejects_a_malformed_extensions_header() {
    let events = client_with_response(vec![with(Reverse::new)], "x-reverse;;");
    assert_handshake_error(
        &events,
        "Invalid Sec-WebSocket-Extensions header: x-reverse;;",
    );
}

#[test]
fn server_refuses_a_malformed_extensions_header_with_400() {
    let mut server = Driver::server(Options::default()).unwrap();
    server.add_extension(Reverse::new()).unwrap();
    feed(
        &mut server,
        &request(&[("Sec-WebSocket-Extensions", "x-reverse; mode=\"a b\"")]),
    );
    assert!(!server.start());
    let output = String::from_utf8(server.take_output()).unwrap();
    assert!(
        output.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "{output}"
    );
    // Its own words, not the header's: a refusal reflects nothing.
    assert!(
        output.ends_with("\r\n\r\nInvalid Sec-WebSocket-Extensions header"),
        "{output}"
    );
    let events = drain(&mut server);
    assert!(matches!(
        only_failure(&events),
        Some(Error::BadRequest { status: 400, .. })
    ));
}

#[test]
fn messages_queued_before_open_pass_through_the_negotiated_extensions() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.add_extension(Reverse::new()).unwrap();
    client.text("early").unwrap();
    client.start();
    let key = key_from_request(&client.take_output());
    let events = feed(
        &mut client,
        &response_101(
            &key,
            &[("Sec-WebSocket-Extensions", "x-reverse; mode=reverse")],
        ),
    );
    assert_eq!(events, [Event::Open]);
    let frame = &decode_frames(&client.take_output())[0];
    assert_eq!((frame.rsv, frame.payload.as_slice()), (RSV2, &b"ylrae"[..]));
}

#[test]
fn rsv_bits_on_continuation_and_control_frames_fail_even_when_claimed() {
    let (_, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    let mut first = Frame::new(TEXT, "ab").masked(MASK);
    first.fin = false;
    first.rsv = RSV2;
    let mut second = Frame::new(CONTINUATION, "c").masked(MASK);
    second.rsv = RSV2;
    let events = feed(&mut server, &frames(&[first, second]));
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

    let (_, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    let mut ping = Frame::new(PING, "").masked(MASK);
    ping.rsv = RSV2;
    let events = feed(&mut server, &ping.encode());
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

#[test]
fn fragmented_transformed_message_is_reassembled_then_transformed() {
    let (_, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    let mut first = Frame::new(TEXT, "ol").masked(MASK);
    first.fin = false;
    first.rsv = RSV2;
    let second = Frame::new(CONTINUATION, "leh").masked(MASK);
    assert_eq!(
        feed(&mut server, &frames(&[first, second])),
        [text_event("hello")]
    );
}

#[test]
fn extension_failure_closes_with_1011_on_a_server_and_1010_on_a_client() {
    let (mut client, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    client.text("fail").unwrap(); // reversed on the wire: "liaf"
    let events = feed(&mut server, &client.take_output());
    match &events[..] {
        [Event::Close(close)] => {
            let Some(Error::Protocol { code, message }) = close.error.as_deref() else {
                panic!("{close:?}")
            };
            assert_eq!(
                (code.as_u16(), message.as_str()),
                (1011, "x-reverse cannot take this")
            );
            assert_eq!((close.code.as_u16(), close.clean), (1011, false));
        }
        other => panic!("{other:?}"),
    }
    let sent = decode_frames(&server.take_output());
    assert_eq!(
        sent[0].close(),
        Some((1011, "x-reverse cannot take this".into()))
    );

    let (mut client, mut server, _, _) = pair(vec![with(Reverse::new)], vec![with(Reverse::new)]);
    server.text("fail").unwrap();
    let events = feed(&mut client, &server.take_output());
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
    assert_eq!(
        decode_frames(&client.take_output())[0].close().unwrap().0,
        1010
    );
}

#[test]
fn extensions_learn_max_length_and_are_closed_with_the_connection() {
    let probe = Probe::default();
    let mut server = Driver::server(Options::default().max_length(4096)).unwrap();
    let mut ext = Reverse::new();
    ext.probe = probe.clone();
    server.add_extension(ext).unwrap();
    feed(
        &mut server,
        &request(&[("Sec-WebSocket-Extensions", "x-reverse; mode=reverse")]),
    );
    assert!(server.start());
    drain(&mut server);
    let mut frame = Frame::new(TEXT, "olleh").masked(MASK);
    frame.rsv = RSV2;
    assert_eq!(feed(&mut server, &frame.encode()), [text_event("hello")]);
    assert_eq!(probe.max_length.load(Ordering::SeqCst), 4096);
    assert!(!probe.closed.load(Ordering::SeqCst));
    server.close(1000, "").unwrap();
    feed(
        &mut server,
        &Frame::new(CLOSE, vec![0x03, 0xe8]).masked(MASK).encode(),
    );
    assert_eq!(server.ready_state(), ReadyState::Closed);
    assert!(probe.closed.load(Ordering::SeqCst));
}

#[test]
fn extensions_cannot_be_added_after_start_or_claim_other_bits() {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    let mut bad = Reverse::new();
    bad.rsv = 0b1000;
    assert!(matches!(
        client.add_extension(bad),
        Err(Error::InvalidOption(_))
    ));
    client.start();
    assert!(matches!(
        client.add_extension(Reverse::new()),
        Err(Error::InvalidOption(_))
    ));
}

#[test]
fn unnegotiated_client_sends_plain_frames() {
    let (mut client, mut server, _, _) = pair(vec![with(Reverse::new)], vec![]);
    client.text("plain").unwrap();
    let wire = client.take_output();
    assert_eq!(decode_frames(&wire)[0].rsv, 0);
    assert_eq!(
        feed(&mut server, &wire),
        [Event::Message(Message::from("plain"))]
    );
}

/// Rewrites every incoming message without claiming an RSV bit.
struct Garble;

impl Extension for Garble {
    fn name(&self) -> &str {
        "x-garble"
    }
    fn incoming(&mut self, message: &mut ExtensionMessage, _: usize) -> Result<(), ExtensionError> {
        message.payload = Bytes::from_static(b"\xff\xfe");
        Ok(())
    }
}

#[test]
fn text_an_extension_rewrote_is_checked_again() {
    let (mut client, mut server, _, _) = pair(vec![with(|| Garble)], vec![with(|| Garble)]);
    client.text("valid before the extension").unwrap();
    let events = feed(&mut server, &client.take_output());
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

/// Only a name: every other method keeps its default.
struct Minimal;

impl Extension for Minimal {
    fn name(&self) -> &str {
        "x-minimal"
    }
}

#[test]
fn an_extension_with_only_a_name_negotiates_without_parameters_and_passes_messages() {
    let (mut client, mut server, request, response) =
        pair(vec![with(|| Minimal)], vec![with(|| Minimal)]);
    assert!(
        request.contains("\r\nSec-WebSocket-Extensions: x-minimal\r\n"),
        "{request}"
    );
    assert!(
        response.contains("\r\nSec-WebSocket-Extensions: x-minimal\r\n"),
        "{response}"
    );
    client.text("untouched").unwrap();
    let wire = client.take_output();
    assert_eq!(wire[0], 0x81, "no RSV bit");
    assert_eq!(feed(&mut server, &wire), [text_event("untouched")]);
}

#[test]
fn the_default_negotiation_refuses_parameters_both_ways() {
    // A server declines an offer with parameters...
    let mut server = Minimal;
    assert_eq!(server.accept(&[Params::new().value("level", "9")]), None);
    assert_eq!(
        server.accept(&[Params::new().value("level", "9"), Params::new()]),
        Some(Params::new())
    );
    // ...and a client refuses an answer with them.
    let mut client = Minimal;
    assert_eq!(client.activate(&Params::new()), Ok(()));
    assert_eq!(
        client.activate(&Params::new().flag("fast")),
        Err("x-minimal takes no parameters".into())
    );
}
