//! `wscat --sse` when the stream keeps failing: a server that sends
//! `retry: 0` and hangs up is not hammered, each reconnection is said on
//! stderr with why, and after 5 failed attempts in a row wscat gives up
//! (unless --retry-forever).

mod support;

use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{closed_port, text, wscat};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that answers every request with an event stream holding only
/// `retry: 0`, then hangs up; its URL and how many requests it has had.
async fn retry_zero_server() -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counted = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = [0; 2048];
                let _ = socket.read(&mut request).await;
                let _ = socket
                    .write_all(
                        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nretry: 0\n\n",
                    )
                    .await;
            });
        }
    });
    (url, count)
}

/// Runs wscat with `args` for `run` (then ends it, by its id), or until
/// it exits; its output, and whether it was still running.
async fn run_for(args: &[&str], run: Duration) -> (Output, bool) {
    let mut command = wscat();
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    tokio::task::spawn_blocking(move || {
        let mut child = command.spawn().expect("wscat runs");
        let started = std::time::Instant::now();
        let mut running = true;
        while started.elapsed() < run {
            if child.try_wait().unwrap().is_some() {
                running = false;
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if running {
            child.kill().unwrap();
        }
        (child.wait_with_output().unwrap(), running)
    })
    .await
    .unwrap()
}

/// 37,397 reconnections in 45 s, once: now, in 3 s, attempts at 0, 0.25,
/// 0.75 and 1.75 s, each failure said with its cause and its delay.
#[tokio::test]
async fn retry_zero_and_a_hang_up_is_retried_a_few_times_and_said() {
    let (url, count) = retry_zero_server().await;
    let (output, running) =
        run_for(&["--sse", &url, "--retry-forever"], Duration::from_secs(3)).await;
    let stderr = text(&output.stderr);
    assert!(running, "{stderr}");
    let attempts = count.load(Ordering::SeqCst);
    assert!((3..=5).contains(&attempts), "{attempts} attempts in 3 s");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..3],
        [
            "error: attempt 1 failed: the server ended the stream; reconnecting in 250 ms",
            "error: attempt 2 failed: the server ended the stream; reconnecting in 500 ms",
            "error: attempt 3 failed: the server ended the stream; reconnecting in 1 s",
        ],
        "{stderr}"
    );
    assert_eq!(text(&output.stdout), "");
}

/// A closed port: each refused attempt is said, the waits double (1, 2,
/// 4, 8 s), and the fifth refusal ends wscat with exit status 1.
#[tokio::test]
async fn a_closed_port_is_tried_five_times_then_wscat_gives_up() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let started = std::time::Instant::now();
    let (output, running) = run_for(&["--sse", &url], Duration::from_secs(60)).await;
    let took = started.elapsed();
    let stderr = text(&output.stderr);
    assert!(!running, "still trying after a minute:\n{stderr}");
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 5, "{stderr}");
    for (n, after) in [(1, "1 s"), (2, "2 s"), (3, "4 s"), (4, "8 s")] {
        let line = lines[n - 1];
        let refused = format!("error: attempt {n} of 5 failed: network error: Connection refused");
        assert!(line.starts_with(&refused), "{line}");
        assert!(
            line.ends_with(&format!("; reconnecting in {after}")),
            "{line}"
        );
    }
    assert!(
        lines[4].starts_with(
            "error: gave up after 5 failed attempts in a row: network error: Connection refused"
        ),
        "{stderr}"
    );
    assert!(took >= Duration::from_secs(15), "gave up after {took:?}");
    assert_eq!(text(&output.stdout), "");
}

/// --retry-forever: the attempts go on past any bound, each said without
/// one.
#[tokio::test]
async fn retry_forever_keeps_trying_a_closed_port() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let (output, running) =
        run_for(&["--sse", &url, "--retry-forever"], Duration::from_secs(5)).await;
    let stderr = text(&output.stderr);
    assert!(running, "wscat ended:\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 3, "attempts at 0, 1 and 3 s:\n{stderr}");
    for (n, line) in lines.iter().enumerate() {
        let refused = format!(
            "error: attempt {} failed: network error: Connection refused",
            n + 1
        );
        assert!(line.starts_with(&refused), "{line}");
    }
}
