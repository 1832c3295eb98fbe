//! What every Rust echo server shares, so that they differ only in the
//! library: a tokio `current_thread` runtime, TCP_NODELAY, one task per
//! connection, and a clean exit on SIGTERM or SIGINT (cachegrind writes
//! its counts when the process exits).

use std::future::Future;
use std::net::SocketAddr;

use tokio::net::{TcpListener, TcpStream};
use tokio::signal::unix::{signal, SignalKind};

/// The listen address from the first argument: a port (on 127.0.0.1) or
/// `HOST:PORT`; port 0 picks one. The line printed on stderr once
/// listening names the address taken.
///
/// # Panics
/// On an argument that is neither.
pub fn listen_addr() -> SocketAddr {
    let arg = std::env::args().nth(1).unwrap_or_else(|| "0".to_owned());
    match arg.parse::<u16>() {
        Ok(port) => SocketAddr::from(([127, 0, 0, 1], port)),
        Err(_) => arg.parse().expect("usage: SERVER PORT|HOST:PORT"),
    }
}

/// Whether an argument after the address asks for `flag`.
pub fn has_flag(flag: &str) -> bool {
    std::env::args().skip(2).any(|arg| arg == flag)
}

/// Serves `handle` on every accepted connection until SIGTERM or SIGINT.
///
/// # Errors
/// Binding, or setting up the runtime or the signal handlers.
pub fn run<F, Fut>(name: &str, handle: F) -> std::io::Result<()>
where
    F: Fn(TcpStream) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let addr = listen_addr();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(addr).await?;
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        eprintln!("{name} listening on {}", listener.local_addr()?);
        loop {
            tokio::select! {
                accepted = listener.accept() => {
                    let Ok((stream, _)) = accepted else { continue };
                    let _ = stream.set_nodelay(true);
                    tokio::spawn(handle(stream));
                }
                _ = term.recv() => return Ok(()),
                _ = int.recv() => return Ok(()),
            }
        }
    })
}
