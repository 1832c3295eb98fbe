//! Bytes waiting to be written to the transport.
//!
//! Frame headers and small payloads are copied into one contiguous buffer;
//! large payloads the caller already owns as `Bytes` are queued by reference
//! between those copies, so a header and its payload leave in one vectored
//! write without the payload being copied.

use bytes::{Buf, Bytes};
use std::collections::VecDeque;
use std::io::IoSlice;

/// A payload the caller either lends (copied) or gives (kept by reference
/// when it is large and needs no masking).
pub(crate) enum Payload<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Payload<'_> {
    /// The payload as owned bytes: a copy only when it was lent.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Payload::Borrowed(slice) => Bytes::copy_from_slice(slice),
            Payload::Owned(bytes) => bytes,
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(slice) => slice,
            Payload::Owned(bytes) => bytes,
        }
    }
}

/// Payloads at least this long are queued by reference rather than copied.
const ZERO_COPY_MIN: usize = 1024;

/// Once drained, a buffer that grew past this is released, so a connection
/// that sent one big message does not hold its memory while idle.
const KEEP_CAPACITY: usize = 16 * 1024;

/// Bytes a machine wants written, in order: a copied buffer with large
/// payloads queued by reference between its runs, so that a frame header
/// and its payload leave in one vectored write. Read it with
/// [`slices`](Self::slices); tell the machine what was written
/// ([`Machine::advance_output`](crate::Machine::advance_output)).
#[derive(Debug, Default)]
pub struct Output {
    buf: Vec<u8>,
    /// Bytes of `buf` already written.
    pos: usize,
    /// `(at, bytes)`: `bytes` go out after `buf[..at]` and before
    /// `buf[at..]`. The first payload queued by reference, apart: one
    /// frame's payload at a time is the common case, and needs no queue.
    first: Option<(usize, Bytes)>,
    /// The ones after `first` (empty while `first` is `None`).
    chunks: VecDeque<(usize, Bytes)>,
    chunk_len: usize,
    /// Bytes written since the start, so that a position in the output
    /// (where a frame ends) can be told to have left.
    written: u64,
}

impl Output {
    /// How many bytes wait to be written.
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len() - self.pos + self.chunk_len
    }

    /// Whether nothing waits to be written.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes written since the start.
    pub(crate) fn written_total(&self) -> u64 {
        self.written
    }

    /// Bytes queued since the start: where the last byte queued so far
    /// ends, in the same count as [`written_total`](Self::written_total).
    pub(crate) fn queued_total(&self) -> u64 {
        self.written + self.len() as u64
    }

    /// Appends a copy of `data`.
    pub(crate) fn extend(&mut self, data: &[u8]) {
        self.buf.extend_from_slice(data);
    }

    /// Gives direct access for writers that build bytes in place (masking).
    pub(crate) fn buffer(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }

    /// Appends `data`, by reference when it is large enough to be worth it.
    pub(crate) fn push(&mut self, data: Bytes) {
        if data.len() < ZERO_COPY_MIN {
            self.buf.extend_from_slice(&data);
        } else {
            self.chunk_len += data.len();
            let chunk = (self.buf.len(), data);
            if self.first.is_none() {
                self.first = Some(chunk);
            } else {
                self.chunks.push_back(chunk);
            }
        }
    }

    /// Appends a frame: its header (the first `head_len` bytes of `head`),
    /// then its payload (by reference when it is large and owned). One
    /// reservation for both when copied.
    #[inline]
    pub(crate) fn push_frame<const N: usize>(
        &mut self,
        head: &[u8; N],
        head_len: usize,
        payload: Payload<'_>,
    ) {
        let data = payload.as_slice();
        if data.len() < ZERO_COPY_MIN {
            self.buf.reserve(N + data.len());
            extend_prefix(&mut self.buf, head, head_len);
            self.buf.extend_from_slice(data);
            return;
        }
        extend_prefix(&mut self.buf, head, head_len);
        match payload {
            Payload::Borrowed(slice) => self.buf.extend_from_slice(slice),
            Payload::Owned(bytes) => self.push(bytes),
        }
    }

    /// Fills `dst` with the pending bytes in order; returns how many slices
    /// were filled.
    #[inline]
    pub fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        if let (Some((at, chunk)), true, 3..) = (&self.first, self.chunks.is_empty(), dst.len()) {
            // The common case: one frame's header, its payload by
            // reference, perhaps bytes queued after it.
            let mut n = 0;
            for slice in [&self.buf[self.pos..*at], chunk, &self.buf[*at..]] {
                if !slice.is_empty() {
                    dst[n] = IoSlice::new(slice);
                    n += 1;
                }
            }
            return n;
        }
        self.all_slices(dst)
    }

    /// [`slices`](Self::slices) for any number of payloads by reference.
    #[inline(never)]
    fn all_slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        let mut from = self.pos;
        for (at, chunk) in self.first.iter().chain(&self.chunks) {
            if n == dst.len() {
                return n;
            }
            if *at > from {
                dst[n] = IoSlice::new(&self.buf[from..*at]);
                n += 1;
                from = *at;
                if n == dst.len() {
                    return n;
                }
            }
            dst[n] = IoSlice::new(chunk);
            n += 1;
        }
        if n < dst.len() && self.buf.len() > from {
            dst[n] = IoSlice::new(&self.buf[from..]);
            n += 1;
        }
        n
    }

    /// The first contiguous run of pending bytes.
    pub fn first_slice(&self) -> &[u8] {
        match &self.first {
            Some((at, _)) if *at > self.pos => &self.buf[self.pos..*at],
            Some((_, chunk)) => chunk,
            None => &self.buf[self.pos..],
        }
    }

    /// Marks `n` bytes as written.
    #[inline]
    pub(crate) fn advance(&mut self, n: usize) {
        if n == self.len() {
            // The common case: one write took everything.
            self.written += n as u64;
            self.pos = 0;
            if self.first.take().is_some() {
                self.chunks.clear();
                self.chunk_len = 0;
            }
            self.drained();
            return;
        }
        self.advance_through(n);
    }

    fn advance_through(&mut self, mut n: usize) {
        assert!(n <= self.len(), "advanced past the pending output");
        self.written += n as u64;
        while n > 0 {
            match &mut self.first {
                Some((at, _)) if *at > self.pos => {
                    let step = n.min(*at - self.pos);
                    self.pos += step;
                    n -= step;
                }
                Some((_, chunk)) => {
                    let step = n.min(chunk.len());
                    chunk.advance(step);
                    self.chunk_len -= step;
                    n -= step;
                    if chunk.is_empty() {
                        self.first = self.chunks.pop_front();
                    }
                }
                None => {
                    self.pos += n;
                    n = 0;
                }
            }
        }
        if self.first.is_none() && self.pos == self.buf.len() {
            self.pos = 0;
            self.drained();
        }
    }

    #[inline]
    fn drained(&mut self) {
        if self.buf.capacity() > KEEP_CAPACITY {
            self.buf = Vec::new();
        } else {
            self.buf.clear();
        }
    }
}

