//! Helpers shared by the integration tests: handshakes, a frame builder, a
//! frame decoder that unmasks, and the checks every protocol failure must
//! pass.
//!
//! Each test crate uses a different subset of these.
#![allow(dead_code)]

use wsdriver::{CloseEvent, Driver, Error, Event, Options, ReadyState};

/// The key of RFC 6455 §1.3 and its accept value.
pub const KEY: &str = "dGhlIHNhbXBsZSBub25jZQ==";
pub const ACCEPT: &str = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/// The exact `101` a server sends for [`KEY`] with no subprotocol.
pub const RESPONSE_101: &str = "HTTP/1.1 101 Switching Protocols\r\n\
    Upgrade: websocket\r\n\
    Connection: Upgrade\r\n\
    Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\
    \r\n";

/// The mask key of RFC 6455 §5.7's examples; client frames in tests use it.
pub const MASK: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A request head built from a request line and header lines.
pub fn head(request_line: &str, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut out = format!("{request_line}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// The headers of a valid version-13 upgrade request for [`KEY`].
pub fn upgrade_headers() -> Vec<(&'static str, &'static str)> {
    vec![
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", KEY),
        ("Sec-WebSocket-Version", "13"),
    ]
}

/// A valid upgrade request for `/chat`, with `extra` headers appended.
pub fn request(extra: &[(&str, &str)]) -> Vec<u8> {
    let mut headers = upgrade_headers();
    headers.extend_from_slice(extra);
    head("GET /chat HTTP/1.1", &headers)
}

/// A valid request with some headers left out and others replaced or added.
pub fn request_without(skip: &[&str], extra: &[(&str, &str)]) -> Vec<u8> {
    let mut headers: Vec<(&str, &str)> = upgrade_headers()
        .into_iter()
        .filter(|(name, _)| !skip.iter().any(|s| s.eq_ignore_ascii_case(name)))
        .collect();
    headers.extend_from_slice(extra);
    head("GET /chat HTTP/1.1", &headers)
}

/// Every event the driver has, until `poll_event` returns `None`.
pub fn drain(driver: &mut Driver) -> Vec<Event> {
    let mut events = Vec::new();
    while let Some(event) = driver.poll_event() {
        events.push(event);
        assert!(
            events.len() < 100_000,
            "the driver never stops producing events"
        );
    }
    events
}

/// Feeds `bytes` and returns what happened.
pub fn feed(driver: &mut Driver, bytes: &[u8]) -> Vec<Event> {
    driver.parse(bytes);
    drain(driver)
}

/// A raw server that has read [`request`] and answered it: open, output
/// drained.
pub fn open_server(options: Options) -> Driver {
    let mut server = Driver::server(options).unwrap();
    assert_eq!(feed(&mut server, &request(&[])), [Event::Connect]);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert_eq!(server.take_output(), RESPONSE_101.as_bytes());
    assert_eq!(server.ready_state(), ReadyState::Open);
    server
}

/// The `Sec-WebSocket-Key` of a client's request.
pub fn key_from_request(request: &[u8]) -> String {
    let text = std::str::from_utf8(request).expect("requests are ASCII");
    text.split("\r\n")
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim()
                .eq_ignore_ascii_case("sec-websocket-key")
                .then(|| value.trim().to_owned())
        })
        .expect("the request has a Sec-WebSocket-Key")
}

