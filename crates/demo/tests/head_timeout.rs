//! The chat demo cuts silent connections and slowloris heads on each of
//! its routes within its 30 s head timeout (issue 24: under `axum::serve`
//! they were all still open after 95 s). Needs only the demo binary.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};
use support::Chat;

/// The demo's head timeout (wsdriver_tokio::DEFAULT_HEAD_TIMEOUT), and how
/// long past it a connection may stay before the test fails.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
const SLACK: Duration = Duration::from_secs(5);

/// Sends `head` a byte every `every` (nothing at all when empty), and
/// returns how long the server kept the connection.
fn held_for(addr: &str, head: &'static [u8], every: Duration) -> Duration {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(50)))
        .unwrap();
    let started = Instant::now();
    let mut bytes = head.iter();
    let mut next_byte = started;
    let mut buf = [0u8; 1024];
    while started.elapsed() < HEAD_TIMEOUT + SLACK {
        if Instant::now() >= next_byte {
            if let Some(byte) = bytes.next() {
                if stream.write_all(&[*byte]).is_err() {
                    return started.elapsed();
                }
            }
            next_byte += every;
        }
        match stream.read(&mut buf) {
            Ok(0) => return started.elapsed(),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
            Err(_) => return started.elapsed(),
        }
    }
    panic!("{addr}: still open after {:?}", started.elapsed());
}

#[test]
fn silent_and_slowloris_connections_are_cut_on_every_route() {
    let chat = Chat::start(None);
    let addr = chat.url.trim_start_matches("http://").to_owned();
    let heads: [&'static [u8]; 3] = [
        b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        b"GET /chat?name=slow HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nX-Slow: aaaaaaa",
        b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nX-Slow: aaaaaaaa",
    ];
    let mut runs = vec![thread::spawn({
        let addr = addr.clone();
        move || held_for(&addr, b"", Duration::from_secs(1))
    })];
    for head in heads {
        let addr = addr.clone();
        // A byte a second: never idle long, never done.
        runs.push(thread::spawn(move || {
            held_for(&addr, head, Duration::from_secs(1))
        }));
    }
    for run in runs {
        let held = run.join().unwrap();
        assert!(
            held >= HEAD_TIMEOUT - SLACK && held < HEAD_TIMEOUT + SLACK,
            "held for {held:?}"
        );
    }
}
