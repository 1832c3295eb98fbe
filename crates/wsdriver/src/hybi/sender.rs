//! Outgoing hybi frames: header and payload written to the output in one
//! pass, masked with a fresh key when this side masks.

use super::frame::{FrameHeader, Opcode, MAX_HEADER_LEN};
use super::mask::apply_mask;
use crate::close::CloseCode;
use crate::output::Output;
use bytes::Bytes;

/// A payload the caller either lends (copied) or gives (kept by reference
/// when it is large and needs no masking).
pub(crate) enum Payload<'a> {
    Borrowed(&'a [u8]),
    Owned(Bytes),
}

impl Payload<'_> {
    /// The payload as owned bytes: a copy only when it was lent.
    pub(crate) fn into_bytes(self) -> Bytes {
        match self {
            Payload::Borrowed(slice) => Bytes::copy_from_slice(slice),
            Payload::Owned(bytes) => bytes,
        }
    }

    pub(crate) fn as_slice(&self) -> &[u8] {
        match self {
            Payload::Borrowed(slice) => slice,
            Payload::Owned(bytes) => bytes,
        }
    }
}

#[inline]
pub(crate) fn write_frame(
    out: &mut Output,
    opcode: Opcode,
    fin: bool,
    rsv: u8,
    payload: Payload<'_>,
    mask: bool,
) {
    let key = mask.then(rand::random::<[u8; 4]>);
    let header = FrameHeader {
        fin,
        rsv,
        opcode: Ok(opcode),
        mask: key,
        payload_len: payload.as_slice().len() as u64,
    };
    let mut head = [0; MAX_HEADER_LEN];
    let head_len = header.encode(&mut head);
    match key {
        Some(key) => {
            let data = payload.as_slice();
            let buf = out.buffer();
            buf.reserve(head_len + data.len());
            buf.extend_from_slice(&head[..head_len]);
            let start = buf.len();
            buf.extend_from_slice(data);
            apply_mask(&mut buf[start..], key, 0);
        }
        None => out.push_frame(&head[..head_len], payload),
    }
}

/// The payload of a close frame: the code, then the reason.
pub(crate) fn close_payload(code: CloseCode, reason: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.as_u16().to_be_bytes());
    payload.extend_from_slice(reason.as_bytes());
    payload
}
