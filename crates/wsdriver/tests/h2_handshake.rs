//! RFC 8441: the server's handshake for a WebSocket opened as one stream of
//! an HTTP/2 connection (an extended CONNECT), and the same `Connection`
//! after it.

use std::time::Instant;
use wsdriver::http_types::{Method, Request, Version as HttpVersion};
use wsdriver::{
    is_websocket, ConnectProtocol, Error, Event, Machine, Message, Options, ServerEvent,
    ServerHandshake, Version,
};

/// An extended CONNECT as an HTTP/2 layer hands it over: `:protocol` in
/// the extensions, `:scheme` and `:authority` in the URI.
fn connect(protocol: Option<&str>, headers: &[(&str, &str)]) -> Request<()> {
    let mut builder = Request::builder()
        .method(Method::CONNECT)
        .uri("https://example.com/chat?room=1")
        .version(HttpVersion::HTTP_2);
    for (name, value) in headers {
        builder = builder.header(*name, *value);
    }
    if let Some(protocol) = protocol {
        builder = builder.extension(ConnectProtocol(protocol.to_owned()));
    }
    builder.body(()).unwrap()
}

fn answer(request: &Request<()>, options: Options) -> Result<(u16, Vec<(String, String)>), Error> {
    let mut handshake = ServerHandshake::for_request(request, options, Instant::now()).unwrap();
    let head = handshake.accept_head()?;
    let headers = head
        .headers()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    Ok((head.status(), headers))
}

