//! The peers of the demo's interop tests: a `redis-server` of their own
//! and chat processes (the example binary), each killed when dropped.

#![allow(dead_code)] // each test file uses part of it

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process, killed on drop.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `redis-server` on a free port, saving nothing.
pub struct RedisServer {
    pub url: String,
    _process: Killed,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let port = free_port();
        let process = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (tools/peers.sh installs it)");
        let process = Killed(process);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ping(port) {
                break;
            }
            assert!(Instant::now() < deadline, "redis-server answers PING");
            std::thread::sleep(Duration::from_millis(50));
        }
        RedisServer {
            url: format!("redis://127.0.0.1:{port}"),
            _process: process,
        }
    }
}

fn ping(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let mut answer = [0; 7];
    stream.write_all(b"PING\r\n").is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && &answer == b"+PONG\r\n"
}

/// The chat example, built next to this test by `cargo test` (which
/// builds the examples with the tests).
fn chat_binary() -> PathBuf {
    let exe = std::env::current_exe().expect("the test's path");
    let profile = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/PROFILE");
    let chat = profile
        .join("examples")
        .join(format!("chat{}", std::env::consts::EXE_SUFFIX));
    assert!(
        chat.is_file(),
        "{} is missing: run `cargo build -p wsdriver-demo --example chat` (cargo test builds it)",
        chat.display()
    );
    chat
}

/// A chat process on a free port, in memory or over `redis`.
pub struct Chat {
    pub url: String,
    _process: Killed,
}

impl Chat {
    pub fn start(redis: Option<&str>) -> Chat {
        let mut command = Command::new(chat_binary());
        command.arg("127.0.0.1:0");
        if let Some(url) = redis {
            command.args(["--redis", url]);
        }
        let mut process = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the chat example runs");
        let mut stderr = BufReader::new(process.stderr.take().expect("piped"));
        let process = Killed(process);
        // "chat on http://ADDR/ ...": the port it got.
        let mut line = String::new();
        stderr.read_line(&mut line).expect("chat's first line");
        let url = line
            .strip_prefix("chat on ")
            .and_then(|rest| rest.split('/').nth(2))
            .map(|addr| format!("http://{addr}"))
            .unwrap_or_else(|| panic!("chat did not start: {line:?}"));
        // Keep draining (and showing) what it says.
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                eprintln!("chat: {line}");
            }
        });
        Chat {
            url,
            _process: process,
        }
    }
}
