//! The one drive step: run a [`Machine`]'s due timers, write its output,
//! read from the stream into it, in that order, and say what happened
//! ([`Drive::poll_step`]). Every handshake (server, client, CONNECT
//! proxy), every open [`WebSocket`](crate::WebSocket) and both EventSource
//! sides run on it, and only match on its [`Step`]; none of them moves
//! bytes or reads the clock any other way, and none decides anything
//! about the protocol (the machine does).

use crate::error::Error;
use crate::net::low_water::LowWater;
use crate::net::read_buffer::{poll_read_spare, ReadSizing, READ_SIZE};
use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::task::{ready, Context, Poll, Waker};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use wsdriver::Machine;

/// What drives one machine over one stream, besides the two: the sleep
/// for its next deadline, and whether written bytes still need a flush
/// (TLS holds them until then).
#[derive(Default)]
pub(crate) struct Drive {
    timer: Option<Pin<Box<Sleep>>>,
    unflushed: bool,
    read_sizing: ReadSizing,
    /// A plain TCP socket's low-water mark, set before each wait for it.
    low_water: LowWater,
    /// The waker a write that must wait leaves with the stream, when it is
    /// not the polling task's own (a split socket's: either half may be
    /// the one waiting for the stream to take more bytes).
    write_waker: Option<Waker>,
}

/// What one [`Drive::poll_step`] did; the machine may have events after
/// any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// A due timer ran.
    Timer,
    /// All of the output was written and flushed.
    Written,
    /// Bytes came in.
    Read,
    /// The stream ended; the machine was told.
    Ended,
}

