//! The chat demo: WebSocket and EventSource on one axum router.
//!
//! ```sh
//! cargo run --release --example chat [ADDR] [--redis redis://127.0.0.1:6379]
//! ```
//!
//! Serves on `ADDR` (`127.0.0.1:8000` by default; port 0 picks a free one)
//! until Ctrl-C:
//!
//! - `/`: the page (plain HTML and JavaScript, in the binary);
//! - `/chat?name=NAME`: the chat over a WebSocket, permessage-deflate on
//!   (see [`chat_socket`]);
//! - `/events`: the live feed over EventSource, a tick a second and every
//!   chat entry, resumable from any id it sent (see [`events`], [`ids`]).
//!
//! With `--redis URL`, the room is a Redis Stream (see [`redis_room`]):
//! start several processes on several ports and they are one room.
//! Without it, the room is this process's (see [`room`]).
//!
//! It prints `chat on http://ADDR/` on stderr once it listens.

mod chat_socket;
mod entry;
mod events;
mod feed;
mod ids;
mod redis_room;
mod room;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use redis_room::RedisRoom;
use room::{MemoryRoom, Room, HISTORY};

const PAGE: &str = include_str!("page.html");

/// Where the Redis room's keys live (`PREFIX:stream`, `PREFIX:online`).
const REDIS_PREFIX: &str = "wsdriver-chat";

const USAGE: &str = "usage: chat [ADDR] [--redis redis://HOST:PORT]";

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let mut addr = "127.0.0.1:8000".to_owned();
    let mut redis = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--redis" => redis = Some(args.next().ok_or(USAGE)?),
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            _ if arg.starts_with('-') => {
                return Err(format!("unknown option {arg}\n{USAGE}").into())
            }
            _ => addr = arg,
        }
    }
    let room = match &redis {
        Some(url) => Room::Redis(RedisRoom::connect(url, REDIS_PREFIX).await?),
        None => Room::Memory(MemoryRoom::new(HISTORY)),
    };
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/chat", get(chat_socket::chat))
        .route("/events", get(events::events))
        .with_state(room);
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    let local = listener.local_addr()?;
    match &redis {
        Some(url) => eprintln!("chat on http://{local}/ (the room on {url})"),
        None => eprintln!("chat on http://{local}/"),
    }
    tokio::select! {
        // Not `axum::serve`: it gives a request head unlimited time.
        served = wsdriver_tokio::serve(listener, app) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}
