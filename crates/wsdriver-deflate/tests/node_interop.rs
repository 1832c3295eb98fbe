//! permessage-deflate interop with real Node peers (`ws` and
//! `faye-websocket` + `permessage-deflate`, pinned in tools/node and
//! installed by `tools/peers.sh`), over loopback TCP with `std::net` only.
//!
//! Every conversation goes through a relay that copies the bytes both ways
//! and parses the WebSocket frames after the HTTP heads, so each test can
//! check what was really on the wire: that every data frame, in both
//! directions, had RSV1 set (the message was compressed).
//!
//! A missing peer fails the tests (it never skips them): run
//! `tools/peers.sh` first.
#![cfg(feature = "interop")]

use std::fmt;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use wsdriver::hybi::frame::{DecodeError, FrameHeader, Opcode, MAX_HEADER_LEN, RSV1};
use wsdriver::{CloseEvent, Driver, Event, Message, Options, ReadyState};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// The Node packages the peer script needs, under tools/node/node_modules.
const NODE_PACKAGES: [&str; 4] = [
    "ws",
    "faye-websocket",
    "websocket-driver",
    "permessage-deflate",
];
/// How long a whole conversation may take (the Node client gives up after
/// 60 s on its own).
const CONVERSATION_TIMEOUT: Duration = Duration::from_secs(90);
/// How long any socket read or write may block.
const IO_TIMEOUT: Duration = Duration::from_secs(60);
/// Messages each side sends: text and binary of each size, empty ones
/// between the others (an empty compressed message must leave both
/// deflate streams in step, issue 24). The same list as the peer script's
/// default.
const SIZES: [usize; 8] = [0, 10, 0, 0, 64 * 1024, 0, 4 * 1024 * 1024, 0];
/// For the runs over every negotiation: small, so each takes milliseconds.
const SMALL_SIZES: [usize; 8] = [0, 10, 0, 0, 3000, 0, 70_000, 0];

/// The conversations compress 4 MiB messages in a debug build on a small
/// machine: one at a time keeps each well inside its timeouts.
fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

// ------------------------------------------------------------------ tests

#[test]
fn our_server_with_ws_client() {
    let _serial = serial();
    our_server_with_node_client("ws", "{}", &SIZES);
}

#[test]
fn our_server_with_faye_client() {
    let _serial = serial();
    our_server_with_node_client("faye", "{}", &SIZES);
}

#[test]
fn our_client_with_ws_server() {
    let _serial = serial();
    our_client_with_node_server("ws", deflate_config(), &SIZES);
}

#[test]
fn our_client_with_faye_server() {
    let _serial = serial();
    our_client_with_node_server("faye", deflate_config(), &SIZES);
}

/// Node's `ws` asks for each combination of context takeover and window
/// sizes; our server grants it and echoes empty messages among others.
#[test]
fn our_server_with_ws_client_over_every_negotiation() {
    let _serial = serial();
    for deflate in [
        r#"{"clientNoContextTakeover": true}"#,
        r#"{"serverNoContextTakeover": true}"#,
        r#"{"clientNoContextTakeover": true, "serverNoContextTakeover": true}"#,
        r#"{"serverMaxWindowBits": 9, "clientMaxWindowBits": 9}"#,
        r#"{"serverMaxWindowBits": 10, "clientMaxWindowBits": 12, "serverNoContextTakeover": true}"#,
        r#"{"serverMaxWindowBits": 15, "clientMaxWindowBits": 9, "clientNoContextTakeover": true}"#,
    ] {
        let sizes: Vec<String> = SMALL_SIZES.iter().map(usize::to_string).collect();
        let options = format!(
            r#"{{"sizes": [{}], "deflate": {deflate}}}"#,
            sizes.join(",")
        );
        our_server_with_node_client("ws", &options, &SMALL_SIZES);
    }
}

