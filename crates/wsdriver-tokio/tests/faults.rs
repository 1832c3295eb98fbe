//! Faults over real sockets: peers that reset mid-handshake, mid-frame and
//! mid-close, a half-closed TCP, a TLS handshake cut short, a proxy that
//! drops its tunnel, and writes to a peer that is gone. Each ends with the
//! right event or error, and the test counts the process's file
//! descriptors and the runtime's tasks before and after: nothing leaks.
#![cfg(target_os = "linux")]

use futures_util::StreamExt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use wsdriver_tokio::{
    connect, ClientOptions, CloseCause, Error, Message, ProxyOptions, ServerBuilder,
    TransportOptions, WebSocketServer,
};

mod server_support;
use server_support::{closed, echo_server, raw_open, url, within, Seen};

/// Runs a test alone, on a runtime of its own made and dropped while it
/// holds the file's lock: file descriptors are counted for the whole
/// process, and a runtime has some.
fn alone(test: impl std::future::Future<Output = ()>) {
    static LOCK: Mutex<()> = Mutex::new(());
    let _alone: MutexGuard<'_, ()> = LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(within(test));
}

/// Open file descriptors and live tasks, to compare after a fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Counts {
    fds: usize,
    tasks: usize,
}

impl Counts {
    fn now() -> Counts {
        Counts {
            fds: std::fs::read_dir("/proc/self/fd").unwrap().count(),
            tasks: tokio::runtime::Handle::current()
                .metrics()
                .num_alive_tasks(),
        }
    }

