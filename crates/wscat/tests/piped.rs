//! wscat driven as a script drives it: stdin piped, stdout and stderr
//! read, against servers made in-process with wsdriver-tokio.

mod support;

use futures_util::StreamExt;
use std::time::{Duration, Instant};
use support::{closed_port, echo_server, run_piped, text, wscat};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wsdriver_tokio::{Message, ServerOptions, WebSocketServer};

/// Each line is a message; the echoes come back raw, one per line, with
/// no prompt or colour; stdin's end closes with 1000 and exits 0.
#[tokio::test]
async fn lines_in_messages_out_then_a_clean_close_when_stdin_ends() {
    let (url, seen, _server) = echo_server().await;
    // No scheme: ws:// is added.
    let address = url.trim_start_matches("ws://").to_owned();
    let output = run_piped(&["-c", &address, "-w", "1"], "hello\nwörld\n").await;
    assert_eq!(text(&output.stdout), "hello\nwörld\n");
    assert_eq!(text(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        *seen.messages.lock().unwrap(),
        [Message::from("hello"), Message::from("wörld")]
    );
    assert_eq!(*seen.closes.lock().unwrap(), [(1000, String::new())]);
}

/// -x sends each command once connected, then closes after -w seconds;
/// stdin is not read.
#[tokio::test]
async fn execute_sends_then_closes_after_the_wait() {
    let (url, seen, _server) = echo_server().await;
    let started = Instant::now();
    let output = run_piped(
        &["-c", &url, "-x", "first", "-x", "second", "-w", "0.6"],
        "ignored\n",
    )
    .await;
    let took = started.elapsed();
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    assert_eq!(text(&output.stdout), "first\nsecond\n");
    assert_eq!(
        *seen.messages.lock().unwrap(),
        [Message::from("first"), Message::from("second")]
    );
    assert_eq!(*seen.closes.lock().unwrap(), [(1000, String::new())]);
    assert!(took >= Duration::from_millis(600), "closed after {took:?}");
}

/// --binary sends lines as binary messages and shows binary as hex.
#[tokio::test]
async fn binary_lines_go_out_as_binary_and_come_back_as_hex() {
    let (url, seen, _server) = echo_server().await;
    let output = run_piped(&["-c", &url, "--binary", "-w", "0.5"], "AB\n").await;
    assert_eq!(text(&output.stdout), "4142\n");
    assert_eq!(
        *seen.messages.lock().unwrap(),
        [Message::Binary("AB".into())]
    );
}

/// --slash makes /ping a ping; -P shows the server's pong; /close closes
/// with its code and reason.
#[tokio::test]
async fn slash_ping_shows_the_pong_with_show_ping_pong() {
    let (url, seen, _server) = echo_server().await;
    let output = run_piped(
        &["-c", &url, "--slash", "-P", "-w", "0.5"],
        "/ping are you there\n//not a command\n",
    )
    .await;
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains("Received pong (data: \"are you there\")"),
        "{stdout:?}"
    );
    // A line starting with // is a message starting with /.
    assert_eq!(
        *seen.messages.lock().unwrap(),
        [Message::from("/not a command")]
    );

    // /close at once, long before the wait is over; wscat asked for the
    // close, so it exits 0 whatever the code.
    let started = Instant::now();
    let output = run_piped(&["-c", &url, "--slash", "-w", "10"], "/close 4000 done\n").await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let closes = seen.closes.lock().unwrap().clone();
    assert!(closes.contains(&(4000, "done".to_owned())), "{closes:?}");
}

/// A refused connection: Node's words and exit status 1.
#[tokio::test]
async fn a_refused_connection_exits_1_with_econnrefused() {
    let port = closed_port();
    let output = run_piped(&["-c", &format!("ws://127.0.0.1:{port}")], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        format!("error: connect ECONNREFUSED 127.0.0.1:{port}\n")
    );
    assert_eq!(text(&output.stdout), "");
}

/// A server that answers 404: `Unexpected server response: 404`, 1.
#[tokio::test]
async fn a_404_exits_1_with_the_status() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut head = vec![0; 4096];
        let _ = socket.read(&mut head).await;
        let body = "not here\n";
        let answer = format!(
            "HTTP/1.1 404 Not Found\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
    });
    let output = run_piped(&["-c", &format!("127.0.0.1:{port}/missing")], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "error: Unexpected server response: 404\n"
    );
}

