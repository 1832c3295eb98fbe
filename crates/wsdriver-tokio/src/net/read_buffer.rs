//! How large a connection's read buffer is, and when it goes: none until
//! the connection has something to read, 4 KiB while small messages flow,
//! the size of a frame while larger ones flow; a buffer grown past 64 KiB
//! is released whenever the connection waits, and allocated again at once
//! while large frames keep coming.

use bytes::BytesMut;
use std::io;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use tokio::io::{AsyncRead, ReadBuf};

/// Bytes asked of the stream per read when nothing says more are coming;
/// a large frame sizes its own reads from its header. 4 KiB takes most
/// messages, and a 1 KiB one with its header, in one read.
pub(crate) const READ_SIZE: usize = 4096;

/// Room asked for past the rest of a frame. Under `READ_SIZE / 2`, so that
/// once the frame is taken the next read first reclaims the whole buffer
/// (in place, when the frame has been dropped) rather than reading a
/// sliver of the next frame into what is left.
const SLACK: usize = READ_SIZE / 4;

/// A buffer up to this large is kept while the connection waits: freeing
/// and allocating 16 KiB around every message cost more than the message
/// (590 instructions of malloc and free in a 3,000-instruction echo). A
/// larger one is released.
const KEEP_CAPACITY: usize = 64 * 1024;

/// The most one read asks for, however large the frame.
const MAX_READ: usize = 1 << 24;

/// The sizing decisions for one connection's read buffer (the buffer
/// itself is the machine's input buffer).
#[derive(Debug, Default)]
pub(crate) struct ReadSizing {
    /// The capacity the buffer was grown to, when past `READ_SIZE`.
    large: usize,
    /// Bytes read since the buffer was last released (or since the start).
    read_since: usize,
    /// After a large buffer was released: the size to allocate for the
    /// next read, because large frames kept coming.
    expect: usize,
}

impl ReadSizing {
    /// Makes room for the next read, given the bytes still missing from
    /// the frame in progress. `false`: there is no buffer and none is
    /// needed yet, so read into the stack (a connection that has been
    /// waiting since it opened holds no read buffer at all).
    #[inline]
    pub fn prepare(&mut self, buffer: &mut BytesMut, rest: usize) -> bool {
        if buffer.capacity() == 0 {
            if self.expect == 0 {
                return false;
            }
            // Large frames were flowing: allocate for the next one at once,
            // rather than read its first bytes into the stack and grow.
            buffer.reserve(std::mem::take(&mut self.expect));
            self.grown(buffer);
            return true;
        }
        let spare = buffer.capacity() - buffer.len();
        let rest = rest.min(MAX_READ);
        if spare < READ_SIZE / 2 || spare < rest {
            // The rest of the frame and a little room past it: the read that
            // drains the socket then comes up short, which tells tokio the
            // socket is empty (a read that fills the buffer to the byte
            // leaves it to find out with one more read, answered EAGAIN).
            buffer.reserve((rest + SLACK).max(READ_SIZE));
            if buffer.capacity() > READ_SIZE {
                self.grown(buffer);
            }
        }
        true
    }

    fn grown(&mut self, buffer: &BytesMut) {
        self.large = self.large.max(buffer.capacity());
    }

    /// `n` bytes were read.
    #[inline]
    pub fn read(&mut self, n: usize) {
        self.read_since = self.read_since.saturating_add(n);
    }

    /// The stream has nothing more for now. A buffer grown for large
    /// frames is released once it is empty: a connection that received a
    /// large frame does not keep its memory while it waits. If large
    /// frames were still coming, the next read allocates their size again.
    #[inline]
    pub fn waiting(&mut self, buffer: &mut BytesMut) {
        if self.large <= KEEP_CAPACITY || !buffer.is_empty() {
            return;
        }
        // (What is left of the buffer may look small: the frame split off
        // holds the rest of the allocation until it is dropped.)
        *buffer = BytesMut::new();
        // No more than the last cycle read, so that the size follows the
        // frames down as well as up (a larger frame grows the buffer as
        // its header is read).
        self.expect = if self.read_since > READ_SIZE {
            self.large.min(self.read_since.saturating_add(SLACK))
        } else {
            0
        };
        self.large = 0;
        self.read_since = 0;
    }
}

