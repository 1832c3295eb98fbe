//! `connect_on`: the client handshake over a stream the caller already
//! has, on the same drive loop as `connect`.

use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsdriver_tokio::{connect_on, ClientOptions, Error, TransportOptions};
// What only the deflate test uses.
#[cfg(feature = "deflate")]
use {
    futures_util::StreamExt,
    wsdriver_tokio::{accept, DeflateConfig, Message, Options, ServerOptions},
};

#[cfg(feature = "deflate")]
const LIMIT: Duration = Duration::from_secs(10);

#[cfg(feature = "deflate")]
#[tokio::test]
async fn a_client_over_a_pipe_talks_to_a_server_over_its_other_end() {
    let (client_io, server_io) = tokio::io::duplex(1024);
    let server = tokio::spawn(accept(
        server_io,
        ServerOptions::default()
            .protocols(["chat"])
            .deflate(DeflateConfig::default()),
    ));
    let options = ClientOptions::default()
        .options(Options::default().protocols(["chat"]))
        .deflate([DeflateConfig::default()]);
    let mut client = tokio::time::timeout(LIMIT, connect_on(client_io, "ws://pipe/room", options))
        .await
        .unwrap()
        .unwrap();
    let mut server = server.await.unwrap().unwrap();
    assert_eq!(client.protocol(), Some("chat"));
    assert_eq!(client.url(), Some("ws://pipe/room"));
    let extensions = client.response_headers().unwrap()["sec-websocket-extensions"]
        .to_str()
        .unwrap();
    assert!(extensions.starts_with("permessage-deflate"), "{extensions}");
    assert_eq!(server.url(), Some("ws://pipe/room"));
    let response = client.response().unwrap();
    assert_eq!(response.status(), 101);
    assert!(response.headers().contains_key("sec-websocket-accept"));
    assert!(server.response().is_none(), "a server has no response");

    let big = "x".repeat(100_000); // many reads through a 1 KiB pipe
    client.send(big.as_str()).await.unwrap();
    let echoed = server.next().await.unwrap().unwrap();
    server.send(echoed).await.unwrap();
    assert_eq!(
        client.next().await.unwrap().unwrap(),
        Message::from(big.as_str())
    );
    // The server reads on, and so answers the close.
    let server = tokio::spawn(async move {
        while server.next().await.is_some() {}
        server.close_event().cloned()
    });
    let closed = client.close(1000, "done").await.unwrap();
    assert!(closed.clean);
    let seen = server.await.unwrap().unwrap();
    assert_eq!((seen.code.as_u16(), seen.reason.as_str()), (1000, "done"));
}

#[tokio::test]
async fn a_refusal_is_a_status_error_with_its_headers() {
    let (client_io, mut server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(async move {
        let mut request = vec![0; 4096];
        let n = server_io.read(&mut request).await.unwrap();
        assert!(request[..n].starts_with(b"GET /secret HTTP/1.1\r\n"));
        server_io
            .write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\n\
                  Content-Length: 0\r\n\r\n",
            )
            .await
            .unwrap();
        server_io
    });
    let error = connect_on(client_io, "ws://pipe/secret", ClientOptions::default())
        .await
        .unwrap_err();
    match &error {
        Error::Status {
            status, headers, ..
        } => {
            assert_eq!(*status, 401);
            assert_eq!(headers["www-authenticate"], "Bearer");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        error.to_string().contains("Unexpected response code: 401"),
        "{error}"
    );
    drop(server.await.unwrap());
}

#[tokio::test(start_paused = true)]
async fn a_silent_peer_times_out_and_a_closed_one_fails_at_once() {
    let (client_io, _silent) = tokio::io::duplex(4096);
    let started = tokio::time::Instant::now();
    let options = ClientOptions::default()
        .transport(TransportOptions::default().connect_timeout(Some(Duration::from_secs(5))));
    let error = connect_on(client_io, "ws://pipe/", options)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::Timeout(_)), "{error:?}");
    assert_eq!(started.elapsed(), Duration::from_secs(5));

    let (client_io, server_io) = tokio::io::duplex(4096);
    drop(server_io);
    let error = connect_on(client_io, "ws://pipe/", ClientOptions::default())
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("closed the connection during the handshake")
            || matches!(error, Error::Io { .. }),
        "{error:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_secs(5), "no waiting");
}
