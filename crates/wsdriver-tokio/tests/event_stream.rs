//! The EventSource server: on a raw stream, from `WebSocketServer`, as a
//! hyper body and an axum response; read by a raw TCP client through the
//! core's decoder.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsdriver::eventsource::Decoder;
use wsdriver_tokio::{accept_event_stream, Error, EventStream, EventStreamOptions, ServerOptions};

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

fn request(path: &str, extra: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n{extra}\r\n")
}

/// A client's side: the response head, then events through the decoder
/// (de-chunked when the response is chunked).
struct Reader<S> {
    stream: S,
    buf: Vec<u8>,
    head: String,
    chunked: bool,
    /// A chunked body's last chunk came.
    ended: bool,
    decoder: Decoder,
}

impl<S: AsyncRead + Unpin> Reader<S> {
    async fn open(mut stream: S) -> Self {
        let mut buf = Vec::new();
        let end = loop {
            if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0; 1024];
            let n = stream.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the stream ended in the head");
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8(buf[..end].to_vec()).unwrap();
        let chunked = head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked");
        let mut reader = Reader {
            stream,
            buf: buf[end..].to_vec(),
            head,
            chunked,
            ended: false,
            decoder: Decoder::new(1 << 20),
        };
        reader.feed();
        reader
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.head.lines().find_map(|line| {
            let (n, v) = line.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }

    /// Moves complete body bytes into the decoder.
    fn feed(&mut self) {
        if !self.chunked {
            self.decoder.feed(&self.buf).unwrap();
            self.buf.clear();
            return;
        }
        while let Some(line_end) = self.buf.windows(2).position(|w| w == b"\r\n") {
            let size = std::str::from_utf8(&self.buf[..line_end]).unwrap();
            let size = usize::from_str_radix(size.trim(), 16).unwrap();
            let start = line_end + 2;
            if self.buf.len() < start + size + 2 {
                return;
            }
            self.ended |= size == 0;
            let data = self.buf[start..start + size].to_vec();
            self.decoder.feed(&data).unwrap();
            self.buf.drain(..start + size + 2);
        }
    }

    /// Reads until `n` bytes more of body came or the stream ended;
    /// `false` at its end.
    async fn read_more(&mut self) -> bool {
        let mut chunk = [0; 4096];
        let n = self.stream.read(&mut chunk).await.unwrap_or(0);
        self.buf.extend_from_slice(&chunk[..n]);
        self.feed();
        n > 0
    }

    async fn next_event(&mut self) -> Option<Event> {
        loop {
            if let Some(e) = self.decoder.next_event() {
                return Some((e.event, e.data, e.id));
            }
            if !self.read_more().await {
                return None;
            }
        }
    }

    /// Reads to the end of the stream; what came is in the decoder.
    async fn read_to_end(&mut self) {
        while self.read_more().await {}
    }
}

type Event = (String, String, String);

fn event(event: &str, data: &str, id: &str) -> Event {
    (event.into(), data.into(), id.into())
}

/// A listener whose first connection is answered by `accept_event_stream`.
async fn raw_server(
    options: EventStreamOptions,
) -> (SocketAddr, tokio::task::JoinHandle<EventStream>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        accept_event_stream(stream, ServerOptions::default(), options)
            .await
            .unwrap()
    });
    (addr, server)
}

