//! Raw deflate with a sync flush, through zlib-rs's zlib API: flate2 (used
//! for inflating) cannot set `mem_level` or `strategy`, which this
//! extension's options promise.

use bytes::BytesMut;
use libz_rs_sys::{
    deflate, deflateEnd, deflateInit2_, z_stream, zlibVersion, Z_DEFLATED, Z_OK, Z_SYNC_FLUSH,
};

/// A zlib compression stream that keeps its window between messages
/// (context takeover); without takeover the extension drops it after each
/// message.
pub(crate) struct Deflater {
    /// Boxed because zlib's state points back at its stream: it must not
    /// move after `deflateInit2_`.
    stream: Box<z_stream>,
}

// SAFETY: the stream owns its state exclusively (no shared pointers
// survive between calls: `next_in`/`next_out` are reset to null after each
// use), so moving it to another thread is sound. Required because a
// `Driver` must be `Send` to live in a tokio task.
#[allow(unsafe_code)]
unsafe impl Send for Deflater {}

impl Deflater {
    /// `window_bits` 9-15 (zlib cannot deflate with 8), `level` 0-9,
    /// `mem_level` 1-9, `strategy` 0-4: the config has checked them.
    pub fn new(level: u32, window_bits: u8, mem_level: u8, strategy: i32) -> Result<Self, String> {
        let mut stream = Box::new(z_stream::default());
        // SAFETY: `stream` is a valid, default-initialised `z_stream` whose
        // address is stable (boxed); the version and size come from the
        // same crate, so the layouts agree. On success the stream holds
        // state that `Drop` releases with `deflateEnd`.
        #[allow(unsafe_code)]
        let rc = unsafe {
            deflateInit2_(
                &mut *stream,
                level as i32,
                Z_DEFLATED,
                -i32::from(window_bits),
                i32::from(mem_level),
                strategy,
                zlibVersion(),
                std::mem::size_of::<z_stream>() as i32,
            )
        };
        if rc != Z_OK {
            return Err(format!("zlib could not start a compressor (error {rc})"));
        }
        Ok(Deflater { stream })
    }

    /// Appends `input`, compressed and sync-flushed, to `out`.
    pub fn compress(&mut self, input: &[u8], out: &mut BytesMut) -> Result<(), String> {
        // zlib counts in u32; feed very large messages in pieces.
        for piece in input.chunks(1 << 30) {
            self.stream.next_in = piece.as_ptr();
            self.stream.avail_in = piece.len() as u32;
            loop {
                out.reserve((piece.len() / 2).clamp(64, 1 << 20));
                let spare = out.spare_capacity_mut();
                let room = spare.len().min(u32::MAX as usize);
                self.stream.next_out = spare.as_mut_ptr().cast();
                self.stream.avail_out = room as u32;
                // SAFETY: `next_in` points at `avail_in` readable bytes of
                // `piece`, `next_out` at `avail_out` writable bytes of
                // `out`'s spare capacity; both outlive the call, and the
                // stream was initialised in `new`.
                #[allow(unsafe_code)]
                let rc = unsafe { deflate(&mut *self.stream, Z_SYNC_FLUSH) };
                let written = room - self.stream.avail_out as usize;
                // SAFETY: zlib wrote exactly `written` bytes at the start of
                // the spare capacity (it reports what it left unused), so
                // those bytes are initialised.
                #[allow(unsafe_code)]
                unsafe {
                    out.set_len(out.len() + written)
                };
                if rc != Z_OK && rc != libz_rs_sys::Z_BUF_ERROR {
                    self.clear_pointers();
                    return Err(format!("zlib could not compress (error {rc})"));
                }
                // Done when all input is in and zlib did not fill the room
                // it had (a full output may hide more flushed bytes).
                if self.stream.avail_in == 0 && self.stream.avail_out != 0 {
                    break;
                }
            }
        }
        self.clear_pointers();
        Ok(())
    }

    fn clear_pointers(&mut self) {
        self.stream.next_in = std::ptr::null();
        self.stream.avail_in = 0;
        self.stream.next_out = std::ptr::null_mut();
        self.stream.avail_out = 0;
    }
}

impl Drop for Deflater {
    fn drop(&mut self) {
        // SAFETY: the stream was initialised in `new`; this is its last use.
        #[allow(unsafe_code)]
        unsafe {
            deflateEnd(&mut *self.stream);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{Decompress, FlushDecompress};

    fn inflate(data: &[u8]) -> Vec<u8> {
        let mut d = Decompress::new_with_window_bits(false, 15);
        let mut out = Vec::with_capacity(1 << 22);
        d.decompress_vec(data, &mut out, FlushDecompress::Sync)
            .unwrap();
        out
    }

    #[test]
    fn compresses_with_a_sync_flush_trailer_and_keeps_context() {
        let mut deflater = Deflater::new(6, 15, 8, 0).unwrap();
        let mut out = BytesMut::new();
        deflater.compress(b"Hello, Hello, Hello", &mut out).unwrap();
        assert!(out.ends_with(&[0x00, 0x00, 0xff, 0xff]));
        assert_eq!(inflate(&out), b"Hello, Hello, Hello");
        let first = out.len();
        deflater.compress(b"Hello, Hello, Hello", &mut out).unwrap();
        // The second copy refers back to the first: much shorter.
        assert!(
            out.len() - first < first,
            "{} vs {first}",
            out.len() - first
        );
        assert_eq!(inflate(&out), b"Hello, Hello, HelloHello, Hello, Hello");
    }

    #[test]
    fn every_option_combination_round_trips_large_input() {
        let input: Vec<u8> = (0..300_000u32)
            .map(|i| (i % 251) as u8 ^ (i / 1000) as u8)
            .collect();
        for (level, bits, mem, strategy) in [
            (0, 9, 1, 0),
            (1, 15, 9, 1),
            (9, 12, 8, 2),
            (6, 10, 5, 3),
            (3, 15, 8, 4),
        ] {
            let mut deflater = Deflater::new(level, bits, mem, strategy).unwrap();
            let mut out = BytesMut::new();
            deflater.compress(&input, &mut out).unwrap();
            assert_eq!(
                inflate(&out),
                input,
                "level {level} bits {bits} mem {mem} strategy {strategy}"
            );
        }
    }

    #[test]
    fn window_bits_8_is_refused_by_zlib() {
        assert!(Deflater::new(6, 8, 8, 0).is_err());
    }
}
