//! Slow event-stream readers are cut (issue 24: 2,000 readers that never
//! read held +372 MiB, 190 KiB each, and none was ever dropped). A client
//! that reads nothing, over real TCP: its producer's sends fail within the
//! stall timeout of the buffer filling, on a raw stream and through axum.

use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wsdriver_tokio::{accept_event_stream, Error, EventStream, EventStreamOptions};

const STALL: Duration = Duration::from_millis(500);

fn options() -> EventStreamOptions {
    EventStreamOptions::default()
        .max_buffered(16 * 1024)
        .stall_timeout(Some(STALL))
}

/// Connects, asks for `path` as an event stream, and never reads.
async fn silent_reader(addr: SocketAddr, path: &str) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            format!("GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
    stream
}

/// Sends 1 KiB events as fast as they are taken until a send fails;
/// returns how long after the first blocked send that was, and the error.
async fn produce_until_cut(stream: &EventStream) -> (Duration, Error) {
    let data = "x".repeat(1024);
    let mut blocked_since = None;
    loop {
        let started = Instant::now();
        let sent = tokio::time::timeout(Duration::from_secs(30), stream.send(&data))
            .await
            .expect("a send that never returns: the stream was never cut");
        if started.elapsed() > Duration::from_millis(50) {
            blocked_since.get_or_insert(started);
        }
        if let Err(error) = sent {
            let since = blocked_since.unwrap_or(started);
            return (since.elapsed(), error);
        }
    }
}

#[tokio::test]
async fn a_raw_stream_that_is_never_read_is_cut_after_its_stall_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let client = tokio::spawn(async move { silent_reader(addr, "/events").await });
    let (stream, _) = listener.accept().await.unwrap();
    let events = accept_event_stream(stream, wsdriver_tokio::ServerOptions::default(), options())
        .await
        .unwrap();
    let _client = client.await.unwrap();
    let (took, error) = produce_until_cut(&events).await;
    assert!(matches!(error, Error::Closed), "{error:?}");
    assert!(took < STALL * 6, "cut {took:?} after sends began to wait");
    assert!(!events.is_open());
    assert!(events.is_stalled(), "the stream says why it ended");
    assert_eq!(events.buffered_amount(), 0, "what it held is dropped");
}

#[cfg(feature = "axum")]
#[tokio::test]
async fn an_axum_stream_that_is_never_read_is_cut_after_its_stall_timeout() {
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use tokio::sync::mpsc;
    use wsdriver_tokio::event_stream;

    let (opened, mut streams) = mpsc::unbounded_channel();
    let app = axum::Router::new().route(
        "/events",
        get(move |request: axum::extract::Request| {
            let opened = opened.clone();
            async move {
                let (response, stream) = event_stream(&request, options()).unwrap();
                opened.send(stream).unwrap();
                let response: Response = response.into_response();
                response
            }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(wsdriver_tokio::serve(listener, app));
    let _client = silent_reader(addr, "/events").await;
    let events = streams.recv().await.unwrap();
    let (took, error) = produce_until_cut(&events).await;
    assert!(matches!(error, Error::Closed), "{error:?}");
    assert!(took < STALL * 6, "cut {took:?} after sends began to wait");
    assert!(events.is_stalled(), "the stream says why it ended");
    assert_eq!(events.buffered_amount(), 0, "what it held is dropped");
}
