//! HTTP/1.1 heads: the request a server reads, the response a client
//! reads, and the header rules the handshake relies on.

mod head;
mod refusal;
mod response;

pub(crate) use head::{
    parse_request, parse_response, write_header, HeadError, HeadLimit, Response,
    DEFAULT_MAX_HEADERS,
};
pub(crate) use refusal::Refusal;
pub use response::ResponseHead;

use http::{HeaderMap, Method, Uri};

/// A parsed HTTP request, whoever parsed it: `http::Request<B>`,
/// `http::request::Parts` (what hyper and axum hand out) or the raw server
/// driver's own [`Request`].
pub trait HttpRequest {
    /// The method; a WebSocket handshake must be `GET` (405 otherwise).
    fn method(&self) -> &Method;
    /// The request target: its path and query become the server's
    /// [`Driver::url`](crate::Driver::url).
    fn uri(&self) -> &Uri;
    /// The headers, with repeats: the handshake reads `Upgrade`,
    /// `Connection`, `Host` and the `Sec-WebSocket-*` set.
    fn headers(&self) -> &HeaderMap;
    /// The HTTP version: RFC 6455 §4.2.1 asks for 1.1 or later, so an
    /// `HTTP/1.0` request is refused with 400. Parsers that only speak
    /// HTTP/1.1 may keep the default.
    fn version(&self) -> http::Version {
        http::Version::HTTP_11
    }
    /// The `:protocol` pseudo-header of an HTTP/2 extended CONNECT (RFC
    /// 8441), which opens a WebSocket as one stream of an h2 connection:
    /// `Some` only for such a request. `http::Request` and its `Parts`
    /// read it from a [`ConnectProtocol`] in their extensions, which the
    /// HTTP/2 layer puts there (from hyper's `ext::Protocol`, for
    /// instance).
    fn protocol(&self) -> Option<&str> {
        None
    }
}

/// The `:protocol` of an HTTP/2 extended CONNECT (RFC 8441 section 4), as
/// an `http::Request` extension: HTTP/2 carries it as a pseudo-header,
/// which `http::HeaderMap` cannot hold. `websocket` asks for a WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectProtocol(pub String);

impl HttpRequest for http::request::Parts {
    fn method(&self) -> &Method {
        &self.method
    }
    fn uri(&self) -> &Uri {
        &self.uri
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn version(&self) -> http::Version {
        self.version
    }
    fn protocol(&self) -> Option<&str> {
        self.extensions
            .get::<ConnectProtocol>()
            .map(|p| p.0.as_str())
    }
}

impl<B> HttpRequest for http::Request<B> {
    fn method(&self) -> &Method {
        self.method()
    }
    fn uri(&self) -> &Uri {
        self.uri()
    }
    fn headers(&self) -> &HeaderMap {
        self.headers()
    }
    fn version(&self) -> http::Version {
        self.version()
    }
    fn protocol(&self) -> Option<&str> {
        self.extensions()
            .get::<ConnectProtocol>()
            .map(|p| p.0.as_str())
    }
}

/// The request head a server driver answers.
#[derive(Debug, Clone)]
pub struct Request {
    /// As sent; anything but `GET` is refused with 405.
    pub method: Method,
    /// The request target as sent, usually origin-form (`/chat?room=1`).
    pub uri: Uri,
    /// `HTTP/1.1` or `HTTP/1.0` (which the handshake refuses).
    pub version: http::Version,
    /// Every header, repeats kept, names lowercased.
    pub headers: HeaderMap,
}

impl HttpRequest for Request {
    fn method(&self) -> &Method {
        &self.method
    }
    fn uri(&self) -> &Uri {
        &self.uri
    }
    fn headers(&self) -> &HeaderMap {
        &self.headers
    }
    fn version(&self) -> http::Version {
        self.version
    }
}

impl Request {
    pub(crate) fn from_any(request: &impl HttpRequest) -> Self {
        Request {
            method: request.method().clone(),
            uri: request.uri().clone(),
            version: request.version(),
            headers: request.headers().clone(),
        }
    }
}

/// Whether a request asks for a WebSocket: a GET whose `Connection` lists
/// `upgrade` and whose `Upgrade` is `websocket`, case-insensitively, or an
/// HTTP/2 extended CONNECT whose `:protocol` is `websocket` (RFC 8441).
/// Use it to route; the handshake's other checks (version, key) happen at
/// [`Driver::start`](crate::Driver::start).
///
/// ```
/// use wsdriver::http_types::Request;
/// use wsdriver::is_websocket;
///
/// let upgrade = Request::get("/chat")
///     .header("Connection", "keep-alive, Upgrade")
///     .header("Upgrade", "WebSocket")
///     .body(())
///     .unwrap();
/// assert!(is_websocket(&upgrade));
///
/// let plain = Request::get("/chat").body(()).unwrap();
/// assert!(!is_websocket(&plain));
/// ```
pub fn is_websocket(request: &impl HttpRequest) -> bool {
    if let Some(protocol) = request.protocol() {
        return request.method() == Method::CONNECT && protocol.eq_ignore_ascii_case("websocket");
    }
    request.method() == Method::GET
        && has_token(request.headers(), "connection", "upgrade")
        && header_is(request.headers(), "upgrade", "websocket")
}

/// Whether a request says it came over TLS through a proxy
/// (`X-Forwarded-Proto: https` and its kin). The driver cannot see the
/// socket: callers that terminate TLS themselves know the answer already.
pub fn is_secure_request(request: &impl HttpRequest) -> bool {
    let headers = request.headers();
    header_is(headers, "x-forwarded-proto", "https")
        || header_is(headers, "x-forwarded-ssl", "on")
        || header_is(headers, "x-forwarded-scheme", "https")
        || header_is(headers, "https", "on")
}

/// Headers the caller adds to a handshake, kept in the caller's spelling
/// (an `http::HeaderMap` would lowercase the names).
#[derive(Debug, Clone, Default)]
pub(crate) struct CustomHeaders(Vec<(String, String)>);

impl CustomHeaders {
    /// Adds a header after checking that it is valid HTTP.
    pub fn append(&mut self, name: &str, value: &str) -> Result<(), crate::Error> {
        http::HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
            crate::Error::InvalidHeader(format!("{name:?} is not a valid header name"))
        })?;
        http::HeaderValue::from_str(value).map_err(|_| {
            crate::Error::InvalidHeader(format!("{value:?} is not a valid value for {name}"))
        })?;
        self.0.push((name.to_owned(), value.to_owned()));
        Ok(())
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }
}

