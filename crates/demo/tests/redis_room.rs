//! The Redis room against a real `redis-server` (installed by
//! tools/peers.sh): two rooms on one server, as two processes would have,
//! hear each other, count people together, and resume each other's ids.
#![cfg(feature = "interop")]

#[allow(dead_code)]
#[path = "../examples/chat/entry.rs"]
mod entry;
#[allow(dead_code)]
#[path = "../examples/chat/feed.rs"]
mod feed;
#[allow(dead_code)]
#[path = "../examples/chat/ids.rs"]
mod ids;
#[allow(dead_code)]
#[path = "../examples/chat/redis_room.rs"]
mod redis_room;
#[allow(dead_code)]
#[path = "../examples/chat/room.rs"]
mod room;
mod support;

use feed::Feed;
use redis_room::RedisRoom;
use room::{Entry, Kind, NewEntry, Room, HISTORY};
use std::time::Duration;

async fn say(room: &Room, kind: Kind, name: &str, text: &str) -> Entry {
    room.add(NewEntry {
        kind,
        name: name.into(),
        text: text.into(),
    })
    .await
    .expect("added")
}

async fn rooms(redis: &support::RedisServer) -> (Room, Room) {
    let a = RedisRoom::connect(&redis.url, "test")
        .await
        .expect("room a");
    let b = RedisRoom::connect(&redis.url, "test")
        .await
        .expect("room b");
    (Room::Redis(a), Room::Redis(b))
}

async fn next(feed: &mut Feed) -> Vec<Entry> {
    owned(
        tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("an entry within 10 s")
            .expect("the room works"),
    )
}

/// The room shares its entries; the tests compare them by value.
fn owned(entries: Vec<std::sync::Arc<Entry>>) -> Vec<Entry> {
    entries
        .into_iter()
        .map(std::sync::Arc::unwrap_or_clone)
        .collect()
}

#[tokio::test]
async fn two_rooms_on_one_redis_are_one_room() {
    let redis = support::RedisServer::start();
    let (a, b) = rooms(&redis).await;
    let (mut on_a, _) = Feed::subscribe(&a, None).catch_up().await.unwrap();
    let (mut on_b, _) = Feed::subscribe(&b, None).catch_up().await.unwrap();

    let joined = say(&a, Kind::Join, "alice", "").await;
    let hello = say(&a, Kind::Chat, "alice", "hello").await;
    let bob = say(&b, Kind::Join, "bob", "").await;
    assert_eq!((joined.online, hello.online, bob.online), (1, 1, 2));
    assert!(joined.id < hello.id && hello.id < bob.id);
    assert!(hello.id.ms > 0, "a stream id: {}", hello.id);

    // Both processes hear all three, in the stream's order.
    for feed in [&mut on_a, &mut on_b] {
        let mut got = Vec::new();
        while got.len() < 3 {
            got.extend(next(feed).await);
        }
        assert_eq!(got, [joined.clone(), hello.clone(), bob.clone()]);
    }
    let left = say(&b, Kind::Leave, "bob", "").await;
    assert_eq!(left.online, 1);
    assert_eq!(next(&mut on_a).await, [left]);
}

#[tokio::test]
async fn resumes_on_one_process_after_an_id_from_the_other() {
    let redis = support::RedisServer::start();
    let (a, b) = rooms(&redis).await;
    let mut sent = Vec::new();
    for i in 1..=4 {
        sent.push(say(&a, Kind::Chat, "alice", &format!("m{i}")).await);
    }
    // A client of A's saw m1 (as a chat id, then as a tick id); it
    // comes back on B.
    let seen = sent[0].id.to_string();
    let (_, missed) = Feed::subscribe(&b, Some(&seen)).catch_up().await.unwrap();
    assert_eq!(owned(missed), sent[1..]);
    let subscribed = Feed::subscribe(&b, Some(&format!("{seen}.9")));
    // One more between subscribing and reading the history: once.
    let m5 = say(&a, Kind::Chat, "alice", "m5").await;
    let (mut feed, missed) = subscribed.catch_up().await.unwrap();
    assert_eq!(missed.last().map(|entry| &**entry), Some(&m5));
    assert_eq!(missed.len(), 4);
    assert_eq!(feed.tick().to_string(), format!("{}.10", m5.id));
    let m6 = say(&a, Kind::Chat, "alice", "m6").await;
    assert_eq!(next(&mut feed).await, [m6]);
}

