//! A hyper 1 server that serves a page over HTTP and echoes WebSockets at
//! `/ws`, upgrading with `wsdriver_tokio::upgrade`.
//!
//! `cargo run -p wsdriver-tokio --features hyper --example hyper_server [ADDR]`
//!
//! then `wscat -c ws://127.0.0.1:3000/ws -s echo`. The handshake is the
//! core driver's: a bad one gets its refusal (400, 426...) as the
//! response.

use futures_util::StreamExt;
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::time::Duration;
use tokio::net::TcpListener;
use wsdriver_tokio::{accept_tcp, ServerOptions};

async fn handle(mut request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if request.uri().path() != "/ws" {
        let page = "Connect a WebSocket to /ws\n";
        return Ok(Response::new(Full::new(Bytes::from_static(
            page.as_bytes(),
        ))));
    }
    let options = ServerOptions::default().protocols(["echo"]);
    let (response, upgrading) = match wsdriver_tokio::upgrade(&mut request, &options) {
        Ok(accepted) => accepted,
        Err(refused) => {
            eprintln!("refused: {refused}");
            return Ok(refused.into_response());
        }
    };
    tokio::spawn(async move {
        let mut socket = match upgrading.await {
            Ok(socket) => socket,
            Err(error) => return eprintln!("upgrade failed: {error}"),
        };
        while let Some(Ok(message)) = socket.next().await {
            if socket.send(message).await.is_err() {
                break;
            }
        }
        eprintln!("closed: {:?}", socket.close_event());
    });
    Ok(response)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = TcpListener::bind(&addr).await?;
    eprintln!(
        "hyper_server listening on http://{}",
        listener.local_addr()?
    );
    loop {
        // Survives running out of file descriptors (a `?` here would not).
        let (stream, _) = accept_tcp(&listener, |e| eprintln!("accept failed: {e}")).await;
        tokio::spawn(async move {
            let connection = http1::Builder::new()
                // hyper reads the request head: bound how long it may take
                // (slowloris), as the driver does on its own paths.
                .timer(TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30))
                .serve_connection(TokioIo::new(stream), service_fn(handle))
                // Without this hyper never hands the connection over.
                .with_upgrades();
            if let Err(error) = connection.await {
                eprintln!("connection error: {error}");
            }
        });
    }
}
