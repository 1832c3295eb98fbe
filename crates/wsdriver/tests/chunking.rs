//! Property tests: however the transport cuts the input, the driver sees
//! the same events and writes the same bytes; and no input, however
//! broken, makes it panic or end in a state it should not.

mod common;

use common::*;
use proptest::prelude::*;
use wsdriver::{CloseEvent, Driver, Error, Event, Message, Options, ReadyState};

/// `cases` cases; a failing case is saved next to this file
/// (`chunking.proptest-regressions`) and replayed first on the next run.
fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    }
}

/// What a driver did with some input: its events and its output.
#[derive(Debug, PartialEq, Eq)]
struct Run {
    events: Vec<Event>,
    output: Vec<u8>,
    state: ReadyState,
}

/// Feeds `input` to `driver` cut at `cuts` (sorted or not, any values),
/// answering `Connect` with `start`, and collects everything.
fn run(mut driver: Driver, input: &[u8], cuts: &[usize]) -> Run {
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.push(0);
    cuts.push(input.len());
    cuts.sort_unstable();
    cuts.dedup();
    let mut events = Vec::new();
    let mut output = Vec::new();
    for window in cuts.windows(2) {
        driver.parse(&input[window[0]..window[1]]);
        while let Some(event) = driver.poll_event() {
            if event == Event::Connect {
                driver.start();
            }
            events.push(event);
            assert!(events.len() < 100_000);
        }
        output.extend(driver.take_output());
    }
    Run {
        events,
        output,
        state: driver.ready_state(),
    }
}

/// A client's whole conversation: handshake, then every kind of frame, a
/// close, and bytes after the close that must be ignored.
fn recorded_stream() -> Vec<u8> {
    let text = "κόσμε 𝄞 €uro ✓".as_bytes();
    let mut input = request(&[]);
    input.extend(frames(&[
        Frame::text("Hello").masked([1, 2, 3, 4]),
        Frame::binary(vec![0xab; 300]).masked([0xff, 0, 0xff, 0]),
        Frame::ping("p1").masked([9, 9, 9, 9]),
        Frame::text(&text[..3]).fin(false).masked([5, 6, 7, 8]),
        Frame::ping("").masked([1, 1, 1, 1]),
        Frame::cont(&text[3..9])
            .fin(false)
            .masked([0x80, 0x81, 0x82, 0x83]),
        Frame::pong("unsolicited"),
        Frame::cont(&text[9..]),
        Frame::text(""),
        Frame::binary(vec![7; 70_000]).masked([0x12, 0x34, 0x56, 0x78]),
        Frame::binary([1]).fin(false),
        Frame::cont([]).fin(false),
        Frame::ping(vec![b'x'; 125]),
        Frame::cont([2, 3]),
        Frame::text("𝄞".repeat(40)).masked([0xf0, 0x9d, 0x84, 0x9e]),
        Frame::close(1000, "bye"),
        Frame::text("after the close"),
    ]));
    input.extend_from_slice(b"\xff\xff garbage after the close");
    input
}

/// The events the recorded stream must give, fed whole.
fn recorded_events() -> Vec<Event> {
    use wsdriver::Bytes;
    vec![
        Event::Connect,
        Event::Open,
        text_event("Hello"),
        binary_event(&[0xab; 300]),
        Event::Ping(Bytes::from_static(b"p1")),
        Event::Ping(Bytes::new()),
        Event::Pong {
            payload: Bytes::from_static(b"unsolicited"),
            ping: None,
        },
        text_event("κόσμε 𝄞 €uro ✓"),
        text_event(""),
        binary_event(&[7; 70_000]),
        Event::Ping(Bytes::from(vec![b'x'; 125])),
        binary_event(&[1, 2, 3]),
        text_event(&"𝄞".repeat(40)),
        close_event(1000, "bye", true),
    ]
}

#[test]
fn recorded_stream_fed_whole_gives_the_expected_events_and_output() {
    let whole = run(
        Driver::server(Options::default()).unwrap(),
        &recorded_stream(),
        &[],
    );
    assert_eq!(whole.events, recorded_events());
    let mut expected = RESPONSE_101.as_bytes().to_vec();
    expected.extend_from_slice(b"\x8a\x02p1\x8a\x00\x8a\x7d");
    expected.extend_from_slice(&[b'x'; 125]);
    expected.extend_from_slice(b"\x88\x02\x03\xe8");
    assert_eq!(whole.output, expected);
    assert_eq!(whole.state, ReadyState::Closed);
}

