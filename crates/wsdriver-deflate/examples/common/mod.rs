//! The loop every blocking example shares: read from a `TcpStream` into
//! the driver, hand events to a callback, write what the driver wants
//! written, and run the driver's timers (handshake, close, keepalive,
//! idle) with the socket's read timeout. Writing blocks, so a peer that does not read
//! stops this loop from reading too.

use std::io::{ErrorKind, Read};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Instant;
use wsdriver::{Driver, Event, ReadyState};

/// Drives `driver` over `stream` until the connection closes. `on_event`
/// gets every event and may use the driver to answer.
pub fn run(
    mut stream: TcpStream,
    driver: &mut Driver,
    mut on_event: impl FnMut(&mut Driver, Event),
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        while let Some(event) = driver.poll_event() {
            on_event(driver, event);
        }
        driver.write_output(&mut stream)?;
        if driver.ready_state() == ReadyState::Closed {
            let _ = stream.shutdown(Shutdown::Both);
            return Ok(());
        }
        let now = Instant::now();
        let timeout = driver.next_deadline(now).map(|at| {
            at.saturating_duration_since(now)
                .max(std::time::Duration::from_millis(1))
        });
        stream.set_read_timeout(timeout)?;
        match stream.read(&mut buf) {
            Ok(0) => driver.transport_closed(),
            Ok(n) => driver.parse(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                driver.handle_timeout(Instant::now())
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => driver.transport_closed(),
        }
    }
}

/// The pause after an error that is not one client's (out of file
/// descriptors, or of threads): short, since closing connections frees
/// them; long enough not to spin.
#[allow(dead_code)] // autobahn_client shares this module and accepts nothing
pub const ACCEPT_BACKOFF: std::time::Duration = std::time::Duration::from_millis(100);

/// The next connection on `listener`. An accept loop must not end when
/// the process runs out of file descriptors (EMFILE), which any peer can
/// cause by opening connections: errors of one connection are skipped,
/// others logged and followed by a short pause, as hyper does.
#[allow(dead_code)] // autobahn_client shares this module and accepts nothing
pub fn accept(listener: &TcpListener) -> TcpStream {
    loop {
        match listener.accept() {
            Ok((stream, _)) => return stream,
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::ConnectionAborted
                        | ErrorKind::ConnectionReset
                        | ErrorKind::Interrupted
                ) => {}
            Err(e) => {
                eprintln!("accept failed: {e}");
                std::thread::sleep(ACCEPT_BACKOFF);
            }
        }
    }
}
