//! An accept loop's one hard part: what to do when `accept` fails.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::{TcpListener, TcpStream};

/// How long to wait after an error that is not one client's: out of file
/// descriptors (EMFILE, ENFILE) or memory. Short, since connections that
/// close free descriptors; long enough not to spin.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The next connection on `listener`, riding out the errors an accept loop
/// must survive rather than end on.
///
/// A `?` on `listener.accept()` ends a server the first time the process
/// runs out of file descriptors, which any peer can bring about by opening
/// connections. Here, errors of one connection (it was reset or aborted
/// before it was taken) are skipped; any other error (EMFILE, ENFILE,
/// ENOBUFS, ENOMEM) is handed to `on_error` (to log it) and followed by a
/// pause of [`ACCEPT_BACKOFF`] before the next try, as hyper and axum do.
/// [`WebSocketServer`](crate::WebSocketServer) accepts through it.
///
/// ```
/// use tokio::net::TcpListener;
/// use wsdriver_tokio::{accept, accept_tcp, connect, ClientOptions, ServerOptions};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let listener = TcpListener::bind("127.0.0.1:0").await?;
/// let url = format!("ws://{}/", listener.local_addr()?);
/// tokio::spawn(async move {
///     loop {
///         let (stream, _peer) = accept_tcp(&listener, |e| eprintln!("accept: {e}")).await;
///         tokio::spawn(async move {
///             if let Ok(socket) = accept(stream, ServerOptions::default()).await {
///                 // ... serve it
/// #               drop(socket);
///             }
///         });
///     }
/// });
/// let client = connect(&url, ClientOptions::default()).await?;
/// # drop(client);
/// # Ok(()) }
/// ```
pub async fn accept_tcp(
    listener: &TcpListener,
    mut on_error: impl FnMut(&io::Error),
) -> (TcpStream, SocketAddr) {
    loop {
        match listener.accept().await {
            Ok(accepted) => return accepted,
            Err(error) if is_connection_error(&error) => {}
            Err(error) => {
                on_error(&error);
                tokio::time::sleep(ACCEPT_BACKOFF).await;
            }
        }
    }
}

/// Errors that concern one connection only: the client gave up before it
/// was accepted.
fn is_connection_error(error: &io::Error) -> bool {
    use io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset, Interrupted};
    matches!(
        error.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset | Interrupted
    )
}
