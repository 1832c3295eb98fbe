//! The chat page in headless Chromium (`tools/node/chat_browser_test.js`,
//! puppeteer-core; tools/peers.sh installs both), against the chat example
//! in memory, and as two processes over a `redis-server` with page A on
//! one and page B on the other. The script's checks are listed at its
//! top; here, that it passed and what it reports.
#![cfg(feature = "interop")]

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::{Chat, RedisServer};

fn run_pages(url_a: &str, url_b: &str) -> serde_json::Value {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    assert!(
        root.join("tools/node/node_modules/puppeteer-core").is_dir(),
        "npm puppeteer-core is missing: run tools/peers.sh"
    );
    let output = Command::new("node")
        .arg(root.join("tools/node/chat_browser_test.js"))
        .args([url_a, url_b])
        .output()
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the browser test failed:\n{stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let report: serde_json::Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("a JSON report, got {stdout:?}\n{stderr}"));
    // Everything A said, shown once on B after its reload and its absence.
    assert_eq!(report["messages"], 23, "{report}");
    assert_eq!(report["shownOnB"], report["messages"], "{report}");
    assert_eq!(report["cors"]["allowOrigin"], serde_json::json!(["*", "*"]));
    report
}

#[test]
fn one_process() {
    let chat = Chat::start(None);
    let report = run_pages(&chat.url, &chat.url);
    // In memory, chat ids are a counter.
    let tick = report["ticks"][0].as_str().unwrap();
    assert!(!tick.contains('-'), "{report}");
}

#[test]
fn two_processes_over_redis() {
    let redis = RedisServer::start();
    let one = Chat::start(Some(&redis.url));
    let two = Chat::start(Some(&redis.url));
    assert_ne!(one.url, two.url);
    let report = run_pages(&one.url, &two.url);
    // Over Redis, chat ids are stream ids, MS-SEQ; B's feed ticks with them.
    let tick = report["ticks"][0].as_str().unwrap();
    assert!(tick.contains('-'), "{report}");
}