/// Appends the first `len` bytes of `bytes`: all `N` copied, a fixed size
/// moved in two instructions where a length known only at run time calls
/// `memcpy` (a frame header: 2 to 14 bytes), then the rest cut off.
#[inline(always)]
pub(crate) fn extend_prefix<const N: usize>(buf: &mut Vec<u8>, bytes: &[u8; N], len: usize) {
    let end = buf.len() + len.min(N);
    buf.extend_from_slice(bytes);
    buf.truncate(end);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(out: &Output) -> Vec<u8> {
        let mut slices = [IoSlice::new(&[]); 32];
        let n = out.slices(&mut slices);
        slices[..n].iter().flat_map(|s| s.iter().copied()).collect()
    }

    #[test]
    fn keeps_order_of_copies_and_references() {
        let mut out = Output::default();
        out.extend(b"head1");
        out.push(Bytes::from(vec![1u8; 2000]));
        out.extend(b"head2");
        out.push(Bytes::from_static(b"small"));
        out.push(Bytes::from(vec![2u8; 3000]));
        let mut expected = b"head1".to_vec();
        expected.extend([1u8; 2000]);
        expected.extend(b"head2small");
        expected.extend([2u8; 3000]);
        assert_eq!(out.len(), expected.len());
        assert_eq!(collect(&out), expected);

        // drain in awkward steps; what remains is always the right suffix
        let mut done = 0;
        for step in [3, 1, 2001, 7, 999, 1] {
            out.advance(step);
            done += step;
            assert_eq!(collect(&out), expected[done..]);
            assert_eq!(out.first_slice(), &collect(&out)[..out.first_slice().len()]);
        }
        out.advance(out.len());
        assert!(out.is_empty());
        assert_eq!(collect(&out), b"");
    }

    #[test]
    fn one_frame_by_reference_drains_in_any_steps() {
        for cut in 0..40 {
            let mut out = Output::default();
            out.push_frame(b"head", 4, Payload::Owned(Bytes::from(vec![9u8; 1500])));
            out.extend(b"tail");
            let mut expected = b"head".to_vec();
            expected.extend([9u8; 1500]);
            expected.extend(b"tail");
            assert_eq!(collect(&out), expected);
            // One partial write, then the rest at once.
            let first = (cut * 40).min(expected.len());
            out.advance(first);
            assert_eq!(collect(&out), expected[first..], "cut {cut}");
            assert_eq!(
                out.first_slice(),
                &expected[first..][..out.first_slice().len()]
            );
            out.advance(out.len());
            assert!(out.is_empty());
            assert_eq!(out.written_total(), expected.len() as u64);
        }
    }

    #[test]
    fn a_short_slice_array_gets_what_fits() {
        let mut out = Output::default();
        out.push_frame(b"head", 4, Payload::Owned(Bytes::from(vec![1u8; 2000])));
        out.extend(b"tail");
        let mut two = [IoSlice::new(&[]); 2];
        assert_eq!(out.slices(&mut two), 2);
        assert_eq!(&*two[0], b"head");
        assert_eq!(two[1].len(), 2000);
    }
}
