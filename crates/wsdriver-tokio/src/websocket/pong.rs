//! The answer to a ping, as a future. A ping is written at once but its
//! pong is found later by whoever reads the connection, often another task
//! or another `select!` branch; [`Pong`] is the channel between the two, so
//! that the caller who pinged holds no borrow of the connection while it
//! waits.

use crate::error::Error;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::sync::oneshot;

/// Resolves when the pong answering a
/// [`WebSocket::ping`](crate::WebSocket::ping) arrives; fails if the
/// connection closes first.
///
/// It resolves only while something reads the connection (the pong is
/// found by the reader). It fails with [`Error::Closed`] when the close
/// handshake ends first, when the transport fails, or when the
/// `WebSocket` is dropped. It
/// has no timeout of its own: race it against a sleep (tokio's `timeout`
/// does) to time a peer out. Dropping it is fine; the pong is then ignored.
#[derive(Debug)]
pub struct Pong(pub(crate) oneshot::Receiver<()>);

impl std::future::Future for Pong {
    type Output = Result<(), Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0)
            .poll(cx)
            .map(|r| r.map_err(|_| Error::Closed))
    }
}
