//! Frames as bytes: writing the ones a target sends, and checking that
//! what a driver wrote is valid framing.

/// One frame: `b0` is the first byte (FIN, RSV, opcode), masked with `key`
/// when there is one.
pub fn frame(b0: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![b0];
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xffff => {
            out.push(mask_bit | 126);
            out.extend((n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend((n as u64).to_be_bytes());
        }
    }
    match key {
        Some(key) => {
            out.extend(key);
            out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A frame a driver wrote, unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Vec<u8>,
}

/// Reads `bytes` (what a driver wrote after its handshake) as frames,
/// asserting that each is well formed for a writer that masks (`masked`)
/// or does not: no reserved bit, a known opcode, control frames whole and
/// short, the shortest length encoding, nothing after a close, and no
/// bytes left over.
pub fn written_frames(mut bytes: &[u8], masked: bool) -> Vec<Written> {
    let mut frames: Vec<Written> = Vec::new();
    while !bytes.is_empty() {
        if let Some(last) = frames.last() {
            assert_ne!(last.opcode, 8, "a frame written after the close");
        }
        assert!(bytes.len() >= 2, "a cut frame header: {bytes:?}");
        let (b0, b1) = (bytes[0], bytes[1]);
        let fin = b0 & 0x80 != 0;
        let opcode = b0 & 0x0f;
        assert_eq!(b0 & 0x70, 0, "a reserved bit written");
        assert!(
            matches!(opcode, 0 | 1 | 2 | 8 | 9 | 10),
            "opcode {opcode} written"
        );
        assert_eq!(b1 & 0x80 != 0, masked, "the masking rule broken");
        let (len, mut at) = match b1 & 0x7f {
            126 => {
                let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
                assert!(len >= 126, "a length not in its shortest form");
                (len, 4)
            }
            127 => {
                let len = u64::from_be_bytes(bytes[2..10].try_into().unwrap());
                assert!(len > 0xffff, "a length not in its shortest form");
                (len as usize, 10)
            }
            n => (usize::from(n), 2),
        };
        let mut key = [0; 4];
        if masked {
            key.copy_from_slice(&bytes[at..at + 4]);
            at += 4;
        }
        if opcode >= 8 {
            assert!(fin && len <= 125, "a control frame fragmented or long");
        }
        assert!(bytes.len() >= at + len, "a cut frame");
        let payload = bytes[at..at + len]
            .iter()
            .enumerate()
            .map(|(i, b)| b ^ key[i % 4])
            .collect();
        frames.push(Written {
            fin,
            opcode,
            payload,
        });
        bytes = &bytes[at + len..];
    }
    frames
}

/// Splits a driver's output into its HTTP head and what follows; `None`
/// if no whole head was written.
pub fn after_head(output: &[u8]) -> Option<(&[u8], &[u8])> {
    let end = output.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    Some(output.split_at(end))
}
