//! Which pages may open a connection: the `Origin` check that stops
//! cross-site WebSocket hijacking.
//!
//! Browsers send cookies with a WebSocket handshake to any site, and the
//! same-origin policy does not apply to WebSockets: a page on
//! `evil.example` can open `wss://bank.example/` with the user's cookies.
//! What it cannot do is lie about its `Origin`, which browsers always send.
//! A server that authenticates by cookie must check it; clients that are
//! not browsers send any `Origin` they like (or none), so this protects
//! browser users and is no authentication.

use crate::http::HttpRequest;

/// An allow-list of origins (`https://example.com`,
/// `http://localhost:8080`): scheme, host and port, compared as RFC 6454
/// says (case-insensitive scheme and host, default ports implied).
///
/// A request with no `Origin` is not from a browser; it is allowed unless
/// [`require`](Self::require) says otherwise. `null` (a sandboxed page, a
/// `file:` page) is allowed only when listed.
///
/// ```
/// use wsdriver::{AllowedOrigins, Request};
/// use wsdriver::http_types::{HeaderMap, Method, Version};
///
/// let allowed = AllowedOrigins::new(["https://example.com", "http://localhost:8080"]);
/// assert!(allowed.allows(Some("https://EXAMPLE.com:443")));
/// assert!(allowed.allows(Some("http://localhost:8080")));
/// assert!(!allowed.allows(Some("https://example.com.evil.example")));
/// assert!(!allowed.allows(Some("http://example.com")));
/// assert!(allowed.allows(None)); // not a browser
/// assert!(!allowed.clone().require(true).allows(None));
///
/// let mut headers = HeaderMap::new();
/// headers.insert("origin", "https://evil.example".parse().unwrap());
/// let request = Request { method: Method::GET, uri: "/".parse().unwrap(), version: Version::HTTP_11, headers };
/// assert!(!allowed.allows_request(&request));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigins {
    origins: Vec<String>,
    require: bool,
}

impl AllowedOrigins {
    /// The origins allowed, as browsers write them (`scheme://host[:port]`,
    /// no path).
    pub fn new<I, S>(origins: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        AllowedOrigins {
            origins: origins
                .into_iter()
                .map(|origin| normalize(origin.as_ref()))
                .collect(),
            require: false,
        }
    }

    /// Whether a request without `Origin` (a client that is not a
    /// browser) is refused too.
    pub fn require(mut self, require: bool) -> Self {
        self.require = require;
        self
    }

    /// Whether `origin` (the header's value, if there was one) may connect.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        match origin {
            None => !self.require,
            Some(origin) => self.origins.contains(&normalize(origin)),
        }
    }

    /// Whether `request` may connect: its `Origin`, or
    /// `Sec-WebSocket-Origin` as draft 8 clients name it. More than one
    /// origin header is refused.
    pub fn allows_request(&self, request: &impl HttpRequest) -> bool {
        let headers = request.headers();
        let mut values = headers
            .get_all("origin")
            .iter()
            .chain(headers.get_all("sec-websocket-origin").iter());
        match (values.next(), values.next()) {
            (None, _) => self.allows(None),
            (Some(value), None) => value.to_str().is_ok_and(|v| self.allows(Some(v))),
            (Some(_), Some(_)) => false,
        }
    }
}

/// Lowercase, without the scheme's default port and a trailing slash.
fn normalize(origin: &str) -> String {
    let origin = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [
        ("http://", ":80"),
        ("https://", ":443"),
        ("ws://", ":80"),
        ("wss://", ":443"),
    ] {
        if let Some(rest) = origin.strip_prefix(scheme) {
            if let Some(host) = rest.strip_suffix(port) {
                return format!("{scheme}{host}");
            }
        }
    }
    origin
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookalikes_are_refused() {
        let allowed = AllowedOrigins::new(["https://example.com"]);
        for origin in [
            "https://example.com.evil.example",
            "https://evil-example.com",
            "https://example.com:8443",
            "http://example.com",
            "https://sub.example.com",
            "null",
            "",
        ] {
            assert!(!allowed.allows(Some(origin)), "{origin}");
        }
        for origin in [
            "https://example.com",
            "HTTPS://Example.COM",
            "https://example.com:443",
            "https://example.com/",
        ] {
            assert!(allowed.allows(Some(origin)), "{origin}");
        }
    }

    #[test]
    fn null_only_when_listed() {
        assert!(AllowedOrigins::new(["null"]).allows(Some("null")));
        assert!(!AllowedOrigins::new(Vec::<String>::new()).allows(Some("null")));
    }
}
