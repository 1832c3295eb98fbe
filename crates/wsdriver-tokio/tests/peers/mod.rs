//! In-process stand-ins for the Node peers of tools/node (ws_server.js,
//! connect_proxy.js), so the client's wss and proxy paths are tested on
//! every `cargo test`, with no Node installed. They answer what the tests
//! look at the way the Node scripts do: the same routes, the same `?info`
//! JSON, the same proxy log lines and refusals. The WebSocket side is this
//! crate's own `accept`, over TCP or a rustls server session.

use bytes::BytesMut;
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;
use wsdriver_tokio::rustls::pki_types::pem::PemObject;
use wsdriver_tokio::rustls::pki_types::{CertificateDer, PrivateKeyDer};
use wsdriver_tokio::rustls::server::WebPkiClientVerifier;
use wsdriver_tokio::rustls::{self, RootCertStore, ServerConfig};
use wsdriver_tokio::{accept, PrefixedStream, ServerOptions};

/// The largest request head either peer reads; the client's are far
/// smaller, so a longer one is a bug worth a failed connection.
const MAX_HEAD: usize = 16 * 1024;

/// A server session for `cert_pem` and `key_pem`; with `client_ca`, one
/// that requires a client certificate that CA signed, as ws_server.js
/// does with `--client-ca` (`requestCert`, `rejectUnauthorized`).
pub fn tls_config(
    cert_pem: &str,
    key_pem: &str,
    client_ca: Option<CertificateDer<'static>>,
) -> Arc<ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = CertificateDer::pem_slice_iter(cert_pem.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).unwrap();
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let config = match client_ca {
        Some(ca) => {
            let mut roots = RootCertStore::empty();
            roots.add(ca).unwrap();
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(config.with_single_cert(chain, key).unwrap())
}

/// A listener on 127.0.0.1 whose accept loop, and every connection it
/// started, ends when this is dropped: a test's peers die with the test.
pub struct Listening {
    pub port: u16,
    task: JoinHandle<()>,
}

impl Drop for Listening {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Accepts on a fresh port and runs `serve` on each connection, after a
/// TLS handshake with `tls` if given, each in a task of its own so one
/// slow client holds up no other.
async fn listen<F, Fut>(tls: Option<Arc<ServerConfig>>, serve: F) -> Listening
where
    F: Fn(Conn) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let acceptor = tls.map(TlsAcceptor::from);
    let serve = Arc::new(serve);
    let task = tokio::spawn(async move {
        // Owned here, so aborting the loop aborts the connections too.
        let mut connections = JoinSet::new();
        loop {
            let (tcp, _) = tokio::select! {
                accepted = listener.accept() => accepted.unwrap(),
                // Reaps finished connections as it goes.
                Some(_) = connections.join_next() => continue,
            };
            let (acceptor, serve) = (acceptor.clone(), serve.clone());
            connections.spawn(async move {
                let conn = match acceptor {
                    None => Conn::Plain(tcp),
                    Some(acceptor) => match acceptor.accept(tcp).await {
                        Ok(tls) => Conn::Tls(Box::new(tls)),
                        // A client that gives up (no CA, no client
                        // certificate) is its own test's business.
                        Err(_) => return,
                    },
                };
                serve(conn).await;
            });
        }
    });
    Listening { port, task }
}

/// An accepted connection, before or after TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<tokio_rustls::server::TlsStream<TcpStream>>),
}

/// The request head as read off the wire, and whatever came after it.
struct Head {
    method: String,
    /// The request target as sent (`/chat?x`, `host:443`).
    target: String,
    /// Names lowercased, repeats joined with `, `, in the order first
    /// seen: Node's `req.headers`.
    headers: Vec<(String, String)>,
    /// Every byte read: the head, then whatever came after it.
    read: BytesMut,
    /// Where the head ends in `read`.
    len: usize,
}

/// Reads up to the blank line that ends the request head; `None` when
/// the client hangs up or sends something that is not one.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S) -> Option<Head> {
    let mut buf = BytesMut::with_capacity(1024);
    let end = loop {
        if let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break at;
        }
        if buf.len() > MAX_HEAD || stream.read_buf(&mut buf).await.ok()? == 0 {
            return None;
        }
    };
    let text = std::str::from_utf8(&buf[..end]).ok()?;
    let mut lines = text.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let mut headers: Vec<(String, String)> = Vec::new();
    for line in lines.filter(|line| !line.is_empty()) {
        let (name, value) = line.split_once(':')?;
        let (name, value) = (name.trim().to_ascii_lowercase(), value.trim());
        match headers.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, joined)) => {
                joined.push_str(", ");
                joined.push_str(value);
            }
            None => headers.push((name, value.to_owned())),
        }
    }
    Some(Head {
        method,
        target,
        headers,
        len: end + 4,
        read: buf,
    })
}

