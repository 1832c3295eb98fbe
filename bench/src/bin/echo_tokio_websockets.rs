//! tokio-websockets echo server, default settings: read one message and
//! send it back.

use futures_util::{SinkExt, StreamExt};
use tokio_websockets::ServerBuilder;

fn main() -> std::io::Result<()> {
    bench::serve::run("echo_tokio_websockets", |stream| async move {
        let Ok((_request, mut socket)) = ServerBuilder::new().accept(stream).await else {
            return;
        };
        while let Some(Ok(message)) = socket.next().await {
            if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
                break;
            }
        }
    })
}
