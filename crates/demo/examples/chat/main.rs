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
//! It prints `chat on http://ADDR/` on stderr once it listens. When it
//! cannot start it says why on stderr, in a sentence that names what
//! failed (`chat: cannot reach Redis at URL: connection refused`), and
//! exits with 1; with arguments it does not take, with the usage and 2.

mod chat_socket;
mod entry;
mod events;
mod feed;
mod ids;
mod redis_room;
mod room;
mod trim;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use redis_room::RedisRoom;
use room::{MemoryRoom, Room, HISTORY};
use std::io;
use std::process::ExitCode;

const PAGE: &str = include_str!("page.html");

/// Where the Redis room's keys live (`PREFIX:stream`, `PREFIX:presence:*`).
const REDIS_PREFIX: &str = "wsdriver-chat";

const USAGE: &str = "usage: chat [ADDR] [--redis redis://HOST:PORT]";

#[tokio::main]
async fn main() -> ExitCode {
    let (addr, redis) = match parse(std::env::args().skip(1)) {
        Ok(Some(parsed)) => parsed,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(problem) => {
            eprintln!("chat: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&addr, redis).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("chat: {error}");
            ExitCode::FAILURE
        }
    }
}

/// The address to listen on and the Redis URL; None for `--help`; Err
/// says what is wrong with the arguments.
fn parse(
    mut args: impl Iterator<Item = String>,
) -> Result<Option<(String, Option<String>)>, String> {
    let mut addr = None;
    let mut redis = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--redis" => match args.next() {
                Some(url) if !url.starts_with('-') => redis = Some(url),
                _ => return Err("--redis needs a URL (redis://HOST:PORT)".into()),
            },
            "-h" | "--help" => return Ok(None),
            _ if arg.starts_with('-') => return Err(format!("unknown option {arg}")),
            _ if addr.is_some() => return Err(format!("one address only, not also {arg}")),
            _ => addr = Some(arg),
        }
    }
    let addr = addr.unwrap_or_else(|| "127.0.0.1:8000".to_owned());
    Ok(Some((addr, redis)))
}

/// The server, until Ctrl-C; Err says what failed, in a sentence.
async fn run(
    addr: &str,
    redis: Option<String>,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let room = match &redis {
        Some(url) => Room::Redis(
            RedisRoom::connect(url, REDIS_PREFIX)
                .await
                .map_err(|error| format!("cannot reach Redis at {url}: {error}"))?,
        ),
        None => Room::Memory(MemoryRoom::new(HISTORY)),
    };
    let app = Router::new()
        .route("/", get(|| async { Html(PAGE) }))
        .route("/chat", get(chat_socket::chat))
        .route("/events", get(events::events))
        .with_state(room);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| cannot_listen(addr, &error))?;
    let local = listener.local_addr()?;
    match &redis {
        Some(url) => eprintln!("chat on http://{local}/ (the room on {url})"),
        None => eprintln!("chat on http://{local}/"),
    }
    trim::spawn();
    tokio::select! {
        // Not `axum::serve`: it gives a request head unlimited time.
        served = wsdriver_tokio::serve(listener, app) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(())
}

/// Why the server cannot listen on `addr`, in a sentence.
fn cannot_listen(addr: &str, error: &io::Error) -> String {
    let why = match error.kind() {
        io::ErrorKind::AddrInUse => {
            "the port is in use (another chat, or another server, listens there)".to_owned()
        }
        io::ErrorKind::AddrNotAvailable => "no interface of this machine has that address".into(),
        io::ErrorKind::PermissionDenied => {
            "permission denied (ports below 1024 need privileges)".into()
        }
        _ => error.to_string(),
    };
    format!("cannot listen on {addr}: {why}")
}
