//! permessage-deflate: a server's negotiation of any offer, inflation of
//! any payload under a bound (never more than the bound produced, however
//! the bytes are crafted), and round trips between a negotiated client and
//! server that give back every message, across context takeover.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use wsdriver::extensions::RSV1;
use wsdriver::{Bytes, Extension, ExtensionMessage, MessageKind, Params};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

const NAMES: [&str; 5] = [
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
    "x",
];

#[derive(Arbitrary, Debug)]
struct Input {
    offer: Vec<(u8, Option<u8>)>,
    no_context_takeover: bool,
    max_window_bits: u8,
    max_length: u16,
    compressed: Vec<Vec<u8>>,
    plain: Vec<Vec<u8>>,
}

fn message(payload: Vec<u8>, rsv: u8) -> ExtensionMessage {
    ExtensionMessage::new(MessageKind::Binary, rsv, Bytes::from(payload))
}

fuzz_target!(|input: Input| {
    let config = DeflateConfig::default()
        .no_context_takeover(input.no_context_takeover)
        .max_window_bits(9 + input.max_window_bits % 7);
    let Ok(mut server) = PerMessageDeflate::new(config.clone()) else {
        return;
    };
    let mut offer = Params::new();
    for (name, value) in &input.offer {
        let name = NAMES[usize::from(*name) % NAMES.len()];
        offer.push(name, value.map(|v| (v % 20).to_string()));
    }
    if server.accept(&[offer]).is_some() {
        let max_length = usize::from(input.max_length);
        for payload in &input.compressed {
            let mut message = message(payload.clone(), RSV1);
            if server.incoming(&mut message, max_length).is_ok() {
                assert!(
                    message.payload.len() <= max_length,
                    "{} bytes",
                    message.payload.len()
                );
                assert_eq!(message.rsv & RSV1, 0, "RSV1 left on");
            }
        }
    }

    // A client and a server that agreed: every message comes back.
    let mut client = PerMessageDeflate::new(config.clone()).expect("valid");
    let mut server = PerMessageDeflate::new(config).expect("valid");
    let response = server
        .accept(&client.offers())
        .expect("our own offer is accepted");
    client.activate(&response).expect("our own answer is taken");
    for payload in &input.plain {
        let mut message = message(payload.clone(), 0);
        client.outgoing(&mut message).expect("compresses");
        server
            .incoming(&mut message, usize::MAX)
            .expect("inflates what we deflated");
        assert_eq!(&message.payload[..], &payload[..]);
    }
});
