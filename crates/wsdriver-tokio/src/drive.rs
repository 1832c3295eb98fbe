//! The one drive loop: read from the stream into a [`Machine`], write its
//! output, sleep until its next deadline. Every handshake (server, client,
//! CONNECT proxy) and every open [`WebSocket`](crate::WebSocket) runs on
//! it; none of them moves bytes or reads the clock any other way, and none
//! decides anything about the protocol (the machine does).

use crate::error::Error;
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::time::{Instant, Sleep};
use wsdriver::Machine;

/// Bytes asked of the stream per read when the machine gives no hint:
/// small, so idle connections stay small; a large frame sizes its own
/// reads from its header.
const READ_SIZE: usize = 1024;

/// What drives one machine over one stream, besides the two: the sleep
/// for its next deadline, and whether written bytes still need a flush
/// (TLS holds them until then).
#[derive(Default)]
pub(crate) struct Drive {
    timer: Option<Pin<Box<Sleep>>>,
    unflushed: bool,
}

impl Drive {
    /// Writes all of the machine's output, vectored, then flushes.
    #[inline]
    pub fn poll_write<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<()>>
    where
        S: AsyncWrite + Unpin,
        M: Machine,
    {
        while machine.has_output() {
            let first = machine.output().first_slice();
            let written = if first.len() == machine.buffered_amount() {
                // All in one buffer (small messages): a plain write, without
                // gathering slices.
                ready!(Pin::new(&mut *stream).poll_write(cx, first))?
            } else {
                ready!(Self::poll_write_slices(cx, stream, machine))?
            };
            if written == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            machine.advance_output(written);
            self.unflushed = true;
        }
        if self.unflushed {
            ready!(Pin::new(&mut *stream).poll_flush(cx))?;
            self.unflushed = false;
        }
        Poll::Ready(Ok(()))
    }

    /// One vectored write of the output's slices (a frame header and a
    /// payload queued by reference leave together).
    fn poll_write_slices<S, M>(
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<usize>>
    where
        S: AsyncWrite + Unpin,
        M: Machine,
    {
        let mut slices = [IoSlice::new(&[]); 16];
        let count = machine.output_slices(&mut slices);
        let stream = Pin::new(&mut *stream);
        if stream.is_write_vectored() {
            stream.poll_write_vectored(cx, &slices[..count])
        } else {
            stream.poll_write(cx, &slices[0])
        }
    }

    /// Whether a write or flush is still owed.
    #[inline]
    pub fn is_idle<M: Machine>(&self, machine: &M) -> bool {
        !self.unflushed && !machine.has_output()
    }

    /// Reads once into the machine. `true`: bytes came (and the machine
    /// was told when, if a timer of its wants to know); `false`: the
    /// stream ended, and the machine was told.
    #[inline]
    pub fn poll_read<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<bool>>
    where
        S: AsyncRead + Unpin,
        M: Machine,
    {
        let spare = {
            let buffer = machine.input_buffer();
            buffer.capacity() - buffer.len()
        };
        if spare < READ_SIZE / 2 {
            let wanted = machine.read_hint().clamp(READ_SIZE, 1 << 24);
            machine.input_buffer().reserve(wanted);
        }
        let read = ready!(tokio_util::io::poll_read_buf(
            Pin::new(stream),
            cx,
            machine.input_buffer()
        ))?;
        if read == 0 {
            machine.transport_closed();
            return Poll::Ready(Ok(false));
        }
        // Most connections run no timer: skip the clock.
        if machine.poll_timeout().is_some() {
            machine.received(Instant::now().into_std());
        }
        Poll::Ready(Ok(true))
    }

    /// Runs the machine's due timers; returns whether one fired (it may
    /// have something new to say). Otherwise arms the sleep for the next.
    #[inline(always)]
    pub fn poll_timers<M: Machine>(&mut self, cx: &mut Context<'_>, machine: &mut M) -> bool {
        // Most connections run no timer: decided here, inlined, without a
        // call on the path of every message.
        if self.timer.is_none() && machine.poll_timeout().is_none() {
            return false;
        }
        self.poll_timers_slow(cx, machine)
    }

    #[inline(never)]
    fn poll_timers_slow<M: Machine>(&mut self, cx: &mut Context<'_>, machine: &mut M) -> bool {
        let Some(at) = machine.poll_timeout() else {
            self.timer = None;
            return false;
        };
        let at = Instant::from_std(at);
        let now = Instant::now();
        if at <= now {
            machine.handle_timeout(now.into_std());
            return true;
        }
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(at)));
        if timer.deadline() != at {
            timer.as_mut().reset(at);
        }
        if timer.as_mut().poll(cx).is_ready() {
            return self.poll_timers_slow(cx, machine);
        }
        false
    }
}

/// Drives a handshake (or proxy) machine until it has an event: its timers
/// run, its output is written before the stream is read (a head is
/// small). The stream's end with no event to say what it meant is
/// `UnexpectedEof`.
pub(crate) async fn next_event<S, M>(stream: &mut S, machine: &mut M) -> Result<M::Event, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    M: Machine,
{
    let mut drive = Drive::default();
    poll_fn(|cx| loop {
        if let Some(event) = machine.poll_event() {
            return Poll::Ready(Ok(event));
        }
        // Timers first: a peer that does not read must not stop them.
        if drive.poll_timers(cx, machine) {
            continue;
        }
        ready!(drive.poll_write(cx, stream, machine))?;
        if !ready!(drive.poll_read(cx, stream, machine))? {
            return Poll::Ready(match machine.poll_event() {
                Some(event) => Ok(event),
                None => Err(io::Error::from(io::ErrorKind::UnexpectedEof).into()),
            });
        }
    })
    .await
}

/// Writes everything the machine has queued, then flushes.
pub(crate) async fn flush<S, M>(stream: &mut S, machine: &mut M) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
    M: Machine,
{
    let mut drive = Drive::default();
    poll_fn(|cx| drive.poll_write(cx, stream, machine)).await
}
