//! Upgrading hyper 1 requests, and the axum extractor, against this
//! crate's own client and raw TCP.

#![cfg(all(feature = "hyper", feature = "deflate"))]

use futures_util::StreamExt;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wsdriver_tokio::{
    connect, upgrade, ClientOptions, DeflateConfig, Error, Message, Options, ServerOptions,
    UpgradedWebSocket,
};

async fn within<F: Future>(future: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(10), future)
        .await
        .expect("timed out")
}

/// Serves `handle` with hyper's HTTP/1 server, upgrades enabled.
async fn serve<F, Fut, B>(handle: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<Response<B>, Infallible>> + Send + 'static,
    B: hyper::body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let handle = handle.clone();
            tokio::spawn(async move {
                let _ = http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service_fn(handle))
                    .with_upgrades()
                    .await;
            });
        }
    });
    addr
}

async fn echo(mut socket: UpgradedWebSocket) {
    while let Some(Ok(message)) = socket.next().await {
        if socket.send(message).await.is_err() {
            break;
        }
    }
}

/// A hyper service that upgrades with `options` and echoes.
async fn hyper_echo(options: ServerOptions) -> SocketAddr {
    serve(move |mut request: Request<Incoming>| {
        let options = options.clone();
        async move {
            match upgrade(&mut request, &options) {
                Ok((response, upgrading)) => {
                    assert_eq!(upgrading.protocol(), response_protocol(&response));
                    tokio::spawn(async move { echo(upgrading.await.unwrap()).await });
                    Ok::<_, Infallible>(response)
                }
                Err(refused) => Ok(refused.into_response()),
            }
        }
    })
    .await
}

fn response_protocol<B>(response: &Response<B>) -> Option<&str> {
    response
        .headers()
        .get("sec-websocket-protocol")
        .map(|v| v.to_str().unwrap())
}

