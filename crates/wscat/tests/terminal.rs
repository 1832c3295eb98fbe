//! What wscat leaves on a real terminal (tmux): a server cannot drive it
//! with escape sequences, and the terminal is left fit for the shell
//! after Ctrl+C or Ctrl+D.
#![cfg(feature = "interop")]

mod support;

use support::tmux::Tmux;
use wsdriver_tokio::WebSocketServer;

/// What a hostile server sends: OSC 0 (set the title) ended by BEL, then
/// SGR red, text, and SGR reset.
const ATTACK: &str = "\x1b]0;PWNED-BY-SERVER\x07\x1b[31mred text\x1b[0m";
/// How wscat shows it on a terminal.
const ESCAPED: &str = r"\x1b]0;PWNED-BY-SERVER\x07\x1b[31mred text\x1b[0m";

/// A server that sends [`ATTACK`] to each client, then waits for it to
/// leave; its URL.
async fn attacking_server() -> (String, WebSocketServer) {
    let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let acceptor = server.clone();
    tokio::spawn(async move {
        while let Some(mut socket) = acceptor.accept().await {
            tokio::spawn(async move {
                socket.send(ATTACK).await.unwrap();
                while socket.websocket_mut().next_incoming().await.is_some() {}
            });
        }
    });
    (url, server)
}

/// At the prompt, and with -x (stdout a terminal, no prompt), the message
/// shows escaped: the pane's title stays and no colour reaches the
/// screen. With --no-escape the bytes go through, and the title changes:
/// the check can see an attack that works.
#[tokio::test]
async fn a_server_cannot_set_the_title_or_colours() {
    let (url, _server) = attacking_server().await;
    let wscat = env!("CARGO_BIN_EXE_wscat");
    let data_home = std::env::temp_dir().join(format!("wscat-escape-{}", std::process::id()));
    std::fs::create_dir_all(&data_home).unwrap();
    let env = [("XDG_DATA_HOME", data_home.to_str().unwrap())];
    for (how, command) in [
        ("prompt", format!("{wscat} -c {url}")),
        ("-x", format!("{wscat} -c {url} -x hi -w 5")),
    ] {
        let tmux = Tmux::start(&format!("{command}; sleep 30"), &env);
        let before = tmux.title();
        assert!(!before.contains("PWNED"), "{before:?}");
        let screen = tmux.wait_for(|screen| screen.contains(ESCAPED)).await;
        // Give the terminal every chance to have acted on it.
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert_eq!(tmux.title(), before, "{how}: the title changed:\n{screen}");
        let coloured = tmux.screen_with_attributes();
        assert!(
            !coloured.contains("\x1b[31m"),
            "{how}: the server's red reached the screen:\n{coloured:?}"
        );
    }
    let tmux = Tmux::start(&format!("{wscat} --no-escape -c {url}; sleep 30"), &env);
    tmux.wait_for(|screen| screen.contains("red text")).await;
    let started = std::time::Instant::now();
    while tmux.title() != "PWNED-BY-SERVER" {
        assert!(
            started.elapsed() < support::LIMIT,
            "--no-escape: the title is {:?}",
            tmux.title()
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    drop(tmux);
    std::fs::remove_dir_all(&data_home).unwrap();
}

/// wscat at the prompt, run by a shell that prints `AFTER-MARK` once it
/// exits; a line is sent and echoed, then `end` ends the session. The
/// screen once the mark shows: `Disconnected` and the mark each whole on
/// a line of their own, in that order, and what came before kept.
async fn the_shell_gets_the_terminal_back(end: &str) {
    let (url, _seen, _server) = support::echo_server().await;
    let data_home = std::env::temp_dir().join(format!("wscat-after-{}-{end}", std::process::id()));
    std::fs::create_dir_all(&data_home).unwrap();
    let command = format!(
        "sh -c '{} -c {url}; echo AFTER-MARK; sleep 30'",
        env!("CARGO_BIN_EXE_wscat")
    );
    let tmux = Tmux::start(&command, &[("XDG_DATA_HOME", data_home.to_str().unwrap())]);
    tmux.wait_for(|screen| screen.lines().any(|line| line == ">"))
        .await;
    tmux.keys(&["-l", "hello"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for(|screen| screen.contains("< hello")).await;
    tmux.keys(&[end]);
    tmux.wait_for(|screen| screen.contains("AFTER-MARK")).await;
    // Whatever the shell would print next has been printed.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let screen = tmux.screen();
    let lines: Vec<&str> = screen.lines().map(str::trim_end).collect();
    let disconnected = lines
        .iter()
        .position(|line| *line == r#"Disconnected (code: 1000, reason: "")"#)
        .unwrap_or_else(|| panic!("{end}: no whole Disconnected line:\n{screen}"));
    assert_eq!(
        lines.get(disconnected + 1),
        Some(&"AFTER-MARK"),
        "{end}: the shell's line is not whole, just below:\n{screen}"
    );
    let kept = ["Connected (press CTRL+C to quit)", "> hello", "< hello"];
    let mut at = 0;
    for line in kept {
        at += lines[at..]
            .iter()
            .position(|seen| *seen == line)
            .unwrap_or_else(|| panic!("{end}: {line:?} is gone:\n{screen}"));
    }
    assert!(at < disconnected, "{end}: out of order:\n{screen}");
    drop(tmux);
    std::fs::remove_dir_all(&data_home).unwrap();
}

#[tokio::test]
async fn ctrl_c_leaves_the_terminal_to_the_shell() {
    the_shell_gets_the_terminal_back("C-c").await;
}

#[tokio::test]
async fn ctrl_d_leaves_the_terminal_to_the_shell() {
    the_shell_gets_the_terminal_back("C-d").await;
}
