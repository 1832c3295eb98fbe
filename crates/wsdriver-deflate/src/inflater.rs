//! Bounded inflation: a message inflates into a buffer that is never
//! allowed to grow past `max_length`, so a decompression bomb costs at most
//! `max_length` bytes before it is refused with 1009 (Node's permessage-deflate
//! inflates without limit).

use flate2::{Decompress, FlushDecompress, Status};
use wsdriver::ExtensionError;

/// What RFC 7692 §7.2.2 has the receiver append before inflating.
const TRAILER: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

pub(crate) struct Inflater {
    decompress: Decompress,
}

impl Inflater {
    pub fn new(window_bits: u8) -> Self {
        // A window larger than the peer's is always safe for inflating, and
        // zlib refuses 8 for raw streams it may itself have written with 9.
        Inflater {
            decompress: Decompress::new_with_window_bits(false, window_bits.max(9)),
        }
    }

    /// Inflates one message; at most `max_length` bytes come out.
    pub fn inflate(&mut self, input: &[u8], max_length: usize) -> Result<Vec<u8>, ExtensionError> {
        let limit = max_length.saturating_add(1);
        let guess = input.len().saturating_mul(4).clamp(256, 1 << 20).min(limit);
        let mut out = Vec::with_capacity(guess);
        for mut rest in [input, &TRAILER[..]] {
            loop {
                if out.len() == out.capacity() {
                    if out.len() >= limit {
                        return Err(too_large(max_length));
                    }
                    let grow = out.len().max(4096).min(limit - out.len());
                    out.reserve_exact(grow);
                }
                let before_in = self.decompress.total_in();
                let before_out = out.len();
                let status = self
                    .decompress
                    .decompress_vec(rest, &mut out, FlushDecompress::Sync)
                    .map_err(|e| ExtensionError::new(format!("Invalid compressed data: {e}")))?;
                let consumed = (self.decompress.total_in() - before_in) as usize;
                rest = &rest[consumed..];
                if out.len() > max_length {
                    return Err(too_large(max_length));
                }
                let room_left = out.len() < out.capacity();
                if status == Status::StreamEnd {
                    // A final block: the peer ended its stream. Nothing may
                    // follow in this message, and the next starts afresh.
                    self.decompress.reset(false);
                    break;
                }
                if rest.is_empty() && room_left {
                    break;
                }
                if consumed == 0 && out.len() == before_out && room_left {
                    return Err(ExtensionError::new(
                        "Invalid compressed data: inflate made no progress",
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn too_large(max_length: usize) -> ExtensionError {
    ExtensionError::too_large(format!(
        "WebSocket message too large: inflates past max_length ({max_length} bytes)"
    ))
}