#[tokio::test]
async fn the_stream_is_bounded() {
    let redis = support::RedisServer::start();
    let (a, _) = rooms(&redis).await;
    let total = HISTORY + 500;
    for i in 0..total {
        say(&a, Kind::Chat, "alice", &i.to_string()).await;
    }
    let (kept, last) = a.since(Some(ids::ChatId::START)).await.unwrap();
    // MAXLEN ~ trims whole nodes: about HISTORY, never fewer.
    assert!(
        (HISTORY..total).contains(&kept.len()),
        "kept {} of {total}",
        kept.len()
    );
    assert_eq!(kept.last().map(|entry| entry.id), Some(last));
    assert_eq!(kept.last().unwrap().text, (total - 1).to_string());
}

/// XADDs `fields` to the room's stream as anything with write access to
/// Redis could.
async fn xadd(redis: &support::RedisServer, fields: &[(&str, &[u8])]) {
    let client = redis::Client::open(redis.url.as_str()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let mut xadd = redis::cmd("XADD");
    xadd.arg("test:stream").arg("*");
    for (field, value) in fields {
        xadd.arg(*field).arg(*value);
    }
    let _: String = xadd.query_async(&mut connection).await.unwrap();
}

#[tokio::test]
async fn entries_from_redis_are_checked_like_a_browser_s() {
    let redis = support::RedisServer::start();
    let (a, _) = rooms(&redis).await;
    let (mut live, _) = Feed::subscribe(&a, None).catch_up().await.unwrap();
    let first = say(&a, Kind::Chat, "alice", "first").await;

    let huge = vec![b'x'; 20 << 20];
    let long_name = "n".repeat(33);
    let long_text = "t".repeat(2_001);
    let bad: Vec<Vec<(&str, &[u8])>> = vec![
        // 20 MiB of text, and just over the limits.
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", &huge),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", long_text.as_bytes()),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", long_name.as_bytes()),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        // Missing, unknown, repeated, wrong fields.
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
            ("admin", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("kind", b"join"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"shout"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"-1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"soon"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mal\x07lory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b"mallory"),
            ("text", b"\xff\xfe"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"join"),
            ("name", b"mallory"),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
        vec![
            ("kind", b"chat"),
            ("name", b""),
            ("text", b"hi"),
            ("online", b"1"),
            ("time", b"1"),
        ],
    ];
    for fields in &bad {
        xadd(&redis, fields).await;
    }
    // A malformed entry last in the stream: a new process still starts.
    let b = Room::Redis(
        RedisRoom::connect(&redis.url, "test")
            .await
            .expect("room b"),
    );
    let last = say(&b, Kind::Chat, "bob", "last").await;

    // Live, none of the bad ones: the next entry after "first" is "last".
    assert_eq!(next(&mut live).await, std::slice::from_ref(&first));
    assert_eq!(next(&mut live).await, std::slice::from_ref(&last));
    // From the history, neither.
    let (missed, newest) = a.since(Some(first.id)).await.unwrap();
    assert_eq!(owned(missed), std::slice::from_ref(&last));
    assert_eq!(newest, last.id);
    let (missed, _) = b.since(Some(ids::ChatId::START)).await.unwrap();
    assert_eq!(owned(missed), [first, last]);
    // And the room goes on.
    let more = say(&a, Kind::Chat, "alice", "more").await;
    assert_eq!(next(&mut live).await, [more]);
}
