//! UTF-8 validation 64 bytes at a time with AVX-512, where the CPU has it.
//!
//! The method is Keiser and Lemire's ("Validating UTF-8 in less than one
//! instruction per byte", 2021): each byte is judged with the one before
//! it through three 16-entry tables, indexed by the high nibble of the
//! previous byte, its low nibble and the high nibble of this byte; each
//! table entry is a set of the errors that nibble allows, and a pair is
//! wrong when the three sets share an error. Whether a continuation byte
//! is a third or fourth byte comes from the bytes two and three back.
//! simdutf8 does the same 32 bytes at a time with AVX2; with 64 the same
//! text takes two thirds of the time (1 MiB: 82 -> 57 us, 16 KiB: 1.26 ->
//! 0.87 us on this machine). Not half: each 64 bytes take seven shuffles
//! (three lookups, and the bytes one, two and three back), and the one
//! port that runs them runs one a cycle.

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::{
    __m512i, _mm512_alignr_epi64, _mm512_alignr_epi8, _mm512_and_si512, _mm512_broadcast_i32x4,
    _mm512_loadu_si512, _mm512_movepi8_mask, _mm512_or_si512, _mm512_set1_epi8,
    _mm512_setzero_si512, _mm512_shuffle_epi8, _mm512_srli_epi16, _mm512_subs_epu8,
    _mm512_test_epi8_mask, _mm512_xor_si512, _mm_setr_epi8,
};

// The errors a pair of bytes can show, one bit each (two share a bit:
// they never meet in one pair).
const TOO_SHORT: u8 = 1 << 0; // a lead byte, then no continuation
const TOO_LONG: u8 = 1 << 1; // ASCII, then a continuation
const OVERLONG_3: u8 = 1 << 2; // E0 80..9F
const TOO_LARGE: u8 = 1 << 3; // F4 90..BF, and F5..FF
const SURROGATE: u8 = 1 << 4; // ED A0..BF
const OVERLONG_2: u8 = 1 << 5; // C0 and C1
const TOO_LARGE_1000: u8 = 1 << 6; // F5..FF 80..8F
const OVERLONG_4: u8 = 1 << 6; // F0 80..8F
const TWO_CONTS: u8 = 1 << 7; // two continuations: right only as 3rd/4th byte
const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

/// By the high nibble of the previous byte.
const PREV_HIGH: [u8; 16] = [
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TOO_LONG,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TWO_CONTS,
    TOO_SHORT | OVERLONG_2,
    TOO_SHORT,
    TOO_SHORT | OVERLONG_3 | SURROGATE,
    TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
];

/// By the low nibble of the previous byte.
const PREV_LOW: [u8; 16] = [
    CARRY | OVERLONG_3 | OVERLONG_2 | OVERLONG_4,
    CARRY | OVERLONG_2,
    CARRY,
    CARRY,
    CARRY | TOO_LARGE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
    CARRY | TOO_LARGE | TOO_LARGE_1000,
];

/// By the high nibble of this byte.
const THIS_HIGH: [u8; 16] = [
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | OVERLONG_3 | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_LONG | OVERLONG_2 | TWO_CONTS | SURROGATE | TOO_LARGE,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
    TOO_SHORT,
];

