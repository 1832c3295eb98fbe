//! The frame header (RFC 6455 §5.2): decoding what arrives, encoding what
//! leaves. Only the layout lives here; what a header may legally say is
//! decided by the receiver.

/// The four-bit frame type (RFC 6455 §5.2); the other ten values are
/// reserved and fail the connection with 1002.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Opcode {
    /// 0x0: a later fragment of the message in progress (§5.4).
    Continuation,
    /// 0x1: the first frame of a UTF-8 text message.
    Text,
    /// 0x2: the first frame of a binary message.
    Binary,
    /// 0x8: starts or answers the close handshake; payload is an optional
    /// two-byte code and a UTF-8 reason (§5.5.1).
    Close,
    /// 0x9: asks for a pong with the same payload (§5.5.2).
    Ping,
    /// 0xA: answers a ping, or is sent unsolicited as a heartbeat (§5.5.3).
    Pong,
}

impl Opcode {
    pub(crate) fn from_bits(bits: u8) -> Option<Self> {
        Some(match bits {
            0x0 => Self::Continuation,
            0x1 => Self::Text,
            0x2 => Self::Binary,
            0x8 => Self::Close,
            0x9 => Self::Ping,
            0xa => Self::Pong,
            _ => return None,
        })
    }

    pub(crate) fn bits(self) -> u8 {
        match self {
            Self::Continuation => 0x0,
            Self::Text => 0x1,
            Self::Binary => 0x2,
            Self::Close => 0x8,
            Self::Ping => 0x9,
            Self::Pong => 0xa,
        }
    }

    /// Close, ping and pong: at most 125 bytes, never fragmented (§5.5).
    pub fn is_control(self) -> bool {
        matches!(self, Self::Close | Self::Ping | Self::Pong)
    }
}

/// A frame header (RFC 6455 §5.2), as laid out on the wire; nothing here
/// checks that its combination of fields is legal.
///
/// ```
/// use wsdriver::hybi::frame::{FrameHeader, Opcode, MAX_HEADER_LEN};
///
/// // §5.7: a masked text frame carrying "Hello".
/// let wire = [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58];
/// let (header, len) = FrameHeader::decode(&wire).unwrap();
/// assert_eq!(len, 6); // 2 bytes, no extended length, 4 of mask key
/// assert!(header.fin);
/// assert_eq!(header.opcode, Ok(Opcode::Text));
/// assert_eq!(header.mask, Some([0x37, 0xfa, 0x21, 0x3d]));
/// assert_eq!(header.payload_len, 5);
///
/// let mut out = [0; MAX_HEADER_LEN];
/// let written = header.encode(&mut out);
/// assert_eq!(out[..written], wire[..6]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// The last frame of its message; control frames always set it.
    pub fin: bool,
    /// RSV1..RSV3 as the top three bits of a nibble (`0b100` is RSV1), so
    /// extensions can name the bits they claim.
    pub rsv: u8,
    /// `Err(bits)` for an opcode RFC 6455 does not define; the receiver
    /// turns that into close 1002 after the checks that come first.
    pub opcode: Result<Opcode, u8>,
    /// The masking key (§5.3), present when the MASK bit is set: a client
    /// must mask every frame, a server must not.
    pub mask: Option<[u8; 4]>,
    /// Payload bytes after the header, below 2^63 (§5.2); at most 125 for
    /// a control frame.
    pub payload_len: u64,
}

/// RSV1, the bit permessage-deflate claims.
pub const RSV1: u8 = 0b100;
/// RSV2, free for an extension to claim.
pub const RSV2: u8 = 0b010;
/// RSV3, free for an extension to claim.
pub const RSV3: u8 = 0b001;

/// The longest header: 2 bytes, 8 of extended length, 4 of mask key.
pub const MAX_HEADER_LEN: usize = 14;

/// Why a header could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// More bytes are needed.
    Incomplete,
    /// A 64-bit length with the top bit set (§5.2 forbids it).
    LengthTooLarge,
}

