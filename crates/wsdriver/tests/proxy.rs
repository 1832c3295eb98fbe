//! The HTTP CONNECT proxy: the exact request, every kind of answer, and a
//! real tunnel over TCP (a tiny proxy in front of a tiny echo server).

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use wsdriver::{
    CloseEvent, Driver, Error, Event, Machine, Message, Options, Proxy, ProxyEvent, ReadyState,
};

const TARGET: &str = "ws://example.com/chat";
const PROXY: &str = "http://proxy.example.com:3128";

fn connect_request(target: &str, proxy: &str) -> String {
    let mut p = Proxy::new(target, proxy).unwrap();
    assert!(p.start());
    String::from_utf8(p.take_output()).unwrap()
}

fn started(target: &str) -> Proxy {
    let mut p = Proxy::new(target, PROXY).unwrap();
    assert!(p.start());
    p.take_output();
    p
}

fn expect_error(event: Option<ProxyEvent>) -> Error {
    match event {
        Some(ProxyEvent::Error(error)) => error,
        other => panic!("expected an error, got {other:?}"),
    }
}

// ---- the CONNECT request ----------------------------------------------

#[test]
fn connect_request_ws_default_port() {
    assert_eq!(
        connect_request(TARGET, PROXY),
        "CONNECT example.com:80 HTTP/1.1\r\n\
         Host: example.com:80\r\n\
         Connection: keep-alive\r\n\
         Proxy-Connection: keep-alive\r\n\
         \r\n"
    );
    // the target's path, query and an explicit default port change nothing
    assert_eq!(
        connect_request("ws://example.com:80/a/b?c=d", PROXY),
        connect_request(TARGET, PROXY)
    );
}

#[test]
fn connect_request_wss_default_port() {
    assert_eq!(
        connect_request(
            "wss://secure.example.com/socket",
            "https://proxy.example.com"
        ),
        "CONNECT secure.example.com:443 HTTP/1.1\r\n\
         Host: secure.example.com:443\r\n\
         Connection: keep-alive\r\n\
         Proxy-Connection: keep-alive\r\n\
         \r\n"
    );
}

#[test]
fn connect_request_explicit_port() {
    assert_eq!(
        connect_request("ws://example.com:8080/", PROXY),
        "CONNECT example.com:8080 HTTP/1.1\r\n\
         Host: example.com:8080\r\n\
         Connection: keep-alive\r\n\
         Proxy-Connection: keep-alive\r\n\
         \r\n"
    );
    assert!(connect_request("wss://example.com:80/", PROXY)
        .starts_with("CONNECT example.com:80 HTTP/1.1\r\nHost: example.com:80\r\n"));
}

#[test]
fn connect_request_ipv6() {
    assert!(connect_request("ws://[::1]:9001/", PROXY)
        .starts_with("CONNECT [::1]:9001 HTTP/1.1\r\nHost: [::1]:9001\r\n"));
    assert!(connect_request("wss://[2001:db8::1]/", PROXY)
        .starts_with("CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n"));
}

#[test]
fn connect_request_proxy_userinfo() {
    // "user:p@ss w:rd", percent-encoded in the URL
    assert_eq!(
        connect_request(TARGET, "http://user:p%40ss%20w%3Ard@proxy.example.com:3128"),
        "CONNECT example.com:80 HTTP/1.1\r\n\
         Host: example.com:80\r\n\
         Connection: keep-alive\r\n\
         Proxy-Connection: keep-alive\r\n\
         Proxy-Authorization: Basic dXNlcjpwQHNzIHc6cmQ=\r\n\
         \r\n"
    );
    // a user without a password: "user:"
    assert!(connect_request(TARGET, "http://user@proxy.example.com")
        .contains("\r\nProxy-Authorization: Basic dXNlcjo=\r\n"));
    // the target's credentials are for the WebSocket server, not the proxy
    let request = connect_request("ws://me:secret@example.com/", PROXY);
    assert!(!request.contains("Authorization"), "{request}");
    assert!(!request.contains("secret"), "{request}");
}