/// A server that closes with 1011: exit 1, the code and reason on stderr.
#[tokio::test]
async fn a_server_closing_with_1011_exits_1_with_the_code_and_reason() {
    let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let acceptor = server.clone();
    tokio::spawn(async move {
        let mut socket = acceptor.accept().await.unwrap();
        socket.send("about to fail").await.unwrap();
        socket.close(1011, "internal trouble").await.unwrap();
    });
    let output = run_piped(&["-c", &url, "-w", "-1"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "about to fail\n");
    let stderr = text(&output.stderr);
    assert!(stderr.starts_with("error: "), "{stderr:?}");
    assert!(
        stderr.contains("code: 1011") && stderr.contains("internal trouble"),
        "{stderr:?}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
}

/// A server that hangs up without a close frame: 1006, and why (issue
/// 25: the line said 1006 and nothing more, however the connection had
/// ended).
#[tokio::test]
async fn a_server_that_hangs_up_exits_1_saying_the_connection_was_dropped() {
    let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let acceptor = server.clone();
    tokio::spawn(async move {
        let mut socket = acceptor.accept().await.unwrap();
        socket.send("bye, abruptly").await.unwrap();
        socket.terminate().await;
    });
    let output = run_piped(&["-c", &url, "-w", "-1"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(text(&output.stdout), "bye, abruptly\n");
    assert_eq!(
        text(&output.stderr),
        "error: Disconnected (code: 1006, reason: \"\"): the connection was dropped\n"
    );
}

/// Bad usage is exit status 2, with clap's explanation.
#[tokio::test]
async fn bad_usage_exits_2() {
    let output = run_piped(&["-c", "ws://a", "-l", "1"], "").await;
    assert_eq!(output.status.code(), Some(2));
    assert!(text(&output.stderr).contains("cannot be used with"));
    let output = run_piped(&["-c", "ws://a", "-p", "7"], "").await;
    assert_eq!(output.status.code(), Some(2));
}

/// The handshake carries what the flags say: headers, Basic auth, Host,
/// Origin, the subprotocols offered (and the one agreed), version 8.
#[tokio::test]
async fn headers_auth_host_origin_and_subprotocols_reach_the_server() {
    let server = WebSocketServer::builder()
        .server_options(
            ServerOptions::default()
                .protocols(["superchat"])
                .allow_drafts(true),
        )
        .bind("127.0.0.1:0")
        .await
        .unwrap();
    let url = format!("ws://{}/path?q=1", server.local_addr());
    let acceptor = server.clone();
    let handshake = tokio::spawn(async move {
        let mut socket = acceptor.accept().await.unwrap();
        let request = socket.request().clone();
        let protocol = socket.websocket().protocol().map(str::to_owned);
        while socket.next().await.is_some() {}
        (request, protocol)
    });
    let output = run_piped(
        &[
            "-c",
            &url,
            "-H",
            "X-Custom: one",
            "-H",
            "X-Other:two",
            "--auth",
            "user:pa:ss",
            "--host",
            "example.test",
            "-o",
            "https://origin.test",
            "-s",
            "chat",
            "-s",
            "superchat",
            "-p",
            "8",
            "-w",
            "0",
        ],
        "",
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let (request, protocol) = tokio::time::timeout(support::LIMIT, handshake)
        .await
        .unwrap()
        .unwrap();
    let header = |name: &str| {
        request
            .headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    assert_eq!(request.uri.to_string(), "/path?q=1");
    assert_eq!(header("x-custom").as_deref(), Some("one"));
    assert_eq!(header("x-other").as_deref(), Some("two"));
    // base64("user:pa:ss")
    assert_eq!(
        header("authorization").as_deref(),
        Some("Basic dXNlcjpwYTpzcw==")
    );
    assert_eq!(header("host").as_deref(), Some("example.test"));
    assert_eq!(header("sec-websocket-version").as_deref(), Some("8"));
    // Draft 8 names the origin Sec-WebSocket-Origin.
    assert_eq!(
        header("sec-websocket-origin").as_deref(),
        Some("https://origin.test")
    );
    assert_eq!(
        header("sec-websocket-protocol").as_deref(),
        Some("chat, superchat")
    );
    assert_eq!(protocol.as_deref(), Some("superchat"));
}

/// -l serves several clients at once: each line goes to all of them, and
/// --echo answers each client alone.
#[tokio::test(flavor = "multi_thread")]
async fn listen_sends_each_line_to_every_client() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    let (mut server, port) =
        support::listening(wscat().stdin(Stdio::piped()).stdout(Stdio::piped()));
    let url = format!("ws://127.0.0.1:{port}/");
    let opts = wsdriver_tokio::ClientOptions::default;
    let mut one = wsdriver_tokio::connect(url.as_str(), opts()).await.unwrap();
    let mut two = wsdriver_tokio::connect(url.as_str(), opts()).await.unwrap();
    one.send("from one").await.unwrap();
    // The server prints what clients send, raw.
    let mut stdout = BufReader::new(server.0.stdout.take().unwrap());
    let mut printed = String::new();
    tokio::task::block_in_place(|| stdout.read_line(&mut printed)).unwrap();
    assert_eq!(printed, "from one\n");
    // Wait until the server has both clients, then type a line.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut stdin = server.0.stdin.take().unwrap();
    stdin.write_all(b"to everyone\n").unwrap();
    stdin.flush().unwrap();
    for client in [&mut one, &mut two] {
        let message = tokio::time::timeout(support::LIMIT, client.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(message, Message::from("to everyone"));
    }
    one.close(1000, "").await.unwrap();
    two.close(1000, "").await.unwrap();
    drop(server);
}

/// --sse prints each event's data raw, one per line; it reconnects after
/// the server's retry (at least 250 ms) with the last event ID, saying so
/// on stderr, and a 204 ends it with 0.
#[tokio::test]
async fn sse_prints_events_reconnects_with_the_last_id_and_stops_at_204() {
    use wsdriver_tokio::{accept_event_stream, EventStreamOptions, ServerOptions};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/feed", listener.local_addr().unwrap());
    let server = tokio::spawn(async move {
        let options = EventStreamOptions::default().retry(Duration::from_millis(50));
        let mut last_ids = Vec::new();
        for round in 0..2 {
            let (stream, _) = listener.accept().await.unwrap();
            let events = accept_event_stream(stream, ServerOptions::default(), options.clone())
                .await
                .unwrap();
            last_ids.push(events.last_event_id().map(str::to_owned));
            let id = (round + 1).to_string();
            events
                .send_event(Some("tick"), &format!("event {id}"), Some(&id))
                .await
                .unwrap();
            // Dropped: the stream ends, and the client comes back.
        }
        let (mut stream, _) = listener.accept().await.unwrap();
        let mut request = [0; 1024];
        let _ = stream.read(&mut request).await.unwrap();
        stream
            .write_all(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")
            .await
            .unwrap();
        last_ids
    });
    let output = run_piped(&["--sse", &url], "").await;
    assert_eq!(text(&output.stdout), "event 1\nevent 2\n");
    // Each reconnection is said on stderr, with why (the server's 50 ms
    // retry is raised to the floor).
    assert_eq!(
        text(&output.stderr),
        "Reconnecting in 250 ms: the server ended the stream\n".repeat(2)
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(server.await.unwrap(), [None, Some("1".to_owned())]);
}

/// A server that takes the connection and never answers: --timeout ends
/// the handshake with one line and exit 1.
#[tokio::test]
async fn timeout_bounds_a_handshake_that_never_completes() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let (socket, _) = listener.accept().await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
        drop(socket);
    });
    let started = Instant::now();
    let url = format!("ws://127.0.0.1:{port}");
    let output = run_piped(&["-c", &url, "--timeout", "0.5"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "error: Opening handshake has timed out\n"
    );
    assert!(started.elapsed() >= Duration::from_millis(500));
    assert!(started.elapsed() < Duration::from_secs(10));
    held.abort();
}

/// -L follows a redirect to where the WebSocket is; without it the
/// redirect is the answer (exit 1).
#[tokio::test]
async fn location_follows_a_redirect() {
    let (target, seen, _server) = echo_server().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut head = vec![0; 4096];
            let _ = socket.read(&mut head).await;
            let answer =
                format!("HTTP/1.1 302 Found\r\nLocation: {target}\r\nContent-Length: 0\r\n\r\n");
            socket.write_all(answer.as_bytes()).await.unwrap();
        }
    });
    let url = format!("ws://127.0.0.1:{port}/old");
    let output = run_piped(&["-c", &url, "-L", "-x", "moved", "-w", "0.3"], "").await;
    assert_eq!(text(&output.stderr), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(text(&output.stdout), "moved\n");
    assert_eq!(*seen.messages.lock().unwrap(), [Message::from("moved")]);

    let output = run_piped(&["-c", &url, "-x", "stays"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "error: Unexpected server response: 302\n"
    );
}

/// One Authorization header, not two, when -H gives one and --auth
/// another: --auth's, as Node wscat sends; a name given twice with -H
/// keeps its last value.
#[tokio::test]
async fn auth_replaces_an_authorization_header_and_a_later_header_an_earlier() {
    let server = WebSocketServer::bind("127.0.0.1:0").await.unwrap();
    let url = format!("ws://{}/", server.local_addr());
    let acceptor = server.clone();
    let handshake = tokio::spawn(async move {
        let mut socket = acceptor.accept().await.unwrap();
        let request = socket.request().clone();
        while socket.next().await.is_some() {}
        request
    });
    let output = run_piped(
        &[
            "-c",
            &url,
            "-H",
            "Authorization: Bearer token",
            "--auth",
            "user:pw",
            "-H",
            "X-Twice: one",
            "-H",
            "x-twice: two",
            "-w",
            "0",
        ],
        "",
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
    let request = tokio::time::timeout(support::LIMIT, handshake)
        .await
        .unwrap()
        .unwrap();
    let all = |name: &str| -> Vec<String> {
        request
            .headers
            .get_all(name)
            .iter()
            .map(|value| value.to_str().unwrap().to_owned())
            .collect()
    };
    // base64("user:pw")
    assert_eq!(all("authorization"), ["Basic dXNlcjpwdw=="]);
    assert_eq!(all("x-twice"), ["two"]);
}

/// A scheme wscat cannot connect with: the message names every one it
/// can (http and https included), and exit status 1.
#[tokio::test]
async fn a_bad_scheme_says_which_are_accepted() {
    let output = run_piped(&["-c", "ftp://example.com/"], "").await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "error: Invalid URL: ftp://example.com/: \
         the scheme must be ws, wss, http, https or ws+unix\n"
    );
}