#[test]
fn recorded_stream_fed_byte_by_byte_gives_the_same_run() {
    let input = recorded_stream();
    let whole = run(Driver::server(Options::default()).unwrap(), &input, &[]);
    let cuts: Vec<usize> = (0..input.len()).collect();
    let bytewise = run(Driver::server(Options::default()).unwrap(), &input, &cuts);
    assert_eq!(bytewise, whole);
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn any_chunking_of_a_recorded_stream_gives_the_same_events_and_output(
        cuts in prop::collection::vec(0usize..80_000, 0..200),
        // many cuts in the first few hundred bytes, where the head and the
        // small frames are
        early in prop::collection::vec(0usize..900, 0..100),
    ) {
        let input = recorded_stream();
        let whole = run(Driver::server(Options::default()).unwrap(), &input, &[]);
        let all: Vec<usize> = cuts.into_iter().chain(early).collect();
        let chunked = run(Driver::server(Options::default()).unwrap(), &input, &all);
        prop_assert_eq!(&chunked.events, &whole.events);
        prop_assert_eq!(chunked.output, whole.output);
        prop_assert_eq!(chunked.state, whole.state);
    }
}

/// A client's run over the server's side of a conversation: the `101`
/// (for this client's key), frames of every kind, a close. Client output is
/// masked with random keys, so it is compared decoded.
/// A client's events, the frames it sent as `(opcode, unmasked payload)`,
/// and its final state.
type ClientRun = (Vec<Event>, Vec<(u8, Vec<u8>)>, ReadyState);

fn client_run(cuts: &[usize]) -> ClientRun {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    client.start();
    let key = key_from_request(&client.take_output());
    let text = "κόσμε 𝄞 €uro ✓".as_bytes();
    let mut input = response_101(&key, &[]);
    input.extend(frames(&[
        Frame::text("Hello").unmasked(),
        Frame::text(&text[..5]).fin(false).unmasked(),
        Frame::ping("p").unmasked(),
        Frame::cont(&text[5..]).unmasked(),
        Frame::binary(vec![9; 1000]).unmasked(),
        Frame::close(1001, "going").unmasked(),
    ]));
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.extend([0, input.len()]);
    cuts.sort_unstable();
    cuts.dedup();
    let mut events = Vec::new();
    let mut output = Vec::new();
    for window in cuts.windows(2) {
        events.extend(feed(&mut client, &input[window[0]..window[1]]));
        output.extend(client.take_output());
    }
    let sent = decode_frames(&output)
        .into_iter()
        .map(|f| {
            assert!(f.mask.is_some());
            (f.opcode, f.payload)
        })
        .collect();
    (events, sent, client.ready_state())
}

#[test]
fn client_recorded_stream_gives_the_expected_events() {
    let (events, sent, state) = client_run(&[]);
    assert_eq!(
        events,
        [
            Event::Open,
            text_event("Hello"),
            Event::Ping(wsdriver::Bytes::from_static(b"p")),
            text_event("κόσμε 𝄞 €uro ✓"),
            binary_event(&[9; 1000]),
            close_event(1001, "going", true),
        ]
    );
    assert_eq!(sent, [(PONG, b"p".to_vec()), (CLOSE, vec![0x03, 0xe9])]);
    assert_eq!(state, ReadyState::Closed);
}

proptest! {
    #![proptest_config(config(128))]

    #[test]
    fn any_chunking_of_a_client_stream_gives_the_same_events(
        cuts in prop::collection::vec(0usize..1300, 0..100),
    ) {
        prop_assert_eq!(client_run(&cuts), client_run(&[]));
    }
}

// ---- arbitrary input after a handshake ---------------------------------