#[test]
fn connect_request_custom_headers() {
    let mut p = Proxy::new(TARGET, "http://u:p@proxy.example.com").unwrap();
    p.set_header("User-Agent", "node").unwrap();
    p.set_header("x-Mixed-CASE", "Value 1").unwrap();
    assert!(p.start());
    assert_eq!(
        String::from_utf8(p.take_output()).unwrap(),
        "CONNECT example.com:80 HTTP/1.1\r\n\
         Host: example.com:80\r\n\
         Connection: keep-alive\r\n\
         Proxy-Connection: keep-alive\r\n\
         Proxy-Authorization: Basic dTpw\r\n\
         User-Agent: node\r\n\
         x-Mixed-CASE: Value 1\r\n\
         \r\n"
    );

    // a custom header replaces the default of the same name
    let mut p = Proxy::new(TARGET, "http://u:p@proxy.example.com").unwrap();
    p.set_header("proxy-authorization", "Bearer t0k3n").unwrap();
    p.start();
    let request = String::from_utf8(p.take_output()).unwrap();
    assert!(!request.contains("Basic"), "{request}");
    assert!(request.ends_with("\r\nproxy-authorization: Bearer t0k3n\r\n\r\n"));

    // invalid headers are refused
    let mut p = Proxy::new(TARGET, PROXY).unwrap();
    assert!(matches!(
        p.set_header("Bad Name", "x"),
        Err(Error::InvalidHeader(_))
    ));
    assert!(matches!(
        p.set_header("X-Ok", "line\r\nInjected: 1"),
        Err(Error::InvalidHeader(_))
    ));
}

#[test]
fn set_header_after_start_errors_and_start_runs_once() {
    let mut p = Proxy::new(TARGET, PROXY).unwrap();
    assert!(p.start());
    assert!(matches!(
        p.set_header("User-Agent", "late"),
        Err(Error::InvalidHeader(_))
    ));
    let first = p.take_output();
    assert!(!first.is_empty());
    assert!(!p.start());
    assert!(!p.has_output(), "a second start writes nothing");
    assert!(!String::from_utf8(first).unwrap().contains("late"));
}

#[test]
fn output_api_matches_the_driver() {
    let mut p = Proxy::new(TARGET, PROXY).unwrap();
    assert!(!p.has_output());
    p.start();
    let expected = connect_request(TARGET, PROXY);
    assert_eq!(p.buffered_amount(), expected.len());
    let mut slices = [std::io::IoSlice::new(&[]); 4];
    let n = p.output_slices(&mut slices);
    let joined: Vec<u8> = slices[..n].iter().flat_map(|s| s.iter().copied()).collect();
    assert_eq!(joined, expected.as_bytes());
    assert_eq!(p.output().first_slice(), expected.as_bytes());
    p.advance_output(8);
    assert_eq!(p.output().first_slice(), &expected.as_bytes()[8..]);
    let mut sink = Vec::new();
    p.write_output(&mut sink).unwrap();
    assert_eq!(sink, &expected.as_bytes()[8..]);
    assert!(!p.has_output());
}

#[test]
fn bad_urls_are_refused() {
    for proxy in [
        "socks5://proxy:1080",
        "ws://proxy.example.com",
        "ftp://proxy.example.com",
        "proxy.example.com:3128",
        "not a url",
    ] {
        assert!(
            matches!(Proxy::new(TARGET, proxy), Err(Error::InvalidUrl(_))),
            "{proxy}"
        );
    }
    for target in ["http://example.com/", "ws://example.com/#frag", "nonsense"] {
        assert!(
            matches!(Proxy::new(target, PROXY), Err(Error::InvalidUrl(_))),
            "{target}"
        );
    }
    assert!(Proxy::new(TARGET, "https://proxy.example.com").is_ok());
}

/// The rustdoc example on `Proxy`, step for step, with each step's
/// result checked (the doctest only shows them).
#[test]
fn doc_example_dance() -> Result<(), Error> {
    let mut driver = Driver::client("ws://example.com/chat", Options::default())?;
    let mut proxy = Proxy::new(
        driver.url().unwrap().as_str(),
        "http://user:secret@proxy.example.com:3128",
    )?;
    proxy.set_header("User-Agent", "wsdriver")?;
    assert!(proxy.start());
    let request = proxy.take_output();
    assert!(request.starts_with(b"CONNECT example.com:80 HTTP/1.1\r\n"));
    proxy.parse(b"HTTP/1.1 200 Connection established\r\n\r\n");
    proxy.parse(b"early bytes");
    match proxy.poll_event() {
        Some(ProxyEvent::Connect) => {}
        Some(ProxyEvent::Error(error)) => return Err(error),
        None => unreachable!("the answer is complete"),
    }
    assert_eq!(proxy.status_code(), Some(200));
    let remaining = proxy.take_remaining();
    assert_eq!(&remaining[..], b"early bytes");
    driver.parse(&remaining);
    driver.start();
    assert!(driver.take_output().starts_with(b"GET /chat HTTP/1.1\r\n"));
    Ok(())
}

