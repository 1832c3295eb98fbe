//! A chat room on axum: one router serves the page at `/` and the
//! WebSocket at `/ws`; every message goes to everyone, over split halves.
//!
//! `cargo run -p wsdriver-tokio --features axum --example axum_chat [ADDR]`
//!
//! With an address it serves until Ctrl-C (open `http://ADDR/` in two
//! browser tabs). Without one it serves on a free port and checks itself:
//! the page over plain HTTP, then two clients where one speaks and both
//! hear (the README's test command runs it so).

use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::broadcast;
use wsdriver_tokio::{connect, ClientOptions, Message, NotWebSocket, WebSocketUpgrade};

const PAGE: &str = r#"<!doctype html>
<title>wsdriver chat</title>
<ul id="log"></ul>
<input id="say" placeholder="say something, then Enter">
<script>
  const ws = new WebSocket(`ws://${location.host}/ws`);
  // A message is text: set as textContent, never parsed as HTML (which
  // would run the script of a message such as <img src=x onerror=...>).
  ws.onmessage = (e) => {
    const li = document.createElement("li");
    li.textContent = e.data;
    log.append(li);
  };
  say.onkeydown = (e) => { if (e.key === "Enter") { ws.send(say.value); say.value = ""; } };
</script>
"#;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1);
    let (room, _) = broadcast::channel::<Message>(64);
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/ws", get(move |upgrade| chat(upgrade, room.clone())));
    let listener = tokio::net::TcpListener::bind(addr.as_deref().unwrap_or("127.0.0.1:0")).await?;
    let local = listener.local_addr()?;
    eprintln!("axum_chat on http://{local}/");
    // Not `axum::serve`: it gives a request head unlimited time (slowloris).
    let serving = tokio::spawn(async move { wsdriver_tokio::serve(listener, app).await });
    if addr.is_some() {
        serving.await??;
    } else {
        check(&local.to_string()).await?;
    }
    Ok(())
}

/// A WebSocket joins the room: what it says goes to the room, what the
/// room hears goes to it. A plain GET of `/ws` gets `426`.
async fn chat(
    upgrade: Result<WebSocketUpgrade, NotWebSocket>,
    room: broadcast::Sender<Message>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(not_websocket) => return not_websocket.into_response(),
    };
    upgrade.on_upgrade(move |socket| async move {
        let (mut read, mut write) = socket.split();
        let mut hear = room.subscribe();
        let speaker = tokio::spawn(async move {
            while let Ok(message) = hear.recv().await {
                if write.send(message).await.is_err() {
                    break;
                }
            }
        });
        while let Some(Ok(message)) = read.next().await {
            let _ = room.send(message);
        }
        speaker.abort();
    })
}

/// The page over plain HTTP, then two clients: one speaks, both hear.
async fn check(addr: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut http = tokio::net::TcpStream::connect(addr).await?;
    http.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await?;
    let mut page = String::new();
    http.read_to_string(&mut page).await?;
    assert!(page.starts_with("HTTP/1.1 200") && page.contains("new WebSocket"));
    // Messages are shown as text (the browser test: tools/node/xss_browser_test.js).
    assert!(page.contains("li.textContent = e.data"));
    for html in [
        "innerHTML",
        "outerHTML",
        "insertAdjacentHTML",
        "document.write",
    ] {
        assert!(
            !page.contains(html),
            "the page parses messages as HTML ({html})"
        );
    }
    println!("the page: {} bytes", page.len());

    let url = format!("ws://{addr}/ws");
    let mut alice = connect(&url, ClientOptions::default()).await?;
    let mut bob = connect(&url, ClientOptions::default()).await?;
    // Both are in the room once a message from each has come round.
    for (name, socket) in [("alice", &mut alice), ("bob", &mut bob)] {
        loop {
            socket.send(format!("{name} here")).await?;
            let heard = socket.next().await.ok_or("closed")??;
            if heard.as_text() == Some(&format!("{name} here")) {
                break;
            }
        }
    }
    alice.send("hello, room").await?;
    for socket in [&mut alice, &mut bob] {
        loop {
            let heard = socket.next().await.ok_or("closed")??;
            if heard.as_text() == Some("hello, room") {
                break;
            }
        }
    }
    println!("alice spoke, alice and bob heard");
    alice.close(1000, "").await?;
    bob.close(1000, "").await?;
    Ok(())
}
