//! Event streams under `wsdriver_tokio::serve` leave hyper once their
//! head is out (issue 24: an idle stream cost 18 KB under hyper, mostly
//! its two 8 KiB buffers, against 2.5 KB for an idle WebSocket). Heap is
//! counted by a wrapping allocator (`counting`).
#![cfg(feature = "axum")]

use axum::extract::Request;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use futures_util::StreamExt;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, RwLock, RwLockReadGuard};
use tokio::time::timeout;
use wsdriver_tokio::{
    event_stream, serve, EventSource, EventSourceOptions, EventStream, EventStreamOptions,
};

mod counting;

#[global_allocator]
static ALLOCATOR: counting::Counting = counting::Counting;

/// The heap test measures the whole process: the other tests of this
/// binary (which `cargo test` runs on threads beside it) hold this shared
/// while they run, and it holds it alone.
static HEAP: RwLock<()> = RwLock::const_new(());

async fn sharing() -> RwLockReadGuard<'static, ()> {
    HEAP.read().await
}

const WAIT: Duration = Duration::from_secs(5);
const REQUEST: &[u8] =
    b"GET /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n\r\n";

/// An app with a page at `/` and an event stream at `/events`, whose
/// handles come out of `opened`.
async fn app() -> (SocketAddr, mpsc::UnboundedReceiver<EventStream>) {
    let (opened, streams) = mpsc::unbounded_channel();
    let events = move |request: Request| {
        let opened = opened.clone();
        async move {
            // No keepalive comments: an idle stream stays silent.
            let options = EventStreamOptions::default()
                .ping(None)
                .retry(Duration::from_millis(100));
            let (response, stream) = event_stream(&request, options).unwrap();
            opened.send(stream).unwrap();
            response.into_response()
        }
    };
    let router = Router::new()
        .route("/", get(|| async { "page" }))
        .route("/events", get(events));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(serve(listener, router));
    (addr, streams)
}

/// Reads until `needle` has arrived; all that came.
async fn read_until(stream: &mut TcpStream, got: &mut Vec<u8>, needle: &[u8]) {
    let mut buf = [0; 4096];
    while !got.windows(needle.len()).any(|w| w == needle) {
        let n = timeout(WAIT, stream.read(&mut buf))
            .await
            .unwrap_or_else(|_| {
                panic!(
                    "no {:?} in {:?}",
                    String::from_utf8_lossy(needle),
                    String::from_utf8_lossy(got)
                )
            })
            .unwrap();
        assert!(
            n > 0,
            "closed before {:?}: {:?}",
            String::from_utf8_lossy(needle),
            String::from_utf8_lossy(got)
        );
        got.extend_from_slice(&buf[..n]);
    }
}

async fn read_to_close(stream: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    timeout(WAIT, stream.read_to_end(&mut got))
        .await
        .expect("still open")
        .unwrap();
    got
}

async fn next_stream(streams: &mut mpsc::UnboundedReceiver<EventStream>) -> EventStream {
    timeout(WAIT, streams.recv()).await.unwrap().unwrap()
}

#[tokio::test]
async fn events_go_out_as_chunks_and_the_end_as_the_last_chunk() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(REQUEST).await.unwrap();
    let events = next_stream(&mut streams).await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"\r\n\r\n").await;
    let head = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/event-stream"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("connection: close"), "{head}");
    got.clear();

    events
        .send_event(Some("chat"), "hello", Some("7"))
        .await
        .unwrap();
    let event = b"event: chat\nid: 7\ndata: hello\n\n";
    read_until(&mut client, &mut got, b"data: hello\n\n\r\n").await;
    let expected = [format!("{:x}\r\n", event.len()).as_bytes(), event, b"\r\n"].concat();
    assert!(
        got.ends_with(&expected),
        "{:?} does not end with {:?}",
        String::from_utf8_lossy(&got),
        String::from_utf8_lossy(&expected)
    );

    events.close();
    let rest = read_to_close(&mut client).await;
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "{:?}",
        String::from_utf8_lossy(&rest)
    );
}

#[tokio::test]
async fn our_event_source_resumes_after_a_served_stream_ends() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    let url = format!("http://{addr}/events");
    let mut source = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
    // The client connects when polled: read it in a task of its own.
    let (received, mut events) = mpsc::unbounded_channel();
    let reader = tokio::spawn(async move {
        while let Some(Ok(event)) = source.next().await {
            if received.send(event).is_err() {
                break;
            }
        }
    });
    let first = next_stream(&mut streams).await;
    first.send_event(None, "one", Some("1")).await.unwrap();
    let event = timeout(WAIT, events.recv()).await.unwrap().unwrap();
    assert_eq!((event.data.as_str(), event.id.as_str()), ("one", "1"));
    // The last chunk ends the stream; the client comes back with the id.
    first.close();
    let second = next_stream(&mut streams).await;
    assert_eq!(second.last_event_id(), Some("1"));
    second.send("two").await.unwrap();
    let event = timeout(WAIT, events.recv()).await.unwrap().unwrap();
    assert_eq!(event.data, "two");
    reader.abort();
}