// ---- the proxy's answer -------------------------------------------------

#[test]
fn any_2xx_connects() {
    for (head, status) in [
        ("HTTP/1.1 200 Connection established\r\n\r\n", 200),
        ("HTTP/1.1 204 No Content\r\nVia: test-proxy\r\n\r\n", 204),
        ("HTTP/1.0 200 OK\r\n\r\n", 200),
    ] {
        let mut p = started(TARGET);
        assert!(!p.is_connected());
        p.parse(head.as_bytes());
        assert_eq!(p.poll_event(), Some(ProxyEvent::Connect), "{head}");
        assert_eq!(p.poll_event(), None, "reported once");
        assert!(p.is_connected());
        assert_eq!(p.status_code(), Some(status));
        assert!(p.headers().is_some());
        assert!(p.take_remaining().is_empty());
    }
    let mut p = started(TARGET);
    p.parse(b"HTTP/1.1 204 No Content\r\nVia: test-proxy\r\n\r\n");
    p.poll_event();
    assert_eq!(p.headers().unwrap()["via"], "test-proxy");
}

#[test]
fn refusals_are_errors_with_the_seed_message_and_readable_answer() {
    let cases = [
        (
            "HTTP/1.1 407 Proxy Authentication Required\r\n\
             Proxy-Authenticate: Basic realm=\"proxy\"\r\n\
             Content-Length: 5\r\n\r\ndeny!",
            407,
        ),
        (
            "HTTP/1.1 502 Bad Gateway\r\nProxy-Authenticate: none\r\nContent-Length: 0\r\n\r\n",
            502,
        ),
        // the seed takes only 200; 1xx and 3xx are not a tunnel either
        ("HTTP/1.1 301 Moved\r\nProxy-Authenticate: x\r\n\r\n", 301),
        (
            "HTTP/1.1 100 Continue\r\nProxy-Authenticate: x\r\n\r\n",
            100,
        ),
    ];
    for (head, status) in cases {
        let mut p = started("ws://example.com:8080/chat?room=1");
        p.parse(head.as_bytes());
        let error = expect_error(p.poll_event());
        assert_eq!(
            error.to_string(),
            "Can't establish a connection to the server at ws://example.com:8080/chat?room=1"
        );
        assert!(
            matches!(&error, Error::Proxy { status: Some(s), .. } if *s == status),
            "{error:?}"
        );
        assert_eq!(p.poll_event(), None, "reported once");
        assert_eq!(p.status_code(), Some(status));
        assert!(p.headers().unwrap().contains_key("proxy-authenticate"));
        assert!(!p.is_connected());
        // nothing after a refusal is handed on
        p.parse(b"more");
        assert!(p.take_remaining().is_empty());
        assert!(p.remaining().is_empty());
    }
}

/// Feeds `bytes` in two pieces split at `cut`, polling after each, and
/// returns the event, the status and the remaining bytes.
fn run_split(bytes: &[u8], cut: usize) -> (Option<ProxyEvent>, Option<u16>, Vec<u8>) {
    let mut p = started(TARGET);
    let mut event = None;
    for piece in [&bytes[..cut], &bytes[cut..]] {
        p.parse(piece);
        if let Some(e) = p.poll_event() {
            assert!(event.is_none(), "two events");
            event = Some(e);
        }
    }
    assert_eq!(p.poll_event(), None);
    (event, p.status_code(), p.take_remaining().to_vec())
}

