//! The WebSocket type over in-memory pipes: messages, ping/pong, keepalive,
//! close handshake and its timeout, terminate, backpressure, split halves.

use futures_util::{SinkExt, StreamExt};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, DuplexStream, ReadBuf};
use tokio::time::timeout;
use wsdriver::{Driver, Event, Options};
use wsdriver_tokio::{
    accept, Config, Error, Incoming, Message, ReadyState, ServerOptions, WebSocket,
};

const LIMIT: Duration = Duration::from_secs(10);

/// A client and a server WebSocket joined by a pipe of `capacity` bytes:
/// the client's driver made with `options`, its layer with `client`, the
/// server's both with `server`.
async fn pair_with(
    capacity: usize,
    options: Options,
    client: Config,
    server: ServerOptions,
) -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    pair_wrapped(capacity, options, client, server, |stream, _| stream).await
}

/// As [`pair_with`], the client's stream wrapped by `wrap` once open
/// (which may also change the client's driver before the `WebSocket`
/// takes it).
async fn pair_wrapped<S: AsyncRead + AsyncWrite + Unpin + 'static>(
    capacity: usize,
    options: Options,
    client: Config,
    server: ServerOptions,
    wrap: impl FnOnce(DuplexStream, &mut Driver) -> S,
) -> (WebSocket<S>, WebSocket<DuplexStream>) {
    let (a, b) = tokio::io::duplex(capacity);
    let server = tokio::spawn(accept(b, server));
    let mut driver = Driver::client("ws://localhost/test", options).unwrap();
    driver.start();
    let mut a = a;
    a.write_all(&driver.take_output()).await.unwrap();
    while driver.ready_state() != ReadyState::Open {
        driver.input_buffer().reserve(1024);
        assert!(
            a.read_buf(driver.input_buffer()).await.unwrap() > 0,
            "pipe closed in the handshake"
        );
        while driver.poll_event().is_some() {}
    }
    let stream = wrap(a, &mut driver);
    let client = WebSocket::from_connection(
        stream,
        driver
            .into_connection(tokio::time::Instant::now().into_std())
            .unwrap(),
        client,
    );
    let server = timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
    (client, server)
}

async fn pair() -> (WebSocket<DuplexStream>, WebSocket<DuplexStream>) {
    pair_with(
        1 << 16,
        Options::default(),
        Config::default(),
        ServerOptions::default(),
    )
    .await
}

