//! `/events`: the live feed over EventSource. Every second an unnamed
//! event (the client's `message` type) with the server time; every room
//! entry as a `chat` event. Ids follow [`crate::ids`], so a client that
//! comes back with any id it was sent (the `Last-Event-ID` header, or the
//! `lastEventId` parameter a reloaded page uses) gets what it missed, then
//! the live feed, with no gap and no duplicate ([`crate::feed`]).

use crate::feed::Feed;
use crate::room::{now_ms, Entry, Room};
use axum::extract::State;
use axum::http::{request::Parts, StatusCode};
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use wsdriver_tokio::{event_stream, EventStream, EventStreamOptions};

/// How often the feed ticks.
const TICK: Duration = Duration::from_secs(1);

/// Opens the stream and feeds it in a task of its own.
pub async fn events(State(room): State<Room>, request: Parts) -> Response {
    // Any page may read the feed: the demo's second process is another
    // origin, and so is a page of your own.
    let options = EventStreamOptions::default()
        .retry(Duration::from_secs(1))
        .header("Access-Control-Allow-Origin", "*");
    let (response, stream) = match event_stream(&request, options) {
        Ok(opened) => opened,
        Err(error) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response()
        }
    };
    tokio::spawn(async move {
        // Sends fail once the client is gone: that is how a feed ends.
        if let Err(error) = feed(&room, &stream).await {
            if stream.is_open() {
                eprintln!("chat: feed ended: {error}");
                stream.close();
            }
        }
    });
    response.into_response()
}

/// The missed entries, then ticks and live entries until the client goes.
async fn feed(
    room: &Room,
    stream: &EventStream,
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let (mut feed, missed) = Feed::subscribe(room, stream.last_event_id())
        .catch_up()
        .await?;
    send(stream, &missed).await?;
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        tokio::select! {
            () = stream.closed() => return Ok(()),
            _ = ticks.tick() => {
                let id = feed.tick().to_string();
                stream.send_event(None, &time_data(), Some(&id)).await?;
            }
            received = feed.recv() => {
                // Not in the select: a catch-up once started must finish.
                let entries = feed.admit(received).await?;
                send(stream, &entries).await?;
            }
        }
    }
}

async fn send(
    stream: &EventStream,
    entries: &[Arc<Entry>],
) -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    for entry in entries {
        let id = entry.id.to_string();
        stream
            .send_event(Some("chat"), &entry.to_json(), Some(&id))
            .await?;
    }
    Ok(())
}

/// A tick's data: the server time, in milliseconds since the epoch and as
/// `HH:MM:SS` UTC for people reading with curl.
fn time_data() -> String {
    let ms = now_ms();
    let seconds = ms / 1000 % 86_400;
    format!(
        r#"{{"time":{ms},"utc":"{:02}:{:02}:{:02}"}}"#,
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}