/// A frame with any fields: mostly plausible, sometimes nonsense, so that
/// the input gets past the first checks often enough to reach the others.
/// `masked` is what the reader expects (a server expects masked frames).
fn arbitrary_frame(masked: bool) -> impl Strategy<Value = Vec<u8>> {
    let opcode = prop_oneof![
        8 => prop::sample::select(vec![TEXT, BINARY]),
        4 => prop::sample::select(vec![PING, PONG]),
        1 => Just(CLOSE),
        1 => Just(CONTINUATION),
        1 => 0u8..16,
    ];
    let fin = prop_oneof![10 => Just(true), 1 => Just(false)];
    let rsv = prop_oneof![30 => Just(0u8), 1 => 0u8..8];
    let mask = prop_oneof![
        30 => any::<[u8; 4]>().prop_map(move |key| masked.then_some(key)),
        1 => any::<[u8; 4]>().prop_map(move |key| (!masked).then_some(key)),
    ];
    let payload = prop_oneof![
        6 => ".{0,40}".prop_map(String::into_bytes),
        1 => prop::collection::vec(any::<u8>(), 0..40),
        2 => (any::<u16>(), ".{0,20}").prop_map(|(code, reason)| {
            let mut payload = code.to_be_bytes().to_vec();
            payload.extend(reason.into_bytes());
            payload
        }),
        1 => prop::sample::select(vec![
            vec![0x03, 0xe8],
            vec![0x03, 0xe9, b'x'],
            vec![0x0b, 0xb8],
            vec![0x03],
            vec![0xff],
            vec![0xed, 0xa0, 0x80],
        ]),
        1 => prop::collection::vec(any::<u8>(), 100..300),
    ];
    let claimed = prop_oneof![
        40 => Just(None),
        1 => any::<u64>().prop_map(Some),
        1 => (0u64..200).prop_map(Some),
    ];
    let truncate = prop_oneof![40 => Just(None), 1 => (0usize..20).prop_map(Some)];
    // most close frames are valid ones, so the clean path is reached too
    let close = prop_oneof![
        3 => (
            prop::sample::select(vec![1000u16, 1001, 1003, 1008, 1011, 1014, 3000, 4999]),
            ".{0,20}",
        )
            .prop_map(|(code, reason)| Some(Frame::close(code, reason).payload)),
        1 => Just(Some(Vec::new())),
        1 => Just(None),
    ];
    (fin, rsv, opcode, mask, payload, claimed, truncate, close).prop_map(
        |(fin, rsv, opcode, mask, payload, claimed_len, truncate, close)| {
            let payload = match close {
                Some(close) if opcode == CLOSE => close,
                _ => payload,
            };
            let frame = Frame {
                fin,
                rsv,
                opcode,
                mask,
                payload,
                claimed_len,
            };
            let mut bytes = frame.encode();
            if let Some(cut) = truncate {
                bytes.truncate(cut);
            }
            bytes
        },
    )
}

/// A well-formed fragmented text message (any text, cut anywhere, even
/// inside a character) with pings between the fragments.
fn fragmented_text(masked: bool) -> impl Strategy<Value = Vec<u8>> {
    (
        ".{0,30}",
        prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        prop::collection::vec(any::<bool>(), 0..4),
    )
        .prop_map(move |(text, cuts, pings)| {
            let bytes = text.as_bytes();
            let mut cuts: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            cuts.sort_unstable();
            let mut bounds = vec![0];
            bounds.extend(cuts);
            bounds.push(bytes.len());
            let pieces = bounds.len() - 1;
            let mut out = Vec::new();
            for i in 0..pieces {
                let opcode = if i == 0 { TEXT } else { CONTINUATION };
                let mut frame =
                    Frame::new(opcode, &bytes[bounds[i]..bounds[i + 1]]).fin(i + 1 == pieces);
                if !masked {
                    frame = frame.unmasked();
                }
                out.extend(frame.encode());
                if pings.get(i) == Some(&true) && i + 1 < pieces {
                    let mut ping = Frame::ping("between");
                    if !masked {
                        ping = ping.unmasked();
                    }
                    out.extend(ping.encode());
                }
            }
            out
        })
}

/// Frames, raw bytes, or both, for a reader that expects `masked` frames.
fn arbitrary_input(masked: bool) -> impl Strategy<Value = Vec<u8>> {
    let item = prop_oneof![
        6 => arbitrary_frame(masked),
        1 => fragmented_text(masked),
    ];
    prop_oneof![
        6 => prop::collection::vec(item, 0..12).prop_map(|f| f.concat()),
        1 => prop::collection::vec(any::<u8>(), 0..600),
        1 => (
            prop::collection::vec(arbitrary_frame(masked), 0..6),
            prop::collection::vec(any::<u8>(), 0..64),
        )
            .prop_map(|(f, tail)| {
                let mut bytes = f.concat();
                bytes.extend(tail);
                bytes
            }),
    ]
}

