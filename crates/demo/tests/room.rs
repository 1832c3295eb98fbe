//! The room and the feed's resume logic, in memory (no peers): the
//! history bound, resuming after a chat id and after a tick's composite
//! id, and each entry exactly once when entries arrive between the
//! subscription and the history read, or faster than the feed reads.
//!
//! The chat example's own modules, compiled in here.

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

use feed::Feed;
use ids::ChatId;
use room::{Entry, Kind, MemoryRoom, NewEntry, Room, HISTORY};

fn say(room: &Room, text: &str) -> Entry {
    let Room::Memory(memory) = room else {
        unreachable!()
    };
    memory.add(NewEntry {
        kind: Kind::Chat,
        name: "alice".into(),
        text: text.into(),
    })
}

/// A room with messages "m1".."mN" (ids 1..=N).
fn room_with(n: u64) -> Room {
    let room = Room::Memory(MemoryRoom::new(HISTORY));
    for i in 1..=n {
        say(&room, &format!("m{i}"));
    }
    room
}

fn ids(entries: &[Entry]) -> Vec<u64> {
    entries.iter().map(|entry| entry.id.seq).collect()
}

#[tokio::test]
async fn the_history_keeps_the_last_thousand() {
    let room = room_with(HISTORY as u64 + 5);
    let (kept, last) = room.since(Some(ChatId::START)).await.unwrap();
    assert_eq!(kept.len(), HISTORY);
    assert_eq!(kept.first().unwrap().id, ChatId::counter(6));
    assert_eq!(kept.first().unwrap().text, "m6");
    assert_eq!(last, ChatId::counter(HISTORY as u64 + 5));
    let (none, _) = room.since(None).await.unwrap();
    assert!(none.is_empty());
}

#[tokio::test]
async fn resumes_after_a_chat_id() {
    let room = room_with(5);
    let (mut feed, missed) = Feed::subscribe(&room, Some("3")).catch_up().await.unwrap();
    assert_eq!(ids(&missed), [4, 5]);
    assert_eq!(missed[0].text, "m4");
    say(&room, "m6");
    assert_eq!(ids(&feed.next().await.unwrap()), [6]);
    // Ticks say where the client is in the chat.
    assert_eq!(feed.tick().to_string(), "6.1");
    assert_eq!(feed.tick().to_string(), "6.2");
}

#[tokio::test]
async fn resumes_after_a_tick_id() {
    let room = room_with(5);
    let (mut feed, missed) = Feed::subscribe(&room, Some("3.7"))
        .catch_up()
        .await
        .unwrap();
    assert_eq!(ids(&missed), [4, 5]);
    // The tick count goes on from the client's.
    assert_eq!(feed.tick().to_string(), "5.8");
    let (_, missed) = Feed::subscribe(&room, Some("5.8"))
        .catch_up()
        .await
        .unwrap();
    assert!(missed.is_empty(), "{missed:?}");
}

#[tokio::test]
async fn a_new_client_starts_from_now() {
    let room = room_with(5);
    for id in [None, Some("not-an-id"), Some("")] {
        let (mut feed, missed) = Feed::subscribe(&room, id).catch_up().await.unwrap();
        assert!(missed.is_empty(), "{id:?}: {missed:?}");
        assert_eq!(feed.tick().to_string(), "5.1", "{id:?}");
    }
}

#[tokio::test]
async fn an_id_from_before_a_restart_does_not_hide_new_messages() {
    // The client saw id 50 of an earlier process; this one is at 5.
    let room = room_with(5);
    let (mut feed, missed) = Feed::subscribe(&room, Some("50")).catch_up().await.unwrap();
    assert!(missed.is_empty());
    assert_eq!(feed.covered(), ChatId::counter(5));
    say(&room, "m6");
    assert_eq!(ids(&feed.next().await.unwrap()), [6]);
}

#[tokio::test]
async fn an_entry_between_subscribing_and_reading_the_history_comes_once() {
    let room = room_with(2);
    let subscribed = Feed::subscribe(&room, Some("1"));
    say(&room, "m3"); // live, and in the history
    let (mut feed, missed) = subscribed.catch_up().await.unwrap();
    assert_eq!(ids(&missed), [2, 3]);
    say(&room, "m4");
    // m3 is waiting on the live channel too: dropped, m4 comes.
    assert_eq!(ids(&feed.next().await.unwrap()), [4]);
    let more = tokio::time::timeout(std::time::Duration::from_millis(100), feed.next()).await;
    assert!(more.is_err(), "nothing more: {more:?}");
}

#[tokio::test]
async fn a_feed_that_falls_behind_catches_up_from_the_history() {
    let room = room_with(0);
    let (mut feed, _) = Feed::subscribe(&room, None).catch_up().await.unwrap();
    for i in 1..=600 {
        say(&room, &format!("m{i}"));
    }
    let mut got = Vec::new();
    while got.len() < 600 {
        got.extend(ids(&feed.next().await.unwrap()));
    }
    assert_eq!(got, (1..=600).collect::<Vec<u64>>());
}

#[tokio::test]
async fn joins_and_leaves_count_who_is_online() {
    let Room::Memory(room) = room_with(0) else {
        unreachable!()
    };
    let mut online = Vec::new();
    for kind in [Kind::Join, Kind::Join, Kind::Chat, Kind::Leave] {
        let entry = room.add(NewEntry {
            kind,
            name: "bob".into(),
            text: String::new(),
        });
        online.push(entry.online);
    }
    assert_eq!(online, [1, 2, 2, 1]);
}

#[test]
fn entries_are_the_json_the_page_reads() {
    let entry = Entry {
        kind: Kind::Leave,
        id: "17-2".parse().unwrap(),
        name: "bob".into(),
        text: String::new(),
        online: 3,
        time: 1234,
    };
    assert_eq!(
        entry.to_json(),
        r#"{"type":"leave","id":"17-2","name":"bob","text":"","online":3,"time":1234}"#
    );
}
