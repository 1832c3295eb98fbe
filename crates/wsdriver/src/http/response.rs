//! A server's answer, kept structured until it is sent: a raw stream gets
//! its exact bytes (header names spelled as written, the drafts' status
//! lines), and hyper or axum get an `http::Response` without parsing bytes
//! back.

use super::{write_header, CustomHeaders};
use http::StatusCode;

/// The head (and, for a refusal, the plain-text body) of a server's answer
/// to a handshake request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseHead {
    status: u16,
    reason: Option<&'static str>,
    headers: Vec<(String, String)>,
    body: String,
}

impl ResponseHead {
    pub(crate) fn new(status: u16, reason: Option<&'static str>) -> Self {
        ResponseHead {
            status,
            reason,
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// A plain-text answer that closes the connection.
    pub(crate) fn plain(status: u16, body: &str) -> Self {
        let mut head = ResponseHead::new(status, None);
        head.push("Content-Type", "text/plain");
        head.push("Content-Length", &body.len().to_string());
        head.push("Connection", "close");
        head.body = body.to_owned();
        head
    }

    /// The answer a server sends when it refuses a handshake with `status`
    /// and `message` (what [`Error::BadRequest`](crate::Error::BadRequest)
    /// holds): the message as plain text, `Allow: GET` on 405 and the
    /// versions spoken on 426.
    pub fn refusal(status: u16, message: &str) -> Self {
        super::Refusal::new(status, message).head()
    }

    /// The answer to a request that is not a WebSocket handshake, or that
    /// its HTTP layer cannot upgrade: `426 Upgrade Required` with
    /// `Upgrade: websocket`, saying what this endpoint speaks (as ws
    /// answers plain HTTP on its own listener).
    pub fn upgrade_required(body: &str) -> Self {
        let mut head = ResponseHead::plain(426, body);
        head.push("Upgrade", "websocket");
        head
    }

    pub(crate) fn push(&mut self, name: &str, value: &str) {
        self.headers.push((name.to_owned(), value.to_owned()));
    }

    pub(crate) fn extend(&mut self, custom: &CustomHeaders) {
        for (name, value) in custom.iter() {
            self.push(name, value);
        }
    }

    /// The status: 101 for an accepted handshake.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The reason phrase of the status line when it is not the usual one
    /// (the drafts' `101 WebSocket Protocol Handshake`), for HTTP layers
    /// that can send one.
    pub fn reason(&self) -> Option<&'static str> {
        let canonical = StatusCode::from_u16(self.status)
            .ok()
            .and_then(|s| s.canonical_reason());
        self.reason.filter(|reason| Some(*reason) != canonical)
    }

    /// The headers, in order, spelled as they are written.
    pub fn headers(&self) -> impl Iterator<Item = (&str, &str)> {
        self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str()))
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// The body of a refusal (why it was refused); empty for a `101`.
    pub fn body(&self) -> &str {
        &self.body
    }

    /// The same answer as an `http::Response`, for servers whose HTTP layer
    /// writes heads itself (hyper, axum). The drafts' unusual status lines
    /// become plain `101 Switching Protocols` there.
    ///
    /// # Panics
    /// Never: the driver writes only valid status codes and headers.
    pub fn to_http(&self) -> http::Response<()> {
        let mut response = http::Response::new(());
        *response.status_mut() =
            StatusCode::from_u16(self.status).expect("the driver writes only valid status codes");
        let headers = response.headers_mut();
        for (name, value) in self.headers() {
            // Both were checked when they were added.
            if let (Ok(name), Ok(value)) = (
                http::HeaderName::from_bytes(name.as_bytes()),
                http::HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
        response
    }

    /// The head and body as HTTP/1.1 bytes, for a server on a raw stream.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write(&mut out);
        out
    }

    /// Writes the head and body as HTTP/1.1 bytes.
    pub(crate) fn write(&self, out: &mut Vec<u8>) {
        let reason = self
            .reason
            .or_else(|| {
                StatusCode::from_u16(self.status)
                    .ok()
                    .and_then(|s| s.canonical_reason())
            })
            .unwrap_or("");
        out.extend_from_slice(format!("HTTP/1.1 {} {reason}\r\n", self.status).as_bytes());
        for (name, value) in self.headers() {
            write_header(out, name.as_bytes(), value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(self.body.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_keep_spelling_and_http_gets_the_same_headers() {
        let mut head = ResponseHead::new(101, Some("Web Socket Protocol Handshake"));
        head.push("Upgrade", "WebSocket");
        head.push("X-Custom", "a");
        head.push("X-Custom", "b");
        let mut bytes = Vec::new();
        head.write(&mut bytes);
        assert_eq!(
            bytes,
            b"HTTP/1.1 101 Web Socket Protocol Handshake\r\nUpgrade: WebSocket\r\n\
              X-Custom: a\r\nX-Custom: b\r\n\r\n"
        );
        let response = head.to_http();
        assert_eq!(response.status(), 101);
        assert_eq!(response.headers()["upgrade"], "WebSocket");
        let custom: Vec<_> = response.headers().get_all("x-custom").iter().collect();
        assert_eq!(custom, ["a", "b"]);
        assert_eq!(head.header("x-CUSTOM"), Some("a"));
    }

    #[test]
    fn plain_answers_carry_their_length() {
        let head = ResponseHead::plain(404, "nope");
        let mut bytes = Vec::new();
        head.write(&mut bytes);
        assert_eq!(
            bytes,
            b"HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 4\r\n\
              Connection: close\r\n\r\nnope"
        );
        assert_eq!(head.body(), "nope");
    }
}
