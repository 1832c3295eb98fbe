//! The closed-loop load generator: N connections, one message in flight on
//! each, every message masked (a random non-zero key per connection), the
//! length of every echo checked and the bytes of each connection's first.
//!
//! Plain scenarios speak raw frames over TCP, so the client costs the same
//! whatever the server; the deflate scenario uses wsdriver-tokio's client,
//! which compresses.

use std::io::{self, BufRead, Write};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use wsdriver_tokio::core::Message;
use wsdriver_tokio::{ClientOptions, DeflateConfig, MaybeTlsStream, WebSocket};

use crate::scenario::Scenario;

/// One load run.
#[derive(Debug, Clone, Copy)]
pub struct Load {
    /// The server.
    pub addr: SocketAddr,
    /// What to send.
    pub scenario: &'static Scenario,
    /// Messages in all (rounded up to a multiple of the connections).
    pub messages: u64,
}

impl Load {
    /// Messages per connection.
    pub fn per_connection(&self) -> u64 {
        self.messages
            .div_ceil(self.scenario.connections as u64)
            .max(1)
    }

    /// Messages actually sent.
    pub fn total(&self) -> u64 {
        self.scenario.sent(self.messages)
    }
}

/// Connects, sends and checks every echo; returns the time from the first
/// message to the last echo. With `pause`, prints `ready` on stdout once
/// every connection is open and waits for a line on stdin, and prints
/// `done NANOS` at the end and waits for another line before closing (so
/// that a caller can measure the server around the messages only).
///
/// # Errors
/// A connection or handshake failure, a short or wrong echo.
pub fn run(load: Load, pause: bool) -> io::Result<Duration> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let payload = load.scenario.payload_bytes();
        let mut connections = Vec::with_capacity(load.scenario.connections);
        for _ in 0..load.scenario.connections {
            connections.push(Connection::open(load, &payload).await?);
        }
        if pause {
            handshake_with_caller("ready")?;
        }
        let start = Instant::now();
        let tasks: Vec<_> = connections
            .into_iter()
            .map(|connection| {
                let payload = payload.clone();
                tokio::spawn(connection.echo_loop(load.per_connection(), payload))
            })
            .collect();
        let mut finished = Vec::with_capacity(tasks.len());
        for task in tasks {
            finished.push(task.await.map_err(io::Error::other)??);
        }
        let elapsed = start.elapsed();
        if pause {
            handshake_with_caller(&format!("done {}", elapsed.as_nanos()))?;
        }
        drop(finished);
        Ok(elapsed)
    })
}

/// Prints `line` on stdout and waits for a line on stdin.
fn handshake_with_caller(line: &str) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{line}")?;
    stdout.flush()?;
    io::stdin().lock().read_line(&mut String::new())?;
    Ok(())
}

enum Connection {
    Raw {
        reader: BufReader<OwnedReadHalf>,
        writer: OwnedWriteHalf,
        frame: Vec<u8>,
        text: bool,
    },
    Deflate(Box<WebSocket<MaybeTlsStream>>),
}

impl Connection {
    async fn open(load: Load, payload: &[u8]) -> io::Result<Self> {
        if load.scenario.deflate {
            let options = ClientOptions::default().deflate([DeflateConfig::default()]);
            let socket = wsdriver_tokio::connect(format!("ws://{}/", load.addr), options)
                .await
                .map_err(io::Error::other)?;
            return Ok(Connection::Deflate(Box::new(socket)));
        }
        let (reader, writer) = handshake(load.addr, 64 * 1024).await?;
        let text = load.scenario.is_text();
        let frame = masked_frame(payload, text, nonzero_key());
        Ok(Connection::Raw {
            reader,
            writer,
            frame,
            text,
        })
    }

    /// Sends `messages` messages one at a time, each after the echo of the
    /// one before; returns itself so the connection closes after timing.
    async fn echo_loop(mut self, messages: u64, payload: Vec<u8>) -> io::Result<Self> {
        match &mut self {
            Connection::Raw {
                reader,
                writer,
                frame,
                text,
            } => {
                let opcode = if *text { 1 } else { 2 };
                let mut scratch = Vec::new();
                for i in 0..messages {
                    writer.write_all(frame).await?;
                    let first = i == 0;
                    let (got, len) = read_echo(reader, &mut scratch, first).await?;
                    check(
                        got == opcode && len == payload.len(),
                        "echo of another type or length",
                    )?;
                    if first {
                        check(scratch[..len] == payload[..], "echo of other bytes")?;
                    }
                }
            }
            Connection::Deflate(socket) => {
                let text = String::from_utf8(payload.clone()).map_err(io::Error::other)?;
                let message = Message::from(text);
                for i in 0..messages {
                    socket
                        .send(message.clone())
                        .await
                        .map_err(io::Error::other)?;
                    let echo = match socket.next().await {
                        Some(Ok(echo)) => echo,
                        Some(Err(e)) => return Err(io::Error::other(e)),
                        None => return Err(io::ErrorKind::UnexpectedEof.into()),
                    };
                    check(
                        echo.is_text() && echo.len() == payload.len(),
                        "echo of another type or length",
                    )?;
                    if i == 0 {
                        check(echo.as_bytes() == &payload[..], "echo of other bytes")?;
                    }
                }
            }
        }
        Ok(self)
    }
}

