//! The state that a [`WebSocketServer`](crate::WebSocketServer) shares
//! between its handles, its handshake tasks and the sockets it hands out:
//! the settings, the stop signal, and the registry of open connections
//! (each holding a [`Tracker`](crate::websocket::tracker::Tracker)). It
//! has a file of its own because all three sides reach into it.

use crate::server::builder::{OnError, Verify};
use crate::server::options::ServerOptions;
use crate::sse::stream_options::EventStreamOptions;
use crate::websocket::tracker::{Registry, Tracker};
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

/// What the accept loop, the handshakes and the open connections share.
pub(crate) struct Shared {
    pub(crate) settings: Settings,
    /// Stops accepting and any handshake under way.
    pub(crate) stop: CancellationToken,
    /// The open connections, and the shutdown they watch.
    pub(crate) registry: Arc<Registry>,
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

impl Shared {
    /// The link of a connection that opened (see [`Registry::track`]).
    pub(crate) fn track(&self, permit: Option<OwnedSemaphorePermit>) -> Option<Tracker> {
        self.registry.track(permit)
    }

    /// A place for one more connection: `Some(None)` when there is no
    /// bound, `None` when every place is taken.
    pub(crate) fn admit(&self) -> Option<Option<OwnedSemaphorePermit>> {
        match &self.capacity {
            None => Some(None),
            Some(capacity) => capacity.clone().try_acquire_owned().ok().map(Some),
        }
    }
}
