//! The chat example when it cannot start (issue 24): the built binary,
//! its stderr and its exit code. A sentence naming what failed, exit 1;
//! arguments it does not take, the usage and exit 2; and no long wait
//! for a Redis that is not there. No peers: the "Redis" servers here are
//! a closed port and a listener that never answers.

mod support;

use std::io::Read;
use std::net::TcpListener;
use std::process::Stdio;
use std::time::{Duration, Instant};

/// What the example said and how it ended, given `args`; it must end
/// within `limit`.
struct Ended {
    code: Option<i32>,
    stderr: String,
    took: Duration,
}

fn chat(args: &[&str], limit: Duration) -> Ended {
    let started = Instant::now();
    let mut process = support::chat_command()
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the chat example runs");
    let status = loop {
        if let Some(status) = process.try_wait().expect("waits") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = process.kill();
            let _ = process.wait();
            panic!("chat {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut stderr = String::new();
    process
        .stderr
        .take()
        .expect("piped")
        .read_to_string(&mut stderr)
        .expect("stderr");
    Ended {
        code: status.code(),
        stderr,
        took: started.elapsed(),
    }
}

const USAGE: &str = "usage: chat [ADDR] [--redis redis://HOST:PORT]\n";

#[test]
fn an_unknown_option_prints_the_usage() {
    let ended = chat(&["--bogus"], Duration::from_secs(10));
    assert_eq!(ended.code, Some(2));
    assert_eq!(
        ended.stderr,
        format!("chat: unknown option --bogus\n{USAGE}")
    );
    let ended = chat(&["127.0.0.1:0", "--redis"], Duration::from_secs(10));
    assert_eq!(ended.code, Some(2));
    assert_eq!(
        ended.stderr,
        format!("chat: --redis needs a URL (redis://HOST:PORT)\n{USAGE}")
    );
}

#[test]
fn no_redis_is_said_at_once() {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .unwrap()
        .port();
    // Nothing listens there now.
    let url = format!("redis://127.0.0.1:{port}");
    let ended = chat(&["127.0.0.1:0", "--redis", &url], Duration::from_secs(10));
    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    assert_eq!(
        ended.stderr,
        format!("chat: cannot reach Redis at {url}: connection refused\n")
    );
    assert!(ended.took < Duration::from_secs(3), "took {:?}", ended.took);
}

#[test]
fn a_redis_that_does_not_answer_is_given_up_on() {
    // Connections are taken (the backlog) but never answered.
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("redis://{}", silent.local_addr().unwrap());
    let ended = chat(&["127.0.0.1:0", "--redis", &url], Duration::from_secs(15));
    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    assert_eq!(
        ended.stderr,
        format!("chat: cannot reach Redis at {url}: no answer within 4 s\n")
    );
    assert!(ended.took < Duration::from_secs(6), "took {:?}", ended.took);
}

#[test]
fn a_port_in_use_is_said_in_a_sentence() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let ended = chat(&[&addr], Duration::from_secs(10));
    assert_eq!(ended.code, Some(1), "{}", ended.stderr);
    assert_eq!(
        ended.stderr,
        format!(
            "chat: cannot listen on {addr}: the port is in use \
             (another chat, or another server, listens there)\n"
        )
    );
}
