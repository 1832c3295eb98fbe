//! The EventSource client over real sockets, against servers written here
//! with the core's encoder (plain and chunked bodies, over TCP, TLS from
//! a throwaway rcgen CA, and a CONNECT proxy), and with `interop`
//! against faye-websocket's EventSource server
//! (tools/node/faye_eventsource_server.js, installed by tools/peers.sh).

#[cfg(feature = "rustls")]
#[allow(dead_code)] // the WebSocket peers are client.rs's
mod peers;

use futures_util::StreamExt;
use std::future::Future;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use wsdriver::eventsource::{write_event, write_retry, ClientError, SourceState};
use wsdriver_tokio::{Error, EventSource, EventSourceOptions, MessageEvent, TransportOptions};

/// No test may take longer than this, whatever hangs.
const TEST_TIMEOUT: Duration = Duration::from_secs(60);

async fn timed<F: Future<Output = ()>>(body: F) {
    tokio::time::timeout(TEST_TIMEOUT, body)
        .await
        .expect("the test timed out");
}

/// A connection a test server answers on: TCP, or TLS over it.
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// An accepted request: its head, and the connection to answer on.
struct Request {
    head: String,
    io: Box<dyn Io>,
}

/// A server on 127.0.0.1 that hands each request to the test, in order;
/// stopped when dropped.
struct Server {
    port: u16,
    requests: mpsc::UnboundedReceiver<Request>,
    task: JoinHandle<()>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How a test server speaks: plain, or TLS with this acceptor.
#[cfg(feature = "rustls")]
type Tls = Option<tokio_rustls::TlsAcceptor>;
#[cfg(not(feature = "rustls"))]
type Tls = Option<std::convert::Infallible>;

impl Server {
    async fn start() -> Server {
        Self::start_with(None).await
    }

    async fn start_with(tls: Tls) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (sender, requests) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            loop {
                let (tcp, _) = listener.accept().await.unwrap();
                let mut io: Box<dyn Io> = match &tls {
                    None => Box::new(tcp),
                    #[cfg(feature = "rustls")]
                    Some(acceptor) => Box::new(acceptor.accept(tcp).await.unwrap()),
                    #[cfg(not(feature = "rustls"))]
                    Some(never) => match *never {},
                };
                let head = read_head(&mut io).await;
                if sender.send(Request { head, io }).is_err() {
                    return;
                }
            }
        });
        Server {
            port,
            requests,
            task,
        }
    }

    async fn next(&mut self) -> Request {
        self.requests.recv().await.expect("the server stopped")
    }
}

async fn read_head<S: AsyncRead + Unpin + ?Sized>(io: &mut S) -> String {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        let byte = io.read_u8().await.expect("a request head");
        head.push(byte);
        assert!(head.len() < 16 * 1024, "a request head that never ends");
    }
    String::from_utf8(head).unwrap()
}

/// The `Last-Event-ID` a request head sent, if any.
fn last_event_id(head: &str) -> Option<&str> {
    head.split("\r\n")
        .find_map(|line| line.strip_prefix("Last-Event-ID: "))
}

const STREAM_HEAD: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";
const CHUNKED_HEAD: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";

