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
    port: u16,
    process: Option<Killed>,
}

impl RedisServer {
    pub fn start() -> RedisServer {
        let port = free_port();
        let mut server = RedisServer {
            url: format!("redis://127.0.0.1:{port}"),
            port,
            process: None,
        };
        server.restart();
        server
    }

    /// Kills the server (as an outage would): it forgets everything.
    pub fn kill(&mut self) {
        self.process = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        while ping(self.port) {
            assert!(Instant::now() < deadline, "redis-server went away");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Starts the server again on the same port (empty: it saves nothing).
    pub fn restart(&mut self) {
        assert!(self.process.is_none(), "kill it first");
        let process = Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (tools/peers.sh installs it)");
        self.process = Some(Killed(process));
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if ping(self.port) {
                break;
            }
            assert!(Instant::now() < deadline, "redis-server answers PING");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs one command (`redis-cli`-style words, no spaces inside) on a
    /// connection of its own; returns the raw reply.
    pub fn command(&self, words: &[&[u8]]) -> Vec<u8> {
        let mut request = format!("*{}\r\n", words.len()).into_bytes();
        for word in words {
            request.extend(format!("${}\r\n", word.len()).into_bytes());
            request.extend_from_slice(word);
            request.extend_from_slice(b"\r\n");
        }
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).expect("redis-server");
        stream.write_all(&request).expect("a command sent");
        let mut reply = vec![0; 4096];
        let n = stream.read(&mut reply).expect("a reply");
        reply.truncate(n);
        reply
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

/// The chat example, to run with arguments of a test's choosing.
pub fn chat_command() -> Command {
    Command::new(chat_binary())
}

/// A chat process on a free port, in memory or over `redis`.
pub struct Chat {
    pub url: String,
    process: Killed,
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
        Chat { url, process }
    }

    /// The process's peak resident memory so far, in bytes (Linux).
    pub fn peak_rss(&self) -> u64 {
        self.status_bytes("VmHWM:")
    }

    /// The process's resident memory now, in bytes (Linux).
    pub fn rss(&self) -> u64 {
        self.status_bytes("VmRSS:")
    }

    fn status_bytes(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.process.0.id()))
            .expect("/proc/PID/status");
        let kib: u64 = status
            .lines()
            .find_map(|line| line.strip_prefix(field))
            .and_then(|value| value.trim().strip_suffix("kB"))
            .and_then(|kib| kib.trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in kB"));
        kib * 1024
    }

    /// Kills the process, as a crash would (no leaves are sent).
    pub fn crash(self) {
        drop(self);
    }

    /// The WebSocket URL of `name` in the chat.
    pub fn chat_url(&self, name: &str) -> String {
        format!("{}/chat?name={name}", self.url.replacen("http:", "ws:", 1))
    }
}

/// One person in a chat, over a WebSocket.
pub struct Person {
    pub name: String,
    socket: wsdriver_tokio::WebSocket<wsdriver_tokio::MaybeTlsStream>,
}

impl Person {
    /// Connects as `name` and waits for its own join; returns the join.
    pub async fn join(chat: &Chat, name: &str) -> (Person, serde_json::Value) {
        let socket = wsdriver_tokio::connect(chat.chat_url(name), Default::default())
            .await
            .expect("the chat's WebSocket");
        let mut person = Person {
            name: name.to_owned(),
            socket,
        };
        let joined = person
            .until(|m| m["type"] == "join" && m["name"] == name)
            .await;
        (person, joined)
    }

    pub async fn say(&mut self, text: &str) {
        self.socket.send(text).await.expect("sent");
    }

    /// The next message (entry or notice) within 10 s, as JSON; None once
    /// the socket closed.
    pub async fn next(&mut self) -> Option<serde_json::Value> {
        use futures_util::StreamExt;
        let message = tokio::time::timeout(Duration::from_secs(10), self.socket.next())
            .await
            .unwrap_or_else(|_| panic!("{}: a message within 10 s", self.name))?
            .ok()?;
        let text = message.as_text().expect("text messages");
        Some(serde_json::from_str(text).expect("JSON"))
    }

    /// Messages until one matches; the one that does.
    pub async fn until(
        &mut self,
        mut wanted: impl FnMut(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        loop {
            let message = self
                .next()
                .await
                .unwrap_or_else(|| panic!("{}: closed while waiting", self.name));
            if wanted(&message) {
                return message;
            }
        }
    }

    /// How the socket closed, once [`next`](Self::next) returned None.
    pub fn close_event(&self) -> Option<wsdriver_tokio::CloseEvent> {
        self.socket.close_event().cloned()
    }

    /// The underlying socket, for tests that drive it themselves.
    pub fn into_socket(self) -> wsdriver_tokio::WebSocket<wsdriver_tokio::MaybeTlsStream> {
        self.socket
    }
}
