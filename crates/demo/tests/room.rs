//! The room and the feed's resume logic, in memory (no peers): the
//! history bound, resuming after a chat id and after a tick's composite
//! id, and each entry exactly once when entries arrive between the
//! subscription and the history read, or faster than the feed reads.
//!
//! The chat example's own modules, compiled in here.

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

/// A room of epoch 0 with messages "m1".."mN" (ids 1..=N).
fn room_with(n: u64) -> Room {
    room_in(0, n)
}

/// A room of `epoch` with messages "m1".."mN" (ids EPOCH-1..=EPOCH-N).
fn room_in(epoch: u64, n: u64) -> Room {
    let room = Room::Memory(MemoryRoom::in_epoch(HISTORY, epoch));
    for i in 1..=n {
        say(&room, &format!("m{i}"));
    }
    room
}

fn ids(entries: &[std::sync::Arc<Entry>]) -> Vec<u64> {
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
async fn an_id_from_before_a_restart_gets_the_new_history_and_ids_go_on() {
    // The client saw entry 50 and tick 7 of the process that started at
    // 1000 ms; this one started at 2000 ms and is at its 5th entry.
    let room = room_in(2000, 5);
    let (mut feed, missed) = Feed::subscribe(&room, Some("1000-50.7"))
        .catch_up()
        .await
        .unwrap();
    let missed: Vec<String> = missed.iter().map(|entry| entry.id.to_string()).collect();
    assert_eq!(missed, ["2000-1", "2000-2", "2000-3", "2000-4", "2000-5"]);
    // After the client's last id, not back to 5.1.
    assert_eq!(feed.tick().to_string(), "2000-5.8");
    say(&room, "m6");
    assert_eq!(feed.next().await.unwrap()[0].id.to_string(), "2000-6");
    // A page that kept the old chat id alone (no tick) too.
    let (_, missed) = Feed::subscribe(&room, Some("1000-50"))
        .catch_up()
        .await
        .unwrap();
    assert_eq!(missed.len(), 6);
}

#[tokio::test]
async fn a_new_room_counts_in_the_epoch_of_its_start() {
    let before = room::now_ms();
    let room = Room::Memory(MemoryRoom::new(HISTORY));
    let first = say(&room, "m1").id;
    assert!(first.ms >= before && first.ms <= room::now_ms(), "{first}");
    assert_eq!(first.seq, 1);
    assert_eq!(say(&room, "m2").id, first.next());
}

#[tokio::test]
async fn an_id_the_room_never_sent_counts_as_none() {
    // Ahead of the room (made up, or from a room whose clock went back),
    // or with a tick that does not fit: ids start from the room's now.
    for id in [
        "50",
        "50.7",
        "6.7",
        "1-0",
        "18446744073709551615.9007199254740991",
        "18446744073709551615.18446744073709551615",
        "5.18446744073709551615",
    ] {
        let room = room_with(5);
        let (mut feed, missed) = Feed::subscribe(&room, Some(id)).catch_up().await.unwrap();
        assert!(missed.is_empty(), "{id}: {missed:?}");
        assert_eq!(feed.covered(), ChatId::counter(5), "{id}");
        assert_eq!(feed.tick().to_string(), "5.1", "{id}");
        say(&room, "more");
        assert_eq!(
            feed.next().await.unwrap().len(),
            1,
            "{id}: the next entry comes"
        );
    }
}

#[tokio::test]
async fn ticks_resumed_at_the_top_stay_there() {
    let room = room_with(5);
    let (mut feed, _) = Feed::subscribe(&room, Some("5.9007199254740990"))
        .catch_up()
        .await
        .unwrap();
    assert_eq!(feed.tick().to_string(), "5.9007199254740991");
    assert_eq!(feed.tick().to_string(), "5.9007199254740991");
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
