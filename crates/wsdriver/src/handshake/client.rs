//! The client side of the hybi handshake: the request, and every check on
//! the server's answer.

use super::key::accept_key;
use crate::error::{Error, HandshakeError};
use crate::http::{has_token, header_is, write_header, CustomHeaders, Response};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use http::HeaderMap;
use url::Url;

/// Parses and checks a `ws:`/`wss:` URL.
pub(crate) fn parse_url(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
    if !matches!(parsed.scheme(), "ws" | "wss") {
        return Err(Error::InvalidUrl(format!(
            "{url}: the scheme must be ws or wss"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::InvalidUrl(format!("{url}: no host")));
    }
    if parsed.fragment().is_some() {
        return Err(Error::InvalidUrl(format!(
            "{url}: a WebSocket URL cannot have a fragment"
        )));
    }
    Ok(parsed)
}

/// `host[:port]`, the port only when it is not the scheme's default.
pub(crate) fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or("");
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Basic credentials from the URL's userinfo, percent-decoded.
pub(crate) fn basic_auth(url: &Url) -> Option<String> {
    if url.username().is_empty() && url.password().is_none() {
        return None;
    }
    let decode = |s: &str| {
        percent_encoding::percent_decode_str(s)
            .decode_utf8_lossy()
            .into_owned()
    };
    let user = decode(url.username());
    let password = decode(url.password().unwrap_or(""));
    Some(format!(
        "Basic {}",
        STANDARD.encode(format!("{user}:{password}"))
    ))
}

/// The path and query a request asks for.
fn request_target(url: &Url) -> String {
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    target
}

/// Writes the upgrade request.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    url: &Url,
    key: &str,
    protocols: &[String],
    extensions: Option<&str>,
    custom: &CustomHeaders,
    hybi8: bool,
) {
    let target = request_target(url);
    out.extend_from_slice(format!("GET {target} HTTP/1.1\r\n").as_bytes());
    if !custom.contains("host") {
        write_header(out, b"Host", host_header(url).as_bytes());
    }
    write_header(out, b"Upgrade", b"websocket");
    write_header(out, b"Connection", b"Upgrade");
    write_header(out, b"Sec-WebSocket-Key", key.as_bytes());
    let version = if hybi8 { &b"8"[..] } else { &b"13"[..] };
    write_header(out, b"Sec-WebSocket-Version", version);
    if !protocols.is_empty() {
        write_header(
            out,
            b"Sec-WebSocket-Protocol",
            protocols.join(", ").as_bytes(),
        );
    }
    if let Some(extensions) = extensions {
        write_header(out, b"Sec-WebSocket-Extensions", extensions.as_bytes());
    }
    if let Some(auth) = basic_auth(url) {
        if !custom.contains("authorization") {
            write_header(out, b"Authorization", auth.as_bytes());
        }
    }
    for (name, value) in custom.iter() {
        write_header(out, name.as_bytes(), value.as_bytes());
    }
    out.extend_from_slice(b"\r\n");
}

/// RFC 8441: the head of an extended CONNECT, for an HTTP/2 layer to send
/// with `:protocol websocket`: the `:scheme` (https for `wss:`) and
/// `:authority` are the URI's, and of RFC 6455's headers only
/// `Sec-WebSocket-Version`, `-Protocol` and `-Extensions` remain.
pub(crate) fn extended_connect_request(
    url: &Url,
    protocols: &[String],
    extensions: Option<&str>,
    custom: &CustomHeaders,
) -> Result<http::Request<()>, Error> {
    let scheme = if url.scheme() == "wss" {
        "https"
    } else {
        "http"
    };
    let uri = format!("{scheme}://{}{}", host_header(url), request_target(url));
    let mut builder = http::Request::builder()
        .method(http::Method::CONNECT)
        .uri(uri)
        .version(http::Version::HTTP_2)
        .extension(crate::http::ConnectProtocol("websocket".to_owned()))
        .header("sec-websocket-version", "13");
    if !protocols.is_empty() {
        builder = builder.header("sec-websocket-protocol", protocols.join(", "));
    }
    if let Some(extensions) = extensions {
        builder = builder.header("sec-websocket-extensions", extensions);
    }
    if let Some(auth) = basic_auth(url) {
        if !custom.contains("authorization") {
            builder = builder.header("authorization", auth);
        }
    }
    for (name, value) in custom.iter() {
        // `:authority` names the host in HTTP/2.
        if !name.eq_ignore_ascii_case("host") {
            builder = builder.header(name, value);
        }
    }
    builder
        .body(())
        .map_err(|e| Error::InvalidHeader(e.to_string()))
}

/// Checks the answer to an extended CONNECT: a 2xx (RFC 8441 section 5
/// answers 200), and a subprotocol among those offered.
pub(crate) fn validate_extended_connect(
    status: u16,
    headers: &HeaderMap,
    protocols: &[String],
) -> Result<Option<String>, HandshakeError> {
    if !(200..300).contains(&status) {
        return Err(HandshakeError::UnexpectedStatus(status));
    }
    agreed_protocol(headers, protocols)
}

/// Checks the server's answer; returns the agreed subprotocol, or the
/// reason the handshake failed.
pub(crate) fn validate(
    response: &Response,
    key: &str,
    protocols: &[String],
) -> Result<Option<String>, HandshakeError> {
    let headers = &response.headers;
    if response.status != 101 {
        return Err(HandshakeError::UnexpectedStatus(response.status.as_u16()));
    }
    if !headers.contains_key("upgrade") {
        return Err(HandshakeError::MissingUpgrade);
    }
    if !header_is(headers, "upgrade", "websocket") {
        return Err(HandshakeError::InvalidUpgrade);
    }
    if !headers.contains_key("connection") {
        return Err(HandshakeError::MissingConnection);
    }
    if !has_token(headers, "connection", "upgrade") {
        return Err(HandshakeError::InvalidConnection);
    }
    let expected = accept_key(key.as_bytes());
    let accept = headers
        .get("sec-websocket-accept")
        .map(|v| v.as_bytes().trim_ascii());
    if accept != Some(expected.as_bytes()) {
        return Err(HandshakeError::AcceptMismatch);
    }
    agreed_protocol(headers, protocols)
}

/// The subprotocol the server chose, which must be one we offered.
fn agreed_protocol(
    headers: &HeaderMap,
    protocols: &[String],
) -> Result<Option<String>, HandshakeError> {
    match headers.get("sec-websocket-protocol") {
        None => Ok(None),
        Some(value) => {
            let value = value.to_str().unwrap_or("").trim();
            if !protocols.iter().any(|p| p == value) {
                return Err(HandshakeError::ProtocolMismatch);
            }
            Ok(Some(value.to_owned()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(parse_url("ws://example.com/chat").is_ok());
        assert!(parse_url("wss://example.com").is_ok());
        assert!(parse_url("http://example.com").is_err());
        assert!(parse_url("ws://example.com/#frag").is_err());
        assert!(parse_url("not a url").is_err());
        let url = parse_url("ws://example.com:80/").unwrap();
        assert_eq!(host_header(&url), "example.com");
        let url = parse_url("wss://example.com:8443/").unwrap();
        assert_eq!(host_header(&url), "example.com:8443");
        let url = parse_url("ws://[::1]:9001/").unwrap();
        assert_eq!(host_header(&url), "[::1]:9001");
    }

    #[test]
    fn basic_auth_from_userinfo() {
        let url = parse_url("ws://user:p%40ss@example.com/").unwrap();
        // "user:p@ss"
        assert_eq!(basic_auth(&url).unwrap(), "Basic dXNlcjpwQHNz");
        assert_eq!(basic_auth(&parse_url("ws://example.com/").unwrap()), None);
    }
}
