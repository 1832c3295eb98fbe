//! Mostly valid frame sequences, built from a structure: messages cut into
//! fragments with control frames between them, pings, pongs, closes, and
//! now and then a raw frame that may break a rule. Encoded as a client (or
//! a server) would, read by a driver in pieces, and checked against the
//! reference decoder: the same events, nothing after the close, pings
//! answered, and valid framing written.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wsdriver_fuzz::session;
use wsdriver_fuzz::wire::frame;

#[derive(Arbitrary, Debug)]
struct Input {
    /// Read by the client, from a server (unmasked); else by the server.
    client: bool,
    key: [u8; 4],
    cuts: Vec<u8>,
    ops: Vec<Op>,
}

#[derive(Arbitrary, Debug)]
enum Op {
    Text {
        text: String,
        cuts: Vec<u8>,
        between: Vec<Control>,
    },
    Binary {
        bytes: Vec<u8>,
        cuts: Vec<u8>,
        between: Vec<Control>,
    },
    Control(Control),
    Raw {
        b0: u8,
        payload: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
enum Control {
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<(u16, String)>),
}

struct Encoder {
    key: Option<[u8; 4]>,
    out: Vec<u8>,
}

impl Encoder {
    fn frame(&mut self, b0: u8, payload: &[u8]) {
        self.out.extend(frame(b0, payload, self.key));
        // A new key for each frame, as a client must.
        if let Some(key) = &mut self.key {
            *key = u32::from_ne_bytes(*key)
                .rotate_left(7)
                .wrapping_add(0x9e37_79b9)
                .to_ne_bytes();
        }
    }

    fn control(&mut self, control: &Control) {
        match control {
            Control::Ping(payload) => self.frame(0x89, &payload[..payload.len().min(125)]),
            Control::Pong(payload) => self.frame(0x8a, &payload[..payload.len().min(125)]),
            Control::Close(None) => self.frame(0x88, &[]),
            Control::Close(Some((code, reason))) => {
                let mut end = reason.len().min(123);
                while !reason.is_char_boundary(end) {
                    end -= 1;
                }
                let mut payload = code.to_be_bytes().to_vec();
                payload.extend_from_slice(&reason.as_bytes()[..end]);
                self.frame(0x88, &payload);
            }
        }
    }

    /// A message cut at `cuts` (empty fragments included), with the
    /// control frames of `between` after the first fragments.
    fn message(&mut self, opcode: u8, bytes: &[u8], cuts: &[u8], between: &[Control]) {
        let mut ends: Vec<usize> = cuts
            .iter()
            .map(|c| usize::from(*c) % (bytes.len() + 1))
            .collect();
        ends.sort_unstable();
        ends.push(bytes.len());
        let mut start = 0;
        for (i, &end) in ends.iter().enumerate() {
            let last = i + 1 == ends.len();
            let op = if i == 0 { opcode } else { 0 };
            self.frame(if last { 0x80 | op } else { op }, &bytes[start..end]);
            if let (false, Some(control)) = (last, between.get(i)) {
                self.control(control);
            }
            start = end;
        }
    }
}

fuzz_target!(|input: Input| {
    let mut encoder = Encoder {
        key: (!input.client).then_some(input.key),
        out: Vec::new(),
    };
    for op in &input.ops {
        match op {
            Op::Text {
                text,
                cuts,
                between,
            } => encoder.message(1, text.as_bytes(), cuts, between),
            Op::Binary {
                bytes,
                cuts,
                between,
            } => encoder.message(2, bytes, cuts, between),
            Op::Control(control) => encoder.control(control),
            Op::Raw { b0, payload } => encoder.frame(*b0, payload),
        }
    }
    if input.client {
        session::client(&input.cuts, &encoder.out);
    } else {
        session::server(&input.cuts, &encoder.out);
    }
});
