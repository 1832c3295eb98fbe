//! Outgoing hybi frames: header and payload written to the output in one
//! pass, masked with a fresh key when this side masks.

use super::frame::{FrameHeader, Opcode, MAX_HEADER_LEN};
use super::mask::apply_mask;
use crate::close::CloseCode;
pub(crate) use crate::output::Payload;
use crate::output::{extend_prefix, Output};

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
            buf.reserve(MAX_HEADER_LEN + data.len());
            extend_prefix(buf, &head, head_len);
            let start = buf.len();
            buf.extend_from_slice(data);
            apply_mask(&mut buf[start..], key, 0);
        }
        None => out.push_frame(&head, head_len, payload),
    }
}

/// The payload of a close frame: the code, then the reason.
pub(crate) fn close_payload(code: CloseCode, reason: &str) -> Vec<u8> {
    let mut payload = Vec::with_capacity(2 + reason.len());
    payload.extend_from_slice(&code.as_u16().to_be_bytes());
    payload.extend_from_slice(reason.as_bytes());
    payload
}
