//! What a room holds: its entries (messages, joins, leaves) and how much
//! of them it keeps. Shared by both backends, so neither imports the
//! other (the room picks between them).

use crate::ids::ChatId;
use serde::Serialize;
use std::time::{SystemTime, UNIX_EPOCH};

/// How many entries a room keeps for clients that resume.
pub const HISTORY: usize = 1_000;

/// Longest name kept, in characters.
pub const MAX_NAME: usize = 32;
/// Longest message kept, in characters.
pub const MAX_TEXT: usize = 2_000;
/// The longest WebSocket message the chat reads, in bytes (its
/// `max_length`): [`MAX_TEXT`] characters at four bytes each, and 192
/// bytes of slack for the spaces around them that are trimmed; 8 KiB in
/// all. A longer message closes the connection with 1009 (message too
/// big) rather than being read whole and cut.
pub const MAX_MESSAGE_BYTES: usize = MAX_TEXT * 4 + 192;
/// The most bytes an entry's fields and values may take in Redis: the
/// longest name and text at four bytes a character, and room for the
/// rest (field names, kind, count, time).
pub const MAX_ENTRY_BYTES: usize = (MAX_NAME + MAX_TEXT) * 4 + 256;

/// `text` trimmed, without control characters, at most `max` characters:
/// what a speaker's name and messages become.
pub fn clean(text: &str, max: usize) -> String {
    text.trim()
        .chars()
        .filter(|c| !c.is_control())
        .take(max)
        .collect()
}

/// Whether an entry read back (from Redis, where anything with write
/// access may have put it) is one a speaker could have added: a name of
/// 1 to [`MAX_NAME`] characters and a text of at most [`MAX_TEXT`], both
/// as [`clean`] leaves them, text for a message and none for a join or a
/// leave.
pub fn check(kind: Kind, name: &str, text: &str) -> Result<(), String> {
    if name.is_empty() || clean(name, MAX_NAME) != name {
        return Err(format!(
            "a name of {} bytes that is not 1 to {MAX_NAME} clean characters",
            name.len()
        ));
    }
    let characters = text.chars().count();
    if characters > MAX_TEXT {
        return Err(format!(
            "a text of {characters} characters, over the {MAX_TEXT} a message may have"
        ));
    }
    if clean(text, MAX_TEXT) != text {
        return Err("a text with control characters or spaces around it".into());
    }
    match (kind, text.is_empty()) {
        (Kind::Chat, true) => Err("a message with no text".into()),
        (Kind::Join | Kind::Leave, false) => Err(format!("a {} with text", kind.as_str())),
        _ => Ok(()),
    }
}

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
