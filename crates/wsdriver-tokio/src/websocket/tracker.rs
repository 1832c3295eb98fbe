//! A server's count of its open connections, and their watch for its
//! shutdown. It lives with the WebSocket, whose every read, send, ping
//! and pong looks at it; the server holds the [`Registry`] and hands a
//! [`Tracker`] to each connection it opens.

use crate::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use tokio::sync::{Notify, OwnedSemaphorePermit};

/// The open connections of one server, and whether it is shutting down.
pub(crate) struct Registry {
    /// Connections are counted (`client_tracking`).
    pub(crate) tracking: bool,
    /// `shutdown` was called: tracked connections close with 1001.
    pub(crate) going_away: AtomicBool,
    pub(crate) clients: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
    /// Notified when a tracked connection leaves.
    pub(crate) left: Notify,
}

impl Registry {
    pub(crate) fn new(tracking: bool) -> Arc<Self> {
        Arc::new(Registry {
            tracking,
            going_away: AtomicBool::new(false),
            clients: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            left: Notify::new(),
        })
    }

    /// How many connections are counted now.
    pub(crate) fn count(&self) -> usize {
        lock(&self.clients).len()
    }
}

/// One tracked connection: the waker of the task reading it, for the
/// shutdown to wake.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) waker: Mutex<Option<Waker>>,
}

impl Registry {
    /// The link of a connection that opened: counted (when tracking) and
    /// holding its place under `max_connections` (`permit`) until it
    /// closes, is dropped or leaves with `into_inner`.
    pub(crate) fn track(self: &Arc<Self>, permit: Option<OwnedSemaphorePermit>) -> Option<Tracker> {
        if !self.tracking && permit.is_none() {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        if self.tracking {
            lock(&self.clients).insert(id, slot.clone());
        }
        Some(Tracker {
            registry: self.clone(),
            id,
            slot,
            waker: None,
            closing: false,
            pinned: false,
            _permit: permit,
        })
    }

    pub(crate) fn wake_clients(&self) {
        for slot in lock(&self.clients).values() {
            if let Some(waker) = lock(&slot.waker).as_ref() {
                waker.wake_by_ref();
            }
        }
    }
}

/// A tracked connection's link to its server. Dropping it leaves the
/// count.
pub(crate) struct Tracker {
    pub(crate) registry: Arc<Registry>,
    id: u64,
    pub(crate) slot: Arc<Slot>,
    /// The waker last left in `slot`: while the same task reads, the slot
    /// is not touched.
    pub(crate) waker: Option<Waker>,
    /// The shutdown's close has been started.
    pub(crate) closing: bool,
    /// Split halves left a waker that reaches both: the reading task's
    /// must not replace it, or a half that only writes would not hear the
    /// shutdown.
    pub(crate) pinned: bool,
    _permit: Option<OwnedSemaphorePermit>,
}

/// The reason sent with the 1001 of a shutdown.
pub(crate) const SHUTDOWN_REASON: &str = "Server shutting down";

impl Tracker {
    /// Whether the server is shutting down: `Some(true)` the first time
    /// it is seen (the socket then starts its close with 1001),
    /// `Some(false)` after. One atomic load while it runs.
    #[inline]
    pub(crate) fn observe(&mut self) -> Option<bool> {
        if !self.registry.tracking {
            return None;
        }
        if self.closing {
            return Some(false);
        }
        if !self.registry.going_away.load(Ordering::SeqCst) {
            return None;
        }
        self.closing = true;
        Some(true)
    }

    /// Leaves `waker` where the shutdown finds it, when it is not there
    /// already.
    pub(crate) fn register(&mut self, waker: &Waker) {
        if !self.registry.tracking
            || self.closing
            || self.pinned
            || self.waker.as_ref().is_some_and(|w| w.will_wake(waker))
        {
            return;
        }
        *lock(&self.slot.waker) = Some(waker.clone());
        self.waker = Some(waker.clone());
        // A shutdown that woke the slot before the waker was in it.
        if self.registry.going_away.load(Ordering::SeqCst) {
            waker.wake_by_ref();
        }
    }
}

impl Tracker {
    /// Leaves `waker` for good (split halves: it wakes both).
    pub(crate) fn pin(&mut self, waker: &Waker) {
        self.register(waker);
        self.pinned = true;
    }
}

impl Drop for Tracker {
    fn drop(&mut self) {
        lock(&self.registry.clients).remove(&self.id);
        self.registry.left.notify_waiters();
    }
}
