//! The HTTP side of an EventSource client: the `GET` it writes, and what
//! the response head it reads decides (open, stop, redirect, fail).

use super::source_event::ClientError;
use crate::handshake::client::{basic_auth, host_header};
use crate::http::{write_header, CustomHeaders, Response};
use url::Url;

/// Writes the request for `url`: the headers a browser's EventSource
/// sends, `Last-Event-ID` when there is one, then the caller's.
pub(crate) fn write_request(
    out: &mut Vec<u8>,
    url: &Url,
    last_event_id: &str,
    custom: &CustomHeaders,
) {
    let mut target = url.path().to_owned();
    if let Some(query) = url.query() {
        target.push('?');
        target.push_str(query);
    }
    out.extend_from_slice(format!("GET {target} HTTP/1.1\r\n").as_bytes());
    if !custom.contains("host") {
        write_header(out, b"Host", host_header(url).as_bytes());
    }
    if !custom.contains("accept") {
        write_header(out, b"Accept", b"text/event-stream");
    }
    // Caches and proxies must not answer from, or hold back, a stream.
    if !custom.contains("cache-control") {
        write_header(out, b"Cache-Control", b"no-cache");
    }
    if !last_event_id.is_empty() && is_header_value(last_event_id) {
        write_header(out, b"Last-Event-ID", last_event_id.as_bytes());
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

/// Whether an ID can go out as a header value. The decoder keeps line
/// breaks and NUL out of IDs; other control characters would make the
/// request invalid HTTP, so such an ID is not sent.
fn is_header_value(value: &str) -> bool {
    value
        .bytes()
        .all(|b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

/// How the body of an open stream is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// `Content-Length`: this many bytes left.
    Length(u64),
    /// Neither: the body runs to the end of the transport.
    UntilClose,
}

/// What a response head decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// `200` and an event stream: read the body so framed.
    Open(Framing),
    /// `204`: the server asks the client to stop.
    NoContent,
    /// A redirect, to the `Location` given.
    Redirect { status: u16, location: String },
    /// Anything else: fail the connection.
    Fail(ClientError),
}

/// The WHATWG rules for an EventSource's response: `200` with a
/// `text/event-stream` MIME type (parameters allowed) opens the stream;
/// `204` stops it; redirects are followed (as fetch does); anything else
/// fails it.
pub(crate) fn judge(response: &Response) -> Verdict {
    let status = response.status.as_u16();
    let headers = &response.headers;
    let content_type = headers
        .get("content-type")
        .map(|value| String::from_utf8_lossy(value.as_bytes()).into_owned());
    if status == 204 {
        return Verdict::NoContent;
    }
    if matches!(status, 301 | 302 | 303 | 307 | 308) {
        if let Some(location) = headers.get("location").and_then(|v| v.to_str().ok()) {
            return Verdict::Redirect {
                status,
                location: location.trim().to_owned(),
            };
        }
    }
    let is_stream = content_type.as_deref().is_some_and(|kind| {
        kind.split(';')
            .next()
            .is_some_and(|essence| essence.trim().eq_ignore_ascii_case("text/event-stream"))
    });
    if status != 200 || !is_stream {
        return Verdict::Fail(ClientError::NotEventStream {
            status,
            content_type,
        });
    }
    if let Some(coding) = headers.get("transfer-encoding") {
        let last = coding
            .as_bytes()
            .rsplit(|&b| b == b',')
            .next()
            .unwrap_or(b"");
        return match last.trim_ascii().eq_ignore_ascii_case(b"chunked") {
            true => Verdict::Open(Framing::Chunked),
            // A coding this client cannot undo (it asks for none).
            false => Verdict::Fail(ClientError::InvalidResponse(format!(
                "unsupported Transfer-Encoding {:?}",
                String::from_utf8_lossy(coding.as_bytes())
            ))),
        };
    }
    match headers.get("content-length") {
        None => Verdict::Open(Framing::UntilClose),
        Some(length) => match length.to_str().ok().and_then(|l| l.trim().parse().ok()) {
            Some(length) => Verdict::Open(Framing::Length(length)),
            None => Verdict::Fail(ClientError::InvalidResponse(
                "an invalid Content-Length".into(),
            )),
        },
    }
}