/// Our client asks for each combination; Node's `ws` server grants it and
/// echoes empty messages among others.
#[test]
fn our_client_with_ws_server_over_every_negotiation() {
    let _serial = serial();
    let base = || deflate_config();
    for config in [
        base().no_context_takeover(true),
        base().request_no_context_takeover(true),
        base()
            .no_context_takeover(true)
            .request_no_context_takeover(true),
        base().max_window_bits(9).request_max_window_bits(9),
        base()
            .max_window_bits(12)
            .request_max_window_bits(10)
            .request_no_context_takeover(true),
        base().max_window_bits(9).no_context_takeover(true),
    ] {
        our_client_with_node_server("ws", config, &SMALL_SIZES);
    }
}

/// The relay's frame parser counts the same whatever the read sizes: a
/// handshake and compressed messages from our own drivers, fed whole, a
/// byte at a time and in uneven chunks.
#[test]
fn relay_scanner_handles_split_frames() {
    let mut client = deflate_driver(Driver::client("ws://127.0.0.1/", Options::default()).unwrap());
    let mut server = deflate_driver(Driver::server(Options::default()).unwrap());
    client.start();
    let mut upstream = client.take_output();
    server.parse(&upstream);
    assert_eq!(server.poll_event(), Some(Event::Connect));
    server.start();
    client.parse(&server.take_output());
    assert_eq!(client.poll_event(), Some(Event::Open));
    let mut rng = Rng::new();
    client.text(&make_text(70_000, &mut rng)).unwrap();
    client.binary(&make_binary(300, &mut rng)).unwrap();
    client.ping(b"ping").unwrap();
    client.binary(&[]).unwrap();
    client.close(1000, "bye").unwrap();
    upstream.extend(client.take_output());

    let scan = |chunks: &mut dyn Iterator<Item = usize>| {
        let mut scanner = Scanner::default();
        let mut rest = &upstream[..];
        while !rest.is_empty() {
            let n = chunks.next().unwrap().clamp(1, rest.len());
            scanner.feed(&rest[..n]);
            rest = &rest[n..];
        }
        scanner.seen
    };
    let whole = scan(&mut std::iter::repeat(usize::MAX));
    assert!(whole.head.starts_with("GET / HTTP/1.1\r\n"));
    assert_eq!(whole.parse_error, None);
    assert_eq!(
        (whole.data_frames, whole.rsv1_frames, whole.stray_rsv),
        (3, 3, 0)
    );
    assert_eq!(whole.frames.len(), 5);
    assert!(whole.close.as_deref().unwrap().starts_with(&[0x03, 0xe8]));
    let expected = whole.to_string();
    assert_eq!(scan(&mut std::iter::repeat(1)).to_string(), expected);
    let mut sizes = [1, 2, 3, 5, 7, 11, 13, 4096, 9].into_iter().cycle();
    assert_eq!(scan(&mut sizes).to_string(), expected);
}

/// Node client -> relay -> our echo server. `options` goes to the peer
/// script (its sizes must be `sizes`).
fn our_server_with_node_client(lib: &str, options: &str, sizes: &[usize]) {
    let script = peer_script();
    let (server_addr, server) = spawn_echo_server();
    let relay = Relay::start(server_addr);
    let url = format!("ws://{}/", relay.addr);
    let mut node = NodePeer::spawn(&script, &["client", lib, &url, options]);
    let status = node.wait(CONVERSATION_TIMEOUT);
    let (stdout, stderr) = node.output();
    if status.and_then(|s| s.code()) != Some(0) {
        // Fail now: the server and relay may still wait for a connection.
        panic!(
            "the node {lib} client failed (exit: {status:?})\n\
             node stdout:\n{stdout}\nnode stderr:\n{stderr}"
        );
    }
    let server = server.join().expect("the echo server thread panicked");
    let wire = relay.finish();
    let context = format!(
        "node {lib} client ({options}) -> relay -> our server\n\
         node exit: {status:?}\nnode stdout:\n{stdout}\nnode stderr:\n{stderr}\n\
         our server: {server:?}\nwire:\n{wire}"
    );
    let server = server.unwrap_or_else(|e| panic!("our server failed: {e}\n{context}"));
    assert!(
        server.errors.is_empty(),
        "our server reported errors\n{context}"
    );
    assert_eq!(
        server.echoed,
        2 * sizes.len(),
        "our server echoed the wrong number of messages\n{context}"
    );
    let close = server.close.as_ref().expect("the server loop ends closed");
    assert!(
        close.clean && close.code == 1000,
        "our server did not close cleanly with 1000\n{context}"
    );
    wire.check(sizes, &context);
    eprintln!("{context}");
}