/// Connects to `addr` (TCP_NODELAY) and completes a client's opening
/// handshake in raw bytes, checking the `101` status line only; returns
/// the two halves, the reader buffering `capacity` bytes. Shared by the
/// load generator and the memory measurement, so that every server sees
/// the same client.
///
/// # Errors
/// Connecting fails, or the server answers anything but `101`.
pub async fn handshake(
    addr: SocketAddr,
    capacity: usize,
) -> io::Result<(BufReader<OwnedReadHalf>, OwnedWriteHalf)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::with_capacity(capacity, reader);
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    );
    writer.write_all(request.as_bytes()).await?;
    let mut line = String::new();
    reader.read_line(&mut line).await?;
    if !line.starts_with("HTTP/1.1 101") {
        return Err(io::Error::other(format!("handshake refused: {line:?}")));
    }
    while line != "\r\n" {
        line.clear();
        if reader.read_line(&mut line).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
    }
    Ok((reader, writer))
}

fn check(ok: bool, what: &str) -> io::Result<()> {
    if ok {
        Ok(())
    } else {
        Err(io::Error::other(what.to_owned()))
    }
}

/// A random mask key with at least one bit set.
pub fn nonzero_key() -> [u8; 4] {
    loop {
        let key: [u8; 4] = rand::random();
        if key != [0; 4] {
            return key;
        }
    }
}

/// One FIN frame from a client: header, key, masked payload.
pub fn masked_frame(payload: &[u8], text: bool, key: [u8; 4]) -> Vec<u8> {
    let mut frame = Vec::with_capacity(payload.len() + 14);
    frame.push(0x80 | if text { 1 } else { 2 });
    match payload.len() {
        n @ 0..=125 => frame.push(0x80 | n as u8),
        n @ 126..=0xffff => {
            frame.push(0x80 | 126);
            frame.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            frame.push(0x80 | 127);
            frame.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    frame.extend_from_slice(&key);
    frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i & 3]));
    frame
}

/// Reads one message, frame by frame, skipping control frames; returns its
/// opcode and length. Its bytes are in `scratch` when `keep`.
///
/// # Errors
/// A read failure, a masked frame or a close from the server.
pub async fn read_echo(
    reader: &mut BufReader<OwnedReadHalf>,
    scratch: &mut Vec<u8>,
    keep: bool,
) -> io::Result<(u8, usize)> {
    if keep {
        scratch.clear();
    }
    let mut opcode = None;
    let mut total = 0;
    loop {
        let mut head = [0u8; 2];
        reader.read_exact(&mut head).await?;
        check(head[1] & 0x80 == 0, "a masked frame from the server")?;
        let len = match head[1] & 0x7f {
            126 => usize::from(reader.read_u16().await?),
            127 => usize::try_from(reader.read_u64().await?).map_err(io::Error::other)?,
            n => usize::from(n),
        };
        let op = head[0] & 0x0f;
        if op >= 8 {
            check(op != 8, "closed by the server")?;
            let mut control = vec![0; len];
            reader.read_exact(&mut control).await?;
            continue;
        }
        opcode.get_or_insert(op);
        let start = if keep { scratch.len() } else { 0 };
        if scratch.len() < start + len {
            scratch.resize(start + len, 0);
        }
        reader.read_exact(&mut scratch[start..start + len]).await?;
        if keep {
            scratch.truncate(start + len);
        }
        total += len;
        if head[0] & 0x80 != 0 {
            return Ok((opcode.unwrap_or(0), total));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_take_the_shortest_length_and_mask_the_payload() {
        let key = [1, 2, 3, 4];
        let small = masked_frame(b"abcd", true, key);
        assert_eq!(&small[..6], &[0x81, 0x84, 1, 2, 3, 4]);
        assert_eq!(&small[6..], &[b'a' ^ 1, b'b' ^ 2, b'c' ^ 3, b'd' ^ 4]);
        assert_eq!(
            &masked_frame(&[0; 126], false, key)[..4],
            &[0x82, 0xfe, 0, 126]
        );
        assert_eq!(masked_frame(&[0; 70_000], false, key)[1], 0xff);
    }
}
