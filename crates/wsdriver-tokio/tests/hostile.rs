//! What a hostile or broken peer can do over a real TCP socket, and what
//! it gets: slowloris heads answered 408 after the handshake timeout,
//! loose handshakes refused, a silent server given up on, and a ping flood
//! that costs the server bounded memory.
//!
//! Timers run on tokio's paused clock (`start_paused`): the runtime moves
//! the clock on only when every task waits, so the times asserted are
//! exact, and the 30 s defaults take no real time.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use wsdriver_tokio::{
    accept, connect, ClientOptions, Error, Options, ServerOptions, TransportOptions,
};

/// A TCP listener whose every connection goes through `accept` with
/// `options`; the handshake's outcome comes back on the channel.
async fn accepting(
    options: ServerOptions,
) -> (
    std::net::SocketAddr,
    tokio::sync::mpsc::UnboundedReceiver<Result<(), Error>>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let (options, tx) = (options.clone(), tx.clone());
            tokio::spawn(async move {
                let _ = tx.send(accept(stream, options).await.map(drop));
            });
        }
    });
    (addr, rx)
}

/// Everything the server sends until it closes; a server that neither
/// answers nor closes within an hour (of the paused clock) fails the test.
async fn read_all(stream: &mut TcpStream) -> String {
    let mut bytes = Vec::new();
    within(stream.read_to_end(&mut bytes)).await.unwrap();
    String::from_utf8(bytes).unwrap()
}

/// Fails the test instead of hanging when `future` takes over an hour.
async fn within<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(3600), future)
        .await
        .expect("still waiting after an hour")
}