#[test]
fn answers_split_at_every_byte_give_the_same_result() {
    let connect = b"HTTP/1.1 200 Connection established\r\nVia: 1.1 p\r\n\r\n\x81\x05hello\r\n\r\n";
    let refuse =
        b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\nbody";
    let garbage = b"HTTP/1.1 2OO Fine\r\n\r\ntrailing";
    let whole: Vec<_> = [&connect[..], &refuse[..], &garbage[..]]
        .iter()
        .map(|b| run_split(b, b.len()))
        .collect();
    assert_eq!(whole[0].0, Some(ProxyEvent::Connect));
    assert_eq!(whole[0].2, b"\x81\x05hello\r\n\r\n");
    assert!(matches!(whole[1].0, Some(ProxyEvent::Error(_))));
    assert_eq!(whole[1].1, Some(407));
    assert!(matches!(
        whole[2].0,
        Some(ProxyEvent::Error(Error::Proxy { status: None, .. }))
    ));
    for (bytes, expected) in [&connect[..], &refuse[..], &garbage[..]].iter().zip(&whole) {
        for cut in 0..=bytes.len() {
            assert_eq!(&run_split(bytes, cut), expected, "cut at {cut}");
        }
        // and one byte at a time
        let mut p = started(TARGET);
        let mut events = Vec::new();
        for b in bytes.iter() {
            p.parse(std::slice::from_ref(b));
            events.extend(p.poll_event());
        }
        assert_eq!(events.len(), 1);
        assert_eq!(Some(events.remove(0)), expected.0);
        assert_eq!(p.take_remaining().to_vec(), expected.2);
    }
}

#[test]
fn bytes_after_the_head_are_handed_on_intact() {
    let mut p = started(TARGET);
    let tail: Vec<u8> = (0..=255u8)
        .chain(b"\r\n\r\nHTTP/1.1 200 OK\r\n\r\n".iter().copied())
        .collect();
    let mut input = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    input.extend_from_slice(&tail);
    p.parse(&input);
    assert!(
        p.remaining().is_empty(),
        "nothing is handed on before Connect"
    );
    assert!(p.take_remaining().is_empty());
    assert_eq!(p.poll_event(), Some(ProxyEvent::Connect));
    assert_eq!(p.remaining(), &tail[..]);
    // bytes read after Connect join them, in order
    p.parse(b"later");
    let mut expected = tail.clone();
    expected.extend_from_slice(b"later");
    assert_eq!(&p.take_remaining()[..], &expected[..]);
    assert!(p.take_remaining().is_empty(), "taken once");
    p.parse(b"again");
    assert_eq!(&p.take_remaining()[..], b"again");
}

