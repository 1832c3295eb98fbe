//! The state that a [`WebSocketServer`](crate::WebSocketServer) shares
//! between its handles, its handshake tasks and the sockets it hands out:
//! the settings, the stop signal, and the count of open connections, each
//! held by a [`Tracker`]. It has a file of its own because all three sides
//! reach into it, and the server and its sockets could not take it from
//! each other without importing each other.

use crate::event_stream_options::EventStreamOptions;
use crate::server_builder::{OnError, Verify};
use crate::server_options::ServerOptions;
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Waker;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// What the accept loop, the handshakes and the open connections share.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    pub(crate) tracking: bool,
    /// Stops accepting and any handshake under way.
    pub(crate) stop: CancellationToken,
    /// `shutdown` was called: tracked connections close with 1001.
    pub(crate) going_away: AtomicBool,
    pub(crate) clients: Mutex<HashMap<u64, Arc<Slot>>>,
    pub(crate) next_id: AtomicU64,
    /// Notified when a tracked connection leaves.
    pub(crate) left: Notify,
    /// A permit for each connection, from its accept until it ends
    /// (`max_connections`); `None` for no bound.
    pub(crate) capacity: Option<Arc<Semaphore>>,
}

pub(crate) struct Settings {
    pub(crate) options: ServerOptions,
    pub(crate) path: Option<String>,
    pub(crate) verify: Option<Verify>,
    pub(crate) on_error: Option<OnError>,
    /// Event streams are served, with these options.
    pub(crate) event_streams: Option<EventStreamOptions>,
    /// TLS for every connection (`wss:`), when set.
    #[cfg(feature = "rustls")]
    pub(crate) tls: Option<tokio_rustls::TlsAcceptor>,
}

/// One tracked connection: the waker of the task reading it, for the
/// shutdown to wake.
#[derive(Default)]
pub(crate) struct Slot {
    pub(crate) waker: Mutex<Option<Waker>>,
}

impl Shared {
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
            shared: self.clone(),
            id,
            slot,
            waker: None,
            closing: false,
            pinned: false,
            _permit: permit,
        })
    }

    /// A place for one more connection: `Some(None)` when there is no
    /// bound, `None` when every place is taken.
    pub(crate) fn admit(&self) -> Option<Option<OwnedSemaphorePermit>> {
        match &self.capacity {
            None => Some(None),
            Some(capacity) => capacity.clone().try_acquire_owned().ok().map(Some),
        }
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
    pub(crate) shared: Arc<Shared>,
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
        if !self.shared.tracking {
            return None;
        }
        if self.closing {
            return Some(false);
        }
        if !self.shared.going_away.load(Ordering::SeqCst) {
            return None;
        }
        self.closing = true;
        Some(true)
    }

    /// Leaves `waker` where the shutdown finds it, when it is not there
    /// already.
    pub(crate) fn register(&mut self, waker: &Waker) {
        if !self.shared.tracking
            || self.closing
            || self.pinned
            || self.waker.as_ref().is_some_and(|w| w.will_wake(waker))
        {
            return;
        }
        *lock(&self.slot.waker) = Some(waker.clone());
        self.waker = Some(waker.clone());
        // A shutdown that woke the slot before the waker was in it.
        if self.shared.going_away.load(Ordering::SeqCst) {
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
        lock(&self.shared.clients).remove(&self.id);
        self.shared.left.notify_waiters();
    }
}