impl Drive {
    /// For an open connection over `stream`: with a low-water mark when
    /// the stream takes one.
    pub fn open<S: 'static>(stream: &S) -> Self {
        Drive {
            low_water: LowWater::of(stream),
            ..Drive::default()
        }
    }

    /// Writes wake `waker` rather than the task that polls them.
    pub fn wake_writes(&mut self, waker: Waker) {
        self.write_waker = Some(waker);
    }

    /// One step, in the one order every connection runs: due timers
    /// first (a peer that does not read must not stop them), then the
    /// output, then one read. Each returns as soon as it did something,
    /// so that the caller looks at the machine's events in between. A
    /// write that must wait holds reading up only when the machine wants
    /// no input until its output drains (a peer that floods pings and
    /// reads none of our pongs); otherwise the reader goes on beside a
    /// slow writer (two peers that both stream would each wait for the
    /// other). `Pending`: the stream or the timer wakes the task. An
    /// error: the stream failed, writing or reading, which ends it.
    #[inline(always)]
    pub fn poll_step<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<Step>>
    where
        S: AsyncRead + AsyncWrite + Unpin,
        M: Machine,
    {
        if self.poll_timers(cx, machine) {
            return Poll::Ready(Ok(Step::Timer));
        }
        // The common case on every read: nothing to write or flush,
        // decided without a call.
        if !self.is_idle(machine) {
            match self.poll_write_out_of_line(cx, stream, machine) {
                Poll::Ready(Ok(())) => return Poll::Ready(Ok(Step::Written)),
                Poll::Ready(Err(error)) => return Poll::Ready(Err(error)),
                Poll::Pending if !machine.wants_read() => return Poll::Pending,
                Poll::Pending => {}
            }
        }
        match ready!(self.poll_read(cx, stream, machine)) {
            Ok(true) => Poll::Ready(Ok(Step::Read)),
            Ok(false) => Poll::Ready(Ok(Step::Ended)),
            Err(error) => Poll::Ready(Err(error)),
        }
    }

    /// The output, written within a step: out of line, off the path of
    /// every read.
    #[inline(never)]
    fn poll_write_out_of_line<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<()>>
    where
        S: AsyncWrite + Unpin,
        M: Machine,
    {
        self.poll_write_owed(cx, stream, machine)
    }

    /// Writes all of the machine's output, vectored, then flushes; a wait
    /// leaves the write waker with the stream if one is set.
    #[inline(always)]
    pub fn poll_write_owed<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<()>>
    where
        S: AsyncWrite + Unpin,
        M: Machine,
    {
        match self.write_waker.clone() {
            Some(waker) => self.poll_write(&mut Context::from_waker(&waker), stream, machine),
            None => self.poll_write(cx, stream, machine),
        }
    }

    /// Writes all of the machine's output, vectored, then flushes.
    #[inline(always)]
    fn poll_write<S, M>(
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
        // Eight: a frame's header and payload and a few after them, without
        // filling a long array for every write (a longer queue takes more
        // writes, each of them large).
        let mut slices = [IoSlice::new(&[]); 8];
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
    /// stream ended, and the machine was told. Always inlined: with a
    /// second step in a connection type (a lingering close's), the
    /// compiler stopped inlining it into the read of every message, which
    /// cost 4% of the echo's instructions (bench smoke).
    #[inline(always)]
    fn poll_read<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
    ) -> Poll<io::Result<bool>>
    where
        S: AsyncRead + Unpin,
        M: Machine,
    {
        let rest = machine.read_hint();
        if !self.read_sizing.prepare(machine.input_buffer(), rest) {
            return self.poll_read_unbuffered(cx, stream, machine, rest);
        }
        let read = match poll_read_spare(stream, cx, machine.input_buffer()) {
            Poll::Ready(read) => read?,
            Poll::Pending => return self.pending(machine, rest),
        };
        self.read_sizing.read(read);
        self.finish_read(read, machine)
    }

    /// The stream has nothing for now: every wait for it comes through
    /// here, so that the low-water mark always matches the rest of the
    /// frame (a mark left from an earlier, longer rest would wait for
    /// bytes that never come).
    #[inline(always)]
    fn pending<M: Machine>(&mut self, machine: &mut M, rest: usize) -> Poll<io::Result<bool>> {
        self.low_water
            .before_wait(rest, || machine.poll_timeout().is_some())?;
        self.read_sizing.waiting(machine.input_buffer());
        Poll::Pending
    }

    /// A read with no buffer allocated (a connection that has been idle
    /// since it opened, or shrank back): into the stack, so that a
    /// connection that is waiting holds no read buffer at all.
    #[inline(never)]
    fn poll_read_unbuffered<S, M>(
        &mut self,
        cx: &mut Context<'_>,
        stream: &mut S,
        machine: &mut M,
        rest: usize,
    ) -> Poll<io::Result<bool>>
    where
        S: AsyncRead + Unpin,
        M: Machine,
    {
        let mut stack = [MaybeUninit::<u8>::uninit(); READ_SIZE];
        let mut buf = ReadBuf::uninit(&mut stack);
        if Pin::new(stream).poll_read(cx, &mut buf)?.is_pending() {
            return self.pending(machine, rest);
        }
        let filled = buf.filled();
        if !filled.is_empty() {
            let input = machine.input_buffer();
            input.reserve(READ_SIZE);
            input.extend_from_slice(filled);
        }
        self.finish_read(filled.len(), machine)
    }

    #[inline]
    fn finish_read<M: Machine>(&mut self, read: usize, machine: &mut M) -> Poll<io::Result<bool>> {
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

/// Drives a handshake (or proxy) machine until it has an event. The
/// stream's end with no event to say what it meant is `UnexpectedEof`.
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
        if ready!(drive.poll_step(cx, stream, machine))? == Step::Ended {
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

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::BytesMut;
    use std::task::Waker;
    use wsdriver::Output;

    /// A machine that only holds bytes and says how many more it wants.
    #[derive(Default)]
    struct Bytes {
        input: BytesMut,
        output: Output,
        hint: usize,
        closed: bool,
    }

    impl Machine for Bytes {
        type Event = ();
        fn poll_event(&mut self) -> Option<()> {
            None
        }
        fn input_buffer(&mut self) -> &mut BytesMut {
            &mut self.input
        }
        fn received(&mut self, _now: std::time::Instant) {}
        fn transport_closed(&mut self) {
            self.closed = true;
        }
        fn output(&self) -> &Output {
            &self.output
        }
        fn advance_output(&mut self, _n: usize) {}
        fn poll_timeout(&self) -> Option<std::time::Instant> {
            None
        }
        fn handle_timeout(&mut self, _now: std::time::Instant) {}
        fn read_hint(&self) -> usize {
            self.hint
        }
    }

    /// A stream that has `ready` bytes to give, then none for now.
    struct Source {
        ready: Vec<u8>,
        asked: Vec<usize>,
    }

    impl AsyncRead for Source {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _cx: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            self.asked.push(buf.remaining());
            if self.ready.is_empty() {
                return Poll::Pending;
            }
            let n = buf.remaining().min(self.ready.len());
            buf.put_slice(&self.ready[..n]);
            self.ready.drain(..n);
            Poll::Ready(Ok(()))
        }
    }

    fn read(drive: &mut Drive, source: &mut Source, machine: &mut Bytes) -> Poll<bool> {
        let mut cx = Context::from_waker(Waker::noop());
        drive
            .poll_read(&mut cx, source, machine)
            .map(|read| read.expect("no error"))
    }

    #[test]
    fn a_waiting_connection_holds_no_read_buffer() {
        let (mut drive, mut machine) = (Drive::default(), Bytes::default());
        let mut source = Source {
            ready: Vec::new(),
            asked: Vec::new(),
        };
        assert!(read(&mut drive, &mut source, &mut machine).is_pending());
        assert_eq!(machine.input.capacity(), 0);

        source.ready = b"hello".to_vec();
        assert_eq!(
            read(&mut drive, &mut source, &mut machine),
            Poll::Ready(true)
        );
        assert_eq!(&machine.input[..], b"hello");
        assert_eq!(source.asked, [READ_SIZE, READ_SIZE]);
    }

    #[test]
    fn the_rest_of_a_large_frame_comes_in_one_short_read_then_the_buffer_goes() {
        let (mut drive, mut machine) = (Drive::default(), Bytes::default());
        machine.input.extend_from_slice(b"first bytes of a frame");
        machine.hint = 200_000;
        let mut source = Source {
            ready: vec![7; 200_000],
            asked: Vec::new(),
        };
        assert_eq!(
            read(&mut drive, &mut source, &mut machine),
            Poll::Ready(true)
        );
        // Room for all of the rest and more, so that the read was short.
        assert!(source.asked[0] > 200_000, "{:?}", source.asked);
        assert_eq!(machine.input.len(), 200_000 + 22);

        // The frame is taken; the stream waits; the large buffer goes.
        machine.hint = 0;
        let frame = machine.input.split().freeze();
        assert!(read(&mut drive, &mut source, &mut machine).is_pending());
        assert_eq!(machine.input.capacity(), 0);
        drop(frame);
    }

    #[test]
    fn a_small_buffer_is_kept_while_the_stream_waits() {
        let (mut drive, mut machine) = (Drive::default(), Bytes::default());
        let mut source = Source {
            ready: vec![1; 100],
            asked: Vec::new(),
        };
        assert_eq!(
            read(&mut drive, &mut source, &mut machine),
            Poll::Ready(true)
        );
        let _message = machine.input.split().freeze();
        assert!(read(&mut drive, &mut source, &mut machine).is_pending());
        assert!(machine.input.capacity() > 0);
    }

    #[test]
    fn the_end_of_the_stream_is_told_to_the_machine() {
        let (mut drive, mut machine) = (Drive::default(), Bytes::default());
        let mut cx = Context::from_waker(Waker::noop());
        let mut empty: &[u8] = &[];
        let read = drive.poll_read(&mut cx, &mut empty, &mut machine);
        assert!(matches!(read, Poll::Ready(Ok(false))));
        assert!(machine.closed);
    }
}
