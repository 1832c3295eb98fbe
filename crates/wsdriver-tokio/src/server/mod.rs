//! [`WebSocketServer`]: a TCP listener that answers WebSocket handshakes,
//! as ws's `WebSocketServer`. The handshake (validation, subprotocol,
//! extensions, every refusal) is the core driver's; this accepts
//! connections, runs each handshake in a task of its own, keeps count of
//! the open connections and tells them when the server shuts down.

pub(crate) mod accept;
pub(crate) mod builder;
pub(crate) mod options;
pub(crate) mod reject;
pub(crate) mod shared;
pub(crate) mod socket;

use crate::error::Error;
use crate::net::deadline::until;
use crate::net::server_stream::ServerStream;
use crate::server::builder::{ClientInfo, Data, ServerBuilder};
use crate::server::reject::Reject;
use crate::server::shared::{Settings, Shared};
use crate::server::socket::ServerSocket;
use crate::sse::stream::{self as event_stream, EventStream};
use crate::sync::lock;
use crate::trace;
use crate::websocket::WebSocket;

use crate::websocket::tracker::Registry;
use std::fmt;
use std::net::SocketAddr;
use std::pin::pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wsdriver::eventsource::is_event_source;
use wsdriver::{is_websocket, Request, ServerHandshake};

/// Handshakes done but not yet taken by [`WebSocketServer::accept`];
/// further ones wait.
const QUEUE: usize = 32;

// Starting a server from a builder's settings (the settings themselves are
// in server_builder.rs): here, beside the accept loop it spawns.
impl ServerBuilder {
    /// Binds a TCP listener to `addr` and starts accepting.
    ///
    /// # Errors
    /// The address cannot be bound, or the options are refused by the core.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<WebSocketServer, Error> {
        let listener = TcpListener::bind(addr).await?;
        self.listen(listener)
    }

    /// Starts accepting on a listener bound elsewhere. Must be called
    /// within a tokio runtime: connections are accepted and their
    /// handshakes run in tasks of their own.
    ///
    /// # Errors
    /// Options the core refuses ([`Error::Config`], [`Error::WebSocket`]),
    /// or a listener without a local address.
    pub fn listen(mut self, listener: TcpListener) -> Result<WebSocketServer, Error> {
        if let Some(timeout) = self.handshake_timeout {
            self.options.options = self.options.options.handshake_timeout(timeout);
        }
        // Options the core refuses fail here rather than on each client.
        self.options.handshake()?;
        let local_addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            settings: Settings {
                options: self.options,
                path: self.path,
                verify: self.verify,
                on_error: self.on_error,
                event_streams: self.event_streams,
                #[cfg(feature = "rustls")]
                tls: self.tls.map(tokio_rustls::TlsAcceptor::from),
            },
            stop: CancellationToken::new(),
            registry: Registry::new(self.tracking),
            // Past tokio's bound on permits (2^61) there is no bound.
            capacity: self
                .max_connections
                .filter(|&max| max <= tokio::sync::Semaphore::MAX_PERMITS)
                .map(|max| Arc::new(tokio::sync::Semaphore::new(max))),
        });
        let (sockets, incoming) = mpsc::channel(QUEUE);
        let (streams, incoming_streams) = mpsc::channel(QUEUE);
        let queues = Queues { sockets, streams };
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone(), queues));
        Ok(WebSocketServer {
            owner: Arc::new(Owner {
                shared,
                incoming: tokio::sync::Mutex::new(incoming),
                incoming_streams: tokio::sync::Mutex::new(incoming_streams),
                accept_task: Mutex::new(Some(accept_task)),
                local_addr,
            }),
        })
    }
}

