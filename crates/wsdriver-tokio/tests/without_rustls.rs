//! Without the `rustls` feature, `wss:` URLs and `https:` proxies are a
//! configuration error, named as such, before any connection is made.

#![cfg(not(feature = "rustls"))]

use wsdriver_tokio::{connect, ClientOptions, Error, ProxyOptions, TransportOptions};

#[tokio::test]
async fn wss_needs_the_rustls_feature() {
    match connect("wss://127.0.0.1:9/", ClientOptions::default()).await {
        Err(Error::Config(message)) => assert_eq!(message, "wss: needs the `rustls` feature"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn https_proxies_need_the_rustls_feature() {
    let options = ClientOptions::default()
        .transport(TransportOptions::default().proxy(ProxyOptions::new("https://127.0.0.1:9")));
    match connect("ws://127.0.0.1:9/", options).await {
        Err(Error::Config(message)) => {
            assert_eq!(message, "https: proxies need the `rustls` feature")
        }
        other => panic!("{other:?}"),
    }
}
