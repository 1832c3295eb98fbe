//! `wscat -l` refuses a message over its 64 MiB limit with a 1009 that the
//! sender reads, even while it is still sending (issue 24: the sender got
//! a connection reset instead).

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Stdio;
use std::thread;
use std::time::Duration;
use support::{listening, wscat};

/// wscat's default `max_length`: ws's `maxPayload`.
const MAX_LENGTH: u64 = 64 << 20;

#[test]
fn a_sender_over_max_length_reads_1009_while_still_sending() {
    let (_server, port) = listening(wscat().stdin(Stdio::piped()).stdout(Stdio::null()));
    let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    stream
        .write_all(
            b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        stream.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    assert!(head.starts_with(b"HTTP/1.1 101"));
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
    frame.extend_from_slice(&(MAX_LENGTH + 1).to_be_bytes());
    frame.extend_from_slice(&[0, 0, 0, 0]);
    stream.write_all(&frame).unwrap();
    // 8 MiB of the message still on its way when the refusal comes.
    let chunk = vec![0x5A; 64 * 1024];
    for _ in 0..128 {
        stream
            .write_all(&chunk)
            .expect("the server reads on while it refuses");
    }
    stream.shutdown(std::net::Shutdown::Write).unwrap();
    let (got, read_error) = reading.join().unwrap();
    assert_eq!(read_error, None, "the read side was reset");
    assert!(got.len() >= 4 && got[0] == 0x88, "no close frame: {got:?}");
    assert_eq!(u16::from_be_bytes([got[2], got[3]]), 1009);
}