/// Our client (with `config`) -> relay -> Node echo server.
fn our_client_with_node_server(lib: &str, config: DeflateConfig, sizes: &[usize]) {
    let script = peer_script();
    let port = free_port();
    let mut node = NodePeer::spawn(&script, &["server", lib, &port.to_string()]);
    node.wait_ready(Duration::from_secs(30));
    let relay = Relay::start(SocketAddr::from(([127, 0, 0, 1], port)));
    let url = format!("ws://{}/", relay.addr);
    let label = format!("{config:?}");
    let client = run_our_client(&url, relay.addr, config, sizes);
    // Our side is done: stopping the server ends the relay's copying too.
    node.kill();
    let wire = relay.finish();
    let (stdout, stderr) = node.output();
    let context = format!(
        "our client ({label}) -> relay -> node {lib} server\n\
         node stdout:\n{stdout}\nnode stderr:\n{stderr}\n\
         our client: {client:?}\nwire:\n{wire}"
    );
    let client = client.unwrap_or_else(|e| panic!("our client failed: {e}\n{context}"));
    assert!(
        client.extensions.starts_with("permessage-deflate"),
        "the node server did not accept permessage-deflate\n{context}"
    );
    assert!(
        client.failures.is_empty(),
        "our client saw wrong echoes or errors\n{context}"
    );
    assert_eq!(
        client.echoes,
        2 * sizes.len(),
        "our client got the wrong number of echoes\n{context}"
    );
    let close = client.close.as_ref().expect("the client loop ends closed");
    assert!(
        close.clean && close.code == 1000,
        "our client did not close cleanly with 1000\n{context}"
    );
    wire.check(sizes, &context);
    eprintln!("{context}");
}

// ------------------------------------------------------------- messages

/// A small xorshift generator: random enough for payloads, no dependency.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Rng(nanos | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// Text of exactly `len` bytes: repetitive lines (compressible) with runs of
/// random ASCII and some non-ASCII characters.
fn make_text(len: usize, rng: &mut Rng) -> String {
    const WORDS: [&str; 8] = [
        "deflate", "wsdriver", "héllo", "naïve", "über", "漢字", "🦀", "window",
    ];
    let mut out = String::with_capacity(len + 64);
    let mut line = 0usize;
    while out.len() < len {
        let piece = if line % 7 == 3 {
            (0..32)
                .map(|_| char::from(b'!' + (rng.next() % 94) as u8))
                .chain([' '])
                .collect::<String>()
        } else {
            format!(
                "line {line} {} {} the quick brown fox\n",
                WORDS[line % WORDS.len()],
                WORDS[line * 5 % WORDS.len()]
            )
        };
        line += 1;
        for ch in piece.chars() {
            if out.len() + ch.len_utf8() > len {
                while out.len() < len {
                    out.push('x');
                }
                break;
            }
            out.push(ch);
        }
    }
    assert_eq!(out.len(), len);
    out
}

/// Binary of exactly `len` bytes: a repeating pattern (compressible) with
/// runs of random bytes, starting with 0x00 and ending with 0xFF.
fn make_binary(len: usize, rng: &mut Rng) -> Vec<u8> {
    let mut out: Vec<u8> = (0..len).map(|i| (i * 7 + (i >> 8)) as u8).collect();
    let mut at = 100;
    while at + 64 <= len {
        for byte in &mut out[at..at + 64] {
            *byte = rng.next() as u8;
        }
        at += 4096;
    }
    if len > 0 {
        for byte in &mut out[len / 2..(len / 2 + 4).min(len)] {
            *byte = rng.next() as u8;
        }
        out[0] = 0x00;
        out[len - 1] = 0xff;
    }
    out
}