impl Head {
    /// What the client sent after the head.
    fn rest(&self) -> &[u8] {
        &self.read[self.len..]
    }

    /// The headers as a JSON object.
    fn headers_json(&self) -> String {
        let members: Vec<String> = self
            .headers
            .iter()
            .map(|(name, value)| format!("{}:{}", json(name), json(value)))
            .collect();
        format!("{{{}}}", members.join(","))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(seen, _)| seen == name)
            .map(|(_, value)| value.as_str())
    }
}

// ------------------------------------------------------------- ws server

/// The echo server of tools/node/ws_server.js, `--protocols` as
/// `protocols`; wss with `tls` (see [`tls_config`] for `--client-ca`).
///
/// Paths answered with plain HTTP instead of a handshake: `/status/NNN`,
/// `/redirect/N` (N > 0: to `./N-1` with the same query, the status from
/// `?code=`, 302 by default), `/loop` (302 to itself), `/to?url=U` (302 to
/// U). Any other path is accepted; with `info` in its query the first
/// message is the request as JSON (`url`, `headers`, `protocol`,
/// `clientCert`, the certificate's common name), then every message
/// comes back as it went.
pub async fn ws_server(protocols: &[&str], tls: Option<Arc<ServerConfig>>) -> Listening {
    let options = ServerOptions::default()
        .protocols(protocols.iter().copied())
        // ws_server.js takes up to 64 MiB.
        .max_length(64 * 1024 * 1024);
    listen(tls, move |conn| {
        let options = options.clone();
        async move {
            match conn {
                Conn::Plain(tcp) => serve_ws(tcp, None, options).await,
                Conn::Tls(tls) => {
                    let client_cert = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|chain| chain.first())
                        .and_then(|cert| common_name(cert));
                    serve_ws(*tls, client_cert, options).await
                }
            }
        }
    })
    .await
}

async fn serve_ws<S>(mut stream: S, client_cert: Option<String>, options: ServerOptions)
where
    S: AsyncRead + AsyncWrite + Unpin + 'static,
{
    let Some(head) = read_head(&mut stream).await else {
        return;
    };
    let url = url::Url::parse(&format!("http://placeholder{}", head.target)).unwrap();
    let query = |name: &str| {
        url.query_pairs()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.into_owned())
    };
    let path = url.path();
    let hops = path
        .strip_prefix("/redirect/")
        .and_then(|n| n.parse::<u32>().ok());
    let answer = if let Some(status) = path
        .strip_prefix("/status/")
        .filter(|code| code.len() == 3)
        .and_then(|code| code.parse().ok())
    {
        Some((status, None))
    } else if let Some(hops) = hops.filter(|&hops| hops > 0) {
        let status = query("code").map_or(302, |code| code.parse().unwrap());
        let search = url.query().map_or(String::new(), |q| format!("?{q}"));
        Some((status, Some(format!("./{}{search}", hops - 1))))
    } else if path == "/loop" {
        Some((302, Some("/loop".to_owned())))
    } else if path == "/to" {
        Some((302, query("url")))
    } else {
        None
    };
    if let Some((status, location)) = answer {
        let _ = answer_http(&mut stream, status, location.as_deref()).await;
        return;
    }

    let info = query("info").map(|_| (json(&head.target), head.headers_json()));
    // The handshake is read again, by the crate's own server.
    let stream = PrefixedStream::new(head.read, stream);
    let accepted = accept(stream, options).await;
    let Ok(mut ws) = accepted else { return };
    if let Some((url, headers)) = info {
        let client_cert = client_cert.as_deref().map_or("null".to_owned(), json);
        let info = format!(
            r#"{{"url":{url},"headers":{headers},"protocol":{},"clientCert":{client_cert}}}"#,
            json(ws.protocol().unwrap_or("")),
        );
        if ws.send(info.as_str()).await.is_err() {
            return;
        }
    }
    while let Some(Ok(message)) = ws.next().await {
        if ws.send(message).await.is_err() {
            break;
        }
    }
    // Drain to the end, so the close handshake completes.
    while ws.next().await.is_some() {}
}

