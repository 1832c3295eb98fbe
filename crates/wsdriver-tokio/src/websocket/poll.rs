//! The connection's loop, out of `mod.rs`: writing what the core
//! queued, reading the peer's frames into events, the server's shutdown
//! on the way, and the failure paths (a lost stream, a lingering close).

use super::WebSocket;
use crate::error::Error;
use crate::trace;
use crate::websocket::incoming::Incoming;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use wsdriver::{CloseEvent, Event, Machine, Message, ReadyState};

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Writes what the connection has queued, vectored, then flushes.
    #[inline(always)]
    pub(crate) fn poll_write_output(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        // The common case on every read: nothing to write or flush, decided
        // without a call.
        if self.drive.is_idle(&self.connection) {
            return Poll::Ready(Ok(()));
        }
        // The `io::Error` becomes an `Error` here, on the failing branch
        // only: returned by the call, the larger `Error` was moved around
        // on every send before anything looked at it.
        self.poll_write_pending(cx).map_err(Error::from)
    }

    #[inline(never)]
    fn poll_write_pending(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let written = self
            .drive
            .poll_write_owed(cx, &mut self.stream, &mut self.connection);
        // A stream that failed a write is done: the connection ends with
        // 1006 here, so the next send says `Closed` rather than write to
        // it again.
        if let Poll::Ready(Err(error)) = &written {
            self.write_failed(error.kind());
        }
        written
    }

    /// Out of the way of the path every write takes.
    #[cold]
    #[inline(never)]
    fn write_failed(&mut self, kind: io::ErrorKind) {
        self.lost(Some(kind));
    }

    /// Before a send, ping or pong: once the server is shutting down, the
    /// 1001 goes out first, so that a task that only writes still sends
    /// it (the send then fails with [`Error::Closed`]).
    #[inline]
    pub(crate) fn poll_heed_shutdown(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        if self.observe_shutdown() && self.connection.ready_state() == ReadyState::Closing {
            ready!(self.poll_write_output(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_ready_inner(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        ready!(self.poll_heed_shutdown(cx))?;
        if self.connection.ready_state() >= ReadyState::Closing {
            return Poll::Ready(Err(Error::Closed));
        }
        while self.connection.buffered_amount() > self.config.max_buffered {
            ready!(self.poll_write_output(cx))?;
        }
        Poll::Ready(Ok(()))
    }

    pub(crate) fn poll_next_inner(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Message, Error>>> {
        loop {
            return match ready!(self.poll_incoming(cx, false)) {
                Some(Ok(Incoming::Message(message))) => Poll::Ready(Some(Ok(message))),
                Some(Ok(_)) => continue,
                Some(Err(error)) => Poll::Ready(Some(Err(error))),
                None => Poll::Ready(None),
            };
        }
    }

    /// The connection's loop: messages, and the peer's pings and pongs
    /// too when `control` asks for them (skipped otherwise). A server's
    /// socket looks for the shutdown first and leaves the reading task
    /// where the shutdown wakes it, out of line: a socket no server
    /// tracks pays a branch.
    pub(crate) fn poll_incoming(
        &mut self,
        cx: &mut Context<'_>,
        control: bool,
    ) -> Poll<Option<Result<Incoming, Error>>> {
        if self.finished {
            return Poll::Ready(None);
        }
        if self.tracker.is_some() {
            self.heed_shutdown_reading();
        }
        loop {
            while let Some(event) = self.connection.poll_event() {
                match event {
                    Event::Message(message) => {
                        return Poll::Ready(Some(Ok(Incoming::Message(message))))
                    }
                    Event::Ping(payload) if control => {
                        // The pong goes out now, as far as the stream takes
                        // it (the rest with the next poll): a caller that
                        // shows the ping and then waits on something else
                        // has still answered it. A failed write is
                        // reported by the next poll, which tries again.
                        let _ = self.poll_write_output(cx);
                        return Poll::Ready(Some(Ok(Incoming::Ping(payload))));
                    }
                    Event::Pong { payload, ping } => {
                        let waiting =
                            ping.and_then(|id| self.pongs.iter().position(|(p, _)| *p == id));
                        if let Some(index) = waiting {
                            let _ = self.pongs.swap_remove(index).1.send(());
                        }
                        if control {
                            return Poll::Ready(Some(Ok(Incoming::Pong(payload))));
                        }
                    }
                    Event::Close(event) => {
                        trace::in_span(&self.span, || log_close(&event));
                        // A failure is returned as the stream's last item.
                        self.error = event.error.as_deref().cloned();
                        self.close_event = Some(event);
                    }
                    _ => {}
                }
            }
            if self.error.is_some() {
                return self.poll_failure(cx);
            }
            if self.close_event.is_some() {
                return self.poll_closed(cx);
            }
            // Pongs, close echoes and pings go out as reading goes on.
            match self
                .drive
                .poll_step(cx, &mut self.stream, &mut self.connection)
            {
                // Whatever happened, the connection's events say what it
                // meant (the stream's end included: a 1006).
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(error)) => {
                    self.lost(Some(error.kind()));
                    return Poll::Ready(Some(Err(error.into())));
                }
                Poll::Pending => return self.pending(cx),
            }
        }
    }

    /// Closed cleanly: the last of the output goes, then the write side
    /// shuts down, and the stream ends.
    #[cold]
    #[inline(never)]
    fn poll_closed(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Incoming, Error>>> {
        ready!(self.poll_write_output(cx)).ok();
        let _ = ready!(Pin::new(&mut self.stream).poll_shutdown(cx));
        self.finished = true;
        self.pongs.clear();
        // Over: it leaves its server's count.
        self.tracker = None;
        Poll::Ready(None)
    }

    #[cold]
    #[inline(never)]
    fn heed_shutdown_reading(&mut self) {
        self.observe_shutdown();
    }

    /// Waiting for the stream: a server's socket leaves the task's waker
    /// where the shutdown finds it.
    #[inline(always)]
    fn pending<T>(&mut self, cx: &Context<'_>) -> Poll<T> {
        if let Some(tracker) = &mut self.tracker {
            tracker.register(cx.waker());
        }
        Poll::Pending
    }

    /// The connection failed: its failure is the stream's last item, once
    /// a lingering close (if the core asks for one) is over. Out of line,
    /// off the path every message takes.
    #[cold]
    #[inline(never)]
    fn poll_failure(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<Incoming, Error>>> {
        if self.connection.is_lingering() {
            ready!(self.poll_linger(cx));
        }
        self.tracker = None;
        match self.error.take() {
            Some(error) => Poll::Ready(Some(Err(Error::WebSocket(error)))),
            None => Poll::Ready(None),
        }
    }

    /// The connection failed and wrote its close frame: the close goes
    /// out, the write side shuts down, and what the peer still sends is
    /// read and thrown away until the core stops lingering (the peer hung
    /// up, or its time or byte budget ran out). Closing the socket on
    /// unread bytes would have the kernel reset the connection, and the
    /// peer lose our close frame with it. The failure is returned after.
    fn poll_linger(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if !self.shut_down {
            match ready!(self.poll_write_output(cx)) {
                Ok(()) => {}
                Err(_) => return self.stop_lingering(),
            }
            match ready!(Pin::new(&mut self.stream).poll_shutdown(cx)) {
                Ok(()) => self.shut_down = true,
                Err(_) => return self.stop_lingering(),
            }
            if self.connection.poll_timeout().is_none() {
                // Its clock starts now.
                self.connection
                    .handle_timeout(tokio::time::Instant::now().into_std());
            }
        }
        while self.connection.is_lingering() {
            // Read and thrown away (the connection keeps none of it), or
            // the end, which ends the linger.
            match ready!(self
                .drive
                .poll_step(cx, &mut self.stream, &mut self.connection))
            {
                Ok(_) => while self.connection.poll_event().is_some() {},
                Err(_) => return self.stop_lingering(),
            }
        }
        Poll::Ready(())
    }

    fn stop_lingering(&mut self) -> Poll<()> {
        self.connection.stop_lingering();
        Poll::Ready(())
    }

    /// The stream ended, or failed with an error of `kind`: the
    /// connection ends with 1006 and that cause.
    fn lost(&mut self, kind: Option<io::ErrorKind>) {
        match kind {
            Some(kind) => self.connection.transport_failed(kind),
            None => self.connection.transport_closed(),
        }
        while let Some(event) = self.connection.poll_event() {
            if let Event::Close(close) = event {
                trace::in_span(&self.span, || log_close(&close));
                self.close_event = Some(close);
            }
        }
        self.pongs.clear();
        self.finished = true;
        self.tracker = None;
    }
}

/// One line per closed connection: how it ended, and the failure if one
/// ended it (a peer's protocol error, an idle or close timeout's 1006).
#[cfg_attr(not(feature = "tracing"), allow(unused_variables))]
fn log_close(event: &CloseEvent) {
    if let Some(error) = &event.error {
        trace::event!(
            debug,
            code = event.code.as_u16(),
            cause = %event.cause,
            error = %error,
            "WebSocket failed"
        );
    } else {
        trace::event!(
            debug,
            code = event.code.as_u16(),
            reason = %event.reason,
            clean = event.clean,
            cause = %event.cause,
            "WebSocket closed"
        );
    }
}
