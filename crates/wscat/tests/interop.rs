//! wscat with Node `ws` peers (tools/peers.sh installs them): the
//! handshake a `ws` server sees, and `-l --echo` serving a `ws` client.
#![cfg(feature = "interop")]

mod support;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use support::{run_piped, text, wscat, Running};

fn node_tool(name: &str) -> PathBuf {
    let tools = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/node"));
    assert!(
        tools.join("node_modules/ws").is_dir(),
        "npm package ws is missing: run tools/peers.sh"
    );
    tools.join(name)
}

/// A `ws` server that reports each request as JSON (`?info`).
#[tokio::test]
async fn a_ws_server_sees_the_headers_and_subprotocol() {
    let mut server = Running(
        Command::new("node")
            .arg(node_tool("ws_server.js"))
            .args(["--protocols", "superchat"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(server.0.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line.trim().strip_prefix("listening ").unwrap().to_owned();
    let output = run_piped(
        &[
            "-c",
            &format!("127.0.0.1:{port}/room?info"),
            "-H",
            "X-Custom: one",
            "-s",
            "chat",
            "-s",
            "superchat",
            "-o",
            "https://origin.test",
            "--auth",
            "me:secret",
            "-x",
            "ping me",
            "-w",
            "1",
        ],
        "",
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    let mut lines = stdout.lines();
    let info = lines.next().unwrap();
    for expected in [
        "\"url\":\"/room?info\"",
        "\"x-custom\":\"one\"",
        "\"sec-websocket-protocol\":\"chat, superchat\"",
        "\"origin\":\"https://origin.test\"",
        "\"authorization\":\"Basic bWU6c2VjcmV0\"",
        "\"protocol\":\"superchat\"",
        // permessage-deflate is offered by default, as ws does.
        "permessage-deflate",
    ] {
        assert!(info.contains(expected), "{expected} not in {info}");
    }
    assert_eq!(lines.next(), Some("ping me"));
}

/// `wscat -l 0 --echo` passes ws_echo_check.js: text, binary and 1 MiB
/// come back identical, and the close is answered.
#[tokio::test]
async fn listen_echo_serves_a_ws_client() {
    let mut server = Running(
        wscat()
            .args(["-l", "0", "--echo"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut line = String::new();
    BufReader::new(server.0.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .strip_prefix("Listening on port ")
        .unwrap()
        .to_owned();
    let check = Command::new("node")
        .arg(node_tool("ws_echo_check.js"))
        .arg(format!("ws://127.0.0.1:{port}"))
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "{}{}",
        text(&check.stdout),
        text(&check.stderr)
    );
}
