//! What a tokio user reaches for without a second dependency: the close
//! codes servers send, `going_away`, the core's types through this crate.

use futures_util::StreamExt;
use std::time::Duration;
use wsdriver_tokio::core::{Machine, ServerHandshake};
use wsdriver_tokio::{
    accept, connect_on, is_websocket, ClientOptions, CloseCode, HeaderMap, Message, Request,
    ServerOptions, WebSocket,
};

const LIMIT: Duration = Duration::from_secs(10);

async fn pair() -> (
    WebSocket<tokio::io::DuplexStream>,
    WebSocket<tokio::io::DuplexStream>,
) {
    let (client_io, server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(accept(server_io, ServerOptions::default()));
    let client = connect_on(client_io, "ws://pipe/", ClientOptions::default())
        .await
        .unwrap();
    (client, server.await.unwrap().unwrap())
}

#[tokio::test]
async fn servers_close_with_policy_and_internal_error_codes() {
    for code in [CloseCode::POLICY_VIOLATION, CloseCode::UNEXPECTED_CONDITION] {
        let (mut client, mut server) = pair().await;
        let reader = tokio::spawn(async move {
            while client.next().await.is_some() {}
            client.close_event().cloned()
        });
        let closed = tokio::time::timeout(LIMIT, server.close(code, "no"))
            .await
            .unwrap()
            .unwrap();
        assert!(closed.clean);
        let seen = reader.await.unwrap().unwrap();
        assert_eq!((seen.code, seen.reason.as_str()), (code, "no"));
    }
}

#[tokio::test]
async fn going_away_sends_1001() {
    let (mut client, mut server) = pair().await;
    let reader = tokio::spawn(async move {
        while server.next().await.is_some() {}
        server.close_event().cloned()
    });
    let closed = tokio::time::timeout(LIMIT, client.going_away("bye"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(closed.code, CloseCode::GOING_AWAY);
    let seen = reader.await.unwrap().unwrap();
    assert_eq!(seen.code, 1001);
    // A code no close frame may carry is still refused, and nothing sent.
    let (mut client, _server) = pair().await;
    assert!(client.close(1006, "").await.is_err());
    assert_eq!(client.ready_state(), wsdriver_tokio::ReadyState::Open);
}

#[tokio::test]
async fn messages_convert_the_ways_users_reach_for() {
    let (mut client, mut server) = pair().await;
    client.send(&b"\x01\x02"[..]).await.unwrap();
    client.send(&String::from("text")).await.unwrap();
    let binary = server.next().await.unwrap().unwrap();
    assert!(binary.is_binary() && binary.len() == 2 && !binary.is_empty());
    assert_eq!(&binary.into_bytes()[..], [1, 2]);
    let text = server.next().await.unwrap().unwrap();
    assert_eq!(text.as_text(), Some("text"));
    assert_eq!(text.into_text().unwrap(), "text");
    assert!(Message::from("").is_empty());
}

#[test]
fn the_core_is_reachable_through_this_crate() {
    let request: Request = {
        let http = wsdriver_tokio::core::http_types::Request::builder()
            .method("GET")
            .uri("/chat")
            .header("host", "example.com")
            .header("upgrade", "websocket")
            .header("connection", "Upgrade")
            .header("sec-websocket-key", "dGhlIHNhbXBsZSBub25jZQ==")
            .header("sec-websocket-version", "13")
            .body(())
            .unwrap();
        let now = std::time::Instant::now();
        let options = wsdriver_tokio::Options::default();
        let handshake = ServerHandshake::for_request(&http, options, now).unwrap();
        assert_eq!(
            handshake.poll_timeout(),
            Some(now + Duration::from_secs(30))
        );
        handshake.request().unwrap().clone()
    };
    assert!(is_websocket(&request));
    let headers: &HeaderMap = &request.headers;
    assert_eq!(headers["host"], "example.com");
}

#[tokio::test]
async fn a_whole_http_request_goes_out_with_its_headers() {
    let (client_io, server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(wsdriver_tokio::accept_with(
        server_io,
        ServerOptions::default(),
        |request| match request.headers.get("cookie") {
            Some(cookie) if cookie == "session=abc" => Ok(()),
            _ => Err((401, "no session").into()),
        },
    ));
    let request = wsdriver_tokio::core::http_types::Request::get("ws://pipe/room")
        .header("Cookie", "session=abc")
        .body(())
        .unwrap();
    let client = connect_on(client_io, request, ClientOptions::default())
        .await
        .unwrap();
    assert_eq!(client.url(), Some("ws://pipe/room"));
    assert!(server.await.unwrap().is_ok());
    assert!(client
        .response_headers()
        .unwrap()
        .contains_key("sec-websocket-accept"));

    // A request that is not a GET is refused before anything is sent.
    let (client_io, _server_io) = tokio::io::duplex(4096);
    let post = wsdriver_tokio::core::http_types::Request::post("ws://pipe/")
        .body(())
        .unwrap();
    let error = connect_on(client_io, post, ClientOptions::default())
        .await
        .unwrap_err();
    assert!(
        matches!(error, wsdriver_tokio::Error::Config(_)),
        "{error:?}"
    );
}

/// `ServerOptions`' shortcuts hold whatever the order of the calls
/// (issue 25: a later `options(..)` undid an earlier `max_length` and
/// `protocols`).
#[tokio::test]
async fn server_option_shortcuts_hold_whatever_the_order() {
    let options = ServerOptions::default()
        .max_length(16)
        .protocols(["chat"])
        .options(wsdriver_tokio::Options::default().idle_timeout(Some(Duration::from_secs(60))));
    let (client_io, server_io) = tokio::io::duplex(4096);
    let server = tokio::spawn(accept(server_io, options));
    let client_options =
        ClientOptions::default().options(wsdriver_tokio::Options::default().protocols(["chat"]));
    let mut client = connect_on(client_io, "ws://pipe/", client_options)
        .await
        .unwrap();
    let mut server = server.await.unwrap().unwrap();
    assert_eq!(client.protocol(), Some("chat"));
    assert_eq!(server.protocol(), Some("chat"));
    client.send("x".repeat(17)).await.unwrap();
    // The client reads the 1009 and hangs up, so the server's lingering
    // close ends at once.
    let reader = tokio::spawn(async move { while client.next().await.is_some() {} });
    let refused = tokio::time::timeout(LIMIT, server.next()).await.unwrap();
    assert!(matches!(refused, Some(Err(_))), "{refused:?}");
    assert_eq!(server.close_event().map(|c| c.code.as_u16()), Some(1009));
    reader.await.unwrap();
}
