//! The client over real sockets: against WebSocket servers and `CONNECT`
//! proxies, plain and TLS, and against our own server on a Unix socket.
//! TLS certificates come from a throwaway CA made with rcgen.
//!
//! The tests that need peers are written once, generic over [`Peers`],
//! and run against in-process Rust peers (tests/peers) on every `cargo
//! test`, so the wss and proxy paths never depend on Node being there.
//! With the `interop` feature (the README's test command turns it on) the
//! same tests also run as `node_peers::*` against npm `ws` and a Node
//! proxy (tools/node/ws_server.js, tools/node/connect_proxy.js, installed
//! by `tools/peers.sh`): what the Rust peers show, real peers confirm.
//! Then a missing Node or `ws` fails them (it never skips them).
//!
//! Needs the `native-roots` feature (on by default, with `rustls`): TLS
//! runs through it all, and some tests count on a default `TlsOptions`
//! trusting the platform's roots (failing on the test CA's certificate
//! rather than for want of any root).

#![cfg(feature = "native-roots")]

mod peers;

use bytes::Bytes;
use futures_util::StreamExt;
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};
use std::collections::HashMap;
use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use wsdriver_tokio::rustls::pki_types::CertificateDer;
use wsdriver_tokio::{
    certs_from_pem, connect, no_proxy_matches, ClientCert, ClientOptions, Error, MaybeTlsStream,
    Message, Options, PrefixedStream, ProxyOptions, ServerOptions, TlsOptions, TransportOptions,
    Version, WebSocket,
};
// What only the Node peers use.
#[cfg(feature = "interop")]
use {
    std::path::Path,
    tokio::io::{AsyncBufReadExt, BufReader, Lines},
    tokio::process::{Child, ChildStdout},
};

#[cfg(feature = "interop")]
const WORKSPACE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
/// No test may take longer than this, whatever hangs.
const TEST_TIMEOUT: Duration = Duration::from_secs(90);
/// How long one message may take to come back.
const READ_TIMEOUT: Duration = Duration::from_secs(60);

/// Runs a test body under [`TEST_TIMEOUT`].
async fn timed<F: Future<Output = ()>>(body: F) {
    tokio::time::timeout(TEST_TIMEOUT, body)
        .await
        .expect("the test timed out");
}

// ---------------------------------------------------------------- peers

/// The peers a test body starts, so that one body runs against either
/// kind: Rust peers always, Node peers with `interop`.
trait Peers {
    type Server: Peer;
    type Proxy: ProxyPeer;
    /// A ws echo server with ws_server.js's routes and `?info`; it picks
    /// the first subprotocol the client offers that is in `protocols`.
    async fn ws_server(protocols: &[&str]) -> Self::Server;
    /// The same over TLS, with a certificate from the server CA for the
    /// local names; with `client_ca`, it requires a client certificate
    /// from the client CA.
    async fn tls_ws_server(pki: &Pki, client_ca: bool) -> Self::Server;
    /// A CONNECT proxy, wanting Basic `auth` (`user:password`) if given;
    /// an https one, with a certificate from the proxy CA, with `tls`.
    async fn proxy(auth: Option<&str>, tls: Option<&Pki>) -> Self::Proxy;
}

trait Peer {
    fn port(&self) -> u16;
}

trait ProxyPeer: Peer {
    /// The JSON line (`{url, headers}`) the proxy logged for the next
    /// CONNECT request, refused or not.
    async fn next_line(&mut self) -> String;
}

/// Declares each generic body as a test in `rust_peers` and, with
/// `interop`, in `node_peers`: every assertion is made against the Rust
/// peers, and the Node ones keep them honest.
macro_rules! peer_tests {
    ($($name:ident),* $(,)?) => {
        mod rust_peers {
            $(
                #[tokio::test]
                async fn $name() {
                    super::timed(super::$name::<super::RustPeers>()).await;
                }
            )*
        }

        #[cfg(feature = "interop")]
        mod node_peers {
            $(
                #[tokio::test]
                async fn $name() {
                    super::timed(super::$name::<super::NodePeers>()).await;
                }
            )*
        }
    };
}

peer_tests! {
    echo_text_binary_and_16_mib,
    subprotocol_is_agreed,
    protocol_version_8_and_origin,
    not_found_is_a_status_error,
    wss_with_an_extra_ca,
    wss_fails_without_the_ca,
    danger_accept_invalid_certs_connects,
    a_whole_rustls_config_wins,
    client_certificate_is_shown,
    proxy_with_basic_auth_to_ws,
    proxy_refuses_wrong_or_missing_credentials,
    proxy_without_auth_to_wss,
    https_proxy_has_its_own_tls,
    redirects_are_followed_when_asked,
    redirects_keep_credentials_on_the_same_host_only,
}

/// The in-process peers of tests/peers.
struct RustPeers;

impl Peers for RustPeers {
    type Server = peers::Listening;
    type Proxy = peers::Proxy;

    async fn ws_server(protocols: &[&str]) -> peers::Listening {
        peers::ws_server(protocols, None).await
    }

    async fn tls_ws_server(pki: &Pki, client_ca: bool) -> peers::Listening {
        let (cert, key) = pki.server_ca.issue("wsdriver test server", &LOCAL_NAMES);
        let client_ca = client_ca.then(|| pki.client_ca.der());
        peers::ws_server(&[], Some(peers::tls_config(&cert, &key, client_ca))).await
    }

