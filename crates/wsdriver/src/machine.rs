//! [`Machine`]: what every sans-IO machine of this crate has in common, so
//! that one loop can drive any of them over any transport.
//!
//! The machines are the opening handshakes ([`ServerHandshake`](crate::ServerHandshake),
//! [`ClientHandshake`](crate::ClientHandshake)), the CONNECT
//! [`Proxy`](crate::Proxy), the open [`Connection`](crate::Connection)
//! and the EventSource [`Client`](crate::eventsource::Client); the
//! [`Driver`](crate::Driver), the front over a handshake and its
//! connection, is one too. A driving loop reads from the transport into
//! [`input_buffer`](Machine::input_buffer) and calls
//! [`received`](Machine::received), takes events with
//! [`poll_event`](Machine::poll_event), writes what [`output`](Machine::output)
//! holds, and sleeps until [`poll_timeout`](Machine::poll_timeout). It
//! decides nothing about the protocol: the machine does.

use crate::output::Output;
use bytes::BytesMut;
use std::io::{self, IoSlice, Write};
use std::time::Instant;

/// One protocol machine without I/O: an opening handshake
/// ([`ServerHandshake`](crate::ServerHandshake),
/// [`ClientHandshake`](crate::ClientHandshake)), the CONNECT
/// [`Proxy`](crate::Proxy), an open [`Connection`](crate::Connection) or
/// an EventSource [`Client`](crate::eventsource::Client).
///
/// The loop that drives any of them reads from the transport into
/// [`input_buffer`](Self::input_buffer) and calls
/// [`received`](Self::received), takes events with
/// [`poll_event`](Self::poll_event), writes what [`output`](Self::output)
/// holds, and sleeps until [`poll_timeout`](Self::poll_timeout); at the
/// transport's end it calls [`transport_closed`](Self::transport_closed).
/// It decides nothing about the protocol: the machine does.
pub trait Machine {
    /// What happened, as [`poll_event`](Self::poll_event) reports it.
    type Event;

    /// The next thing that happened, reading more of the input if needed;
    /// `None` when the input holds nothing more to act on.
    fn poll_event(&mut self) -> Option<Self::Event>;

    /// The buffer that bytes read from the transport go into (read
    /// straight into it: no copy, no zero-filling). Follow a read with
    /// [`received`](Self::received).
    fn input_buffer(&mut self) -> &mut BytesMut;

    /// Bytes from the peer arrived at `now`: timers that count silence
    /// start over.
    fn received(&mut self, now: Instant);

    /// The transport ended (end of stream, or an error). The machine
    /// reports what that means through [`poll_event`](Self::poll_event).
    fn transport_closed(&mut self);

    /// The bytes waiting to be written, in order.
    fn output(&self) -> &Output;

    /// Marks the first `n` bytes of output as written.
    ///
    /// # Panics
    /// If `n` is more than the output holds.
    fn advance_output(&mut self, n: usize);

    /// When [`handle_timeout`](Self::handle_timeout) is next due; `None`
    /// when no timer runs. A pure query: calling it changes nothing.
    fn poll_timeout(&self) -> Option<Instant>;

    /// Runs the timers due by `now`; what they did comes out of
    /// [`poll_event`](Self::poll_event) and the output.
    fn handle_timeout(&mut self, now: Instant);

    /// Whether to read more from the transport now. `false` while a peer
    /// that floods pings leaves our pongs unread: read again once the
    /// output has drained.
    fn wants_read(&self) -> bool {
        true
    }

    /// How many more bytes would complete what is being read; a hint for
    /// sizing reads (0 when there is nothing to go by).
    fn read_hint(&self) -> usize {
        0
    }

    /// Whether there are bytes to write.
    fn has_output(&self) -> bool {
        !self.output().is_empty()
    }

    /// How many bytes wait to be written.
    fn buffered_amount(&self) -> usize {
        self.output().len()
    }

    /// Fills `dst` with the bytes to write, in order, for one vectored
    /// write; returns how many slices it filled. Follow with
    /// [`advance_output`](Self::advance_output).
    fn output_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.output().slices(dst)
    }

    /// Writes all pending output to a blocking writer.
    ///
    /// # Errors
    /// The writer's error; what it did not take stays queued.
    fn write_output<W: Write + ?Sized>(&mut self, writer: &mut W) -> io::Result<()>
    where
        Self: Sized,
    {
        while self.has_output() {
            let mut slices = [IoSlice::new(&[]); 16];
            let count = self.output_slices(&mut slices);
            let written = writer.write_vectored(&slices[..count]);
            match written {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => self.advance_output(n),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
        writer.flush()
    }

    /// Takes all pending output as one buffer (handy in tests).
    fn take_output(&mut self) -> Vec<u8>
    where
        Self: Sized,
    {
        let mut bytes = Vec::with_capacity(self.buffered_amount());
        self.write_output(&mut bytes)
            .expect("writing to a Vec cannot fail");
        bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    /// Only an output: what `write_output` drains.
    struct Sending(Output);

    impl Machine for Sending {
        type Event = ();
        fn poll_event(&mut self) -> Option<()> {
            None
        }
        fn input_buffer(&mut self) -> &mut BytesMut {
            unreachable!("nothing is read")
        }
        fn received(&mut self, _now: Instant) {}
        fn transport_closed(&mut self) {}
        fn output(&self) -> &Output {
            &self.0
        }
        fn advance_output(&mut self, n: usize) {
            self.0.advance(n);
        }
        fn poll_timeout(&self) -> Option<Instant> {
            None
        }
        fn handle_timeout(&mut self, _now: Instant) {}
    }

    #[test]
    fn write_output_handles_short_writes() {
        struct Trickle(Vec<u8>);
        impl Write for Trickle {
            fn write(&mut self, b: &[u8]) -> io::Result<usize> {
                let n = b.len().min(7);
                self.0.extend_from_slice(&b[..n]);
                Ok(n)
            }
            fn flush(&mut self) -> io::Result<()> {
                Ok(())
            }
        }
        let mut out = Output::default();
        out.extend(b"abc");
        out.push(Bytes::from(vec![9u8; 1500]));
        out.extend(b"xyz");
        let mut machine = Sending(out);
        let mut sink = Trickle(Vec::new());
        machine.write_output(&mut sink).unwrap();
        assert_eq!(sink.0.len(), 1506);
        assert_eq!(&sink.0[..3], b"abc");
        assert_eq!(&sink.0[1503..], b"xyz");
        assert!(!machine.has_output());
    }
}
