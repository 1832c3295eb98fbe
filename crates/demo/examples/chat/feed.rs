//! What one EventSource client is sent, apart from the sending: the chat
//! entries it missed, then the live ones, each once, and the ids of its
//! ticks (the scheme is in [`crate::ids`]).
//!
//! The order of the steps is the whole trick: subscribe to the live
//! entries, then read the history after the client's chat id together
//! with the room's last id; from then on a live entry at or below the
//! last id covered is one the client already has.
//!
//! A client's id from an earlier epoch of the room (an in-memory demo
//! restarted since, see [`crate::ids`]) comes before all of this room's
//! ids: the client gets the whole kept history, then the live entries, and
//! its ids go on increasing. A chat id ahead of the room's last is one
//! the room never sent (made up, or from a room whose clock has since gone
//! back): it counts as no id, like one that does not parse.

use crate::ids::{ChatId, EventId};
use crate::room::{Entry, Error, Room};
use std::sync::Arc;
use tokio::sync::broadcast::{self, error::RecvError};

/// One client's place in the room.
pub struct Feed {
    room: Room,
    live: broadcast::Receiver<Arc<Entry>>,
    /// Every entry up to here was sent, or came before the client's start.
    covered: ChatId,
    /// The last tick's number.
    tick: u64,
}

/// A feed subscribed to the live entries, before its history is read.
pub struct Subscribed {
    room: Room,
    live: broadcast::Receiver<Arc<Entry>>,
    resume: Option<EventId>,
}

impl Feed {
    /// Step one: listen. `last_event_id` is what the client sent (the
    /// header or the `lastEventId` parameter); one that is not ours counts
    /// as none, so the client starts from now.
    pub fn subscribe(room: &Room, last_event_id: Option<&str>) -> Subscribed {
        Subscribed {
            live: room.subscribe(),
            room: room.clone(),
            resume: last_event_id.and_then(|id| id.parse().ok()),
        }
    }

    /// The last chat id this client has been sent (or skipped).
    #[cfg_attr(not(test), allow(dead_code))]
    pub fn covered(&self) -> ChatId {
        self.covered
    }

    /// The next tick's id. Tick numbers go on from the client's
    /// `Last-Event-ID`, so a client's ids never go back; they stop at
    /// [`MAX_TICK`](crate::ids::MAX_TICK), which parsing the id ensures
    /// they start at or below.
    pub fn tick(&mut self) -> EventId {
        self.tick = EventId::next_tick(self.tick);
        EventId::tick(self.covered, self.tick)
    }

    /// The next live entry, as the channel has it. Cancellation-safe: for
    /// a `select!`; hand what it returns to [`admit`](Self::admit).
    pub async fn recv(&mut self) -> Result<Arc<Entry>, RecvError> {
        self.live.recv().await
    }

    /// What to send for what [`recv`](Self::recv) returned: nothing for
    /// an entry already covered, the entry, or, when this client fell
    /// behind the live channel, everything it missed from the history.
    /// Err when the room is gone.
    pub async fn admit(
        &mut self,
        received: Result<Arc<Entry>, RecvError>,
    ) -> Result<Vec<Arc<Entry>>, Error> {
        match received {
            Ok(entry) if entry.id <= self.covered => Ok(Vec::new()),
            Ok(entry) => {
                self.covered = entry.id;
                Ok(vec![entry])
            }
            Err(RecvError::Lagged(_)) => {
                let (missed, last) = self.room.since(Some(self.covered)).await?;
                self.covered = last;
                Ok(missed)
            }
            Err(RecvError::Closed) => Err("the room closed".into()),
        }
    }

    /// [`recv`](Self::recv) and [`admit`](Self::admit) until there is
    /// something to send.
    #[cfg_attr(not(test), allow(dead_code))]
    pub async fn next(&mut self) -> Result<Vec<Arc<Entry>>, Error> {
        loop {
            let received = self.recv().await;
            let entries = self.admit(received).await?;
            if !entries.is_empty() {
                return Ok(entries);
            }
        }
    }
}

impl Subscribed {
    /// Step two: the entries the client missed, oldest first, and the
    /// feed that goes on from the last of them.
    pub async fn catch_up(self) -> Result<(Feed, Vec<Arc<Entry>>), Error> {
        let (missed, last) = self.room.since(self.resume.map(|id| id.chat)).await?;
        // Ahead of the room: not an id it sent (see the module docs).
        let resume = self.resume.filter(|id| id.chat <= last);
        let feed = Feed {
            room: self.room,
            live: self.live,
            covered: last,
            tick: resume.and_then(|id| id.tick).unwrap_or(0),
        };
        Ok((feed, missed))
    }
}
