//! Waiting on I/O that happens outside a machine (TLS, DNS, TCP, a
//! proxy's tunnel, an application's check) within the machine's own
//! deadline: the machine owns the time (its `poll_timeout`), this layer
//! only sleeps until it. Past it, the machine is told the time and says
//! what that means (a 408, a handshake timeout).

use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use tokio::time::Instant;

/// Runs `future` until `deadline` (a machine's `poll_timeout()`): its
/// output, or `None` once the deadline passed first. No deadline, no
/// bound.
pub(crate) async fn until<F: Future>(
    deadline: Option<std::time::Instant>,
    future: F,
) -> Option<F::Output> {
    let Some(at) = deadline else {
        return Some(future.await);
    };
    let mut future = pin!(future);
    let mut sleep = pin!(tokio::time::sleep_until(Instant::from_std(at)));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        sleep.as_mut().poll(cx).map(|()| None)
    })
    .await
}
