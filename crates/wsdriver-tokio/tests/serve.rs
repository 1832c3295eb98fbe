//! `wsdriver_tokio::serve`: an axum router on hyper connections that cut
//! slow or silent request heads (issue 24: under `axum::serve`, a silent
//! connection and a 1-byte-per-5-s slowloris were still open after 95 s),
//! refuse oversized heads with 431, and leave upgraded WebSockets alone.
#![cfg(feature = "axum")]

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsdriver_tokio::{connect, serve_with, ClientOptions, HttpLimits, Message, WebSocketUpgrade};

const HEAD_TIMEOUT: Duration = Duration::from_millis(600);

async fn app(limits: HttpLimits) -> SocketAddr {
    async fn ws(upgrade: WebSocketUpgrade) -> Response {
        upgrade.on_upgrade(|mut socket| async move {
            while let Some(Ok(message)) = socket.next().await {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        })
    }
    let router = Router::new()
        .route("/", get(|| async { "page" }))
        .route("/ws", get(ws));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve_with(listener, router, limits));
    addr
}

fn short() -> HttpLimits {
    HttpLimits {
        head_timeout: HEAD_TIMEOUT,
        ..HttpLimits::default()
    }
}

/// Reads until the server closes; how long that took and what came.
async fn until_closed(stream: &mut TcpStream) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (started.elapsed(), got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => panic!("still open after 10 s (head timeout {HEAD_TIMEOUT:?})"),
        }
    }
}

#[tokio::test]
async fn a_silent_connection_is_cut_at_the_head_timeout() {
    let addr = app(short()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let (took, _) = until_closed(&mut stream).await;
    assert!(
        took >= HEAD_TIMEOUT / 2 && took < HEAD_TIMEOUT * 4,
        "closed after {took:?}"
    );
}

#[tokio::test]
async fn a_slowloris_head_is_cut_at_the_head_timeout_however_steady_its_bytes() {
    let addr = app(short()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let head = b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    let started = Instant::now();
    let mut closed_after = None;
    for byte in head {
        if stream.write_all(&[*byte]).await.is_err() {
            closed_after = Some(started.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        let mut probe = [0u8; 256];
        if let Ok(Ok(0) | Err(_)) =
            tokio::time::timeout(Duration::from_millis(1), stream.read(&mut probe)).await
        {
            closed_after = Some(started.elapsed());
            break;
        }
    }
    let took = closed_after.expect("the slow head was never cut");
    assert!(took < HEAD_TIMEOUT * 4, "closed after {took:?}");
}

#[tokio::test]
async fn a_head_over_the_limit_is_answered_431() {
    let addr = app(HttpLimits::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = String::from("GET / HTTP/1.1\r\nHost: x\r\n");
    while head.len() < 64 * 1024 {
        head.push_str("X-Filler: 0123456789012345678901234567890123456789\r\n");
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let (_, got) = until_closed(&mut stream).await;
    let got = String::from_utf8_lossy(&got);
    assert!(got.starts_with("HTTP/1.1 431"), "{got:?}");
}

#[tokio::test]
async fn a_websocket_outlives_the_head_timeout_and_pages_are_served() {
    let addr = app(short()).await;
    let mut page = TcpStream::connect(addr).await.unwrap();
    page.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let (_, got) = until_closed(&mut page).await;
    let got = String::from_utf8_lossy(&got);
    assert!(
        got.starts_with("HTTP/1.1 200") && got.ends_with("page"),
        "{got:?}"
    );

    let mut socket = connect(&format!("ws://{addr}/ws"), ClientOptions::default())
        .await
        .unwrap();
    tokio::time::sleep(HEAD_TIMEOUT * 3).await;
    socket.send(Message::from("still here")).await.unwrap();
    let echo = tokio::time::timeout(Duration::from_secs(5), socket.next())
        .await
        .expect("an echo")
        .expect("open")
        .unwrap();
    assert_eq!(echo, Message::from("still here"));
}

#[tokio::test]
async fn an_upgrade_request_with_a_body_is_refused_through_axum() {
    let addr = app(HttpLimits::default()).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\
              Content-Length: 5\r\n\r\nhello",
        )
        .await
        .unwrap();
    let mut got = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut got))
        .await
        .unwrap()
        .unwrap();
    let got = String::from_utf8_lossy(&got[..n]);
    assert!(got.starts_with("HTTP/1.1 400"), "{got:?}");
}
