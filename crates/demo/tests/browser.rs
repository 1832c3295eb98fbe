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
    // In memory, chat ids are the process's epoch (its start, in ms) and
    // a counter: EPOCH-N.
    let tick = report["ticks"][0].as_str().unwrap();
    let (epoch, counter) = tick.split_once('.').unwrap().0.split_once('-').unwrap();
    assert!(
        epoch.parse::<u64>().unwrap() > 1_700_000_000_000,
        "{report}"
    );
    assert!(counter.parse::<u64>().unwrap() < 100, "{report}");
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

/// The chat example next to this test (as `support` finds it).
fn chat_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let chat = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/PROFILE")
        .join("examples")
        .join(format!("chat{}", std::env::consts::EXE_SUFFIX));
    assert!(chat.is_file(), "{} is missing", chat.display());
    chat
}

#[test]
fn a_tab_goes_on_after_the_chat_restarts() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let chat = chat_binary();
    let addr = format!("127.0.0.1:{port}");
    let report = node(
        "chat_restart_test.js",
        &[chat.to_str().unwrap(), addr.as_str()],
    );
    // The tab never reloaded shows what was said after the restart, then
    // reloaded, every message once.
    assert_eq!(
        report["shown"],
        serde_json::json!([
            "old 1",
            "old 2",
            "old 3",
            "new from alice",
            "new from bob",
            "after the reload"
        ]),
        "{report}"
    );
    // Its tick ids went on in the new process's later epoch.
    let epoch = |key: &str| -> u64 {
        let id = report[key].as_str().unwrap();
        id.split_once('-').unwrap().0.parse().unwrap()
    };
    assert!(epoch("tickAfter") > epoch("tickBefore"), "{report}");
    // Handed ids the server never sent, the tab started over: the
    // server's whole history, without what it had before.
    assert_eq!(
        report["startedOver"],
        serde_json::json!([
            "new from alice",
            "new from bob",
            "after the reload",
            "after starting over"
        ]),
        "{report}"
    );
}

/// The page's icon, name field, long words and 1,500 messages of 120
/// characters in three waves of 500: before the page batched its updates
/// it showed them in 4.8 to 6.2 s (debug build, 2 quiet cores; 18.7 s in
/// issue 24), after in 1.3 to 1.7 s.
#[test]
fn the_page_names_wraps_and_keeps_up() {
    let chat = Chat::start(None);
    let report = node("chat_page_test.js", &[&chat.url, "3000"]);
    assert_eq!(report["messages"], 1_500, "{report}");
    assert!(report["pageMs"].as_u64().unwrap() <= 3_000, "{report}");
    let widths = &report["widths"];
    assert!(
        widths["logScroll"].as_u64() <= widths["logClient"].as_u64(),
        "{report}"
    );
}