/// `(event, data, id)`s, encoded.
fn encode(events: &[(Option<&str>, &str, Option<&str>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (event, data, id) in events {
        write_event(&mut out, *event, data, *id);
    }
    out
}

/// `bytes` as one HTTP/1.1 chunk.
fn chunk(bytes: &[u8]) -> Vec<u8> {
    let mut out = format!("{:x}\r\n", bytes.len()).into_bytes();
    out.extend_from_slice(bytes);
    out.extend_from_slice(b"\r\n");
    out
}

async fn next(events: &mut EventSource) -> MessageEvent {
    match events.next().await {
        Some(Ok(event)) => event,
        other => panic!("expected an event, got {other:?}"),
    }
}

fn check(event: &MessageEvent, kind: &str, data: &str, id: &str) {
    assert_eq!(
        (event.event.as_str(), event.data.as_str(), event.id.as_str()),
        (kind, data, id)
    );
}

const THREE: [(Option<&str>, &str, Option<&str>); 3] = [
    (Some("tick"), "one", Some("1")),
    (None, "two\nlines", None),
    (Some("tock"), "three", Some("3")),
];

#[tokio::test]
async fn events_arrive_in_order_with_type_data_and_id() {
    timed(async {
        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/events?x=1", server.port);
        let options = EventSourceOptions::default().header("X-Token", "abc");
        let mut events = EventSource::connect(&url, options).unwrap();
        assert_eq!(events.ready_state(), SourceState::Connecting);
        let serve = async {
            let mut request = server.next().await;
            assert!(
                request.head.starts_with("GET /events?x=1 HTTP/1.1\r\n"),
                "{}",
                request.head
            );
            for line in [
                "Accept: text/event-stream",
                "Cache-Control: no-cache",
                "X-Token: abc",
            ] {
                assert!(request.head.contains(line), "{line} in {}", request.head);
            }
            assert_eq!(last_event_id(&request.head), None);
            request.io.write_all(STREAM_HEAD).await.unwrap();
            request.io.write_all(&encode(&THREE)).await.unwrap();
            request
        };
        let (_request, first) = tokio::join!(serve, next(&mut events));
        check(&first, "tick", "one", "1");
        assert!(events.is_open());
        check(&next(&mut events).await, "message", "two\nlines", "1");
        check(&next(&mut events).await, "tock", "three", "3");
        assert_eq!(events.last_event_id(), "3");
        assert_eq!(events.url(), url);
    })
    .await;
}

#[tokio::test]
async fn chunked_bodies_and_their_end_then_a_reconnection() {
    timed(async {
        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/", server.port);
        let options = EventSourceOptions::default().reconnection_time(Duration::ZERO);
        let mut events = EventSource::connect(&url, options).unwrap();
        let serve = async {
            let mut request = server.next().await;
            let body = encode(&THREE);
            let mut bytes = CHUNKED_HEAD.to_vec();
            // One chunk cuts an event in two.
            bytes.extend_from_slice(&chunk(&body[..9]));
            bytes.extend_from_slice(&chunk(&body[9..]));
            bytes.extend_from_slice(b"0\r\n\r\n");
            request.io.write_all(&bytes).await.unwrap();
            // The last chunk, not the connection, ends the stream: the
            // client comes back while this one is still open.
            let mut second = server.next().await;
            assert_eq!(last_event_id(&second.head), Some("3"));
            second.io.write_all(CHUNKED_HEAD).await.unwrap();
            second
                .io
                .write_all(&chunk(&encode(&[(None, "again", Some("4"))])))
                .await
                .unwrap();
            (request, second)
        };
        let read = async {
            let mut got = Vec::new();
            for _ in 0..4 {
                got.push(next(&mut events).await);
            }
            got
        };
        let (_conns, got) = tokio::join!(serve, read);
        check(&got[0], "tick", "one", "1");
        check(&got[1], "message", "two\nlines", "1");
        check(&got[2], "tock", "three", "3");
        check(&got[3], "message", "again", "4");
    })
    .await;
}

/// The reconnection waits for the server's `retry:` on tokio's paused
/// clock (nothing else runs a timer: no connect timeout).
#[tokio::test(start_paused = true)]
async fn reconnects_after_retry_with_last_event_id() {
    let mut server = Server::start().await;
    let url = format!("http://127.0.0.1:{}/", server.port);
    let options =
        EventSourceOptions::default().transport(TransportOptions::default().connect_timeout(None));
    let mut events = EventSource::connect(&url, options).unwrap();
    let serve = async {
        let mut request = server.next().await;
        let mut bytes = STREAM_HEAD.to_vec();
        write_retry(&mut bytes, Duration::from_secs(5));
        bytes.extend_from_slice(&encode(&THREE[..1]));
        request.io.write_all(&bytes).await.unwrap();
        request.io.shutdown().await.unwrap();
        drop(request);
        let dropped = tokio::time::Instant::now();
        let mut second = server.next().await;
        let waited = dropped.elapsed();
        assert_eq!(last_event_id(&second.head), Some("1"), "{}", second.head);
        second.io.write_all(STREAM_HEAD).await.unwrap();
        second
            .io
            .write_all(&encode(&[(None, "after", None)]))
            .await
            .unwrap();
        (waited, second)
    };
    let read = async {
        let first = next(&mut events).await;
        let second = next(&mut events).await;
        (first, second)
    };
    let ((waited, _second), (first, second)) = tokio::join!(serve, read);
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(6),
        "reconnected after {waited:?}"
    );
    check(&first, "tick", "one", "1");
    check(&second, "message", "after", "1");
    assert_eq!(events.reconnection_time(), Duration::from_secs(5));
}

#[tokio::test]
async fn redirects_are_followed_on_a_new_connection() {
    timed(async {
        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/old", server.port);
        let mut events = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
        let serve = async {
            let mut request = server.next().await;
            assert!(request.head.starts_with("GET /old "), "{}", request.head);
            request
                .io
                .write_all(b"HTTP/1.1 307 Temporary Redirect\r\nLocation: /new?x=1\r\nContent-Length: 0\r\n\r\n")
                .await
                .unwrap();
            let mut second = server.next().await;
            assert!(second.head.starts_with("GET /new?x=1 "), "{}", second.head);
            second.io.write_all(STREAM_HEAD).await.unwrap();
            second.io.write_all(&encode(&THREE[..1])).await.unwrap();
            (request, second)
        };
        let (_conns, event) = tokio::join!(serve, next(&mut events));
        check(&event, "tick", "one", "1");
        assert_eq!(events.url(), url, "the EventSource keeps its URL");
    })
    .await;
}

#[tokio::test]
async fn no_content_ends_the_stream_for_good() {
    timed(async {
        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/", server.port);
        // Were it to reconnect, it would at once.
        let options = EventSourceOptions::default().reconnection_time(Duration::ZERO);
        let mut events = EventSource::connect(&url, options).unwrap();
        let serve = async {
            let mut request = server.next().await;
            request
                .io
                .write_all(b"HTTP/1.1 204 No Content\r\n\r\n")
                .await
                .unwrap();
            request
        };
        let (_request, end) = tokio::join!(serve, events.next());
        assert!(end.is_none(), "{end:?}");
        assert_eq!(events.ready_state(), SourceState::Closed);
        assert!(events.next().await.is_none());
        let again = tokio::time::timeout(Duration::from_millis(200), server.next()).await;
        assert!(again.is_err(), "no reconnection after 204");
    })
    .await;
}

#[tokio::test]
async fn text_html_is_an_error_and_the_end() {
    timed(async {
        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/", server.port);
        let options = EventSourceOptions::default().reconnection_time(Duration::ZERO);
        let mut events = EventSource::connect(&url, options).unwrap();
        let serve = async {
            let mut request = server.next().await;
            request
                .io
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\n\r\n<html>")
                .await
                .unwrap();
            request
        };
        let (_request, end) = tokio::join!(serve, events.next());
        let error = match end {
            Some(Err(error)) => error,
            other => panic!("expected an error, got {other:?}"),
        };
        let text = error.to_string();
        assert!(text.contains("200") && text.contains("text/html"), "{text}");
        assert!(matches!(
            error,
            Error::EventSource(ClientError::NotEventStream { status: 200, content_type: Some(ref kind) })
                if kind == "text/html"
        ));
        assert!(events.next().await.is_none(), "the error ends the stream");
        assert_eq!(events.ready_state(), SourceState::Closed);
        let again = tokio::time::timeout(Duration::from_millis(200), server.next()).await;
        assert!(again.is_err(), "no reconnection after a failure");
    })
    .await;
}

#[tokio::test]
async fn refused_connections_are_retried_and_close_stops() {
    timed(async {
        // A port nobody listens on: each attempt is a network error.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let options = EventSourceOptions::default().reconnection_time(Duration::from_millis(10));
        let mut events =
            EventSource::connect(&format!("http://127.0.0.1:{port}/"), options).unwrap();
        let waited = tokio::time::timeout(Duration::from_millis(300), events.next()).await;
        assert!(waited.is_err(), "network errors are retried, not reported");
        assert_eq!(events.ready_state(), SourceState::Connecting);
        events.close();
        assert_eq!(events.ready_state(), SourceState::Closed);
        assert!(events.next().await.is_none());
    })
    .await;
    assert!(EventSource::connect("ws://example.com/", EventSourceOptions::default()).is_err());
    let bad_header = EventSourceOptions::default().header("Bad Name", "x");
    assert!(EventSource::connect("http://example.com/", bad_header).is_err());
}

// ------------------------------------------------------- TLS and proxies

/// A throwaway CA, and a server certificate it signed for 127.0.0.1 and
/// localhost: the CA's PEM and the server's TLS acceptor.
#[cfg(feature = "rustls")]
fn test_ca() -> (String, tokio_rustls::TlsAcceptor) {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "wsdriver EventSource test CA");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_key = KeyPair::generate().unwrap();
    let ca = params.self_signed(&ca_key).unwrap();
    let names = vec!["127.0.0.1".to_owned(), "localhost".to_owned()];
    let leaf_key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(names)
        .unwrap()
        .signed_by(&leaf_key, &ca, &ca_key)
        .unwrap();
    let config = peers::tls_config(&leaf.pem(), &leaf_key.serialize_pem(), None);
    (ca.pem(), tokio_rustls::TlsAcceptor::from(config))
}

