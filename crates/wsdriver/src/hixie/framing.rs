//! Hixie framing: text as `00 <utf-8> FF`; a first byte with the high bit
//! set starts a length-prefixed frame (7-bit length groups) that carries
//! nothing we understand and is skipped; on hixie-76 `FF 00` closes.

use crate::close::CloseCode;
use crate::hybi::receiver::Failure;
use bytes::{Bytes, BytesMut};

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum DraftFrame {
    Text(Bytes),
    Close,
}

#[derive(Debug, Clone, Copy)]
enum State {
    /// Waiting for a frame's type byte.
    Start,
    /// Inside a sentinel frame of `kind`; `scanned` bytes hold no `FF`.
    Text { kind: u8, scanned: usize },
    /// Reading a length, 7 bits per byte.
    Length(u64),
    /// Discarding a length-prefixed frame.
    Skip(u64),
}

#[derive(Debug)]
pub(crate) struct Receiver {
    draft76: bool,
    max_length: usize,
    state: State,
}

impl Receiver {
    pub fn new(draft76: bool, max_length: usize) -> Self {
        Receiver {
            draft76,
            max_length,
            state: State::Start,
        }
    }

    pub fn next(&mut self, input: &mut BytesMut) -> Result<Option<DraftFrame>, Failure> {
        loop {
            match self.state {
                State::Start => {
                    let Some(&kind) = input.first() else {
                        return Ok(None);
                    };
                    if kind == 0xff && self.draft76 {
                        match input.get(1) {
                            None => return Ok(None),
                            Some(0x00) => {
                                let _ = input.split_to(2);
                                return Ok(Some(DraftFrame::Close));
                            }
                            Some(_) => {}
                        }
                    }
                    let _ = input.split_to(1);
                    self.state = if kind & 0x80 != 0 {
                        State::Length(0)
                    } else {
                        State::Text { kind, scanned: 0 }
                    };
                }
                State::Length(length) => {
                    let Some(&byte) = input.first() else {
                        return Ok(None);
                    };
                    let _ = input.split_to(1);
                    let length = length * 128 + u64::from(byte & 0x7f);
                    if length > self.max_length as u64 {
                        return Err(too_long());
                    }
                    self.state = if byte & 0x80 != 0 {
                        State::Length(length)
                    } else {
                        State::Skip(length)
                    };
                }
                State::Skip(0) => self.state = State::Start,
                State::Skip(remaining) => {
                    if input.is_empty() {
                        return Ok(None);
                    }
                    let step = remaining.min(input.len() as u64);
                    let _ = input.split_to(step as usize);
                    self.state = State::Skip(remaining - step);
                }
                State::Text { kind, scanned } => {
                    let Some(end) = input[scanned..].iter().position(|&b| b == 0xff) else {
                        if input.len() > self.max_length {
                            return Err(too_long());
                        }
                        self.state = State::Text {
                            kind,
                            scanned: input.len(),
                        };
                        return Ok(None);
                    };
                    let end = scanned + end;
                    if end > self.max_length {
                        return Err(too_long());
                    }
                    let payload = input.split_to(end).freeze();
                    let _ = input.split_to(1);
                    self.state = State::Start;
                    if kind != 0x00 {
                        continue; // a frame type we do not know: drop it
                    }
                    if simdutf8::basic::from_utf8(&payload).is_err() {
                        return Err(Failure {
                            code: CloseCode::INVALID_PAYLOAD,
                            message: "Could not decode a text frame as UTF-8".into(),
                        });
                    }
                    return Ok(Some(DraftFrame::Text(payload)));
                }
            }
        }
    }
}

fn too_long() -> Failure {
    Failure {
        code: CloseCode::TOO_LARGE,
        message: "WebSocket frame length too large".into(),
    }
}

/// Writes a text frame.
pub(crate) fn write_text(out: &mut Vec<u8>, text: &[u8]) {
    out.reserve(text.len() + 2);
    out.push(0x00);
    out.extend_from_slice(text);
    out.push(0xff);
}

/// The hixie-76 closing frame.
pub(crate) const CLOSE_FRAME: [u8; 2] = [0xff, 0x00];

#[cfg(test)]
mod tests {
    use super::*;

    fn all(receiver: &mut Receiver, bytes: &[u8]) -> Result<Vec<DraftFrame>, Failure> {
        let mut input = BytesMut::from(bytes);
        let mut out = Vec::new();
        while let Some(incoming) = receiver.next(&mut input)? {
            out.push(incoming);
        }
        Ok(out)
    }

    #[test]
    fn text_frames_length_frames_and_close() {
        let mut r = Receiver::new(true, 1024);
        let input = b"\x00Hello\xff\x80\x03abc\x00\xe2\x82\xac\xff\x01ignored\xff\xff\x00";
        assert_eq!(
            all(&mut r, input).unwrap(),
            [
                DraftFrame::Text(Bytes::from_static(b"Hello")),
                DraftFrame::Text(Bytes::from_static("€".as_bytes())),
                DraftFrame::Close
            ]
        );
    }

    #[test]
    fn any_split_gives_the_same_frames() {
        let input = b"\x00Hello\xff\x81\x03xyz\x00w\xff\xff\x00";
        for cut in 0..input.len() {
            let mut r = Receiver::new(true, 1024);
            let mut buf = BytesMut::from(&input[..cut]);
            let mut out = Vec::new();
            while let Some(i) = r.next(&mut buf).unwrap() {
                out.push(i);
            }
            buf.extend_from_slice(&input[cut..]);
            while let Some(i) = r.next(&mut buf).unwrap() {
                out.push(i);
            }
            assert_eq!(out.len(), 3, "cut {cut}: {out:?}");
            assert_eq!(out[1], DraftFrame::Text(Bytes::from_static(b"w")));
        }
    }

    #[test]
    fn hixie_75_has_no_closing_frame() {
        // FF 00 is a zero-length length-prefixed frame there: skipped.
        let mut r = Receiver::new(false, 1024);
        assert_eq!(
            all(&mut r, b"\xff\x00\x00a\xff").unwrap(),
            [DraftFrame::Text(Bytes::from_static(b"a"))]
        );
    }

    #[test]
    fn max_length_bounds_text_and_skipped_frames() {
        let mut r = Receiver::new(true, 4);
        assert_eq!(
            all(&mut r, b"\x00abcde").unwrap_err().code,
            CloseCode::TOO_LARGE
        );
        let mut r = Receiver::new(true, 4);
        assert_eq!(
            all(&mut r, b"\x00abcde\xff").unwrap_err().code,
            CloseCode::TOO_LARGE
        );
        let mut r = Receiver::new(true, 100);
        assert_eq!(
            all(&mut r, b"\x80\x81\x00").unwrap_err().code,
            CloseCode::TOO_LARGE
        );
    }

    #[test]
    fn invalid_utf8_fails() {
        let mut r = Receiver::new(true, 100);
        assert_eq!(
            all(&mut r, b"\x00\xc3\x28\xff").unwrap_err().code,
            CloseCode::INVALID_PAYLOAD
        );
    }

    #[test]
    fn writes_text() {
        let mut out = Vec::new();
        write_text(&mut out, b"hi");
        assert_eq!(out, b"\x00hi\xff");
    }
}
