//! The receive path's hot spots beside their physical limit, `memcpy` of
//! the same size, in the same run: unmasking, UTF-8 validation (of
//! multi-byte text, and of ASCII), frame header decoding, a whole masked frame through the core's public
//! `Driver`, and a permessage-deflate round trip.
//!
//! The masking function and the incremental UTF-8 validator are private to
//! the core (`hybi::mask`, `hybi::utf8`): their source files are compiled
//! in here as they are, so these figures follow the core's code without a
//! hook in its API. If those files come to use other items of the core,
//! bench them through `driver/` below instead.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use wsdriver::hybi::frame::FrameHeader;
use wsdriver::{Driver, Event, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

#[allow(dead_code, unused_imports)]
#[path = "../../crates/wsdriver/src/hybi/mask.rs"]
mod mask;
#[allow(dead_code, unused_imports)]
#[path = "../../crates/wsdriver/src/hybi/utf8.rs"]
mod utf8;
#[cfg(target_arch = "x86_64")]
#[allow(dead_code, unused_imports)]
#[path = "../../crates/wsdriver/src/hybi/utf8_avx512.rs"]
mod utf8_avx512;

const SIZES: [usize; 3] = [20, 16 * 1024, 1024 * 1024];

fn text(size: usize) -> Vec<u8> {
    bench::scenario::payload(bench::scenario::Payload::MultiByte, size)
}

fn memcpy_unmask_utf8(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        let source = text(size);
        let mut target = vec![0u8; size];
        group.bench_with_input(BenchmarkId::new("memcpy", size), &size, |b, _| {
            b.iter(|| target.copy_from_slice(black_box(&source)))
        });
        let mut data = source.clone();
        group.bench_with_input(BenchmarkId::new("unmask", size), &size, |b, _| {
            b.iter(|| mask::apply_mask(black_box(&mut data), [0x37, 0xfa, 0x21, 0x3d], 0))
        });
        let ascii = bench::scenario::payload(bench::scenario::Payload::Ascii, size);
        for (name, text) in [("utf8 validate", &source), ("utf8 validate ascii", &ascii)] {
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| {
                    let mut validator = utf8::Utf8Validator::default();
                    validator.feed(black_box(text)).unwrap();
                    validator.finish().unwrap();
                })
            });
        }
    }
    group.finish();
}

fn header_decode(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    for size in SIZES {
        let frame = bench::load::masked_frame(&vec![0; size], false, [1, 2, 3, 4]);
        group.bench_with_input(BenchmarkId::new("header decode", size), &size, |b, _| {
            b.iter(|| FrameHeader::decode(black_box(&frame[..14])).unwrap())
        });
    }
    group.finish();
}

/// An open server `Driver` (the handshake done) and a masked frame of
/// `payload` from a client.
fn open_server(payload: &[u8], is_text: bool) -> (Driver, Vec<u8>) {
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    let mut server = Driver::server(Options::default()).unwrap();
    client.start();
    server.parse(&client.take_output());
    assert_eq!(server.poll_event(), Some(Event::Connect));
    server.start();
    assert_eq!(server.poll_event(), Some(Event::Open));
    client.parse(&server.take_output());
    assert_eq!(client.poll_event(), Some(Event::Open));
    if is_text {
        client.text(std::str::from_utf8(payload).unwrap()).unwrap();
    } else {
        client.binary(payload).unwrap();
    }
    (server, client.take_output())
}

fn driver_receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        for is_text in [false, true] {
            let payload = text(size);
            let (mut server, frame) = open_server(&payload, is_text);
            let name = if is_text {
                "driver text"
            } else {
                "driver binary"
            };
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| {
                    server.parse(black_box(&frame));
                    match server.poll_event() {
                        Some(Event::Message(message)) => assert_eq!(message.len(), size),
                        other => panic!("{other:?}"),
                    }
                })
            });
        }
    }
    group.finish();
}

/// A client and a server `Driver` with permessage-deflate negotiated.
fn deflate_pair() -> (Driver, Driver) {
    let config = DeflateConfig::default().threshold(0);
    let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
    let mut server = Driver::server(Options::default()).unwrap();
    client
        .add_extension(PerMessageDeflate::new(config.clone()).unwrap())
        .unwrap();
    server
        .add_extension(PerMessageDeflate::new(config).unwrap())
        .unwrap();
    client.start();
    server.parse(&client.take_output());
    assert_eq!(server.poll_event(), Some(Event::Connect));
    server.start();
    assert_eq!(server.poll_event(), Some(Event::Open));
    client.parse(&server.take_output());
    assert_eq!(client.poll_event(), Some(Event::Open));
    (client, server)
}

/// A text message compressed and framed by one driver, read and inflated
/// by the other (context takeover on, as by default).
fn deflate_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    let size = 16 * 1024;
    let json = bench::scenario::payload(bench::scenario::Payload::Json, size);
    let json = std::str::from_utf8(&json).unwrap();
    let (mut client, mut server) = deflate_pair();
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_with_input(
        BenchmarkId::new("deflate round trip", size),
        &size,
        |b, _| {
            b.iter(|| {
                client.text(black_box(json)).unwrap();
                server.parse(&client.take_output());
                match server.poll_event() {
                    Some(Event::Message(message)) => assert_eq!(message.len(), size),
                    other => panic!("{other:?}"),
                }
            })
        },
    );
    group.finish();
}

criterion_group!(
    benches,
    memcpy_unmask_utf8,
    header_decode,
    driver_receive,
    deflate_round_trip
);
criterion_main!(benches);