#[test]
fn remaining_bytes_start_the_websocket_handshake() {
    // the proxy's answer and the server's 101 in one read (a client that
    // sent its upgrade request right behind the CONNECT)
    let mut client = Driver::client(TARGET, Options::default()).unwrap();
    let mut server = Driver::server(Options::default()).unwrap();
    let mut p = Proxy::new(client.url().unwrap().as_str(), PROXY).unwrap();
    p.start();
    p.take_output();
    client.start();
    server.parse(&client.take_output());
    assert_eq!(server.poll_event(), Some(Event::Connect));
    server.start();
    server.text("first").unwrap();
    let mut input = b"HTTP/1.1 200 Connection established\r\n\r\n".to_vec();
    input.extend_from_slice(&server.take_output());
    p.parse(&input);
    assert_eq!(p.poll_event(), Some(ProxyEvent::Connect));
    client.parse(&p.take_remaining());
    assert_eq!(client.poll_event(), Some(Event::Open));
    match client.poll_event() {
        Some(Event::Message(m)) => assert_eq!(m.as_bytes(), b"first"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn malformed_answers_are_errors() {
    for head in [
        &b"SSH-2.0-OpenSSH_9.6\r\n\r\n"[..],
        b"HTTP/1.1 abc Bad\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"\x16\x03\x01\x00\x05hello",
    ] {
        let mut p = started(TARGET);
        p.parse(head);
        let error = expect_error(p.poll_event());
        assert!(
            matches!(&error, Error::Proxy { status: None, .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().starts_with(
                "Can't establish a connection to the server at ws://example.com/chat: "
            ),
            "{error}"
        );
        assert_eq!(p.status_code(), None);
        assert!(p.headers().is_none());
    }
}

#[test]
fn oversized_answers_are_errors() {
    // a head that never ends is refused once it passes 16 KiB
    let mut p = started(TARGET);
    p.parse(b"HTTP/1.1 200 Connection established\r\n");
    let filler = format!("X-Filler: {}\r\n", "a".repeat(500));
    let filler = filler.as_bytes();
    let mut fed = 0;
    let mut event = None;
    while fed < 64 * 1024 {
        p.parse(filler);
        fed += filler.len();
        if let Some(e) = p.poll_event() {
            event = Some(e);
            break;
        }
    }
    assert!(fed >= 16 * 1024 - filler.len(), "refused too early: {fed}");
    assert!(fed <= 16 * 1024 + filler.len(), "refused too late: {fed}");
    let error = expect_error(event);
    assert!(matches!(error, Error::Proxy { status: None, .. }));

    // just under the limit is fine
    let mut head = b"HTTP/1.1 200 Connection established\r\n".to_vec();
    let pad = 16 * 1024 - head.len() - b"X-Pad: \r\n\r\n".len() - 1;
    head.extend_from_slice(format!("X-Pad: {}\r\n\r\n", "a".repeat(pad)).as_bytes());
    let mut p = started(TARGET);
    p.parse(&head);
    assert_eq!(p.poll_event(), Some(ProxyEvent::Connect));

    // too many headers
    let many: String = (0..500).map(|i| format!("X-{i}: v\r\n")).collect();
    let mut p = started(TARGET);
    p.parse(format!("HTTP/1.1 200 OK\r\n{many}\r\n").as_bytes());
    assert!(matches!(
        expect_error(p.poll_event()),
        Error::Proxy { status: None, .. }
    ));
}

#[test]
fn transport_closing_before_the_answer_is_an_error() {
    let mut p = started(TARGET);
    p.parse(b"HTTP/1.1 200 Conn");
    assert_eq!(p.poll_event(), None);
    p.transport_closed();
    let error = expect_error(p.poll_event());
    assert!(error
        .to_string()
        .starts_with("Can't establish a connection to the server at ws://example.com/chat"));
    assert_eq!(p.poll_event(), None);

    // after Connect it is the next layer's business
    let mut p = started(TARGET);
    p.parse(b"HTTP/1.1 200 OK\r\n\r\n");
    assert_eq!(p.poll_event(), Some(ProxyEvent::Connect));
    p.transport_closed();
    assert_eq!(p.poll_event(), None);
}

// ---- a real tunnel over TCP ---------------------------------------------

const IO_TIMEOUT: Duration = Duration::from_secs(10);

fn with_timeouts(stream: &TcpStream) {
    stream.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    stream.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
}

/// A WebSocket echo server for one connection, built on the raw server
/// driver.
fn spawn_echo_server() -> (SocketAddr, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        with_timeouts(&stream);
        let mut driver = Driver::server(Options::default()).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            while let Some(event) = driver.poll_event() {
                match event {
                    Event::Connect => {
                        assert!(driver.start());
                    }
                    Event::Message(message) => {
                        let _ = driver.send(message);
                    }
                    _ => {}
                }
            }
            driver.write_output(&mut stream).unwrap();
            if driver.ready_state() == ReadyState::Closed {
                let _ = stream.shutdown(Shutdown::Both);
                return;
            }
            match stream.read(&mut buf) {
                Ok(0) => driver.transport_closed(),
                Ok(n) => driver.parse(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => panic!("echo server read: {e}"),
            }
        }
    });
    (addr, handle)
}

/// Copies bytes from `from` to `to` until either side ends, then shuts
/// down `to`'s write side.
fn pipe(mut from: TcpStream, mut to: TcpStream) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    })
}

/// A CONNECT proxy that serves `connections` connections one after the
/// other. With `auth`, a request without exactly that `Proxy-Authorization`
/// gets 407. Returns the request heads it read.
fn spawn_connect_proxy(
    auth: Option<String>,
    connections: usize,
) -> (SocketAddr, JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let mut heads = Vec::new();
        for _ in 0..connections {
            let (mut client, _) = listener.accept().unwrap();
            with_timeouts(&client);
            // read the head; keep anything after it for the server
            let mut input = Vec::new();
            let mut buf = [0u8; 1024];
            let end = loop {
                if let Some(i) = input.windows(4).position(|w| w == b"\r\n\r\n") {
                    break i + 4;
                }
                assert!(input.len() < 16 * 1024, "CONNECT head too long");
                let n = client.read(&mut buf).expect("proxy reads the CONNECT head");
                assert!(n > 0, "client closed before the CONNECT head ended");
                input.extend_from_slice(&buf[..n]);
            };
            let head = String::from_utf8(input[..end].to_vec()).unwrap();
            let rest = input[end..].to_vec();
            heads.push(head.clone());
            let mut lines = head.split("\r\n");
            let request_line: Vec<&str> = lines.next().unwrap().split(' ').collect();
            assert_eq!(request_line.len(), 3, "{head}");
            assert_eq!(request_line[0], "CONNECT");
            assert_eq!(request_line[2], "HTTP/1.1");
            let authority = request_line[1].to_owned();
            let given = lines
                .filter_map(|l| l.split_once(": "))
                .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
                .map(|(_, value)| value.to_owned());
            if auth.is_some() && given != auth {
                client
                    .write_all(
                        b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                          Proxy-Authenticate: Basic realm=\"test\"\r\n\
                          Content-Length: 0\r\n\
                          Connection: close\r\n\r\n",
                    )
                    .unwrap();
                let _ = client.shutdown(Shutdown::Write);
                // let the client read the answer before the socket goes
                let _ = client.read(&mut buf);
                continue;
            }
            let mut server = TcpStream::connect(&authority).expect("proxy reaches the target");
            with_timeouts(&server);
            server.write_all(&rest).unwrap();
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .unwrap();
            let up = pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
            let down = pipe(server, client);
            up.join().unwrap();
            down.join().unwrap();
        }
        heads
    });
    (addr, handle)
}

