//! The room: one ordered stream of entries (messages, joins, leaves) that
//! every WebSocket and every feed of every process sees, with a bounded
//! history to resume from.
//!
//! Two backends behind one [`Room`]: [`MemoryRoom`] (one process, a
//! `broadcast` channel and a ring of the last entries) and
//! [`RedisRoom`](crate::redis_room::RedisRoom) (a Redis Stream, for
//! several processes). An enum rather than a trait object: two variants,
//! and async methods stay plain `async fn`s.
//!
//! The promise both keep, which the feed's resume relies on: an entry is
//! sent to the subscribers only once it is in the history. So a reader
//! that [subscribes](Room::subscribe) first and then reads the
//! [history](Room::since) has every entry in one or the other, and
//! dropping the live ones at or below the last it read leaves no gap and
//! no duplicate.

pub use crate::entry::{now_ms, Entry, Error, Kind, NewEntry, HISTORY};
use crate::ids::ChatId;
use crate::redis_room::RedisRoom;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::{broadcast, watch};

/// How many live entries a slow subscriber may fall behind before it
/// lags (it then catches up from the history).
const LIVE_BUFFER: usize = 256;

/// The chat room, in memory or over Redis.
#[derive(Clone)]
pub enum Room {
    Memory(MemoryRoom),
    Redis(RedisRoom),
}

impl Room {
    /// The live entries from now on. Subscribe before reading the
    /// history (see the module docs).
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Entry>> {
        match self {
            Room::Memory(room) => room.subscribe(),
            Room::Redis(room) => room.subscribe(),
        }
    }

    /// Whether the room can take entries: false while its Redis does not
    /// answer (a memory room always can). Changes when that changes.
    pub fn reachable(&self) -> watch::Receiver<bool> {
        match self {
            Room::Memory(room) => room.reachable.subscribe(),
            Room::Redis(room) => room.reachable(),
        }
    }

    /// The kept entries after `after` (none without it), oldest first,
    /// and the last id added so far, read together: every entry up to
    /// that id is either in the list or at or before `after`.
    ///
    /// Entries are shared, not copied: 200 clients resuming from the start
    /// of a full history hold one copy of it between them (issue 24: each
    /// held its own, 1.7 GB in all).
    pub async fn since(&self, after: Option<ChatId>) -> Result<(Vec<Arc<Entry>>, ChatId), Error> {
        match self {
            Room::Memory(room) => Ok(room.since(after)),
            Room::Redis(room) => room.since(after).await,
        }
    }

    /// Adds an entry; a join counts one more person online, a leave one
    /// fewer. Returns the entry as the room stored it.
    pub async fn add(&self, entry: NewEntry) -> Result<Entry, Error> {
        match self {
            Room::Memory(room) => Ok(room.add(entry)),
            Room::Redis(room) => room.add(entry).await,
        }
    }
}

/// One process's room: the history ring and the live channel under one
/// lock, so an entry is in the history before anyone hears of it.
#[derive(Clone)]
pub struct MemoryRoom {
    inner: Arc<Mutex<Memory>>,
    live: broadcast::Sender<Arc<Entry>>,
    /// Always true: for [`Room::reachable`].
    reachable: Arc<watch::Sender<bool>>,
}

struct Memory {
    history: VecDeque<Arc<Entry>>,
    bound: usize,
    last: ChatId,
    online: i64,
}

impl MemoryRoom {
    /// A room that keeps the last `bound` entries, its ids in the epoch
    /// of now (see [`crate::ids`]).
    pub fn new(bound: usize) -> MemoryRoom {
        MemoryRoom::in_epoch(bound, now_ms())
    }

    /// A room that keeps the last `bound` entries, its ids `EPOCH-N`.
    pub fn in_epoch(bound: usize, epoch: u64) -> MemoryRoom {
        MemoryRoom {
            inner: Arc::new(Mutex::new(Memory {
                history: VecDeque::with_capacity(bound.min(HISTORY)),
                bound,
                last: ChatId::epoch(epoch),
                online: 0,
            })),
            live: broadcast::channel(LIVE_BUFFER).0,
            reachable: Arc::new(watch::channel(true).0),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Entry>> {
        self.live.subscribe()
    }

    pub fn since(&self, after: Option<ChatId>) -> (Vec<Arc<Entry>>, ChatId) {
        let memory = self.inner.lock().expect("room lock");
        let entries = match after {
            Some(after) => memory
                .history
                .iter()
                .filter(|entry| entry.id > after)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        (entries, memory.last)
    }

    pub fn add(&self, new: NewEntry) -> Entry {
        let mut memory = self.inner.lock().expect("room lock");
        memory.online += match new.kind {
            Kind::Join => 1,
            Kind::Leave => -1,
            Kind::Chat => 0,
        };
        memory.last = memory.last.next();
        let entry = Entry {
            kind: new.kind,
            id: memory.last,
            name: new.name,
            text: new.text,
            online: memory.online,
            time: now_ms(),
        };
        if memory.history.len() == memory.bound {
            memory.history.pop_front();
        }
        let shared = Arc::new(entry.clone());
        if memory.bound > 0 {
            memory.history.push_back(shared.clone());
        }
        // Nobody listening is fine.
        let _ = self.live.send(shared);
        entry
    }
}
