//! The rest of an event stream's response, once hyper has written its
//! head and let go of the socket (see [`serve_handover`](crate::serve::handover)):
//! each data frame as one HTTP/1.1 chunk, in one vectored write with no
//! copy, and the last chunk when the body ends.
//!
//! While it waits, it reads: a client that leaves is seen at once (as
//! hyper sees it) and the body dropped, which is how the stream's
//! handles learn it. An event source sends nothing after its request, so
//! what arrives is thrown away, up to [`MAX_DISCARDED`].

use bytes::Buf;
use hyper::body::Body;
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWriteExt, ReadBuf};
use tokio::net::tcp::ReadHalf;
use tokio::net::TcpStream;

/// What a client may send after its request before the stream is cut:
/// room for a pipelined request or two, nothing like a stream of data.
pub(crate) const MAX_DISCARDED: usize = 64 * 1024;

/// Writes `body` to `socket` as chunks until the body ends (then the
/// last chunk, and the socket's write side is shut), the body fails (the
/// socket is dropped without the last chunk, so the client sees the
/// response cut, as hyper does), or the client leaves.
pub(crate) async fn stream_chunked<B: Body>(mut socket: TcpStream, body: B) {
    let mut body = pin!(body);
    let (mut reader, mut writer) = socket.split();
    let mut discarded = 0;
    loop {
        let next = poll_fn(|cx| {
            if poll_gone(&mut reader, &mut discarded, cx).is_ready() {
                return Poll::Ready(Next::Stop);
            }
            body.as_mut().poll_frame(cx).map(|frame| match frame {
                None => Next::End,
                Some(Err(_)) => Next::Stop,
                Some(Ok(frame)) => match frame.into_data() {
                    Ok(data) if data.has_remaining() => Next::Data(data),
                    // Trailers, or an empty frame (whose chunk would
                    // read as the last).
                    _ => Next::Skip,
                },
            })
        })
        .await;
        let data = match next {
            Next::Data(data) => data,
            Next::Skip => continue,
            Next::End => break,
            Next::Stop => return,
        };
        let size = ChunkSize::new(data.remaining());
        let mut chunk = size.as_bytes().chain(data).chain(&b"\r\n"[..]);
        let mut write = pin!(writer.write_all_buf(&mut chunk));
        let written = poll_fn(|cx| {
            if poll_gone(&mut reader, &mut discarded, cx).is_ready() {
                return Poll::Ready(false);
            }
            write.as_mut().poll(cx).map(|result| result.is_ok())
        })
        .await;
        if !written {
            return;
        }
    }
    let _ = writer.write_all(b"0\r\n\r\n").await;
    let _ = writer.shutdown().await;
}

/// What the body and the client have for the writer.
enum Next<D> {
    Data(D),
    Skip,
    End,
    /// The body failed or the client left.
    Stop,
}

/// Ready once the client has gone: end of stream, a reset, or more than
/// [`MAX_DISCARDED`] bytes sent where none were due.
fn poll_gone(reader: &mut ReadHalf<'_>, discarded: &mut usize, cx: &mut Context<'_>) -> Poll<()> {
    let mut scratch = [0; 512];
    loop {
        let mut read = ReadBuf::new(&mut scratch);
        match std::pin::Pin::new(&mut *reader).poll_read(cx, &mut read) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(Err(_)) => return Poll::Ready(()),
            Poll::Ready(Ok(())) if read.filled().is_empty() => return Poll::Ready(()),
            Poll::Ready(Ok(())) => {
                *discarded += read.filled().len();
                if *discarded > MAX_DISCARDED {
                    return Poll::Ready(());
                }
            }
        }
    }
}

/// A chunk's size line: hexadecimal digits and CRLF.
struct ChunkSize {
    bytes: [u8; 18],
    start: usize,
}

impl ChunkSize {
    fn new(mut size: usize) -> Self {
        let mut bytes = [0; 18];
        bytes[16] = b'\r';
        bytes[17] = b'\n';
        let mut start = 16;
        loop {
            start -= 1;
            bytes[start] = b"0123456789abcdef"[size & 0xf];
            size >>= 4;
            if size == 0 {
                break;
            }
        }
        ChunkSize { bytes, start }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[self.start..]
    }
}

#[cfg(test)]
mod tests {
    use super::ChunkSize;

    #[test]
    fn chunk_sizes_are_lowercase_hex_lines() {
        assert_eq!(ChunkSize::new(0).as_bytes(), b"0\r\n");
        assert_eq!(ChunkSize::new(10).as_bytes(), b"a\r\n");
        assert_eq!(ChunkSize::new(0x1f40).as_bytes(), b"1f40\r\n");
        assert_eq!(
            ChunkSize::new(usize::MAX).as_bytes(),
            b"ffffffffffffffff\r\n"
        );
    }
}
