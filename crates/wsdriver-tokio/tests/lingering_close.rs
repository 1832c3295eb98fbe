//! A sender refused with 1009 while it is still sending reads the close
//! frame (issue 24): the server used to close its socket on the sender's
//! unread bytes, the kernel answered with a reset, and the sender saw
//! `ECONNRESET` instead of the code. Over real TCP, against the standalone
//! server and the axum path (wscat's server has its own test).

use futures_util::StreamExt;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::Duration;
use wsdriver_tokio::{ServerOptions, WebSocketServer};

const MAX_LENGTH: usize = 1 << 20;

/// What the refused sender saw.
#[derive(Debug)]
struct Refused {
    /// How many payload bytes it got out before it stopped.
    sent: usize,
    write_error: Option<ErrorKind>,
    /// The close frame's code, if one was read.
    close_code: Option<u16>,
    /// How the read side ended: `None` for a clean end of stream.
    read_error: Option<ErrorKind>,
}

/// Opens a WebSocket by hand, announces a binary message one byte over
/// `max_length`, and writes `payload` bytes of it while another thread
/// reads what the server says.
fn refused_sender(addr: SocketAddr, path: &str, max_length: usize, payload: usize) -> Refused {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(
        head.starts_with(b"HTTP/1.1 101"),
        "{:?}",
        String::from_utf8_lossy(&head)
    );

    let mut reader = stream.try_clone().unwrap();
    let reading = thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match reader.read(&mut buf) {
                Ok(0) => return (got, None),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return (got, Some(e.kind())),
            }
        }
    });

    let mut frame = vec![0x82, 0xFF];
    frame.extend_from_slice(&(max_length as u64 + 1).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]); // mask: payload as written
    let mut write_error = stream.write_all(&frame).err().map(|e| e.kind());
    let chunk = vec![0x5A; 64 * 1024];
    let mut sent = 0;
    while write_error.is_none() && sent < payload {
        match stream.write_all(&chunk) {
            Ok(()) => sent += chunk.len(),
            Err(e) => write_error = Some(e.kind()),
        }
    }
    // Done sending: the peer reads on until the server hangs up.
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let (got, read_error) = reading.join().unwrap();
    let close_code =
        (got.len() >= 4 && got[0] == 0x88).then(|| u16::from_be_bytes([got[2], got[3]]));
    Refused {
        sent,
        write_error,
        close_code,
        read_error,
    }
}

fn assert_read_the_code(refused: &Refused, payload: usize) {
    assert_eq!(refused.close_code, Some(1009), "{refused:?}");
    assert_eq!(refused.write_error, None, "{refused:?}");
    assert_eq!(refused.read_error, None, "{refused:?}");
    assert_eq!(refused.sent, payload, "{refused:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_standalone_server_lets_a_refused_sender_read_1009() {
    let server = WebSocketServer::builder()
        .server_options(ServerOptions::default().max_length(MAX_LENGTH))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let addr = server.local_addr();
    let acceptor = server.clone();
    tokio::spawn(async move {
        while let Some(mut socket) = acceptor.accept().await {
            // The usual loop: it ends at the first error and drops the
            // socket.
            tokio::spawn(async move { while let Some(Ok(_)) = socket.next().await {} });
        }
    });
    for payload in [0, 256 * 1024, 8 << 20] {
        let refused =
            tokio::task::spawn_blocking(move || refused_sender(addr, "/", MAX_LENGTH, payload))
                .await
                .unwrap();
        assert_read_the_code(&refused, payload);
    }
}

#[cfg(feature = "axum")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_axum_path_lets_a_refused_sender_read_1009() {
    use axum::response::Response;
    use axum::routing::get;
    use wsdriver_tokio::WebSocketUpgrade;

    async fn ws(upgrade: WebSocketUpgrade) -> Response {
        upgrade
            .server_options(ServerOptions::default().max_length(MAX_LENGTH))
            .on_upgrade(|mut socket| async move { while let Some(Ok(_)) = socket.next().await {} })
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(wsdriver_tokio::serve(
        listener,
        axum::Router::new().route("/ws", get(ws)),
    ));
    for payload in [0, 8 << 20] {
        let refused =
            tokio::task::spawn_blocking(move || refused_sender(addr, "/ws", MAX_LENGTH, payload))
                .await
                .unwrap();
        assert_read_the_code(&refused, payload);
    }
}