/// Serves one stream of [`THREE`] and checks the client read it.
#[cfg(feature = "rustls")]
async fn serve_three(server: &mut Server, events: &mut EventSource) {
    let serve = async {
        let mut request = server.next().await;
        request.io.write_all(STREAM_HEAD).await.unwrap();
        request.io.write_all(&encode(&THREE)).await.unwrap();
        request
    };
    let read = async {
        let mut got = Vec::new();
        for _ in 0..3 {
            got.push(next(events).await);
        }
        got
    };
    let (_request, got) = tokio::join!(serve, read);
    check(&got[0], "tick", "one", "1");
    check(&got[2], "tock", "three", "3");
}

#[cfg(feature = "rustls")]
#[tokio::test]
async fn https_with_a_private_ca() {
    use wsdriver_tokio::TlsOptions;
    timed(async {
        let (ca_pem, acceptor) = test_ca();
        let mut server = Server::start_with(Some(acceptor)).await;
        let url = format!("https://127.0.0.1:{}/", server.port);
        let tls = TlsOptions::default().add_ca_pem(ca_pem.as_bytes()).unwrap();
        let mut events = EventSource::connect(
            &url,
            EventSourceOptions::default().transport(TransportOptions::default().tls(tls)),
        )
        .unwrap();
        serve_three(&mut server, &mut events).await;

        // Without the CA: TLS refuses, and retrying would not help.
        let mut untrusting = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
        let refused = untrusting.next().await;
        assert!(
            matches!(refused, Some(Err(Error::Tls { .. } | Error::Config(_)))),
            "{refused:?}"
        );
        assert!(untrusting.next().await.is_none());
        assert_eq!(untrusting.ready_state(), SourceState::Closed);
    })
    .await;
}

