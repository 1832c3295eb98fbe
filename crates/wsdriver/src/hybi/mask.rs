//! Masking (RFC 6455 §5.3): XOR with a repeating 4-byte key.
//!
//! Every byte a client sends and every byte a server receives passes through
//! here, so it works a machine word at a time instead of a byte at a time.

/// XORs `data` in place with `key`, as if the key started `offset` bytes
/// before `data` (a frame's payload may be unmasked in several pieces).
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    let (head, rest) = data.split_at_mut(data.len().min(head_len(data.as_ptr() as usize)));
    for (i, byte) in head.iter_mut().enumerate() {
        *byte ^= key[i & 3];
    }
    // The aligned part starts `head.len()` bytes in: rotate the key to match.
    let key = rotate(key, head.len());
    let word = u64::from_ne_bytes([
        key[0], key[1], key[2], key[3], key[0], key[1], key[2], key[3],
    ]);
    let wide = (u128::from(word) << 64) | u128::from(word);
    let mut chunks = rest.chunks_exact_mut(16);
    for chunk in &mut chunks {
        let value = u128::from_ne_bytes(chunk.try_into().expect("16-byte chunk")) ^ wide;
        chunk.copy_from_slice(&value.to_ne_bytes());
    }
    for (i, byte) in chunks.into_remainder().iter_mut().enumerate() {
        *byte ^= key[i & 3];
    }
}

/// Bytes before the next 16-byte boundary, so the wide loop runs on
/// aligned memory.
fn head_len(address: usize) -> usize {
    (16 - (address & 15)) & 15
}

fn rotate(key: [u8; 4], by: usize) -> [u8; 4] {
    let by = by & 3;
    [
        key[by],
        key[(by + 1) & 3],
        key[(by + 2) & 3],
        key[(by + 3) & 3],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in data.iter_mut().enumerate() {
            *byte ^= key[(i + offset) & 3];
        }
    }

    #[test]
    fn matches_bytewise_masking_for_every_length_alignment_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let source: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for start in 0..16 {
            for len in 0..(source.len() - start) {
                for offset in 0..4 {
                    let mut fast = source.clone();
                    let mut slow = source.clone();
                    apply_mask(&mut fast[start..start + len], key, offset);
                    naive(&mut slow[start..start + len], key, offset);
                    assert_eq!(fast, slow, "start {start} len {len} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn rfc6455_5_7_masked_hello() {
        // The RFC's example: a masked "Hello" from a client.
        let mut payload = [0x7f, 0x9f, 0x4d, 0x51, 0x58];
        apply_mask(&mut payload, [0x37, 0xfa, 0x21, 0x3d], 0);
        assert_eq!(&payload, b"Hello");
    }

    #[test]
    fn masking_in_pieces_equals_masking_at_once() {
        let key = [1, 2, 3, 4];
        let mut whole: Vec<u8> = (0..100).collect();
        let mut pieces = whole.clone();
        apply_mask(&mut whole, key, 0);
        let (a, b) = pieces.split_at_mut(37);
        apply_mask(a, key, 0);
        apply_mask(b, key, 37);
        assert_eq!(whole, pieces);
    }
}
