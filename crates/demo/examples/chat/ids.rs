//! Chat ids and the feed's event ids.
//!
//! A **chat id** orders the room's entries (messages, joins, leaves). Over
//! Redis it is the stream entry id (`"1730000000000-3"`, milliseconds and
//! a sequence number), which Redis makes global and increasing, so every
//! process of the room agrees on it. In memory it is the room's epoch, the
//! millisecond the process started, and a counter (`"1730000000000-17"`):
//! a restarted demo counts from 1 again, but in a later epoch, so its ids
//! still come after every id it gave before, and a tab that kept those
//! gets the new entries as new ones. Both are a pair of numbers here; the
//! epoch 0 is written without it (`"17"` is `0-17`).
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
//! client was sent loses or repeats a message, and the ids a client is
//! sent never go back. Every part is a decimal `u64`; a tick is at most
//! [`MAX_TICK`]. Text that is not such an id, or that does not fit, is
//! refused ([`BadId`]): the feed takes it as no id (and so is a chat id
//! ahead of the room's last, which the room never sent: see
//! [`crate::feed`]).

use std::fmt;
use std::str::FromStr;

/// The largest tick number: 2^53 - 1, the largest integer a JavaScript
/// number holds exactly, so a page can compare ticks as numbers. A feed
/// ticking every second takes 285 million years to get there; the ticks
/// of a feed that resumed there stay there ([`EventId::next_tick`]).
pub const MAX_TICK: u64 = (1 << 53) - 1;

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

    /// The `n`th entry of an in-memory room of epoch 0.
    pub fn counter(n: u64) -> ChatId {
        ChatId { ms: 0, seq: n }
    }

    /// What an in-memory room that started at `epoch` (milliseconds since
    /// the Unix epoch) covers before its first entry.
    pub fn epoch(epoch: u64) -> ChatId {
        ChatId { ms: epoch, seq: 0 }
    }

    /// The in-memory room's next entry: the same epoch, one more.
    pub fn next(self) -> ChatId {
        ChatId {
            ms: self.ms,
            seq: self.seq.checked_add(1).expect("2^64 entries"),
        }
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

/// Not a chat or event id, or one that does not fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadId;

impl FromStr for ChatId {
    type Err = BadId;

    /// `N` or `MS-SEQ`, each a decimal `u64`.
    fn from_str(text: &str) -> Result<ChatId, BadId> {
        match text.split_once('-') {
            Some((ms, seq)) => Ok(ChatId {
                ms: number(ms)?,
                seq: number(seq)?,
            }),
            None => Ok(ChatId::counter(number(text)?)),
        }
    }
}

/// Digits only (no sign, no space), and a `u64`.
fn number(text: &str) -> Result<u64, BadId> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadId);
    }
    text.parse::<u64>().map_err(|_| BadId)
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

    /// A tick's id; `tick` at most [`MAX_TICK`].
    pub fn tick(chat: ChatId, tick: u64) -> EventId {
        debug_assert!(tick <= MAX_TICK);
        EventId {
            chat,
            tick: Some(tick),
        }
    }

    /// The tick number after `tick`: one more, up to [`MAX_TICK`] and no
    /// further (never wrapping round to 0).
    pub fn next_tick(tick: u64) -> u64 {
        tick.saturating_add(1).min(MAX_TICK)
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

    /// `CHAT` or `CHAT.TICK`, the tick a decimal number up to [`MAX_TICK`].
    fn from_str(text: &str) -> Result<EventId, BadId> {
        match text.split_once('.') {
            Some((chat, tick)) => {
                let tick = number(tick)?;
                if tick > MAX_TICK {
                    return Err(BadId);
                }
                Ok(EventId::tick(chat.parse()?, tick))
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
    fn refuses_what_does_not_fit() {
        // Past u64 in any part; a tick past MAX_TICK (2^53 - 1), such as
        // the one whose next tick wrapped round to 0.
        for text in [
            "18446744073709551616",
            "18446744073709551616-0",
            "0-18446744073709551616",
            "1.18446744073709551616",
            "18446744073709551615.18446744073709551615",
            "6.9007199254740992",
            "6.18446744073709551615",
        ] {
            assert_eq!(text.parse::<EventId>(), Err(BadId), "{text:?}");
        }
        // What fits is what it says.
        let top = "18446744073709551615-18446744073709551615.9007199254740991";
        let id: EventId = top.parse().unwrap();
        assert_eq!(
            id.chat,
            ChatId {
                ms: u64::MAX,
                seq: u64::MAX
            }
        );
        assert_eq!(id.tick, Some(MAX_TICK));
        assert_eq!(id.to_string(), top);
    }

    #[test]
    fn ticks_stop_at_the_top_and_never_wrap() {
        assert_eq!(EventId::next_tick(0), 1);
        assert_eq!(EventId::next_tick(41), 42);
        assert_eq!(EventId::next_tick(MAX_TICK - 1), MAX_TICK);
        assert_eq!(EventId::next_tick(MAX_TICK), MAX_TICK);
        assert_eq!(EventId::next_tick(u64::MAX), MAX_TICK);
    }

    #[test]
    fn a_later_epoch_comes_after_every_id_of_an_earlier_one() {
        let before = ChatId::epoch(1_730_000_000_000);
        let after = ChatId::epoch(1_730_000_000_001);
        assert_eq!(before.next().to_string(), "1730000000000-1");
        assert_eq!(after.next().next().to_string(), "1730000000001-2");
        let mut late = before;
        for _ in 0..1_000 {
            late = late.next();
        }
        // The restarted room's first entry, after the last of the old.
        assert!(after.next() > late);
        assert!(after > late, "even before its first entry");
        // And after an id of epoch 0 (a counter), however large.
        assert!(before.next() > ChatId::counter(u64::MAX));
        assert_eq!("1730000000001-2".parse(), Ok(after.next().next()));
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
