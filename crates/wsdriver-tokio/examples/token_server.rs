//! A `WebSocketServer` with a path, subprotocols and a token check whose
//! user the socket carries.
//!
//! `cargo run -p wsdriver-tokio --example token_server [ADDR]`
//!
//! With an address it serves until Ctrl-C: clients connect to `/chat`
//! with `Authorization: Bearer <user-id>` and subprotocol `chat.v2` or
//! `chat.v1`. Without one it serves on a free port and checks itself with
//! three clients (refused, wrong path, accepted), then exits (the README's
//! test command runs it so).

use futures_util::StreamExt;
use std::time::Duration;
use wsdriver_tokio::{
    connect, ClientOptions, Error, Options, Reject, ServerOptions, ServerSocket, WebSocketServer,
};

/// Who the token says the client is.
#[derive(Debug, Clone, Copy)]
struct User(u32);

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let addr = std::env::args().nth(1);
    let server = WebSocketServer::builder()
        .path("/chat")
        .server_options(ServerOptions::default().protocols(["chat.v2", "chat.v1"]))
        .verify_client(|info| async move {
            let token = info.request.headers.get("authorization");
            let user = token
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.strip_prefix("Bearer "))
                .and_then(|id| id.parse().ok());
            match user {
                Some(id) => Ok(User(id)),
                None => Err(Reject::new(401, "A bearer token, please")
                    .header("WWW-Authenticate", "Bearer realm=\"chat\"")
                    .expect("a valid header")),
            }
        })
        .bind(addr.as_deref().unwrap_or("127.0.0.1:0"))
        .await?;
    eprintln!(
        "token_server listening on ws://{}/chat",
        server.local_addr()
    );
    let acceptor = server.clone();
    tokio::spawn(async move {
        while let Some(socket) = acceptor.accept().await {
            tokio::spawn(greet(socket));
        }
    });
    if addr.is_some() {
        let _ = tokio::signal::ctrl_c().await;
    } else {
        check(&format!("ws://{}", server.local_addr())).await?;
    }
    server.shutdown(Duration::from_secs(5)).await;
    Ok(())
}

/// Greets the user by id, then echoes.
async fn greet(mut socket: ServerSocket) {
    let user = socket.data::<User>().copied();
    let protocol = socket.websocket().protocol().map(str::to_owned);
    let user = user.map_or_else(|| "unknown".to_owned(), |u| u.0.to_string());
    let protocol = protocol.as_deref().unwrap_or("no subprotocol");
    let hello = format!("hello user {user} over {protocol}");
    if socket.send(hello).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = socket.next().await {
        if socket.send(message).await.is_err() {
            break;
        }
    }
}

/// Three clients: no token, the wrong path, and one that gets in.
async fn check(base: &str) -> Result<(), Box<dyn std::error::Error>> {
    match connect(&format!("{base}/chat"), ClientOptions::default()).await {
        Err(Error::Status {
            status, headers, ..
        }) => {
            assert_eq!(status, 401);
            assert!(headers.contains_key("www-authenticate"));
            println!("no token: refused with {status}");
        }
        other => return Err(format!("expected a 401, got {other:?}").into()),
    }
    let with_token = || {
        ClientOptions::default()
            .header("Authorization", "Bearer 42")
            .options(Options::default().protocols(["chat.v1", "chat.v2"]))
    };
    let wrong_path = connect(&format!("{base}/elsewhere"), with_token()).await;
    assert!(matches!(wrong_path, Err(Error::Status { status: 400, .. })));
    println!("wrong path: refused with 400");

    let mut socket = connect(&format!("{base}/chat"), with_token()).await?;
    let hello = socket.next().await.ok_or("closed early")??;
    println!("accepted: {:?}", hello.as_text());
    assert_eq!(hello.as_text(), Some("hello user 42 over chat.v1"));
    socket.close(1000, "bye").await?;
    Ok(())
}