impl FrameHeader {
    /// Decodes a header from the start of `buf`, returning it and its size.
    ///
    /// # Errors
    /// Too few bytes for a whole header, or a length with its top bit set.
    ///
    /// # Panics
    /// Never: every slice is taken after its length was checked.
    #[inline]
    pub fn decode(buf: &[u8]) -> Result<(Self, usize), DecodeError> {
        let [b0, b1, ..] = *buf else {
            return Err(DecodeError::Incomplete);
        };
        let masked = b1 & 0x80 != 0;
        let (payload_len, mut len) = match b1 & 0x7f {
            126 => {
                let bytes = buf.get(2..4).ok_or(DecodeError::Incomplete)?;
                (u64::from(u16::from_be_bytes([bytes[0], bytes[1]])), 4)
            }
            127 => {
                let bytes = buf.get(2..10).ok_or(DecodeError::Incomplete)?;
                let len = u64::from_be_bytes(bytes.try_into().expect("8 bytes"));
                if len >> 63 != 0 {
                    return Err(DecodeError::LengthTooLarge);
                }
                (len, 10)
            }
            n => (u64::from(n), 2),
        };
        let mask = if masked {
            let key = buf.get(len..len + 4).ok_or(DecodeError::Incomplete)?;
            len += 4;
            Some([key[0], key[1], key[2], key[3]])
        } else {
            None
        };
        let header = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: (b0 >> 4) & 0b111,
            opcode: Opcode::from_bits(b0 & 0x0f).ok_or(b0 & 0x0f),
            mask,
            payload_len,
        };
        Ok((header, len))
    }

    /// Encodes into `out`, returning the number of bytes written; always the
    /// shortest length form.
    #[inline]
    pub fn encode(&self, out: &mut [u8; MAX_HEADER_LEN]) -> usize {
        let opcode = match self.opcode {
            Ok(op) => op.bits(),
            Err(bits) => bits & 0x0f,
        };
        out[0] = (u8::from(self.fin) << 7) | ((self.rsv & 0b111) << 4) | opcode;
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut len = match self.payload_len {
            n @ 0..=125 => {
                out[1] = mask_bit | n as u8;
                2
            }
            n @ 126..=0xffff => {
                out[1] = mask_bit | 126;
                out[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                out[1] = mask_bit | 127;
                out[2..10].copy_from_slice(&n.to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            out[len..len + 4].copy_from_slice(&key);
            len += 4;
        }
        len
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_opcode_encodes_in_its_four_bits_only() {
        let header = FrameHeader {
            fin: false,
            rsv: 0b010,
            opcode: Err(0xfb),
            mask: None,
            payload_len: 0,
        };
        let mut out = [0; MAX_HEADER_LEN];
        assert_eq!(header.encode(&mut out), 2);
        assert_eq!(out[..2], [0b0010_1011, 0]);
    }

    fn header(opcode: Opcode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: 0,
            opcode: Ok(opcode),
            mask,
            payload_len: len,
        }
    }

    fn encoded(h: FrameHeader) -> Vec<u8> {
        let mut buf = [0; MAX_HEADER_LEN];
        let n = h.encode(&mut buf);
        buf[..n].to_vec()
    }

    #[test]
    fn rfc6455_5_2_minimal_length_encoding() {
        assert_eq!(encoded(header(Opcode::Text, 5, None)), [0x81, 0x05]);
        assert_eq!(encoded(header(Opcode::Text, 125, None)), [0x81, 125]);
        assert_eq!(
            encoded(header(Opcode::Binary, 126, None)),
            [0x82, 126, 0x00, 126]
        );
        assert_eq!(
            encoded(header(Opcode::Binary, 65535, None)),
            [0x82, 126, 0xff, 0xff]
        );
        assert_eq!(
            encoded(header(Opcode::Binary, 65536, None)),
            [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
    }

    #[test]
    fn rfc6455_5_7_examples_decode() {
        // unmasked "Hello"
        let (h, n) = FrameHeader::decode(&[0x81, 0x05, 0x48]).unwrap();
        assert_eq!((h, n), (header(Opcode::Text, 5, None), 2));
        // masked "Hello"
        let (h, n) = FrameHeader::decode(&[0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f]).unwrap();
        assert_eq!(
            (h, n),
            (header(Opcode::Text, 5, Some([0x37, 0xfa, 0x21, 0x3d])), 6)
        );
        // 256-byte binary, 64 KiB binary
        let (h, n) = FrameHeader::decode(&[0x82, 0x7e, 0x01, 0x00]).unwrap();
        assert_eq!((h.payload_len, n), (256, 4));
        let (h, n) = FrameHeader::decode(&[0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0]).unwrap();
        assert_eq!((h.payload_len, n), (65536, 10));
    }

    #[test]
    fn every_truncation_is_incomplete() {
        let full = encoded(header(Opcode::Binary, 70000, Some([9, 8, 7, 6])));
        for cut in 0..full.len() {
            assert_eq!(
                FrameHeader::decode(&full[..cut]),
                Err(DecodeError::Incomplete)
            );
        }
        assert_eq!(FrameHeader::decode(&full).unwrap().1, full.len());
    }

    #[test]
    fn rfc6455_5_2_length_with_top_bit_is_rejected() {
        let bytes = [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert_eq!(
            FrameHeader::decode(&bytes),
            Err(DecodeError::LengthTooLarge)
        );
    }

    #[test]
    fn rsv_bits_and_unknown_opcodes_are_reported() {
        let (h, _) = FrameHeader::decode(&[0xc1, 0x00]).unwrap();
        assert_eq!(h.rsv, RSV1);
        let (h, _) = FrameHeader::decode(&[0x83, 0x00]).unwrap();
        assert_eq!(h.opcode, Err(3));
    }
}
