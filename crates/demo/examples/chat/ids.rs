//! Chat ids and the feed's event ids.
//!
//! A **chat id** orders the room's entries (messages, joins, leaves). In
//! memory it is a counter (`"17"`); over Redis it is the stream entry id
//! (`"1730000000000-3"`, milliseconds and a sequence number), which Redis
//! makes global and increasing, so every process of the room agrees on it.
//! Both are a pair of numbers here, the counter being `0-N` written `N`.
//!
//! An **event id** is what the feed sends as the EventSource `id`, and so
//! what a reconnecting client hands back as `Last-Event-ID`. It must say
//! where the client was in the chat, whatever the last event was:
//!
//! - a `chat` event's id is its chat id: `"17"`;
//! - a tick's id is `"{chat}.{tick}"`: the last chat id that stream had
//!   covered when it ticked, and that stream's tick counter: `"17.42"`.
//!
//! Resuming from either gives the chat entries after `chat`, so no id a
//! client was sent loses or repeats a message.

use std::fmt;
use std::str::FromStr;

/// Where an entry stands in the room's order (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ChatId {
    /// Redis: the entry's milliseconds; in memory: 0.
    pub ms: u64,
    /// Redis: the sequence within that millisecond; in memory: the counter.
    pub seq: u64,
}

impl ChatId {
    /// Before every entry: what a stream that has seen nothing covers.
    pub const START: ChatId = ChatId { ms: 0, seq: 0 };

    /// The in-memory room's `n`th entry.
    pub fn counter(n: u64) -> ChatId {
        ChatId { ms: 0, seq: n }
    }
}

impl fmt::Display for ChatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ms == 0 {
            write!(f, "{}", self.seq)
        } else {
            write!(f, "{}-{}", self.ms, self.seq)
        }
    }
}

/// Not a chat or event id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadId;

impl FromStr for ChatId {
    type Err = BadId;

    /// `N` or `MS-SEQ`, digits only.
    fn from_str(text: &str) -> Result<ChatId, BadId> {
        let number = |s: &str| {
            if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(BadId);
            }
            s.parse::<u64>().map_err(|_| BadId)
        };
        match text.split_once('-') {
            Some((ms, seq)) => Ok(ChatId {
                ms: number(ms)?,
                seq: number(seq)?,
            }),
            None => Ok(ChatId::counter(number(text)?)),
        }
    }
}

/// A feed event id: a chat id, and for ticks the tick counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventId {
    /// The chat entries up to here were covered.
    pub chat: ChatId,
    /// Set for a tick: that stream's tick counter.
    pub tick: Option<u64>,
}

impl EventId {
    /// A chat event's id.
    pub fn chat(chat: ChatId) -> EventId {
        EventId { chat, tick: None }
    }

    /// A tick's id.
    pub fn tick(chat: ChatId, tick: u64) -> EventId {
        EventId {
            chat,
            tick: Some(tick),
        }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tick {
            Some(tick) => write!(f, "{}.{tick}", self.chat),
            None => write!(f, "{}", self.chat),
        }
    }
}

impl FromStr for EventId {
    type Err = BadId;

    fn from_str(text: &str) -> Result<EventId, BadId> {
        match text.split_once('.') {
            Some((chat, tick)) => {
                let tick: ChatId = tick.parse()?;
                if tick.ms != 0 {
                    return Err(BadId);
                }
                Ok(EventId::tick(chat.parse()?, tick.seq))
            }
            None => Ok(EventId::chat(text.parse()?)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        for text in ["0", "17", "1730000000000-3", "17.42", "1730000000000-3.1"] {
            let id: EventId = text.parse().unwrap();
            assert_eq!(id.to_string(), text);
        }
        assert_eq!("17.42".parse(), Ok(EventId::tick(ChatId::counter(17), 42)));
        assert_eq!("5-6".parse(), Ok(EventId::chat(ChatId { ms: 5, seq: 6 })));
    }

    #[test]
    fn refuses_what_is_not_an_id() {
        for text in [
            "",
            "x",
            "-1",
            "1-",
            "1.2.3",
            "1.",
            ".1",
            "1.2-3",
            "+1",
            "1 ",
            "99999999999999999999",
        ] {
            assert_eq!(text.parse::<EventId>(), Err(BadId), "{text:?}");
        }
    }

    #[test]
    fn orders_as_the_stream_does() {
        let ids = ["0", "3", "12", "1-0", "1-5", "2-0", "10-0"];
        let parsed: Vec<ChatId> = ids.iter().map(|id| id.parse().unwrap()).collect();
        assert!(
            parsed.windows(2).all(|pair| pair[0] < pair[1]),
            "{parsed:?}"
        );
    }
}