/// A WebSocket server on a TCP listener, as ws's `WebSocketServer`.
///
/// Each connection's handshake runs in a task of its own and is validated
/// by the core driver; [`accept`](Self::accept) hands out the ones that
/// opened. Plain HTTP requests get `426 Upgrade Required`, requests the
/// path filter or [`verify_client`](ServerBuilder::verify_client) refuse
/// get their status, and bad handshakes the driver's refusal.
///
/// Cloning gives another handle on the same server (to call
/// [`shutdown`](Self::shutdown) from another task); the listener closes
/// when the last handle is dropped or the server shuts down.
///
/// ```
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// use wsdriver_tokio::{connect, ClientOptions, WebSocketServer};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), wsdriver_tokio::Error> {
/// // Port 0: any free port; `local_addr` says which.
/// let server = WebSocketServer::bind("127.0.0.1:0").await?;
/// let url = format!("ws://{}/echo", server.local_addr());
/// let handle = server.clone();
/// tokio::spawn(async move {
///     while let Some(mut socket) = server.accept().await {
///         println!("{} asked for {}", socket.peer_addr(), socket.request().uri);
///         tokio::spawn(async move {
///             while let Some(Ok(message)) = socket.next().await {
///                 if socket.send(message).await.is_err() {
///                     break;
///                 }
///             }
///         });
///     }
/// });
/// let mut client = connect(&url, ClientOptions::default()).await?;
/// client.send("hi").await?;
/// assert_eq!(client.next().await.transpose()?.unwrap().as_text(), Some("hi"));
/// let reading = tokio::spawn(async move { while client.next().await.is_some() {} });
///
/// // Later: close every client with 1001 and wait up to 5 s for them.
/// let remaining = handle.shutdown(Duration::from_secs(5)).await;
/// assert_eq!(remaining, 0);
/// # reading.await.unwrap();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct WebSocketServer {
    owner: Arc<Owner>,
}

impl fmt::Debug for WebSocketServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("WebSocketServer")
            .field("local_addr", &self.owner.local_addr)
            .field("clients", &self.clients())
            .field("shut_down", &self.owner.shared.stop.is_cancelled())
            .finish()
    }
}

impl WebSocketServer {
    /// Settings for a server: path filter, client check, subprotocols,
    /// deflate...
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// A server with the default settings on `addr`.
    ///
    /// # Errors
    /// The address cannot be bound.
    pub async fn bind(addr: impl ToSocketAddrs) -> Result<Self, Error> {
        Self::builder().bind(addr).await
    }

    /// The next connection whose handshake succeeded. Refused handshakes
    /// were answered already and are not returned (see
    /// [`ServerBuilder::on_handshake_error`]).
    ///
    /// `None` from the moment [`shutdown`](Self::shutdown) is called
    /// (or the last handle is dropped), while the shutdown is still
    /// closing the connections handed out before: no new connection is
    /// handed out once it has begun, and a connection whose handshake
    /// completed meanwhile is closed with 1001 rather than returned.
    ///
    /// Several tasks may wait in `accept` at once; each connection goes to
    /// one of them.
    ///
    /// Cancellation-safe: dropping the future (a `select!` branch that
    /// lost) loses no connection; it waits for the next call.
    pub async fn accept(&self) -> Option<ServerSocket> {
        let stop = &self.owner.shared.stop;
        let mut incoming = stop.run_until_cancelled(self.owner.incoming.lock()).await?;
        stop.run_until_cancelled(incoming.recv()).await.flatten()
    }

    /// The next event stream opened by an EventSource client, when the
    /// server serves them ([`ServerBuilder::event_streams`]); `None` once
    /// the server shuts down (and never anything without that setting).
    /// Cancellation-safe, as [`accept`](Self::accept) is.
    pub async fn accept_event_stream(&self) -> Option<EventStream> {
        let stop = &self.owner.shared.stop;
        let mut incoming = stop
            .run_until_cancelled(self.owner.incoming_streams.lock())
            .await?;
        stop.run_until_cancelled(incoming.recv()).await.flatten()
    }