#[tokio::test]
async fn a_raw_stream_carries_the_head_retry_and_events_in_order() {
    let options = EventStreamOptions::default()
        .retry(Duration::from_millis(1500))
        .header("Access-Control-Allow-Origin", "*");
    let (addr, server) = raw_server(options).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client
        .write_all(request("/events?room=1", "").as_bytes())
        .await
        .unwrap();
    let events = within(server).await.unwrap();
    assert_eq!(events.uri().path(), "/events");
    assert_eq!(events.last_event_id(), None);
    events.send("one").await.unwrap();
    events
        .send_event(Some("chat"), "two\nlines", Some("7"))
        .await
        .unwrap();
    events.close();
    assert!(matches!(events.send("late").await, Err(Error::Closed)));

    let mut reader = within(Reader::open(client)).await;
    assert!(reader.head.starts_with("HTTP/1.1 200 OK\r\n"));
    assert_eq!(reader.header("content-type"), Some("text/event-stream"));
    assert_eq!(reader.header("cache-control"), Some("no-cache, no-store"));
    assert_eq!(reader.header("access-control-allow-origin"), Some("*"));
    within(reader.read_to_end()).await;
    assert_eq!(reader.decoder.retry(), Some(Duration::from_millis(1500)));
    assert_eq!(reader.next_event().await, Some(event("message", "one", "")));
    assert_eq!(
        reader.next_event().await,
        Some(event("chat", "two\nlines", "7"))
    );
    assert_eq!(reader.next_event().await, None, "the stream ended at close");
}

#[tokio::test]
async fn the_last_event_id_comes_from_the_header_or_the_query() {
    for (path, extra, expected) in [
        ("/e", "Last-Event-ID: 41\r\n", Some("41")),
        ("/e?lastEventId=a%20b", "", Some("a b")),
        ("/e?lastEventId=q", "Last-Event-ID: h\r\n", Some("h")),
        ("/e", "", None),
    ] {
        let (addr, server) = raw_server(EventStreamOptions::default()).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(request(path, extra).as_bytes())
            .await
            .unwrap();
        let events = within(server).await.unwrap();
        assert_eq!(events.last_event_id(), expected, "{path} {extra:?}");
    }
}

#[tokio::test]
async fn a_request_that_is_not_for_an_event_stream_gets_406() {
    let (mut client, server_io) = tokio::io::duplex(4096);
    client
        .write_all(b"GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/html\r\n\r\n")
        .await
        .unwrap();
    let refused = accept_event_stream(
        server_io,
        ServerOptions::default(),
        EventStreamOptions::default(),
    )
    .await;
    assert!(matches!(refused, Err(Error::Status { status: 406, .. })));
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 406 "), "{response}");
}

#[tokio::test]
async fn a_header_that_is_not_valid_http_is_refused() {
    let (_client, server_io) = tokio::io::duplex(4096);
    let options = EventStreamOptions::default().header("X-Bad", "a\r\nSet-Cookie: b");
    let refused = accept_event_stream(server_io, ServerOptions::default(), options).await;
    assert!(matches!(refused, Err(Error::Config(_))), "{refused:?}");
}

#[tokio::test]
async fn a_client_that_leaves_ends_the_stream_for_the_producer() {
    let (addr, server) = raw_server(EventStreamOptions::default()).await;
    let mut client = TcpStream::connect(addr).await.unwrap();
    client.write_all(request("/", "").as_bytes()).await.unwrap();
    let events = within(server).await.unwrap();
    assert!(events.is_open());
    drop(client);
    // Noticed by the writer's read, with no event sent.
    within(events.closed()).await;
    assert!(!events.is_open());
    assert!(!events.is_stalled(), "left, not cut for reading slowly");
    assert!(matches!(events.send("anyone?").await, Err(Error::Closed)));
}