/// Whether `input`, whole (nothing before it, nothing after), is UTF-8.
///
/// Compiled for AVX-512F and BW, which is all that makes it `unsafe` to
/// call: the caller checks the CPU has both.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
pub(super) fn is_utf8(input: &[u8]) -> bool {
    let tables = Tables::new();
    let mut error = _mm512_setzero_si512();
    let mut prev = _mm512_setzero_si512();
    let mut prev_ascii = true;
    let (blocks, tail) = input.as_chunks::<64>();
    for block in blocks {
        let block = load(block);
        let ascii = _mm512_movepi8_mask(block) == 0;
        // Plain ASCII after plain ASCII cannot be wrong; after anything
        // else it may have to finish a code point, so it is checked.
        if !(ascii && prev_ascii) {
            error = _mm512_or_si512(error, tables.check(block, prev));
        }
        prev = block;
        prev_ascii = ascii;
    }
    // The rest, padded with zeros; with no rest, a block of zeros: either
    // way a code point left unfinished at the end meets a byte that is not
    // a continuation.
    let mut last = [0u8; 64];
    last[..tail.len()].copy_from_slice(tail);
    error = _mm512_or_si512(error, tables.check(load(&last), prev));
    _mm512_test_epi8_mask(error, error) == 0
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn load(block: &[u8; 64]) -> __m512i {
    // SAFETY: `_mm512_loadu_si512` reads 64 bytes from the pointer, with
    // no alignment needed; `block` is 64 readable bytes.
    #[allow(unsafe_code)]
    unsafe {
        _mm512_loadu_si512(block.as_ptr().cast())
    }
}

/// The three tables in every 16-byte lane, and the constants of a check.
#[cfg(target_arch = "x86_64")]
struct Tables {
    prev_high: __m512i,
    prev_low: __m512i,
    this_high: __m512i,
    nibble: __m512i,
    third: __m512i,
    fourth: __m512i,
    high_bit: __m512i,
}

#[cfg(target_arch = "x86_64")]
impl Tables {
    #[target_feature(enable = "avx512f,avx512bw")]
    fn new() -> Self {
        Tables {
            prev_high: lanes(PREV_HIGH),
            prev_low: lanes(PREV_LOW),
            this_high: lanes(THIS_HIGH),
            nibble: _mm512_set1_epi8(0x0f),
            // A byte at or over E0 (F0) leads a code point of three (four)
            // bytes; less this, only such a byte keeps its top bit.
            third: _mm512_set1_epi8((0xe0u8 - 0x80) as i8),
            fourth: _mm512_set1_epi8((0xf0u8 - 0x80) as i8),
            high_bit: _mm512_set1_epi8(0x80u8 as i8),
        }
    }

    /// The errors of each byte of `block` with the bytes before it (the
    /// end of `prev`); zero where all is well.
    #[target_feature(enable = "avx512f,avx512bw")]
    fn check(&self, block: __m512i, prev: __m512i) -> __m512i {
        // The block moved up 16 bytes, the end of `prev` in front: each
        // lane of it is the lane before the same lane of `block`.
        let before = _mm512_alignr_epi64::<6>(block, prev);
        let prev1 = _mm512_alignr_epi8::<15>(block, before);
        let prev2 = _mm512_alignr_epi8::<14>(block, before);
        let prev3 = _mm512_alignr_epi8::<13>(block, before);
        let high = |v: __m512i| _mm512_and_si512(_mm512_srli_epi16::<4>(v), self.nibble);
        let by_prev_high = _mm512_shuffle_epi8(self.prev_high, high(prev1));
        let by_prev_low = _mm512_shuffle_epi8(self.prev_low, _mm512_and_si512(prev1, self.nibble));
        let by_this_high = _mm512_shuffle_epi8(self.this_high, high(block));
        let pair = _mm512_and_si512(_mm512_and_si512(by_prev_high, by_prev_low), by_this_high);
        // Where a third or fourth byte is due, two continuations in a row
        // are right (and nothing else is); anywhere else they are wrong.
        let due = _mm512_or_si512(
            _mm512_subs_epu8(prev2, self.third),
            _mm512_subs_epu8(prev3, self.fourth),
        );
        _mm512_xor_si512(_mm512_and_si512(due, self.high_bit), pair)
    }
}

/// A 16-entry table in each of the four lanes (`vpshufb` looks up within
/// its lane).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn lanes(table: [u8; 16]) -> __m512i {
    let t = table.map(|b| b as i8);
    _mm512_broadcast_i32x4(_mm_setr_epi8(
        t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9], t[10], t[11], t[12], t[13],
        t[14], t[15],
    ))
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    /// `is_utf8`, or `None` on a CPU without AVX-512 (where it is never
    /// called).
    fn check(input: &[u8]) -> Option<bool> {
        let has = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw");
        // SAFETY: the CPU has both features (checked just above).
        #[allow(unsafe_code)]
        has.then(|| unsafe { super::is_utf8(input) })
    }

    fn agrees(input: &[u8]) {
        if let Some(fast) = check(input) {
            let std = std::str::from_utf8(input).is_ok();
            assert_eq!(fast, std, "{input:02x?}");
        }
    }

    #[test]
    fn every_sequence_of_up_to_three_bytes_at_every_place_in_a_block() {
        // Each sequence, alone and after ASCII that puts it across the
        // block boundary (at 61..64) or at the very end.
        let mut sequences: Vec<Vec<u8>> = Vec::new();
        for a in 0..=255u8 {
            sequences.push(vec![a]);
            for b in 0..=255u8 {
                sequences.push(vec![a, b]);
            }
        }
        for a in 0xc0..=0xffu8 {
            for b in (0x70..=0xc0u8).step_by(1) {
                for c in [0x00, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0] {
                    sequences.push(vec![a, b, c]);
                }
            }
        }
        for sequence in &sequences {
            for at in [0, 60, 61, 62, 63, 64, 127] {
                let mut text = vec![b'a'; at];
                text.extend_from_slice(sequence);
                agrees(&text);
                text.extend_from_slice(b"tail");
                agrees(&text);
                if (61..64).contains(&at) {
                    // A whole block of ASCII next, which is skipped only
                    // after ASCII: it must finish what this one started.
                    text.extend_from_slice(&[b'b'; 64]);
                    agrees(&text);
                }
            }
        }
    }

    #[test]
    fn four_byte_sequences_at_the_edges_of_the_ranges() {
        let edges = [0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0];
        for a in 0xf0..=0xffu8 {
            for b in edges {
                for c in edges {
                    for d in edges {
                        for at in [0, 61, 62, 63, 64] {
                            let mut text = vec![b'z'; at];
                            text.extend_from_slice(&[a, b, c, d]);
                            agrees(&text);
                            text.push(b'.');
                            agrees(&text);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn real_text_of_every_length_and_each_of_its_bytes_broken() {
        let text = "Grüße, κόσμε, 𝄞 𝄢, €uro, 日本語のテキスト ".repeat(8);
        let bytes = text.as_bytes();
        for len in 0..bytes.len() {
            agrees(&bytes[..len]);
        }
        for at in 0..bytes.len() {
            for bad in [0x80, 0xbf, 0xc0, 0xed, 0xf5, 0xff, b'a'] {
                let mut broken = bytes.to_vec();
                broken[at] = bad;
                agrees(&broken);
            }
        }
    }
}
