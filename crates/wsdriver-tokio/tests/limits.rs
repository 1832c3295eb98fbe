//! Every limit of the README's table, hit over a real socket: the status or
//! close code the offender gets, and a well-behaved client served by the
//! same server right after.

use futures_util::StreamExt;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
#[cfg(feature = "deflate")]
use wsdriver_tokio::DeflateConfig;
use wsdriver_tokio::{
    connect, ClientOptions, Config, Error, EventStreamOptions, Message, Options, ServerBuilder,
    ServerOptions, WebSocketServer,
};

mod server_support;
use server_support::{
    client_frame, echo_server, raw, raw_open, read_frame, status_of, url, within, UPGRADE_REQUEST,
};

/// A client that follows every rule gets its echo: the server that
/// refused someone else is still serving.
async fn still_serves(server: &WebSocketServer) {
    let mut socket = connect(&url(server, "/"), ClientOptions::default())
        .await
        .expect("a good client still connects");
    socket.send("still there?").await.unwrap();
    let echo = socket.next().await.expect("an echo").unwrap();
    assert_eq!(echo, Message::from("still there?"));
    socket.close(1000, "").await.unwrap();
}

/// Echoes the next connection (for a test that took the first itself).
fn echo_next(server: &WebSocketServer) {
    let acceptor = server.clone();
    tokio::spawn(async move {
        let mut socket = acceptor.accept().await.unwrap();
        while let Some(Ok(message)) = socket.next().await {
            socket.send(message).await.unwrap();
        }
    });
}

async fn server_with(options: Options) -> WebSocketServer {
    let builder =
        WebSocketServer::builder().server_options(ServerOptions::default().options(options));
    echo_server(builder).await.0
}

/// Reads frames until the server's close; returns its code.
async fn close_code(stream: &mut TcpStream) -> u16 {
    loop {
        let (b0, payload) = read_frame(stream).await;
        if b0 & 0x0f == 8 {
            return u16::from_be_bytes([payload[0], payload[1]]);
        }
    }
}