fn test_messages(sizes: &[usize]) -> Vec<(String, Message)> {
    let mut rng = Rng::new();
    let mut messages = Vec::new();
    for &size in sizes {
        let text = make_text(size, &mut rng);
        messages.push((format!("text {size} B"), Message::from(text)));
        let binary = make_binary(size, &mut rng);
        messages.push((format!("binary {size} B"), Message::from(binary)));
    }
    messages
}

fn describe(message: &Message) -> String {
    match message {
        Message::Text(text) => format!("text of {} bytes", text.len()),
        Message::Binary(bytes) => format!("binary of {} bytes", bytes.len()),
    }
}

// -------------------------------------------------------- our endpoints

fn deflate_config() -> DeflateConfig {
    DeflateConfig::default().threshold(0)
}

fn deflate_driver(driver: Driver) -> Driver {
    deflate_driver_with(driver, deflate_config())
}

fn deflate_driver_with(mut driver: Driver, config: DeflateConfig) -> Driver {
    let deflate = PerMessageDeflate::new(config).expect("valid deflate options");
    driver
        .add_extension(deflate)
        .expect("added before the handshake");
    driver
}

/// Runs `driver` over `stream` until it is closed, handing every event to
/// `on_event`. Fails if the conversation outlasts `deadline` or a write
/// fails; a read error counts as the transport closing.
fn drive(
    mut stream: TcpStream,
    driver: &mut Driver,
    deadline: Instant,
    mut on_event: impl FnMut(&mut Driver, Event),
) -> Result<(), String> {
    stream.set_nodelay(true).map_err(|e| e.to_string())?;
    stream
        .set_write_timeout(Some(IO_TIMEOUT))
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = driver.poll_event() {
            on_event(driver, event);
        }
        driver
            .write_output(&mut stream)
            .map_err(|e| format!("write failed: {e}"))?;
        if driver.ready_state() == ReadyState::Closed {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(format!(
                "timed out after {CONVERSATION_TIMEOUT:?} in state {:?}",
                driver.ready_state()
            ));
        }
        let wake = driver
            .next_deadline(now)
            .map_or(deadline, |at| at.min(deadline));
        let timeout = wake
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        stream
            .set_read_timeout(Some(timeout))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => driver.transport_closed(),
            Ok(n) => driver.parse(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                driver.handle_timeout(Instant::now())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => driver.transport_closed(),
        }
    }
}

#[derive(Debug, Default)]
struct ServerReport {
    echoed: usize,
    errors: Vec<String>,
    close: Option<CloseEvent>,
}

/// Our echo server for one connection, with permessage-deflate at
/// threshold 0: every message goes back with `driver.send(message)`.
fn spawn_echo_server() -> (SocketAddr, JoinHandle<Result<ServerReport, String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind the echo server");
    let addr = listener.local_addr().expect("the echo server's address");
    let handle = thread::spawn(move || {
        let deadline = Instant::now() + CONVERSATION_TIMEOUT;
        let stream = accept_before(&listener, deadline)?;
        let mut driver = deflate_driver(Driver::server(Options::default()).expect("options"));
        let mut report = ServerReport::default();
        drive(stream, &mut driver, deadline, |driver, event| match event {
            Event::Connect => {
                driver.start();
            }
            Event::Message(message) => match driver.send(message) {
                Ok(()) => report.echoed += 1,
                Err(e) => report.errors.push(format!("echo failed: {e}")),
            },
            Event::Close(close) => {
                if let Some(e) = &close.error {
                    report.errors.push(e.to_string());
                }
                report.close = Some(close);
            }
            _ => {}
        })?;
        Ok(report)
    });
    (addr, handle)
}

#[derive(Debug, Default)]
struct ClientReport {
    /// The server's `Sec-WebSocket-Extensions`.
    extensions: String,
    echoes: usize,
    failures: Vec<String>,
    close: Option<CloseEvent>,
}

