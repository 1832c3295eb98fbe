//! The `Sec-WebSocket-Extensions` grammar: any value either fails to parse
//! or parses to offers that write back to a header that parses to the same
//! offers.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wsdriver::extensions::header;

fuzz_target!(|input: &[u8]| {
    let Ok(value) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(offers) = header::parse(value) else {
        return;
    };
    let written = header::serialize(offers.iter().map(|o| (o.name.as_str(), &o.params)));
    let again = header::parse(&written).expect("what serialize wrote parses");
    assert_eq!(offers, again, "{value:?} became {written:?}");
});
