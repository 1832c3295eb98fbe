//! The chat example over a Redis that goes away (issue 24): two chat
//! processes on the test's own `redis-server`, which the test kills and
//! starts again on the same port (empty, as it saves nothing), and a chat
//! process that crashes.
#![cfg(feature = "interop")]

mod support;

use serde_json::Value;
use std::time::Duration;
use support::{Chat, Person, RedisServer};

/// The presence TTL of the example (`redis_room::PRESENCE_TTL`).
const PRESENCE_TTL: Duration = Duration::from_secs(10);

fn is_chat(text: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == "chat" && m["text"] == text
}

fn is_room(state: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["type"] == "notice" && m["room"] == state
}

#[tokio::test(flavor = "multi_thread")]
async fn messages_in_an_outage_are_reported_and_the_count_holds() {
    let mut redis = RedisServer::start();
    let a = Chat::start(Some(&redis.url));
    let b = Chat::start(Some(&redis.url));
    let (mut alice, _) = Person::join(&a, "alice").await;
    let (mut bob, _) = Person::join(&b, "bob").await;
    let (dave, joined) = Person::join(&b, "dave").await;
    assert_eq!(joined["online"], 3);
    alice.say("before").await;
    bob.until(is_chat("before")).await;
    // Alice's process has its answer too: Redis killed with that answer
    // on its way would report a stored message as not delivered.
    alice.until(is_chat("before")).await;

    redis.kill();
    // Both processes say so to their people.
    let down = alice.until(is_room("down")).await;
    assert!(
        down["text"].as_str().unwrap().contains("not delivered"),
        "{down}"
    );
    bob.until(is_room("down")).await;
    // dave leaves while nobody can hear it.
    drop(dave);
    // Each message alice sends now comes back to her as not delivered,
    // in order, and no entry of it reaches anyone.
    for text in ["during 1", "during 2", "during 3"] {
        alice.say(text).await;
    }
    for text in ["during 1", "during 2", "during 3"] {
        let notice = alice.next().await.expect("a notice");
        assert_eq!(notice["type"], "notice", "{notice}");
        assert_eq!(notice["undelivered"], text, "{notice}");
        assert!(
            notice["text"]
                .as_str()
                .unwrap()
                .starts_with("not delivered"),
            "{notice}"
        );
    }

    redis.restart();
    alice.until(is_room("up")).await;
    bob.until(is_room("up")).await;
    alice.say("after 1").await;
    alice.say("after 2").await;
    // Delivered, in order, and the ones during the outage never show.
    for person in [&mut bob, &mut alice] {
        let mut chats = Vec::new();
        while chats.len() < 2 {
            let message = person.next().await.expect("open");
            if message["type"] == "chat" {
                chats.push(message["text"].clone());
            }
        }
        assert_eq!(chats, ["after 1", "after 2"], "{}", person.name);
    }
    // Right afterwards the count is alice, bob and carol: dave's lost
    // leave and Redis's lost counts do not stay.
    let (_carol, joined) = Person::join(&a, "carol").await;
    assert_eq!(joined["online"], 3, "{joined}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_crashed_process_leaves_the_count_after_the_expiry() {
    let redis = RedisServer::start();
    let a = Chat::start(Some(&redis.url));
    let b = Chat::start(Some(&redis.url));
    let (_alice, _) = Person::join(&a, "alice").await;
    let (_al, _) = Person::join(&a, "al").await;
    let (_bob, joined) = Person::join(&b, "bob").await;
    assert_eq!(joined["online"], 3);

    a.crash();
    let crashed = tokio::time::Instant::now();
    // Until its presence expires, A's people are still counted...
    let (_carol, joined) = Person::join(&b, "carol").await;
    assert_eq!(joined["online"], 4, "{joined}");
    // ...and after it, they are not.
    tokio::time::sleep_until(crashed + PRESENCE_TTL + Duration::from_secs(1)).await;
    let (_dave, joined) = Person::join(&b, "dave").await;
    assert_eq!(joined["online"], 3, "bob, carol and dave: {joined}");
}
