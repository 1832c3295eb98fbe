//! [`WebSocketServer`]: a TCP listener that answers WebSocket handshakes,
//! as ws's `WebSocketServer`. The handshake (validation, subprotocol,
//! extensions, every refusal) is the core driver's; this accepts
//! connections, runs each handshake in a task of its own, keeps count of
//! the open connections and tells them when the server shuts down.

use crate::accept;
use crate::error::Error;
use crate::server_options::ServerOptions;
use crate::sync::lock;
use crate::websocket::WebSocket;
use futures_core::Stream;
use futures_sink::Sink;
use std::collections::HashMap;
use std::fmt;
use std::future::{poll_fn, Future};
use std::net::SocketAddr;
use std::ops::{Deref, DerefMut};
use std::pin::{pin, Pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{ready, Context, Poll, Waker};
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream, ToSocketAddrs};
use tokio::sync::{mpsc, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use wsdriver::{is_websocket, CloseEvent, Message, ReadyState, Request};

/// The reason sent with close 1001 when the server shuts down.
const SHUTDOWN_REASON: &str = "Server shutting down";
/// Handshakes done but not yet taken by [`WebSocketServer::accept`];
/// further ones wait.
const QUEUE: usize = 32;

type VerifyFuture = Pin<Box<dyn Future<Output = Result<(), (u16, String)>> + Send>>;
type Verify = Arc<dyn Fn(ClientInfo) -> VerifyFuture + Send + Sync>;

/// What a [`verify_client`](ServerBuilder::verify_client) check is told
/// about a connecting client (ws's `info`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClientInfo {
    /// The handshake request: method, target, headers.
    pub request: Request,
    /// The client's address.
    pub peer_addr: SocketAddr,
}

impl ClientInfo {
    /// The page's origin: `Origin`, or `Sec-WebSocket-Origin` as draft 8
    /// clients name it.
    pub fn origin(&self) -> Option<&str> {
        let headers = &self.request.headers;
        headers
            .get("origin")
            .or_else(|| headers.get("sec-websocket-origin"))
            .and_then(|value| value.to_str().ok())
    }
}

/// Settings of a [`WebSocketServer`], from
/// [`WebSocketServer::builder`]; [`bind`](Self::bind) starts it.
///
/// ```no_run
/// use std::time::Duration;
/// use wsdriver_tokio::{DeflateConfig, ServerOptions, WebSocketServer};
///
/// # async fn run() -> Result<(), wsdriver_tokio::Error> {
/// let server = WebSocketServer::builder()
///     .server_options(
///         ServerOptions::default()
///             .protocols(["chat.v2", "chat.v1"])
///             .deflate(DeflateConfig::default())
///             .max_length(1 << 20),
///     )
///     .path("/chat")
///     .handshake_timeout(Some(Duration::from_secs(10)))
///     .verify_client(|info| async move {
///         match info.origin() {
///             Some("https://example.com") => Ok(()),
///             _ => Err((403, "Forbidden origin".to_owned())),
///         }
///     })
///     .bind("127.0.0.1:8080")
///     .await?;
/// # Ok(()) }
/// ```
#[must_use = "a builder does nothing until bind or listen"]
pub struct ServerBuilder {
    options: ServerOptions,
    /// Set apart from `options` (where it ends up) so that the order of
    /// `handshake_timeout` and `server_options` does not matter.
    handshake_timeout: Option<Option<Duration>>,
    path: Option<String>,
    verify: Option<Verify>,
    tracking: bool,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            options: ServerOptions::default(),
            handshake_timeout: None,
            path: None,
            verify: None,
            tracking: true,
        }
    }
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("options", &self.options)
            .field("handshake_timeout", &self.handshake_timeout)
            .field("path", &self.path)
            .field("verify_client", &self.verify.is_some())
            .field("client_tracking", &self.tracking)
            .finish()
    }
}

