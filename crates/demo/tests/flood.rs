//! One flooder and the room (issue 24): the chat example in memory, one
//! connection sending as fast as it can, another person talking. The
//! flooder is held to its rate (10 a second, bursts of 20), told so, and
//! closed with 1008 when it keeps on; the other person's message comes
//! back within a second all along. No peers.

mod support;

use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{Chat, Person};
use wsdriver_tokio::{ClientOptions, CloseCode};

/// What the flooder sends, at most (it stops when the server closes).
const FLOOD: usize = 20_000;

#[tokio::test(flavor = "multi_thread")]
async fn a_flooder_is_limited_and_the_room_stays_responsive() {
    let chat = Chat::start(None);
    let (mut bob, _) = Person::join(&chat, "bob").await;
    let flooder = wsdriver_tokio::connect(chat.chat_url("flo"), ClientOptions::default())
        .await
        .expect("connected");
    bob.until(|m| m["type"] == "join" && m["name"] == "flo")
        .await;
    let (mut hears, mut says) = flooder.split();
    // What the flooder is told, and how its connection ends.
    let told = tokio::spawn(async move {
        let mut notices = Vec::new();
        while let Some(Ok(message)) = hears.next().await {
            let message: serde_json::Value =
                serde_json::from_str(message.as_text().unwrap()).unwrap();
            if message["type"] == "notice" {
                notices.push(message);
            }
        }
        (notices, hears.close_event())
    });
    let started = Instant::now();
    let sending = Arc::new(AtomicUsize::new(0));
    let sent = Arc::clone(&sending);
    let flood = tokio::spawn(async move {
        let mut n = 0;
        while n < FLOOD && says.send(format!("f{n}")).await.is_ok() {
            n += 1;
            sent.store(n, Ordering::Relaxed);
        }
        n
    });
    // Bob starts once the flood is under way.
    while sending.load(Ordering::Relaxed) < 100 {
        tokio::task::yield_now().await;
    }

    // Bob talks during the flood: back within a second, every time.
    let mut flood_seen = 0;
    let mut slowest = Duration::ZERO;
    for round in 0..5 {
        let text = format!("bob {round}");
        let said = Instant::now();
        bob.say(&text).await;
        loop {
            let message = bob.next().await.expect("bob's socket open");
            if message["type"] == "chat" && message["name"] == "flo" {
                flood_seen += 1;
            }
            if message["type"] == "chat" && message["text"] == text {
                break;
            }
        }
        let took = said.elapsed();
        slowest = slowest.max(took);
        assert!(took < Duration::from_secs(1), "bob {round} took {took:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let sent = flood.await.unwrap();
    let (notices, closed) = tokio::time::timeout(Duration::from_secs(10), told)
        .await
        .expect("the flooder's connection ends")
        .unwrap();
    let flooding = started.elapsed().as_secs_f64();
    // Closed for its abuse, having been told to slow down first.
    let closed = closed.expect("a close");
    assert_eq!(closed.code, CloseCode::POLICY_VIOLATION, "{closed:?}");
    let dropped = &notices.first().expect("a notice")["dropped"];
    assert!(dropped.as_u64() > Some(0), "{notices:?}");
    // What reached the room: the burst and the rate, no more.
    while let Ok(Some(message)) = tokio::time::timeout(Duration::from_millis(300), bob.next()).await
    {
        if message["type"] == "chat" && message["name"] == "flo" {
            flood_seen += 1;
        }
    }
    eprintln!(
        "flooder: {sent} sent in {flooding:.2} s, {flood_seen} reached bob, closed {}; \
         bob's slowest round trip {slowest:?}",
        closed.code
    );
    let bound = 20.0 + 10.0 * flooding + 1.0;
    assert!(
        (flood_seen as f64) <= bound,
        "{flood_seen} of the flooder's {sent} messages reached bob in {flooding:.1} s"
    );
    assert!(flood_seen >= 20, "the burst goes through: {flood_seen}");
}