/// Reads once into `buffer`'s spare capacity, without zeroing it first;
/// returns how many bytes came (0: the stream ended).
///
/// What `tokio_util::io::poll_read_buf` does, written here so that it is
/// always in line: on the path of every message, LLVM inlined that one or
/// not depending on the size of the caller (20 B echo: 1,612 instructions
/// inlined, 1,633 with a call, which called `advance` out of line too).
#[inline(always)]
pub(crate) fn poll_read_spare<S: AsyncRead + Unpin>(
    stream: &mut S,
    cx: &mut Context<'_>,
    buffer: &mut BytesMut,
) -> Poll<io::Result<usize>> {
    let mut read = ReadBuf::uninit(buffer.spare_capacity_mut());
    let (start, room) = (read.filled().as_ptr(), read.capacity());
    ready!(Pin::new(stream).poll_read(cx, &mut read))?;
    // A reader may not swap the `ReadBuf` for another (the contract of
    // `AsyncRead`); one that did would have filled someone else's bytes.
    assert!(
        std::ptr::eq(start, read.filled().as_ptr()) && read.capacity() == room,
        "the reader replaced the buffer it was given"
    );
    let n = read.filled().len();
    #[allow(unsafe_code)]
    // SAFETY: `ReadBuf` keeps `filled <= initialized <= capacity`, and
    // only an `unsafe` call of the reader's can claim bytes initialized
    // that it did not write. So the first `n` bytes of the buffer `read`
    // wraps are initialized, and that buffer is still the spare capacity
    // (asserted above: the same start and length), which begins at
    // `buffer.len()` and is `room >= n` long. Setting the length past
    // them exposes only those bytes.
    unsafe {
        buffer.set_len(buffer.len() + n);
    }
    Poll::Ready(Ok(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out `chunks` one per read, or swaps the buffer when asked.
    struct Reader {
        chunks: Vec<&'static [u8]>,
        swap: bool,
    }

    impl AsyncRead for Reader {
        fn poll_read(
            mut self: Pin<&mut Self>,
            _: &mut Context<'_>,
            buf: &mut ReadBuf<'_>,
        ) -> Poll<io::Result<()>> {
            if self.swap {
                let other: &'static mut [u8] = Box::leak(vec![7u8; 64].into_boxed_slice());
                *buf = ReadBuf::new(other);
                buf.advance(16);
                return Poll::Ready(Ok(()));
            }
            if let Some(chunk) = self.chunks.first_mut() {
                let n = chunk.len().min(buf.remaining());
                buf.put_slice(&chunk[..n]);
                *chunk = &chunk[n..];
                if chunk.is_empty() {
                    self.chunks.remove(0);
                }
            }
            Poll::Ready(Ok(()))
        }
    }

    fn read(reader: &mut Reader, buffer: &mut BytesMut) -> io::Result<usize> {
        let mut cx = Context::from_waker(std::task::Waker::noop());
        match poll_read_spare(reader, &mut cx, buffer) {
            Poll::Ready(result) => result,
            Poll::Pending => unreachable!("the reader is always ready"),
        }
    }

    #[test]
    fn reads_append_after_what_the_buffer_holds_until_the_end() {
        let mut reader = Reader {
            chunks: vec![b"hello ", b"world", b"!"],
            swap: false,
        };
        let mut buffer = BytesMut::with_capacity(8);
        buffer.extend_from_slice(b">");
        assert_eq!(read(&mut reader, &mut buffer).unwrap(), 6);
        assert_eq!(&buffer[..], b">hello ");
        // One byte of room: the reader fills it and no more.
        assert_eq!(read(&mut reader, &mut buffer).unwrap(), 1);
        assert_eq!(&buffer[..], b">hello w");
        buffer.reserve(16);
        assert_eq!(read(&mut reader, &mut buffer).unwrap(), 4);
        assert_eq!(&buffer[..], b">hello world");
        assert_eq!(read(&mut reader, &mut buffer).unwrap(), 1);
        assert_eq!(&buffer[..], b">hello world!");
        assert_eq!(read(&mut reader, &mut buffer).unwrap(), 0, "the end");
        assert_eq!(&buffer[..], b">hello world!");
    }

    #[test]
    #[should_panic(expected = "replaced the buffer")]
    fn a_reader_that_swaps_the_buffer_is_caught_before_its_bytes_are_claimed() {
        let mut reader = Reader {
            chunks: Vec::new(),
            swap: true,
        };
        let mut buffer = BytesMut::with_capacity(64);
        let _ = read(&mut reader, &mut buffer);
    }

    #[test]
    fn small_messages_keep_one_small_buffer() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::new();
        assert!(
            !sizing.prepare(&mut buffer, 0),
            "the first read goes to the stack"
        );
        buffer.reserve(READ_SIZE);
        for _ in 0..1000 {
            assert!(sizing.prepare(&mut buffer, 0));
            assert!(buffer.capacity() - buffer.len() >= READ_SIZE / 2);
            buffer.extend_from_slice(&[1; 26]);
            sizing.read(26);
            drop(buffer.split_to(26));
            sizing.waiting(&mut buffer);
            assert!(buffer.capacity() > 0, "kept");
        }
    }

    #[test]
    fn a_large_frame_gets_room_past_its_end() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::with_capacity(READ_SIZE);
        buffer.extend_from_slice(&[0; READ_SIZE]);
        assert!(sizing.prepare(&mut buffer, 100_000));
        assert!(buffer.capacity() - buffer.len() >= 100_000 + SLACK);
    }

    #[test]
    fn large_frames_in_a_row_reallocate_their_size_then_stop_when_small_ones_come() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::with_capacity(READ_SIZE);
        // A 100 KB frame: its header and start, then the rest.
        buffer.extend_from_slice(&[0; READ_SIZE]);
        sizing.read(READ_SIZE);
        assert!(sizing.prepare(&mut buffer, 100_000 - READ_SIZE));
        buffer.extend_from_slice(&vec![0; 100_000 - READ_SIZE]);
        sizing.read(100_000 - READ_SIZE);
        let frame = buffer.split().freeze();
        sizing.waiting(&mut buffer);
        assert_eq!(buffer.capacity(), 0, "released while waiting");
        drop(frame);

        // The next read allocates for a frame that large straight away.
        assert!(sizing.prepare(&mut buffer, 0));
        assert!(buffer.capacity() >= 100_000);
        // A small message comes instead: released, and not expected again.
        buffer.extend_from_slice(&[0; 20]);
        sizing.read(20);
        drop(buffer.split());
        sizing.waiting(&mut buffer);
        assert_eq!(buffer.capacity(), 0);
        assert!(!sizing.prepare(&mut buffer, 0), "back to the stack");
    }

    #[test]
    fn the_size_allocated_again_follows_smaller_large_frames_down() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::with_capacity(READ_SIZE);
        // A 4 MB frame, then the connection waits.
        buffer.extend_from_slice(&[0; READ_SIZE]);
        sizing.read(READ_SIZE);
        assert!(sizing.prepare(&mut buffer, 4_000_000 - READ_SIZE));
        buffer.extend_from_slice(&vec![0; 4_000_000 - READ_SIZE]);
        sizing.read(4_000_000 - READ_SIZE);
        drop(buffer.split());
        sizing.waiting(&mut buffer);
        // A 200 KB frame comes in the 4 MB buffer allocated for it.
        assert!(sizing.prepare(&mut buffer, 0));
        assert!(buffer.capacity() >= 4_000_000);
        buffer.extend_from_slice(&vec![0; 200_000]);
        sizing.read(200_000);
        drop(buffer.split());
        sizing.waiting(&mut buffer);
        // The next allocation is the size of what came last.
        assert!(sizing.prepare(&mut buffer, 0));
        assert!(buffer.capacity() >= 200_000);
        assert!(buffer.capacity() < 400_000, "{}", buffer.capacity());
    }

    #[test]
    fn a_buffer_grown_for_16_kib_is_kept_while_waiting() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::with_capacity(READ_SIZE);
        buffer.extend_from_slice(&[0; READ_SIZE]);
        sizing.read(READ_SIZE);
        assert!(sizing.prepare(&mut buffer, 16_384 - READ_SIZE));
        buffer.extend_from_slice(&[0; 16_384 - READ_SIZE]);
        sizing.read(16_384 - READ_SIZE);
        drop(buffer.split());
        sizing.waiting(&mut buffer);
        assert!(buffer.capacity() > 0);
    }

    #[test]
    fn a_half_read_frame_is_kept_while_waiting() {
        let mut sizing = ReadSizing::default();
        let mut buffer = BytesMut::with_capacity(READ_SIZE);
        buffer.extend_from_slice(&[0; 10]);
        assert!(sizing.prepare(&mut buffer, 200_000));
        sizing.waiting(&mut buffer);
        assert_eq!(&buffer[..], &[0; 10]);
    }
}
