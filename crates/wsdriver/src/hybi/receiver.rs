//! Received hybi frames: the checks of RFC 6455 §5 in the order the
//! reference table gives them, reassembly of fragmented messages, and
//! incremental unmasking and UTF-8 validation.
//!
//! A frame's payload stays in the input buffer until it is complete, so an
//! unfragmented message is handed out without a copy; the part that has
//! arrived is unmasked and validated as it comes, so bad text fails at once.

use super::frame::{DecodeError, FrameHeader, Opcode};
use super::mask::apply_mask;
use super::utf8::{is_utf8, Utf8Validator};
use crate::close::CloseCode;
use bytes::{Buf, Bytes, BytesMut};

/// What a complete frame or message amounts to.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Received {
    /// A whole message; `rsv` holds the bits of its first frame.
    Message {
        opcode: Opcode,
        rsv: u8,
        payload: Bytes,
    },
    Ping(Bytes),
    Pong(Bytes),
    /// A close frame: its code and reason, or `None` when it had neither.
    Close(Option<(CloseCode, String)>),
}

/// The peer broke the protocol: close with `code`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    pub code: CloseCode,
    pub message: String,
}

impl Failure {
    fn new(code: CloseCode, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }
}

/// Which side of the masking rule this receiver enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MaskRule {
    /// A server: every frame must be masked.
    Required,
    /// A server that was told to accept unmasked frames too.
    Optional,
    /// A client: no frame may be masked (§5.1).
    Forbidden,
}

#[derive(Debug)]
pub(crate) struct Receiver {
    mask_rule: MaskRule,
    max_length: usize,
    max_fragments: usize,
    /// RSV bits that negotiated extensions claim.
    allowed_rsv: u8,
    /// The header of the frame whose payload is arriving, and how much of
    /// that payload has been unmasked and checked.
    frame: Option<(FrameHeader, usize)>,
    /// The message being reassembled from fragments.
    fragments: Option<Fragments>,
    utf8: Utf8Validator,
}

#[derive(Debug)]
struct Fragments {
    opcode: Opcode,
    rsv: u8,
    payload: BytesMut,
    /// Frames taken so far.
    frames: usize,
}

impl Receiver {
    pub fn new(mask_rule: MaskRule, max_length: usize) -> Self {
        Receiver {
            mask_rule,
            max_length,
            max_fragments: usize::MAX,
            allowed_rsv: 0,
            frame: None,
            fragments: None,
            utf8: Utf8Validator::default(),
        }
    }

    /// Lets the first frame of a message carry `rsv` bits (negotiated
    /// extensions claim them).
    pub fn allow_rsv(&mut self, rsv: u8) {
        self.allowed_rsv = rsv;
    }

    /// Fails a message that comes in more than `frames` frames (1009).
    pub fn limit_fragments(&mut self, frames: usize) {
        self.max_fragments = frames;
    }

    /// Bytes still needed to finish the frame in progress, if known: lets a
    /// transport size its next read.
    pub fn wanted(&self, buffered: usize) -> usize {
        match self.frame {
            Some((header, _)) => (header.payload_len as usize).saturating_sub(buffered),
            None => 0,
        }
    }

    /// Takes the next complete message or control frame from `input`.
    #[inline]
    pub fn next(&mut self, input: &mut BytesMut) -> Result<Option<Received>, Failure> {
        if let Some(message) = self.next_whole(input) {
            return message.map(Some);
        }
        self.next_frame(input)
    }

    /// The next message when it is one whole frame already in `input`
    /// (see [`whole_message`](Self::whole_message)) and no frame or
    /// message is under way; `None` leaves everything to
    /// [`next`](Self::next). Always in line, as `whole_message` is.
    #[inline(always)]
    pub fn next_whole(&mut self, input: &mut BytesMut) -> Option<Result<Received, Failure>> {
        if self.frame.is_none() && self.fragments.is_none() {
            self.whole_message(input)
        } else {
            None
        }
    }

