//! `/chat?name=NAME`: one person in the room over a WebSocket
//! (permessage-deflate on). What they send, as plain text, becomes a chat
//! entry; every live entry of the room comes back as JSON. Joining and
//! leaving are entries too, carrying the online count.
//!
//! The socket gets only live entries: the page reads what it missed from
//! the feed, and drops what it already has by id.

use crate::room::{Entry, Kind, NewEntry, Room};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Deserialize;
use tokio::sync::broadcast::error::RecvError;
use wsdriver_tokio::{DeflateConfig, Message, NotWebSocket, ServerOptions, WebSocketUpgrade};

/// Longest name kept, in characters.
const MAX_NAME: usize = 32;
/// Longest message kept, in characters.
const MAX_TEXT: usize = 2_000;

#[derive(Deserialize)]
pub struct Who {
    name: Option<String>,
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
        .server_options(ServerOptions::default().deflate(DeflateConfig::default()))
        .on_upgrade(move |socket| async move {
            let (mut read, mut write) = socket.split();
            let mut live = room.subscribe();
            // The speaker: the room's live entries, to this person.
            let speaker = tokio::spawn(async move {
                loop {
                    let entry = match live.recv().await {
                        Ok(entry) => entry,
                        // The page catches up from the feed.
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => break,
                    };
                    if write.send(Message::from(entry.to_json())).await.is_err() {
                        break;
                    }
                }
            });
            if let Err(error) = say(&room, Kind::Join, &name, "").await {
                eprintln!("chat: {name} could not join: {error}");
                speaker.abort();
                return;
            }
            while let Some(Ok(message)) = read.next().await {
                let Some(text) = message.as_text() else {
                    continue;
                };
                let text = clean(text, MAX_TEXT);
                if text.is_empty() {
                    continue;
                }
                if let Err(error) = say(&room, Kind::Chat, &name, &text).await {
                    eprintln!("chat: lost a message from {name}: {error}");
                }
            }
            speaker.abort();
            if let Err(error) = say(&room, Kind::Leave, &name, "").await {
                eprintln!("chat: {name} could not leave: {error}");
            }
        })
}

async fn say(room: &Room, kind: Kind, name: &str, text: &str) -> Result<Entry, crate::room::Error> {
    room.add(NewEntry {
        kind,
        name: name.to_owned(),
        text: text.to_owned(),
    })
    .await
}

/// `text` trimmed, without control characters, at most `max` characters.
fn clean(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}
