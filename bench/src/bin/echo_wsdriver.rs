//! wsdriver-tokio echo server: `accept`, then read one message and send it
//! back. `--deflate` offers permessage-deflate (the default config);
//! `--compress-all` with it compresses every message, empty ones too (the
//! soak's `--deflate`).

use futures_util::StreamExt;
use wsdriver_tokio::{accept, DeflateConfig, ServerOptions};

fn main() -> std::io::Result<()> {
    let mut options = ServerOptions::default();
    if bench::serve::has_flag("--deflate") {
        let mut config = DeflateConfig::default();
        if bench::serve::has_flag("--compress-all") {
            config = config.threshold(0);
        }
        options = options.deflate(config);
    }
    bench::serve::run("echo_wsdriver", move |stream| {
        let options = options.clone();
        async move {
            let Ok(mut socket) = accept(stream, options).await else {
                return;
            };
            while let Some(Ok(message)) = socket.next().await {
                if socket.send(message).await.is_err() {
                    break;
                }
            }
        }
    })
}
