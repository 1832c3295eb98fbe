//! wsdriver-tokio echo server: `accept`, then read one message and send it
//! back. `--deflate` offers permessage-deflate (the default config).

use futures_util::StreamExt;
use wsdriver_tokio::{accept, DeflateConfig, ServerOptions};

fn main() -> std::io::Result<()> {
    let mut options = ServerOptions::default();
    if bench::serve::has_flag("--deflate") {
        options = options.deflate(DeflateConfig::default());
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
