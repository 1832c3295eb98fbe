//! The EventSource client against a server that sends `retry: 0` and
//! hangs up, over real sockets: the reconnections stay few (the core's
//! floor and backoff), `next_event` says why each happens, and with
//! `max_failed_attempts` the stream ends with the reason.

use futures_util::StreamExt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wsdriver::eventsource::{ClientError, Interruption, SourceEvent, SourceState};
use wsdriver_tokio::{Error, EventSource, EventSourceOptions, TransportOptions};

/// A server that answers every request with an event stream holding only
/// `retry: 0`, then closes; its URL and how many requests it has had.
async fn retry_zero_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
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

/// In 2 s: attempts at 0, 0.25, 0.75 and 1.75 s (the floor, then
/// doubling), not thousands.
#[tokio::test]
async fn retry_zero_and_a_hang_up_reconnects_a_few_times_not_thousands() {
    let (url, count) = retry_zero_server().await;
    let mut events = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(2), events.next()).await;
    assert!(waited.is_err(), "no event, no end: {waited:?}");
    let attempts = count.load(Ordering::SeqCst);
    assert!((3..=5).contains(&attempts), "{attempts} attempts in 2 s");
    assert_eq!(events.reconnection_time(), Duration::ZERO);
}

/// `next_event` tells each opening and each reconnection, with its delay
/// and cause; `max_failed_attempts` ends the stream with `GaveUp`.
#[tokio::test]
async fn next_event_says_why_and_the_bound_ends_the_stream() {
    let (url, count) = retry_zero_server().await;
    let options = EventSourceOptions::default().max_failed_attempts(Some(3));
    let mut events = EventSource::connect(&url, options).unwrap();
    let started = Instant::now();
    let mut seen = Vec::new();
    let end = loop {
        let next = tokio::time::timeout(Duration::from_secs(20), events.next_event())
            .await
            .expect("the stream moves on");
        match next {
            Some(Ok(event)) => seen.push(event),
            other => break other,
        }
    };
    let ms = Duration::from_millis;
    let reconnecting = |after| SourceEvent::Reconnecting {
        after,
        cause: Interruption::EndOfStream,
    };
    assert_eq!(
        seen,
        [
            SourceEvent::Open,
            reconnecting(ms(250)),
            SourceEvent::Open,
            reconnecting(ms(500)),
            SourceEvent::Open,
        ]
    );
    assert!(started.elapsed() >= ms(750), "{:?}", started.elapsed());
    match end {
        Some(Err(Error::EventSource(ClientError::GaveUp { attempts, cause }))) => {
            assert_eq!((attempts, cause), (3, Interruption::EndOfStream));
        }
        other => panic!("expected GaveUp, got {other:?}"),
    }
    assert_eq!(events.ready_state(), SourceState::Closed);
    assert!(events.next_event().await.is_none());
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

/// An attempt whose transport never opens (a proxy that takes the
/// CONNECT and says nothing) is cut by the client machine's one bound and
/// retried, with `Timeout` as the reason (issue 25: the wrapper timed the
/// opening itself, then the machine timed the head afresh).
#[tokio::test]
async fn an_opening_that_never_finishes_is_cut_by_the_machine_and_retried() {
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = proxy.accept().await {
            held.push(stream);
        }
    });
    let limit = Duration::from_millis(300);
    let options = EventSourceOptions::default().transport(
        TransportOptions::default()
            .proxy(wsdriver_tokio::ProxyOptions::new(proxy_url))
            .connect_timeout(Some(limit)),
    );
    let mut source = EventSource::connect("http://example.invalid/events", options).unwrap();
    let started = Instant::now();
    let event = tokio::time::timeout(Duration::from_secs(5), source.next_event())
        .await
        .expect("no event in 5 s")
        .expect("the stream ended")
        .expect("an error instead of an event");
    let elapsed = started.elapsed();
    match event {
        SourceEvent::Reconnecting { cause, .. } => assert_eq!(cause, Interruption::Timeout),
        other => panic!("{other:?}"),
    }
    assert!(
        elapsed >= limit * 9 / 10 && elapsed < limit * 3,
        "{elapsed:?}"
    );
}
