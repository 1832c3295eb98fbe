//! A second decoder of RFC 6455 frames, written to be obviously right
//! rather than fast: it reads a whole byte stream at once, a byte at a
//! time, and says what a driver must report for it. The driver reads the
//! same stream in pieces, through its fast paths; the targets compare the
//! two.
//!
//! The rules, in the order the driver applies them (websocket-driver's):
//! a length with its top bit set; reserved bits (none are claimed here);
//! an unknown opcode; a control frame that is fragmented or over 125
//! bytes; a continuation with nothing to continue, or a new message inside
//! one; the masking rule of the side; then a data frame that would take the
//! message past `max_length` (1009, the only header rule that is not 1002).
//! Text is checked as it arrives, so a message fails (1007) as soon as its
//! bytes can no longer be UTF-8, even mid-frame.

use crate::Seen;

/// Which side reads the stream: a server requires masked frames, a client
/// refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Server,
    Client,
}

/// The bounds a driver reads with.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_length: usize,
    pub max_fragments: usize,
}

/// What a driver on `side` must report for `stream` (the bytes after the
/// opening handshake), within `limits`.
pub fn decode(stream: &[u8], side: Side, limits: Limits) -> Vec<Seen> {
    let Limits {
        max_length,
        max_fragments,
    } = limits;
    let mut seen = Vec::new();
    let mut at = 0;
    // The message being put together: whether it is text, its bytes and
    // how many frames brought them.
    let mut message: Option<(bool, Vec<u8>, usize)> = None;
    loop {
        let rest = &stream[at..];
        if rest.len() < 2 {
            return seen;
        }
        let fin = rest[0] & 0x80 != 0;
        let rsv = rest[0] & 0x70;
        let opcode = rest[0] & 0x0f;
        let masked = rest[1] & 0x80 != 0;
        let (len, mut header) = match rest[1] & 0x7f {
            126 => {
                if rest.len() < 4 {
                    return seen;
                }
                (u64::from(rest[2]) << 8 | u64::from(rest[3]), 4)
            }
            127 => {
                if rest.len() < 10 {
                    return seen;
                }
                let mut len = 0u64;
                for &byte in &rest[2..10] {
                    len = len << 8 | u64::from(byte);
                }
                if len >= 1 << 63 {
                    return fail(seen, 1002);
                }
                (len, 10)
            }
            n => (u64::from(n), 2),
        };
        let mut key = [0u8; 4];
        if masked {
            if rest.len() < header + 4 {
                return seen;
            }
            key.copy_from_slice(&rest[header..header + 4]);
            header += 4;
        }
        let control = opcode >= 8;
        if rsv != 0 || !matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10) {
            return fail(seen, 1002);
        }
        if control && (!fin || len > 125) {
            return fail(seen, 1002);
        }
        if opcode == 0 && message.is_none() || (opcode == 1 || opcode == 2) && message.is_some() {
            return fail(seen, 1002);
        }
        if masked != (side == Side::Server) {
            return fail(seen, 1002);
        }
        let (buffered, frames) = message
            .as_ref()
            .map_or((0, 0), |(_, bytes, n)| (bytes.len(), *n));
        if !control && frames >= max_fragments {
            return fail(seen, 1009);
        }
        if !control && len > (max_length - buffered) as u64 {
            return fail(seen, 1009);
        }
        let len = len as usize;
        let available = (rest.len() - header).min(len);
        let payload: Vec<u8> = rest[header..header + available]
            .iter()
            .enumerate()
            .map(|(i, byte)| byte ^ key[i % 4])
            .collect();
        if control {
            if available < len {
                return seen;
            }
            at += header + len;
            match opcode {
                9 => seen.push(Seen::Ping(payload)),
                10 => seen.push(Seen::Pong(payload)),
                _ => return close(seen, &payload),
            }
            continue;
        }
        let text = match (&message, opcode) {
            (Some((text, _, _)), _) => *text,
            (None, op) => op == 1,
        };
        let mut bytes = message.take().map_or_else(Vec::new, |(_, bytes, _)| bytes);
        bytes.extend_from_slice(&payload);
        if text && !could_be_utf8(&bytes) {
            return fail(seen, 1007);
        }
        if available < len {
            return seen;
        }
        at += header + len;
        if !fin {
            message = Some((text, bytes, frames + 1));
            continue;
        }
        if text {
            if std::str::from_utf8(&bytes).is_err() {
                return fail(seen, 1007);
            }
            seen.push(Seen::Text(bytes));
        } else {
            seen.push(Seen::Binary(bytes));
        }
    }
}

