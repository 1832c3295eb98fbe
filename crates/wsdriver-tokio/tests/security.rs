//! What SECURITY.md promises, over real sockets: the `Origin` allow-list
//! in a `verify_client`, and refusals that never echo what the request
//! carried (no reflected markup, no header injection).

use std::time::Duration;
use wsdriver_tokio::{connect, AllowedOrigins, ClientOptions, WebSocketServer};

mod server_support;
use server_support::{echo_server, raw, status_of, url, within};

fn with_origin(origin: Option<&str>) -> ClientOptions {
    match origin {
        Some(origin) => ClientOptions::default().origin(origin),
        None => ClientOptions::default(),
    }
}

#[tokio::test]
async fn only_allowed_origins_connect() {
    within(async {
        let allowed = AllowedOrigins::new(["https://chat.example"]);
        let (server, _) = echo_server(
            WebSocketServer::builder()
                .verify_client(move |info| std::future::ready(info.check_origin(&allowed))),
        )
        .await;
        let strict = AllowedOrigins::new(["https://chat.example"]).require(true);
        let (strict_server, _) = echo_server(
            WebSocketServer::builder()
                .verify_client(move |info| std::future::ready(info.check_origin(&strict))),
        )
        .await;
        let open_url = url(&server, "/");
        for origin in [
            Some("https://chat.example"),
            Some("HTTPS://chat.example:443"),
            None,
        ] {
            let socket = connect(&open_url, with_origin(origin)).await;
            assert!(socket.is_ok(), "{origin:?}: {:?}", socket.err());
        }
        for origin in [
            "https://chat.example.evil.example",
            "http://chat.example",
            "null",
        ] {
            assert_eq!(
                status_of(connect(&open_url, with_origin(Some(origin))).await),
                403,
                "{origin}"
            );
        }
        let strict_url = url(&strict_server, "/");
        assert_eq!(
            status_of(connect(&strict_url, with_origin(None)).await),
            403
        );
        assert!(
            connect(&strict_url, with_origin(Some("https://chat.example")))
                .await
                .is_ok()
        );
    })
    .await;
}

/// Bad requests of every kind, each carrying a marker where the parser
/// will look: the refusal names what was wrong in its own words.
#[tokio::test]
async fn refusals_do_not_reflect_the_request() {
    within(async {
        let (server, _) = echo_server(WebSocketServer::builder().path("/chat")).await;
        const MARK: &str = "<script>x-marker</script>";
        let upgrade = "Upgrade: websocket\r\nConnection: Upgrade\r\n";
        let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
        let requests = [
            format!("GET /{MARK} HTTP/1.1\r\nHost: x\r\n{upgrade}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            format!("POST /chat HTTP/1.1\r\nHost: x\r\n{upgrade}{key}Sec-WebSocket-Version: 13\r\nX: {MARK}\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: x\r\n{upgrade}{key}Sec-WebSocket-Version: {MARK}\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: x\r\n{upgrade}Sec-WebSocket-Key: {MARK}\r\nSec-WebSocket-Version: 13\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: {MARK}\r\nConnection: Upgrade\r\n{key}\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: {MARK}\r\nHost: y\r\n{upgrade}{key}Sec-WebSocket-Version: 13\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: x\r\n{upgrade}{key}Sec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: {MARK}\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nBad {MARK}\r\n\r\n"),
            format!("{MARK} / HTTP/1.1\r\n\r\n"),
            format!("GET /chat HTTP/1.1\r\nHost: x\r\n\r\n{MARK}"),
        ];
        for request in &requests {
            let answer = tokio::time::timeout(Duration::from_secs(5), raw(server.local_addr(), request))
                .await
                .unwrap_or_else(|_| panic!("no answer to {request:?}"));
            assert!(answer.starts_with("HTTP/1.1 4"), "{request:?} got {answer:?}");
            assert!(!answer.contains("marker"), "{request:?} was reflected: {answer:?}");
        }
    })
    .await;
}

/// Issue 24: an upgrade request announcing a body was answered 101, and
/// its body then read as frames. Refused before the 101 on the standalone
/// server (the core's check) and through axum (hyper's parser and then
/// the core's).
#[tokio::test]
async fn upgrade_requests_with_a_body_are_refused_before_the_101() {
    within(async {
        let (server, _) = echo_server(WebSocketServer::builder()).await;
        let start = "GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
                     Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
        for (headers, status) in [
            ("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "400"),
            ("Content-Length: 5\r\nContent-Length: 6\r\n", "400"),
            ("Content-Length: 5\r\n", "400"),
            ("Transfer-Encoding: gzip\r\n", "501"),
        ] {
            let request = format!("{start}{headers}\r\nhello");
            let answer =
                tokio::time::timeout(Duration::from_secs(5), raw(server.local_addr(), &request))
                    .await
                    .unwrap_or_else(|_| panic!("no answer to {headers:?}"));
            assert!(
                answer.starts_with(&format!("HTTP/1.1 {status}")),
                "{headers:?} got {answer:?}"
            );
        }
    })
    .await;
}
