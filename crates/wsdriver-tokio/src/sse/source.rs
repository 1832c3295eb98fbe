//! [`EventSource`]: a server-sent events client on tokio, the core's
//! [`Client`] machine run on the crate's drive loop. The machine decides
//! everything (what to send, what an answer means, when to reconnect);
//! this opens transports when it asks and moves the bytes.

use crate::client::transport;
use crate::error::Error;
use crate::net::drive::Drive;
use crate::net::stream::MaybeTlsStream;
use crate::sse::source_options::EventSourceOptions;
use bytes::BytesMut;
use futures_core::Stream;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::time::Instant;
use wsdriver::eventsource::{Client, MessageEvent, SourceEvent, SourceState};
use wsdriver::Machine;

type Opening = Pin<Box<dyn Future<Output = Result<(MaybeTlsStream, BytesMut), Error>> + Send>>;

// Open is the usual state: boxing it would cost an indirection per read
// to save room in the rare others.
#[allow(clippy::large_enum_variant)]
enum Transport {
    /// None wanted: waiting to reconnect, or closed.
    None,
    /// Being opened (TCP, proxy, TLS).
    Opening(Opening),
    Open(MaybeTlsStream),
}

/// A server-sent events client (a browser's `EventSource`): a
/// [`Stream`] of the events an `http:` or `https:` URL sends, that
/// reconnects by itself.
///
/// When the connection is lost (the server ends the body, the network
/// fails) it waits the reconnection time (the server's `retry:`, else
/// [`EventSourceOptions::reconnection_time`]; at least 250 ms, and longer
/// while attempts keep failing) and asks again, sending the last event ID
/// as `Last-Event-ID`; the stream does not end. It ends for good after a
/// `204 No Content` (`None`), or with one error when the answer is not an
/// event stream ([`Error::EventSource`] with the status and
/// `Content-Type`), an event is over
/// [`max_event_size`](EventSourceOptions::max_event_size), TLS fails, or
/// [`max_failed_attempts`](EventSourceOptions::max_failed_attempts)
/// attempts in a row have failed ([`ready_state`](Self::ready_state) is
/// then `Closed`). The stream's items are the events;
/// [`next_event`](Self::next_event) also tells when the stream opens and
/// why and for how long it waits to reconnect.
///
/// Connections are made while the stream is polled: keep reading it.
/// Receiving is cancellation-safe: dropping a `next()` or `next_event()`
/// future loses nothing.
///
/// ```no_run
/// use futures_util::StreamExt;
/// use wsdriver_tokio::{EventSource, EventSourceOptions};
///
/// # async fn run() -> Result<(), wsdriver_tokio::Error> {
/// let mut events = EventSource::connect("https://example.com/updates", EventSourceOptions::default())?;
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} #{}: {}", event.event, event.id, event.data);
/// }
/// # Ok(()) }
/// ```
pub struct EventSource {
    client: Client,
    options: Arc<EventSourceOptions>,
    transport: Transport,
    drive: Drive,
    /// The stream has ended (after its error, if any).
    finished: bool,
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventSource")
            .field("url", &self.url())
            .field("ready_state", &self.ready_state())
            .field("last_event_id", &self.last_event_id())
            .finish_non_exhaustive()
    }
}

impl EventSource {
    /// An event source for `url` (`http:` or `https:`). It returns at once,
    /// as a browser's `new EventSource(url)` does: the first connection is
    /// made when the stream is first polled, and what becomes of it comes
    /// out of the stream.
    ///
    /// # Errors
    /// [`Error::Config`] for a URL that is not `http:` or `https:`, or a
    /// header that is not valid HTTP.
    pub fn connect(url: &str, options: EventSourceOptions) -> Result<EventSource, Error> {
        let config = options
            .client
            .clone()
            .head_timeout(options.transport.connect_timeout)
            .max_redirects(options.transport.max_redirects);
        let client = Client::with_config(url, config).map_err(|e| Error::Config(e.to_string()))?;
        Ok(EventSource {
            client,
            options: Arc::new(options),
            transport: Transport::None,
            drive: Drive::default(),
            finished: false,
        })
    }

    /// The URL, as parsed (without a fragment).
    pub fn url(&self) -> &str {
        self.client.url().as_str()
    }

    /// The last event ID: that of the last event read (or the one the
    /// options resumed from), sent as `Last-Event-ID` on reconnection.
    pub fn last_event_id(&self) -> &str {
        self.client.last_event_id()
    }

    /// WHATWG's `readyState`: `Connecting` (also while waiting to
    /// reconnect), `Open`, or `Closed` for good.
    pub fn ready_state(&self) -> SourceState {
        self.client.ready_state()
    }

    /// Whether a stream is open now.
    pub fn is_open(&self) -> bool {
        self.ready_state() == SourceState::Open
    }

    /// How long the next reconnection waits (the server's last `retry:`,
    /// else the options').
    pub fn reconnection_time(&self) -> Duration {
        self.client.reconnection_time()
    }

    /// How many attempts in a row have failed (yielded no event); 0 once
    /// an event arrives.
    pub fn failed_attempts(&self) -> u32 {
        self.client.failed_attempts()
    }

