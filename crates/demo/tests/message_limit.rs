//! The chat reads messages up to what it keeps (issue 24: it read 64 MiB
//! ones and cut them to 2,000 characters): 2,000 characters of four bytes
//! come through; a message over 8 KiB closes that connection with 1009,
//! and the chat goes on serving.

mod support;

use futures_util::StreamExt;
use std::time::Duration;
use support::Chat;
use wsdriver_tokio::{connect, ClientOptions, CloseCode, MaybeTlsStream, WebSocket};

async fn join(chat: &Chat, name: &str) -> WebSocket<MaybeTlsStream> {
    let url = format!("{}/chat?name={name}", chat.url.replacen("http:", "ws:", 1));
    connect(&url, ClientOptions::default())
        .await
        .expect("the chat's WebSocket")
}

/// The next chat entry's text (skipping joins, leaves and notices); None
/// once the socket closed. Panics after 10 s.
async fn next_chat(socket: &mut WebSocket<MaybeTlsStream>) -> Option<String> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), socket.next())
            .await
            .expect("a message or the close within 10 s")?
            .ok()?;
        let value: serde_json::Value =
            serde_json::from_str(message.as_text().expect("text")).expect("JSON");
        if value["type"] == "chat" {
            return Some(value["text"].as_str().unwrap().to_owned());
        }
    }
}

#[tokio::test]
async fn a_message_over_the_limit_closes_with_1009_and_the_chat_goes_on() {
    let chat = Chat::start(None);
    let mut alice = join(&chat, "alice").await;

    // The longest text kept, at four bytes a character: 8,000 bytes.
    let longest = "😀".repeat(2_000);
    alice.send(longest.as_str()).await.unwrap();
    assert_eq!(
        next_chat(&mut alice).await.as_deref(),
        Some(longest.as_str())
    );

    // One byte over 8 KiB, then far over: the first closes the socket.
    alice.send("a".repeat(8 * 1024 + 1)).await.unwrap();
    let _ = alice.send("b".repeat(1 << 20)).await;
    if let Some(text) = next_chat(&mut alice).await {
        panic!("a message over the limit was taken ({} bytes)", text.len());
    }
    let close = alice.close_event().expect("closed").clone();
    assert_eq!(close.code, CloseCode::TOO_LARGE, "{close:?}");

    // The chat is still there.
    let mut bob = join(&chat, "bob").await;
    bob.send("still here").await.unwrap();
    assert_eq!(next_chat(&mut bob).await.as_deref(), Some("still here"));
}
