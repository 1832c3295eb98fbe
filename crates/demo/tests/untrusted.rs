//! What the chat example reads back from Redis is checked (issue 24):
//! entries written into the stream by anything with write access to
//! Redis, oversized or malformed, reach no client, cost the process no
//! memory per client, and the room goes on.
#![cfg(feature = "interop")]

mod support;

use support::{Chat, Person, RedisServer};

/// How many people listen when the entries come.
const PEOPLE: usize = 10;

#[tokio::test(flavor = "multi_thread")]
async fn an_oversized_or_malformed_entry_reaches_nobody() {
    let redis = RedisServer::start();
    let chat = Chat::start(Some(&redis.url));
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        people.push(Person::join(&chat, &format!("p{i}")).await.0);
    }
    // Everyone has seen everyone join (the last saw its own in `join`):
    // what comes next is new.
    for person in &mut people[..PEOPLE - 1] {
        person
            .until(|m| m["type"] == "join" && m["online"] == PEOPLE)
            .await;
    }
    let before = chat.peak_rss();

    let huge = "x".repeat(20 << 20);
    let stream = b"wsdriver-chat:stream".as_slice();
    let fields = |text: &'static [u8]| -> Vec<&[u8]> {
        let mut words: Vec<&[u8]> = vec![b"XADD", stream, b"*"];
        words.extend([
            b"kind".as_slice(),
            b"chat",
            b"name",
            b"mallory",
            b"text",
            text,
        ]);
        words
    };
    let mut oversized = fields(b"");
    *oversized.last_mut().unwrap() = huge.as_bytes();
    redis.command(&oversized);
    // No time field, and a control character in the name.
    let mut malformed = fields(b"hello");
    malformed.extend([b"online".as_slice(), b"1"]);
    redis.command(&malformed);
    let mut words = fields(b"hello");
    words[6] = b"mal\x1blory";
    words.extend([b"online".as_slice(), b"1", b"time", b"1"]);
    redis.command(&words);

    people[0].say("still here").await;
    for person in &mut people {
        let next = person.next().await.expect("open");
        assert_eq!(next["type"], "chat", "{}: {next}", person.name);
        assert_eq!(next["text"], "still here", "{}: {next}", person.name);
    }
    // Reading the 20 MiB entry once is the process's whole cost: not a
    // copy per person (the issue measured +1.33 GB for 20 and 20 feeds).
    let grown = chat.peak_rss().saturating_sub(before);
    eprintln!("peak RSS: +{} KiB", grown >> 10);
    assert!(grown < 100 << 20, "peak RSS grew by {} MiB", grown >> 20);
}