/// Our client: sends each test message in turn, checks its echo, then
/// closes with 1000.
fn run_our_client(
    url: &str,
    addr: SocketAddr,
    config: DeflateConfig,
    sizes: &[usize],
) -> Result<ClientReport, String> {
    let deadline = Instant::now() + CONVERSATION_TIMEOUT;
    let messages = test_messages(sizes);
    let mut driver = deflate_driver_with(
        Driver::client(url, Options::default()).expect("valid URL"),
        config,
    );
    let stream = TcpStream::connect(addr).map_err(|e| format!("connect {addr}: {e}"))?;
    driver.start();
    let mut report = ClientReport::default();
    drive(stream, &mut driver, deadline, |driver, event| match event {
        Event::Open => {
            report.extensions = driver
                .headers()
                .and_then(|h| h.get("sec-websocket-extensions"))
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned();
            if let Err(e) = driver.send(messages[0].1.clone()) {
                report.failures.push(format!("send {}: {e}", messages[0].0));
            }
        }
        Event::Message(got) => {
            let Some((name, sent)) = messages.get(report.echoes) else {
                report
                    .failures
                    .push(format!("unexpected {} after the last echo", describe(&got)));
                return;
            };
            if got != *sent {
                let first_difference = got
                    .as_bytes()
                    .iter()
                    .zip(sent.as_bytes())
                    .position(|(a, b)| a != b);
                report.failures.push(format!(
                    "{name}: sent {}, got {} back (first differing byte: {first_difference:?})",
                    describe(sent),
                    describe(&got)
                ));
            }
            report.echoes += 1;
            let next = match messages.get(report.echoes) {
                Some((name, message)) => driver
                    .send(message.clone())
                    .map_err(|e| format!("send {name}: {e}")),
                None => driver.close(1000, "bye").map_err(|e| format!("close: {e}")),
            };
            if let Err(e) = next {
                report.failures.push(e);
            }
        }
        Event::Close(close) => {
            if let Some(e) = &close.error {
                report.failures.push(e.to_string());
            }
            report.close = Some(close);
        }
        _ => {}
    })?;
    Ok(report)
}

fn accept_before(listener: &TcpListener, deadline: Instant) -> Result<TcpStream, String> {
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false).map_err(|e| e.to_string())?;
                return Ok(stream);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err("nobody connected in time".into());
                }
                thread::sleep(Duration::from_millis(10));
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("accept: {e}")),
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

// ------------------------------------------------------------------ relay

/// One frame as seen on the wire.
#[derive(Clone, Copy)]
struct WireFrame {
    opcode: Result<Opcode, u8>,
    fin: bool,
    rsv: u8,
    payload_len: u64,
}

/// What one direction of a conversation carried.
#[derive(Default)]
struct Direction {
    /// The HTTP head (request or response).
    head: String,
    /// Data frames that start a message (text, binary).
    data_frames: usize,
    /// Of those, how many had RSV1 set.
    rsv1_frames: usize,
    /// Payload bytes of the data frames (as sent, compressed or not).
    data_payload: u64,
    continuation_frames: usize,
    /// Continuation or control frames with any RSV bit: never legal here.
    stray_rsv: usize,
    /// The close frame's payload, unmasked.
    close: Option<Vec<u8>>,
    frames: Vec<WireFrame>,
    /// Why parsing stopped, if it did.
    parse_error: Option<String>,
    /// A read or write error while copying (after the conversation ended,
    /// a reset is harmless).
    io_error: Option<String>,
    bytes: u64,
}

impl fmt::Display for WireFrame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let opcode = match self.opcode {
            Ok(opcode) => format!("{opcode:?}"),
            Err(bits) => format!("opcode {bits:#x}"),
        };
        let fin = if self.fin { "fin" } else { "more" };
        write!(
            f,
            "{opcode} {fin} rsv={:03b} payload={}",
            self.rsv, self.payload_len
        )
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  {}", self.head.trim_end().replace("\r\n", "\n  "))?;
        writeln!(
            f,
            "  {} bytes; {} data frames, {} with RSV1, {} data payload bytes, \
             {} continuation frames, {} stray RSV bits",
            self.bytes,
            self.data_frames,
            self.rsv1_frames,
            self.data_payload,
            self.continuation_frames,
            self.stray_rsv
        )?;
        for frame in &self.frames {
            writeln!(f, "    {frame}")?;
        }
        writeln!(f, "  close payload: {:?}", self.close)?;
        if let Some(error) = &self.parse_error {
            writeln!(f, "  parse error: {error}")?;
        }
        if let Some(error) = &self.io_error {
            writeln!(f, "  i/o: {error}")?;
        }
        Ok(())
    }
}

