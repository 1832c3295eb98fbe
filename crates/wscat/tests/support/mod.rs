//! What the wscat tests share: running the binary piped, with a deadline,
//! and in-process servers made with wsdriver-tokio.
#![allow(dead_code)]

use futures_util::StreamExt;
use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsdriver_tokio::{Message, ServerSocket, WebSocketServer};

/// Longer than any test should take: a hung wscat fails the test.
pub const LIMIT: Duration = Duration::from_secs(20);

pub fn wscat() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_wscat"));
    command.env_remove("NO_COLOR");
    command
}

/// Runs wscat with `args`, `stdin` piped in, to its end (killed past
/// [`LIMIT`]).
pub async fn run_piped(args: &[&str], stdin: &str) -> Output {
    let mut command = wscat();
    command
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let stdin = stdin.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("wscat runs");
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin.as_bytes()).unwrap();
        drop(input);
        let id = child.id();
        let watchdog = std::thread::spawn(move || {
            std::thread::sleep(LIMIT);
            // Past the limit: end this child (by its id) so the test fails
            // rather than hangs.
            let _ = Command::new("kill").arg(id.to_string()).status();
        });
        let output = child.wait_with_output().unwrap();
        drop(watchdog);
        output
    })
    .await
    .unwrap()
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// What an in-process server saw: the messages, and how each connection
/// closed (code and reason).
#[derive(Clone, Default)]
pub struct Seen {
    pub messages: Arc<Mutex<Vec<Message>>>,
    pub closes: Arc<Mutex<Vec<(u16, String)>>>,
}

/// An echo server on 127.0.0.1 (its URL, and what it saw), with `build`
/// shaping it (protocols, TLS...); `hello` is sent to each client first.
pub async fn echo_server_with(
    build: impl FnOnce(wsdriver_tokio::ServerBuilder) -> wsdriver_tokio::ServerBuilder,
    scheme: &str,
) -> (String, Seen, WebSocketServer) {
    let server = build(WebSocketServer::builder())
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("{scheme}://{}/", server.local_addr());
    let seen = Seen::default();
    let (acceptor, record) = (server.clone(), seen.clone());
    tokio::spawn(async move {
        while let Some(socket) = acceptor.accept().await {
            tokio::spawn(echo(socket, record.clone()));
        }
    });
    (url, seen, server)
}

pub async fn echo_server() -> (String, Seen, WebSocketServer) {
    echo_server_with(|builder| builder, "ws").await
}

async fn echo(mut socket: ServerSocket, seen: Seen) {
    while let Some(Ok(message)) = socket.next().await {
        seen.messages.lock().unwrap().push(message.clone());
        if socket.send(message).await.is_err() {
            break;
        }
    }
    if let Some(event) = socket.websocket().close_event() {
        seen.closes
            .lock()
            .unwrap()
            .push((event.code.as_u16(), event.reason.clone()));
    }
}

/// A port nothing listens on (bound, then let go).
pub fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

/// A wscat left running (a server), ended by its id when dropped, even
/// when the test fails.
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `wscat -l 0` from `command` (stderr piped, the rest as the
/// caller set it) and returns it with the port it says it listens on; the
/// rest of its stderr is drained.
pub fn listening(command: &mut Command) -> (Running, u16) {
    use std::io::{BufRead, BufReader};
    let mut server = Running(
        command
            .args(["-l", "0"])
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut stderr = BufReader::new(server.0.stderr.take().unwrap());
    let mut line = String::new();
    stderr.read_line(&mut line).unwrap();
    let port = line
        .trim()
        .strip_prefix("Listening on port ")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|port| port.parse().ok())
        .unwrap_or_else(|| panic!("{line:?}"));
    std::thread::spawn(move || for _ in stderr.lines() {});
    (server, port)
}

pub mod tmux;