    async fn proxy(auth: Option<&str>, tls: Option<&Pki>) -> peers::Proxy {
        let tls = tls.map(|pki| {
            let (cert, key) = pki.proxy_ca.issue("wsdriver test proxy", &LOCAL_NAMES);
            peers::tls_config(&cert, &key, None)
        });
        peers::connect_proxy(auth, tls).await
    }
}

impl Peer for peers::Listening {
    fn port(&self) -> u16 {
        self.port
    }
}

impl Peer for peers::Proxy {
    fn port(&self) -> u16 {
        self.port
    }
}

impl ProxyPeer for peers::Proxy {
    async fn next_line(&mut self) -> String {
        peers::Proxy::next_line(self).await
    }
}

// ------------------------------------------------------------ plain ws

async fn echo_text_binary_and_16_mib<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let url = format!("ws://127.0.0.1:{}/echo", server.port());
    let mut ws = connect(&url, ClientOptions::default()).await.unwrap();
    assert!(matches!(ws.get_ref(), MaybeTlsStream::Plain(_)));
    assert_eq!(ws.url(), Some(url.as_str()));

    let big_text: String = "héllo wörld ✓ ".repeat(80_000); // ~1.4 MB, multi-byte
    let mut big_binary = vec![0u8; 16 * 1024 * 1024];
    let mut x = 0x1234_5678u32;
    for byte in &mut big_binary {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        *byte = x as u8;
    }
    let messages = [
        Message::from("hello"),
        Message::from(vec![0u8, 1, 2, 255]),
        Message::from(""),
        Message::from(big_text),
        Message::from(big_binary),
    ];
    for message in &messages {
        ws.send(message.clone()).await.unwrap();
        let echoed = next_message(&mut ws).await;
        // Same type, same bytes (compared without printing 16 MiB).
        assert_eq!(
            std::mem::discriminant(&echoed),
            std::mem::discriminant(message)
        );
        assert!(echoed.as_bytes() == message.as_bytes(), "payload differs");
    }
    let close = ws.close(1000, "done").await.unwrap();
    assert_eq!((close.code.as_u16(), close.clean), (1000, true));
}

