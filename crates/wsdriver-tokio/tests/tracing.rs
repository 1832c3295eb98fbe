//! The `tracing` feature: one line per connection's open, refusal,
//! failure and close, in a span that names the peer.
#![cfg(feature = "tracing")]

use futures_util::StreamExt;
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing_subscriber::filter::LevelFilter;
use tracing_subscriber::util::SubscriberInitExt;
use wsdriver_tokio::{connect, ClientOptions, WebSocketServer};

#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn a_server_logs_refusals_failures_and_closes_with_the_peer() {
    let log = Log::default();
    let writer = log.clone();
    let _guard = tracing_subscriber::fmt()
        .with_max_level(LevelFilter::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .set_default();

    let server = WebSocketServer::builder()
        .path("/chat")
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    tokio::spawn(async move {
        while let Some(mut socket) = server.accept().await {
            tokio::spawn(async move { while socket.next().await.is_some() {} });
        }
    });

    // Refused: the wrong path.
    let refused = connect(&format!("ws://{addr}/nope"), ClientOptions::default()).await;
    assert!(refused.is_err());
    // Opened and closed cleanly.
    let mut client = connect(&format!("ws://{addr}/chat"), ClientOptions::default())
        .await
        .unwrap();
    client.close(1000, "done").await.unwrap();
    // A protocol error: an unmasked frame from a client.
    let mut raw = tokio::net::TcpStream::connect(addr).await.unwrap();
    raw.write_all(
        b"GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n\
          \x81\x02hi",
    )
    .await
    .unwrap();
    let mut rest = Vec::new();
    let _ = raw.read_to_end(&mut rest).await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;

    let text = log.text();
    let peer = format!("peer=Some({})", raw.local_addr().unwrap());
    let line = |needle: &str| {
        text.lines()
            .find(|line| line.contains(needle))
            .unwrap_or_else(|| panic!("no {needle:?} in:\n{text}"))
            .to_owned()
    };
    let refusal = line("status=400");
    assert!(refusal.contains("WebSocket handshake refused"), "{refusal}");
    assert!(refusal.contains("peer=Some(127.0.0.1:"), "{refusal}");
    let closed = line("WebSocket closed");
    assert!(
        closed.contains("code=1000") && closed.contains("clean=true"),
        "{closed}"
    );
    assert!(closed.contains("url=\"ws://"), "{closed}");
    // Why it ended, and under the crate's target.
    assert!(closed.contains("cause="), "{closed}");
    assert!(closed.contains(" wsdriver:"), "{closed}");
    let failed = text
        .lines()
        .find(|line| line.contains("WebSocket failed") && line.contains(&peer))
        .unwrap_or_else(|| panic!("no failure from {peer} in:\n{text}"));
    assert!(failed.contains("code=1002"), "{failed}");
    assert!(failed.contains("unmasked"), "{failed}");
    assert!(
        failed.contains("cause=the peer broke the protocol"),
        "{failed}"
    );
    assert!(
        !text.contains("WARN"),
        "nothing an operator must see:\n{text}"
    );
}