/// Parses one direction's bytes as they pass: the HTTP head, then frame
/// headers (which may be split across reads), skipping payloads.
#[derive(Default)]
struct Scanner {
    head_done: bool,
    /// Head bytes, or the start of a frame header.
    pending: Vec<u8>,
    /// Payload bytes still to skip.
    skip: u64,
    /// The close frame being collected, with its mask.
    collecting: Option<(Vec<u8>, Option<[u8; 4]>)>,
    seen: Direction,
}

impl Scanner {
    fn feed(&mut self, data: &[u8]) {
        self.seen.bytes += data.len() as u64;
        if self.seen.parse_error.is_some() {
            return;
        }
        if !self.head_done {
            let from = self.pending.len().saturating_sub(3);
            self.pending.extend_from_slice(data);
            let Some(at) = self.pending[from..]
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
            else {
                if self.pending.len() > 64 * 1024 {
                    self.seen.parse_error = Some("no end of the HTTP head in 64 KiB".into());
                }
                return;
            };
            let end = from + at + 4;
            let rest = self.pending.split_off(end);
            self.seen.head = String::from_utf8_lossy(&self.pending).into_owned();
            self.pending.clear();
            self.head_done = true;
            self.frames(&rest);
        } else {
            self.frames(data);
        }
    }

    fn frames(&mut self, mut data: &[u8]) {
        while !data.is_empty() {
            if self.skip > 0 {
                let n = (self.skip.min(data.len() as u64)) as usize;
                if let Some((payload, _)) = &mut self.collecting {
                    payload.extend_from_slice(&data[..n]);
                }
                self.skip -= n as u64;
                data = &data[n..];
                if self.skip == 0 {
                    self.finish_collecting();
                }
                continue;
            }
            let before = self.pending.len();
            let take = (MAX_HEADER_LEN - before).min(data.len());
            self.pending.extend_from_slice(&data[..take]);
            match FrameHeader::decode(&self.pending) {
                Ok((header, len)) => {
                    data = &data[len - before..];
                    self.pending.clear();
                    self.record(header);
                }
                Err(DecodeError::Incomplete) => data = &data[take..],
                Err(DecodeError::LengthTooLarge) => {
                    self.seen.parse_error = Some("a 64-bit length with the top bit set".into());
                    return;
                }
            }
        }
    }

    fn record(&mut self, header: FrameHeader) {
        self.seen.frames.push(WireFrame {
            opcode: header.opcode,
            fin: header.fin,
            rsv: header.rsv,
            payload_len: header.payload_len,
        });
        match header.opcode {
            Ok(Opcode::Text | Opcode::Binary) => {
                self.seen.data_frames += 1;
                self.seen.data_payload += header.payload_len;
                if header.rsv & RSV1 != 0 {
                    self.seen.rsv1_frames += 1;
                }
            }
            Ok(Opcode::Continuation) => {
                self.seen.continuation_frames += 1;
                self.seen.data_payload += header.payload_len;
                if header.rsv != 0 {
                    self.seen.stray_rsv += 1;
                }
            }
            Ok(control) => {
                if header.rsv != 0 {
                    self.seen.stray_rsv += 1;
                }
                if control == Opcode::Close {
                    self.collecting = Some((Vec::new(), header.mask));
                }
            }
            Err(_) => {}
        }
        self.skip = header.payload_len;
        if self.skip == 0 {
            self.finish_collecting();
        }
    }

    fn finish_collecting(&mut self) {
        if let Some((mut payload, mask)) = self.collecting.take() {
            if let Some(key) = mask {
                for (i, byte) in payload.iter_mut().enumerate() {
                    *byte ^= key[i % 4];
                }
            }
            self.seen.close.get_or_insert(payload);
        }
    }
}

