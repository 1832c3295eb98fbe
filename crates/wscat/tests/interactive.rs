//! wscat at a terminal, through tmux: the prompt, a message arriving while
//! a line is half typed (printed above it, the typed text kept), the
//! history file, Ctrl+D closing cleanly.

mod support;

use futures_util::StreamExt;
use std::process::Command;
use std::time::{Duration, Instant};
use wsdriver_tokio::{Message, WebSocketServer};

/// A tmux session running one command, killed (by name) when dropped.
struct Tmux {
    name: String,
}

impl Tmux {
    fn start(command: &str, data_home: &std::path::Path) -> Tmux {
        let name = format!("wscat-test-{}", std::process::id());
        let status = Command::new("tmux")
            .args(["new-session", "-d", "-s", &name, "-x", "100", "-y", "20"])
            .args(["-e", &format!("XDG_DATA_HOME={}", data_home.display())])
            .args(["-e", "NO_COLOR=1"])
            .arg(command)
            .status()
            .expect("tmux is installed (tools/peers.sh installs it)");
        assert!(status.success());
        Tmux { name }
    }

    fn keys(&self, keys: &[&str]) {
        let status = Command::new("tmux")
            .args(["send-keys", "-t", &self.name])
            .args(keys)
            .status()
            .unwrap();
        assert!(status.success());
    }

    fn screen(&self) -> String {
        let output = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Waits until the screen shows `what`; the screen when it does.
    async fn wait_for(&self, what: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if what(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < support::LIMIT,
                "the screen never showed it:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .status();
    }
}

#[tokio::test]
async fn a_message_prints_above_the_line_being_typed() {
    let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let data_home = std::env::temp_dir().join(format!("wscat-tty-{}", std::process::id()));
    std::fs::create_dir_all(&data_home).unwrap();
    let exit_file = data_home.join("exit");
    let command = format!(
        "{} -c {url}; echo $? > {}; sleep 30",
        env!("CARGO_BIN_EXE_wscat"),
        exit_file.display()
    );
    let tmux = Tmux::start(&command, &data_home);
    let mut socket = tokio::time::timeout(support::LIMIT, server.accept())
        .await
        .unwrap()
        .unwrap();
    tmux.wait_for(|screen| screen.contains("Connected (press CTRL+C to quit)"))
        .await;
    // (tmux trims the prompt's trailing space.)
    tmux.wait_for(|screen| screen.lines().any(|line| line == ">"))
        .await;

    // Half a line typed, then a message arrives.
    tmux.keys(&["-l", "hello wor"]);
    tmux.wait_for(|screen| screen.contains("> hello wor")).await;
    socket.send("news from the server").await.unwrap();
    let screen = tmux
        .wait_for(|screen| screen.contains("< news from the server"))
        .await;
    // The message is on a line of its own, above the prompt, and the
    // prompt still holds what was typed.
    let lines: Vec<&str> = screen.lines().filter(|line| !line.is_empty()).collect();
    let news = lines
        .iter()
        .position(|line| *line == "< news from the server")
        .unwrap_or_else(|| panic!("{screen}"));
    assert_eq!(lines.get(news + 1), Some(&"> hello wor"), "{screen}");

    // The line is finished and sent whole.
    tmux.keys(&["-l", "ld"]);
    tmux.keys(&["Enter"]);
    let message = tokio::time::timeout(support::LIMIT, socket.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(message, Message::from("hello world"));

    // Ctrl+D at an empty prompt closes with 1000 and exits 0.
    tmux.wait_for(|screen| screen.lines().any(|line| line == ">" || line == "> "))
        .await;
    tmux.keys(&["C-d"]);
    assert_eq!(
        tokio::time::timeout(support::LIMIT, socket.next())
            .await
            .unwrap()
            .map(|m| m.is_ok()),
        None
    );
    let event = socket.websocket().close_event().unwrap();
    assert_eq!((event.code.as_u16(), event.clean), (1000, true));
    let started = Instant::now();
    while !exit_file.exists() {
        assert!(started.elapsed() < support::LIMIT, "wscat did not exit");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(std::fs::read_to_string(&exit_file).unwrap().trim(), "0");
    // The history is kept in the data folder for the next run.
    let history = std::fs::read_to_string(data_home.join("wscat/history")).unwrap();
    assert!(
        history.lines().any(|line| line == "hello world"),
        "{history:?}"
    );
    drop(tmux);
    std::fs::remove_dir_all(&data_home).unwrap();
}