/// A valid `101` answering `key`, with `extra` header lines.
pub fn response_101(key: &str, extra: &[(&str, &str)]) -> Vec<u8> {
    let accept = wsdriver::handshake::accept_key(key.as_bytes());
    let mut out = format!(
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n"
    );
    for (name, value) in extra {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str("\r\n");
    out.into_bytes()
}

/// A client that has sent its request and read a valid `101`: open, output
/// drained.
pub fn open_client(url: &str, options: Options) -> Driver {
    let mut client = Driver::client(url, options).unwrap();
    assert!(client.start());
    let request = client.take_output();
    let key = key_from_request(&request);
    assert_eq!(feed(&mut client, &response_101(&key, &[])), [Event::Open]);
    assert!(client.take_output().is_empty());
    assert_eq!(client.ready_state(), ReadyState::Open);
    client
}

/// A client and a server that have completed the handshake with each other.
pub fn open_pair() -> (Driver, Driver) {
    let mut client = Driver::client("ws://example.com/chat", Options::default()).unwrap();
    let mut server = Driver::server(Options::default()).unwrap();
    client.start();
    assert_eq!(feed(&mut server, &client.take_output()), [Event::Connect]);
    assert!(server.start());
    assert_eq!(drain(&mut server), [Event::Open]);
    assert_eq!(feed(&mut client, &server.take_output()), [Event::Open]);
    (client, server)
}

/// XORs `data` with `key` as RFC 6455 §5.3 says, byte by byte.
pub fn mask(data: &[u8], key: [u8; 4]) -> Vec<u8> {
    data.iter()
        .enumerate()
        .map(|(i, byte)| byte ^ key[i % 4])
        .collect()
}

/// Masking is its own inverse.
pub fn unmask(data: &[u8], key: [u8; 4]) -> Vec<u8> {
    mask(data, key)
}

pub const CONTINUATION: u8 = 0x0;
pub const TEXT: u8 = 0x1;
pub const BINARY: u8 = 0x2;
pub const CLOSE: u8 = 0x8;
pub const PING: u8 = 0x9;
pub const PONG: u8 = 0xa;

/// A frame to send to a driver, any field set to anything, legal or not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    /// RSV1..RSV3 as `0b100`, `0b010`, `0b001`.
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    pub payload: Vec<u8>,
    /// A length to claim instead of the payload's.
    pub claimed_len: Option<u64>,
}

impl Frame {
    pub fn new(opcode: u8, payload: impl Into<Vec<u8>>) -> Self {
        Frame {
            fin: true,
            rsv: 0,
            opcode,
            mask: Some(MASK),
            payload: payload.into(),
            claimed_len: None,
        }
    }

    pub fn text(text: impl AsRef<[u8]>) -> Self {
        Self::new(TEXT, text.as_ref())
    }

    pub fn binary(data: impl AsRef<[u8]>) -> Self {
        Self::new(BINARY, data.as_ref())
    }

    pub fn cont(data: impl AsRef<[u8]>) -> Self {
        Self::new(CONTINUATION, data.as_ref())
    }

    pub fn ping(data: impl AsRef<[u8]>) -> Self {
        Self::new(PING, data.as_ref())
    }

    pub fn pong(data: impl AsRef<[u8]>) -> Self {
        Self::new(PONG, data.as_ref())
    }

    /// A close frame with a code and reason.
    pub fn close(code: u16, reason: impl AsRef<[u8]>) -> Self {
        let mut payload = code.to_be_bytes().to_vec();
        payload.extend_from_slice(reason.as_ref());
        Self::new(CLOSE, payload)
    }

    pub fn fin(mut self, fin: bool) -> Self {
        self.fin = fin;
        self
    }

    pub fn rsv(mut self, rsv: u8) -> Self {
        self.rsv = rsv;
        self
    }

    pub fn masked(mut self, key: [u8; 4]) -> Self {
        self.mask = Some(key);
        self
    }

    /// As a server sends: no mask.
    pub fn unmasked(mut self) -> Self {
        self.mask = None;
        self
    }

    pub fn claim_len(mut self, len: u64) -> Self {
        self.claimed_len = Some(len);
        self
    }

    /// The header alone: first bytes, extended length, mask key.
    pub fn header(&self) -> Vec<u8> {
        let len = self.claimed_len.unwrap_or(self.payload.len() as u64);
        let mut out = vec![(u8::from(self.fin) << 7) | ((self.rsv & 7) << 4) | (self.opcode & 0xf)];
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        if len <= 125 {
            out.push(mask_bit | len as u8);
        } else if len <= 0xffff {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(mask_bit | 127);
            out.extend_from_slice(&len.to_be_bytes());
        }
        if let Some(key) = self.mask {
            out.extend_from_slice(&key);
        }
        out
    }

