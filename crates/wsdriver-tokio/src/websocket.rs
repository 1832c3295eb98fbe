//! [`WebSocket`]: a connection on any `AsyncRead + AsyncWrite` stream. It
//! holds no protocol logic: it moves bytes between the stream and the
//! driver, runs the driver's timers on tokio's clock, and hands out what
//! the driver reports.

use crate::error::Error;
use futures_core::Stream;
use futures_sink::Sink;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::oneshot;
use tokio::time::{Instant, Sleep};
use wsdriver::{close, CloseEvent, Driver, Event, Message, PingId, ReadyState, Version};

/// Bytes asked of the stream per read when no frame says how many it
/// needs: small, so idle connections stay small; large frames size their
/// own reads from the frame header.
const READ_SIZE: usize = 4096;

/// Settings of the async layer (the protocol's are in
/// [`wsdriver::Options`]).
#[derive(Debug, Clone)]
pub struct Config {
    /// Send a ping this often while the connection is open (keepalive).
    pub ping_interval: Option<Duration>,
    /// Close with 1006 if nothing arrives for this long (an unanswered
    /// keepalive ping included).
    pub idle_timeout: Option<Duration>,
    /// Sends wait while more than this many bytes are waiting to be
    /// written (backpressure).
    pub max_buffered: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            ping_interval: None,
            idle_timeout: None,
            max_buffered: 64 * 1024,
        }
    }
}

/// A WebSocket, client or server. Read it as a [`Stream`] of messages,
/// write it as a [`Sink`] or with [`send`](Self::send).
///
/// Pongs, close echoes and keepalive pings are written while the stream is
/// being read, so keep reading (or [`split`](Self::split) and read in a
/// task of its own).
pub struct WebSocket<S> {
    stream: S,
    driver: Driver,
    config: Config,
    pongs: Vec<(PingId, oneshot::Sender<()>)>,
    close_event: Option<CloseEvent>,
    error: Option<wsdriver::Error>,
    /// `None` has been returned by the stream.
    finished: bool,
    /// The driver's close deadline, or keepalive/idle timers.
    timer: Option<Pin<Box<Sleep>>>,
    next_ping: Option<Instant>,
    idle_deadline: Option<Instant>,
    /// Set once split: writes wake both halves, since either may be the one
    /// waiting for the stream to take more bytes.
    pub(crate) write_waker: Option<std::task::Waker>,
}

impl<S> std::fmt::Debug for WebSocket<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocket")
            .field("driver", &self.driver)
            .finish_non_exhaustive()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Wraps a stream and a driver whose handshake is done (or under way:
    /// the driver queues what is sent before it opens).
    pub fn from_parts(stream: S, driver: Driver, config: Config) -> Self {
        let now = Instant::now();
        WebSocket {
            stream,
            next_ping: config.ping_interval.map(|every| now + every),
            idle_deadline: config.idle_timeout.map(|after| now + after),
            driver,
            config,
            pongs: Vec::new(),
            close_event: None,
            error: None,
            finished: false,
            timer: None,
            write_waker: None,
        }
    }

    /// Sends a message, waiting while the send buffer is over
    /// [`Config::max_buffered`].
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| self.poll_ready_inner(cx)).await?;
        self.driver.send(message.into())?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// Sends a ping. The returned [`Pong`] resolves when the matching pong
    /// is read, so something must be reading the connection.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        let pong = self.register_ping(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(pong)
    }

    /// Sends an unsolicited pong.
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.driver.pong(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// Closes with `code` (1000 or 3000-4999) and `reason`, then reads
    /// until the peer answers or the close timeout passes (1006). Messages
    /// that arrive meanwhile are dropped, as RFC 6455 says.
    pub async fn close(&mut self, code: u16, reason: &str) -> Result<CloseEvent, Error> {
        self.driver.close(code, reason)?;
        while let Some(result) = poll_fn(|cx| self.poll_next_inner(cx)).await {
            if let Err(error) = result {
                if self.close_event.is_none() {
                    return Err(error);
                }
            }
        }
        Ok(self.close_event.clone().unwrap_or(CloseEvent {
            code: close::ABNORMAL,
            reason: String::new(),
            clean: false,
        }))
    }

    /// Drops the connection without a close handshake.
    pub async fn terminate(mut self) {
        use tokio::io::AsyncWriteExt;
        self.driver.transport_closed();
        let _ = self.stream.shutdown().await;
    }

    /// Splits into halves that can be used from different tasks.
    pub fn split(self) -> (crate::split::ReadHalf<S>, crate::split::WriteHalf<S>) {
        crate::split::split(self)
    }
}

impl<S> WebSocket<S> {
    pub fn protocol(&self) -> Option<&str> {
        self.driver.protocol()
    }

    pub fn version(&self) -> Option<Version> {
        self.driver.version()
    }

    pub fn url(&self) -> Option<&str> {
        self.driver.url().map(|u| u.as_str())
    }

    pub fn ready_state(&self) -> ReadyState {
        self.driver.ready_state()
    }

    /// Bytes accepted for sending but not yet written to the stream.
    pub fn buffered_amount(&self) -> usize {
        self.driver.buffered_amount()
    }

    /// How the connection closed, once it has.
    pub fn close_event(&self) -> Option<&CloseEvent> {
        self.close_event.as_ref()
    }

    /// The driver underneath, for what this layer does not wrap.
    pub fn driver(&self) -> &Driver {
        &self.driver
    }

    pub(crate) fn driver_mut(&mut self) -> &mut Driver {
        &mut self.driver
    }