/// Which driver reads the input.
#[derive(Debug, Clone, Copy)]
enum Peer {
    Server,
    LaxServer,
    Client,
}

fn opened(peer: Peer, max_length: usize) -> Driver {
    let options = Options::default().max_length(max_length);
    match peer {
        Peer::Server => open_server(options),
        Peer::LaxServer => open_server(options.require_masking(false)),
        Peer::Client => open_client("ws://example.com/", options),
    }
}

/// What must hold after any input: no half-closed state (we never called
/// close), every failure reported as Error then Close with a failure code,
/// every clean close with a code the peer may send, nothing after Close, and
/// every frame written well-formed.
fn check_invariants(peer: Peer, max_length: usize, run: &Run) -> Result<(), TestCaseError> {
    let closes: Vec<usize> = run
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| matches!(e, Event::Close(_)))
        .map(|(i, _)| i)
        .collect();
    match run.state {
        ReadyState::Open => {
            prop_assert!(closes.is_empty(), "{:?}", run.events);
            prop_assert!(
                !run.events.iter().any(|e| matches!(e, Event::Unsent(_))),
                "{:?}",
                run.events
            );
        }
        ReadyState::Closed => {
            prop_assert_eq!(closes.len(), 1, "{:?}", run.events);
            prop_assert_eq!(closes[0], run.events.len() - 1, "Close is the last event");
            let Event::Close(CloseEvent {
                code, clean, error, ..
            }) = &run.events[closes[0]]
            else {
                unreachable!()
            };
            if *clean {
                prop_assert!(*code == 1005 || code.is_valid_received(), "code {}", code);
                prop_assert!(error.is_none());
            } else {
                prop_assert!(matches!(code.as_u16(), 1002 | 1007 | 1009), "code {}", code);
                let is_matching_error = matches!(
                    error.as_deref(),
                    Some(Error::Protocol { code: c, .. }) if c == code
                );
                prop_assert!(is_matching_error, "{:?}", run.events);
            }
        }
        state => prop_assert!(false, "ended {:?} without calling close", state),
    }
    for event in &run.events {
        if let Event::Message(message) = event {
            prop_assert!(message.as_bytes().len() <= max_length);
            if let Message::Text(text) = message {
                prop_assert!(std::str::from_utf8(text.as_bytes()).is_ok());
            }
        }
    }
    // Everything written decodes as whole frames: pongs, then maybe one close.
    let sent = decode_frames(&run.output);
    for (i, frame) in sent.iter().enumerate() {
        prop_assert_eq!(frame.mask.is_some(), matches!(peer, Peer::Client));
        prop_assert!(frame.fin && frame.rsv == 0);
        prop_assert!(frame.payload.len() <= 125);
        match frame.opcode {
            PONG => {}
            CLOSE => prop_assert_eq!(i, sent.len() - 1, "the close frame is the last"),
            other => prop_assert!(false, "unexpected opcode {}", other),
        }
    }
    Ok(())
}

fn run_opened(peer: Peer, max_length: usize, input: &[u8], cuts: &[usize]) -> Run {
    let mut driver = opened(peer, max_length);
    let mut run = Run {
        events: Vec::new(),
        output: Vec::new(),
        state: ReadyState::Open,
    };
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    cuts.extend([0, input.len()]);
    cuts.sort_unstable();
    cuts.dedup();
    for window in cuts.windows(2) {
        run.events
            .extend(feed(&mut driver, &input[window[0]..window[1]]));
        run.output.extend(driver.take_output());
    }
    run.state = driver.ready_state();
    run
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn arbitrary_bytes_after_a_handshake_never_panic_and_end_sensibly(
        (peer, input) in prop::sample::select(vec![Peer::Server, Peer::LaxServer, Peer::Client])
            .prop_flat_map(|peer| (Just(peer), arbitrary_input(!matches!(peer, Peer::Client)))),
        cuts in prop::collection::vec(0usize..4000, 0..40),
        max_length in prop_oneof![Just(wsdriver::DEFAULT_MAX_LENGTH), 1usize..200],
    ) {
        let whole = run_opened(peer, max_length, &input, &[]);
        check_invariants(peer, max_length, &whole)?;
        // and the cuts change nothing, however broken the input
        let chunked = run_opened(peer, max_length, &input, &cuts);
        prop_assert_eq!(&chunked.events, &whole.events);
        prop_assert_eq!(chunked.state, whole.state);
        if !matches!(peer, Peer::Client) {
            // server output is unmasked, so deterministic
            prop_assert_eq!(chunked.output, whole.output);
        } else {
            let strip = |bytes: &[u8]| {
                decode_frames(bytes)
                    .into_iter()
                    .map(|f| (f.opcode, f.payload))
                    .collect::<Vec<_>>()
            };
            prop_assert_eq!(strip(&chunked.output), strip(&whole.output));
        }
    }
}