    /// The path most messages take: one unfragmented text or binary frame
    /// under 64 KiB, masked if this is a server, already whole in
    /// `input`, with no RSV bit. It is checked, unmasked and handed out in
    /// one pass; anything else (and any doubt) is `None`, for
    /// [`next_frame`](Self::next_frame), which applies every rule in the
    /// reference's order. Always in line: it is the connection's fast path
    /// (see `Connection::process`).
    #[inline(always)]
    fn whole_message(&mut self, input: &mut BytesMut) -> Option<Result<Received, Failure>> {
        let &[b0, b1, ..] = input.as_ref() else {
            return None;
        };
        // FIN set, no RSV bit, text or binary.
        let opcode = match b0 {
            0x81 => Opcode::Text,
            0x82 => Opcode::Binary,
            _ => return None,
        };
        // Masked for a server, unmasked for a client (a server's unmasked
        // frames, when allowed, take the other path).
        let masked = b1 & 0x80 != 0;
        if masked == (self.mask_rule == MaskRule::Forbidden) {
            return None;
        }
        let (len, length_end) = match b1 & 0x7f {
            127 => return None,
            126 => {
                let bytes = input.get(2..4)?;
                (usize::from(u16::from_be_bytes([bytes[0], bytes[1]])), 4)
            }
            n => (usize::from(n), 2),
        };
        let start = if masked { length_end + 4 } else { length_end };
        if len > self.max_length || input.len() < start + len {
            return None;
        }
        let key: Option<[u8; 4]> = masked.then(|| {
            let key = &input[length_end..start];
            [key[0], key[1], key[2], key[3]]
        });
        input.advance(start);
        if let Some(key) = key {
            apply_mask(&mut input[..len], key, 0);
        }
        if opcode == Opcode::Text && !is_utf8(&input[..len]) {
            return Some(Err(invalid_utf8()));
        }
        Some(Ok(Received::Message {
            opcode,
            rsv: 0,
            payload: input.split_to(len).freeze(),
        }))
    }

    /// Takes the next complete message or control frame from `input`, a
    /// frame or a piece of one at a time.
    fn next_frame(&mut self, input: &mut BytesMut) -> Result<Option<Received>, Failure> {
        loop {
            let (header, done) = match self.frame {
                Some(frame) => frame,
                None => match FrameHeader::decode(input) {
                    Ok((header, len)) => {
                        self.check(&header)?;
                        // Not `split_to`: that would share the buffer (an
                        // allocation the first time) to hand out bytes
                        // nobody keeps.
                        input.advance(len);
                        (header, 0)
                    }
                    Err(DecodeError::Incomplete) => return Ok(None),
                    Err(DecodeError::LengthTooLarge) => {
                        return Err(Failure::new(
                            CloseCode::PROTOCOL_ERROR,
                            "Invalid frame length: the top bit is set",
                        ))
                    }
                },
            };
            let len = header.payload_len as usize;
            let opcode = header.opcode.expect("checked");
            if opcode.is_control() {
                if input.len() < len {
                    self.frame = Some((header, 0));
                    return Ok(None);
                }
                self.frame = None;
                let mut payload = input.split_to(len);
                if let Some(key) = header.mask {
                    apply_mask(&mut payload, key, 0);
                }
                return control(opcode, payload.freeze()).map(Some);
            }

            // A data frame: unmask and check what has arrived.
            let available = input.len().min(len);
            if available > done {
                let fresh = &mut input[done..available];
                if let Some(key) = header.mask {
                    apply_mask(fresh, key, done);
                }
                if self.checks_utf8(&header, opcode) && self.utf8.feed(fresh).is_err() {
                    return Err(invalid_utf8());
                }
            }
            if available < len {
                self.frame = Some((header, available));
                return Ok(None);
            }
            self.frame = None;
            let payload = input.split_to(len);
            if let Some(message) = self.reassemble(header, opcode, payload)? {
                return Ok(Some(message));
            }
        }
    }

    /// Whether this frame's bytes are text as they arrive. A message with
    /// RSV bits set is transformed by an extension first (compressed, say),
    /// so its text can only be checked after that, by the driver.
    #[inline]
    fn checks_utf8(&self, header: &FrameHeader, opcode: Opcode) -> bool {
        match opcode {
            Opcode::Text => header.rsv == 0,
            Opcode::Continuation => self
                .fragments
                .as_ref()
                .is_some_and(|f| f.opcode == Opcode::Text && f.rsv == 0),
            _ => false,
        }
    }