    /// Waits (2 s at most) for the counts to come back to these.
    async fn back(self) {
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let now = Counts::now();
            if now == self {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "leaked: {self:?} before, {now:?} after"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// An echo server that also reports the handshakes that failed.
async fn server() -> (
    WebSocketServer,
    mpsc::UnboundedReceiver<Seen>,
    mpsc::UnboundedReceiver<String>,
) {
    reporting(WebSocketServer::builder()).await
}

/// `builder` as an echo server that reports failed handshakes.
async fn reporting(
    builder: ServerBuilder,
) -> (
    WebSocketServer,
    mpsc::UnboundedReceiver<Seen>,
    mpsc::UnboundedReceiver<String>,
) {
    let (tx, failures) = mpsc::unbounded_channel();
    let builder = builder.on_handshake_error(move |_, error| {
        let _ = tx.send(error.to_string());
    });
    let (server, seen) = echo_server(builder).await;
    (server, seen, failures)
}

/// Drops `stream` with a reset (RST) rather than a FIN.
fn reset(stream: TcpStream) {
    stream.set_zero_linger().unwrap();
    drop(stream);
}

/// A masked text frame whose header announces `len` bytes, with only
/// `sent` of them.
fn frame_head(len: u8, sent: &[u8]) -> Vec<u8> {
    let mut out = vec![0x81, 0x80 | len, 0, 0, 0, 0];
    out.extend_from_slice(sent);
    out
}

#[test]
fn a_reset_mid_handshake_ends_the_handshake_and_leaks_nothing() {
    alone(async {
        let (server, _seen, mut failures) = server().await;
        let before = Counts::now();
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nUpgr")
            .await
            .unwrap();
        reset(stream);
        let failure = failures.recv().await.unwrap();
        assert!(
            failure.contains("reset") || failure.contains("closed"),
            "{failure}"
        );
        before.back().await;
    });
}

#[test]
fn a_reset_mid_frame_ends_with_1006_and_leaks_nothing() {
    alone(async {
        let (server, mut seen, _) = server().await;
        let before = Counts::now();
        let mut stream = raw_open(server.local_addr()).await;
        assert!(matches!(seen.recv().await, Some(Seen::Open { .. })));
        stream
            .write_all(&frame_head(100, b"half a frame"))
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        reset(stream);
        let event = closed(&mut seen).await.expect("a close event");
        assert_eq!(event.code.as_u16(), 1006, "{event:?}");
        assert!(!event.clean);
        // The cause says what 1006 alone does not: a reset, not a FIN.
        assert_eq!(
            event.cause,
            CloseCause::TransportError(std::io::ErrorKind::ConnectionReset)
        );
        before.back().await;
    });
}

#[test]
fn a_half_closed_client_gets_its_echo_then_the_end_with_1006() {
    alone(async {
        let (server, mut seen, _) = server().await;
        let before = Counts::now();
        let mut stream = raw_open(server.local_addr()).await;
        assert!(matches!(seen.recv().await, Some(Seen::Open { .. })));
        stream.write_all(&frame_head(2, b"hi")).await.unwrap();
        stream.shutdown().await.unwrap(); // FIN: no more from us
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(rest.starts_with(b"\x81\x02hi"), "{rest:?}");
        let event = closed(&mut seen).await.expect("a close event");
        assert_eq!(event.code.as_u16(), 1006, "{event:?}");
        assert_eq!(event.cause, CloseCause::TransportClosed);
        drop(stream);
        before.back().await;
    });
}

#[test]
fn a_reset_mid_close_ends_the_close_and_leaks_nothing() {
    alone(async {
        let server = ServerBuilder::default().bind("127.0.0.1:0").await.unwrap();
        let before = Counts::now();
        let mut stream = raw_open(server.local_addr()).await;
        let mut socket = server.accept().await.unwrap();
        let closing = tokio::spawn(async move { socket.close(1000, "bye").await });
        let mut close = [0u8; 2];
        stream.read_exact(&mut close).await.unwrap();
        assert_eq!(close[0], 0x88, "the server's close frame");
        reset(stream);
        match closing.await.unwrap() {
            Ok(event) => assert_eq!(event.code.as_u16(), 1006, "{event:?}"),
            Err(Error::Io { .. }) => {}
            Err(other) => panic!("{other:?}"),
        }
        before.back().await;
    });
}

#[test]
fn writing_to_a_peer_that_is_gone_fails_and_ends_the_connection() {
    alone(async {
        let server = ServerBuilder::default().bind("127.0.0.1:0").await.unwrap();
        let before = Counts::now();
        let stream = raw_open(server.local_addr()).await;
        let mut socket = server.accept().await.unwrap();
        reset(stream);
        tokio::time::sleep(Duration::from_millis(20)).await;
        let mut failed = None;
        for _ in 0..100 {
            if let Err(error) = socket.send(vec![0u8; 64 * 1024]).await {
                failed = Some(error);
                break;
            }
        }
        assert!(matches!(failed, Some(Error::Io { .. })), "{failed:?}");
        let again = socket.send("again").await;
        assert!(matches!(again, Err(Error::Closed)), "{again:?}");
        assert!(socket.next().await.is_none());
        assert_eq!(
            socket.websocket().close_event().unwrap().code.as_u16(),
            1006
        );
        drop(socket);
        before.back().await;
    });
}

#[cfg(feature = "rustls")]
#[test]
fn a_tls_handshake_cut_short_is_reported_and_leaks_nothing() {
    alone(async {
        let (_, config) = server_support::certificates();
        let (server, _, mut failures) = reporting(WebSocketServer::builder().tls(config)).await;
        let before = Counts::now();
        // The first bytes of a ClientHello (a TLS record header and the
        // start of its handshake message), then a reset.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01])
            .await
            .unwrap();
        tokio::time::sleep(Duration::from_millis(20)).await;
        reset(stream);
        assert!(!failures.recv().await.unwrap().is_empty());
        // Plain HTTP at a TLS port fails TLS too.
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream
            .write_all(server_support::UPGRADE_REQUEST.as_bytes())
            .await
            .unwrap();
        let mut rest = Vec::new();
        let _ = stream.read_to_end(&mut rest).await;
        assert!(!failures.recv().await.unwrap().is_empty());
        drop(stream);
        before.back().await;
    });
}

#[cfg(feature = "rustls")]
#[test]
fn a_certificate_the_client_does_not_trust_fails_both_sides_and_leaks_nothing() {
    alone(async {
        let (_, config) = server_support::certificates();
        let (server, _, mut failures) = reporting(WebSocketServer::builder().tls(config)).await;
        let before = Counts::now();
        let url = format!("wss://{}/", server.local_addr());
        // The test CA is not among the client's roots.
        let Err(error) = connect(&url, ClientOptions::default()).await else {
            panic!("an untrusted certificate was accepted");
        };
        assert!(
            error.to_string().to_lowercase().contains("certificate"),
            "{error}"
        );
        assert!(
            !failures.recv().await.unwrap().is_empty(),
            "the server heard of it"
        );
        before.back().await;
    });
}

/// A `CONNECT` proxy that tunnels to `target` and reports each tunnel's
/// task, so that a test can drop it.
async fn proxy(
    target: SocketAddr,
) -> (
    SocketAddr,
    mpsc::UnboundedReceiver<tokio::task::AbortHandle>,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, tunnels) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            let tunnel = tokio::spawn(async move {
                let mut head = Vec::new();
                while !head.ends_with(b"\r\n\r\n") {
                    head.push(client.read_u8().await.unwrap());
                }
                assert!(head.starts_with(b"CONNECT "));
                let mut upstream = TcpStream::connect(target).await.unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .unwrap();
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
            let _ = tx.send(tunnel.abort_handle());
        }
    });
    (addr, tunnels)
}

#[test]
fn a_proxy_that_drops_the_tunnel_ends_the_connection_with_1006() {
    alone(async {
        let (server, _, _) = server().await;
        let (proxy_addr, mut tunnels) = proxy(server.local_addr()).await;
        let before = Counts::now();
        let options = ClientOptions::default().transport(
            TransportOptions::default().proxy(ProxyOptions::new(format!("http://{proxy_addr}"))),
        );
        let mut socket = connect(&url(&server, "/"), options).await.unwrap();
        socket.send("through the tunnel").await.unwrap();
        assert_eq!(
            socket.next().await.unwrap().unwrap(),
            Message::from("through the tunnel")
        );
        tunnels.recv().await.unwrap().abort();
        assert!(socket.next().await.is_none());
        assert_eq!(socket.close_event().unwrap().code.as_u16(), 1006);
        drop(socket);
        before.back().await;
    });
}

#[test]
fn a_proxy_that_drops_the_tunnel_during_the_handshake_fails_connect() {
    alone(async {
        let before = Counts::now();
        // A proxy that says yes, then hangs up.
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let proxy_addr = listener.local_addr().unwrap();
        let answered = Arc::new(Mutex::new(0));
        let count = answered.clone();
        let proxy = tokio::spawn(async move {
            let (mut client, _) = listener.accept().await.unwrap();
            let mut head = Vec::new();
            while !head.ends_with(b"\r\n\r\n") {
                head.push(client.read_u8().await.unwrap());
            }
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await
                .unwrap();
            *count.lock().unwrap() += 1;
        });
        let options = ClientOptions::default().transport(
            TransportOptions::default().proxy(ProxyOptions::new(format!("http://{proxy_addr}"))),
        );
        let result = connect("ws://example.invalid/", options).await;
        assert!(result.is_err(), "connected through a dropped tunnel");
        proxy.await.unwrap();
        assert_eq!(*answered.lock().unwrap(), 1);
        before.back().await;
    });
}