// ---- arbitrary handshake heads -----------------------------------------

/// The `max_handshake_size` the head properties use, so that long heads
/// are common.
const MAX_HEAD: usize = 256;

/// Random bytes, or a request line and header lines of random text (with
/// or without the upgrade headers).
fn arbitrary_request_head() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        (
            prop::sample::select(vec!["GET", "POST", "get", "G\u{e9}T", ""]),
            "[ -~]{0,30}",
            prop::collection::vec(("[!-~]{0,20}", "[ -~\u{80}-\u{ff}]{0,40}"), 0..10),
            any::<bool>(),
        )
            .prop_map(|(method, target, headers, websocket)| {
                let mut lines = format!("{method} {target} HTTP/1.1\r\n");
                if websocket {
                    for (name, value) in upgrade_headers() {
                        lines.push_str(&format!("{name}: {value}\r\n"));
                    }
                }
                for (name, value) in headers {
                    lines.push_str(&format!("{name}: {value}\r\n"));
                }
                lines.push_str("\r\n");
                lines.into_bytes()
            }),
    ]
}

/// Random bytes, or a status line and header lines of random text.
fn arbitrary_response_head() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..400),
        (
            prop::sample::select(vec!["101", "200", "404", "1", "999", "abc"]),
            prop::collection::vec(("[!-~]{0,20}", "[ -~]{0,40}"), 0..8),
        )
            .prop_map(|(status, headers)| {
                let mut lines = format!("HTTP/1.1 {status} Whatever\r\n");
                for (name, value) in headers {
                    lines.push_str(&format!("{name}: {value}\r\n"));
                }
                lines.push_str("\r\n");
                lines.into_bytes()
            }),
    ]
}

/// A request and a response head that pass `MAX_HEAD` with well-formed
/// lines and turn malformed somewhere after it.
fn long_malformed_heads() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
    (
        200usize..320,
        prop::sample::select(vec![b'[', b'"', b'(', b' ', b'\x01', b'\xff']),
    )
        .prop_map(|(pad, bad)| {
            let tail = |start: &[u8]| {
                let mut head = start.to_vec();
                head.extend(std::iter::repeat_n(b'a', pad));
                head.extend_from_slice(b"\r\nBad");
                head.push(bad);
                head.extend_from_slice(b": x\r\n\r\n");
                head
            };
            (
                tail(b"GET / HTTP/1.1\r\nHost: a\r\nX-Pad: "),
                tail(b"HTTP/1.1 101 Switching Protocols\r\nX-Pad: "),
            )
        })
}

fn server_head_run(input: &[u8], cuts: &[usize]) -> Run {
    let options = Options::default().max_handshake_size(MAX_HEAD);
    run(Driver::server(options).unwrap(), input, cuts)
}