/// Runs the proxy's side of the client over `stream` until it reports.
fn run_proxy(stream: &mut TcpStream, proxy: &mut Proxy) -> ProxyEvent {
    assert!(proxy.start());
    proxy.write_output(stream).unwrap();
    let mut buf = [0u8; 1024];
    loop {
        if let Some(event) = proxy.poll_event() {
            return event;
        }
        match stream.read(&mut buf) {
            Ok(0) => proxy.transport_closed(),
            Ok(n) => proxy.parse(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("client read from the proxy: {e}"),
        }
    }
}

#[test]
fn real_tcp_tunnel_to_an_echo_server() {
    let (server_addr, server) = spawn_echo_server();
    // "user:p@ss word"
    let (proxy_addr, proxy_thread) =
        spawn_connect_proxy(Some("Basic dXNlcjpwQHNzIHdvcmQ=".into()), 1);

    let target = format!("ws://127.0.0.1:{}/echo", server_addr.port());
    let mut driver = Driver::client(&target, Options::default()).unwrap();
    let mut proxy = Proxy::new(
        driver.url().unwrap().as_str(),
        &format!("http://user:p%40ss%20word@127.0.0.1:{}", proxy_addr.port()),
    )
    .unwrap();
    proxy.set_header("User-Agent", "wsdriver-test").unwrap();
    assert_eq!(
        proxy.proxy_url().port_or_known_default(),
        Some(proxy_addr.port())
    );
    let mut stream = TcpStream::connect(proxy_addr).unwrap();
    with_timeouts(&stream);

    assert_eq!(run_proxy(&mut stream, &mut proxy), ProxyEvent::Connect);
    assert_eq!(proxy.status_code(), Some(200));

    driver.parse(&proxy.take_remaining());
    assert!(driver.start());
    driver.text("hello through the tunnel").unwrap();
    let binary: Vec<u8> = (0..=255u8).cycle().take(3000).collect();
    driver.binary(&binary).unwrap();

    let mut messages = Vec::new();
    let mut opened = false;
    let mut closed = None;
    let mut buf = [0u8; 4096];
    while closed.is_none() {
        while let Some(event) = driver.poll_event() {
            match event {
                Event::Open => opened = true,
                Event::Message(message) => {
                    messages.push(message);
                    if messages.len() == 2 {
                        driver.close(1000, "done").unwrap();
                    }
                }
                Event::Close(close) => closed = Some(close),
                _ => {}
            }
        }
        driver.write_output(&mut stream).unwrap();
        if closed.is_some() {
            break;
        }
        match stream.read(&mut buf) {
            Ok(0) => driver.transport_closed(),
            Ok(n) => driver.parse(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => panic!("client read: {e}"),
        }
    }
    drop(stream);

    assert!(opened);
    assert_eq!(messages.len(), 2);
    match &messages[0] {
        Message::Text(text) => assert_eq!(text.as_str(), "hello through the tunnel"),
        other => panic!("{other:?}"),
    }
    match &messages[1] {
        Message::Binary(bytes) => assert_eq!(&bytes[..], &binary[..]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        closed,
        Some(
            CloseEvent::new(
                1000,
                String::new(), // the echo server's close frame has none
                true
            )
            .with_cause(wsdriver::CloseCause::LocallyClosed)
        )
    );

    server.join().unwrap();
    let heads = proxy_thread.join().unwrap();
    assert_eq!(
        heads,
        [format!(
            "CONNECT 127.0.0.1:{port} HTTP/1.1\r\n\
             Host: 127.0.0.1:{port}\r\n\
             Connection: keep-alive\r\n\
             Proxy-Connection: keep-alive\r\n\
             Proxy-Authorization: Basic dXNlcjpwQHNzIHdvcmQ=\r\n\
             User-Agent: wsdriver-test\r\n\r\n",
            port = server_addr.port()
        )]
    );
}

#[test]
fn real_tcp_proxy_refuses_wrong_credentials() {
    let (proxy_addr, proxy_thread) = spawn_connect_proxy(Some("Basic dXNlcjpyaWdodA==".into()), 2);
    // nothing listens at the target: a refusal must not get that far
    let target = "ws://127.0.0.1:9/never";
    for proxy_url in [
        format!("http://user:wrong@127.0.0.1:{}", proxy_addr.port()),
        format!("http://127.0.0.1:{}/", proxy_addr.port()),
    ] {
        let mut proxy = Proxy::new(target, &proxy_url).unwrap();
        let mut stream = TcpStream::connect(proxy_addr).unwrap();
        with_timeouts(&stream);
        let error = match run_proxy(&mut stream, &mut proxy) {
            ProxyEvent::Error(error) => error,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            error.to_string(),
            "Can't establish a connection to the server at ws://127.0.0.1:9/never"
        );
        assert_eq!(
            error,
            Error::Proxy {
                status: Some(407),
                message: error.to_string()
            }
        );
        assert_eq!(proxy.status_code(), Some(407));
        assert_eq!(
            proxy.headers().unwrap()["proxy-authenticate"],
            "Basic realm=\"test\""
        );
        assert!(!proxy.is_connected());
        assert!(proxy.take_remaining().is_empty());
    }
    let heads = proxy_thread.join().unwrap();
    assert!(heads[0].contains("\r\nProxy-Authorization: Basic dXNlcjp3cm9uZw==\r\n"));
    assert!(!heads[1].contains("Proxy-Authorization"));
}

/// The proxy's own timer (issue 25: `Proxy` had none, so a sans-IO caller
/// had to bound a proxy that never answers itself).
#[test]
fn a_proxy_that_never_answers_fails_at_its_timeout() {
    let now = std::time::Instant::now();
    let limit = Duration::from_secs(3);
    let mut proxy = Proxy::new("ws://example.com/", "http://proxy:3128/")
        .unwrap()
        .timeout(Some(limit));
    assert_eq!(proxy.poll_timeout(), None, "no timer before the request");
    assert!(proxy.start_at(now));
    assert_eq!(proxy.poll_timeout(), Some(now + limit));
    // Half an answer, then silence.
    proxy.parse(b"HTTP/1.1 200 Connection est");
    proxy.handle_timeout(now + limit - Duration::from_millis(1));
    assert_eq!(proxy.poll_event(), None);
    proxy.handle_timeout(now + limit);
    let error = expect_error(proxy.poll_event());
    assert!(
        error.to_string().contains("did not answer in time"),
        "{error}"
    );
    assert_eq!(proxy.poll_timeout(), None);
    proxy.handle_timeout(now + limit * 2);
    assert_eq!(proxy.poll_event(), None, "one error, once");
}

#[test]
fn an_answer_in_time_stops_the_proxy_timer() {
    let now = std::time::Instant::now();
    let mut proxy = Proxy::new("ws://example.com/", "http://proxy:3128/").unwrap();
    assert!(proxy.start_at(now));
    assert_eq!(
        proxy.poll_timeout(),
        Some(now + wsdriver::DEFAULT_HANDSHAKE_TIMEOUT)
    );
    proxy.parse(b"HTTP/1.1 200 Connection established\r\n\r\n");
    // The answer came whole before the deadline: it wins, even when the
    // caller looks only after the deadline.
    proxy.handle_timeout(now + wsdriver::DEFAULT_HANDSHAKE_TIMEOUT);
    assert_eq!(proxy.poll_event(), Some(ProxyEvent::Connect));
    assert_eq!(proxy.poll_timeout(), None);

    // websocket-driver's untimed start runs no timer; None waits for ever.
    let mut untimed = Proxy::new("ws://example.com/", "http://proxy:3128/").unwrap();
    assert!(untimed.start());
    assert_eq!(untimed.poll_timeout(), None);
    let mut unbounded = Proxy::new("ws://example.com/", "http://proxy:3128/")
        .unwrap()
        .timeout(None);
    assert!(unbounded.start_at(now));
    assert_eq!(unbounded.poll_timeout(), None);
}
