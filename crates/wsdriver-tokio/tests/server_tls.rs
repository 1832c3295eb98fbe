//! `WebSocketServer` over TLS: a `wss:` server from a rustls
//! `ServerConfig`, checked by a client that trusts the test CA.
#![cfg(feature = "rustls")]

use futures_util::StreamExt;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use wsdriver_tokio::{
    connect, ClientOptions, ServerStream, TlsOptions, TransportOptions, WebSocketServer,
};

mod server_support;
use server_support::certificates;

#[tokio::test]
async fn a_tls_server_echoes_to_a_wss_client_and_reports_tls_failures() {
    tokio::time::timeout(Duration::from_secs(10), async {
        let (ca, config) = certificates();
        let failures = Arc::new(Mutex::new(Vec::new()));
        let seen = failures.clone();
        let server = WebSocketServer::builder()
            .tls(config)
            .on_handshake_error(move |_, error| seen.lock().unwrap().push(error.to_string()))
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let url = format!("wss://{}/", server.local_addr());
        let acceptor = server.clone();
        tokio::spawn(async move {
            while let Some(mut socket) = acceptor.accept().await {
                assert!(matches!(socket.websocket().get_ref(), ServerStream::Tls(_)));
                assert!(socket
                    .websocket()
                    .get_ref()
                    .peer_addr()
                    .unwrap()
                    .ip()
                    .is_loopback());
                tokio::spawn(async move {
                    while let Some(Ok(message)) = socket.next().await {
                        if socket.send(message).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });

        let tls = TlsOptions::default().add_ca_pem(ca.as_bytes()).unwrap();
        let mut client = connect(
            &url,
            ClientOptions::default().transport(TransportOptions::default().tls(tls)),
        )
        .await
        .unwrap();
        client.send("over TLS").await.unwrap();
        assert_eq!(
            client.next().await.unwrap().unwrap().as_text(),
            Some("over TLS")
        );
        client.close(1000, "").await.unwrap();

        // A client that does not trust the certificate fails, and so does
        // the server's side of that handshake, which the hook hears of.
        let untrusting = connect(&url, ClientOptions::default()).await;
        assert!(untrusting.is_err());
        for _ in 0..100 {
            if !failures.lock().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let failures = failures.lock().unwrap().clone();
        assert_eq!(failures.len(), 1, "{failures:?}");
        drop(server);
    })
    .await
    .unwrap();
}