impl ServerBuilder {
    /// What the server accepts: subprotocols, `max_length`, deflate,
    /// keepalive... (see [`ServerOptions`]), replacing what was set
    /// before.
    pub fn server_options(mut self, options: ServerOptions) -> Self {
        self.options = options;
        self
    }

    /// Accept connections only at this path (ws's `path`); the query is
    /// not compared. Requests for other paths get `400 Bad Request`, as
    /// from ws.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// A check of each client before it is accepted (ws's
    /// `verifyClient`): `Ok(())` accepts, `Err((status, body))` answers
    /// with that HTTP status and plain-text body. It runs after the path
    /// filter and before the core validates the handshake.
    ///
    /// The check is async, so it may look a token up; a synchronous one
    /// returns a ready future: `|info| std::future::ready(check(&info))`.
    /// Each connection's handshake runs in its own task, so a slow check
    /// holds up only its client (within the
    /// [`handshake_timeout`](Self::handshake_timeout)).
    pub fn verify_client<F, Fut>(mut self, verify: F) -> Self
    where
        F: Fn(ClientInfo) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), (u16, String)>> + Send + 'static,
    {
        self.verify = Some(Arc::new(move |info| Box::pin(verify(info))));
        self
    }

    /// Whether the server keeps count of its open connections (ws's
    /// `clientTracking`, on by default). Untracked connections are not
    /// counted by [`clients`](WebSocketServer::clients) and are not closed
    /// by [`shutdown`](WebSocketServer::shutdown).
    pub fn client_tracking(mut self, tracking: bool) -> Self {
        self.tracking = tracking;
        self
    }

    /// How long a client may take to send its handshake (and the
    /// [`verify_client`](Self::verify_client) check to answer); 30 s by
    /// default, `None` waits for ever. It is the core's
    /// [`Options::handshake_timeout`](wsdriver::Options::handshake_timeout),
    /// set here too because it bounds the `verify_client` check as well;
    /// when set here, it wins over the one in
    /// [`server_options`](Self::server_options), whichever came first.
    ///
    /// A client that sent part of its request by then gets `408 Request
    /// Timeout`; one that sent nothing is dropped.
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = Some(timeout);
        self
    }

    /// Binds a TCP listener to `addr` and starts accepting.
    pub async fn bind(self, addr: impl ToSocketAddrs) -> Result<WebSocketServer, Error> {
        let listener = TcpListener::bind(addr).await?;
        self.listen(listener)
    }

    /// Starts accepting on a listener bound elsewhere. Must be called
    /// within a tokio runtime: connections are accepted and their
    /// handshakes run in tasks of their own.
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
            },
            tracking: self.tracking,
            stop: CancellationToken::new(),
            going_away: AtomicBool::new(false),
            clients: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            left: Notify::new(),
        });
        let (queue, incoming) = mpsc::channel(QUEUE);
        let accept_task = tokio::spawn(accept_loop(listener, shared.clone(), queue));
        Ok(WebSocketServer {
            owner: Arc::new(Owner {
                shared,
                incoming: tokio::sync::Mutex::new(incoming),
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
/// ```no_run
/// use futures_util::StreamExt;
/// use std::time::Duration;
/// use wsdriver_tokio::WebSocketServer;
///
/// # async fn run() -> Result<(), wsdriver_tokio::Error> {
/// let server = WebSocketServer::bind("127.0.0.1:8080").await?;
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
/// // Later: close every client with 1001 and wait up to 5 s for them.
/// let remaining = handle.shutdown(Duration::from_secs(5)).await;
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
    pub async fn bind(addr: impl ToSocketAddrs) -> Result<Self, Error> {
        Self::builder().bind(addr).await
    }

    /// The next connection whose handshake succeeded, or `None` once the
    /// server has shut down. Refused handshakes were answered already and
    /// are not reported.
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

    /// The address the listener is bound to (the port, when bound to 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.owner.local_addr
    }

    /// How many connections are open (ws's `clients.size`): counted from
    /// the end of their handshake until they close, are dropped, or leave
    /// with [`ServerSocket::into_inner`]. Always 0 without
    /// [`client_tracking`](ServerBuilder::client_tracking).
    pub fn clients(&self) -> usize {
        lock(&self.owner.shared.clients).len()
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
        let deadline = Instant::now() + timeout;
        let shared = &self.owner.shared;
        shared.going_away.store(true, Ordering::SeqCst);
        shared.stop.cancel();
        shared.wake_clients();
        // The listener is closed once the accept loop has ended.
        let accept_task = lock(&self.owner.accept_task).take();
        if let Some(task) = accept_task {
            let _ = tokio::time::timeout_at(deadline, task).await;
        }
        // Connections that opened but were not accepted yet: the
        // handshake tasks close the ones that come after this.
        if let Ok(mut incoming) =
            tokio::time::timeout_at(deadline, self.owner.incoming.lock()).await
        {
            incoming.close();
            while let Ok(socket) = incoming.try_recv() {
                tokio::spawn(tokio::time::timeout_at(deadline, socket.go_away()));
            }
        }
        loop {
            let mut left = pin!(shared.left.notified());
            left.as_mut().enable();
            let remaining = self.clients();
            if remaining == 0 || tokio::time::timeout_at(deadline, left).await.is_err() {
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
    accept_task: Mutex<Option<tokio::task::JoinHandle<()>>>,
    local_addr: SocketAddr,
}

impl Drop for Owner {
    fn drop(&mut self) {
        self.shared.stop.cancel();
    }
}

/// What the accept loop, the handshakes and the open connections share.
struct Shared {
    settings: Settings,
    tracking: bool,
    /// Stops accepting and any handshake under way.
    stop: CancellationToken,
    /// `shutdown` was called: tracked connections close with 1001.
    going_away: AtomicBool,
    clients: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
    /// Notified when a tracked connection leaves.
    left: Notify,
}

struct Settings {
    options: ServerOptions,
    path: Option<String>,
    verify: Option<Verify>,
}

/// One tracked connection: the waker of the task reading it, for the
/// shutdown to wake.
#[derive(Default)]
struct Slot {
    waker: Mutex<Option<Waker>>,
}

impl Shared {
    fn track(self: &Arc<Self>) -> Option<Tracker> {
        if !self.tracking {
            return None;
        }
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::default());
        lock(&self.clients).insert(id, slot.clone());
        Some(Tracker {
            shared: self.clone(),
            id,
            slot,
            waker: None,
            closing: false,
        })
    }

    fn wake_clients(&self) {
        for slot in lock(&self.clients).values() {
            if let Some(waker) = lock(&slot.waker).as_ref() {
                waker.wake_by_ref();
            }
        }
    }
}

/// Accepts connections until the server stops; each handshake runs in a
/// task of its own so a slow client holds up no other.
async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    queue: mpsc::Sender<ServerSocket>,
) {
    // Out of file descriptors and the like: `accept_tcp` waits and tries
    // again rather than spin or stop.
    let next = || crate::listener::accept_tcp(&listener, |_| {});
    while let Some((stream, peer_addr)) = shared.stop.run_until_cancelled(next()).await {
        tokio::spawn(connection(stream, peer_addr, shared.clone(), queue.clone()));
    }
}

/// One connection: the handshake, then the hand-off to `accept`.
async fn connection(
    stream: TcpStream,
    peer_addr: SocketAddr,
    shared: Arc<Shared>,
    queue: mpsc::Sender<ServerSocket>,
) {
    let _ = stream.set_nodelay(true);
    // The driver times the handshake (and answers 408 when it runs out).
    let handshake = handshake(stream, peer_addr, &shared.settings);
    // Refusals were answered by the driver; there is no one to tell.
    let Some(Ok((socket, request))) = shared.stop.run_until_cancelled(handshake).await else {
        return;
    };
    let socket = ServerSocket {
        socket,
        request,
        peer_addr,
        tracker: shared.track(),
    };
    if let Err(mpsc::error::SendError(socket)) = queue.send(socket).await {
        // The server shut down (or was dropped) while this one opened.
        if shared.going_away.load(Ordering::SeqCst) {
            socket.go_away().await;
        }
    }
}

/// The server's side of the handshake: the core parses and validates, the
/// application's path and client checks refuse through the core.
async fn handshake(
    mut stream: TcpStream,
    peer_addr: SocketAddr,
    settings: &Settings,
) -> Result<(WebSocket<TcpStream>, Box<Request>), Error> {
    let options = &settings.options;
    let mut handshake = options.handshake()?;
    accept::read_request(&mut stream, &mut handshake).await?;
    // The socket keeps it: an open connection does not.
    let request = Box::new(handshake.request().expect("a read request").clone());
    if !is_websocket(&*request) {
        return Err(accept::refuse_plain_http(&mut stream, &mut handshake).await);
    }
    if let Some(path) = &settings.path {
        if request.uri.path() != path {
            let body = "Bad Request: no WebSocket endpoint at this path";
            return Err(accept::refuse(&mut stream, &mut handshake, 400, body).await);
        }
    }
    if let Some(verify) = &settings.verify {
        let info = ClientInfo {
            request: (*request).clone(),
            peer_addr,
        };
        match accept::before_deadline(&mut handshake, verify(info)).await {
            Some(Ok(())) => {}
            Some(Err((status, body))) => {
                return Err(accept::refuse(&mut stream, &mut handshake, status, &body).await)
            }
            None => return Err(accept::fail_timed_out(&mut stream, &mut handshake).await),
        }
    }
    let socket = accept::open(stream, handshake, options.config.clone()).await?;
    Ok((socket, request))
}

/// A connection accepted by a [`WebSocketServer`]: a
/// [`WebSocket`]`<TcpStream>` (which it derefs to) that the server counts
/// and can close when it shuts down.
///
/// Read it as a [`Stream`] and write it as a [`Sink`] or with
/// [`send`](Self::send), as a `WebSocket`. When the server shuts down,
/// the next read or write starts the close handshake with 1001; reading
/// then ends when the client answers, and writing fails with
/// [`Error::Closed`]. To use the halves of [`WebSocket::split`], take the
/// socket out with [`into_inner`](Self::into_inner) (it then leaves the
/// server's count).
///
/// Reading is cancellation-safe, as [`WebSocket`]'s: dropping a `next()`
/// future loses nothing.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use wsdriver_tokio::{Message, ServerSocket};
///
/// async fn echo(mut socket: ServerSocket) {
///     println!("{} protocol {:?}", socket.peer_addr(), socket.protocol());
///     while let Some(Ok(message)) = socket.next().await {
///         if socket.send(message).await.is_err() {
///             break;
///         }
///     }
///     println!("closed: {:?}", socket.close_event());
/// }
/// ```
pub struct ServerSocket {
    socket: WebSocket<TcpStream>,
    /// Kept here, since the driver lets go of it once open.
    request: Box<Request>,
    peer_addr: SocketAddr,
    tracker: Option<Tracker>,
}

/// A tracked connection's link to its server. Dropping it leaves the
/// count.
struct Tracker {
    shared: Arc<Shared>,
    id: u64,
    slot: Arc<Slot>,
    /// The waker last left in `slot`: while the same task reads, the slot
    /// is not touched.
    waker: Option<Waker>,
    /// The shutdown's close has been started.
    closing: bool,
}

impl Drop for Tracker {
    fn drop(&mut self) {
        lock(&self.shared.clients).remove(&self.id);
        self.shared.left.notify_waiters();
    }
}

impl fmt::Debug for ServerSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerSocket")
            .field("peer_addr", &self.peer_addr)
            .field("tracked", &self.tracker.is_some())
            .field("socket", &self.socket)
            .finish()
    }
}

impl ServerSocket {
    /// The client's address.
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer_addr
    }

    /// The handshake request the connection answered: target, headers
    /// (cookies, `Origin`...). The socket keeps its own copy for this, so
    /// a `ServerSocket` costs the request head's size more than a plain
    /// [`WebSocket`] from [`accept`](crate::accept).
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// Sends a message, as [`WebSocket::send`]; fails with
    /// [`Error::Closed`] once the server is shutting down.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| Sink::<Message>::poll_ready(Pin::new(&mut *self), cx)).await?;
        self.socket.send(message).await
    }

    /// Closes, as [`WebSocket::close`], and leaves the server's count.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<CloseEvent, Error> {
        let result = self.socket.close(code, reason).await;
        self.tracker = None;
        result
    }

    /// Drops the connection without a close handshake.
    pub async fn terminate(self) {
        self.socket.terminate().await;
    }

    /// The connection without the server's tracking: it leaves the count
    /// and [`WebSocketServer::shutdown`] no longer reaches it.
    pub fn into_inner(self) -> WebSocket<TcpStream> {
        self.socket
    }

    /// Once the server is shutting down, starts the close with 1001 (the
    /// first time) and returns `true`. One atomic load otherwise.
    fn observe_shutdown(&mut self) -> bool {
        let Some(tracker) = &mut self.tracker else {
            return false;
        };
        if !tracker.closing {
            if !tracker.shared.going_away.load(Ordering::SeqCst) {
                return false;
            }
            tracker.closing = true;
            if self.socket.ready_state() == ReadyState::Open {
                let _ = self.socket.going_away(SHUTDOWN_REASON);
            }
        }
        true
    }

    /// Leaves the reading task's waker where the shutdown finds it, when
    /// it is not there already.
    fn register(&mut self, cx: &Context<'_>) {
        let Some(tracker) = &mut self.tracker else {
            return;
        };
        if tracker.closing
            || tracker
                .waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            return;
        }
        let waker = cx.waker().clone();
        *lock(&tracker.slot.waker) = Some(waker.clone());
        tracker.waker = Some(waker);
        // A shutdown that woke the slot before the waker was in it.
        if tracker.shared.going_away.load(Ordering::SeqCst) {
            cx.waker().wake_by_ref();
        }
    }

    /// Closes with 1001 for a shutdown and reads until the client answers
    /// (or the close timeout passes): for connections the application
    /// never took.
    async fn go_away(mut self) {
        if let Some(tracker) = &mut self.tracker {
            tracker.closing = true;
        }
        if self.socket.ready_state() == ReadyState::Open {
            let _ = self.socket.going_away(SHUTDOWN_REASON);
        }
        while poll_fn(|cx| self.socket.poll_next_inner(cx))
            .await
            .is_some()
        {}
    }
}

impl Deref for ServerSocket {
    type Target = WebSocket<TcpStream>;

    fn deref(&self) -> &Self::Target {
        &self.socket
    }
}

impl DerefMut for ServerSocket {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut self.socket
    }
}

impl Stream for ServerSocket {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        this.observe_shutdown();
        let poll = this.socket.poll_next_inner(cx);
        match &poll {
            Poll::Pending => this.register(cx),
            Poll::Ready(None) => this.tracker = None,
            Poll::Ready(Some(Err(_))) if this.socket.ready_state() == ReadyState::Closed => {
                this.tracker = None;
            }
            Poll::Ready(Some(_)) => {}
        }
        poll
    }
}

impl Sink<Message> for ServerSocket {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        // A writer that never reads still sends the shutdown's close.
        if this.observe_shutdown() && this.socket.ready_state() == ReadyState::Closing {
            ready!(this.socket.poll_write_output(cx))?;
        }
        Pin::new(&mut this.socket).poll_ready(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Pin::new(&mut self.get_mut().socket).start_send(item)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().socket).poll_flush(cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        Pin::new(&mut self.get_mut().socket).poll_close(cx)
    }
}