#[tokio::test(start_paused = true)]
async fn a_quiet_stream_sends_a_keepalive_every_ping_interval() {
    let (client, server_io) = tokio::io::duplex(4096);
    let mut client = client;
    client.write_all(request("/", "").as_bytes()).await.unwrap();
    let options = EventStreamOptions::default().ping(Some(Duration::from_secs(10)));
    let events = accept_event_stream(server_io, ServerOptions::default(), options)
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    let mut reader = Reader::open(client).await;
    let body_before = reader.buf.len();
    assert_eq!(body_before, 0, "the retry line went to the decoder");
    // The paused clock jumps to the writer's keepalive deadline.
    let mut chunk = [0; 64];
    let n = reader.stream.read(&mut chunk).await.unwrap();
    assert_eq!(&chunk[..n], b":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(10));
    let n = reader.stream.read(&mut chunk).await.unwrap();
    assert_eq!(&chunk[..n], b":\n\n");
    assert_eq!(start.elapsed(), Duration::from_secs(20));
    drop(events);
    // The last handle dropped: the stream ends.
    let n = reader.stream.read(&mut chunk).await.unwrap();
    assert_eq!(n, 0);
}

#[tokio::test]
async fn a_slow_client_makes_sends_wait_instead_of_growing_memory() {
    use futures_util::FutureExt;
    let (mut client, server_io) = tokio::io::duplex(1024);
    client.write_all(request("/", "").as_bytes()).await.unwrap();
    let options = EventStreamOptions::default().max_buffered(8 * 1024);
    let events = accept_event_stream(server_io, ServerOptions::default(), options)
        .await
        .unwrap();
    let data = "x".repeat(1000);
    let mut sent = 0;
    let waiting = loop {
        let mut send = Box::pin(events.send(&data));
        // Let the writer run between sends: it fills the pipe, then waits.
        tokio::task::yield_now().await;
        match (&mut send).now_or_never() {
            Some(result) => {
                result.unwrap();
                sent += 1;
                assert!(sent < 100, "sends never waited");
            }
            None => break send,
        }
    };
    assert!(events.buffered_amount() >= 8 * 1024);
    assert!(events.buffered_amount() < 8 * 1024 + 1100, "bounded");
    // Reading lets the waiting send through.
    let reading = tokio::spawn(async move {
        let mut reader = Reader::open(client).await;
        let mut count = 0;
        while let Some(event) = reader.next_event().await {
            assert_eq!(event.1.len(), 1000);
            count += 1;
        }
        count
    });
    within(waiting).await.unwrap();
    events.close();
    assert_eq!(within(reading).await.unwrap(), sent + 1, "nothing lost");
}

mod websocket_server {
    use super::*;
    use futures_util::StreamExt;
    use wsdriver_tokio::{connect, ClientOptions, WebSocketServer};

    #[tokio::test]
    async fn routes_event_source_requests_to_event_streams_and_the_rest_to_websockets() {
        let options = EventStreamOptions::default().header("X-Feed", "yes");
        let server = WebSocketServer::builder()
            .path("/chat")
            .event_streams(options)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let addr = server.local_addr();

        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(request("/feed", "Last-Event-ID: 9\r\n").as_bytes())
            .await
            .unwrap();
        let events = within(server.accept_event_stream()).await.unwrap();
        assert_eq!(events.uri().path(), "/feed");
        assert_eq!(events.last_event_id(), Some("9"));
        events.send_event(None, "ten", Some("10")).await.unwrap();
        let mut reader = within(Reader::open(client)).await;
        assert_eq!(reader.header("x-feed"), Some("yes"));
        assert_eq!(
            within(reader.next_event()).await,
            Some(event("message", "ten", "10"))
        );

        let url = format!("ws://{addr}/chat");
        let mut socket = within(connect(&url, ClientOptions::default()))
            .await
            .unwrap();
        let mut accepted = within(server.accept()).await.unwrap();
        accepted.send("hi").await.unwrap();
        tokio::spawn(async move { while accepted.next().await.is_some() {} });
        let message = within(socket.next()).await.unwrap().unwrap();
        assert_eq!(message.as_text(), Some("hi"));

        // A shutdown ends the event stream too.
        let reading = tokio::spawn(async move { while socket.next().await.is_some() {} });
        let remaining = server.shutdown(Duration::from_secs(5)).await;
        assert_eq!(remaining, 0);
        within(reader.read_to_end()).await;
        within(events.closed()).await;
        within(reading).await.unwrap();
    }

    #[tokio::test]
    async fn without_the_setting_event_source_requests_get_426() {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let mut client = TcpStream::connect(server.local_addr()).await.unwrap();
        client.write_all(request("/", "").as_bytes()).await.unwrap();
        let mut response = String::new();
        within(client.read_to_string(&mut response)).await.unwrap();
        assert!(response.starts_with("HTTP/1.1 426 "), "{response}");
    }
}

#[cfg(feature = "hyper")]
mod hyper_body {
    use super::*;
    use hyper::body::Incoming;
    use hyper::server::conn::http1;
    use hyper::service::service_fn;
    use hyper::Request;
    use hyper_util::rt::TokioIo;
    use std::convert::Infallible;
    use tokio::sync::mpsc;
    use wsdriver_tokio::event_stream;

    /// A hyper server whose every request gets an event stream, handed to
    /// the test through a channel.
    async fn serve(options: EventStreamOptions) -> (SocketAddr, mpsc::Receiver<EventStream>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (handed, streams) = mpsc::channel(4);
        tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let (options, handed) = (options.clone(), handed.clone());
                let service = service_fn(move |request: Request<Incoming>| {
                    let (response, events) = event_stream(&request, options.clone()).unwrap();
                    let handed = handed.clone();
                    async move {
                        handed.send(events).await.unwrap();
                        Ok::<_, Infallible>(response)
                    }
                });
                tokio::spawn(http1::Builder::new().serve_connection(TokioIo::new(stream), service));
            }
        });
        (addr, streams)
    }

    #[tokio::test]
    async fn a_hyper_response_streams_events_and_ends_at_close() {
        let options = EventStreamOptions::default()
            .retry(Duration::from_secs(3))
            .header("Access-Control-Allow-Origin", "https://example.com");
        let (addr, mut streams) = serve(options).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(request("/events", "Last-Event-ID: 5\r\n").as_bytes())
            .await
            .unwrap();
        let events = within(streams.recv()).await.unwrap();
        assert_eq!(events.last_event_id(), Some("5"));
        let mut reader = within(Reader::open(client)).await;
        assert!(reader.head.starts_with("HTTP/1.1 200 OK\r\n"));
        assert_eq!(reader.header("content-type"), Some("text/event-stream"));
        assert_eq!(
            reader.header("access-control-allow-origin"),
            Some("https://example.com")
        );
        for id in 6..9 {
            let id = id.to_string();
            events.send_event(Some("n"), &id, Some(&id)).await.unwrap();
            let got = within(reader.next_event()).await.unwrap();
            assert_eq!(got, event("n", &id, &id));
        }
        assert_eq!(reader.decoder.retry(), Some(Duration::from_secs(3)));
        events.close();
        within(reader.read_more()).await;
        within(events.closed()).await;
    }

    #[tokio::test]
    async fn hyper_dropping_the_body_tells_the_producer_that_the_client_left() {
        let options = EventStreamOptions::default().ping(Some(Duration::from_millis(50)));
        let (addr, mut streams) = serve(options).await;
        let mut client = TcpStream::connect(addr).await.unwrap();
        client.write_all(request("/", "").as_bytes()).await.unwrap();
        let events = within(streams.recv()).await.unwrap();
        let reader = within(Reader::open(client)).await;
        drop(reader);
        // hyper learns of it when a keepalive fails to go out, and drops
        // the body.
        within(events.closed()).await;
        assert!(matches!(events.send("gone").await, Err(Error::Closed)));
    }

    #[cfg(feature = "axum")]
    #[tokio::test]
    async fn an_axum_handler_answers_with_an_event_stream() {
        use axum::response::IntoResponse;
        use axum::routing::get;
        use axum::Router;

        async fn feed(request: axum::extract::Request) -> axum::response::Response {
            let options = EventStreamOptions::default().header("Access-Control-Allow-Origin", "*");
            let (response, events) = event_stream(&request, options).unwrap();
            let after: u32 = events.last_event_id().unwrap().parse().unwrap();
            tokio::spawn(async move {
                for id in after + 1..after + 4 {
                    let id = id.to_string();
                    events.send_event(None, "tick", Some(&id)).await.unwrap();
                }
            });
            response.into_response()
        }
        let app = Router::new().route("/feed", get(feed));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

        let mut client = TcpStream::connect(addr).await.unwrap();
        client
            .write_all(request("/feed?lastEventId=20", "").as_bytes())
            .await
            .unwrap();
        let mut reader = within(Reader::open(client)).await;
        assert_eq!(reader.header("access-control-allow-origin"), Some("*"));
        for id in ["21", "22", "23"] {
            let got = within(reader.next_event()).await;
            assert_eq!(got, Some(event("message", "tick", id)));
        }
        // The last handle was dropped: the body ended (the connection
        // stays open for the next request).
        within(async {
            while !reader.ended {
                assert!(reader.read_more().await);
            }
        })
        .await;
    }
}