#[tokio::test]
async fn a_request_head_over_max_handshake_size_gets_431() {
    within(async {
        let server = server_with(Options::default().max_handshake_size(4096)).await;
        let big = format!(
            "GET / HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
            "a".repeat(5000)
        );
        let answer = raw(server.local_addr(), &big).await;
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        assert!(
            !answer.contains("aaaa"),
            "the refusal reflects the request: {answer}"
        );
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn more_header_lines_than_max_headers_get_431() {
    within(async {
        let server = server_with(Options::default().max_headers(20)).await;
        let lines: String = (0..21).map(|i| format!("X-{i}: v\r\n")).collect();
        let answer = raw(
            server.local_addr(),
            &format!("GET / HTTP/1.1\r\n{lines}\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_slow_request_gets_408_after_the_handshake_timeout() {
    within(async {
        let timeout = Duration::from_millis(300);
        let server = server_with(Options::default().handshake_timeout(Some(timeout))).await;
        let started = Instant::now();
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await.unwrap();
        assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
        assert!(started.elapsed() >= timeout);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_message_over_max_length_closes_with_1009() {
    within(async {
        let server = server_with(Options::default().max_length(1000)).await;
        let mut socket = connect(&url(&server, "/"), ClientOptions::default())
            .await
            .unwrap();
        socket.send(vec![7u8; 1001]).await.unwrap();
        assert!(socket.next().await.is_none());
        assert_eq!(socket.close_event().unwrap().code.as_u16(), 1009);
        still_serves(&server).await;
    })
    .await;
}

#[cfg(feature = "deflate")]
#[tokio::test]
async fn a_message_that_inflates_past_max_length_closes_with_1009() {
    within(async {
        let options = ServerOptions::default()
            .max_length(64 * 1024)
            .deflate(DeflateConfig::default());
        let (server, _) = echo_server(WebSocketServer::builder().server_options(options)).await;
        let client = ClientOptions::default().deflate([DeflateConfig::default()]);
        let mut socket = connect(&url(&server, "/"), client).await.unwrap();
        // 10 MiB of zeros: about 10 KiB on the wire.
        socket.send(vec![0u8; 10 << 20]).await.unwrap();
        assert!(socket.next().await.is_none());
        assert_eq!(socket.close_event().unwrap().code.as_u16(), 1009);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_message_in_more_frames_than_max_fragments_closes_with_1009() {
    within(async {
        let server = server_with(Options::default().max_fragments(4)).await;
        let mut stream = raw_open(server.local_addr()).await;
        let mut frames = client_frame(0x01, b"a");
        for _ in 0..4 {
            frames.extend(client_frame(0x00, b"b"));
        }
        stream.write_all(&frames).await.unwrap();
        assert_eq!(close_code(&mut stream).await, 1009);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_silent_client_is_dropped_after_the_idle_timeout() {
    within(async {
        let idle = Duration::from_millis(300);
        let server = WebSocketServer::builder()
            .server_options(
                ServerOptions::default().options(Options::default().idle_timeout(Some(idle))),
            )
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let started = Instant::now();
        let mut stream = raw_open(server.local_addr()).await;
        let mut socket = server.accept().await.unwrap();
        assert!(socket.next().await.is_none());
        assert_eq!(
            socket.websocket().close_event().unwrap().code.as_u16(),
            1006
        );
        assert!(started.elapsed() >= idle);
        drop(socket);
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap(); // the server hung up
        echo_next(&server);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn a_close_left_unanswered_ends_after_the_close_timeout() {
    within(async {
        let wait = Duration::from_millis(300);
        let options = Options::default().close_timeout(Some(wait));
        let server = WebSocketServer::builder()
            .server_options(ServerOptions::default().options(options))
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let mut stream = raw_open(server.local_addr()).await;
        let mut socket = server.accept().await.unwrap();
        let started = Instant::now();
        let event = socket.close(1000, "bye").await.unwrap();
        assert_eq!(event.code.as_u16(), 1006, "{event:?}");
        assert!(started.elapsed() >= wait);
        drop(socket);
        assert_eq!(close_code(&mut stream).await, 1000);
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap(); // then it hung up
        echo_next(&server);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn sends_wait_while_max_buffered_bytes_are_unwritten() {
    within(async {
        let max = 16 * 1024;
        let options = ServerOptions::default().config(Config::default().max_buffered(max));
        let server = WebSocketServer::builder()
            .server_options(options)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        // A client that never reads: the kernel's buffers fill, then ours.
        let _stream = raw_open(server.local_addr()).await;
        let mut socket = server.accept().await.unwrap();
        let chunk = vec![1u8; 8 * 1024];
        let mut sent = 0usize;
        loop {
            let send = socket.send(chunk.clone());
            match tokio::time::timeout(Duration::from_millis(300), send).await {
                Ok(result) => result.unwrap(),
                Err(_) => break, // waiting: held back
            }
            sent += chunk.len();
            assert!(sent < 256 << 20, "no backpressure after {sent} bytes");
        }
        assert!(
            socket.websocket().buffered_amount() <= max + chunk.len() + 14,
            "{}",
            socket.websocket().buffered_amount()
        );
        drop(socket);
        echo_next(&server);
        still_serves(&server).await;
    })
    .await;
}

#[tokio::test]
async fn past_max_connections_clients_get_503_until_one_leaves() {
    within(async {
        let builder = ServerBuilder::default().max_connections(Some(2));
        let (server, _) = echo_server(builder).await;
        let first = connect(&url(&server, "/"), ClientOptions::default())
            .await
            .unwrap();
        let mut second = connect(&url(&server, "/"), ClientOptions::default())
            .await
            .unwrap();
        let third = connect(&url(&server, "/"), ClientOptions::default()).await;
        assert_eq!(status_of(third), 503);
        let answer = raw(server.local_addr(), UPGRADE_REQUEST).await;
        assert!(answer.starts_with("HTTP/1.1 503 "), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("\r\nretry-after: 5\r\n"),
            "{answer}"
        );
        // The two inside are not disturbed.
        second.send("inside").await.unwrap();
        assert_eq!(
            second.next().await.unwrap().unwrap(),
            Message::from("inside")
        );
        drop(first);
        // Its place frees once the server has seen it go.
        let mut retries = 0;
        loop {
            match connect(&url(&server, "/"), ClientOptions::default()).await {
                Ok(mut socket) => {
                    socket.close(1000, "").await.unwrap();
                    break;
                }
                Err(Error::Status { status: 503, .. }) if retries < 100 => {
                    retries += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                Err(other) => panic!("{other:?}"),
            }
        }
    })
    .await;
}

#[tokio::test]
async fn event_stream_sends_wait_while_max_buffered_bytes_are_unwritten() {
    within(async {
        let max = 16 * 1024;
        let (server, _) = echo_server(
            ServerBuilder::default().event_streams(EventStreamOptions::default().max_buffered(max)),
        )
        .await;
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
            .await
            .unwrap();
        let events = server.accept_event_stream().await.unwrap();
        let data = "x".repeat(8 * 1024);
        let mut sent = 0usize;
        loop {
            match tokio::time::timeout(Duration::from_millis(300), events.send(&data)).await {
                Ok(result) => result.unwrap(),
                Err(_) => break,
            }
            sent += data.len();
            assert!(sent < 256 << 20, "no backpressure after {sent} bytes");
        }
        assert!(
            events.buffered_amount() <= max + data.len() + 16,
            "{}",
            events.buffered_amount()
        );
        still_serves(&server).await;
    })
    .await;
}

/// A client that floods pings and reads none of the pongs: once
/// `max_queued_pongs` wait unwritten, the server stops reading from it, so
/// its writes stall long before the flood is out, and everyone else is
/// served meanwhile. (tests/hostile.rs checks the memory and the pong
/// for the newest ping.)
#[tokio::test]
async fn a_ping_flood_stalls_while_others_are_served() {
    within(async {
        let server = server_with(Options::default().max_queued_pongs(60)).await;
        let stream = raw_open(server.local_addr()).await;
        let (_reader, mut writer) = stream.into_split();
        const PINGS: usize = 200_000;
        let ping = client_frame(0x89, &[b'p'; 120]);
        let flood: Vec<u8> = ping.repeat(PINGS); // 25 MB: more than loopback buffers hold
        let written = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let counter = written.clone();
        tokio::spawn(async move {
            for chunk in flood.chunks(64 * 1024) {
                if writer.write_all(chunk).await.is_err() {
                    return;
                }
                counter.fetch_add(chunk.len(), std::sync::atomic::Ordering::SeqCst);
            }
        });
        tokio::time::sleep(Duration::from_millis(500)).await;
        still_serves(&server).await;
        let stalled_at = written.load(std::sync::atomic::Ordering::SeqCst);
        assert!(stalled_at < ping.len() * PINGS, "the whole flood was read");
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert_eq!(
            written.load(std::sync::atomic::Ordering::SeqCst),
            stalled_at
        );
    })
    .await;
}

#[tokio::test]
async fn any_max_connections_starts_a_server() {
    within(async {
        for max in [None, Some(usize::MAX), Some(1)] {
            let (server, _) = echo_server(ServerBuilder::default().max_connections(max)).await;
            still_serves(&server).await;
        }
    })
    .await;
}