#[tokio::test(start_paused = true)]
async fn accept_answers_a_dribbled_head_408_after_30_seconds() {
    let (addr, mut outcomes) = accepting(ServerOptions::default()).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // One byte every 10 s, as slowloris does: the clock is the whole
    // handshake's, not reset by each byte.
    for byte in b"GET / H" {
        stream.write_all(&[*byte]).await.unwrap();
        tokio::time::sleep(Duration::from_secs(10)).await;
        if started.elapsed() >= Duration::from_secs(30) {
            break;
        }
    }
    let answer = read_all(&mut stream).await;
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(
        answer.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
        "{answer}"
    );
    assert!(answer.ends_with("Request Timeout: the WebSocket handshake took too long"));
    let error = outcomes.recv().await.unwrap().unwrap_err();
    assert!(
        matches!(
            &error,
            Error::WebSocket(wsdriver::Error::BadRequest { status: 408, .. })
        ),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn accept_drops_a_client_that_sends_nothing_after_the_timeout() {
    let options = ServerOptions::default()
        .options(Options::default().handshake_timeout(Some(Duration::from_secs(5))));
    let (addr, mut outcomes) = accepting(options).await;
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_eq!(read_all(&mut stream).await, "", "nothing to answer");
    assert_eq!(started.elapsed(), Duration::from_secs(5));
    let error = outcomes.recv().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::WebSocket(wsdriver::Error::HandshakeTimeout)),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_handshake_timeout_a_slow_client_is_kept() {
    let options = ServerOptions::default().options(Options::default().handshake_timeout(None));
    let (addr, mut outcomes) = accepting(options).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut byte = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut byte)).await;
    assert!(
        waited.is_err(),
        "the server answered or hung up: {waited:?}"
    );
    assert!(outcomes.try_recv().is_err(), "the handshake ended");
    // The rest of the head, an hour late, still opens.
    stream
        .write_all(
            b"Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    assert!(outcomes.recv().await.unwrap().is_ok());
}

/// Each head that RFC 6455 §4.2.1 does not allow gets its status over TCP,
/// and the server goes on serving.
#[tokio::test]
async fn loose_handshakes_are_refused_over_tcp() {
    let (addr, mut outcomes) = accepting(ServerOptions::default()).await;
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    let rest = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
    let cases = [
        (
            format!("GET / HTTP/1.1\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            "400 Bad Request",
            "Missing handshake request header: Host",
        ),
        (
            format!("GET / HTTP/1.0\r\nHost: a\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            "400 Bad Request",
            "Bad Request: a WebSocket handshake needs HTTP/1.1 or later",
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: a\r\n{rest}{key}{key}Sec-WebSocket-Version: 13\r\n\r\n"
            ),
            "400 Bad Request",
            "Invalid Sec-WebSocket-Key header: it must appear once",
        ),
        (
            format!(
                "GET / HTTP/1.1\r\nHost: a\r\n{rest}{key}Sec-WebSocket-Version: 13\r\n\
                 Sec-WebSocket-Version: 8\r\n\r\n"
            ),
            "426 Upgrade Required",
            "Unsupported WebSocket version: use 13 or 8",
        ),
    ];
    for (head, status, body) in cases {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream.write_all(head.as_bytes()).await.unwrap();
        let answer = read_all(&mut stream).await;
        assert!(
            answer.starts_with(&format!("HTTP/1.1 {status}\r\n")),
            "{answer}"
        );
        assert!(answer.ends_with(body), "{answer}");
        if status.starts_with("426") {
            assert!(
                answer.contains("\r\nSec-WebSocket-Version: 13, 8\r\n"),
                "{answer}"
            );
        }
        assert!(outcomes.recv().await.unwrap().is_err());
    }
    // Still serving.
    let client = connect(&format!("ws://{addr}/"), ClientOptions::default()).await;
    assert!(client.is_ok(), "{client:?}");
    assert!(outcomes.recv().await.unwrap().is_ok());
}

/// A server that takes the connection and never answers: `connect` gives
/// up after its default 30 s.
#[tokio::test(start_paused = true)]
async fn connect_gives_up_on_a_silent_server_after_30_seconds() {
    assert_eq!(
        ClientOptions::default()
            .get_transport()
            .get_connect_timeout(),
        Some(Duration::from_secs(30))
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let silent = tokio::spawn(async move {
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let n = stream.read(&mut request).await.unwrap();
        assert!(request[..n].starts_with(b"GET / HTTP/1.1\r\n"));
        std::future::pending::<()>().await;
    });
    let started = Instant::now();
    let error = within(connect(&format!("ws://{addr}/"), ClientOptions::default()))
        .await
        .unwrap_err();
    assert_eq!(started.elapsed(), Duration::from_secs(30));
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert!(!silent.is_finished());
    silent.abort();
}

#[tokio::test(start_paused = true)]
async fn connect_with_no_timeout_waits_for_a_slow_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        // Answers after ten minutes.
        tokio::time::sleep(Duration::from_secs(600)).await;
        let _ = accept(stream, ServerOptions::default()).await;
    });
    let options = ClientOptions::default()
        .options(Options::default().handshake_timeout(None))
        .transport(TransportOptions::default().connect_timeout(None));
    let started = Instant::now();
    let socket = connect(&format!("ws://{addr}/"), options).await;
    assert!(socket.is_ok(), "{socket:?}");
    assert!(started.elapsed() >= Duration::from_secs(600));
}

/// For tests on the real clock: fails instead of hanging.
async fn in_real_time<F: std::future::Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(60), future)
        .await
        .expect("still waiting after a minute")
}

/// A client frame: FIN, `opcode`, masked with a fixed key.
fn client_frame(opcode: u8, payload: &[u8]) -> Vec<u8> {
    assert!(payload.len() <= 125);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    let mut frame = vec![0x80 | opcode, 0x80 | payload.len() as u8];
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    frame
}

fn numbered(n: u32) -> Vec<u8> {
    let mut payload = vec![b'.'; 125];
    payload[..4].copy_from_slice(&n.to_be_bytes());
    payload
}

/// A client that floods pings and reads nothing: the server stops reading
/// from it (its writes stall) with no more than 60 pongs queued, and once
/// the client reads, it gets the pong for its newest ping.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_that_reads_nothing_costs_the_server_bounded_memory() {
    ping_flood(false).await;
}

/// The same through split halves, where the reader waits on the writer's
/// wake-ups.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_flood_on_split_halves_costs_the_server_bounded_memory() {
    ping_flood(true).await;
}

