//! `/chat?name=NAME`: one person in the room over a WebSocket
//! (permessage-deflate on). What they send, as plain text, becomes a chat
//! entry; every live entry of the room comes back as JSON. Joining and
//! leaving are entries too, carrying the online count.
//!
//! The socket gets only live entries: the page reads what it missed from
//! the feed, and drops what it already has by id.
//!
//! Besides entries, the socket sends notices, which are not entries (no
//! id, nothing to keep): `{"type":"notice","text":...}` with
//!
//! - `"undelivered": TEXT` when a message of this person's could not be
//!   added (the room's Redis is away): it was not delivered, and the page
//!   can offer it again;
//! - `"room": "down"` or `"room": "up"` when the room stops or starts
//!   answering again (while it is down, messages are not delivered).
//!
//! A person who cannot join (the room is down) gets the notice and a
//! close with 1013 (try again later).
//!
//! Each connection may send [`RATE`] messages a second, in bursts of up
//! to [`BURST`] (a token bucket), so one flooder cannot take the room
//! from the others: what it sends beyond that is dropped, and it gets a
//! notice (`"dropped": N`, at most one a second). A connection that keeps
//! at it, [`PATIENCE`] messages over the limit (that allowance refilling
//! at [`RATE`] a second too), is closed with 1008 (policy violation).

use crate::entry::{clean, MAX_MESSAGE_BYTES, MAX_NAME, MAX_TEXT};
use crate::room::{Entry, Kind, NewEntry, Room};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc;
use tokio::time::{Duration, Instant};
use wsdriver_tokio::{
    CloseCode, DeflateConfig, Message, NotWebSocket, ServerOptions, WebSocketUpgrade,
};

#[derive(Deserialize)]
pub struct Who {
    name: Option<String>,
}

/// Messages a second a person may send, on average.
const RATE: f64 = 10.0;
/// Messages a person may send at once.
const BURST: f64 = 20.0;
/// Messages over the limit (dropped) before the connection is closed.
const PATIENCE: f64 = 200.0;

/// A token bucket: `capacity` tokens, refilled at `rate` a second.
struct Bucket {
    tokens: f64,
    capacity: f64,
    rate: f64,
    filled: Instant,
}

impl Bucket {
    fn new(capacity: f64, rate: f64) -> Bucket {
        Bucket {
            tokens: capacity,
            capacity,
            rate,
            filled: Instant::now(),
        }
    }

    /// Takes a token if there is one.
    fn take(&mut self, now: Instant) -> bool {
        let refill = now.saturating_duration_since(self.filled).as_secs_f64() * self.rate;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.filled = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What the reading side has the speaker send, besides entries.
enum Out {
    Notice(String),
    Close(CloseCode, &'static str),
}

pub async fn chat(
    State(room): State<Room>,
    Query(who): Query<Who>,
    upgrade: Result<WebSocketUpgrade, NotWebSocket>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(not_websocket) => return not_websocket.into_response(),
    };
    let name = clean(who.name.as_deref().unwrap_or(""), MAX_NAME);
    let name = if name.is_empty() {
        "anonymous".to_owned()
    } else {
        name
    };
    upgrade
        .server_options(
            ServerOptions::default()
                .deflate(DeflateConfig::default())
                .max_length(MAX_MESSAGE_BYTES),
        )
        .on_upgrade(move |socket| async move {
            let (mut read, mut write) = socket.split();
            let mut live = room.subscribe();
            let mut reachable = room.reachable();
            reachable.mark_unchanged();
            let (out, mut notices) = mpsc::channel(16);
            // The speaker: the room's live entries and this person's
            // notices, to this person.
            let speaker = tokio::spawn(async move {
                loop {
                    let message = tokio::select! {
                        biased;
                        notice = notices.recv() => match notice {
                            Some(Out::Notice(notice)) => notice,
                            Some(Out::Close(code, reason)) => {
                                let _ = write.close(code, reason).await;
                                break;
                            }
                            None => break,
                        },
                        Ok(()) = reachable.changed() => {
                            room_notice(*reachable.borrow_and_update())
                        }
                        entry = live.recv() => match entry {
                            Ok(entry) => entry.to_json(),
                            // The page catches up from the feed.
                            Err(RecvError::Lagged(_)) => continue,
                            Err(RecvError::Closed) => break,
                        },
                    };
                    if write.send(Message::from(message)).await.is_err() {
                        break;
                    }
                }
            });
            if let Err(error) = say(&room, Kind::Join, &name, "").await {
                eprintln!("chat: {name} could not join: {error}");
                let notice = json!({
                    "type": "notice",
                    "room": "down",
                    "text": format!("could not join the room: {error}"),
                });
                let _ = out.send(Out::Notice(notice.to_string())).await;
                let _ = out
                    .send(Out::Close(
                        CloseCode::TRY_AGAIN_LATER,
                        "the room is unreachable",
                    ))
                    .await;
                // The speaker closes; the read half finishes the close.
                while read.next().await.is_some() {}
                let _ = speaker.await;
                return;
            }
            let mut allowed = Bucket::new(BURST, RATE);
            let mut patience = Bucket::new(PATIENCE, RATE);
            let (mut dropped, mut told) = (0_u64, None::<Instant>);
            let mut closing = false;
            while let Some(Ok(message)) = read.next().await {
                if closing {
                    continue;
                }
                let now = Instant::now();
                if !allowed.take(now) {
                    dropped += 1;
                    if !patience.take(now) {
                        eprintln!("chat: closing {name}'s connection: too many messages");
                        closing = true;
                        let close = Out::Close(CloseCode::POLICY_VIOLATION, "too many messages");
                        if out.send(close).await.is_err() {
                            break;
                        }
                        continue;
                    }
                    if told.is_none_or(|told| now - told >= Duration::from_secs(1)) {
                        let notice = json!({
                            "type": "notice",
                            "text": format!(
                                "slow down: {dropped} messages dropped \
                                 (at most {RATE} a second, {BURST} at once)"
                            ),
                            "dropped": dropped,
                        });
                        // Not waiting on a flooder that does not read.
                        if out.try_send(Out::Notice(notice.to_string())).is_ok() {
                            (dropped, told) = (0, Some(now));
                        }
                    }
                    continue;
                }
                let Some(text) = message.as_text() else {
                    continue;
                };
                let text = clean(text, MAX_TEXT);
                if text.is_empty() {
                    continue;
                }
                if let Err(error) = say(&room, Kind::Chat, &name, &text).await {
                    eprintln!("chat: a message from {name} was not delivered: {error}");
                    let notice = json!({
                        "type": "notice",
                        "text": format!("not delivered: {error}"),
                        "undelivered": text,
                    });
                    if out.send(Out::Notice(notice.to_string())).await.is_err() {
                        break;
                    }
                }
            }
            speaker.abort();
            if let Err(error) = say(&room, Kind::Leave, &name, "").await {
                eprintln!("chat: {name} could not leave: {error}");
            }
        })
}

/// The notice for the room going down or coming back.
fn room_notice(up: bool) -> String {
    let (room, text) = if up {
        ("up", "the room is back: messages are delivered again")
    } else {
        (
            "down",
            "the room is unreachable: messages are not delivered until it is back",
        )
    };
    json!({"type": "notice", "room": room, "text": text}).to_string()
}

async fn say(room: &Room, kind: Kind, name: &str, text: &str) -> Result<Entry, crate::room::Error> {
    room.add(NewEntry {
        kind,
        name: name.to_owned(),
        text: text.to_owned(),
    })
    .await
}
