//! Our EventSource server read by the npm `eventsource` client: events,
//! types, multi-line data, and a reconnection that resumes after
//! `Last-Event-ID`.
#![cfg(feature = "interop")]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use wsdriver_tokio::{EventStreamOptions, WebSocketServer};

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

#[tokio::test]
async fn the_npm_eventsource_client_reads_our_stream_and_resumes_after_its_last_id() {
    let module = root().join("tools/node/node_modules/eventsource");
    assert!(
        module.is_dir(),
        "npm eventsource is missing: run tools/peers.sh"
    );
    let options = EventStreamOptions::default().retry(Duration::from_millis(200));
    let server = WebSocketServer::builder()
        .event_streams(options)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("http://{}/feed", server.local_addr());
    let mut client = tokio::process::Command::new("node")
        .arg(root().join("tools/node/eventsource_client.mjs"))
        .args([&url, "5", "chat"])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node");

    // The first connection: three events, then the stream ends.
    let first = tokio::time::timeout(Duration::from_secs(10), server.accept_event_stream())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.last_event_id(), None);
    for id in 1..=3 {
        let id = id.to_string();
        first
            .send_event(None, &format!("tick {id}"), Some(&id))
            .await
            .unwrap();
    }
    first.close();

    // The client comes back after the retry we sent, with the last id.
    let second = tokio::time::timeout(Duration::from_secs(10), server.accept_event_stream())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.last_event_id(), Some("3"));
    second
        .send_event(Some("chat"), "two\nlines", Some("4"))
        .await
        .unwrap();
    second
        .send_event(Some("chat"), "é ✓", Some("5"))
        .await
        .unwrap();

    let stdout = client.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    let mut seen = Vec::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push(line);
    }
    let status = client.wait().await.unwrap();
    assert!(status.success(), "{seen:?}");
    let expected = [
        r#"{"type":"message","data":"tick 1","lastEventId":"1"}"#,
        r#"{"type":"message","data":"tick 2","lastEventId":"2"}"#,
        r#"{"type":"message","data":"tick 3","lastEventId":"3"}"#,
        r#"{"type":"chat","data":"two\nlines","lastEventId":"4"}"#,
        r#"{"type":"chat","data":"é ✓","lastEventId":"5"}"#,
    ];
    assert_eq!(seen, expected);
}