/// Sends a raw request and reads the whole answer (the server closes).
async fn raw(addr: SocketAddr, request: &str) -> String {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

fn request(headers: &[(&str, &str)]) -> Request<()> {
    let mut builder = Request::get("/ws").header("host", "localhost");
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    builder.body(()).unwrap()
}

const WEBSOCKET_HEADERS: [(&str, &str); 4] = [
    ("upgrade", "websocket"),
    ("connection", "Upgrade"),
    ("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("sec-websocket-version", "13"),
];

#[tokio::test]
async fn hyper_upgrade_echoes() {
    within(async {
        let addr = hyper_echo(
            ServerOptions::default()
                .protocols(["echo"])
                .deflate(DeflateConfig::default()),
        )
        .await;
        let options = ClientOptions::default()
            .options(Options::default().protocols(["other", "echo"]))
            .deflate([DeflateConfig::default()]);
        let mut socket = connect(&format!("ws://{addr}/ws"), options).await.unwrap();
        assert_eq!(socket.protocol(), Some("echo"));
        let extensions = socket
            .response_headers()
            .unwrap()
            .get("sec-websocket-extensions");
        assert!(extensions.is_some_and(|e| e.to_str().unwrap().starts_with("permessage-deflate")));

        socket.send("through hyper").await.unwrap();
        match socket.next().await {
            Some(Ok(Message::Text(text))) => assert_eq!(text.as_str(), "through hyper"),
            other => panic!("{other:?}"),
        }
        let big = vec![42u8; 100_000];
        socket.send(big.clone()).await.unwrap();
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => assert_eq!(bytes, big),
            other => panic!("{other:?}"),
        }
        let event = socket.close(1000, "done").await.unwrap();
        assert_eq!((event.code.as_u16(), event.clean), (1000, true));
    })
    .await;
}

#[tokio::test]
async fn hyper_sends_the_drivers_refusals() {
    within(async {
        let addr = hyper_echo(ServerOptions::default()).await;

        let answer = raw(addr, "GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
        assert!(
            answer.starts_with("HTTP/1.1 400 Bad Request\r\n"),
            "{answer}"
        );
        assert!(
            answer.ends_with("\r\n\r\nNot a WebSocket request"),
            "{answer}"
        );

        let no_key = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
        let answer = raw(addr, no_key).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");
        assert!(
            answer.ends_with("Missing handshake request header: Sec-WebSocket-Key"),
            "{answer}"
        );

        let version_7 = "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n\
            Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
            Sec-WebSocket-Version: 7\r\n\r\n";
        let answer = raw(addr, version_7).await;
        assert!(answer.starts_with("HTTP/1.1 426 "), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("\r\nsec-websocket-version: 13, 8\r\n"),
            "{answer}"
        );

        // Draft 8's version is the driver's to accept.
        let options = ClientOptions::default().options(Options::default().protocol_version(8));
        let socket = connect(&format!("ws://{addr}/ws"), options).await;
        assert!(socket.is_ok(), "draft 8 is accepted: {socket:?}");
    })
    .await;
}

#[tokio::test]
async fn hyper_keeps_the_drafts_reason_phrase() {
    within(async {
        let addr = hyper_echo(ServerOptions::default().allow_drafts(true)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        let hixie75 = "GET /demo HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\n\
            Connection: Upgrade\r\nOrigin: http://localhost\r\n\r\n";
        stream.write_all(hixie75.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(
            head.starts_with("HTTP/1.1 101 Web Socket Protocol Handshake\r\n"),
            "{head}"
        );
        assert!(
            head.to_ascii_lowercase()
                .contains("\r\nwebsocket-location: ws://localhost/demo\r\n"),
            "{head}"
        );
        stream.write_all(b"\x00draft\xff").await.unwrap();
        let mut echoed = [0; 7];
        stream.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"\x00draft\xff");
    })
    .await;
}

#[tokio::test]
async fn hyper_upgrades_hixie_76_with_its_challenge() {
    within(async {
        let addr = hyper_echo(ServerOptions::default().allow_drafts(true)).await;
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // draft-hixie-thewebsocketprotocol-76's own example.
        let hixie76 = "GET /demo HTTP/1.1\r\nHost: example.com\r\nConnection: Upgrade\r\n\
            Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nUpgrade: WebSocket\r\n\
            Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://example.com\r\n\r\n\
            ^n:ds[4U";
        stream.write_all(hixie76.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            head.push(stream.read_u8().await.unwrap());
        }
        let head = String::from_utf8(head).unwrap();
        assert!(
            head.starts_with("HTTP/1.1 101 WebSocket Protocol Handshake\r\n"),
            "{head}"
        );
        let mut answer = [0; 16];
        stream.read_exact(&mut answer).await.unwrap();
        assert_eq!(&answer, b"8jKS'y:G*Co,Wxa-");
        stream.write_all(b"\x00seventy-six\xff").await.unwrap();
        let mut echoed = [0; 13];
        stream.read_exact(&mut echoed).await.unwrap();
        assert_eq!(&echoed, b"\x00seventy-six\xff");
    })
    .await;
}

#[test]
fn requests_outside_hyper_are_refused_by_the_driver() {
    // A valid WebSocket request that no hyper connection can hand over.
    let mut valid = request(&WEBSOCKET_HEADERS);
    let refused = upgrade(&mut valid, &ServerOptions::default()).unwrap_err();
    assert_eq!(refused.status(), 426);
    assert_eq!(refused.response().headers()["upgrade"], "websocket");
    assert!(matches!(refused.error(), Error::Status { status: 426, .. }));

    // An invalid one: the driver's own answer comes first.
    let without_key: Vec<_> = WEBSOCKET_HEADERS
        .into_iter()
        .filter(|(name, _)| *name != "sec-websocket-key")
        .collect();
    let mut invalid = request(&without_key);
    let refused = upgrade(&mut invalid, &ServerOptions::default()).unwrap_err();
    assert_eq!(refused.status(), 400);
    assert_eq!(refused.response().headers()["content-type"], "text/plain");
    assert!(
        refused.to_string().contains("Sec-WebSocket-Key"),
        "{refused}"
    );

    // Options the core refuses: a 500 that does not say why, an error that does.
    let bad = ServerOptions::default().protocols(["not a token"]);
    let refused = upgrade(&mut request(&WEBSOCKET_HEADERS), &bad).unwrap_err();
    assert_eq!(refused.status(), 500);
    assert!(refused.to_string().contains("not a token"), "{refused}");
}

#[cfg(feature = "axum")]
mod axum_extractor {
    use super::*;
    use axum::response::Response;
    use axum::routing::get;
    use axum::Router;
    use tower_service::Service;
    use wsdriver_tokio::{NotWebSocket, WebSocketUpgrade};

    async fn ws(upgrade: WebSocketUpgrade) -> Response {
        assert_eq!(upgrade.request().uri.path(), "/ws");
        let options = ServerOptions::default()
            .protocols(["echo"])
            .deflate(DeflateConfig::default())
            .max_length(1024);
        upgrade.server_options(options).on_upgrade(echo)
    }

    async fn app() -> SocketAddr {
        let router = Router::new().route("/ws", get(ws));
        serve(move |request: Request<Incoming>| {
            let mut router = router.clone();
            async move {
                std::future::poll_fn(|cx| {
                    Service::<Request<Incoming>>::poll_ready(&mut router, cx)
                })
                .await?;
                router.call(request).await
            }
        })
        .await
    }

    #[tokio::test]
    async fn axum_extractor_echoes() {
        within(async {
            let addr = app().await;
            let options = ClientOptions::default()
                .options(Options::default().protocols(["echo"]))
                .deflate([DeflateConfig::default()]);
            let mut socket = connect(&format!("ws://{addr}/ws"), options).await.unwrap();
            assert_eq!(socket.protocol(), Some("echo"));
            let extensions = socket
                .response_headers()
                .unwrap()
                .get("sec-websocket-extensions");
            assert!(extensions.is_some(), "deflate negotiated");

            socket.send("through axum").await.unwrap();
            assert_eq!(
                socket.next().await.unwrap().unwrap().as_bytes(),
                b"through axum"
            );
            socket.send(vec![1u8; 1024]).await.unwrap();
            assert_eq!(socket.next().await.unwrap().unwrap().as_bytes().len(), 1024);
            // Over max_length: the driver closes with 1009.
            socket.send(vec![1u8; 1025]).await.unwrap();
            while socket.next().await.is_some() {}
            assert_eq!(socket.close_event().unwrap().code, 1009);
        })
        .await;
    }

    #[tokio::test]
    async fn axum_extractor_rejects_plain_requests_with_426() {
        within(async {
            let addr = app().await;
            let answer = raw(addr, "GET /ws HTTP/1.1\r\nHost: localhost\r\n\r\n").await;
            assert!(answer.starts_with("HTTP/1.1 426 "), "{answer}");
            assert!(answer.contains("\r\nupgrade: websocket\r\n"), "{answer}");
            assert!(
                answer.ends_with("Upgrade Required: this endpoint speaks WebSocket\n"),
                "{answer}"
            );
        })
        .await;
    }

    /// One route, two answers: a page for browsers, a WebSocket for
    /// clients that ask, the protocol picked by the server's order.
    async fn page_or_socket(upgrade: Result<WebSocketUpgrade, NotWebSocket>) -> Response {
        let upgrade = match upgrade {
            Ok(upgrade) => upgrade,
            Err(not_websocket) => {
                assert_eq!(not_websocket.to_string(), "Not a WebSocket request");
                return Response::new("a page".into());
            }
        };
        let options = ServerOptions::default().options(
            Options::default()
                .protocols(["v2", "v1"])
                .prefer_server_protocols(true),
        );
        let upgrade = upgrade.server_options(options);
        let chosen = upgrade.selected_protocol();
        upgrade.on_upgrade(move |mut socket| async move {
            assert_eq!(socket.protocol(), chosen.as_deref());
            let _ = socket.send(format!("{chosen:?}")).await;
            echo(socket).await;
        })
    }

    #[tokio::test]
    async fn axum_routes_pages_and_sockets_on_one_path() {
        within(async {
            let router = Router::new().route("/", get(page_or_socket));
            let addr = serve(move |request: Request<Incoming>| {
                let mut router = router.clone();
                async move {
                    std::future::poll_fn(|cx| {
                        Service::<Request<Incoming>>::poll_ready(&mut router, cx)
                    })
                    .await?;
                    router.call(request).await
                }
            })
            .await;
            let plain = "GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
            let answer = raw(addr, plain).await;
            assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
            assert!(answer.ends_with("a page"), "{answer}");

            let options =
                ClientOptions::default().options(Options::default().protocols(["v1", "v2"]));
            let mut socket = connect(&format!("ws://{addr}/"), options).await.unwrap();
            assert_eq!(socket.protocol(), Some("v2"), "the server's order");
            assert_eq!(
                socket.next().await.unwrap().unwrap().as_text(),
                Some("Some(\"v2\")")
            );
        })
        .await;
    }
}
