//! The receive path's hot spots beside their physical limit, `memcpy` of
//! the same size, in the same run: unmasking, UTF-8 validation (of
//! multi-byte text, and of ASCII), frame header decoding, a whole masked
//! frame through the core's `Connection` (opened by the handshake
//! machines, fed as the tokio crate's drive step feeds it), and a
//! permessage-deflate round trip.
//!
//! The masking function and the incremental UTF-8 validator are private to
//! the core (`hybi::mask`, `hybi::utf8`): their source files are compiled
//! in here as they are, so these figures follow the core's code without a
//! hook in its API. If those files come to use other items of the core,
//! bench them through `driver/` below instead.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use std::time::Instant;
use wsdriver::hybi::frame::FrameHeader;
use wsdriver::{
    ClientEvent, ClientHandshake, Connection, Event, Machine, Options, ServerEvent, ServerHandshake,
};
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

/// A client's and a server's `Connection`, opened by their handshake
/// machines (with permessage-deflate when `deflate` says), as production
/// opens them.
fn open_pair(deflate: Option<DeflateConfig>) -> (Connection, Connection) {
    let now = Instant::now();
    let mut client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    let mut server = ServerHandshake::new(Options::default(), now).unwrap();
    if let Some(config) = deflate {
        client
            .add_extension(PerMessageDeflate::new(config.clone()).unwrap())
            .unwrap();
        server
            .add_extension(PerMessageDeflate::new(config).unwrap())
            .unwrap();
    }
    assert!(client.start(now));
    receive(&mut server, &client.take_output(), now);
    assert_eq!(server.poll_event(), Some(ServerEvent::Request));
    server.accept().unwrap();
    assert_eq!(server.poll_event(), Some(ServerEvent::Open));
    receive(&mut client, &server.take_output(), now);
    assert_eq!(client.poll_event(), Some(ClientEvent::Open));
    let (Ok(client), Ok(server)) = (client.into_connection(now), server.into_connection(now))
    else {
        panic!("both handshakes are open")
    };
    (client, server)
}

/// Bytes from the peer, as the drive step hands them over.
#[inline(always)]
fn receive<M: Machine>(machine: &mut M, bytes: &[u8], now: Instant) {
    machine.input_buffer().extend_from_slice(bytes);
    machine.received(now);
}

/// An open server `Connection` and a masked frame of `payload` from its
/// client.
fn open_server(payload: &[u8], is_text: bool) -> (Connection, Vec<u8>) {
    let (mut client, server) = open_pair(None);
    if is_text {
        client.text(std::str::from_utf8(payload).unwrap()).unwrap();
    } else {
        client.binary(payload).unwrap();
    }
    (server, client.take_output())
}

fn connection_receive(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    for size in SIZES {
        group.throughput(Throughput::Bytes(size as u64));
        for is_text in [false, true] {
            let payload = text(size);
            let (mut server, frame) = open_server(&payload, is_text);
            let name = if is_text {
                "connection text"
            } else {
                "connection binary"
            };
            let now = Instant::now();
            group.bench_with_input(BenchmarkId::new(name, size), &size, |b, _| {
                b.iter(|| {
                    receive(&mut server, black_box(&frame), now);
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

/// A text message compressed and framed by one connection, read and
/// inflated by the other (context takeover on, as by default).
fn deflate_round_trip(c: &mut Criterion) {
    let mut group = c.benchmark_group("hot_paths");
    let size = 16 * 1024;
    let json = bench::scenario::payload(bench::scenario::Payload::Json, size);
    let json = std::str::from_utf8(&json).unwrap();
    let (mut client, mut server) = open_pair(Some(DeflateConfig::default().threshold(0)));
    let now = Instant::now();
    group.throughput(Throughput::Bytes(size as u64));
    group.bench_with_input(
        BenchmarkId::new("deflate round trip", size),
        &size,
        |b, _| {
            b.iter(|| {
                client.text(black_box(json)).unwrap();
                receive(&mut server, &client.take_output(), now);
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
    connection_receive,
    deflate_round_trip
);
criterion_main!(benches);