/// A one-connection TCP relay between a client and `target`, recording
/// both directions.
struct Relay {
    addr: SocketAddr,
    handle: JoinHandle<Result<Wire, String>>,
}

/// Both directions of a relayed conversation.
struct Wire {
    client_to_server: Direction,
    server_to_client: Direction,
}

impl Relay {
    fn start(target: SocketAddr) -> Relay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let addr = listener.local_addr().expect("the relay's address");
        let handle = thread::spawn(move || {
            let client = accept_before(&listener, Instant::now() + CONVERSATION_TIMEOUT)?;
            let server = TcpStream::connect_timeout(&target, IO_TIMEOUT)
                .map_err(|e| format!("relay: connect {target}: {e}"))?;
            for stream in [&client, &server] {
                stream.set_nodelay(true).map_err(|e| e.to_string())?;
                stream
                    .set_read_timeout(Some(IO_TIMEOUT))
                    .map_err(|e| e.to_string())?;
                stream
                    .set_write_timeout(Some(IO_TIMEOUT))
                    .map_err(|e| e.to_string())?;
            }
            let clone = |s: &TcpStream| s.try_clone().map_err(|e| e.to_string());
            let (c1, s1) = (clone(&client)?, clone(&server)?);
            let up = thread::spawn(move || pump(c1, s1));
            let down = thread::spawn(move || pump(server, client));
            Ok(Wire {
                client_to_server: up.join().map_err(|_| "relay thread panicked")?,
                server_to_client: down.join().map_err(|_| "relay thread panicked")?,
            })
        });
        Relay { addr, handle }
    }

    fn finish(self) -> Wire {
        match self.handle.join() {
            Ok(Ok(wire)) => wire,
            Ok(Err(e)) => panic!("relay failed: {e}"),
            Err(_) => panic!("relay thread panicked"),
        }
    }
}

/// Copies `from` to `to` until `from` ends, then passes the end on.
fn pump(mut from: TcpStream, mut to: TcpStream) -> Direction {
    let mut scanner = Scanner::default();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) => {
                let _ = to.shutdown(Shutdown::Write);
                break;
            }
            Ok(n) => {
                scanner.feed(&buf[..n]);
                if let Err(e) = to.write_all(&buf[..n]) {
                    scanner.seen.io_error = Some(format!("write: {e}"));
                    let _ = from.shutdown(Shutdown::Read);
                    break;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                scanner.seen.io_error = Some(format!("read: {e}"));
                let _ = to.shutdown(Shutdown::Write);
                break;
            }
        }
    }
    scanner.seen
}

impl fmt::Display for Wire {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, " client -> server:")?;
        write!(f, "{}", self.client_to_server)?;
        writeln!(f, " server -> client:")?;
        write!(f, "{}", self.server_to_client)
    }
}

impl Wire {
    /// Both heads name permessage-deflate, and in both directions every
    /// data frame had RSV1, nothing else had an RSV bit, and a close 1000
    /// passed. With a small window (9 bits) the test data compresses little: the
    /// runs over every negotiation ask only for fewer bytes than sent.
    fn check(&self, sizes: &[usize], context: &str) {
        let shrink = if sizes == SIZES { 2 } else { 1 };
        let offer = header_value(&self.client_to_server.head, "sec-websocket-extensions");
        assert!(
            offer.is_some_and(|v| v.contains("permessage-deflate")),
            "the client did not offer permessage-deflate\n{context}"
        );
        let answer = header_value(&self.server_to_client.head, "sec-websocket-extensions");
        assert!(
            answer.is_some_and(|v| v.trim_start().starts_with("permessage-deflate")),
            "the server did not accept permessage-deflate\n{context}"
        );
        for (name, direction) in [
            ("client -> server", &self.client_to_server),
            ("server -> client", &self.server_to_client),
        ] {
            assert_eq!(
                direction.parse_error, None,
                "{name}: the relay could not parse the frames\n{context}"
            );
            assert_eq!(
                direction.data_frames,
                2 * sizes.len(),
                "{name}: expected a data frame per message\n{context}"
            );
            assert_eq!(
                direction.rsv1_frames, direction.data_frames,
                "{name}: not every data frame had RSV1 (was compressed)\n{context}"
            );
            assert_eq!(
                direction.stray_rsv, 0,
                "{name}: RSV bits on a continuation or control frame\n{context}"
            );
            let plain: u64 = sizes.iter().map(|&s| 2 * s as u64).sum();
            assert!(
                direction.data_payload < plain / shrink,
                "{name}: {} payload bytes on the wire for {plain} bytes of messages: \
                 hardly compressed\n{context}",
                direction.data_payload
            );
            let close = direction.close.as_deref().unwrap_or(&[]);
            assert!(
                close.starts_with(&1000u16.to_be_bytes()),
                "{name}: no close frame with 1000 (got {close:?})\n{context}"
            );
        }
    }
}

