//! The Autobahn TestSuite's client protocol on tokio: ask for the case
//! count, echo every message of each case, then ask for the reports.
//!
//! `cargo run --release -p wsdriver-tokio --example tokio_autobahn_client ws://127.0.0.1:9001 wsdriver-tokio [--deflate]`

use futures_util::StreamExt;
use wsdriver_tokio::{connect, ClientOptions, DeflateConfig, Message};

#[tokio::main]
async fn main() {
    let (flags, args): (Vec<String>, Vec<String>) =
        std::env::args().skip(1).partition(|a| a.starts_with("--"));
    let deflate = flags.iter().any(|f| f == "--deflate");
    let mut args = args.into_iter();
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or_else(|| "wsdriver-tokio".into());
    let base = base.trim_end_matches('/');

    let mut socket = connect(&format!("{base}/getCaseCount"), ClientOptions::default())
        .await
        .expect("case count");
    let count: u32 = match socket.next().await {
        Some(Ok(Message::Text(text))) => text.trim().parse().expect("a number"),
        other => panic!("no case count: {other:?}"),
    };
    drop(socket.close(1000, "").await);
    eprintln!("running {count} cases as {agent}");

    for case in 1..=count {
        let mut options = ClientOptions::default();
        if deflate {
            // Offered with and without context takeover (13.x wants both).
            let takeover = DeflateConfig::default().threshold(0);
            options = options.deflate([takeover.clone(), takeover.no_context_takeover(true)]);
        }
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        let mut socket = match connect(&url, options).await {
            Ok(socket) => socket,
            Err(error) => {
                eprintln!("case {case}: {error}");
                continue;
            }
        };
        while let Some(Ok(message)) = socket.next().await {
            if socket.send(message).await.is_err() {
                break;
            }
        }
    }
    if let Ok(mut socket) = connect(
        &format!("{base}/updateReports?agent={agent}"),
        ClientOptions::default(),
    )
    .await
    {
        while socket.next().await.is_some() {}
    }
    eprintln!("done");
}