#[tokio::test]
async fn messages_both_ways_including_one_larger_than_the_pipe() {
    let (mut client, mut server) = pair().await;
    let big = vec![7u8; 1 << 20];
    let echo = tokio::spawn(async move {
        while let Some(Ok(message)) = server.next().await {
            server.send(message).await.unwrap();
        }
        server
    });
    client.send("hello").await.unwrap();
    assert_eq!(
        timeout(LIMIT, client.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap(),
        Message::from("hello")
    );
    client.send(Message::from(big.clone())).await.unwrap();
    match timeout(LIMIT, client.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap()
    {
        Message::Binary(bytes) => assert_eq!(bytes.as_ref(), big.as_slice()),
        other => panic!("{other:?}"),
    }
    let close = timeout(LIMIT, client.close(4000, "done"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (close.code.as_u16(), close.reason.as_str(), close.clean),
        (4000, "", true)
    );
    let server = timeout(LIMIT, echo).await.unwrap().unwrap();
    assert_eq!(
        server
            .close_event()
            .map(|c| (c.code.as_u16(), c.reason.clone(), c.clean)),
        Some((4000, "done".into(), true))
    );
    assert_eq!(server.ready_state(), ReadyState::Closed);
}

#[tokio::test]
async fn ping_resolves_when_the_matching_pong_is_read() {
    let (client, mut server) = pair().await;
    let reader = tokio::spawn(async move { while server.next().await.is_some() {} });
    let (read, mut write) = client.split();
    let reading = tokio::spawn(async move {
        let mut read = read;
        while read.next().await.is_some() {}
    });
    let pong = write.ping(b"are you there").await.unwrap();
    timeout(LIMIT, pong)
        .await
        .expect("the pong arrived")
        .unwrap();
    write.close(1000, "").await.unwrap();
    timeout(LIMIT, reading).await.unwrap().unwrap();
    timeout(LIMIT, reader).await.unwrap().unwrap();
}

/// `next_incoming` shows the peer's pings and pongs between the messages,
/// in order, while the ping is still answered and the `Pong` resolved;
/// `next()` on the same connection skips them.
#[tokio::test]
async fn next_incoming_shows_pings_and_pongs_between_messages() {
    let (mut client, mut server) = pair().await;
    server.send("before").await.unwrap();
    server.ping(b"from server").await.unwrap();
    server.pong(b"unsolicited").await.unwrap();
    server.send("after").await.unwrap();
    let mut seen = Vec::new();
    for _ in 0..4 {
        seen.push(
            timeout(LIMIT, client.next_incoming())
                .await
                .unwrap()
                .unwrap()
                .unwrap(),
        );
    }
    assert_eq!(
        seen,
        [
            Incoming::Message(Message::from("before")),
            Incoming::Ping("from server".into()),
            Incoming::Pong("unsolicited".into()),
            Incoming::Message(Message::from("after")),
        ]
    );
    // The client answered the ping by itself (its pong goes out with the
    // next write, here its own ping): the server sees the pong, then the
    // ping.
    let pong = client.ping(b"rtt").await.unwrap();
    for expected in [
        Incoming::Pong("from server".into()),
        Incoming::Ping("rtt".into()),
    ] {
        let seen = timeout(LIMIT, server.next_incoming())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(seen, expected);
    }
    // The client's ping resolves while next_incoming reads, and next()
    // skips the control frames. Writing this ping also writes the pong
    // the server queued.
    server.ping(b"skipped").await.unwrap();
    server.send("last").await.unwrap();
    let seen = timeout(LIMIT, client.next_incoming())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(seen, Incoming::Pong("rtt".into()));
    timeout(LIMIT, pong).await.unwrap().unwrap();
    let next = timeout(LIMIT, client.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(next, Message::from("last"));
}

/// On tokio's paused clock, so the count is exact: pings at 20, 40, ...,
/// 200 ms fall inside a 210 ms window.
#[tokio::test(start_paused = true)]
async fn keepalive_pings_are_sent_while_idle() {
    // The server end is a bare driver, so every ping can be counted.
    let (a, mut b) = tokio::io::duplex(1 << 16);
    let mut server = Driver::server(Options::default()).unwrap();
    let every = Options::default().ping_interval(Some(Duration::from_millis(20)));
    let mut driver = Driver::client("ws://localhost/", every).unwrap();
    driver.start();
    server.parse(&driver.take_output());
    assert_eq!(server.poll_event(), Some(Event::Connect));
    server.start();
    driver.parse(&server.take_output());
    while driver.poll_event().is_some() {}
    while server.poll_event().is_some() {}
    let mut client = WebSocket::from_connection(
        a,
        driver
            .into_connection(tokio::time::Instant::now().into_std())
            .unwrap(),
        Config::default(),
    );
    let idle = tokio::spawn(async move {
        let _ = timeout(Duration::from_millis(250), client.next()).await;
        client
    });
    let mut pings = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(210);
    while let Ok(read) = tokio::time::timeout_at(deadline, b.read_buf(server.input_buffer())).await
    {
        assert!(read.unwrap() > 0);
        while let Some(event) = server.poll_event() {
            if matches!(event, Event::Ping(_)) {
                pings += 1;
            }
        }
        server.input_buffer().reserve(1024);
    }
    assert_eq!(pings, 10, "one per 20 ms over 210 ms");
    // Each was answered by the server driver: an empty pong is 2 bytes.
    assert_eq!(server.buffered_amount(), 2 * pings);
    let client = idle.await.unwrap();
    assert_eq!(client.ready_state(), ReadyState::Open);
}

#[tokio::test(start_paused = true)]
async fn idle_timeout_ends_a_silent_connection_with_1006() {
    let idle = Options::default().idle_timeout(Some(Duration::from_millis(50)));
    let (mut client, _server) =
        pair_with(1 << 16, idle, Config::default(), ServerOptions::default()).await;
    let started = tokio::time::Instant::now();
    assert!(timeout(LIMIT, client.next()).await.unwrap().is_none());
    assert_eq!(started.elapsed(), Duration::from_millis(50));
    let close = client.close_event().unwrap();
    assert_eq!((close.code.as_u16(), close.clean), (1006, false));
}

#[tokio::test(start_paused = true)]
async fn traffic_more_often_than_the_idle_timeout_keeps_the_connection() {
    let idle = Options::default().idle_timeout(Some(Duration::from_millis(50)));
    let (mut client, mut server) =
        pair_with(1 << 16, idle, Config::default(), ServerOptions::default()).await;
    let ticking = tokio::spawn(async move {
        for n in 0..10 {
            tokio::time::sleep(Duration::from_millis(40)).await;
            server.send(format!("tick {n}")).await.unwrap();
        }
        server
    });
    // 400 ms in all, never 50 ms without a message.
    for n in 0..10 {
        let message = timeout(LIMIT, client.next()).await.unwrap();
        assert_eq!(
            message.unwrap().unwrap(),
            Message::from(format!("tick {n}"))
        );
    }
    let last = tokio::time::Instant::now();
    let _server = ticking.await.unwrap();
    // Then silence: 50 ms after the last message, it ends.
    assert!(timeout(LIMIT, client.next()).await.unwrap().is_none());
    assert_eq!(last.elapsed(), Duration::from_millis(50));
    assert_eq!(client.close_event().map(|c| c.code.as_u16()), Some(1006));
}

#[tokio::test]
async fn close_timeout_reports_1006_when_the_peer_never_answers() {
    let options = Options::default().close_timeout(Some(Duration::from_millis(50)));
    let server = ServerOptions::default().options(options.clone());
    let (mut client, _silent_server) = pair_with(1 << 16, options, Config::default(), server).await;
    let close = timeout(LIMIT, client.close(1000, "bye"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((close.code.as_u16(), close.clean), (1006, false));
}

#[tokio::test]
async fn terminate_drops_without_a_handshake() {
    let (client, mut server) = pair().await;
    client.terminate().await;
    assert!(timeout(LIMIT, server.next()).await.unwrap().is_none());
    assert_eq!(
        server.close_event().map(|c| (c.code.as_u16(), c.clean)),
        Some((1006, false))
    );
}

#[tokio::test]
async fn sends_wait_while_the_peer_does_not_read() {
    // A 4 KiB pipe and a 16 KiB cap: the sink stops taking messages once
    // the pipe is full and 16 KiB wait in our buffer.
    let cap = Config::default().max_buffered(16 * 1024);
    let (mut client, mut server) =
        pair_with(4096, Options::default(), cap, ServerOptions::default()).await;
    let chunk = Message::from(vec![1u8; 1024]);
    let mut sent = 0;
    while timeout(Duration::from_millis(100), client.feed(chunk.clone()))
        .await
        .is_ok()
    {
        sent += 1;
        assert!(sent < 1000, "sends never waited");
    }
    assert!(
        client.buffered_amount() >= 16 * 1024,
        "{}",
        client.buffered_amount()
    );
    assert!(
        client.buffered_amount() < 20 * 1024,
        "{}",
        client.buffered_amount()
    );
    // Reading on the other side lets everything through.
    let reader = tokio::spawn(async move {
        let mut received = 0;
        while let Some(Ok(_)) = server.next().await {
            received += 1;
        }
        received
    });
    timeout(LIMIT, client.flush()).await.unwrap().unwrap();
    assert_eq!(client.buffered_amount(), 0);
    timeout(LIMIT, client.close(1000, ""))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(timeout(LIMIT, reader).await.unwrap().unwrap(), sent);
}

#[tokio::test]
async fn sending_after_close_is_an_error() {
    let (mut client, server) = pair().await;
    drop(server);
    // The peer is gone: the close ends without its answer.
    let close = timeout(LIMIT, client.close(1000, "")).await.unwrap();
    match close {
        Ok(close) => assert_eq!((close.code.as_u16(), close.clean), (1006, false)),
        Err(error) => assert!(matches!(error, Error::Io { .. }), "{error:?}"),
    }
    assert_eq!(client.ready_state(), ReadyState::Closed);
    assert!(matches!(client.send("late").await, Err(Error::Closed)));
}

#[tokio::test]
async fn a_protocol_error_from_the_peer_is_reported_then_the_stream_ends() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(accept(b, ServerOptions::default()));
    let mut raw = Driver::client("ws://localhost/", Options::default()).unwrap();
    raw.start();
    let mut a = a;
    a.write_all(&raw.take_output()).await.unwrap();
    let mut server = timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
    // An unmasked frame from a client: 1002.
    a.write_all(&[0x81, 0x02, b'h', b'i']).await.unwrap();
    match timeout(LIMIT, server.next()).await.unwrap() {
        Some(Err(Error::WebSocket(wsdriver::Error::Protocol { code, .. }))) => {
            assert_eq!(code, 1002)
        }
        other => panic!("{other:?}"),
    }
    assert!(timeout(LIMIT, server.next()).await.unwrap().is_none());
    let mut response = vec![0u8; 512];
    let n = a.read(&mut response).await.unwrap();
    raw.parse(&response[..n]);
    let events: Vec<Event> = std::iter::from_fn(|| raw.poll_event()).collect();
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::Close(c) if c.code == 1002)),
        "{events:?}"
    );
}

/// A stream that counts how often it is polled.
struct Counting {
    inner: DuplexStream,
    polls: Arc<std::sync::atomic::AtomicUsize>,
}

impl AsyncRead for Counting {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counting {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        self.polls.fetch_add(1, Ordering::SeqCst);
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn zero_limits_do_not_spin() {
    let zero = Config::default().max_buffered(0);
    let polls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counted = polls.clone();
    let (mut client, mut server) = pair_wrapped(
        1 << 16,
        Options::default(),
        zero,
        ServerOptions::default(),
        |inner, driver| {
            // Options refuse a zero interval; the driver's run-time setter
            // takes it, as none.
            driver.set_ping_interval(Some(Duration::ZERO), std::time::Instant::now());
            Counting {
                inner,
                polls: counted,
            }
        },
    )
    .await;
    let echo = tokio::spawn(async move {
        while let Some(Ok(message)) = server.next().await {
            server.send(message).await.unwrap();
        }
    });
    timeout(LIMIT, client.send("one"))
        .await
        .expect("a zero max_buffered send finishes")
        .unwrap();
    let reply = timeout(LIMIT, client.next())
        .await
        .expect("a zero ping interval does not spin");
    assert_eq!(reply.unwrap().unwrap(), Message::from("one"));
    // Idle for 200 ms: a task that keeps waking itself would poll the
    // stream thousands of times; a quiet one polls it once or twice.
    let before = polls.load(Ordering::SeqCst);
    let idle = timeout(Duration::from_millis(200), client.next()).await;
    assert!(idle.is_err(), "nothing was sent: {idle:?}");
    let idle_polls = polls.load(Ordering::SeqCst) - before;
    assert!(idle_polls <= 3, "{idle_polls} polls of an idle stream");
    timeout(LIMIT, client.close(1000, ""))
        .await
        .unwrap()
        .unwrap();
    timeout(LIMIT, echo).await.unwrap().unwrap();
}

/// A stream that fails every read and write once told to.
struct Failing {
    inner: DuplexStream,
    fail: Arc<AtomicBool>,
}

impl Failing {
    fn check(&self) -> Option<std::io::Error> {
        self.fail
            .load(Ordering::SeqCst)
            .then(|| std::io::ErrorKind::ConnectionReset.into())
    }
}

impl AsyncRead for Failing {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.check() {
            Some(error) => Poll::Ready(Err(error)),
            None => Pin::new(&mut self.inner).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Failing {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.check() {
            Some(error) => Poll::Ready(Err(error)),
            None => Pin::new(&mut self.inner).poll_write(cx, buf),
        }
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[tokio::test]
async fn an_io_error_ends_with_1006_and_fails_waiting_pongs() {
    let (a, b) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(accept(b, ServerOptions::default()));
    let mut driver = Driver::client("ws://localhost/", Options::default()).unwrap();
    driver.start();
    let mut a = a;
    a.write_all(&driver.take_output()).await.unwrap();
    while driver.ready_state() != ReadyState::Open {
        driver.input_buffer().reserve(1024);
        a.read_buf(driver.input_buffer()).await.unwrap();
        while driver.poll_event().is_some() {}
    }
    let _server = timeout(LIMIT, server).await.unwrap().unwrap().unwrap();
    let fail = Arc::new(AtomicBool::new(false));
    let mut client = WebSocket::from_connection(
        Failing {
            inner: a,
            fail: fail.clone(),
        },
        driver
            .into_connection(tokio::time::Instant::now().into_std())
            .unwrap(),
        Config::default(),
    );
    let pong = client.ping(b"anyone?").await.unwrap();
    fail.store(true, Ordering::SeqCst);
    assert!(matches!(
        timeout(LIMIT, client.next()).await.unwrap(),
        Some(Err(Error::Io { .. }))
    ));
    assert!(timeout(LIMIT, client.next()).await.unwrap().is_none());
    assert_eq!(
        client.close_event().map(|c| (c.code.as_u16(), c.clean)),
        Some((1006, false))
    );
    assert!(matches!(
        timeout(LIMIT, pong).await.expect("the pong future ends"),
        Err(Error::Closed)
    ));
}

#[tokio::test]
async fn network_errors_do_not_show_passwords() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let url = format!("ws://user:secret@127.0.0.1:{port}/");
    let error = wsdriver_tokio::connect(&url, wsdriver_tokio::ClientOptions::default())
        .await
        .unwrap_err();
    let shown = error.to_string();
    assert!(
        shown.starts_with("Network error: ws://user@127.0.0.1:"),
        "{shown}"
    );
    assert!(!shown.contains("secret"), "{shown}");
}