/// What a raw server may do with any head: wait, answer `Connect` (then
/// open or refuse), or refuse the head itself; never anything else.
fn check_server_head_run(run: &Run) -> Result<(), TestCaseError> {
    let events = &run.events;
    match events.first() {
        None => {
            prop_assert_eq!(run.state, ReadyState::Connecting);
            prop_assert!(run.output.is_empty());
        }
        Some(Event::Connect) => {
            // start was called: opened, or refused with error + close
            match &events[1..] {
                [Event::Open] => {
                    prop_assert_eq!(run.state, ReadyState::Open);
                    prop_assert!(run
                        .output
                        .starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
                }
                [Event::Close(close)] => {
                    let Some(Error::BadRequest { status, .. }) = close.error.as_deref() else {
                        panic!("{close:?}")
                    };
                    prop_assert!(matches!(status, 400 | 405 | 426));
                    prop_assert_eq!(close.code.as_u16(), 1002);
                    prop_assert!(!close.clean);
                    prop_assert_eq!(run.state, ReadyState::Closed);
                    let status_line = format!("HTTP/1.1 {status} ");
                    prop_assert!(run.output.starts_with(status_line.as_bytes()));
                }
                other => prop_assert!(false, "after start: {:?}", other),
            }
        }
        Some(Event::Close(close)) => {
            let Some(Error::BadRequest { status, .. }) = close.error.as_deref() else {
                panic!("{close:?}")
            };
            prop_assert!(matches!(status, 400 | 431));
            prop_assert_eq!(events.len(), 1, "{:?}", events);
            prop_assert_eq!(close.code, wsdriver::CloseCode::PROTOCOL_ERROR);
            prop_assert!(!close.clean);
            prop_assert_eq!(run.state, ReadyState::Closed);
            let status_line = format!("HTTP/1.1 {status} ");
            prop_assert!(run.output.starts_with(status_line.as_bytes()));
        }
        Some(other) => prop_assert!(false, "first event {:?}", other),
    }
    Ok(())
}

/// A started client fed `input` as a response, cut at `cuts`.
fn client_head_run(input: &[u8], cuts: &[usize]) -> (Vec<Event>, ReadyState, bool) {
    let options = Options::default().max_handshake_size(MAX_HEAD);
    let mut client = Driver::client("ws://example.com/", options).unwrap();
    client.start();
    client.take_output();
    let mut events = Vec::new();
    let mut last = 0;
    let mut all: Vec<usize> = cuts.iter().map(|&c| c.min(input.len())).collect();
    all.push(input.len());
    all.sort_unstable();
    for cut in all {
        events.extend(feed(&mut client, &input[last..cut]));
        last = cut;
    }
    (events, client.ready_state(), client.has_output())
}

/// A random response never carries the right accept key: the client waits
/// or fails the handshake, and sends nothing either way.
fn check_client_head_run(
    (events, state, has_output): &(Vec<Event>, ReadyState, bool),
) -> Result<(), TestCaseError> {
    match events.as_slice() {
        [] => prop_assert_eq!(*state, ReadyState::Connecting),
        [Event::Close(close)] => {
            prop_assert!(matches!(close.error.as_deref(), Some(Error::Handshake(_))));
            prop_assert_eq!(close.code.as_u16(), 1002);
            prop_assert!(close
                .reason
                .starts_with("Error during WebSocket handshake: "));
            prop_assert_eq!(*state, ReadyState::Closed);
        }
        other => prop_assert!(false, "{:?}", other),
    }
    prop_assert!(!has_output);
    Ok(())
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn arbitrary_request_heads_never_panic(
        input in arbitrary_request_head(),
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        let whole = server_head_run(&input, &[]);
        check_server_head_run(&whole)?;
        let chunked = server_head_run(&input, &cuts);
        check_server_head_run(&chunked)?;
        // Past MAX_HEAD the outcome may depend on the cuts: see
        // any_chunking_of_a_long_head_gives_the_same_outcome.
        if input.len() <= MAX_HEAD {
            prop_assert_eq!(&chunked, &whole);
        }
    }

    #[test]
    fn arbitrary_response_heads_never_panic(
        input in arbitrary_response_head(),
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        let whole = client_head_run(&input, &[]);
        check_client_head_run(&whole)?;
        let chunked = client_head_run(&input, &cuts);
        check_client_head_run(&chunked)?;
        if input.len() <= MAX_HEAD {
            prop_assert_eq!(&chunked, &whole);
        }
    }

    #[test]
    fn any_chunking_of_a_long_head_gives_the_same_outcome(
        (input, response) in prop_oneof![
            (arbitrary_request_head(), arbitrary_response_head()),
            long_malformed_heads(),
        ],
        cuts in prop::collection::vec(0usize..400, 0..10),
    ) {
        prop_assert_eq!(server_head_run(&input, &cuts), server_head_run(&input, &[]));
        prop_assert_eq!(client_head_run(&response, &cuts), client_head_run(&response, &[]));
    }
}
