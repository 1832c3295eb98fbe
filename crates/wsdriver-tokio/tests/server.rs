//! WebSocketServer against this crate's own client and raw TCP.

use futures_util::StreamExt;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
#[cfg(feature = "deflate")]
use wsdriver_tokio::DeflateConfig;
use wsdriver_tokio::{
    connect, ClientOptions, Error, MaybeTlsStream, Message, Options, ServerOptions, WebSocket,
    WebSocketServer,
};

mod server_support;
use server_support::*;

#[tokio::test]
async fn echoes_text_and_binary_and_reports_peer_and_request() {
    within(async {
        let (server, mut seen) = echo_server(WebSocketServer::builder()).await;
        let mut socket = client(&url(&server, "/echo?room=1")).await;
        let (peer, target, protocol) = opened(&mut seen).await;
        assert_eq!(target, "/echo?room=1");
        assert_eq!(protocol, None);
        match socket.get_ref() {
            MaybeTlsStream::Plain(tcp) => assert_eq!(peer, tcp.local_addr().unwrap()),
            _ => panic!("a ws: URL connects over plain TCP"),
        }

        socket.send("héllo").await.unwrap();
        match socket.next().await {
            Some(Ok(Message::Text(text))) => assert_eq!(text.as_str(), "héllo"),
            other => panic!("{other:?}"),
        }
        socket.send(vec![0u8, 1, 2, 255]).await.unwrap();
        match socket.next().await {
            Some(Ok(Message::Binary(bytes))) => assert_eq!(&bytes[..], [0, 1, 2, 255]),
            other => panic!("{other:?}"),
        }
        let event = socket.close(1000, "bye").await.unwrap();
        assert_eq!((event.code.as_u16(), event.clean), (1000, true));
        let event = closed(&mut seen).await.unwrap();
        assert_eq!((event.code.as_u16(), event.reason.as_str()), (1000, "bye"));
    })
    .await;
}

#[tokio::test]
async fn plain_http_gets_426() {
    within(async {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let answer = raw(
            server.local_addr(),
            "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 426 "), "{answer}");
        assert!(
            answer
                .to_ascii_lowercase()
                .contains("\r\nupgrade: websocket\r\n"),
            "{answer}"
        );
        assert_eq!(server.clients(), 0);
    })
    .await;
}

#[tokio::test]
async fn other_paths_are_refused_with_400() {
    within(async {
        let (server, mut seen) = echo_server(WebSocketServer::builder().path("/chat")).await;
        let refused = connect(&url(&server, "/other"), ClientOptions::default()).await;
        assert_eq!(status_of(refused), 400);
        // The query is not part of the path.
        let _socket = client(&url(&server, "/chat?room=1")).await;
        let (_, target, _) = opened(&mut seen).await;
        assert_eq!(target, "/chat?room=1");
    })
    .await;
}

#[tokio::test]
async fn verify_client_refuses_with_its_status_and_body() {
    within(async {
        let builder = WebSocketServer::builder().verify_client(|info| async move {
            if info.origin() != Some("https://example.com") {
                return Err((403, "Forbidden origin").into());
            }
            let token = info.request.headers.get("authorization");
            match token.and_then(|t| t.to_str().ok()) {
                Some("Bearer good") => Ok(()),
                _ => Err((401, "Who are you?").into()),
            }
        });
        let (server, mut seen) = echo_server(builder).await;
        let with = |origin: &str, token: Option<&str>| {
            let options = ClientOptions::default().origin(origin);
            match token {
                Some(t) => options.header("Authorization", format!("Bearer {t}")),
                None => options,
            }
        };

        let refused = connect(
            &url(&server, "/"),
            with("https://evil.example", Some("good")),
        )
        .await;
        assert_eq!(status_of(refused), 403);

        match connect(&url(&server, "/"), with("https://example.com", None)).await {
            Err(Error::Status {
                status, headers, ..
            }) => {
                assert_eq!(status, 401);
                assert_eq!(headers.get("content-type").unwrap(), "text/plain");
                assert_eq!(headers.get("content-length").unwrap(), "12");
            }
            other => panic!("{other:?}"),
        }
        // The body, as sent.
        let answer = raw(
            server.local_addr(),
            &UPGRADE_REQUEST.replace("\r\n\r\n", "\r\nOrigin: https://example.com\r\n\r\n"),
        )
        .await;
        assert!(answer.starts_with("HTTP/1.1 401 "), "{answer}");
        assert!(answer.ends_with("\r\n\r\nWho are you?"), "{answer}");

        let mut socket = connect(
            &url(&server, "/"),
            with("https://example.com", Some("good")),
        )
        .await
        .unwrap();
        opened(&mut seen).await;
        socket.send("in").await.unwrap();
        assert_eq!(socket.next().await.unwrap().unwrap().as_bytes(), b"in");
    })
    .await;
}