async fn subprotocol_is_agreed<P: Peers>() {
    let server = P::ws_server(&["chat", "superchat"]).await;
    let url = format!("ws://127.0.0.1:{}/?info", server.port());
    let options =
        ClientOptions::default().options(Options::default().protocols(["nope", "superchat"]));
    let mut ws = connect(&url, options).await.unwrap();
    assert_eq!(ws.protocol(), Some("superchat"));
    let info = next_text(&mut ws).await;
    assert!(info.contains(r#""protocol":"superchat""#), "{info}");
    assert!(
        info.contains(r#""sec-websocket-protocol":"nope, superchat""#),
        "{info}"
    );
    echo_once(&mut ws).await;
}

async fn protocol_version_8_and_origin<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let url = format!("ws://127.0.0.1:{}/?info", server.port());

    // Draft 8 names the header Sec-WebSocket-Origin; both servers take 8.
    let options = ClientOptions::default()
        .options(Options::default().protocol_version(8))
        .origin("http://example.test")
        .header("Origin", "http://ignored.test");
    let mut ws = connect(&url, options).await.unwrap();
    assert_eq!(ws.version(), Version::Hybi8);
    let info = next_text(&mut ws).await;
    assert!(info.contains(r#""sec-websocket-version":"8""#), "{info}");
    assert!(
        info.contains(r#""sec-websocket-origin":"http://example.test""#),
        "{info}"
    );
    assert!(!info.contains(r#""origin":"#), "{info}");
    echo_once(&mut ws).await;

    let options = ClientOptions::default().origin("http://example.test");
    let mut ws = connect(&url, options).await.unwrap();
    assert_eq!(ws.version(), Version::Hybi13);
    let info = next_text(&mut ws).await;
    assert!(info.contains(r#""sec-websocket-version":"13""#), "{info}");
    assert!(info.contains(r#""origin":"http://example.test""#), "{info}");
    assert!(!info.contains("sec-websocket-origin"), "{info}");
}

async fn not_found_is_a_status_error<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let url = format!("ws://127.0.0.1:{}/status/404", server.port());
    let error = connect(&url, ClientOptions::default()).await.unwrap_err();
    // The error page's first line shows, and the page is kept.
    assert_eq!(
        error.to_string(),
        "Error during WebSocket handshake: Unexpected response code: 404 (\"answered 404\")"
    );
    match error {
        Error::Status {
            status,
            headers,
            body,
            ..
        } => {
            assert_eq!(status, 404);
            assert_eq!(headers["content-type"], "text/plain");
            assert_eq!(&body[..], b"answered 404\n");
        }
        other => panic!("expected Error::Status, got {other:?}"),
    }
}

#[tokio::test]
async fn refused_connection_is_a_network_error() {
    timed(async {
        let port = unused_port().await;
        let url = format!("ws://127.0.0.1:{port}/");
        let error = connect(&url, ClientOptions::default()).await.unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!("Network error: {url}: ")),
            "{message}"
        );
        assert!(matches!(error, Error::Io { .. }));
    })
    .await;
}

#[tokio::test]
async fn handshake_timeout_gives_up() {
    timed(async {
        // Accepts and never answers.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let _hold = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let options = ClientOptions::default().transport(
            TransportOptions::default().connect_timeout(Some(Duration::from_millis(300))),
        );
        let started = tokio::time::Instant::now();
        let error = connect(&format!("ws://127.0.0.1:{port}/"), options)
            .await
            .unwrap_err();
        assert!(matches!(error, Error::Timeout(_)), "{error:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    })
    .await;
}

// ------------------------------------------------------------------ TLS

async fn wss_with_an_extra_ca<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    for host in ["127.0.0.1", "localhost"] {
        let url = format!("wss://{host}:{}/", server.port());
        let tls = TlsOptions::default()
            .add_ca_pem(pki.server_ca.pem.as_bytes())
            .unwrap();
        let options = ClientOptions::default().transport(TransportOptions::default().tls(tls));
        let mut ws = connect(&url, options).await.unwrap();
        assert!(matches!(ws.get_ref(), MaybeTlsStream::Tls(_)));
        echo_once(&mut ws).await;
    }
}

async fn wss_fails_without_the_ca<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    let url = format!("wss://127.0.0.1:{}/", server.port());
    let error = connect(&url, ClientOptions::default()).await.unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("Network error: wss://"), "{message}");
    assert!(message.contains("invalid peer certificate"), "{message}");
    // A TLS refusal is told apart from a transport failure.
    assert!(
        matches!(
            &error,
            wsdriver_tokio::Error::Tls {
                url: Some(_),
                proxy: None,
                source: wsdriver_tokio::rustls::Error::InvalidCertificate(_)
            }
        ),
        "{error:?}"
    );

    // Another CA does not help either.
    let tls = TlsOptions::default()
        .add_ca_pem(pki.proxy_ca.pem.as_bytes())
        .unwrap();
    let options = ClientOptions::default().transport(TransportOptions::default().tls(tls));
    let error = connect(&url, options).await.unwrap_err();
    assert!(error.to_string().starts_with("Network error: wss://"));
    assert!(
        matches!(error, wsdriver_tokio::Error::Tls { .. }),
        "{error:?}"
    );
}

async fn danger_accept_invalid_certs_connects<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    let url = format!("wss://127.0.0.1:{}/", server.port());
    let options = ClientOptions::default().transport(
        TransportOptions::default().tls(TlsOptions::default().danger_accept_invalid_certs(true)),
    );
    let mut ws = connect(&url, options).await.unwrap();
    echo_once(&mut ws).await;
}

async fn a_whole_rustls_config_wins<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    let url = format!("wss://127.0.0.1:{}/", server.port());

    // Only the test CA, no platform roots.
    let only_ours = TlsOptions::default().rustls_config(rustls_config(&[pki.server_ca.der()]));
    let options = ClientOptions::default().transport(
        TransportOptions::default()
            .tls(TlsOptions::default().rustls_config(only_ours.client_config().unwrap())),
    );
    let mut ws = connect(&url, options).await.unwrap();
    echo_once(&mut ws).await;

    // A config that trusts another CA: the danger flag is ignored.
    let options = ClientOptions::default().transport(
        TransportOptions::default().tls(
            TlsOptions::default()
                .rustls_config(rustls_config(&[pki.proxy_ca.der()]))
                .danger_accept_invalid_certs(true),
        ),
    );
    let error = connect(&url, options).await.unwrap_err();
    assert!(error.to_string().contains("invalid peer certificate"));
}

async fn client_certificate_is_shown<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, true).await;
    let url = format!("wss://127.0.0.1:{}/?info", server.port());

    let tls = TlsOptions::default()
        .add_ca_pem(pki.server_ca.pem.as_bytes())
        .unwrap();
    let (cert, key) = pki.client_ca.issue("wsdriver test client", &[]);
    let cert = ClientCert::from_pem(cert.as_bytes(), key.as_bytes()).unwrap();
    let options = ClientOptions::default()
        .transport(TransportOptions::default().tls(tls.clone().client_cert(cert)));
    let mut ws = connect(&url, options).await.unwrap();
    let info = next_text(&mut ws).await;
    assert!(
        info.contains(r#""clientCert":"wsdriver test client""#),
        "{info}"
    );
    echo_once(&mut ws).await;

    // Without it the server ends the TLS session.
    let options = ClientOptions::default().transport(TransportOptions::default().tls(tls));
    let error = connect(&url, options).await.unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("Network error: wss://"), "{message}");
}

#[test]
fn pem_helpers() {
    let pki = Pki::new();
    let both = format!("{}{}", pki.server_ca.pem, pki.proxy_ca.pem);
    let certs = certs_from_pem(both.as_bytes()).unwrap();
    assert_eq!(certs, [pki.server_ca.der(), pki.proxy_ca.der()]);
    assert!(certs_from_pem(b"not a pem").is_err());
    let (cert, key) = pki.client_ca.issue("c", &[]);
    assert!(ClientCert::from_pem(cert.as_bytes(), key.as_bytes()).is_ok());
    assert!(ClientCert::from_pem(cert.as_bytes(), b"").is_err());
}

// --------------------------------------------------------------- proxies

async fn proxy_with_basic_auth_to_ws<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let mut proxy = P::proxy(Some("user:p@ss"), None).await;
    let url = format!("ws://127.0.0.1:{}/?info", server.port());
    let options = ClientOptions::default().transport(
        TransportOptions::default().proxy(
            ProxyOptions::new(format!("http://user:p%40ss@127.0.0.1:{}", proxy.port()))
                .header("User-Agent", "wsdriver-test"),
        ),
    );
    let mut ws = connect(&url, options).await.unwrap();
    assert!(matches!(ws.get_ref(), MaybeTlsStream::Plain(_)));
    let info = next_text(&mut ws).await;
    // The proxy's credentials stay with the proxy.
    assert!(!info.contains("authorization"), "{info}");
    echo_once(&mut ws).await;

    let seen = proxy.next_line().await;
    assert!(
        seen.contains(&format!(r#""url":"127.0.0.1:{}""#, server.port())),
        "{seen}"
    );
    // base64("user:p@ss")
    assert!(
        seen.contains(r#""proxy-authorization":"Basic dXNlcjpwQHNz""#),
        "{seen}"
    );
    assert!(seen.contains(r#""user-agent":"wsdriver-test""#), "{seen}");
}

async fn proxy_refuses_wrong_or_missing_credentials<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let mut proxy = P::proxy(Some("user:p@ss"), None).await;
    let url = format!("ws://127.0.0.1:{}/", server.port());
    for origin in [
        format!("http://user:wrong@127.0.0.1:{}", proxy.port()),
        format!("http://127.0.0.1:{}", proxy.port()),
    ] {
        let options = ClientOptions::default()
            .transport(TransportOptions::default().proxy(ProxyOptions::new(origin)));
        let error = connect(&url, options).await.unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("Can't establish a connection to the server at {url}")
        );
        match error {
            Error::WebSocket(wsdriver::Error::Proxy { status, .. }) => {
                assert_eq!(status, Some(407))
            }
            other => panic!("expected a proxy error, got {other:?}"),
        }
    }
    let wrong = proxy.next_line().await;
    // base64("user:wrong")
    assert!(
        wrong.contains(r#""proxy-authorization":"Basic dXNlcjp3cm9uZw==""#),
        "{wrong}"
    );
    let missing = proxy.next_line().await;
    assert!(!missing.contains("proxy-authorization"), "{missing}");
}

async fn proxy_without_auth_to_wss<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    let mut proxy = P::proxy(None, None).await;
    let url = format!("wss://localhost:{}/", server.port());
    let proxied = TransportOptions::default().proxy(ProxyOptions::new(format!(
        "http://127.0.0.1:{}",
        proxy.port()
    )));
    let tls = TlsOptions::default()
        .add_ca_pem(pki.server_ca.pem.as_bytes())
        .unwrap();
    let options = ClientOptions::default().transport(proxied.clone().tls(tls));
    let mut ws = connect(&url, options).await.unwrap();
    assert!(matches!(ws.get_ref(), MaybeTlsStream::TlsTunnel(_)));
    echo_once(&mut ws).await;
    let seen = proxy.next_line().await;
    assert!(
        seen.contains(&format!(r#""url":"localhost:{}""#, server.port())),
        "{seen}"
    );
    assert!(!seen.contains("proxy-authorization"), "{seen}");

    // The server's certificate is still checked inside the tunnel.
    let options = ClientOptions::default().transport(proxied);
    let error = connect(&url, options).await.unwrap_err();
    let message = error.to_string();
    assert!(message.starts_with("Network error: wss://"), "{message}");
    assert!(message.contains("invalid peer certificate"), "{message}");
}

async fn https_proxy_has_its_own_tls<P: Peers>() {
    let pki = Pki::new();
    let server = P::tls_ws_server(&pki, false).await;
    let plain_server = P::ws_server(&[]).await;
    let proxy = P::proxy(None, Some(&pki)).await;
    let https_proxy = |ca: &Pem| {
        let tls = TlsOptions::default().add_ca_pem(ca.pem.as_bytes()).unwrap();
        ProxyOptions::new(format!("https://localhost:{}", proxy.port())).tls(tls)
    };

    // TLS to the proxy (its CA), then TLS to the server (another CA).
    let server_tls = TlsOptions::default()
        .add_ca_pem(pki.server_ca.pem.as_bytes())
        .unwrap();
    let options = ClientOptions::default().transport(
        TransportOptions::default()
            .proxy(https_proxy(&pki.proxy_ca))
            .tls(server_tls),
    );
    let wss = format!("wss://127.0.0.1:{}/", server.port());
    let mut ws = connect(&wss, options.clone()).await.unwrap();
    match ws.get_ref() {
        MaybeTlsStream::TlsTunnel(tls) => {
            assert!(matches!(tls.get_ref().0.get_ref(), MaybeTlsStream::Tls(_)))
        }
        other => panic!("expected TLS in a TLS tunnel, got {other:?}"),
    }
    echo_once(&mut ws).await;

    // ws: through the https proxy: the connection is the proxy's TLS.
    let ws_url = format!("ws://127.0.0.1:{}/", plain_server.port());
    let mut ws = connect(&ws_url, options.clone()).await.unwrap();
    assert!(matches!(ws.get_ref(), MaybeTlsStream::Tls(_)));
    echo_once(&mut ws).await;

    // The server's CA does not vouch for the proxy.
    let transport = options.get_transport().clone();
    let options = options.transport(transport.proxy(https_proxy(&pki.server_ca)));
    let error = connect(&wss, options).await.unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("Network error: {wss}: proxy localhost:")),
        "{message}"
    );
    assert!(message.contains("invalid peer certificate"), "{message}");
    assert!(
        matches!(&error, wsdriver_tokio::Error::Tls { proxy: Some(_), .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn unreachable_proxy_is_a_network_error() {
    timed(async {
        let port = unused_port().await;
        let options = ClientOptions::default().transport(
            TransportOptions::default()
                .proxy(ProxyOptions::new(format!("http://127.0.0.1:{port}"))),
        );
        let error = connect("ws://example.invalid/", options).await.unwrap_err();
        let message = error.to_string();
        assert!(
            message.starts_with(&format!(
                "Network error: ws://example.invalid/: proxy 127.0.0.1:{port}: "
            )),
            "{message}"
        );
    })
    .await;
}

/// `use_env_proxy` end to end. Changing the environment of a process whose
/// other threads may read it is unsound, so the test runs itself again as
/// a child process with the variables set: the child connects, the parent
/// checks what the proxy saw. Only against the Rust peers: what is tested
/// is which connections the client sends to the proxy, and the proxy's
/// log shows that whoever wrote the proxy.
#[tokio::test]
async fn use_env_proxy_reads_the_environment() {
    if let Ok(urls) = std::env::var("WSDRIVER_TEST_ENV_PROXY_CHILD") {
        // The child: the first URL's host is in NO_PROXY, the second's not.
        for url in urls.split(' ') {
            let options =
                ClientOptions::default().transport(TransportOptions::default().use_env_proxy(true));
            let mut ws = connect(url, options).await.unwrap();
            echo_once(&mut ws).await;
        }
        return;
    }
    timed(async {
        let server = RustPeers::ws_server(&[]).await;
        let mut proxy = RustPeers::proxy(None, None).await;
        let direct = format!("ws://localhost:{}/", server.port());
        let proxied = format!("ws://127.0.0.1:{}/", server.port());
        let mut child = Command::new(std::env::current_exe().unwrap());
        child
            .args(["--exact", "use_env_proxy_reads_the_environment"])
            .args(["--nocapture", "--test-threads=1"])
            .env(
                "WSDRIVER_TEST_ENV_PROXY_CHILD",
                format!("{direct} {proxied}"),
            )
            .kill_on_drop(true)
            .stdin(Stdio::null());
        for name in ["http_proxy", "https_proxy", "no_proxy", "all_proxy"] {
            child.env_remove(name).env_remove(name.to_ascii_uppercase());
        }
        child
            .env("http_proxy", format!("127.0.0.1:{}", proxy.port()))
            .env("https_proxy", "http://127.0.0.1:1")
            .env("NO_PROXY", "example.com, localhost");
        let output = tokio::time::timeout(READ_TIMEOUT, child.output())
            .await
            .expect("the child test timed out")
            .unwrap();
        assert!(
            output.status.success(),
            "the child test failed:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        // Only the second connection went through the proxy.
        let seen = proxy.next_line().await;
        assert!(
            seen.contains(&format!(r#""url":"127.0.0.1:{}""#, server.port())),
            "{seen}"
        );
    })
    .await;
}

#[test]
fn proxy_from_the_environment() {
    let env = |pairs: &[(&str, &str)]| {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name: &str| vars.get(name).cloned()
    };
    let origin = |url: &str, vars: &[(&str, &str)]| {
        ProxyOptions::from_env_with(url, env(vars)).map(|p| p.origin().to_owned())
    };
    let both = [
        ("HTTPS_PROXY", "https://secure.proxy:8443"),
        ("http_proxy", "plain.proxy:3128"),
    ];
    // wss: uses the https proxy, ws: the http one (no scheme: http://).
    assert_eq!(
        origin("wss://example.com/", &both).as_deref(),
        Some("https://secure.proxy:8443")
    );
    assert_eq!(
        origin("ws://example.com/", &both).as_deref(),
        Some("http://plain.proxy:3128")
    );
    assert_eq!(origin("ws://example.com/", &both[..1]), None);
    assert_eq!(origin("wss://example.com/", &[]), None);
    assert_eq!(origin("ws+unix:/tmp/s", &both), None);
    // Lower case first, empty values ignored.
    assert_eq!(
        origin(
            "ws://example.com/",
            &[
                ("http_proxy", "http://lower:1"),
                ("HTTP_PROXY", "http://upper:2")
            ]
        )
        .as_deref(),
        Some("http://lower:1")
    );
    assert_eq!(
        origin(
            "ws://example.com/",
            &[("http_proxy", " "), ("HTTP_PROXY", "http://upper:2")]
        )
        .as_deref(),
        Some("http://upper:2")
    );

    // NO_PROXY picks the hosts that go direct.
    let with_no_proxy = |list: &'static str| {
        let mut vars = both.to_vec();
        vars.push(("NO_PROXY", list));
        vars
    };
    let direct = |url: &str, list: &'static str| origin(url, &with_no_proxy(list)).is_none();
    assert!(direct("wss://example.com/", "localhost, example.com"));
    assert!(direct("wss://api.example.com/", "example.com"));
    assert!(direct("wss://api.example.com/", ".example.com"));
    assert!(direct("ws://api.example.com/", "*.example.com"));
    assert!(!direct("wss://badexample.com/", "example.com"));
    assert!(!direct("wss://example.com.evil/", "example.com"));
    assert!(direct("ws://anything.at.all:1234/", "*"));
    assert!(direct("ws://127.0.0.1:8080/", "127.0.0.1"));
    assert!(direct("ws://10.1.2.3/", "10.0.0.0/8"));
    assert!(!direct("ws://11.1.2.3/", "10.0.0.0/8"));
    assert!(direct("ws://[::1]:9000/", "::1"));
    assert!(direct("ws://[::1]:9000/", "[::1]:9000"));
    assert!(!direct("ws://[::1]:9001/", "[::1]:9000"));
    assert!(direct("ws://example.com:8080/", "example.com:8080"));
    assert!(!direct("ws://example.com/", "example.com:8080"));
    assert!(direct("wss://EXAMPLE.com./", "Example.COM"));
    assert!(!direct("wss://example.com/", ""));
    // Lower case no_proxy wins over NO_PROXY.
    let mut vars = with_no_proxy("example.com");
    vars.push(("no_proxy", "other.org"));
    assert!(origin("wss://example.com/", &vars).is_some());

    assert!(no_proxy_matches("a.b, c.d", "x.c.d", 80));
    assert!(!no_proxy_matches("a.b c.d", "a.bc", 80));
}

// ------------------------------------------------------------- ws+unix

#[cfg(unix)]
#[tokio::test]
async fn ws_unix_socket() {
    timed(async {
        let dir = TempDir::new();
        let path = dir.path.join("ws.sock");
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let record = seen.clone();
        let server = tokio::spawn(async move {
            loop {
                let (stream, _) = listener.accept().await.unwrap();
                let record = record.clone();
                tokio::spawn(async move {
                    let ws = wsdriver_tokio::accept_with(stream, ServerOptions::default(), |req| {
                        let host = req
                            .headers
                            .get("host")
                            .map(|h| h.to_str().unwrap().to_owned());
                        record.lock().unwrap().push((req.uri.to_string(), host));
                        Ok(())
                    })
                    .await;
                    if let Ok(mut ws) = ws {
                        while let Some(Ok(message)) = ws.next().await {
                            if ws.send(message).await.is_err() {
                                break;
                            }
                        }
                    }
                });
            }
        });

        let url = format!("ws+unix:{}:/chat?room=1", path.display());
        let mut ws = connect(&url, ClientOptions::default()).await.unwrap();
        assert!(matches!(ws.get_ref(), MaybeTlsStream::Unix(_)));
        ws.send(Message::from(vec![7u8; 100_000])).await.unwrap();
        assert_eq!(next_message(&mut ws).await.as_bytes(), &[7u8; 100_000][..]);
        echo_once(&mut ws).await;

        // No request path: `/`.
        let mut ws = connect(
            &format!("ws+unix:{}", path.display()),
            ClientOptions::default(),
        )
        .await
        .unwrap();
        echo_once(&mut ws).await;
        assert_eq!(
            *seen.lock().unwrap(),
            [
                ("/chat?room=1".to_owned(), Some("localhost".to_owned())),
                ("/".to_owned(), Some("localhost".to_owned())),
            ]
        );

        let missing = format!("ws+unix:{}:/", dir.path.join("nobody.sock").display());
        let error = connect(&missing, ClientOptions::default())
            .await
            .unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with(&format!("Network error: {missing}: ")),
            "{error}"
        );
        server.abort();
    })
    .await;
}

// ------------------------------------------------------------ redirects

async fn redirects_are_followed_when_asked<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let base = format!("ws://127.0.0.1:{}", server.port());
    let follow = ClientOptions::default().follow_redirects(true);

    // Three relative hops (./2, ./1, ./0), each code once.
    for code in [301, 302, 303, 307, 308] {
        let url = format!("{base}/redirect/3?info&code={code}");
        let mut ws = connect(&url, follow.clone()).await.unwrap();
        let info = next_text(&mut ws).await;
        assert!(
            info.contains(&format!(r#""url":"/redirect/0?info&code={code}""#)),
            "{info}"
        );
        assert_eq!(
            ws.url(),
            Some(format!("{base}/redirect/0?info&code={code}").as_str())
        );
        echo_once(&mut ws).await;
    }

    // Off by default: the redirect is the error, Location readable.
    let url = format!("{base}/redirect/1");
    let error = connect(&url, ClientOptions::default()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Error during WebSocket handshake: Unexpected response code: 302 (\"answered 302\")"
    );
    match &error {
        Error::Status {
            status, headers, ..
        } => {
            assert_eq!(*status, 302);
            assert_eq!(headers["location"], "./0");
        }
        other => panic!("expected Error::Status, got {other:?}"),
    }

    // Too many.
    let limited = follow
        .clone()
        .transport(TransportOptions::default().max_redirects(2));
    let error = connect(&format!("{base}/redirect/3"), limited.clone())
        .await
        .unwrap_err();
    assert_eq!(error.to_string(), "Maximum redirects exceeded");
    match &error {
        Error::TooManyRedirects { status, headers } => {
            assert_eq!(*status, 302);
            assert!(headers.contains_key("location"));
        }
        other => panic!("expected Error::TooManyRedirects, got {other:?}"),
    }
    assert!(connect(&format!("{base}/redirect/2"), limited)
        .await
        .is_ok());
    let error = connect(&format!("{base}/loop"), follow.clone())
        .await
        .unwrap_err();
    assert!(matches!(error, Error::TooManyRedirects { .. }), "{error}");

    // A redirect to a 404 ends in that 404.
    let to_404 = format!("{base}/to?url=%2Fstatus%2F404");
    let error = connect(&to_404, follow).await.unwrap_err();
    assert!(matches!(error, Error::Status { status: 404, .. }));
}

async fn redirects_keep_credentials_on_the_same_host_only<P: Peers>() {
    let server = P::ws_server(&[]).await;
    let port = server.port();
    let options = ClientOptions::default()
        .follow_redirects(true)
        .header("Cookie", "session=1")
        .header("X-Kept", "yes");
    // Same host: userinfo and cookie go along.
    let url = format!("ws://user:pw@127.0.0.1:{port}/redirect/1?info");
    let mut ws = connect(&url, options.clone()).await.unwrap();
    let info = next_text(&mut ws).await;
    // base64("user:pw")
    assert!(
        info.contains(r#""authorization":"Basic dXNlcjpwdw==""#),
        "{info}"
    );
    assert!(info.contains(r#""cookie":"session=1""#), "{info}");

    // Another host (localhost is not 127.0.0.1), written as http:.
    let elsewhere = format!("http://localhost:{port}/final?info");
    let url = format!(
        "ws://user:pw@127.0.0.1:{port}/to?url={}",
        elsewhere
            .replace(':', "%3A")
            .replace('/', "%2F")
            .replace('?', "%3F")
    );
    let mut ws = connect(&url, options).await.unwrap();
    assert_eq!(
        ws.url(),
        Some(format!("ws://localhost:{port}/final?info").as_str())
    );
    let info = next_text(&mut ws).await;
    assert!(info.contains(r#""url":"/final?info""#), "{info}");
    assert!(!info.contains("authorization"), "{info}");
    assert!(!info.contains("cookie"), "{info}");
    assert!(info.contains(r#""x-kept":"yes""#), "{info}");
}

// -------------------------------------------------------------- streams

#[tokio::test]
async fn prefixed_stream_reads_the_prefix_first() {
    timed(async {
        let (near, mut far) = tokio::io::duplex(64);
        let mut stream = PrefixedStream::new(bytes::BytesMut::from(&b"early "[..]), near);
        tokio::io::AsyncWriteExt::write_all(&mut far, b"later")
            .await
            .unwrap();
        drop(far);
        let mut small = [0u8; 4];
        let n = stream.read(&mut small).await.unwrap();
        assert_eq!(&small[..n], b"earl");
        assert_eq!(stream.prefix(), b"y ");
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert_eq!(rest, b"y later");
    })
    .await;
}

// ------------------------------------------------------------- helpers

async fn next_message(ws: &mut WebSocket<MaybeTlsStream>) -> Message {
    tokio::time::timeout(READ_TIMEOUT, ws.next())
        .await
        .expect("no message in time")
        .expect("the connection ended")
        .expect("the connection failed")
}

async fn next_text(ws: &mut WebSocket<MaybeTlsStream>) -> String {
    match next_message(ws).await {
        Message::Text(text) => text.as_str().to_owned(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// One text and one binary message there and back, then a clean close.
async fn echo_once(ws: &mut WebSocket<MaybeTlsStream>) {
    ws.send("ping ✓").await.unwrap();
    assert_eq!(next_message(ws).await, Message::from("ping ✓"));
    let payload = Bytes::from_static(&[1, 2, 3, 0, 255]);
    ws.send(payload.clone()).await.unwrap();
    assert_eq!(next_message(ws).await, Message::Binary(payload));
    let close = tokio::time::timeout(READ_TIMEOUT, ws.close(1000, ""))
        .await
        .expect("no close in time")
        .unwrap();
    assert_eq!((close.code.as_u16(), close.clean), (1000, true));
}

/// A port nobody listens on (bound, then freed).
async fn unused_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

fn rustls_config(roots: &[CertificateDer<'static>]) -> Arc<wsdriver_tokio::rustls::ClientConfig> {
    use wsdriver_tokio::rustls;
    let mut store = rustls::RootCertStore::empty();
    for root in roots {
        store.add(root.clone()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    Arc::new(config)
}

/// A CA that signs certificates, as PEM.
struct Pem {
    pem: String,
    cert: rcgen::Certificate,
    key: KeyPair,
}

impl Pem {
    fn ca(name: &str) -> Pem {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Pem {
            pem: cert.pem(),
            cert,
            key,
        }
    }

    fn der(&self) -> CertificateDer<'static> {
        self.cert.der().clone()
    }

    /// A leaf certificate for `names` (DNS names or IP addresses) and its
    /// key, as PEM.
    fn issue(&self, common_name: &str, names: &[&str]) -> (String, String) {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.cert, &self.key).unwrap();
        (cert.pem(), key.serialize_pem())
    }
}

/// Three unrelated CAs: for servers, for proxies, for client certificates.
struct Pki {
    server_ca: Pem,
    proxy_ca: Pem,
    client_ca: Pem,
}

impl Pki {
    fn new() -> Pki {
        Pki {
            server_ca: Pem::ca("wsdriver test server CA"),
            proxy_ca: Pem::ca("wsdriver test proxy CA"),
            client_ca: Pem::ca("wsdriver test client CA"),
        }
    }
}

const LOCAL_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A directory under the system's temp dir, removed on drop.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "wsdriver-tokio-client-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir { path }
    }

    #[cfg(feature = "interop")]
    fn write(&self, name: &str, contents: &str) -> String {
        let path = self.path.join(name);
        std::fs::write(&path, contents).unwrap();
        path.to_str().unwrap().to_owned()
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// npm `ws` and the Node proxy, as tools/node/ws_server.js and
/// tools/node/connect_proxy.js.
#[cfg(feature = "interop")]
struct NodePeers;

#[cfg(feature = "interop")]
impl Peers for NodePeers {
    type Server = NodePeer;
    type Proxy = NodePeer;

    async fn ws_server(protocols: &[&str]) -> NodePeer {
        let list = protocols.join(",");
        let args: &[&str] = match protocols {
            [] => &[],
            _ => &["--protocols", &list],
        };
        NodePeer::spawn("ws_server.js", args, None).await
    }

    async fn tls_ws_server(pki: &Pki, client_ca: bool) -> NodePeer {
        let dir = TempDir::new();
        let (cert, key) = pki.server_ca.issue("wsdriver test server", &LOCAL_NAMES);
        let cert = dir.write("server.pem", &cert);
        let key = dir.write("server.key", &key);
        let client_ca_pem = dir.write("client-ca.pem", &pki.client_ca.pem);
        let mut args = vec!["--cert", &cert, "--key", &key];
        if client_ca {
            args.extend(["--client-ca", &client_ca_pem]);
        }
        NodePeer::spawn("ws_server.js", &args, Some(dir)).await
    }

    async fn proxy(auth: Option<&str>, tls: Option<&Pki>) -> NodePeer {
        let mut args = Vec::new();
        if let Some(auth) = auth {
            args.extend(["--auth", auth]);
        }
        let Some(pki) = tls else {
            return NodePeer::spawn("connect_proxy.js", &args, None).await;
        };
        let dir = TempDir::new();
        let (cert, key) = pki.proxy_ca.issue("wsdriver test proxy", &LOCAL_NAMES);
        let cert = dir.write("proxy.pem", &cert);
        let key = dir.write("proxy.key", &key);
        args.extend(["--cert", &cert, "--key", &key]);
        NodePeer::spawn("connect_proxy.js", &args, Some(dir)).await
    }
}

#[cfg(feature = "interop")]
impl Peer for NodePeer {
    fn port(&self) -> u16 {
        self.port
    }
}

#[cfg(feature = "interop")]
impl ProxyPeer for NodePeer {
    async fn next_line(&mut self) -> String {
        NodePeer::next_line(self).await
    }
}

/// A Node script from tools/node, killed when dropped. It prints
/// `listening PORT` first; later stdout lines are read with
/// [`next_line`](Self::next_line). Its stderr is kept for failure messages.
#[cfg(feature = "interop")]
struct NodePeer {
    port: u16,
    lines: Lines<BufReader<ChildStdout>>,
    stderr: Arc<Mutex<String>>,
    _child: Child,
    _dir: Option<TempDir>,
}

#[cfg(feature = "interop")]
impl NodePeer {
    async fn spawn(script: &str, args: &[&str], dir: Option<TempDir>) -> NodePeer {
        let script = node_script(script);
        let mut child = Command::new("node")
            .arg(&script)
            .args(args)
            .current_dir(WORKSPACE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot run `node` ({e}): install Node.js >= 18 and run tools/peers.sh")
            });
        let stderr = Arc::new(Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let collected = stderr.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        let mut peer = NodePeer {
            port: 0,
            lines: BufReader::new(child.stdout.take().unwrap()).lines(),
            stderr,
            _child: child,
            _dir: dir,
        };
        let first = peer.next_line().await;
        peer.port = first
            .strip_prefix("listening ")
            .and_then(|port| port.parse().ok())
            .unwrap_or_else(|| panic!("{} said {first:?}", script.display()));
        peer
    }

    /// The next line the script prints on stdout.
    async fn next_line(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(30), self.lines.next_line()).await {
            Ok(Ok(Some(line))) => line,
            other => panic!(
                "no line from the Node peer ({other:?}); its stderr:\n{}",
                self.stderr.lock().unwrap()
            ),
        }
    }
}

/// The path of a script in tools/node, after checking that `ws` is
/// installed there.
#[cfg(feature = "interop")]
fn node_script(name: &str) -> PathBuf {
    let node = Path::new(WORKSPACE).join("tools/node");
    let manifest = node.join("node_modules/ws/package.json");
    assert!(
        manifest.is_file(),
        "the Node peer `ws` is not installed ({} is missing): run tools/peers.sh",
        manifest.display()
    );
    let script = node.join(name);
    assert!(script.is_file(), "{} is missing", script.display());
    script
}
