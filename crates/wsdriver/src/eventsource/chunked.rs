//! `Transfer-Encoding: chunked` bodies, read incrementally: hyper and
//! Node answer an event stream that way, since it has no length.
//!
//! Only the framing is read: chunk extensions and trailers are skipped.
//! Every line it holds on to (a chunk size, a trailer) is bounded, so a
//! peer that never ends one costs [`MAX_LINE`] bytes at most.

use std::fmt;

/// The longest chunk-size line (extensions included) or trailer line.
pub(crate) const MAX_LINE: usize = 1024;

/// Trailer bytes allowed after the last chunk, all lines together.
const MAX_TRAILERS: usize = 8 * 1024;

/// A body that is not valid chunked framing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct InvalidChunk(pub(crate) &'static str);

impl fmt::Display for InvalidChunk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid chunked body: {}", self.0)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk-size line.
    Size,
    /// Inside a chunk: this many data bytes to go.
    Data(u64),
    /// After a chunk's data: its line end.
    DataEnd,
    /// After the last chunk: trailer lines up to a blank one.
    Trailers,
    /// The body is complete.
    Done,
}

/// The de-chunker: framed bytes in, in any pieces, data slices out.
#[derive(Debug)]
pub(crate) struct Dechunker {
    state: State,
    /// The line being read (size or trailer), without its end.
    line: Vec<u8>,
    /// A CR was read at the end of a line; its LF may be in the next piece.
    after_cr: bool,
    trailers: usize,
}

impl Default for Dechunker {
    fn default() -> Self {
        Dechunker {
            state: State::Size,
            line: Vec::new(),
            after_cr: false,
            trailers: 0,
        }
    }
}

impl Dechunker {
    /// Whether the last chunk and its trailers have been read.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Reads framing from the front of `input` up to the next run of data,
    /// and returns that run (advancing `input` past it). `None` once
    /// `input` is used up or the body is done (what follows it is not
    /// the body's).
    pub(crate) fn next<'a>(
        &mut self,
        input: &mut &'a [u8],
    ) -> Result<Option<&'a [u8]>, InvalidChunk> {
        loop {
            if input.is_empty() || self.state == State::Done {
                return Ok(None);
            }
            match self.state {
                State::Data(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(input.len());
                    let (data, rest) = input.split_at(take);
                    *input = rest;
                    let left = left - take as u64;
                    self.state = if left == 0 {
                        State::DataEnd
                    } else {
                        State::Data(left)
                    };
                    return Ok(Some(data));
                }
                State::DataEnd => {
                    // CRLF (or a bare LF) and nothing else.
                    match (input[0], self.after_cr) {
                        (b'\r', false) => self.after_cr = true,
                        (b'\n', _) => {
                            self.after_cr = false;
                            self.state = State::Size;
                        }
                        _ => return Err(InvalidChunk("no line end after a chunk's data")),
                    }
                    *input = &input[1..];
                }
                State::Size | State::Trailers => {
                    let Some(line) = self.line(input)? else {
                        return Ok(None);
                    };
                    if self.state == State::Size {
                        self.state = match chunk_size(&line)? {
                            0 => State::Trailers,
                            size => State::Data(size),
                        };
                    } else if line.is_empty() {
                        self.state = State::Done;
                    } else {
                        self.trailers += line.len();
                        if self.trailers > MAX_TRAILERS {
                            return Err(InvalidChunk("trailers too large"));
                        }
                    }
                }
                State::Done => unreachable!("checked above"),
            }
        }
    }

    /// Gathers a line from `input`; the whole line once its LF is read.
    fn line(&mut self, input: &mut &[u8]) -> Result<Option<Vec<u8>>, InvalidChunk> {
        let end = input.iter().position(|&b| b == b'\n');
        let taken = end.unwrap_or(input.len());
        if self.line.len() + taken > MAX_LINE {
            return Err(InvalidChunk("a chunk-size or trailer line too long"));
        }
        self.line.extend_from_slice(&input[..taken]);
        match end {
            None => {
                *input = &[];
                Ok(None)
            }
            Some(end) => {
                *input = &input[end + 1..];
                let mut line = std::mem::take(&mut self.line);
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                Ok(Some(line))
            }
        }
    }
}

/// The size of a chunk-size line: hex digits, then optional whitespace
/// and `;extensions`, which are ignored.
fn chunk_size(line: &[u8]) -> Result<u64, InvalidChunk> {
    let digits = line.iter().take_while(|b| b.is_ascii_hexdigit()).count();
    let rest = line[digits..].trim_ascii_start();
    if digits == 0 || !(rest.is_empty() || rest[0] == b';') {
        return Err(InvalidChunk("a chunk size that is not hexadecimal"));
    }
    let significant = line[..digits].iter().skip_while(|&&b| b == b'0').count();
    if significant > 15 {
        return Err(InvalidChunk("a chunk size too large"));
    }
    let text = std::str::from_utf8(&line[..digits]).expect("hex digits are ASCII");
    u64::from_str_radix(text, 16).map_err(|_| InvalidChunk("a chunk size too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `body` given in pieces of `step` bytes.
    fn decode(body: &[u8], step: usize) -> Result<(Vec<u8>, bool), InvalidChunk> {
        let mut dechunker = Dechunker::default();
        let mut out = Vec::new();
        for mut piece in body.chunks(step) {
            while let Some(data) = dechunker.next(&mut piece)? {
                out.extend_from_slice(data);
            }
        }
        Ok((out, dechunker.is_done()))
    }

    #[test]
    fn chunks_at_every_split() {
        let body = b"5\r\nhello\r\n1;ext=1\r\n \r\nA \r\n0123456789\r\n0\r\nX-T: 1\r\n\r\nafter";
        for step in 1..body.len() {
            let (data, done) = decode(body, step).unwrap();
            assert_eq!(data, b"hello 0123456789", "step {step}");
            assert!(done);
        }
        // Bare LFs, as lenient servers write.
        assert_eq!(decode(b"2\nab\n0\n\n", 3).unwrap(), (b"ab".to_vec(), true));
        // Not done until the blank line after the last chunk.
        assert_eq!(
            decode(b"2\r\nab\r\n0\r\n", 1).unwrap(),
            (b"ab".to_vec(), false)
        );
    }

    #[test]
    fn bad_framing_is_refused() {
        assert!(decode(b"zz\r\n", 1).is_err());
        assert!(decode(b"\r\n", 1).is_err());
        assert!(decode(b"2\r\nabX", 1).is_err());
        assert!(decode(b"1000000000000000\r\n", 4).is_err());
        let long = vec![b'0'; MAX_LINE + 1];
        assert!(decode(&long, 7).is_err(), "an endless size line is bounded");
        let mut trailers = b"0\r\n".to_vec();
        for _ in 0..20 {
            trailers.extend_from_slice(&[b'x'; 600]);
            trailers.extend_from_slice(b"\r\n");
        }
        assert!(
            decode(&trailers, 64).is_err(),
            "endless trailers are bounded"
        );
    }
}