#[tokio::test]
async fn a_client_that_leaves_an_idle_stream_is_seen_at_once() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(REQUEST).await.unwrap();
    let events = next_stream(&mut streams).await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"\r\n\r\n").await;
    assert!(events.is_open());
    drop(client);
    timeout(WAIT, events.closed())
        .await
        .expect("the stream did not see its client leave");
    assert!(events.send("anyone?").await.is_err());
}

#[tokio::test]
async fn a_client_sending_data_on_its_event_stream_is_cut_past_64_kib() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(REQUEST).await.unwrap();
    let events = next_stream(&mut streams).await;
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"\r\n\r\n").await;
    // A little is thrown away and the stream goes on...
    client.write_all(&[b'x'; 1000]).await.unwrap();
    events.send("still here").await.unwrap();
    read_until(&mut client, &mut got, b"data: still here").await;
    // ...a flood is not.
    let _ = client.write_all(&vec![b'x'; 128 * 1024]).await;
    timeout(WAIT, events.closed())
        .await
        .expect("a client flooding its event stream was kept");
}

#[tokio::test]
async fn an_event_stream_after_a_page_on_the_same_connection() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"page").await;
    got.clear();
    client.write_all(REQUEST).await.unwrap();
    let events = next_stream(&mut streams).await;
    read_until(&mut client, &mut got, b"\r\n\r\n").await;
    assert!(
        got.starts_with(b"HTTP/1.1 200"),
        "{:?}",
        String::from_utf8_lossy(&got)
    );
    events.send("after the page").await.unwrap();
    read_until(&mut client, &mut got, b"data: after the page\n\n\r\n").await;
}

#[tokio::test]
async fn http_1_0_and_head_requests_stay_with_hyper() {
    let _heap = sharing().await;
    let (addr, mut streams) = app().await;
    // HTTP/1.0 has no chunks: hyper writes the body until it closes.
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"GET /events HTTP/1.0\r\nAccept: text/event-stream\r\n\r\n")
        .await
        .unwrap();
    let events = next_stream(&mut streams).await;
    events.send("old").await.unwrap();
    let mut got = Vec::new();
    read_until(&mut client, &mut got, b"data: old\n\n").await;
    let text = String::from_utf8_lossy(&got).to_ascii_lowercase();
    assert!(text.starts_with("http/1.0 200"), "{text}");
    assert!(!text.contains("transfer-encoding"), "{text}");
    events.close();
    read_to_close(&mut client).await;

    // A HEAD gets the head alone.
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(b"HEAD /events HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let _head_stream = next_stream(&mut streams).await;
    let got = read_to_close(&mut client).await;
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("\r\n\r\n"), "{text}");
}

/// The measure that matters: heap per idle stream, server and client
/// sides together, in one process.
#[tokio::test(flavor = "current_thread")]
async fn an_idle_event_stream_keeps_none_of_hyper_s_buffers() {
    let _alone = HEAP.write().await;
    const STREAMS: usize = 200;
    let (addr, mut streams) = app().await;
    // One stream first, so that what is allocated once is not counted.
    let mut warm = TcpStream::connect(addr).await.unwrap();
    warm.write_all(REQUEST).await.unwrap();
    let _warm_events = next_stream(&mut streams).await;
    read_until(&mut warm, &mut Vec::new(), b"\r\n\r\n").await;
    tokio::time::sleep(Duration::from_millis(50)).await;

    let before = counting::in_use();
    let mut open = Vec::with_capacity(STREAMS);
    for _ in 0..STREAMS {
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(REQUEST).await.unwrap();
        let events = next_stream(&mut streams).await;
        read_until(&mut client, &mut Vec::new(), b"\r\n\r\n").await;
        open.push((client, events));
    }
    // Let every connection's task settle after its head went out.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let per_stream = (counting::in_use() - before) / STREAMS;
    eprintln!("{per_stream} bytes of heap per idle event stream under serve (both ends)");
    assert!(
        per_stream < 4 * 1024,
        "{per_stream} bytes per idle event stream: hyper's buffers are still held"
    );

    // And it comes back when they leave.
    drop(open);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        if counting::in_use() <= before + 16 * 1024 {
            return;
        }
    }
    let left = counting::in_use().saturating_sub(before);
    panic!("{left} bytes stayed after {STREAMS} streams closed");
}