#[tokio::test]
async fn a_sync_check_works_through_a_ready_future() {
    within(async {
        let builder = WebSocketServer::builder().verify_client(|info| {
            std::future::ready(if info.request.uri.query() == Some("ok") {
                Ok(())
            } else {
                Err((400, "no").into())
            })
        });
        let (server, _seen) = echo_server(builder).await;
        let refused = connect(&url(&server, "/?bad"), ClientOptions::default()).await;
        assert_eq!(status_of(refused), 400);
        client(&url(&server, "/?ok")).await;
    })
    .await;
}

#[tokio::test]
async fn picks_the_clients_first_supported_subprotocol() {
    within(async {
        let builder = WebSocketServer::builder()
            .server_options(ServerOptions::default().protocols(["chat", "superchat"]));
        let (server, mut seen) = echo_server(builder).await;
        let options =
            ClientOptions::default().options(Options::default().protocols(["superchat", "chat"]));
        let socket = connect(&url(&server, "/"), options).await.unwrap();
        assert_eq!(socket.protocol(), Some("superchat"));
        let (_, _, protocol) = opened(&mut seen).await;
        assert_eq!(protocol.as_deref(), Some("superchat"));
    })
    .await;
}

#[cfg(feature = "deflate")]
#[tokio::test]
async fn deflate_is_negotiated_only_when_configured() {
    within(async {
        let offer = || ClientOptions::default().deflate([DeflateConfig::default()]);
        let extensions = |socket: &WebSocket<MaybeTlsStream>| {
            socket
                .response_headers()
                .and_then(|h| h.get("sec-websocket-extensions"))
                .map(|v| v.to_str().unwrap().to_owned())
        };

        let (plain, _seen) = echo_server(WebSocketServer::builder()).await;
        let socket = connect(&url(&plain, "/"), offer()).await.unwrap();
        assert_eq!(extensions(&socket), None);

        let builder = WebSocketServer::builder()
            .server_options(ServerOptions::default().deflate(DeflateConfig::default()));
        let (server, _seen) = echo_server(builder).await;
        let mut socket = connect(&url(&server, "/"), offer()).await.unwrap();
        assert!(
            extensions(&socket).is_some_and(|e| e.starts_with("permessage-deflate")),
            "{:?}",
            extensions(&socket)
        );
        let text = "compress me ".repeat(2000);
        socket.send(text.as_str()).await.unwrap();
        assert_eq!(
            socket.next().await.unwrap().unwrap().as_bytes(),
            text.as_bytes()
        );
    })
    .await;
}

#[tokio::test]
async fn max_length_closes_with_1009() {
    within(async {
        let builder =
            WebSocketServer::builder().server_options(ServerOptions::default().max_length(16));
        let (server, _seen) = echo_server(builder).await;
        let mut socket = client(&url(&server, "/")).await;
        socket.send(vec![7u8; 16]).await.unwrap();
        assert_eq!(socket.next().await.unwrap().unwrap().as_bytes().len(), 16);
        socket.send(vec![7u8; 100]).await.unwrap();
        while socket.next().await.is_some() {}
        assert_eq!(socket.close_event().unwrap().code, 1009);
    })
    .await;
}

