//! tokio-tungstenite echo server, default settings: read one message and
//! send it back.

use futures_util::{SinkExt, StreamExt};

fn main() -> std::io::Result<()> {
    bench::serve::run("echo_tungstenite", |stream| async move {
        let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
            return;
        };
        while let Some(Ok(message)) = socket.next().await {
            if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
                break;
            }
        }
    })
}