    /// The address the listener is bound to (the port, when bound to 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.owner.local_addr
    }

    /// How many connections are open (ws's `clients.size`): counted from
    /// the end of their handshake until they close, are dropped, or leave
    /// with [`ServerSocket::into_inner`]. Always 0 without
    /// [`client_tracking`](ServerBuilder::client_tracking).
    pub fn clients(&self) -> usize {
        self.owner.shared.registry.count()
    }

    /// Shuts the server down: stops accepting ([`accept`](Self::accept)
    /// returns `None`, and the listener is closed by the time this
    /// returns, unless `timeout` passed first), drops handshakes under
    /// way, starts the close handshake with 1001 (Going Away) on every
    /// tracked connection, and waits up to `timeout` for them to close.
    /// Returns how many were still open at the deadline (0 when all
    /// closed); those still learn of the shutdown when next read or
    /// written.
    ///
    /// A connection learns of the shutdown when it is next read or
    /// written, and is woken for that if a task is reading it; keep
    /// reading, as the close handshake needs. Calling `shutdown` again
    /// waits again.
    pub async fn shutdown(&self, timeout: Duration) -> usize {
        // The one bound on the whole shutdown, the caller's: every wait
        // below ends at it.
        let deadline = Some((Instant::now() + timeout).into_std());
        let shared = &self.owner.shared;
        shared.registry.going_away.store(true, Ordering::SeqCst);
        shared.stop.cancel();
        shared.registry.wake_clients();
        // The listener is closed once the accept loop has ended.
        let accept_task = lock(&self.owner.accept_task).take();
        if let Some(task) = accept_task {
            let _ = until(deadline, task).await;
        }
        // Connections that opened but were not accepted yet: the
        // handshake tasks close the ones that come after this.
        if let Some(mut incoming) = until(deadline, self.owner.incoming.lock()).await {
            incoming.close();
            while let Ok(socket) = incoming.try_recv() {
                tokio::spawn(until(deadline, socket.go_away()));
            }
        }
        // Their writers end them on the stop signal.
        if let Some(mut incoming) = until(deadline, self.owner.incoming_streams.lock()).await {
            incoming.close();
            while incoming.try_recv().is_ok() {}
        }
        loop {
            let mut left = pin!(shared.registry.left.notified());
            left.as_mut().enable();
            let remaining = self.clients();
            if remaining == 0 || until(deadline, left).await.is_none() {
                return self.clients();
            }
        }
    }
}

/// The listener's side of the server, shared by every handle; dropping
/// the last handle stops accepting.
struct Owner {
    shared: Arc<Shared>,
    incoming: tokio::sync::Mutex<mpsc::Receiver<ServerSocket>>,
    incoming_streams: tokio::sync::Mutex<mpsc::Receiver<EventStream>>,
    accept_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    local_addr: SocketAddr,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.stop.cancel();
    }
}

/// Where opened connections wait for `accept` and `accept_event_stream`.
#[derive(Clone)]
struct Queues {
    sockets: mpsc::Sender<ServerSocket>,
    streams: mpsc::Sender<EventStream>,
}

/// What a handshake opened. Moved once, straight into the queue: boxing
/// the WebSocket would cost every connection an allocation for nothing.
#[allow(clippy::large_enum_variant)]
enum Opened {
    WebSocket(
        WebSocket<ServerStream>,
        Box<Request>,
        Option<Data>,
        Option<OwnedSemaphorePermit>,
    ),
    EventStream(EventStream),
}

/// Seconds a client refused for a full server is told to wait
/// (`Retry-After` on the 503).
const FULL_RETRY_AFTER: &str = "5";

/// Accepts connections until the server stops; each handshake runs in a
/// task of its own so a slow client holds up no other.
async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, queues: Queues) {
    // Out of file descriptors and the like: `accept_tcp` waits and tries
    // again rather than spin or stop.
    let next = || {
        crate::net::listener::accept_tcp(&listener, |error| {
            trace::event!(warn, error = %error, "accepting a connection failed");
            let _ = error;
        })
    };
    while let Some((stream, peer_addr)) = shared.stop.run_until_cancelled(next()).await {
        let span = trace::connection_span(Some(peer_addr), None);
        // Taken here, so that handshakes under way count too.
        let place = shared.admit();
        let task = connection(stream, peer_addr, place, shared.clone(), queues.clone());
        tokio::spawn(trace::instrument(task, span));
    }
}