    /// The payload as it goes on the wire (masked if the frame is).
    pub fn wire_payload(&self) -> Vec<u8> {
        match self.mask {
            Some(key) => mask(&self.payload, key),
            None => self.payload.clone(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = self.header();
        out.extend(self.wire_payload());
        out
    }
}

/// Encodes frames back to back.
pub fn frames(frames: &[Frame]) -> Vec<u8> {
    frames.iter().flat_map(Frame::encode).collect()
}

/// A frame a driver wrote, its payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub fin: bool,
    pub rsv: u8,
    pub opcode: u8,
    pub mask: Option<[u8; 4]>,
    /// How many bytes the header took: checks minimal length encoding.
    pub header_len: usize,
    pub payload: Vec<u8>,
}

impl Decoded {
    /// The code and reason of a close frame.
    pub fn close(&self) -> Option<(u16, String)> {
        assert_eq!(self.opcode, CLOSE, "not a close frame: {self:?}");
        match self.payload.as_slice() {
            [] => None,
            [hi, lo, reason @ ..] => Some((
                u16::from_be_bytes([*hi, *lo]),
                String::from_utf8(reason.to_vec()).expect("close reasons are UTF-8"),
            )),
            [_] => panic!("a close frame with a one-byte payload"),
        }
    }
}

/// Decodes every frame in `bytes`, which must end on a frame boundary.
pub fn decode_frames(mut bytes: &[u8]) -> Vec<Decoded> {
    let mut out = Vec::new();
    while !bytes.is_empty() {
        assert!(bytes.len() >= 2, "truncated frame header");
        let b0 = bytes[0];
        let b1 = bytes[1];
        let (len, mut at) = match b1 & 0x7f {
            126 => (u64::from(u16::from_be_bytes([bytes[2], bytes[3]])), 4),
            127 => (u64::from_be_bytes(bytes[2..10].try_into().unwrap()), 10),
            n => (u64::from(n), 2),
        };
        let mask = if b1 & 0x80 != 0 {
            let key: [u8; 4] = bytes[at..at + 4].try_into().unwrap();
            at += 4;
            Some(key)
        } else {
            None
        };
        let len = usize::try_from(len).unwrap();
        assert!(bytes.len() >= at + len, "truncated frame payload");
        let raw = &bytes[at..at + len];
        out.push(Decoded {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 7,
            opcode: b0 & 0xf,
            mask,
            header_len: at,
            payload: mask.map_or_else(|| raw.to_vec(), |key| unmask(raw, key)),
        });
        bytes = &bytes[at + len..];
    }
    out
}

/// The close frame a driver sent as `[0x88, len, code, reason]`, unmasked.
pub fn server_close_frame(code: u16, reason: &str) -> Vec<u8> {
    Frame::close(code, reason).unmasked().encode()
}

/// Checks everything a protocol failure must do: the driver sent exactly
/// one close frame with `code` and `message` (when it was open), reported
/// `Close { code, clean: false }` carrying `Error::Protocol` as its last
/// event, is `Closed`, and ignores any later input.
pub fn assert_protocol_failure(
    driver: &mut Driver,
    events: &[Event],
    code: u16,
    message: &str,
    sent_close: bool,
) {
    let error = Error::Protocol {
        code: code.into(),
        message: message.to_owned(),
    };
    assert_eq!(
        events.last(),
        Some(&failure_event(code, message, error)),
        "events: {events:?}"
    );
    assert_eq!(driver.ready_state(), ReadyState::Closed);
    let output = decode_frames(&driver.take_output());
    if sent_close {
        let last = output.last().expect("a close frame was sent");
        assert_eq!(last.close(), Some((code, message.to_owned())));
        assert_eq!(
            output.iter().filter(|f| f.opcode == CLOSE).count(),
            1,
            "exactly one close frame"
        );
    } else {
        assert!(
            output.iter().all(|f| f.opcode != CLOSE),
            "no close frame expected: {output:?}"
        );
    }
    // Nothing more is read or written.
    let ping = Frame::ping("late");
    driver.parse(&ping.encode());
    driver.parse(&ping.clone().unmasked().encode());
    assert_eq!(drain(driver), []);
    assert!(!driver.has_output());
    assert_eq!(driver.ready_state(), ReadyState::Closed);
}

/// An open server fed `input`: asserts it failed with `code` and `message`.
pub fn server_fails_with(input: &[u8], code: u16, message: &str) {
    let mut server = open_server(Options::default());
    let events = feed(&mut server, input);
    assert_eq!(events.len(), 1, "{events:?}");
    assert_protocol_failure(&mut server, &events, code, message, true);
}

/// An open client fed `input`: asserts it failed with `code` and `message`,
/// and that its close frame was masked.
pub fn client_fails_with(input: &[u8], code: u16, message: &str) {
    let mut client = open_client("ws://example.com/", Options::default());
    client.parse(input);
    let events = drain(&mut client);
    assert_eq!(events.len(), 1, "{events:?}");
    let output = client.take_output();
    let sent = decode_frames(&output);
    assert_eq!(sent.len(), 1);
    assert!(sent[0].mask.is_some(), "client frames are masked");
    assert_eq!(sent[0].close(), Some((code, message.to_owned())));
    assert_protocol_failure(&mut client, &events, code, message, false);
}

/// The text of a message event.
pub fn text_of(event: &Event) -> &str {
    match event {
        Event::Message(wsdriver::Message::Text(text)) => text.as_str(),
        other => panic!("expected a text message, got {other:?}"),
    }
}

pub fn text_event(text: &str) -> Event {
    Event::Message(wsdriver::Message::Text(text.into()))
}

pub fn binary_event(data: &[u8]) -> Event {
    Event::Message(wsdriver::Message::Binary(wsdriver::Bytes::copy_from_slice(
        data,
    )))
}

pub fn close_event(code: u16, reason: &str, clean: bool) -> Event {
    Event::Close(CloseEvent::new(code, reason, clean))
}

/// The error of a failure that is all of `events`: one `Close` that a
/// failure ended; `None` for anything else.
pub fn only_failure(events: &[Event]) -> Option<&Error> {
    match events {
        [Event::Close(CloseEvent {
            error: Some(error),
            clean: false,
            ..
        })] => Some(error),
        _ => None,
    }
}

/// The `Close` of a connection that `error` ended.
pub fn failure_event(code: u16, reason: &str, error: Error) -> Event {
    Event::Close(CloseEvent::failed(code, reason, error))
}

/// The close event of a close handshake this side started.
pub fn closed_by_us(code: u16, reason: &str) -> Event {
    Event::Close(
        CloseEvent::new(code, reason, true).with_cause(wsdriver::CloseCause::LocallyClosed),
    )
}

/// The 1006 of a connection that `cause` ended.
pub fn abnormal(cause: wsdriver::CloseCause) -> Event {
    Event::Close(CloseEvent::new(1006, "", false).with_cause(cause))
}

/// Decodes standard, padded base64; `None` if `text` is not that.
pub fn base64_decode(text: &str) -> Option<Vec<u8>> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes = text.as_bytes();
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::new();
    for (i, quad) in bytes.chunks(4).enumerate() {
        let last = i + 1 == bytes.len() / 4;
        let pad = quad.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n: u32 = 0;
        for &b in &quad[..4 - pad] {
            let v = ALPHABET.iter().position(|&a| a == b)? as u32;
            n = (n << 6) | v;
        }
        n <<= 6 * pad as u32;
        let decoded = n.to_be_bytes();
        out.extend_from_slice(&decoded[1..4 - pad]);
    }
    Some(out)
}

/// A server `Connection` opened by the handshake machines at `now`, as
/// the tokio crate opens one, its 101 already taken.
pub fn open_server_connection(options: Options, now: std::time::Instant) -> wsdriver::Connection {
    use wsdriver::{ClientHandshake, Machine, ServerEvent, ServerHandshake};
    let mut client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    let mut server = ServerHandshake::new(options, now).unwrap();
    client.start(now);
    server
        .input_buffer()
        .extend_from_slice(&client.take_output());
    server.received(now);
    assert_eq!(server.poll_event(), Some(ServerEvent::Request));
    server.accept().unwrap();
    assert_eq!(server.poll_event(), Some(ServerEvent::Open));
    let mut connection = server.into_connection(now).unwrap();
    let _ = connection.take_output();
    connection
}
