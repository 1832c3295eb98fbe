//! What a hostile or broken peer can do over a real TCP socket, and what
//! it gets: slowloris heads answered 408 after the handshake timeout,
//! loose handshakes refused, a silent server given up on, and a ping flood
//! that costs the server bounded memory.
//!
//! Timers run on tokio's paused clock (`start_paused`): the runtime moves
//! the clock on only when every task waits, so the times asserted are
//! exact, and the 30 s defaults take no real time.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use wsdriver_tokio::{accept, connect, ClientOptions, Error, Options, ServerOptions};

/// A TCP listener whose every connection goes through `accept` with
/// `options`; the handshake's outcome comes back on the channel.
async fn accepting(
    options: ServerOptions,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Result<(), Error>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (options, tx) = (options.clone(), tx.clone());
            tokio::spawn(async move {
                let _ = tx.send(accept(stream, options).await.map(drop));
            });
        }
    });
    (addr, rx)
}

/// Everything the server sends until it closes; a server that neither
/// answers nor closes within an hour (of the paused clock) fails the test.
async fn read_all(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    within(stream.read_to_end(&mut bytes)).await.unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Fails the test instead of hanging when `future` takes over an hour.
async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(3600), future)
        .await
        .expect("still waiting after an hour")
}

#[tokio::test(start_paused = true)]
async fn accept_answers_a_dribbled_head_408_after_30_seconds() {
    let (addr, mut outcomes) = accepting(ServerOptions::default()).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // One byte every 10 s, as slowloris does: the clock is the whole
    // handshake's, not reset by each byte.
    for byte in b"GET / H" {
        stream.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        if started.elapsed() >= Duration::from_secs(30) {
            break;
        }
    }
    let answer = read_all(&mut stream).await;
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("Request Timeout: the WebSocket handshake took too long"));
    let error = outcomes.recv().await.unwrap().unwrap_err();
    assert!(
        matches!(
            &error,
            Error::WebSocket(wsdriver::Error::BadRequest { status: 408, .. })
        ),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn accept_drops_a_client_that_sends_nothing_after_the_timeout() {
    let options = ServerOptions {
        options: Options::default().handshake_timeout(Some(Duration::from_secs(5))),
        ..ServerOptions::default()
    };
    let (addr, mut outcomes) = accepting(options).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_eq!(read_all(&mut stream).await, "", "nothing to answer");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let error = outcomes.recv().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::WebSocket(wsdriver::Error::HandshakeTimeout)),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_handshake_timeout_a_slow_client_is_kept() {
    let options = ServerOptions {
        options: Options::default().handshake_timeout(None),
        ..ServerOptions::default()
    };
    let (addr, mut outcomes) = accepting(options).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut byte = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut byte)).await;
    assert!(
        waited.is_err(),
        "the server answered or hung up: {waited:?}"
    );
    assert!(outcomes.try_recv().is_err(), "the handshake ended");
    // The rest of the head, an hour late, still opens.
    stream
        .write_all(
            b"Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    assert!(outcomes.recv().await.unwrap().is_ok());
}

/// Each head that RFC 6455 §4.2.1 does not allow gets its status over TCP,
/// and the server goes on serving.
#[tokio::test]
async fn loose_handshakes_are_refused_over_tcp() {
    let (addr, mut outcomes) = accepting(ServerOptions::default()).await;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let rest = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    let cases = [
        (
            format!("GET / HTTP/1.1\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            "400 Bad Request",
            "Missing handshake request header: Host",
        ),
        (
            format!("GET / HTTP/1.0\r\nHost: a\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            "400 Bad Request",
            "Bad Request: a WebSocket handshake needs HTTP/1.1 or later",
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: a\r\n{rest}{key}{key}Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            "400 Bad Request",
            "Invalid Sec-WebSocket-Key header: it must appear once",
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: a\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Version: 8\r\n\r\n"
            ),
            "426 Upgrade Required",
            "Unsupported WebSocket version: use 13 or 8",
        ),
    ];
    for (head, status, body) in cases {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_all(&mut stream).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{answer}"
        );
        assert!(answer.ends_with(body), "{answer}");
        if status.starts_with("426") {
            assert!(
                answer.contains("\r\nSec-WebSocket-Version: 13, 8\r\n"),
                "{answer}"
            );
        }
        assert!(outcomes.recv().await.unwrap().is_err());
    }
    // Still serving.
    let client = connect(&format!("ws://{addr}/"), ClientOptions::default()).await;
    assert!(client.is_ok(), "{client:?}");
    assert!(outcomes.recv().await.unwrap().is_ok());
}

/// A server that takes the connection and never answers: `connect` gives
/// up after its default 30 s.
#[tokio::test(start_paused = true)]
async fn connect_gives_up_on_a_silent_server_after_30_seconds() {
    assert_eq!(
        ClientOptions::default().handshake_timeout,
        Some(Duration::from_secs(30))
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let n = stream.read(&mut request).await.unwrap();
        assert!(request[..n].starts_with(b"GET / HTTP/1.1\r\n"));
        std::future::pending::<()>().await;
    });
    let started = Instant::now();
    let error = within(connect(&format!("ws://{addr}/"), ClientOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(!silent.is_finished());
    silent.abort();
}

#[tokio::test(start_paused = true)]
async fn connect_with_no_timeout_waits_for_a_slow_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        // Answers after ten minutes.
        tokio::time::sleep(Duration::from_secs(600)).await;
        let _ = accept(stream, ServerOptions::default()).await;
    });
    let options = ClientOptions {
        handshake_timeout: None,
        options: Options::default().handshake_timeout(None),
        ..ClientOptions::default()
    };
    let started = Instant::now();
    let socket = connect(&format!("ws://{addr}/"), options).await;
    assert!(socket.is_ok(), "{socket:?}");
    assert!(started.elapsed() >= Duration::from_secs(600));
}
