//! How an open connection reads and writes frames: RFC 6455 (and draft 8),
//! or the hixie drafts' sentinel framing. The connection above speaks in
//! messages, pings and closes; only this file knows which family it is.

use crate::close::CloseCode;
use crate::error::Error;
use crate::hixie::framing as hixie;
use crate::hybi::frame::Opcode;
use crate::hybi::receiver::{Failure, MaskRule, Received, Receiver};
use crate::hybi::sender::{close_payload, write_frame, Payload};
use crate::output::Output;
use bytes::BytesMut;

#[derive(Debug)]
pub(crate) enum Framing {
    Rfc6455(Receiver),
    Draft {
        receiver: hixie::Receiver,
        draft76: bool,
    },
}

impl Framing {
    pub fn rfc6455(mask_rule: MaskRule, max_length: usize, max_fragments: usize, rsv: u8) -> Self {
        let mut receiver = Receiver::new(mask_rule, max_length);
        receiver.allow_rsv(rsv);
        receiver.limit_fragments(max_fragments);
        Framing::Rfc6455(receiver)
    }

    pub fn draft(draft76: bool, max_length: usize) -> Self {
        Framing::Draft {
            receiver: hixie::Receiver::new(draft76, max_length),
            draft76,
        }
    }

    /// The next complete frame or message. A draft's text frame reads as a
    /// text message, and its closing frame as a normal close.
    #[inline]
    pub fn read(&mut self, input: &mut BytesMut) -> Result<Option<Received>, Failure> {
        match self {
            Framing::Rfc6455(receiver) => receiver.next(input),
            Framing::Draft { receiver, .. } => {
                Ok(receiver.next(input)?.map(|incoming| match incoming {
                    hixie::DraftFrame::Text(payload) => Received::Message {
                        opcode: Opcode::Text,
                        rsv: 0,
                        payload,
                    },
                    hixie::DraftFrame::Close => {
                        Received::Close(Some((CloseCode::NORMAL, String::new())))
                    }
                }))
            }
        }
    }

    /// How many more bytes would complete the frame in progress.
    pub fn wanted(&self, buffered: usize) -> usize {
        match self {
            Framing::Rfc6455(receiver) => receiver.wanted(buffered),
            Framing::Draft { .. } => 0,
        }
    }

    /// Whether a close waits for the peer's answer; the drafts have no
    /// close handshake.
    pub fn has_close_handshake(&self) -> bool {
        matches!(self, Framing::Rfc6455(_))
    }

    /// Checks, before anything is queued, that this framing can carry it.
    #[inline]
    pub fn check(&self, opcode: Opcode) -> Result<(), Error> {
        match (self, opcode) {
            (Framing::Rfc6455(_), _) | (Framing::Draft { .. }, Opcode::Text) => Ok(()),
            (Framing::Draft { .. }, Opcode::Binary) => {
                Err(Error::Unsupported("binary messages on hixie drafts"))
            }
            (Framing::Draft { .. }, _) => Err(Error::Unsupported("ping and pong on hixie drafts")),
        }
    }

    /// Writes one whole frame; on the drafts only text (see [`check`](Self::check)).
    #[inline]
    pub fn write(
        &self,
        out: &mut Output,
        opcode: Opcode,
        rsv: u8,
        payload: Payload<'_>,
        mask: bool,
    ) {
        match self {
            Framing::Rfc6455(_) => write_frame(out, opcode, true, rsv, payload, mask),
            Framing::Draft { .. } => hixie::write_text(out.buffer(), payload.as_slice()),
        }
    }

    /// Writes a close: a close frame with `code` and `reason` (or an empty
    /// one when `code` is `None`), `FF 00` on hixie-76, nothing on hixie-75.
    pub fn write_close(&self, out: &mut Output, code: Option<CloseCode>, reason: &str, mask: bool) {
        match self {
            Framing::Rfc6455(_) => {
                let payload = code.map(|code| close_payload(code, reason));
                let payload = payload.as_deref().unwrap_or_default();
                write_frame(
                    out,
                    Opcode::Close,
                    true,
                    0,
                    Payload::Borrowed(payload),
                    mask,
                );
            }
            Framing::Draft { draft76: true, .. } => out.extend(&hixie::CLOSE_FRAME),
            Framing::Draft { draft76: false, .. } => {}
        }
    }
}
