//! What an application does with a whole [`WebSocket`]: send, ping,
//! close, and read and write it as a `Stream` and a `Sink`. Each of these
//! queues on the core's connection and then polls the connection's loop
//! (`websocket.rs`) until it is done, so they are kept apart from that
//! loop and build only on it, as the two halves of a split
//! (`split.rs`) and a server's sockets (`server/socket.rs`) do.

use crate::error::Error;
use crate::websocket::incoming::Incoming;
use crate::websocket::pong::Pong;
use crate::websocket::WebSocket;
use futures_core::Stream;
use futures_sink::Sink;
use std::future::poll_fn;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use wsdriver::{CloseCode, CloseEvent, Machine, Message, ReadyState};

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocket<S> {
    /// Sends a message, waiting while the send buffer is over
    /// [`Config::max_buffered`](crate::Config::max_buffered).
    ///
    /// Text comes from `&str` or `String`, binary from `Vec<u8>` or
    /// `Bytes` ([`Message`]'s `From` impls). Once there is room the
    /// message is queued and everything queued is written and flushed:
    /// `Ok` means the stream took the bytes, not that the peer read them.
    ///
    /// Cancellation: dropped while waiting for room, the message is not
    /// sent. Dropped after it was queued, it still goes out whole: the
    /// next send, flush or read writes the rest.
    ///
    /// # Errors
    /// [`Error::Closed`] once the close handshake has started (by either
    /// side); the stream's error if writing fails.
    pub async fn send(&mut self, message: impl Into<Message>) -> Result<(), Error> {
        poll_fn(|cx| self.poll_ready_inner(cx)).await?;
        self.connection.send(message.into())?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// The next message, ping or pong from the peer; `None` once closed.
    ///
    /// As the `Stream` (`next()`), which skips the control frames, with
    /// the peer's pings and pongs as well (ws's `ping` and `pong` events):
    /// for showing them, since pings are answered and pongs matched to
    /// their [`Pong`] either way. Cancellation-safe as `next()` is.
    ///
    /// ```
    /// use wsdriver_tokio::{accept, connect_on, ClientOptions, Incoming, ServerOptions};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let (client_io, server_io) = tokio::io::duplex(4096);
    /// let server = tokio::spawn(accept(server_io, ServerOptions::default()));
    /// let mut client = connect_on(client_io, "ws://localhost/", ClientOptions::default()).await?;
    /// let mut server = server.await??;
    /// server.ping(b"are you there").await?;
    /// let seen = client.next_incoming().await.transpose()?;
    /// assert_eq!(seen, Some(Incoming::Ping("are you there".into())));
    /// // The client answered by itself.
    /// let seen = server.next_incoming().await.transpose()?;
    /// assert_eq!(seen, Some(Incoming::Pong("are you there".into())));
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    /// As the `Stream`: an `Err` item ends the connection.
    pub async fn next_incoming(&mut self) -> Option<Result<Incoming, Error>> {
        poll_fn(|cx| self.poll_incoming(cx, true)).await
    }

    /// Sends a ping. The returned [`Pong`] resolves when the matching pong
    /// is read, so something must be reading the connection.
    ///
    /// The pong that matches is the first one with the same payload, so
    /// give concurrent pings payloads of their own to time them apart. The
    /// ping is written before this returns; the `Pong` holds no borrow, so
    /// await it while another task, or a `select!` branch, reads.
    ///
    /// # Errors
    /// A `payload` over 125 bytes ([`Error::WebSocket`], nothing sent);
    /// [`Error::Closed`]; the stream's error.
    pub async fn ping(&mut self, payload: &[u8]) -> Result<Pong, Error> {
        poll_fn(|cx| self.poll_heed_shutdown(cx)).await?;
        let pong = self.register_ping(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(pong)
    }

    /// Sends an unsolicited pong (RFC 6455 allows one as a one-way
    /// heartbeat). Pings from the peer are answered without this.
    ///
    /// # Errors
    /// As [`ping`](Self::ping).
    pub async fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        poll_fn(|cx| self.poll_heed_shutdown(cx)).await?;
        self.connection.pong(payload)?;
        poll_fn(|cx| self.poll_write_output(cx)).await?;
        Ok(())
    }

    /// Closes with `code` (1000-1003, 1007-1014 or 3000-4999; see
    /// [`CloseCode`](crate::CloseCode)) and `reason`, then reads
    /// until the peer answers or the close timeout passes (1006). Messages
    /// that arrive meanwhile are dropped, as RFC 6455 says.
    ///
    /// The close timeout is [`Options::close_timeout`](wsdriver::Options::close_timeout)
    /// (30 s by default). Returns how the connection ended: the code the
    /// peer answered with and `clean: true`, or 1006 and `clean: false`.
    /// Called again after the close, it returns the same event at once.
    ///
    /// Cancellation: dropped midway, the close frame has been queued and
    /// the connection is closing; the next read goes on with the
    /// handshake.
    ///
    /// # Errors
    /// Another code, or a reason over 123 bytes ([`Error::WebSocket`],
    /// nothing sent); the stream's error before the close completed.
    pub async fn close(
        &mut self,
        code: impl Into<CloseCode>,
        reason: &str,
    ) -> Result<CloseEvent, Error> {
        self.start_close(code.into(), reason)?;
        while let Some(result) = poll_fn(|cx| self.poll_next_inner(cx)).await {
            if let Err(error) = result {
                if self.close_event.is_none() {
                    return Err(error);
                }
            }
        }
        Ok(self
            .close_event
            .clone()
            .unwrap_or_else(|| CloseEvent::new(CloseCode::ABNORMAL, "", false)))
    }

    /// Closes with 1001 (Going Away), what a server shutting down or a
    /// client leaving sends, as [`close`](Self::close) does.
    ///
    /// # Errors
    /// As [`close`](Self::close).
    pub async fn going_away(&mut self, reason: &str) -> Result<CloseEvent, Error> {
        self.close(CloseCode::GOING_AWAY, reason).await
    }

    /// Drops the connection without a close handshake.
    ///
    /// Shuts the stream down (for TCP, a FIN; anything queued and not yet
    /// written is discarded) and consumes the `WebSocket`. The peer sees
    /// the connection end with 1006. Use [`close`](Self::close) to end
    /// cleanly.
    pub async fn terminate(mut self) {
        use tokio::io::AsyncWriteExt;
        self.connection.transport_closed();
        let _ = self.stream.shutdown().await;
    }
}

/// The messages the peer sends, until the connection closes.
///
/// Polling is also what writes pongs and close echoes, sends keepalive
/// pings and runs the idle and close timeouts, so keep polling.
///
/// Cancellation-safe: all state (a partly read frame, events not yet
/// returned, the timers) lives in the `WebSocket`, so dropping a `next()`
/// future loses nothing. Use it in `select!` and under `timeout` freely.
///
/// An `Err` item is the end of the connection (an I/O error, or a protocol
/// error from the peer, closed with the code the driver chose); `None`
/// follows it, and is returned from then on.
impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocket<S> {
    type Item = Result<Message, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_next_inner(cx)
    }
}

/// Sending messages, for `SinkExt::send`, `feed`, `send_all` and
/// `forward`.
///
/// `poll_ready` waits under
/// [`Config::max_buffered`](crate::Config::max_buffered) and fails with
/// [`Error::Closed`] once a close has started; `start_send` queues;
/// `poll_flush` writes everything queued and flushes the stream;
/// `poll_close` starts the close handshake with 1000 and flushes the close
/// frame, without waiting for the peer's answer (keep reading for that, or
/// use [`WebSocket::close`]).
impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocket<S> {
    type Error = Error;

    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_ready_inner(cx)
    }

    fn start_send(self: Pin<&mut Self>, item: Message) -> Result<(), Error> {
        Ok(self.get_mut().connection.send(item)?)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.get_mut().poll_write_output(cx)
    }

    /// Sends a normal close (1000) and flushes it; the peer's answer is
    /// read by whoever reads the stream.
    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = self.get_mut();
        if this.connection.ready_state() == ReadyState::Open {
            this.start_close(CloseCode::NORMAL, "")?;
        }
        this.poll_write_output(cx)
    }
}
