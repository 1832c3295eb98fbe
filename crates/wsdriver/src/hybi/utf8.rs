//! Incremental UTF-8 validation for text messages.
//!
//! A text message may arrive in many frames and each frame in many reads;
//! validating each piece as it arrives lets a bad message fail at the first
//! bad byte (Autobahn 6.4) instead of after the whole message is buffered.

/// Validates UTF-8 fed in arbitrary pieces. Only the unfinished tail of a
/// code point (at most 3 bytes) is carried between pieces.
#[derive(Debug, Default, Clone)]
pub struct Utf8Validator {
    partial: [u8; 4],
    partial_len: u8,
}

/// The input is not UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidUtf8;

impl Utf8Validator {
    /// Checks the next piece; `Err` as soon as the bytes seen so far cannot
    /// start any valid UTF-8 text.
    #[inline]
    pub fn feed(&mut self, input: &[u8]) -> Result<(), InvalidUtf8> {
        // Short ASCII text (chat lines, JSON keys) is the common message:
        // a word-at-a-time check costs a tenth of simdutf8's set-up.
        if self.partial_len == 0 && input.len() <= SHORT && is_ascii(input) {
            return Ok(());
        }
        self.feed_slow(input)
    }

    fn feed_slow(&mut self, mut input: &[u8]) -> Result<(), InvalidUtf8> {
        if self.partial_len > 0 {
            let have = usize::from(self.partial_len);
            let need = sequence_len(self.partial[0]);
            let take = (need - have).min(input.len());
            self.partial[have..have + take].copy_from_slice(&input[..take]);
            input = &input[take..];
            let have = have + take;
            self.partial_len = have as u8;
            match simdutf8::compat::from_utf8(&self.partial[..have]) {
                Ok(_) => self.partial_len = 0,
                Err(e) if e.error_len().is_none() => return Ok(()),
                Err(_) => return Err(InvalidUtf8),
            }
        }
        // A piece of multi-byte text usually ends inside a code point. That
        // end is set aside first, so the rest is validated once, by the
        // fast check, rather than failed by it and scanned again to learn
        // where it stopped.
        let (whole, tail) = input.split_at(unfinished_start(input));
        if !is_utf8_long(whole) {
            return Err(InvalidUtf8);
        }
        if !tail.is_empty() {
            // At most three bytes: they must be able to start a code point.
            match simdutf8::compat::from_utf8(tail) {
                Err(e) if e.error_len().is_none() && e.valid_up_to() == 0 => {}
                _ => return Err(InvalidUtf8),
            }
            self.partial[..tail.len()].copy_from_slice(tail);
            self.partial_len = tail.len() as u8;
        }
        Ok(())
    }

    /// Ends the text: a code point left unfinished is an error.
    pub fn finish(&mut self) -> Result<(), InvalidUtf8> {
        let unfinished = self.partial_len > 0;
        self.partial_len = 0;
        if unfinished {
            Err(InvalidUtf8)
        } else {
            Ok(())
        }
    }
}

/// Whether a whole message (nothing before it, nothing after) is UTF-8.
#[inline]
pub fn is_utf8(input: &[u8]) -> bool {
    (input.len() <= SHORT && is_ascii(input)) || is_utf8_long(input)
}

/// Whether `input` is UTF-8: its ASCII blocks first, then the rest from
/// the first block that is not, with AVX-512 where the CPU has it
/// (`utf8_avx512`), else simdutf8. A block of ASCII ends on a whole code
/// point, so what follows it is validated as if it stood alone. Out of
/// line: inlined into the frame path, it cost short messages 15
/// instructions in registers spilled.
#[inline(never)]
fn is_utf8_long(input: &[u8]) -> bool {
    let rest = &input[ascii_blocks(input)..];
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        // SAFETY: `utf8_avx512::is_utf8` is only `unsafe` because it is
        // compiled for AVX-512F and BW; the CPU was just checked to have
        // both.
        #[allow(unsafe_code)]
        return unsafe { super::utf8_avx512::is_utf8(rest) };
    }
    simdutf8::basic::from_utf8(rest).is_ok()
}

/// How many leading bytes are ASCII, in whole blocks of `BLOCK`.
///
/// simdutf8 checks ASCII 64 bytes at a time, at 1.6x `memcpy`'s time for
/// 16 KiB; a block of 1 KiB ORed together and tested once costs a load and
/// an OR per vector, about half `memcpy`'s time, and the first block of
/// multi-byte text fails at the cost of one block.
#[inline]
fn ascii_blocks(input: &[u8]) -> usize {
    if input.len() < BLOCK {
        return 0;
    }
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: `ascii_blocks_avx512` is only `unsafe` because it is
            // compiled for AVX-512F; the CPU was just checked to have it.
            // It only reads `input`, through safe code.
            #[allow(unsafe_code)]
            return unsafe { ascii_blocks_avx512(input) };
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: as above, for AVX2.
            #[allow(unsafe_code)]
            return unsafe { ascii_blocks_avx2(input) };
        }
    }
    ascii_blocks_portable(input)
}