async fn ping_flood(split: bool) {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;
    const PINGS: u32 = 200_000; // 26 MB: more than loopback buffers hold

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (probe_tx, mut probe) =
        tokio::sync::mpsc::channel::<tokio::sync::oneshot::Sender<usize>>(1);
    let server = tokio::spawn(async move {
        use futures_util::StreamExt;
        let (stream, _) = listener.accept().await.unwrap();
        let mut socket = accept(stream, ServerOptions::default()).await.unwrap();
        if split {
            let (mut read, mut write) = socket.split();
            loop {
                tokio::select! {
                    message = read.next() => match message {
                        Some(Ok(message)) => write.send(message).await.unwrap(),
                        _ => break,
                    },
                    Some(reply) = probe.recv() => {
                        let _ = reply.send(write.buffered_amount());
                    }
                }
            }
            return;
        }
        loop {
            tokio::select! {
                message = socket.next() => match message {
                    Some(Ok(message)) => socket.send(message).await.unwrap(),
                    _ => break,
                },
                Some(reply) = probe.recv() => {
                    let _ = reply.send(socket.buffered_amount());
                }
            }
        }
    });
    let buffered = || async {
        let (tx, rx) = tokio::sync::oneshot::channel();
        probe_tx.send(tx).await.unwrap();
        rx.await.unwrap()
    };

    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(head.starts_with(b"HTTP/1.1 101 "));
    let (mut reader, mut writer) = stream.into_split();

    let flood: Vec<u8> = (0..PINGS)
        .flat_map(|n| client_frame(0x9, &numbered(n)))
        .collect();
    let written = Arc::new(AtomicUsize::new(0));
    let done_writing = Arc::new(AtomicBool::new(false));
    let flooding = {
        let (written, done_writing) = (written.clone(), done_writing.clone());
        tokio::spawn(async move {
            for chunk in flood.chunks(16 * 1024) {
                writer.write_all(chunk).await.unwrap();
                written.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            done_writing.store(true, Ordering::SeqCst);
            writer.write_all(&client_frame(0x1, b"done")).await.unwrap();
            writer
        })
    };

    // Wait for the writes to stall: the server stopped reading.
    let mut last = usize::MAX;
    let mut still = 0;
    while still < 5 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !done_writing.load(Ordering::SeqCst),
            "the server read every ping without our reading a pong"
        );
        let queued = buffered().await;
        assert!(queued <= 60 * 127, "{queued} bytes queued by the server");
        let now = written.load(Ordering::SeqCst);
        // Stalled because the server holds pongs back (its output full of
        // them), not merely because it has not been scheduled lately.
        let holding = queued > 55 * 127;
        still = if now == last && holding { still + 1 } else { 0 };
        last = now;
    }

    // Now read: every pong the server owes, ending with the newest ping's.
    let mut bytes = Vec::new();
    let mut frames = Vec::new();
    let newest = numbered(PINGS - 1);
    let mut seen_done = false;
    let mut seen_newest = false;
    let mut buf = vec![0u8; 64 * 1024];
    while !(seen_done && seen_newest) {
        let n = in_real_time(reader.read(&mut buf)).await.unwrap();
        assert!(n > 0, "the server hung up");
        bytes.extend_from_slice(&buf[..n]);
        while bytes.len() >= 2 && bytes.len() >= 2 + (bytes[1] & 0x7f) as usize {
            let len = (bytes[1] & 0x7f) as usize;
            let frame: Vec<u8> = bytes.drain(..2 + len).collect();
            match frame[0] {
                0x8a => seen_newest = frame[2..] == newest[..],
                0x81 => seen_done = &frame[2..] == b"done",
                other => panic!("unexpected frame {other:#x}"),
            }
            frames.push(frame[0]);
        }
    }
    let pongs = frames.iter().filter(|f| **f == 0x8a).count();
    assert!(pongs <= PINGS as usize, "{pongs} pongs for {PINGS} pings");
    // Hang up: the server's connection ends.
    drop(flooding.await.unwrap());
    drop(reader);
    in_real_time(server).await.unwrap();
}