#[tokio::test]
async fn drafts_only_when_allowed() {
    within(async {
        let hixie75 = "GET /demo HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\n\
            Connection: Upgrade\r\nOrigin: http://localhost\r\n\r\n";
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let answer = raw(server.local_addr(), hixie75).await;
        assert!(answer.starts_with("HTTP/1.1 400 "), "{answer}");

        let server = WebSocketServer::builder()
            .server_options(ServerOptions::default().allow_drafts(true))
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream.write_all(hixie75.as_bytes()).await.unwrap();
        let mut socket = server.accept().await.unwrap();
        assert_eq!(
            socket.websocket().version(),
            wsdriver_tokio::Version::Hixie75
        );
        let mut head = vec![0; 16];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 101 Web");
        // A text frame of the draft: 0x00 text 0xFF.
        stream.write_all(b"\x00draft\xff").await.unwrap();
        assert_eq!(socket.next().await.unwrap().unwrap().as_bytes(), b"draft");
    })
    .await;
}

#[tokio::test]
async fn a_slow_client_is_answered_408_after_the_handshake_timeout() {
    within(async {
        let server = WebSocketServer::builder()
            .handshake_timeout(Some(Duration::from_millis(300)))
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
        stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
        let mut rest = Vec::new();
        stream.read_to_end(&mut rest).await.unwrap();
        assert!(started.elapsed() >= Duration::from_millis(300), "too early");
        let rest = String::from_utf8(rest).unwrap();
        assert!(
            rest.starts_with("HTTP/1.1 408 Request Timeout\r\n"),
            "{rest}"
        );
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn without_a_handshake_timeout_a_slow_client_is_kept() {
    let server = WebSocketServer::builder()
        .handshake_timeout(None)
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut byte = [0u8; 1];
    // An hour on the paused clock: no answer and no hang-up.
    let waited = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut byte)).await;
    assert!(waited.is_err(), "{waited:?}");
    stream
        .write_all(
            b"Host: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .unwrap();
    let socket = tokio::time::timeout(Duration::from_secs(10), server.accept())
        .await
        .unwrap();
    assert!(socket.is_some(), "the late handshake completed");
}

/// The builder's handshake timeout holds whatever the order: a later
/// `server_options` (whose core options hold the default 30 s) keeps it.
#[tokio::test(start_paused = true)]
async fn handshake_timeout_holds_after_server_options() {
    let server = WebSocketServer::builder()
        .handshake_timeout(None)
        .server_options(ServerOptions::default().max_length(1 << 20))
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let mut stream = TcpStream::connect(server.local_addr()).await.unwrap();
    stream.write_all(b"GET / HTTP/1.1\r\n").await.unwrap();
    let mut byte = [0u8; 1];
    let waited = tokio::time::timeout(Duration::from_secs(3600), stream.read(&mut byte)).await;
    assert!(waited.is_err(), "{waited:?}");
}

#[tokio::test]
async fn a_slow_verify_client_is_answered_408_after_the_handshake_timeout() {
    within(async {
        let server = WebSocketServer::builder()
            .handshake_timeout(Some(Duration::from_millis(300)))
            .verify_client(|_| std::future::pending::<Result<(), wsdriver_tokio::Reject>>())
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let started = tokio::time::Instant::now();
        let error = connect(&url(&server, "/"), ClientOptions::default())
            .await
            .unwrap_err();
        assert!(started.elapsed() >= Duration::from_millis(300), "too early");
        assert!(
            matches!(error, Error::Status { status: 408, .. }),
            "{error:?}"
        );
    })
    .await;
}

#[tokio::test]
async fn clients_counts_open_connections() {
    within(async {
        let (server, mut seen) = echo_server(WebSocketServer::builder()).await;
        assert_eq!(server.clients(), 0);
        let mut first = client(&url(&server, "/")).await;
        opened(&mut seen).await;
        assert_eq!(server.clients(), 1);
        let second = client(&url(&server, "/")).await;
        opened(&mut seen).await;
        assert_eq!(server.clients(), 2);

        first.close(1000, "").await.unwrap();
        assert_eq!(closed(&mut seen).await.unwrap().code, 1000);
        assert_eq!(server.clients(), 1);
        // Gone without a close frame: 1006 on the server, and uncounted.
        drop(second);
        assert_eq!(closed(&mut seen).await.unwrap().code, 1006);
        assert_eq!(server.clients(), 0);
    })
    .await;
}

#[tokio::test]
async fn dropped_or_detached_sockets_leave_the_count() {
    within(async {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let _a = client(&url(&server, "/")).await;
        let socket = server.accept().await.unwrap();
        assert_eq!(server.clients(), 1);
        drop(socket);
        assert_eq!(server.clients(), 0);

        let _b = client(&url(&server, "/")).await;
        let socket = server.accept().await.unwrap();
        assert_eq!(server.clients(), 1);
        let _inner: WebSocket<wsdriver_tokio::ServerStream> = socket.into_inner();
        assert_eq!(server.clients(), 0);

        let untracked = WebSocketServer::builder()
            .client_tracking(false)
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let _c = client(&url(&untracked, "/")).await;
        let _socket = untracked.accept().await.unwrap();
        assert_eq!(untracked.clients(), 0);
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_every_client_with_1001() {
    within(async {
        let (server, mut seen) = echo_server(WebSocketServer::builder()).await;
        let address = server.local_addr();
        let mut readers = Vec::new();
        for _ in 0..2 {
            let mut socket = client(&url(&server, "/")).await;
            opened(&mut seen).await;
            socket.send("ping").await.unwrap();
            assert_eq!(socket.next().await.unwrap().unwrap().as_bytes(), b"ping");
            readers.push(tokio::spawn(async move {
                while socket.next().await.is_some() {}
                socket.close_event().cloned()
            }));
        }
        assert_eq!(server.clients(), 2);

        let remaining = server.shutdown(Duration::from_secs(5)).await;
        assert_eq!(remaining, 0);
        assert_eq!(server.clients(), 0);
        for reader in readers {
            let event = reader.await.unwrap().expect("the client saw a close");
            assert_eq!(event.code.as_u16(), 1001);
            assert!(event.clean, "{event:?}");
            assert_eq!(event.reason, "Server shutting down");
        }
        for _ in 0..2 {
            assert_eq!(closed(&mut seen).await.unwrap().code, 1001);
        }
        // No more accepting.
        assert!(server.accept().await.is_none());
        let refused = connect(&format!("ws://{address}/"), ClientOptions::default()).await;
        assert!(matches!(refused, Err(Error::Io { .. })), "{refused:?}");
    })
    .await;
}

#[tokio::test]
async fn shutdown_closes_connections_not_yet_accepted() {
    within(async {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let mut socket = client(&url(&server, "/")).await;
        // Nobody calls accept: the connection waits in the queue.
        let reader = tokio::spawn(async move {
            while socket.next().await.is_some() {}
            socket.close_event().cloned()
        });
        assert_eq!(server.shutdown(Duration::from_secs(5)).await, 0);
        assert_eq!(reader.await.unwrap().unwrap().code, 1001);
    })
    .await;
}

#[tokio::test]
async fn a_writer_that_never_reads_learns_of_the_shutdown() {
    within(async {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let mut peer = client(&url(&server, "/")).await;
        let mut socket = server.accept().await.unwrap();
        socket.send("before").await.unwrap();
        assert_eq!(peer.next().await.unwrap().unwrap().as_bytes(), b"before");

        // Nobody reads the server's side: the deadline passes with it open.
        assert_eq!(server.shutdown(Duration::ZERO).await, 1);
        assert!(matches!(socket.send("after").await, Err(Error::Closed)));
        // The close frame went out with the failed send.
        let reader = tokio::spawn(async move {
            while peer.next().await.is_some() {}
            peer.close_event().cloned()
        });
        assert_eq!(reader.await.unwrap().unwrap().code, 1001);
        while socket.next().await.is_some() {}
        assert_eq!(socket.websocket().close_event().unwrap().code, 1001);
        assert_eq!(server.clients(), 0);
    })
    .await;
}

#[tokio::test]
async fn bad_options_fail_at_bind() {
    within(async {
        let result = WebSocketServer::builder()
            .server_options(ServerOptions::default().protocols(["not a token"]))
            .bind("127.0.0.1:0")
            .await;
        assert!(result.is_err());
    })
    .await;
}

#[derive(Debug, PartialEq)]
struct User(u32);

#[tokio::test]
async fn verify_client_hands_data_to_the_socket_and_refuses_with_headers() {
    within(async {
        let (failures_tx, mut failures) = mpsc::unbounded_channel();
        let server = WebSocketServer::builder()
            .verify_client(|info| async move {
                match info.request.headers.get("authorization") {
                    Some(token) if token == "Bearer 7" => Ok(User(7)),
                    _ => Err(wsdriver_tokio::Reject::new(401, "Log in first")
                        .header("WWW-Authenticate", "Bearer realm=\"chat\"")
                        .unwrap()),
                }
            })
            .on_handshake_error(move |peer, error| {
                let _ = failures_tx.send((peer, error.to_string()));
            })
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let acceptor = server.clone();
        let users = tokio::spawn(async move {
            let socket = acceptor.accept().await.unwrap();
            (
                socket.data::<User>().map(|u| u.0),
                socket.data::<String>().is_none(),
            )
        });

        let error = connect(&url(&server, "/"), ClientOptions::default())
            .await
            .unwrap_err();
        match &error {
            Error::Status {
                status,
                headers,
                body,
                ..
            } => {
                assert_eq!(*status, 401);
                assert_eq!(headers["www-authenticate"], "Bearer realm=\"chat\"");
                assert_eq!(&body[..], b"Log in first");
            }
            other => panic!("{other:?}"),
        }
        let (peer, why) = failures.recv().await.unwrap();
        assert!(peer.ip().is_loopback());
        assert!(why.contains("Log in first"), "{why}");

        let options = ClientOptions::default().header("Authorization", "Bearer 7");
        let _client = connect(&url(&server, "/"), options).await.unwrap();
        assert_eq!(users.await.unwrap(), (Some(7), true));
    })
    .await;
}

#[tokio::test]
async fn split_server_sockets_stay_under_graceful_shutdown() {
    within(async {
        let server = WebSocketServer::builder()
            .bind("127.0.0.1:0")
            .await
            .unwrap();
        let acceptor = server.clone();
        let halves = tokio::spawn(async move {
            let socket = acceptor.accept().await.unwrap();
            let (mut read, mut write) = socket.split();
            // A broadcast-style writer and a reader in tasks of their own.
            let writer = tokio::spawn(async move {
                write.send("hello").await.unwrap();
                write
            });
            let reader = tokio::spawn(async move {
                while read.next().await.is_some() {}
                read.close_event()
            });
            (writer.await.unwrap(), reader.await.unwrap())
        });
        let mut client = client(&url(&server, "/")).await;
        assert_eq!(client.next().await.unwrap().unwrap().as_bytes(), b"hello");
        let client_side = tokio::spawn(async move {
            while client.next().await.is_some() {}
            client.close_event().cloned()
        });
        // Wait until the server counts the split connection.
        while server.clients() != 1 {
            tokio::task::yield_now().await;
        }
        let remaining = server.shutdown(Duration::from_secs(5)).await;
        assert_eq!(remaining, 0, "the halves closed and left the count");
        let (mut write, closed) = halves.await.unwrap();
        assert_eq!(closed.map(|c| c.code.as_u16()), Some(1001));
        assert!(matches!(write.send("late").await, Err(Error::Closed)));
        let seen = client_side.await.unwrap().unwrap();
        assert_eq!((seen.code.as_u16(), seen.clean), (1001, true));
    })
    .await;
}
