//! EventSource readers resuming against a full history share it (issue
//! 24: 200 readers coming back with an old `Last-Event-ID` held 1.7 GB,
//! each its own copy of the history, and 1.6-1.8 GB stayed after they
//! left). The chat example in memory, its history filled with 1,000
//! messages of 2,000 four-byte characters (8 MB); 200 readers that ask for
//! all of it and read nothing. No peers.

mod support;

use std::io::Write;
use std::net::TcpStream;
use std::time::Duration;
use support::{Chat, Person};

const READERS: usize = 200;
/// What 200 readers may add while held: each holds at most its stream's
/// 64 KiB and hyper's buffers, not the history.
const HELD_BOUND: u64 = 64 << 20;
/// What may stay once they left (the demo gives freed memory back every
/// 5 s: without that, +15 MiB stayed).
const AFTER_BOUND: u64 = 4 << 20;

#[tokio::test(flavor = "multi_thread")]
async fn resuming_readers_share_the_history_and_memory_comes_back() {
    let chat = Chat::start(None);
    let text = "🦀".repeat(2000);
    // 50 people in turn, 20 messages each (the rate limit's burst), each
    // waiting for its own 20 to come back: all stored.
    for i in 0..50 {
        let (mut person, _) = Person::join(&chat, &format!("p{i}")).await;
        for _ in 0..20 {
            person.say(&text).await;
        }
        for _ in 0..20 {
            let name = person.name.clone();
            let message = person
                .until(|m| m["type"] == "chat" && m["name"] == name)
                .await;
            assert_eq!(message["text"].as_str().unwrap().chars().count(), 2000);
        }
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let baseline = chat.rss();

    let addr = chat.url.trim_start_matches("http://").to_owned();
    let readers: Vec<TcpStream> = (0..READERS)
        .map(|_| {
            let mut stream = TcpStream::connect(&addr).unwrap();
            // An id of an epoch long gone: the whole kept history.
            stream
                .write_all(
                    b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\
                      Last-Event-ID: 1-1\r\n\r\n",
                )
                .unwrap();
            stream
        })
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let held = chat.rss();
    eprintln!(
        "baseline {} MiB, {READERS} resuming readers held: +{} MiB",
        baseline >> 20,
        held.saturating_sub(baseline) >> 20
    );
    assert!(
        held < baseline + HELD_BOUND,
        "{READERS} readers took +{} MiB",
        (held - baseline) >> 20
    );
    drop(readers);
    // Their feeds notice at the next tick's write; then a trim.
    tokio::time::sleep(Duration::from_secs(8)).await;
    let after = chat.rss();
    eprintln!(
        "after they left: +{} MiB",
        after.saturating_sub(baseline) >> 20
    );
    assert!(
        after < baseline + AFTER_BOUND,
        "+{} MiB stayed after the readers left",
        (after - baseline) >> 20
    );
}