/// A header's value in an HTTP head (first occurrence, any case).
fn header_value<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.trim().eq_ignore_ascii_case(name).then(|| value.trim())
    })
}

// ------------------------------------------------------------------- node

/// tools/node/deflate_peer.js, after checking the peers are installed.
fn peer_script() -> PathBuf {
    let node_dir = Path::new(WORKSPACE).join("tools/node");
    let script = node_dir.join("deflate_peer.js");
    assert!(
        script.is_file(),
        "{} is missing (it is part of the repository)",
        script.display()
    );
    for package in NODE_PACKAGES {
        let manifest = node_dir
            .join("node_modules")
            .join(package)
            .join("package.json");
        assert!(
            manifest.is_file(),
            "the Node peer `{package}` is not installed ({} is missing): run tools/peers.sh",
            manifest.display()
        );
    }
    script
}

/// A Node process running the peer script; killed (by its own handle) when
/// dropped.
struct NodePeer {
    child: Child,
    stdout: Arc<Mutex<String>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl NodePeer {
    fn spawn(script: &Path, args: &[&str]) -> NodePeer {
        let mut child = Command::new("node")
            .arg(script)
            .args(args)
            .current_dir(Path::new(WORKSPACE))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `node` ({e}): install Node.js >= 18 and run tools/peers.sh")
            });
        let stdout = Arc::new(Mutex::new(String::new()));
        let stderr = Arc::new(Mutex::new(String::new()));
        let readers = vec![
            collect(child.stdout.take().expect("piped"), Arc::clone(&stdout)),
            collect(child.stderr.take().expect("piped"), Arc::clone(&stderr)),
        ];
        NodePeer {
            child,
            stdout,
            stderr,
            readers,
        }
    }

    /// Waits until the server prints `ready`.
    fn wait_ready(&mut self, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        loop {
            if self
                .stdout
                .lock()
                .expect("stdout lock")
                .lines()
                .any(|l| l.trim() == "ready")
            {
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                let (stdout, stderr) = self.output();
                panic!("the node server exited ({status}) before it was ready\n{stdout}{stderr}");
            }
            if Instant::now() >= deadline {
                self.kill();
                let (stdout, stderr) = self.output();
                panic!("the node server was not ready after {timeout:?}\n{stdout}{stderr}");
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits for the process to exit; `None` if it had to be killed.
    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            match self.child.try_wait() {
                Ok(Some(status)) => return Some(status),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                _ => {
                    self.kill();
                    return None;
                }
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Everything the process printed; waits for its pipes to close, so
    /// call it once the process has ended.
    fn output(&mut self) -> (String, String) {
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let stdout = self.stdout.lock().expect("stdout lock").clone();
        let stderr = self.stderr.lock().expect("stderr lock").clone();
        (stdout, stderr)
    }
}

impl Drop for NodePeer {
    fn drop(&mut self) {
        self.kill();
    }
}

fn collect(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<String>>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => into
                    .lock()
                    .expect("output lock")
                    .push_str(&String::from_utf8_lossy(&buf[..n])),
            }
        }
    })
}