/// Whether more bytes could still make `bytes` UTF-8: it is, or it stops
/// inside a character that could be finished.
pub fn could_be_utf8(bytes: &[u8]) -> bool {
    match std::str::from_utf8(bytes) {
        Ok(_) => true,
        Err(error) => error.error_len().is_none(),
    }
}

fn fail(mut seen: Vec<Seen>, code: u16) -> Vec<Seen> {
    seen.push(Seen::Close(code));
    seen
}

/// A close frame: no payload (1005), or a valid code and a UTF-8 reason.
fn close(seen: Vec<Seen>, payload: &[u8]) -> Vec<Seen> {
    match payload {
        [] => fail(seen, 1005),
        [_] => fail(seen, 1002),
        [hi, lo, reason @ ..] => {
            let code = u16::from(*hi) << 8 | u16::from(*lo);
            let valid = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            if !valid {
                fail(seen, 1002)
            } else if std::str::from_utf8(reason).is_err() {
                fail(seen, 1007)
            } else {
                fail(seen, code)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::frame;

    const LIMITS: Limits = Limits {
        max_length: 100,
        max_fragments: 3,
    };

    #[test]
    fn fragments_with_a_ping_between_them() {
        let key = Some([1, 2, 3, 4]);
        let mut stream = frame(0x01, b"hel", key);
        stream.extend(frame(0x89, b"p", key));
        stream.extend(frame(0x80, b"lo", key));
        stream.extend(frame(0x88, &[0x03, 0xe8], key));
        stream.extend(frame(0x82, b"after", key));
        assert_eq!(
            decode(&stream, Side::Server, LIMITS),
            [
                Seen::Ping(b"p".to_vec()),
                Seen::Text(b"hello".to_vec()),
                Seen::Close(1000)
            ]
        );
    }

    #[test]
    fn text_fails_as_soon_as_it_cannot_be_utf8() {
        let key = Some([9, 9, 9, 9]);
        // The second frame is cut short, but its first byte already
        // cannot follow the first frame's lead byte.
        let mut stream = frame(0x01, b"a\xe2", key);
        let mut bad = frame(0x80, b"\x41\x82\xac", key);
        bad.truncate(bad.len() - 2);
        stream.extend(bad);
        assert_eq!(decode(&stream, Side::Server, LIMITS), [Seen::Close(1007)]);
    }

    #[test]
    fn each_side_keeps_its_masking_rule() {
        assert_eq!(
            decode(&frame(0x82, b"x", None), Side::Server, LIMITS),
            [Seen::Close(1002)]
        );
        assert_eq!(
            decode(&frame(0x82, b"x", None), Side::Client, LIMITS),
            [Seen::Binary(b"x".to_vec())]
        );
        assert_eq!(
            decode(&frame(0x82, b"x", Some([0; 4])), Side::Client, LIMITS),
            [Seen::Close(1002)]
        );
    }

    #[test]
    fn the_length_bound_counts_the_fragments_before() {
        let key = Some([0; 4]);
        let mut stream = frame(0x02, &[0; 60], key);
        stream.extend(frame(0x80, &[0; 41], key));
        assert_eq!(decode(&stream, Side::Server, LIMITS), [Seen::Close(1009)]);
        assert_eq!(
            decode(&frame(0x88, &[0x03, 0xed], key), Side::Server, LIMITS),
            [Seen::Close(1002)]
        );
    }

    #[test]
    fn a_message_may_come_in_max_fragments_frames() {
        let key = Some([5; 4]);
        let mut three = frame(0x02, b"a", key);
        three.extend(frame(0x00, b"b", key));
        let mut four = three.clone();
        three.extend(frame(0x80, b"c", key));
        assert_eq!(
            decode(&three, Side::Server, LIMITS),
            [Seen::Binary(b"abc".to_vec())]
        );
        four.extend(frame(0x00, b"c", key));
        four.extend(frame(0x80, b"d", key));
        assert_eq!(decode(&four, Side::Server, LIMITS), [Seen::Close(1009)]);
    }
}
