//! Masking (RFC 6455 §5.3): XOR with a repeating 4-byte key.
//!
//! Every byte a client sends and every byte a server receives passes through
//! here, so it works a machine word at a time instead of a byte at a time.

/// XORs `data` in place with `key`, as if the key started `offset` bytes
/// before `data` (a frame's payload may be unmasked in several pieces).
///
/// In line where it is called: most messages are short, and under 64
/// bytes this is a handful of fixed-size XORs; longer data goes to the
/// vector paths out of line.
#[inline(always)]
pub fn apply_mask(data: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate(key, offset);
    if data.len() < 64 {
        xor_short(data, key);
    } else {
        mask_long(data, key);
    }
}

/// 64 bytes and more: the widest vector path the CPU has.
#[inline(never)]
fn mask_long(data: &mut [u8], key: [u8; 4]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: `mask_avx512` is only `unsafe` because it is compiled
            // for AVX-512F; the CPU was just checked to have it. It touches
            // nothing but `data`, through safe code.
            #[allow(unsafe_code)]
            unsafe {
                mask_avx512(data, key)
            };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2.
            #[allow(unsafe_code)]
            unsafe {
                mask_avx2(data, key)
            };
            return;
        }
    }
    xor_with(data, key);
}

/// Under 64 bytes: 32, 16 and 8 bytes as each fits, then the tail; no
/// loop, where one over words took a step per 8 bytes.
#[inline(always)]
fn xor_short(data: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let long = u64::from(word) | (u64::from(word) << 32);
    let data = xor_part::<32>(data, long);
    let data = xor_part::<16>(data, long);
    let data = xor_part::<8>(data, long);
    xor_tail(data, key);
}

/// The portable loop compiled for AVX-512, so that each 64-byte step is
/// one load-and-XOR and one store: 16 KiB in cache in 94 ns on this
/// machine against 143 ns with AVX2 and 130 ns for `memcpy`. Only
/// AVX-512F's integer XOR, loads and stores: the light instructions, which
/// recent Xeons run at or near their usual clock. (valgrind runs no
/// AVX-512, so instruction counts under it take the AVX2 path.)
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn mask_avx512(data: &mut [u8], key: [u8; 4]) {
    mask_aligned::<64>(data, key);
}

/// The same, compiled for AVX2 so that each 32-byte step is one load and
/// one XOR (the x86-64 baseline, SSE2, needs twice as many).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mask_avx2(data: &mut [u8], key: [u8; 4]) {
    mask_aligned::<32>(data, key);
}

/// The bytes before the first `ALIGN`-byte boundary go first: a vector
/// store that straddles two cache lines halves the speed while the data is
/// in cache (16 KiB with AVX2: 140 ns aligned, 290 ns not, on this machine).
#[inline(always)]
fn mask_aligned<const ALIGN: usize>(data: &mut [u8], key: [u8; 4]) {
    let head = data.as_ptr().align_offset(ALIGN).min(data.len());
    let (head_bytes, rest) = data.split_at_mut(head);
    // Under `ALIGN` bytes: fixed steps, no loop.
    xor_short(head_bytes, key);
    xor_with(rest, rotate(key, head));
}

/// Every chunk below is a multiple of 4 bytes long, so the key stays in
/// phase from one to the next. Short messages take no alignment prologue
/// (it would cost more than it saves); the vector paths have one.
///
/// Only loops over 8-byte words, which LLVM vectorizes wherever they are
/// inlined (a loop over 32-byte arrays was unrolled in one build and not
/// in another); the fixed counts decide the unrolling.
#[inline(always)]
fn xor_with(data: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let long = u64::from(word) | (u64::from(word) << 32);
    // 1 KiB blocks: a loop with a fixed count inside, which LLVM unrolls
    // whole (thirty-two 32-byte XORs with AVX2 and one loop step a block,
    // where a loop it unrolls by choice took one step per 128 bytes).
    let (blocks, data) = data.as_chunks_mut::<1024>();
    for block in blocks {
        xor_block(block, long);
    }
    // What is left under a block, in halves with no loop: fixed sizes
    // LLVM unrolls too, where a loop over it took one step per 128 bytes.
    let data = xor_part::<512>(data, long);
    let data = xor_part::<256>(data, long);
    let data = xor_part::<128>(data, long);
    let data = xor_part::<64>(data, long);
    let data = xor_part::<32>(data, long);
    xor_short(data, key);
}

