//! `WebSocketServer::shutdown` reaches a socket however the application
//! uses it (issue 25: only `ServerSocket`'s `Stream` and `Sink` looked
//! for it, so a socket read with `next_incoming()`, as wscat's server
//! reads, stayed open and its client heard nothing).

mod server_support;

use futures_util::StreamExt;
use server_support::*;
use std::time::Duration;
use tokio::task::JoinHandle;
use wsdriver_tokio::{CloseCause, ServerSocket, WebSocketServer};

/// How the application holds a socket, in a task of its own; each keeps
/// what it must keep alive until the test ends.
#[derive(Debug, Clone, Copy)]
enum Use {
    /// `while let Some(_) = socket.next().await`
    Stream,
    /// `socket.websocket_mut().next_incoming()`, pings and pongs too.
    NextIncoming,
    /// Split; the read half is read, the write half kept.
    SplitReading,
    /// Split; only the write half is used, now and then.
    SplitWritingOnly,
    /// The whole socket, only written to, now and then.
    WritingOnly,
    /// The whole socket, only pinged, now and then.
    PingingOnly,
}

const USES: [Use; 6] = [
    Use::Stream,
    Use::NextIncoming,
    Use::SplitReading,
    Use::SplitWritingOnly,
    Use::WritingOnly,
    Use::PingingOnly,
];

/// Each reading holder returns its close event's cause.
fn hold(socket: ServerSocket, way: Use) -> JoinHandle<Option<CloseCause>> {
    tokio::spawn(async move {
        match way {
            Use::Stream => {
                let mut socket = socket;
                while socket.next().await.is_some() {}
                socket.websocket().close_event().map(|close| close.cause)
            }
            Use::NextIncoming => {
                let mut socket = socket;
                while socket.websocket_mut().next_incoming().await.is_some() {}
                socket.websocket().close_event().map(|close| close.cause)
            }
            Use::SplitReading => {
                let (mut read, _write) = socket.split();
                while read.next().await.is_some() {}
                read.close_event().map(|close| close.cause)
            }
            Use::SplitWritingOnly => {
                let (_read, mut write) = socket.split();
                while write.send("tick").await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // Keep both halves until the test ends.
                std::future::pending().await
            }
            Use::WritingOnly => {
                let mut socket = socket;
                while socket.send("tick").await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                std::future::pending().await
            }
            Use::PingingOnly => {
                let mut socket = socket;
                while socket.websocket_mut().ping(b"").await.is_ok() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                std::future::pending().await
            }
        }
    })
}

#[tokio::test]
async fn shutdown_closes_every_socket_with_1001_however_it_is_used() {
    within(async {
        let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
        let mut clients = Vec::new();
        let mut holders = Vec::new();
        for way in USES {
            let client = client(&url(&server, "/")).await;
            let socket = server.accept().await.unwrap();
            holders.push(hold(socket, way));
            clients.push((
                way,
                tokio::spawn(async move {
                    let mut client = client;
                    while client.next().await.is_some() {}
                    client.close_event().cloned()
                }),
            ));
        }
        assert_eq!(server.clients(), USES.len());
        // Every holder is waiting inside its socket, or between sends.
        tokio::time::sleep(Duration::from_millis(100)).await;

        let shutting = {
            let server = server.clone();
            tokio::spawn(async move { server.shutdown(Duration::from_secs(3)).await })
        };
        for (way, seen) in clients {
            let seen = tokio::time::timeout(Duration::from_millis(1500), seen)
                .await
                .unwrap_or_else(|_| panic!("{way:?}: the client heard nothing in 1.5 s"))
                .unwrap();
            let seen = seen.unwrap_or_else(|| panic!("{way:?}: no close event"));
            assert_eq!(seen.code.as_u16(), 1001, "{way:?}: {seen:?}");
            assert_eq!(seen.reason, "Server shutting down", "{way:?}");
            assert_eq!(seen.cause, CloseCause::PeerClosed, "{way:?}");
        }
        // The sockets that are read saw the client's answer and left the
        // count; the three that are only written to hold theirs until
        // they are dropped.
        let remaining = shutting.await.unwrap();
        assert_eq!(remaining, 3);
        // The server's side started these closes; the readers saw them end.
        for (way, holder) in USES.iter().zip(holders) {
            if matches!(way, Use::Stream | Use::NextIncoming | Use::SplitReading) {
                let cause = holder.await.unwrap();
                assert_eq!(cause, Some(CloseCause::LocallyClosed), "{way:?}");
            } else {
                holder.abort();
            }
        }
    })
    .await;
}
