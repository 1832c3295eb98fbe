//! An echo server on `WebSocketServer`, the listener that runs the
//! handshakes, counts clients and shuts down with 1001 on Ctrl-C.
//!
//! `cargo run --release -p wsdriver-tokio --example ws_server 127.0.0.1:9001`

use futures_util::StreamExt;
use std::time::Duration;
use wsdriver_tokio::WebSocketServer;

#[tokio::main]
async fn main() -> Result<(), wsdriver_tokio::Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let server = WebSocketServer::bind(&addr).await?;
    eprintln!("ws_server listening on ws://{}", server.local_addr());
    let acceptor = server.clone();
    tokio::spawn(async move {
        while let Some(mut socket) = acceptor.accept().await {
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let _ = tokio::signal::ctrl_c().await;
    let left = server.shutdown(Duration::from_secs(5)).await;
    eprintln!("shut down; {left} clients did not close in time");
    Ok(())
}
