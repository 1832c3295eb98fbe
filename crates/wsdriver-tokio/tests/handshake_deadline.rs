//! One clock for the opening: the handshake machine's deadline bounds
//! everything before the connection opens (issue 25: the server's
//! machine was made after TLS with a fresh time, so a client could take
//! up to twice the handshake limit; the client's connect was bounded by a
//! timer of the tokio layer's, not the machine's).
#![cfg(feature = "rustls")]

mod server_support;

use server_support::certificates;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsConnector;
use wsdriver_tokio::rustls::pki_types::pem::PemObject;
use wsdriver_tokio::rustls::pki_types::{CertificateDer, ServerName};
use wsdriver_tokio::rustls::{self, ClientConfig, RootCertStore};
use wsdriver_tokio::{
    connect, ClientOptions, Error, Phase, ProxyOptions, TransportOptions, WebSocketServer,
};

const LIMIT: Duration = Duration::from_secs(1);

fn trusting(ca: &str) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.as_bytes()).unwrap())
        .unwrap();
    let config =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn a_client_slow_to_start_tls_gets_one_handshake_limit_not_two() {
    let (ca, config) = certificates();
    let server = WebSocketServer::builder()
        .tls(config)
        .handshake_timeout(Some(LIMIT))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let started = Instant::now();
    let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
    // Most of the limit goes before TLS; then TLS, quickly; then nothing.
    tokio::time::sleep(LIMIT * 7 / 10).await;
    let name = ServerName::try_from("127.0.0.1").unwrap();
    let mut tls = trusting(&ca).connect(name, tcp).await.unwrap();
    let mut buf = [0u8; 256];
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match tls.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "still open after 5 s");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= LIMIT * 9 / 10 && elapsed < LIMIT * 14 / 10,
        "cut after {elapsed:?}; the limit is {LIMIT:?} from the accept"
    );
}

#[tokio::test]
async fn a_proxy_that_never_answers_is_cut_at_the_handshake_limit() {
    let proxy = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let proxy_url = format!("http://{}", proxy.local_addr().unwrap());
    // Takes the CONNECT and says nothing.
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((stream, _)) = proxy.accept().await {
            held.push(stream);
        }
    });
    let options = ClientOptions::default().transport(
        TransportOptions::default()
            .proxy(ProxyOptions::new(proxy_url))
            .connect_timeout(Some(LIMIT / 2)),
    );
    let started = Instant::now();
    let result = connect("ws://example.invalid/", options).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(Error::Timeout(Phase::Connect))),
        "{result:?}"
    );
    assert!(
        elapsed >= LIMIT * 4 / 10 && elapsed < LIMIT * 9 / 10,
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn the_limit_spans_redirects() {
    // Each answer is a redirect to itself, 300 ms late: without one clock
    // for the whole connect, the redirect limit would end it instead.
    let server = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = server.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = server.accept().await {
            tokio::spawn(async move {
                let mut head = [0u8; 1024];
                let _ = stream.read(&mut head).await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let answer = format!(
                    "HTTP/1.1 302 Found\r\nLocation: ws://{address}/again\r\nContent-Length: 0\r\n\r\n"
                );
                let _ = stream.write_all(answer.as_bytes()).await;
            });
        }
    });
    let options = ClientOptions::default()
        .follow_redirects(true)
        .transport(TransportOptions::default().connect_timeout(Some(LIMIT)));
    let started = Instant::now();
    let result = connect(&format!("ws://{address}/"), options).await;
    let elapsed = started.elapsed();
    assert!(
        matches!(result, Err(Error::Timeout(Phase::Connect))),
        "{result:?}"
    );
    assert!(
        elapsed >= LIMIT * 9 / 10 && elapsed < LIMIT * 14 / 10,
        "{elapsed:?}"
    );
}

#[tokio::test]
async fn a_client_that_never_starts_tls_times_out_in_the_tls_phase() {
    let (_ca, config) = certificates();
    let (tx, mut failures) = tokio::sync::mpsc::unbounded_channel();
    let server = WebSocketServer::builder()
        .tls(config)
        .handshake_timeout(Some(LIMIT / 2))
        .on_handshake_error(move |_, error| {
            let _ = tx.send(matches!(error, Error::Timeout(Phase::TlsAccept)));
        })
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let _silent = TcpStream::connect(server.local_addr()).await.unwrap();
    let typed = tokio::time::timeout(Duration::from_secs(5), failures.recv())
        .await
        .expect("no handshake error reported");
    assert_eq!(typed, Some(true), "not a Timeout(Phase::TlsAccept)");
}
