//! The chat page in headless Chromium (scripts in `tools/node/`,
//! puppeteer-core; tools/peers.sh installs both), against the chat example.
//!
//! `chat_browser_test.js`: in memory, and as two processes over a
//! `redis-server` with page A on one and page B on the other. The script's
//! checks are listed at its top; here, that it passed and what it reports.
//! `xss_browser_test.js`: a message of HTML is shown as text.
#![cfg(feature = "interop")]

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::{Chat, RedisServer};

/// Runs `tools/node/SCRIPT ARGS`, which must pass, and returns its JSON
/// report (its stdout).
fn node(script: &str, args: &[&str]) -> serde_json::Value {
    let root = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    assert!(
        root.join("tools/node/node_modules/puppeteer-core").is_dir(),
        "npm puppeteer-core is missing: run tools/peers.sh"
    );
    let output = Command::new("node")
        .arg(root.join("tools/node").join(script))
        .args(args)
        .output()
        .expect("node runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{script} failed:\n{stderr}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    serde_json::from_str(stdout.trim())
        .unwrap_or_else(|_| panic!("a JSON report, got {stdout:?}\n{stderr}"))
}

fn run_pages(url_a: &str, url_b: &str) -> serde_json::Value {
    let report = node("chat_browser_test.js", &[url_a, url_b]);
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

#[test]
fn a_message_is_shown_as_text() {
    let chat = Chat::start(None);
    let report = node(
        "xss_browser_test.js",
        &[&format!("{}/?name=alice", chat.url)],
    );
    let payload = report["payload"].as_str().unwrap();
    assert!(payload.contains("onerror"), "{report}");
    for tab in report["tabs"].as_array().unwrap() {
        assert_eq!(tab["title"], "wsdriver chat", "{report}");
        assert_eq!(tab["images"], 0, "{report}");
        assert_eq!(tab["shown"], format!("alice:{payload}"), "{report}");
    }
}