    /// The next thing that happens, events and all: [`SourceEvent::Open`]
    /// when a stream opens, [`SourceEvent::Message`] for each event, and
    /// [`SourceEvent::Reconnecting`] when the connection is lost, with why
    /// and how long until the next attempt. `None` and errors as for the
    /// stream's items. (The stream of events is this, less the rest.)
    pub async fn next_event(&mut self) -> Option<Result<SourceEvent, Error>> {
        std::future::poll_fn(|cx| self.poll_next_event(cx)).await
    }

    /// [`next_event`](Self::next_event), as a poll.
    pub fn poll_next_event(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<SourceEvent, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        loop {
            while let Some(event) = self.client.poll_event() {
                match event {
                    SourceEvent::Message(message) => {
                        return Poll::Ready(Some(Ok(SourceEvent::Message(message))))
                    }
                    SourceEvent::Connect => {
                        // The machine times the opening and the head
                        // together, from here.
                        self.client.connecting(Instant::now().into_std());
                        self.transport = Transport::Opening(self.open());
                    }
                    SourceEvent::Open => {
                        crate::trace::event!(debug, url = self.url(), "EventSource open");
                        return Poll::Ready(Some(Ok(SourceEvent::Open)));
                    }
                    SourceEvent::Reconnecting { after, cause } => {
                        crate::trace::event!(debug, url = self.url(), ?after, %cause, "EventSource reconnecting");
                        // The delay counts from the wake-up that the
                        // machine's timer asks for at once.
                        self.transport = Transport::None;
                        return Poll::Ready(Some(Ok(SourceEvent::Reconnecting { after, cause })));
                    }
                    SourceEvent::Closed(error) => {
                        crate::trace::event!(debug, url = self.url(), ?error, "EventSource closed");
                        self.close();
                        return Poll::Ready(error.map(|error| Err(Error::EventSource(error))));
                    }
                    _ => {}
                }
            }
            let stream = match &mut self.transport {
                Transport::Open(stream) => stream,
                // Waiting out the reconnection time, or for the transport
                // to open: the machine's timers run meanwhile (the
                // connect is timed by them too).
                Transport::None | Transport::Opening(_)
                    if self.drive.poll_timers(cx, &mut self.client) =>
                {
                    continue
                }
                // The timer wakes us.
                Transport::None => return Poll::Pending,
                Transport::Opening(opening) => {
                    match ready!(opening.as_mut().poll(cx)) {
                        Ok((stream, remaining)) => {
                            self.transport = Transport::Open(stream);
                            self.drive = Drive::default();
                            self.client.transport_opened(Instant::now().into_std());
                            self.client.input_buffer().extend_from_slice(&remaining);
                        }
                        Err(error) => {
                            if let Some(error) = self.lost(error) {
                                return Poll::Ready(Some(Err(error)));
                            }
                        }
                    }
                    continue;
                }
            };
            match self.drive.poll_step(cx, stream, &mut self.client) {
                // The machine's events say what it meant (the stream's end
                // included).
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => {
                    if let Some(error) = self.lost(error.into()) {
                        return Poll::Ready(Some(Err(error)));
                    }
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Stops for good: the connection is dropped, no reconnection
    /// follows, and the stream ends.
    pub fn close(&mut self) {
        self.client.close();
        self.transport = Transport::None;
        self.finished = true;
    }

    /// Opens a transport to where the machine points now, within the
    /// connect timeout.
    fn open(&self) -> Opening {
        let options = self.options.clone();
        let address = self.client.current_url().clone();
        Box::pin(async move {
            // No bound of its own: the machine's timer, started by
            // `connecting`, ends an opening that takes too long.
            transport::open(&address, address.as_str(), &options.transport).await
        })
    }

    /// A failure of the transport: the machine reconnects, unless trying
    /// again cannot help (TLS refused, options unusable); then the
    /// error ends the stream.
    fn lost(&mut self, error: Error) -> Option<Error> {
        self.transport = Transport::None;
        let futile = match &error {
            #[cfg(feature = "rustls")]
            Error::Tls { .. } => true,
            Error::Config(_) => true,
            _ => false,
        };
        if futile {
            crate::trace::event!(debug, url = self.url(), %error, "EventSource failed");
            self.close();
            return Some(error);
        }
        let now = Instant::now().into_std();
        // The machine says "network error: " itself, and the URL is the
        // EventSource's: the cause is what is left to say.
        let message = match &error {
            Error::Io { source, .. } => source.to_string(),
            other => other.to_string(),
        };
        self.client.network_error(now, message);
        None
    }
}

impl Stream for EventSource {
    type Item = Result<MessageEvent, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            return match this.poll_next_event(cx) {
                Poll::Ready(Some(Ok(SourceEvent::Message(message)))) => {
                    Poll::Ready(Some(Ok(message)))
                }
                Poll::Ready(Some(Ok(_))) => continue,
                Poll::Ready(Some(Err(error))) => Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => Poll::Ready(None),
                Poll::Pending => Poll::Pending,
            };
        }
    }
}