    /// Every check that needs only the header, in the reference's order.
    #[inline]
    fn check(&self, header: &FrameHeader) -> Result<(), Failure> {
        let data_first = matches!(header.opcode, Ok(Opcode::Text | Opcode::Binary));
        let claimed = if data_first { self.allowed_rsv } else { 0 };
        if header.rsv & !claimed != 0 {
            return Err(Failure::new(
                CloseCode::PROTOCOL_ERROR,
                format!(
                    "One or more reserved bits are on: reserved1 = {}, reserved2 = {}, reserved3 = {}",
                    header.rsv >> 2,
                    (header.rsv >> 1) & 1,
                    header.rsv & 1
                ),
            ));
        }
        let opcode = header.opcode.map_err(|bits| {
            Failure::new(
                CloseCode::PROTOCOL_ERROR,
                format!("Unrecognized frame opcode: {bits}"),
            )
        })?;
        if opcode.is_control() {
            if !header.fin {
                return Err(Failure::new(
                    CloseCode::PROTOCOL_ERROR,
                    format!(
                        "Received fragmented control frame: opcode = {}",
                        opcode.bits()
                    ),
                ));
            }
            if header.payload_len > 125 {
                return Err(Failure::new(
                    CloseCode::PROTOCOL_ERROR,
                    format!(
                        "Received control frame having too long payload: {}",
                        header.payload_len
                    ),
                ));
            }
        } else if opcode == Opcode::Continuation && self.fragments.is_none() {
            return Err(Failure::new(
                CloseCode::PROTOCOL_ERROR,
                "Received unexpected continuation frame",
            ));
        } else if opcode != Opcode::Continuation && self.fragments.is_some() {
            return Err(Failure::new(
                CloseCode::PROTOCOL_ERROR,
                "Received new data frame but previous continuous frame is unfinished",
            ));
        }
        match (self.mask_rule, header.mask.is_some()) {
            (MaskRule::Required, false) => {
                return Err(Failure::new(
                    CloseCode::PROTOCOL_ERROR,
                    "Received unmasked frame",
                ))
            }
            (MaskRule::Forbidden, true) => {
                return Err(Failure::new(
                    CloseCode::PROTOCOL_ERROR,
                    "Received masked frame",
                ))
            }
            _ => {}
        }
        if let Some(fragments) = &self.fragments {
            if !opcode.is_control() && fragments.frames >= self.max_fragments {
                return Err(Failure::new(
                    CloseCode::TOO_LARGE,
                    format!("More than {} frames in one message", self.max_fragments),
                ));
            }
        }
        if !opcode.is_control() {
            let buffered = self.fragments.as_ref().map_or(0, |f| f.payload.len());
            if header.payload_len > (self.max_length - buffered) as u64 {
                return Err(Failure::new(
                    CloseCode::TOO_LARGE,
                    "WebSocket frame length too large",
                ));
            }
        }
        Ok(())
    }

    /// Adds a complete data frame to the message; returns the message when
    /// this frame finished it.
    #[inline]
    fn reassemble(
        &mut self,
        header: FrameHeader,
        opcode: Opcode,
        payload: BytesMut,
    ) -> Result<Option<Received>, Failure> {
        let (opcode, rsv, payload) = match (self.fragments.take(), header.fin) {
            (None, true) => (opcode, header.rsv, payload),
            (None, false) => {
                self.fragments = Some(Fragments {
                    opcode,
                    rsv: header.rsv,
                    payload,
                    frames: 1,
                });
                return Ok(None);
            }
            (Some(mut fragments), fin) => {
                fragments.payload.extend_from_slice(&payload);
                fragments.frames += 1;
                if !fin {
                    self.fragments = Some(fragments);
                    return Ok(None);
                }
                (fragments.opcode, fragments.rsv, fragments.payload)
            }
        };
        if opcode == Opcode::Text && rsv == 0 && self.utf8.finish().is_err() {
            return Err(invalid_utf8());
        }
        Ok(Some(Received::Message {
            opcode,
            rsv,
            payload: payload.freeze(),
        }))
    }
}

fn invalid_utf8() -> Failure {
    Failure::new(
        CloseCode::INVALID_PAYLOAD,
        "Could not decode a text frame as UTF-8",
    )
}

fn control(opcode: Opcode, payload: Bytes) -> Result<Received, Failure> {
    Ok(match opcode {
        Opcode::Ping => Received::Ping(payload),
        Opcode::Pong => Received::Pong(payload),
        _ => Received::Close(parse_close(&payload)?),
    })
}

fn parse_close(payload: &[u8]) -> Result<Option<(CloseCode, String)>, Failure> {
    match payload {
        [] => Ok(None),
        [_] => Err(Failure::new(
            CloseCode::PROTOCOL_ERROR,
            "Received close frame with a one-byte payload",
        )),
        [hi, lo, reason @ ..] => {
            let code = CloseCode::new(u16::from_be_bytes([*hi, *lo]));
            if !code.is_valid_received() {
                return Err(Failure::new(
                    CloseCode::PROTOCOL_ERROR,
                    format!("Received close frame with an invalid close code: {code}"),
                ));
            }
            let reason = simdutf8::basic::from_utf8(reason).map_err(|_| {
                Failure::new(
                    CloseCode::INVALID_PAYLOAD,
                    "Received close frame with a reason that is not UTF-8",
                )
            })?;
            Ok(Some((code, reason.to_owned())))
        }
    }
}

#[cfg(test)]
mod tests;
