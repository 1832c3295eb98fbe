//! Servers that run out of file descriptors keep serving: a child process
//! (this test binary again, with its limit lowered to 64 by `ulimit`, i.e.
//! setrlimit) runs a `WebSocketServer` and an `accept_tcp` loop; this
//! process opens more connections than the child has descriptors, then
//! lets them go, and both servers must still answer a WebSocket client.

use futures_util::StreamExt;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;
use wsdriver_tokio::{accept, accept_tcp, connect, ClientOptions, Message, ServerOptions};

const CHILD: &str = "WSDRIVER_FD_CHILD";

/// The child's side: two echo servers, their ports on stdout, and a line
/// for each accept error.
#[tokio::test]
#[ignore = "run by out_of_file_descriptors_servers_keep_serving in a child process"]
async fn child_servers() {
    assert!(std::env::var_os(CHILD).is_some(), "run only as the child");
    let server = wsdriver_tokio::WebSocketServer::bind("127.0.0.1:0")
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!(
        "ports {} {}",
        server.local_addr().port(),
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move {
        while let Some(mut socket) = server.accept().await {
            tokio::spawn(async move {
                while let Some(Ok(message)) = socket.next().await {
                    let _ = socket.send(message).await;
                }
            });
        }
    });
    loop {
        let (stream, _) = accept_tcp(&listener, |e| println!("accept error: {e}")).await;
        tokio::spawn(async move {
            if let Ok(mut socket) = accept(stream, ServerOptions::default()).await {
                while let Some(Ok(message)) = socket.next().await {
                    let _ = socket.send(message).await;
                }
            }
        });
    }
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn echo_once(port: u16) {
    let url = format!("ws://127.0.0.1:{port}/");
    let mut socket = tokio::time::timeout(
        Duration::from_secs(10),
        connect(&url, ClientOptions::default()),
    )
    .await
    .expect("the server answers")
    .expect("the handshake succeeds");
    socket.send("still here").await.unwrap();
    let echo = socket.next().await.unwrap().unwrap();
    assert_eq!(echo, Message::from("still here"));
    socket.close(1000, "").await.unwrap();
}

#[tokio::test]
async fn out_of_file_descriptors_servers_keep_serving() {
    let exe = std::env::current_exe().unwrap();
    let child = Command::new("sh")
        .arg("-c")
        .arg(r#"ulimit -n 64 && exec "$0" --exact child_servers --ignored --nocapture --test-threads 1"#)
        .arg(exe)
        .env(CHILD, "1")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(child);
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    let stdout = child.0.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    let ports = loop {
        let line = tokio::time::timeout(Duration::from_secs(30), lines.recv())
            .await
            .expect("the child starts")
            .expect("the child prints its ports");
        // libtest prints `test child_servers ... ` before it.
        if let Some((_, ports)) = line.split_once("ports ") {
            let ports: Vec<u16> = ports.split(' ').map(|p| p.parse().unwrap()).collect();
            break ports;
        }
    };

    // 100 connections to each server: more than the child can hold (64
    // descriptors in all), fewer than a listen backlog queues.
    let mut held = Vec::new();
    for port in &ports {
        for _ in 0..100 {
            held.push(
                tokio::net::TcpStream::connect(("127.0.0.1", *port))
                    .await
                    .unwrap(),
            );
        }
    }
    let error = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match lines.recv().await {
                Some(line) if line.contains("accept error") => break line,
                Some(_) => {}
                None => panic!("the child ended"),
            }
        }
    })
    .await
    .expect("the child ran out of descriptors");
    assert!(error.contains("Too many open files"), "{error}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(child.0.try_wait().unwrap().is_none(), "a server exited");

    drop(held);
    for port in ports {
        echo_once(port).await;
    }
    assert!(child.0.try_wait().unwrap().is_none(), "a server exited");
}