/// One connection: the handshake, then the hand-off to `accept`. `place`
/// is its permit under `max_connections` (`Some(None)` when unbounded);
/// `None`, the server is full and answers 503 once the request is in.
async fn connection(
    stream: TcpStream,
    peer_addr: SocketAddr,
    place: Option<Option<OwnedSemaphorePermit>>,
    shared: Arc<Shared>,
    queues: Queues,
) {
    let _ = stream.set_nodelay(true);
    // The handshake machine times the whole opening from the accept (and
    // answers 408 when it runs out): TLS first, within its deadline, so
    // that a client trickling its TLS handshake gets no second allowance
    // for its request.
    let handshake = async {
        let mut machine = shared.settings.options.handshake()?;
        let stream = secure(stream, &shared.settings, &mut machine).await?;
        handshake(stream, machine, peer_addr, place, &shared).await
    };
    // Refusals were answered by the driver; there is no one to tell.
    let (mut socket, request, data, permit) = match shared.stop.run_until_cancelled(handshake).await
    {
        Some(Ok(Opened::WebSocket(socket, request, data, permit))) => {
            (socket, request, data, permit)
        }
        Some(Ok(Opened::EventStream(stream))) => {
            // A server shutting down ends it (its writer sees the stop).
            let _ = queues.streams.send(stream).await;
            return;
        }
        Some(Err(error)) => {
            if let Some(hook) = &shared.settings.on_error {
                hook(peer_addr, &error);
            }
            return;
        }
        None => return,
    };
    socket.tracker = shared.track(permit).map(Box::new);
    let socket = ServerSocket {
        socket,
        request,
        data,
        peer_addr,
    };
    if let Err(mpsc::error::SendError(socket)) = queues.sockets.send(socket).await {
        // The server shut down (or was dropped) while this one opened.
        if shared.registry.going_away.load(Ordering::SeqCst) {
            socket.go_away().await;
        }
    }
}

/// The connection's transport: TLS over it when the server has a
/// certificate, within `handshake`'s deadline; plain TCP otherwise.
async fn secure(
    stream: TcpStream,
    settings: &Settings,
    handshake: &mut ServerHandshake,
) -> Result<ServerStream, Error> {
    #[cfg(feature = "rustls")]
    if let Some(acceptor) = &settings.tls {
        let accepting = acceptor.accept(stream);
        let deadline = wsdriver::Machine::poll_timeout(&*handshake);
        let Some(tls) = crate::net::deadline::until(deadline, accepting).await else {
            return Err(Error::Timeout(crate::error::Phase::TlsAccept));
        };
        return Ok(ServerStream::Tls(Box::new(
            tls.map_err(Error::from_tls_io)?,
        )));
    }
    let _ = (settings, handshake);
    Ok(ServerStream::Plain(stream))
}

/// The server's side of the handshake: the core parses and validates, the
/// application's path and client checks refuse through the core.
async fn handshake(
    mut stream: ServerStream,
    mut handshake: ServerHandshake,
    peer_addr: SocketAddr,
    place: Option<Option<OwnedSemaphorePermit>>,
    shared: &Shared,
) -> Result<Opened, Error> {
    let settings = &shared.settings;
    let options = &settings.options;
    let mut data = None;
    accept::read_request(&mut stream, &mut handshake).await?;
    let Some(permit) = place else {
        let reject = Reject::new(503, "Service Unavailable: too many connections")
            .header("Retry-After", FULL_RETRY_AFTER)?;
        return Err(accept::refuse(&mut stream, &mut handshake, reject).await);
    };
    // The socket keeps it: an open connection does not.
    let request = Box::new(handshake.request().expect("a read request").clone());
    let event_stream = match &settings.event_streams {
        Some(options) if is_event_source(&*request) => Some(options),
        _ => None,
    };
    if event_stream.is_none() && !is_websocket(&*request) {
        return Err(accept::refuse_plain_http(&mut stream, &mut handshake).await);
    }
    if let (Some(path), None) = (&settings.path, event_stream) {
        if request.uri.path() != path {
            let body = "Bad Request: no WebSocket endpoint at this path";
            let reject = Reject::new(400, body);
            return Err(accept::refuse(&mut stream, &mut handshake, reject).await);
        }
    }
    if let Some(verify) = &settings.verify {
        let info = ClientInfo {
            request: (*request).clone(),
            peer_addr,
        };
        data = match accept::before_deadline(&mut handshake, verify(info)).await {
            Some(Ok(data)) => Some(data),
            Some(Err(reject)) => {
                return Err(accept::refuse(&mut stream, &mut handshake, reject).await)
            }
            None => return Err(accept::fail_timed_out(&mut stream, &mut handshake).await),
        }
    }
    if let Some(options) = event_stream {
        let head = options.response_head()?;
        let stop = Some(shared.stop.clone());
        let events = event_stream::spawn(stream, &*request, head, options, stop, permit);
        return Ok(Opened::EventStream(events));
    }
    let socket = accept::open(stream, handshake, options.config.clone()).await?;
    Ok(Opened::WebSocket(socket, request, data, permit))
}
