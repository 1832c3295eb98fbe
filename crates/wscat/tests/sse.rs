//! `wscat --sse` when the stream keeps failing: a server that sends
//! `retry: 0` and hangs up is not hammered, and each reconnection is said
//! on stderr with why.

mod support;

use std::process::{Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use support::{text, wscat};
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
    let (output, running) = run_for(&["--sse", &url], Duration::from_secs(3)).await;
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