/// Whether any value of `name` equals `value`, ignoring ASCII case.
pub(crate) fn header_is(headers: &HeaderMap, name: &str, value: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .trim_ascii()
            .eq_ignore_ascii_case(value.as_bytes())
    })
}

/// Whether the comma-separated token lists of `name` contain `token`
/// (RFC 7230 §7), ignoring ASCII case.
pub(crate) fn has_token(headers: &HeaderMap, name: &str, token: &str) -> bool {
    headers.get_all(name).iter().any(|v| {
        v.as_bytes()
            .split(|&b| b == b',')
            .any(|t| t.trim_ascii().eq_ignore_ascii_case(token.as_bytes()))
    })
}

/// The comma-separated values of every `name` header, trimmed, in order.
pub(crate) fn list_values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

/// Every `name` header joined with ", " (RFC 7230 §3.2.2), if any.
pub(crate) fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let values: Vec<&str> = headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    (!values.is_empty()).then(|| values.join(", "))
}

/// RFC 7230 `token`: what subprotocol names must be.
pub(crate) fn is_token(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::builder().method(method).uri("/");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn is_websocket_needs_get_upgrade_and_connection_token() {
        let ok = [
            ("Upgrade", "WebSocket"),
            ("Connection", "keep-alive, Upgrade"),
        ];
        assert!(is_websocket(&request("GET", &ok)));
        assert!(!is_websocket(&request("POST", &ok)));
        assert!(!is_websocket(&request("GET", &[("Upgrade", "websocket")])));
        assert!(!is_websocket(&request("GET", &[("Connection", "upgrade")])));
        assert!(!is_websocket(&request(
            "GET",
            &[("Upgrade", "h2c"), ("Connection", "upgrade")]
        )));
    }

    #[test]
    fn is_secure_request_reads_proxy_headers() {
        assert!(!is_secure_request(&request("GET", &[])));
        assert!(is_secure_request(&request(
            "GET",
            &[("X-Forwarded-Proto", "https")]
        )));
        assert!(is_secure_request(&request(
            "GET",
            &[("X-Forwarded-Ssl", "on")]
        )));
        assert!(is_secure_request(&request(
            "GET",
            &[("X-Forwarded-Scheme", "https")]
        )));
        assert!(is_secure_request(&request("GET", &[("Https", "on")])));
        assert!(!is_secure_request(&request(
            "GET",
            &[("X-Forwarded-Proto", "http")]
        )));
    }

    #[test]
    fn tokens() {
        assert!(is_token("chat.v2"));
        assert!(!is_token("a b") && !is_token("") && !is_token("a,b"));
    }
}
