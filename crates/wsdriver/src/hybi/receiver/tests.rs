//! The receiver alone: frame limits, and byte-by-byte reading.
use super::*;

fn frame(b0: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
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
    let mut body = payload.to_vec();
    if let Some(key) = key {
        out.extend(key);
        apply_mask(&mut body, key, 0);
    }
    out.extend(body);
    out
}

/// Everything `next` returns until it returns nothing or fails.
fn read_all(receiver: &mut Receiver, input: &mut BytesMut) -> Vec<Result<Received, Failure>> {
    let mut seen = Vec::new();
    loop {
        match receiver.next(input) {
            Ok(Some(incoming)) => seen.push(Ok(incoming)),
            Ok(None) => return seen,
            Err(failure) => {
                seen.push(Err(failure));
                return seen;
            }
        }
    }
}

#[test]
fn a_message_in_more_frames_than_allowed_fails_with_1009() {
    let key = Some([1, 2, 3, 4]);
    let mut receiver = Receiver::new(MaskRule::Required, 1 << 20);
    receiver.limit_fragments(3);
    // Three frames make a message; a ping between them is no fragment.
    let mut three = frame(0x01, b"a", key);
    three.extend(frame(0x89, b"", key));
    three.extend(frame(0x00, b"b", key));
    three.extend(frame(0x80, b"", key));
    let seen = read_all(&mut receiver, &mut BytesMut::from(&three[..]));
    assert!(
        matches!(&seen[..], [Ok(Received::Ping(_)), Ok(Received::Message { payload, .. })] if payload == "ab")
    );
    let mut four = frame(0x02, b"", key);
    for _ in 0..3 {
        four.extend(frame(0x00, b"", key));
    }
    let seen = read_all(&mut receiver, &mut BytesMut::from(&four[..]));
    match &seen[..] {
        [Err(failure)] => assert_eq!(failure.code, CloseCode::TOO_LARGE),
        other => panic!("{other:?}"),
    }
}

/// The one-pass path for whole frames must say exactly what the
/// frame-by-frame path says when the same bytes arrive one at a time.
#[test]
fn whole_frames_read_as_the_same_frames_byte_by_byte() {
    let key = Some([0x37, 0xfa, 0x21, 0x3d]);
    let text = "κόσμε and more ".repeat(20);
    let cases: Vec<(MaskRule, usize, Vec<u8>)> = vec![
        (MaskRule::Required, 1 << 20, frame(0x81, b"hello", key)),
        (MaskRule::Required, 1 << 20, frame(0x81, b"", key)),
        (MaskRule::Required, 1 << 20, frame(0x82, &[0xff; 125], key)),
        (MaskRule::Required, 1 << 20, frame(0x82, &[7; 126], key)),
        (
            MaskRule::Required,
            1 << 20,
            frame(0x81, text.as_bytes(), key),
        ),
        (MaskRule::Required, 1 << 20, frame(0x82, &[1; 70_000], key)),
        (
            MaskRule::Required,
            1 << 20,
            frame(0x81, b"bad \xed\xa0\x80", key),
        ),
        (
            MaskRule::Required,
            1 << 20,
            frame(0x81, b"cut \xe2\x82", key),
        ),
        (MaskRule::Required, 1 << 20, frame(0x81, b"unmasked", None)),
        (MaskRule::Optional, 1 << 20, frame(0x81, b"unmasked", None)),
        (MaskRule::Forbidden, 1 << 20, frame(0x81, b"masked", key)),
        (
            MaskRule::Forbidden,
            1 << 20,
            frame(0x81, b"to a client", None),
        ),
        (MaskRule::Forbidden, 1 << 20, frame(0x82, &[3; 300], None)),
        (
            MaskRule::Forbidden,
            1 << 20,
            frame(0x81, b"bad \xc0\xaf", None),
        ),
        (MaskRule::Optional, 1 << 20, frame(0x82, &[4; 200], key)),
        (MaskRule::Required, 100, frame(0x82, &[0; 101], key)),
        (MaskRule::Required, 100, frame(0x82, &[0; 100], key)),
        (MaskRule::Required, 1 << 20, frame(0xc1, b"rsv1", key)),
        (MaskRule::Required, 1 << 20, frame(0x01, b"first", key)),
        (MaskRule::Required, 1 << 20, frame(0x89, b"ping", key)),
    ];
    for (index, (rule, max, bytes)) in cases.iter().enumerate() {
        // Twice in a row, so that what the first leaves behind counts.
        let twice = [bytes.clone(), bytes.clone()].concat();
        let mut whole = Receiver::new(*rule, *max);
        let at_once = read_all(&mut whole, &mut BytesMut::from(&twice[..]));
        let mut piecewise = Receiver::new(*rule, *max);
        let mut input = BytesMut::new();
        let mut by_byte = Vec::new();
        for byte in &twice {
            input.extend_from_slice(&[*byte]);
            by_byte.extend(read_all(&mut piecewise, &mut input));
            if matches!(by_byte.last(), Some(Err(_))) {
                break;
            }
        }
        assert_eq!(at_once, by_byte, "case {index}");
        assert!(
            !at_once.is_empty() || index == 14,
            "case {index} said nothing"
        );
    }
}
