//! A tokio client: 1,000 messages echoed, a ping timed by its pong, and a
//! close with a reason.
//!
//! `cargo run -p wsdriver-tokio --example client [ws://host:port/path]`
//!
//! Without a URL it starts an echo server of its own on a free port first,
//! so it runs anywhere (the README's test command runs it so).

use futures_util::StreamExt;
use std::time::Instant;
use wsdriver_tokio::{connect, ClientOptions, CloseCode, Message, WebSocketServer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let url = match std::env::args().nth(1) {
        Some(url) => url,
        None => echo_server().await?,
    };
    let mut socket = connect(&url, ClientOptions::default()).await?;
    println!("connected to {url} ({:?})", socket.version());

    for n in 0..1000 {
        socket.send(format!("message {n}")).await?;
        let echo = socket.next().await.ok_or("closed early")??;
        assert_eq!(echo, Message::from(format!("message {n}")));
    }
    println!("1000 messages echoed");

    let sent = Instant::now();
    let pong = socket.ping(b"are you there?").await?;
    // The pong is found by whoever reads: read until it arrives.
    let mut pong = std::pin::pin!(pong);
    loop {
        tokio::select! {
            answered = &mut pong => { answered?; break; }
            message = socket.next() => { message.ok_or("closed early")??; }
        }
    }
    println!("pong after {:?}", sent.elapsed());

    // The server answers with the code (RFC 6455 §5.5.1); the reason was
    // ours to give, and its answer may carry none.
    let reason = "done, thanks";
    let closed = socket.close(CloseCode::NORMAL, reason).await?;
    println!(
        "closed: we sent {} {reason:?}, the server answered {} {:?} (clean: {})",
        CloseCode::NORMAL.as_u16(),
        closed.code.as_u16(),
        closed.reason,
        closed.clean
    );
    assert!(closed.clean);
    Ok(())
}

/// An echo server on a free port, in this process; returns its URL.
async fn echo_server() -> Result<String, wsdriver_tokio::Error> {
    let server = WebSocketServer::bind("127.0.0.1:0").await?;
    let url = format!("ws://{}/", server.local_addr());
    tokio::spawn(async move {
        while let Some(mut socket) = server.accept().await {
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    Ok(url)
}
