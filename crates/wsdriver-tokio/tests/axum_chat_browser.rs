//! The axum_chat example's page in headless Chromium
//! (`tools/node/xss_browser_test.js`, puppeteer-core; tools/peers.sh
//! installs both): a message of HTML that would run script is shown as
//! text in both tabs, and the title it would have changed stays.
#![cfg(all(feature = "interop", feature = "axum"))]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

/// The example, built next to this test by `cargo test` (which builds the
/// examples with the tests).
fn axum_chat() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/PROFILE");
    let example = profile
        .join("examples")
        .join(format!("axum_chat{}", std::env::consts::EXE_SUFFIX));
    assert!(
        example.is_file(),
        "{} is missing: run `cargo build -p wsdriver-tokio --features axum --example axum_chat`",
        example.display()
    );
    example
}

#[test]
fn a_message_is_shown_as_text() {
    assert!(
        root()
            .join("tools/node/node_modules/puppeteer-core")
            .is_dir(),
        "npm puppeteer-core is missing: run tools/peers.sh"
    );
    let mut server = Command::new(axum_chat())
        .arg("127.0.0.1:0")
        .stderr(Stdio::piped())
        .spawn()
        .expect("axum_chat runs");
    let mut stderr = BufReader::new(server.stderr.take().expect("piped"));
    let _server = Killed(server);
    // "axum_chat on http://ADDR/"
    let mut line = String::new();
    stderr.read_line(&mut line).expect("axum_chat's first line");
    let url = line
        .trim()
        .strip_prefix("axum_chat on ")
        .unwrap_or_else(|| panic!("axum_chat did not start: {line:?}"))
        .to_owned();

    let output = Command::new("node")
        .arg(root().join("tools/node/xss_browser_test.js"))
        .arg(&url)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the browser test failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // Both tabs showed the message literally, their title unchanged.
    assert_eq!(
        stdout.matches(r#""title":"wsdriver chat""#).count(),
        2,
        "{stdout}"
    );
    assert_eq!(stdout.matches(r#""images":0"#).count(), 2, "{stdout}");
}