/// ws_server.js's `answer`: the status, `location` if any, a short text
/// body, and the connection closed.
async fn answer_http<S: AsyncWrite + Unpin>(
    stream: &mut S,
    status: u16,
    location: Option<&str>,
) -> std::io::Result<()> {
    let body = format!("answered {status}\n");
    let mut response = format!("HTTP/1.1 {status} Status\r\n");
    if let Some(location) = location {
        response.push_str(&format!("Location: {location}\r\n"));
    }
    response.push_str(&format!(
        "Content-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    ));
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}

/// The subject's common name in a DER certificate, or `None` when it has
/// none in a form read here (a short UTF8String or PrintableString).
///
/// A scan rather than an X.509 parser, for one dependency less: the
/// subject comes after the issuer in a certificate and no extension rcgen
/// writes holds a CN attribute, so the last one is the subject's.
fn common_name(der: &[u8]) -> Option<String> {
    // OID 2.5.4.3 (id-at-commonName), DER-encoded.
    const CN: [u8; 5] = [0x06, 0x03, 0x55, 0x04, 0x03];
    let at = der.windows(CN.len()).rposition(|w| w == CN)? + CN.len();
    let [tag, len, value @ ..] = der.get(at..)? else {
        return None;
    };
    if !matches!(tag, 0x0c | 0x13) || *len >= 0x80 {
        return None;
    }
    String::from_utf8(value.get(..usize::from(*len))?.to_vec()).ok()
}

// ---------------------------------------------------------------- proxy

/// The CONNECT proxy of tools/node/connect_proxy.js: with `auth`
/// (`user:password`) it wants exactly that as Basic `Proxy-Authorization`
/// and answers anything else with 407; with `tls` it is an https: proxy.
/// Every CONNECT is logged before the check, as a JSON line `{url,
/// headers}` read with [`Proxy::next_line`].
pub async fn connect_proxy(auth: Option<&str>, tls: Option<Arc<ServerConfig>>) -> Proxy {
    let expected = auth.map(|auth| format!("Basic {}", base64(auth.as_bytes())));
    let (log, lines) = mpsc::unbounded_channel();
    let listening = listen(tls, move |conn| {
        let (expected, log) = (expected.clone(), log.clone());
        async move {
            match conn {
                Conn::Plain(tcp) => tunnel(tcp, expected, log).await,
                Conn::Tls(tls) => tunnel(*tls, expected, log).await,
            }
        }
    })
    .await;
    Proxy {
        port: listening.port,
        lines,
        _listening: listening,
    }
}

/// A running [`connect_proxy`], stopped when dropped.
pub struct Proxy {
    pub port: u16,
    lines: mpsc::UnboundedReceiver<String>,
    _listening: Listening,
}

impl Proxy {
    /// The next CONNECT request's log line.
    pub async fn next_line(&mut self) -> String {
        tokio::time::timeout(Duration::from_secs(30), self.lines.recv())
            .await
            .expect("no CONNECT request reached the proxy in time")
            .expect("the proxy stopped")
    }
}

async fn tunnel<S>(mut client: S, expected: Option<String>, log: mpsc::UnboundedSender<String>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Some(head) = read_head(&mut client).await else {
        return;
    };
    if head.method != "CONNECT" {
        let _ = client
            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    }
    let _ = log.send(format!(
        r#"{{"url":{},"headers":{}}}"#,
        json(&head.target),
        head.headers_json()
    ));
    if expected.is_some() && head.header("proxy-authorization") != expected.as_deref() {
        let _ = client
            .write_all(
                b"HTTP/1.1 407 Proxy Authentication Required\r\n\
                  Proxy-Authenticate: Basic realm=\"test\"\r\n\
                  Content-Length: 0\r\n\r\n",
            )
            .await;
        let _ = client.shutdown().await;
        return;
    }
    let upstream = match head.target.rsplit_once(':') {
        Some((host, port)) => {
            let host = host.trim_start_matches('[').trim_end_matches(']');
            match port.parse::<u16>() {
                Ok(port) => TcpStream::connect((host, port)).await.ok(),
                Err(_) => None,
            }
        }
        None => None,
    };
    let Some(mut upstream) = upstream else {
        let _ = client
            .write_all(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
            .await;
        return;
    };
    let opened = async {
        client
            .write_all(b"HTTP/1.1 200 Connection Established\r\n\r\n")
            .await?;
        upstream.write_all(head.rest()).await?;
        tokio::io::copy_bidirectional(&mut client, &mut upstream).await
    };
    let _ = opened.await;
}

// -------------------------------------------------------------- helpers

/// `text` as a JSON string.
fn json(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Standard base64 with padding, for the expected `Proxy-Authorization`.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_and_json() {
    assert_eq!(base64(b"user:p@ss"), "dXNlcjpwQHNz");
    assert_eq!(base64(b"user:wrong"), "dXNlcjp3cm9uZw==");
    assert_eq!(base64(b"user:pw"), "dXNlcjpwdw==");
    assert_eq!(json("a\"b\\c\n"), r#""a\"b\\c\u000a""#);
}
