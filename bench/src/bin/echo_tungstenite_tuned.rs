//! tokio-tungstenite echo server, tuned as its documentation suggests for
//! many connections: a 4 KiB read buffer (the default allocates 128 KiB
//! for every connection) and each message written at once (no 128 KiB
//! write buffer to fill first). The row is labelled as tuned; the default
//! row is `echo_tungstenite`.

use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

fn main() -> std::io::Result<()> {
    bench::serve::run("echo_tungstenite_tuned", |stream| async move {
        let config = WebSocketConfig::default()
            .read_buffer_size(4096)
            .write_buffer_size(0);
        let Ok(mut socket) =
            tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
        else {
            return;
        };
        while let Some(Ok(message)) = socket.next().await {
            if (message.is_text() || message.is_binary()) && socket.send(message).await.is_err() {
                break;
            }
        }
    })
}
