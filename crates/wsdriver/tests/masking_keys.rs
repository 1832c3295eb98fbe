//! Masking keys (RFC 6455 §10.3): fresh for every frame and unpredictable,
//! from the thread's CSPRNG (`rand`'s ChaCha, seeded by the OS), so that a
//! page cannot choose the bytes an intermediary sees and no two clients
//! share a sequence.

mod common;
use common::*;
use std::collections::HashSet;
use wsdriver::Options;

/// The keys of `count` frames one client sends.
fn keys(count: usize) -> Vec<[u8; 4]> {
    let mut client = open_client("ws://example.com/", Options::default());
    for i in 0..count {
        client.text(&i.to_string()).unwrap();
    }
    decode_frames(&client.take_output())
        .iter()
        .map(|frame| frame.mask.expect("a client masks every frame"))
        .collect()
}

#[test]
fn two_clients_share_no_masking_keys() {
    let first = keys(1000);
    let second = keys(1000);
    let seen: HashSet<[u8; 4]> = first.iter().copied().collect();
    // 2^32 keys: 1000 x 1000 pairs collide by chance with p < 0.0003.
    let shared = second.iter().filter(|key| seen.contains(*key)).count();
    assert!(shared <= 1, "{shared} keys in common");
    assert_ne!(first[..8], second[..8], "the same sequence twice");
}

#[test]
fn one_clients_keys_do_not_repeat_or_run_in_a_pattern() {
    let keys = keys(1000);
    let distinct: HashSet<[u8; 4]> = keys.iter().copied().collect();
    assert!(
        distinct.len() >= 999,
        "{} distinct keys of 1000",
        distinct.len()
    );
    // Every bit of the key varies (no constant byte or counter).
    let ones: Vec<u32> = (0..32)
        .map(|bit| {
            keys.iter()
                .filter(|key| u32::from_be_bytes(**key) >> bit & 1 == 1)
                .count() as u32
        })
        .collect();
    assert!(ones.iter().all(|&n| (350..=650).contains(&n)), "{ones:?}");
}