    pub(crate) fn register_ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        let id = self.driver.ping(payload)?;
        let (tx, rx) = oneshot::channel();
        self.pongs.push((id, tx));
        Ok(Pong(rx))
    }

    pub fn get_ref(&self) -> &S {
        &self.stream
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Writes what the driver has queued, vectored, then flushes.
    pub(crate) fn poll_write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        match self.write_waker.clone() {
            Some(waker) => self.write_output(&mut Context::from_waker(&waker)),
            None => self.write_output(cx),
        }
    }

    fn write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        while self.driver.has_output() {
            let mut slices = [IoSlice::new(&[]); 16];
            let count = self.driver.output_slices(&mut slices);
            let stream = Pin::new(&mut self.stream);
            let written = if stream.is_write_vectored() {
                ready!(stream.poll_write_vectored(cx, &slices[..count]))?
            } else {
                ready!(stream.poll_write(cx, &slices[0]))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::Error::from(io::ErrorKind::WriteZero).into()));
            }
            self.driver.advance_output(written);
        }
        ready!(Pin::new(&mut self.stream).poll_flush(cx))?;
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_ready_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.driver.ready_state() >= ReadyState::Closing {
            return Poll::Ready(Err(Error::Closed));
        }
        while self.driver.buffered_amount() >= self.config.max_buffered {
            ready!(self.poll_write_output(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_next_inner(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        loop {
            while let Some(event) = self.driver.poll_event() {
                match event {
                    Event::Message(message) => {
                        self.idle_deadline =
                            self.config.idle_timeout.map(|after| Instant::now() + after);
                        return Poll::Ready(Some(Ok(message)));
                    }
                    Event::Pong { ping: Some(id), .. } => {
                        if let Some(index) = self.pongs.iter().position(|(p, _)| *p == id) {
                            let _ = self.pongs.swap_remove(index).1.send(());
                        }
                    }
                    Event::Close(event) => self.close_event = Some(event),
                    Event::Error(error) => self.error = Some(error),
                    _ => {}
                }
            }
            // Pongs, close echoes and pings go out as reading goes on; a
            // slow writer must not stop the reader, except at the end.
            let written = self.poll_write_output(cx);
            if let Poll::Ready(Err(error)) = written {
                self.driver.transport_closed();
                self.finished = true;
                return Poll::Ready(Some(Err(error)));
            }
            if let Some(error) = self.error.take() {
                return Poll::Ready(Some(Err(Error::WebSocket(error))));
            }
            if self.close_event.is_some() {
                ready!(written).ok();
                let _ = ready!(Pin::new(&mut self.stream).poll_shutdown(cx));
                self.finished = true;
                self.pongs.clear();
                return Poll::Ready(None);
            }
            if self.poll_timers(cx) {
                continue;
            }
            let buffer = self.driver.input_buffer();
            if buffer.capacity() - buffer.len() < 1024 {
                let wanted = self.driver.read_hint().clamp(READ_SIZE, 1 << 24);
                self.driver.input_buffer().reserve(wanted);
            }
            match tokio_util::io::poll_read_buf(
                Pin::new(&mut self.stream),
                cx,
                self.driver.input_buffer(),
            ) {
                Poll::Ready(Ok(0)) => self.driver.transport_closed(),
                Poll::Ready(Ok(_)) => {
                    self.idle_deadline =
                        self.config.idle_timeout.map(|after| Instant::now() + after);
                }
                Poll::Ready(Err(error)) => {
                    self.driver.transport_closed();
                    let _ = self.driver.poll_event();
                    self.finished = true;
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Pending => return Poll::Pending,
            }
        }
    }

    /// Runs due timers; returns whether one fired (the driver may have
    /// something new to say). Arms the sleep for the next one otherwise.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> bool {
        let now = Instant::now();
        let close_deadline = self
            .driver
            .next_deadline(now.into_std())
            .map(Instant::from_std);
        let mut fired = false;
        if close_deadline.is_some_and(|at| at <= now) {
            self.driver.handle_timeout(now.into_std());
            fired = true;
        }
        if self.idle_deadline.is_some_and(|at| at <= now)
            && self.driver.ready_state() != ReadyState::Closed
        {
            self.idle_deadline = None;
            self.driver.transport_closed();
            fired = true;
        }
        if let Some(at) = self.next_ping.filter(|at| *at <= now) {
            if self.driver.ready_state() == ReadyState::Open {
                let _ = self.driver.ping(b"");
            }
            self.next_ping = self.config.ping_interval.map(|every| at.max(now) + every);
            fired = true;
        }
        if fired {
            return true;
        }
        let next = [close_deadline, self.idle_deadline, self.next_ping]
            .into_iter()
            .flatten()
            .min();
        match next {
            Some(at) => {
                let timer = self
                    .timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
                if timer.deadline() != at {
                    timer.as_mut().reset(at);
                }
                if timer.as_mut().poll(cx).is_ready() {
                    return self.poll_timers(cx);
                }
            }
            None => self.timer = None,
        }
        false
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_inner(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_ready_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Ok(self.get_mut().driver.send(item)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_output(cx)
    }

    /// Sends a normal close (1000) and flushes it; the peer's answer is
    /// read by whoever reads the stream.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.driver.ready_state() == ReadyState::Open {
            this.driver.close(close::NORMAL, "")?;
        }
        this.poll_write_output(cx)
    }
}

/// Resolves when the pong answering a [`WebSocket::ping`] arrives; fails
/// if the connection closes first.
#[derive(Debug)]
pub struct Pong(oneshot::Receiver<()>);

impl std::future::Future for Pong {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|_| Error::Closed))
    }
}
