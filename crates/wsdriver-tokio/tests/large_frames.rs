//! Large frames over plain TCP, where the connection raises the socket's
//! low-water mark to the rest of a half-read frame: whatever the pieces,
//! the frame and every small frame after it arrive, and a running timer
//! still sees a slow frame's bytes as they come.

use futures_util::StreamExt;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use wsdriver_tokio::{accept, Options, ServerOptions, WebSocketServer};

mod server_support;
use server_support::{client_frame, echo_server, raw_open, read_frame, within};

/// Writes `bytes` in `pieces` parts, `gap` apart.
async fn write_slowly(stream: &mut TcpStream, bytes: &[u8], pieces: usize, gap: Duration) {
    for part in bytes.chunks(bytes.len().div_ceil(pieces)) {
        stream.write_all(part).await.unwrap();
        tokio::time::sleep(gap).await;
    }
}

fn payload(len: usize, seed: u8) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u8).wrapping_mul(31) ^ seed)
        .collect()
}

/// Sends large frames in pieces, each followed at once by a small text
/// frame and a ping, and checks every echo. A mark left at an earlier
/// frame's rest would hold back the small frames (the test times out).
async fn large_then_small(mut stream: TcpStream) {
    for (round, len) in [(1u8, 1 << 20), (2, 300_000), (3, 3 << 20)].into_iter() {
        let large = payload(len, round);
        let mut bytes = client_frame(0x82, &large);
        bytes.extend(client_frame(0x81, b"after"));
        bytes.extend(client_frame(0x89, b"still?"));
        write_slowly(&mut stream, &bytes, 7, Duration::from_millis(15)).await;
        assert_eq!(read_frame(&mut stream).await, (0x82, large));
        assert_eq!(read_frame(&mut stream).await, (0x81, b"after".to_vec()));
        assert_eq!(read_frame(&mut stream).await, (0x8a, b"still?".to_vec()));
    }
}

#[tokio::test]
async fn accept_on_a_tcp_stream_takes_large_frames_in_pieces() {
    within(async {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut socket = accept(tcp, ServerOptions::default()).await.unwrap();
            while let Some(Ok(message)) = socket.next().await {
                socket.send(message).await.unwrap();
            }
        });
        large_then_small(raw_open(addr).await).await;
        server.abort();
    })
    .await;
}

#[tokio::test]
async fn a_server_socket_takes_large_frames_in_pieces() {
    within(async {
        let (server, _) = echo_server(WebSocketServer::builder()).await;
        large_then_small(raw_open(server.local_addr()).await).await;
    })
    .await;
}

/// With an idle timeout, the mark stays down: a large frame sent slowly,
/// each piece well within the timeout, keeps the connection alive though
/// the whole frame takes several timeouts to come.
#[tokio::test]
async fn a_slow_large_frame_is_not_taken_for_silence() {
    within(async {
        let idle = Options::default().idle_timeout(Some(Duration::from_millis(250)));
        let builder =
            WebSocketServer::builder().server_options(ServerOptions::default().options(idle));
        let (server, _) = echo_server(builder).await;
        let mut stream = raw_open(server.local_addr()).await;
        let large = payload(256 * 1024, 7);
        write_slowly(
            &mut stream,
            &client_frame(0x82, &large),
            32,
            Duration::from_millis(60),
        )
        .await;
        // Dropped for silence, the server would have hung up instead.
        assert_eq!(read_frame(&mut stream).await, (0x82, large));
    })
    .await;
}
