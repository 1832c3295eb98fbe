//! What the server tests share: an echo server that reports what it saw,
//! a client, and raw requests.
#![allow(dead_code)] // each test file uses some of it

use futures_util::StreamExt;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use wsdriver_tokio::{
    connect, ClientOptions, CloseEvent, Error, MaybeTlsStream, ServerBuilder, WebSocket,
    WebSocketServer,
};

/// Every test runs under this; nothing waits for ever.
pub async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

/// What the echo server saw.
#[derive(Debug)]
pub enum Seen {
    Open {
        peer: SocketAddr,
        target: String,
        protocol: Option<String>,
    },
    Closed(Option<CloseEvent>),
}

/// Starts `builder` as an echo server that reports each connection's
/// opening and closing.
pub async fn echo_server(
    builder: ServerBuilder,
) -> (WebSocketServer, mpsc::UnboundedReceiver<Seen>) {
    let server = builder.bind("127.0.0.1:0").await.unwrap();
    let (tx, rx) = mpsc::unbounded_channel();
    let acceptor = server.clone();
    tokio::spawn(async move {
        while let Some(mut socket) = acceptor.accept().await {
            let tx = tx.clone();
            let _ = tx.send(Seen::Open {
                peer: socket.peer_addr(),
                target: socket.request().uri.to_string(),
                protocol: socket.websocket().protocol().map(str::to_owned),
            });
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                // Drain to the end, so the close handshake completes.
                while socket.next().await.is_some() {}
                let _ = tx.send(Seen::Closed(socket.websocket().close_event().cloned()));
            });
        }
    });
    (server, rx)
}

pub fn url(server: &WebSocketServer, path: &str) -> String {
    format!("ws://{}{path}", server.local_addr())
}

pub async fn client(url: &str) -> WebSocket<MaybeTlsStream> {
    connect(url, ClientOptions::default()).await.unwrap()
}

pub async fn opened(
    seen: &mut mpsc::UnboundedReceiver<Seen>,
) -> (SocketAddr, String, Option<String>) {
    match seen.recv().await {
        Some(Seen::Open {
            peer,
            target,
            protocol,
        }) => (peer, target, protocol),
        other => panic!("expected an open connection, got {other:?}"),
    }
}

pub async fn closed(seen: &mut mpsc::UnboundedReceiver<Seen>) -> Option<CloseEvent> {
    match seen.recv().await {
        Some(Seen::Closed(event)) => event,
        other => panic!("expected a closed connection, got {other:?}"),
    }
}

/// Sends a raw request and reads the whole answer (the server closes).
pub async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

pub fn status_of(result: Result<WebSocket<MaybeTlsStream>, Error>) -> u16 {
    match result {
        Err(Error::Status { status, .. }) => status,
        Err(other) => panic!("expected a status, got {other:?}"),
        Ok(_) => panic!("expected a refusal, the handshake succeeded"),
    }
}

pub const UPGRADE_REQUEST: &str = "GET /chat HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
    Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
    Sec-WebSocket-Version: 13\r\n\r\n";

/// A raw client whose handshake went through: the frames are the test's.
pub async fn raw_open(addr: SocketAddr) -> TcpStream {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(UPGRADE_REQUEST.as_bytes()).await.unwrap();
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        head.push(stream.read_u8().await.unwrap());
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101 "),
        "{}",
        String::from_utf8_lossy(&head)
    );
    stream
}

#[cfg(feature = "rustls")]
#[allow(unused_imports)] // each test file uses some of it
pub use tls::certificates;

#[cfg(feature = "rustls")]
mod tls {
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
    use std::sync::Arc;
    use wsdriver_tokio::rustls::pki_types::pem::PemObject;
    use wsdriver_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    use wsdriver_tokio::rustls::{self, ServerConfig};

    /// A CA's PEM, and a server config whose certificate (for 127.0.0.1) it
    /// signed.
    pub fn certificates() -> (String, Arc<ServerConfig>) {
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.distinguished_name
            .push(DnType::CommonName, "wsdriver test CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca = ca.self_signed(&ca_key).unwrap();
        let leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).unwrap();
        let leaf_key = KeyPair::generate().unwrap();
        let leaf = leaf.signed_by(&leaf_key, &ca, &ca_key).unwrap();
        let chain = vec![CertificateDer::from_pem_slice(leaf.pem().as_bytes()).unwrap()];
        let key = PrivateKeyDer::from_pem_slice(leaf_key.serialize_pem().as_bytes()).unwrap();
        let config =
            ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .unwrap();
        (ca.pem(), Arc::new(config))
    }
}

/// The next frame from the server (unmasked): its first byte and payload.
pub async fn read_frame(stream: &mut TcpStream) -> (u8, Vec<u8>) {
    let b0 = stream.read_u8().await.unwrap();
    let len = match stream.read_u8().await.unwrap() {
        126 => usize::from(stream.read_u16().await.unwrap()),
        127 => stream.read_u64().await.unwrap() as usize,
        n => usize::from(n),
    };
    let mut payload = vec![0; len];
    stream.read_exact(&mut payload).await.unwrap();
    (b0, payload)
}

/// A client frame of any length, masked: `b0` is its first byte.
pub fn client_frame(b0: u8, payload: &[u8]) -> Vec<u8> {
    let key = [0x9a, 0x01, 0xc3, 0x5e];
    let mut out = vec![b0];
    match payload.len() {
        n if n < 126 => out.push(0x80 | n as u8),
        n if n <= 0xffff => {
            out.push(0x80 | 126);
            out.extend((n as u16).to_be_bytes());
        }
        n => {
            out.push(0x80 | 127);
            out.extend((n as u64).to_be_bytes());
        }
    }
    out.extend(key);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    out
}