#[cfg(feature = "rustls")]
#[tokio::test]
async fn through_a_connect_proxy_plain_and_tls() {
    use wsdriver_tokio::{ProxyOptions, TlsOptions};
    timed(async {
        let mut proxy = peers::connect_proxy(None, None).await;
        let proxy_port = proxy.port;
        let via = || ProxyOptions::new(format!("http://127.0.0.1:{proxy_port}"));

        let mut server = Server::start().await;
        let url = format!("http://127.0.0.1:{}/", server.port);
        let mut events = EventSource::connect(
            &url,
            EventSourceOptions::default().transport(TransportOptions::default().proxy(via())),
        )
        .unwrap();
        serve_three(&mut server, &mut events).await;
        let line = proxy.next_line().await;
        assert!(
            line.contains(&format!("127.0.0.1:{}", server.port)),
            "{line}"
        );

        // https: TLS to the server inside the tunnel.
        let (ca_pem, acceptor) = test_ca();
        let mut server = Server::start_with(Some(acceptor)).await;
        let url = format!("https://127.0.0.1:{}/", server.port);
        let tls = TlsOptions::default().add_ca_pem(ca_pem.as_bytes()).unwrap();
        let options = EventSourceOptions::default()
            .transport(TransportOptions::default().tls(tls).proxy(via()));
        let mut events = EventSource::connect(&url, options).unwrap();
        serve_three(&mut server, &mut events).await;
        let line = proxy.next_line().await;
        assert!(
            line.contains(&format!("127.0.0.1:{}", server.port)),
            "{line}"
        );
    })
    .await;
}

// ------------------------------------------------------------- interop

/// faye-websocket's EventSource server: events in order, then the
/// reconnection faye reads `Last-Event-ID` from (`es.lastEventId`).
#[cfg(feature = "interop")]
#[tokio::test]
async fn faye_websocket_event_source_server() {
    use std::process::Stdio;
    use tokio::io::{AsyncBufReadExt, BufReader};
    timed(async {
        let node = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tools/node");
        assert!(
            node.join("node_modules/faye-websocket/package.json")
                .is_file(),
            "faye-websocket is not installed: run tools/peers.sh"
        );
        let mut child = tokio::process::Command::new("node")
            .arg(node.join("faye_eventsource_server.js"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("cannot run `node`: install Node.js >= 18");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut line = async || {
            lines
                .next_line()
                .await
                .unwrap()
                .expect("the server's output")
        };
        let first = line().await;
        let port: u16 = first
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("faye_eventsource_server.js said {first:?}"));

        let url = format!("http://127.0.0.1:{port}/stream");
        let mut events = EventSource::connect(&url, EventSourceOptions::default()).unwrap();
        check(&next(&mut events).await, "tick", "one", "1");
        check(&next(&mut events).await, "tick", "two\nlines", "2");
        // faye ends the stream; its retry: 100 brings the client back.
        check(&next(&mut events).await, "message", "resumed after 2", "3");
        assert_eq!(events.reconnection_time(), Duration::from_millis(100));
        assert_eq!(
            line().await,
            r#"{"lastEventId":"","accept":"text/event-stream"}"#
        );
        assert_eq!(
            line().await,
            r#"{"lastEventId":"2","accept":"text/event-stream"}"#
        );
        events.close();
    })
    .await;
}
