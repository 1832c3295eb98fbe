//! What a room holds: its entries (messages, joins, leaves) and how much
//! of them it keeps. Shared by both backends, so neither imports the
//! other (the room picks between them).

use crate::ids::ChatId;
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// How many entries a room keeps for clients that resume.
pub const HISTORY: usize = 1_000;

/// What an entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Chat,
    Join,
    Leave,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Join => "join",
            Kind::Leave => "leave",
        }
    }

    pub fn parse(text: &str) -> Option<Kind> {
        match text {
            "chat" => Some(Kind::Chat),
            "join" => Some(Kind::Join),
            "leave" => Some(Kind::Leave),
            _ => None,
        }
    }
}

/// One entry of the room, as the page gets it (JSON, over the WebSocket
/// and as a `chat` event on the feed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    #[serde(rename = "type")]
    pub kind: Kind,
    #[serde(serialize_with = "as_string")]
    pub id: ChatId,
    pub name: String,
    pub text: String,
    /// People online right after this entry.
    pub online: i64,
    /// When the server added it, in milliseconds since the Unix epoch.
    pub time: u64,
}

fn as_string<S: serde::Serializer>(id: &ChatId, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(id)
}

impl Entry {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("an entry serializes")
    }
}

/// What a speaker adds; the room gives it its id and the online count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    pub kind: Kind,
    pub name: String,
    pub text: String,
}

/// The room failed (Redis went away): the request fails, the process
/// keeps serving.
pub type Error = Box<dyn std::error::Error + Send + Sync>;

/// The clock entries are stamped with.
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_millis() as u64)
}