const BLOCK: usize = 1024;

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn ascii_blocks_avx512(input: &[u8]) -> usize {
    ascii_blocks_portable(input)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn ascii_blocks_avx2(input: &[u8]) -> usize {
    ascii_blocks_portable(input)
}

/// The loop every path compiles: a fixed count inside each block, which
/// LLVM turns into one vector OR per load.
#[inline(always)]
fn ascii_blocks_portable(input: &[u8]) -> usize {
    let (blocks, _) = input.as_chunks::<BLOCK>();
    for (done, block) in blocks.iter().enumerate() {
        let mut seen = 0u64;
        for word in block.as_chunks::<8>().0 {
            seen |= u64::from_ne_bytes(*word);
        }
        if seen & HIGH != 0 {
            return done * BLOCK;
        }
    }
    blocks.len() * BLOCK
}

/// Inputs up to this long are first tried as plain ASCII.
const SHORT: usize = 64;

/// The top bit of each byte of a word: set in a byte that is not ASCII.
const HIGH: u64 = 0x8080_8080_8080_8080;

/// Whether every byte is below 0x80, eight at a time. The bytes after the
/// last whole word are checked as the last eight bytes, which overlap the
/// words before: one load where a loop over up to seven bytes took up to
/// twenty instructions (the echo of a 20-byte message: 1,636 -> 1,612).
#[inline]
fn is_ascii(input: &[u8]) -> bool {
    let Some(last) = input.last_chunk::<8>() else {
        // Under eight bytes: the same with 4-byte words, then bytes.
        let (seen, rest) = match (input.first_chunk::<4>(), input.last_chunk::<4>()) {
            (Some(first), Some(last)) => (
                u32::from_ne_bytes(*first) | u32::from_ne_bytes(*last),
                &[][..],
            ),
            _ => (0, input),
        };
        let seen = rest.iter().fold(seen, |seen, byte| seen | u32::from(*byte));
        return seen & 0x8080_8080 == 0;
    };
    let mut seen = u64::from_ne_bytes(*last);
    for word in input.as_chunks::<8>().0 {
        seen |= u64::from_ne_bytes(*word);
    }
    seen & HIGH == 0
}

/// Where a code point that `input` leaves unfinished starts: the last lead
/// byte when fewer bytes follow it than it announces, else `input.len()`.
/// (Whether the bytes are valid is for the validator to say.)
#[inline]
fn unfinished_start(input: &[u8]) -> usize {
    let len = input.len();
    for back in 1..=len.min(3) {
        let byte = input[len - back];
        if byte & 0xc0 == 0x80 {
            continue; // a continuation byte: the lead is further back
        }
        if byte >= 0xc0 && sequence_len(byte) > back {
            return len - back;
        }
        return len;
    }
    len
}

/// Length of the sequence a lead byte starts (0xc0 and up; simdutf8 judges
/// whether the lead is valid).
fn sequence_len(lead: u8) -> usize {
    match lead {
        0xc0..=0xdf => 2,
        0xe0..=0xef => 3,
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed_split(bytes: &[u8], at: &[usize]) -> Result<(), InvalidUtf8> {
        let mut v = Utf8Validator::default();
        let mut start = 0;
        for &cut in at {
            v.feed(&bytes[start..cut])?;
            start = cut;
        }
        v.feed(&bytes[start..])?;
        v.finish()
    }

    #[test]
    fn the_ascii_check_sees_a_high_byte_at_every_position() {
        for len in 0..=SHORT + 9 {
            let ascii = vec![b'a'; len];
            assert!(is_ascii(&ascii), "len {len}");
            for at in 0..len {
                let mut high = ascii.clone();
                high[at] = 0x80;
                assert!(!is_ascii(&high), "len {len} at {at}");
                // A lone continuation byte is not UTF-8, wherever it is.
                assert_eq!(Utf8Validator::default().feed(&high), Err(InvalidUtf8));
            }
        }
    }

    type BlockPath = fn(&[u8]) -> usize;

    /// Every way `ascii_blocks` can go on this CPU, each called directly.
    /// (A vector path the CPU lacks is one `ascii_blocks` never takes.)
    fn block_paths() -> Vec<(&'static str, BlockPath)> {
        let mut paths: Vec<(&'static str, BlockPath)> = vec![
            ("portable", ascii_blocks_portable),
            ("ascii_blocks", ascii_blocks),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: the CPU has AVX2 (checked just above).
                #[allow(unsafe_code)]
                paths.push(("avx2", |input| unsafe { ascii_blocks_avx2(input) }));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: the CPU has AVX-512F (checked just above).
                #[allow(unsafe_code)]
                paths.push(("avx512", |input| unsafe { ascii_blocks_avx512(input) }));
            }
        }
        paths
    }

    #[test]
    fn the_ascii_blocks_end_at_the_block_of_the_first_high_byte() {
        for len in [0, BLOCK - 1, BLOCK, BLOCK + 7, 3 * BLOCK, 3 * BLOCK + 100] {
            let ascii = vec![b'z'; len];
            for (name, path) in block_paths() {
                assert_eq!(path(&ascii), len / BLOCK * BLOCK, "{name} len {len}");
            }
            for at in (0..len).step_by(61).chain(len.checked_sub(1)) {
                let mut high = ascii.clone();
                high[at] = 0x80;
                let expected = (at / BLOCK).min(len / BLOCK) * BLOCK;
                for (name, path) in block_paths() {
                    assert_eq!(path(&high), expected, "{name} len {len} at {at}");
                }
            }
        }
    }

    #[test]
    fn long_text_is_judged_after_any_number_of_ascii_blocks() {
        let euro = "€".as_bytes();
        for blocks in 0..3 {
            for shift in [0, 1, 2, 3, 500] {
                // A multi-byte code point across a block boundary, or after it.
                let mut text = vec![b'a'; blocks * BLOCK + shift];
                let at = text.len().saturating_sub(1);
                text.splice(at..at, euro.iter().copied());
                text.extend(vec![b'b'; BLOCK]);
                assert!(is_utf8(&text), "blocks {blocks} shift {shift}");
                assert_eq!(feed_split(&text, &[]), Ok(()));
                assert_eq!(feed_split(&text, &[at + 1]), Ok(()));
                // Its lead byte gone, its continuation bytes are not UTF-8.
                let mut bad = text.clone();
                bad.remove(at);
                assert!(!is_utf8(&bad), "blocks {blocks} shift {shift}");
                assert_eq!(feed_split(&bad, &[]), Err(InvalidUtf8));
                // A surrogate after the ASCII blocks.
                let mut surrogate = vec![b'c'; blocks * BLOCK + shift];
                surrogate.extend(b"\xed\xa0\x80");
                surrogate.extend(vec![b'd'; 70]);
                assert!(!is_utf8(&surrogate), "blocks {blocks} shift {shift}");
                assert_eq!(feed_split(&surrogate, &[]), Err(InvalidUtf8));
            }
        }
    }

    #[test]
    fn accepts_valid_text_split_anywhere() {
        let text = "κόσμε 𝄞 €uro".as_bytes();
        for a in 0..=text.len() {
            for b in a..=text.len() {
                assert_eq!(feed_split(text, &[a, b]), Ok(()), "cuts {a} {b}");
            }
        }
    }

    #[test]
    fn rejects_invalid_text_split_anywhere() {
        // Autobahn 6.3.1: a surrogate encoded as UTF-8 is not UTF-8.
        let bad =
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64";
        for a in 0..=bad.len() {
            assert_eq!(feed_split(bad, &[a]), Err(InvalidUtf8), "cut {a}");
        }
    }

    #[test]
    fn fails_fast_at_the_first_impossible_byte() {
        let mut v = Utf8Validator::default();
        assert_eq!(
            v.feed(b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"),
            Ok(())
        );
        // 0xF4 0x90 is past U+10FFFF: no continuation can make it valid.
        assert_eq!(v.feed(b"\xf4\x90"), Err(InvalidUtf8));
    }

    #[test]
    fn a_code_point_split_across_pieces_is_checked_when_it_completes() {
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(b"ok\xe2\x82"), Ok(()));
        // 'A' cannot continue a three-byte sequence.
        assert_eq!(v.feed(b"A and more"), Err(InvalidUtf8));
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(b"ok\xe2\x82"), Ok(()));
        assert_eq!(v.feed(b"\xac and more"), Ok(()), "the euro sign");
        assert_eq!(v.finish(), Ok(()));
    }

    #[test]
    fn unfinished_code_point_at_the_end_is_an_error() {
        let mut v = Utf8Validator::default();
        assert_eq!(v.feed(b"ok\xe2\x82"), Ok(()));
        assert_eq!(v.finish(), Err(InvalidUtf8));
        // and finish resets, so the next message starts clean
        assert_eq!(v.feed(b"fine"), Ok(()));
        assert_eq!(v.finish(), Ok(()));
    }
}