/// Our client against our server: the hyper body and the raw stream, a
/// server that ends the stream, and the client coming back after the
/// server's `retry` with the last id it saw.
mod own_client {
    use super::*;
    use futures_util::StreamExt;
    use wsdriver_tokio::{EventSource, EventSourceOptions, WebSocketServer};

    #[tokio::test]
    async fn our_client_reads_our_server_and_resumes_after_its_last_id() {
        let options = EventStreamOptions::default().retry(Duration::from_millis(100));
        let server = WebSocketServer::builder()
            .event_streams(options)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let url = format!("http://{}/feed", server.local_addr());
        let mut client = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
        let serving = tokio::spawn(async move {
            let mut seen_ids = Vec::new();
            for round in 0..2u32 {
                let events = server.accept_event_stream().await.unwrap();
                seen_ids.push(events.last_event_id().map(str::to_owned));
                for n in 1..=2 {
                    let id = (round * 2 + n).to_string();
                    let data = format!("line {id}\nsecond line");
                    events
                        .send_event(Some("n"), &data, Some(&id))
                        .await
                        .unwrap();
                }
                // The stream ends here; the client reconnects.
            }
            seen_ids
        });
        let mut got = Vec::new();
        while got.len() < 4 {
            let event = within(client.next()).await.unwrap().unwrap();
            got.push((event.event, event.data, event.id));
        }
        let expected: Vec<Event> = (1..=4)
            .map(|id| event("n", &format!("line {id}\nsecond line"), &id.to_string()))
            .collect();
        assert_eq!(got, expected);
        assert_eq!(client.last_event_id(), "4");
        assert_eq!(client.reconnection_time(), Duration::from_millis(100));
        let seen_ids = within(serving).await.unwrap();
        assert_eq!(seen_ids, [None, Some("2".to_owned())]);
        client.close();
        assert!(within(client.next()).await.is_none());
    }
}

/// The request head is bounded by the server options given, not by
/// defaults of its own: a server that allows 1 KiB heads for its
/// WebSockets allows its event streams no more.
#[tokio::test]
async fn the_request_is_bounded_by_the_server_options_given() {
    let server =
        || ServerOptions::default().options(wsdriver::Options::default().max_handshake_size(1024));
    let request = format!(
        "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nCookie: {}\r\n\r\n",
        "a".repeat(2048)
    );
    let (mut client, server_io) = tokio::io::duplex(8192);
    client.write_all(request.as_bytes()).await.unwrap();
    let refused = accept_event_stream(server_io, server(), EventStreamOptions::default()).await;
    assert!(refused.is_err(), "{refused:?}");
    let mut response = String::new();
    client.read_to_string(&mut response).await.unwrap();
    assert!(response.starts_with("HTTP/1.1 431 "), "{response}");

    // The same request, with the default bound (16 KiB): a stream.
    let (mut client, server_io) = tokio::io::duplex(8192);
    client.write_all(request.as_bytes()).await.unwrap();
    let events = accept_event_stream(
        server_io,
        ServerOptions::default(),
        EventStreamOptions::default(),
    )
    .await
    .unwrap();
    events.close();
}
