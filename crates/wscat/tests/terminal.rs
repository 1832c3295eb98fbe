//! What wscat leaves on a real terminal (tmux): a server cannot drive it
//! with escape sequences, and the terminal is left fit for the shell.
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
                while socket.next_incoming().await.is_some() {}
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