/// A fixed number of bytes: the loop inside has a known count.
#[inline(always)]
fn xor_block<const N: usize>(block: &mut [u8; N], long: u64) {
    for chunk in block.as_chunks_mut::<8>().0 {
        *chunk = (u64::from_ne_bytes(*chunk) ^ long).to_ne_bytes();
    }
}

/// The first `N` bytes when there are that many; returns the rest.
#[inline(always)]
fn xor_part<const N: usize>(data: &mut [u8], long: u64) -> &mut [u8] {
    if data.len() < N {
        return data;
    }
    let (block, rest) = data.split_first_chunk_mut::<N>().expect("N bytes");
    xor_block(block, long);
    rest
}

/// Under eight bytes: at most one word and three bytes, with no loop for
/// the word.
#[inline(always)]
fn xor_tail(rest: &mut [u8], key: [u8; 4]) {
    let word = u32::from_ne_bytes(key);
    let rest = match rest.split_first_chunk_mut::<4>() {
        Some((chunk, rest)) => {
            *chunk = (u32::from_ne_bytes(*chunk) ^ word).to_ne_bytes();
            rest
        }
        None => rest,
    };
    for (byte, k) in rest.iter_mut().zip(key) {
        *byte ^= k;
    }
}

/// The key as if it started `by` bytes earlier: a rotation of the word
/// (three instructions, where picking the bytes one by one took twenty).
#[inline]
fn rotate(key: [u8; 4], by: usize) -> [u8; 4] {
    let by = (by & 3) as u32;
    u32::from_le_bytes(key).rotate_right(8 * by).to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(data: &mut [u8], key: [u8; 4], offset: usize) {
        for (i, byte) in data.iter_mut().enumerate() {
            *byte ^= key[(i + offset) & 3];
        }
    }

    type Path = fn(&mut [u8], [u8; 4]);

    /// Every way `apply_mask` can go on this CPU, each called directly, so
    /// that lengths `apply_mask` sends elsewhere test each path too. (A
    /// vector path the CPU lacks is one `apply_mask` never takes.)
    fn paths() -> Vec<(&'static str, Path)> {
        let mut paths: Vec<(&'static str, Path)> = vec![
            ("short", |data, key| {
                // Its contract: under 64 bytes.
                let short = data.len().min(63);
                xor_short(&mut data[..short], key);
                xor_with(&mut data[short..], rotate(key, short));
            }),
            ("portable", xor_with),
            ("apply_mask", |data, key| apply_mask(data, key, 0)),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                #[allow(unsafe_code)]
                paths.push(("avx2", |data, key| unsafe { mask_avx2(data, key) }));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                #[allow(unsafe_code)]
                paths.push(("avx512", |data, key| unsafe { mask_avx512(data, key) }));
            }
        }
        paths
    }

    /// Masks `data[start..start + len]` every way and compares each with
    /// the byte-at-a-time definition.
    fn check_every_path(source: &[u8], start: usize, len: usize, key: [u8; 4], offset: usize) {
        let mut slow = source.to_vec();
        naive(&mut slow[start..start + len], key, offset);
        for (name, path) in paths() {
            let mut fast = source.to_vec();
            path(&mut fast[start..start + len], rotate(key, offset));
            assert_eq!(
                fast, slow,
                "{name}: start {start} len {len} offset {offset}"
            );
        }
    }

    #[test]
    fn matches_bytewise_masking_for_every_length_alignment_and_offset() {
        let key = [0x37, 0xfa, 0x21, 0x3d];
        let source: Vec<u8> = (0..200u32).map(|i| (i * 7 + 3) as u8).collect();
        for start in 0..70 {
            for len in 0..(source.len() - start) {
                for offset in 0..4 {
                    check_every_path(&source, start, len, key, offset);
                }
            }
        }
    }

    #[test]
    fn matches_bytewise_masking_across_whole_blocks() {
        let key = [0x9b, 0x01, 0xe4, 0x5c];
        let source: Vec<u8> = (0..5000u32).map(|i| (i * 13 + 5) as u8).collect();
        for len in [511, 512, 513, 1020, 1024, 1031, 1536, 4099] {
            for start in [0, 1, 3, 33, 63] {
                for offset in 0..4 {
                    check_every_path(&source, start, len, key, offset);
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