fn refused_with(request: &Request<()>) -> u16 {
    match answer(request, Options::default()) {
        Err(Error::BadRequest { status, .. }) => status,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn an_extended_connect_is_answered_200_with_what_was_agreed() {
    let request = connect(
        Some("websocket"),
        &[
            ("sec-websocket-version", "13"),
            ("sec-websocket-protocol", "chat, superchat"),
            ("origin", "https://example.com"),
        ],
    );
    assert!(is_websocket(&request));
    let (status, headers) = answer(&request, Options::default().protocols(["superchat"])).unwrap();
    assert_eq!(status, 200);
    assert!(headers.contains(&("sec-websocket-protocol".into(), "superchat".into())));
    // Nothing HTTP/2 forbids or RFC 8441 drops.
    for gone in ["upgrade", "connection", "sec-websocket-accept"] {
        assert!(
            headers.iter().all(|(n, _)| n != gone),
            "{gone} in {headers:?}"
        );
    }
}

#[test]
fn the_stream_then_carries_masked_frames_as_a_connection() {
    let now = Instant::now();
    let request = connect(Some("websocket"), &[("sec-websocket-version", "13")]);
    let mut handshake = ServerHandshake::for_request(&request, Options::default(), now).unwrap();
    assert_eq!(handshake.accept_head().unwrap().status(), 200);
    assert_eq!(handshake.poll_event(), Some(ServerEvent::Open));
    assert_eq!(
        handshake.url().map(|u| u.as_str()),
        Some("wss://example.com/chat?room=1")
    );
    let mut connection = handshake.into_connection(now).unwrap();
    assert_eq!(connection.version(), Version::Hybi13);
    // A client's masked "hi", then an unmasked one (a protocol error, as
    // over HTTP/1.1: the stream changes nothing about framing).
    let mask = [1, 2, 3, 4];
    let masked: Vec<u8> = b"hi"
        .iter()
        .zip(mask.iter().cycle())
        .map(|(b, m)| b ^ m)
        .collect();
    let mut frame = vec![0x81, 0x82];
    frame.extend(mask);
    frame.extend(masked);
    connection.input_buffer().extend_from_slice(&frame);
    connection.received(now);
    assert_eq!(
        connection.poll_event(),
        Some(Event::Message(Message::from("hi")))
    );
    connection
        .input_buffer()
        .extend_from_slice(&[0x81, 0x02, b'h', b'i']);
    connection.received(now);
    assert!(matches!(
        connection.poll_event(),
        Some(Event::Close(close)) if close.code == 1002
    ));
}

#[test]
fn a_connect_without_protocol_is_not_a_websocket() {
    let request = connect(None, &[("sec-websocket-version", "13")]);
    assert!(!is_websocket(&request));
    assert_eq!(refused_with(&request), 405);
}

#[test]
fn another_protocol_is_refused() {
    let request = connect(Some("connect-udp"), &[("sec-websocket-version", "13")]);
    assert!(!is_websocket(&request));
    assert_eq!(refused_with(&request), 400);
}

#[test]
fn only_version_13_and_only_over_http2() {
    for version in ["8", "12", "13, 8"] {
        let request = connect(Some("websocket"), &[("sec-websocket-version", version)]);
        assert_eq!(refused_with(&request), 400, "{version}");
    }
    assert_eq!(refused_with(&connect(Some("websocket"), &[])), 400);
    // `:protocol` on an HTTP/1.1 request, or on a GET, is malformed.
    let mut over_h1 = connect(Some("websocket"), &[("sec-websocket-version", "13")]);
    *over_h1.version_mut() = HttpVersion::HTTP_11;
    assert_eq!(refused_with(&over_h1), 400);
    let mut a_get = connect(Some("websocket"), &[("sec-websocket-version", "13")]);
    *a_get.method_mut() = Method::GET;
    assert_eq!(refused_with(&a_get), 400);
}

/// The head a server's answer becomes on the client's HTTP/2 side.
fn header_map(headers: &[(String, String)]) -> wsdriver::http_types::HeaderMap {
    headers
        .iter()
        .map(|(n, v)| (n.parse().unwrap(), v.parse().unwrap()))
        .collect()
}

#[test]
fn a_client_opens_over_an_extended_connect_and_talks_to_the_server() {
    use wsdriver::{ClientEvent, ClientHandshake};
    let now = Instant::now();
    let options = Options::default().protocols(["chat"]);
    let mut client =
        ClientHandshake::new("wss://user:pw@example.com:8443/chat?x=1", options).unwrap();
    let request = client.extended_connect(now).unwrap();
    assert_eq!(request.method(), Method::CONNECT);
    assert_eq!(request.version(), HttpVersion::HTTP_2);
    assert_eq!(request.uri(), "https://example.com:8443/chat?x=1");
    assert_eq!(
        request.extensions().get::<ConnectProtocol>(),
        Some(&ConnectProtocol("websocket".into()))
    );
    let headers = request.headers();
    assert_eq!(headers["sec-websocket-version"], "13");
    assert_eq!(headers["sec-websocket-protocol"], "chat");
    assert!(headers["authorization"]
        .to_str()
        .unwrap()
        .starts_with("Basic "));
    for gone in ["upgrade", "connection", "sec-websocket-key", "host"] {
        assert!(!headers.contains_key(gone), "{gone}");
    }
    // Started once.
    assert!(matches!(client.extended_connect(now), Err(Error::Closed)));
    // The stream's bytes are not read as an HTTP/1.1 answer.
    client
        .input_buffer()
        .extend_from_slice(b"HTTP/1.1 101 Switching Protocols\r\n\r\n");
    assert_eq!(client.poll_event(), None);
    client.input_buffer().clear();

    let mut server =
        ServerHandshake::for_request(&request, Options::default().protocols(["chat"]), now)
            .unwrap();
    let head = server.accept_head().unwrap();
    let answer: Vec<(String, String)> = head
        .headers()
        .map(|(n, v)| (n.to_ascii_lowercase(), v.to_owned()))
        .collect();
    client.extended_connect_response(head.status(), header_map(&answer));
    assert_eq!(client.poll_event(), Some(ClientEvent::Open));
    assert_eq!(client.protocol(), Some("chat"));
    assert_eq!(server.poll_event(), Some(ServerEvent::Open));
    let mut client = client.into_connection(now).unwrap();
    let mut server = server.into_connection(now).unwrap();
    client.text("over h2").unwrap();
    server
        .input_buffer()
        .extend_from_slice(&client.take_output());
    server.received(now);
    assert_eq!(
        server.poll_event(),
        Some(Event::Message(Message::from("over h2")))
    );
    server.binary(&[1, 2, 3]).unwrap();
    client
        .input_buffer()
        .extend_from_slice(&server.take_output());
    client.received(now);
    assert!(
        matches!(client.poll_event(), Some(Event::Message(Message::Binary(b))) if b[..] == [1, 2, 3])
    );
}

#[test]
fn a_client_fails_on_a_refusal_or_a_protocol_it_did_not_offer() {
    use wsdriver::{ClientEvent, ClientHandshake, HandshakeError};
    let now = Instant::now();
    let mut client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    let request = client.extended_connect(now).unwrap();
    assert_eq!(request.uri(), "http://example.com/");
    client.extended_connect_response(400, Default::default());
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Failed(Error::Handshake(
            HandshakeError::UnexpectedStatus(400)
        )))
    );

    let mut client = ClientHandshake::new("ws://example.com/", Options::default()).unwrap();
    client.extended_connect(now).unwrap();
    let answer = header_map(&[("sec-websocket-protocol".into(), "chat".into())]);
    client.extended_connect_response(200, answer);
    assert_eq!(
        client.poll_event(),
        Some(ClientEvent::Failed(Error::Handshake(
            HandshakeError::ProtocolMismatch
        )))
    );

    // Draft 8 predates HTTP/2.
    let options = Options::default().protocol_version(8);
    let mut client = ClientHandshake::new("ws://example.com/", options).unwrap();
    assert!(matches!(
        client.extended_connect(now),
        Err(Error::Unsupported(_))
    ));
}
