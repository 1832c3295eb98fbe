//! A WebSocket echo server on tokio.
//!
//! `cargo run --release -p wsdriver-tokio --example tokio_echo_server 127.0.0.1:9001 [--deflate]`
//!
//! Plain HTTP requests get `426 Upgrade Required`. `--deflate` accepts
//! permessage-deflate and compresses every message.

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpListener;
use wsdriver_tokio::{accept, accept_tcp, DeflateConfig, ServerOptions};

// One thread, as the benchmark runs every server: the figures of
// tools/instructions.py then repeat within a few instructions.
#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut options = ServerOptions::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--deflate" => options = options.deflate(DeflateConfig::default().threshold(0)),
            flag if flag.starts_with("--") => {
                eprintln!("usage: tokio_echo_server [ADDR] [--deflate]");
                std::process::exit(2);
            }
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr).await?;
    eprintln!(
        "tokio_echo_server listening on ws://{}",
        listener.local_addr()?
    );
    loop {
        // Survives running out of file descriptors (a `?` here would not).
        let (stream, _) = accept_tcp(&listener, |e| eprintln!("accept failed: {e}")).await;
        let _ = stream.set_nodelay(true);
        let options = options.clone();
        tokio::spawn(async move {
            let mut socket = match accept(stream, options).await {
                Ok(socket) => socket,
                Err(_) => return,
            };
            while let Some(Ok(message)) = socket.next().await {
                if socket.feed(message).await.is_err() {
                    break;
                }
                // Batch the echoes of everything already read into one write.
                if socket.flush().await.is_err() {
                    break;
                }
            }
        });
    }
}
