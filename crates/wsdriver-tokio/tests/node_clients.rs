//! Our tokio server with real Node clients: npm `ws` and `faye-websocket`,
//! deflate on and off, subprotocols, a 16 MiB message, close codes.
#![cfg(all(feature = "interop", feature = "deflate"))]

use futures_util::StreamExt;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::net::TcpListener;
use wsdriver_tokio::{accept, DeflateConfig, ServerOptions};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

fn require_peers() {
    for package in ["ws", "faye-websocket", "permessage-deflate"] {
        let dir = root().join("tools/node/node_modules").join(package);
        assert!(
            dir.is_dir(),
            "npm package {package} is missing: run tools/peers.sh"
        );
    }
}

/// What the server saw of one connection.
#[derive(Debug)]
struct Seen {
    protocol: Option<String>,
    messages: usize,
    close_code: Option<u16>,
    /// The first byte of the client's first frame (FIN, RSV1-3, opcode).
    first_frame: Option<u8>,
}

/// A stream that keeps a copy of the first 4 KiB it reads.
struct Recording {
    inner: tokio::net::TcpStream,
    seen: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl tokio::io::AsyncRead for Recording {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        let mut seen = self.seen.lock().unwrap();
        let room = 4096usize.saturating_sub(seen.len());
        let new = &buf.filled()[before..];
        seen.extend_from_slice(&new[..new.len().min(room)]);
        result
    }
}

impl tokio::io::AsyncWrite for Recording {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves one connection with `options`, echoing, and runs the node client
/// against it; returns the client's JSON line and what the server saw.
async fn run(lib: &str, options: ServerOptions, args: &[&str]) -> (serde_like::Line, Seen) {
    require_peers();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let seen = std::sync::Arc::default();
        let stream = Recording {
            inner: stream,
            seen: std::sync::Arc::clone(&seen),
        };
        let mut socket = accept(stream, options).await.unwrap();
        let protocol = socket.protocol().map(str::to_owned);
        let mut messages = 0;
        while let Some(message) = socket.next().await {
            let message = message.unwrap();
            messages += 1;
            socket.send(message).await.unwrap();
        }
        let seen = seen.lock().unwrap();
        let head = seen.windows(4).position(|w| w == b"\r\n\r\n");
        Seen {
            protocol,
            messages,
            close_code: socket.close_event().map(|c| c.code.as_u16()),
            first_frame: head.and_then(|at| seen.get(at + 4).copied()),
        }
    });
    let script = root().join("tools/node/interop_client.js");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(lib)
        .arg(format!("ws://127.0.0.1:{port}/chat"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), output)
        .await
        .expect("node timed out")
        .expect("node runs");
    assert!(
        output.status.success(),
        "node {lib} client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("server finished")
        .unwrap();
    (
        serde_like::Line(String::from_utf8(output.stdout).unwrap()),
        seen,
    )
}

/// The client prints one flat JSON object; reading three fields needs no
/// JSON library.
mod serde_like {
    pub struct Line(pub String);
    impl Line {
        pub fn field(&self, name: &str) -> String {
            let key = format!("\"{name}\":");
            let start = self
                .0
                .find(&key)
                .unwrap_or_else(|| panic!("no {name} in {}", self.0))
                + key.len();
            let rest = &self.0[start..];
            let end = rest.find([',', '}']).unwrap();
            rest[..end].trim_matches('"').to_owned()
        }
    }
}

fn deflating() -> ServerOptions {
    ServerOptions::default().deflate(DeflateConfig::default().threshold(0))
}

fn with_protocols() -> ServerOptions {
    ServerOptions::default().protocols(["superchat", "chat"])
}

#[tokio::test]
async fn ws_client_plain() {
    let (line, seen) = run("ws", ServerOptions::default(), &["--close", "4000"]).await;
    assert_eq!((seen.messages, seen.close_code), (3, Some(4000)));
    assert_eq!(seen.first_frame, Some(0x81), "uncompressed text");
    assert_eq!(line.field("closeCode"), "4000");
    assert_eq!(line.field("extensions"), "");
}

#[tokio::test]
async fn ws_client_deflate() {
    let (line, seen) = run("ws", deflating(), &["--deflate"]).await;
    assert_eq!((seen.messages, seen.close_code), (3, Some(1000)));
    assert_eq!(seen.first_frame, Some(0xc1), "the client compressed");
    assert!(
        line.field("extensions").starts_with("permessage-deflate"),
        "{}",
        line.0
    );
}

#[tokio::test]
async fn ws_client_subprotocol() {
    let (line, seen) = run(
        "ws",
        with_protocols(),
        &["--protocol", "chat", "--protocol", "superchat"],
    )
    .await;
    // The first of the client's list that the server supports.
    assert_eq!(seen.protocol.as_deref(), Some("chat"));
    assert_eq!(line.field("protocol"), "chat");
}

#[tokio::test]
async fn faye_client_plain() {
    let (line, seen) = run("faye", ServerOptions::default(), &["--close", "3001"]).await;
    assert_eq!((seen.messages, seen.close_code), (3, Some(3001)));
    assert_eq!(line.field("closeCode"), "3001");
}

#[tokio::test]
async fn faye_client_deflate() {
    let (line, seen) = run("faye", deflating(), &["--deflate"]).await;
    assert_eq!((seen.messages, seen.close_code), (3, Some(1000)));
    assert_eq!(line.field("closeCode"), "1000");
    // FIN, RSV1 (compressed), text.
    assert_eq!(seen.first_frame, Some(0xc1), "the client compressed");
    assert!(
        line.field("extensions").starts_with("permessage-deflate"),
        "{}",
        line.0
    );
}

#[tokio::test]
async fn faye_client_subprotocol() {
    let (line, seen) = run("faye", with_protocols(), &["--protocol", "superchat"]).await;
    assert_eq!(seen.protocol.as_deref(), Some("superchat"));
    assert_eq!(line.field("protocol"), "superchat");
}

#[tokio::test]
async fn sink_and_stream_halves_echo_from_two_tasks() {
    require_peers();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let socket = accept(stream, ServerOptions::default()).await.unwrap();
        let (mut read, mut write) = socket.split();
        let (tx, mut rx) = tokio::sync::mpsc::channel(4);
        let writer = tokio::spawn(async move {
            while let Some(message) = rx.recv().await {
                write.send(message).await.unwrap();
            }
        });
        let mut count = 0;
        while let Some(Ok(message)) = read.next().await {
            count += 1;
            tx.send(message).await.unwrap();
        }
        drop(tx);
        writer.await.unwrap();
        (count, read.close_event().map(|c| c.code.as_u16()))
    });
    let output = tokio::process::Command::new("node")
        .arg(root().join("tools/node/interop_client.js"))
        .args(["ws", &format!("ws://127.0.0.1:{port}/")])
        .kill_on_drop(true)
        .output();
    let output = tokio::time::timeout(Duration::from_secs(90), output)
        .await
        .unwrap()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(server.await.unwrap(), (3, Some(1000)));
}
