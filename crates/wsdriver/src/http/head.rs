//! Reading heads with httparse, bounded by `max_handshake_size`, and
//! writing the responses a server sends.

use super::Request;
use http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};

/// Enough for any real handshake (a browser sends about 15); more is
/// refused like an oversized head.
pub(crate) const DEFAULT_MAX_HEADERS: usize = 96;

/// How much of a head is read: its bytes, and its header lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeadLimit {
    pub bytes: usize,
    pub headers: usize,
}

impl HeadLimit {
    /// `bytes`, with the default count of headers.
    pub fn bytes(bytes: usize) -> Self {
        HeadLimit {
            bytes,
            headers: DEFAULT_MAX_HEADERS,
        }
    }
}

/// httparse's header slots: on the stack up to the default count, so only
/// a server configured for more pays an allocation per head.
fn with_slots<'b, T>(count: usize, parse: impl FnOnce(&mut [httparse::Header<'b>]) -> T) -> T {
    if count <= DEFAULT_MAX_HEADERS {
        let mut slots: [httparse::Header<'b>; DEFAULT_MAX_HEADERS] =
            [httparse::EMPTY_HEADER; DEFAULT_MAX_HEADERS];
        parse(&mut slots[..count])
    } else {
        parse(&mut vec![httparse::EMPTY_HEADER; count])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// Longer than allowed, or too many headers: 431 on a server.
    TooLarge,
    /// Not HTTP/1.1: 400 on a server.
    Malformed(String),
}

/// A client's view of the server's answer.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
}

/// Parses a request head from the start of `buf`: `Ok(None)` until it is
/// complete, then the request and the length of the head.
pub(crate) fn parse_request(
    buf: &[u8],
    limit: HeadLimit,
) -> Result<Option<(Request, usize)>, HeadError> {
    with_slots(limit.headers, |slots| read_request(buf, limit.bytes, slots))
}

fn read_request<'b>(
    buf: &'b [u8],
    max: usize,
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<(Request, usize)>, HeadError> {
    let mut parsed = httparse::Request::new(slots);
    // Looking past the limit would make the answer depend on how the bytes
    // were chunked (431 or 400 for the same head).
    let Some(len) = outcome(
        parsed.parse(&buf[..buf.len().min(max)]),
        buf.len() >= max,
        "request",
    )?
    else {
        return Ok(None);
    };
    let method = Method::from_bytes(parsed.method.unwrap_or("").as_bytes())
        .map_err(|_| HeadError::Malformed("Invalid HTTP method".into()))?;
    let uri: Uri = parsed
        .path
        .unwrap_or("")
        .parse()
        .map_err(|_| HeadError::Malformed("Invalid request target".into()))?;
    let version = match parsed.version {
        Some(0) => http::Version::HTTP_10,
        _ => http::Version::HTTP_11,
    };
    let headers = header_map(parsed.headers)?;
    Ok(Some((
        Request {
            method,
            uri,
            version,
            headers,
        },
        len,
    )))
}

/// Parses a response head, as `parse_request`.
pub(crate) fn parse_response(
    buf: &[u8],
    limit: HeadLimit,
) -> Result<Option<(Response, usize)>, HeadError> {
    with_slots(limit.headers, |slots| {
        read_response(buf, limit.bytes, slots)
    })
}

fn read_response<'b>(
    buf: &'b [u8],
    max: usize,
    slots: &mut [httparse::Header<'b>],
) -> Result<Option<(Response, usize)>, HeadError> {
    let mut parsed = httparse::Response::new(slots);
    let Some(len) = outcome(
        parsed.parse(&buf[..buf.len().min(max)]),
        buf.len() >= max,
        "response",
    )?
    else {
        return Ok(None);
    };
    let status = StatusCode::from_u16(parsed.code.unwrap_or(0))
        .map_err(|_| HeadError::Malformed("Invalid HTTP status code".into()))?;
    let headers = header_map(parsed.headers)?;
    Ok(Some((Response { status, headers }, len)))
}

/// What httparse's answer means for a head read up to the limit: its
/// length, `None` to wait for more, or why it is refused. A partial head
/// that already fills the limit can never fit.
fn outcome(
    result: httparse::Result<usize>,
    at_limit: bool,
    what: &str,
) -> Result<Option<usize>, HeadError> {
    match result {
        Ok(httparse::Status::Complete(len)) => Ok(Some(len)),
        Err(httparse::Error::TooManyHeaders) => Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) if at_limit => Err(HeadError::TooLarge),
        Ok(httparse::Status::Partial) => Ok(None),
        Err(e) => Err(HeadError::Malformed(format!("Invalid HTTP {what}: {e}"))),
    }
}

/// The headers, or why not in words of our own: a server sends the
/// message back, and must not reflect what the request carried.
fn header_map(parsed: &[httparse::Header<'_>]) -> Result<HeaderMap, HeadError> {
    let mut map = HeaderMap::with_capacity(parsed.len());
    for header in parsed {
        let name = HeaderName::from_bytes(header.name.as_bytes())
            .map_err(|_| HeadError::Malformed("Invalid header name".into()))?;
        let value = HeaderValue::from_bytes(header.value)
            .map_err(|_| HeadError::Malformed("Invalid header value".into()))?;
        map.append(name, value);
    }
    Ok(map)
}

pub(crate) fn write_header(out: &mut Vec<u8>, name: &[u8], value: &[u8]) {
    out.extend_from_slice(name);
    out.extend_from_slice(b": ");
    out.extend_from_slice(value);
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_head_is_parsed_when_complete() {
        let head = b"GET /chat?x=1 HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-A: 2\r\n\r\nBODY";
        for cut in 0..head.len() - 4 {
            assert_eq!(
                parse_request(&head[..cut], HeadLimit::bytes(1024))
                    .unwrap()
                    .map(|r| r.1),
                None
            );
        }
        let (request, len) = parse_request(head, HeadLimit::bytes(1024))
            .unwrap()
            .unwrap();
        assert_eq!(len, head.len() - 4);
        assert_eq!(request.method, Method::GET);
        assert_eq!(request.uri, "/chat?x=1");
        assert_eq!(request.headers.get_all("x-a").iter().count(), 2);
    }

    #[test]
    fn oversized_and_malformed_heads() {
        let big = format!("GET / HTTP/1.1\r\nX: {}\r\n\r\n", "a".repeat(600));
        assert_eq!(
            parse_request(big.as_bytes(), HeadLimit::bytes(512)).unwrap_err(),
            HeadError::TooLarge
        );
        // incomplete but already too long
        assert_eq!(
            parse_request(&big.as_bytes()[..550], HeadLimit::bytes(512)).unwrap_err(),
            HeadError::TooLarge
        );
        let many: String = (0..200).map(|i| format!("X-{i}: v\r\n")).collect();
        let many = format!("GET / HTTP/1.1\r\n{many}\r\n");
        assert_eq!(
            parse_request(many.as_bytes(), HeadLimit::bytes(1 << 20)).unwrap_err(),
            HeadError::TooLarge
        );
        assert!(matches!(
            parse_request(
                b"GET / HTTP/1.1\r\nBad Header\r\n\r\n",
                HeadLimit::bytes(512)
            ),
            Err(HeadError::Malformed(_))
        ));
    }

    #[test]
    fn the_header_count_is_a_setting() {
        let head = |count: usize| {
            let lines: String = (0..count).map(|i| format!("X-{i}: v\r\n")).collect();
            format!("GET / HTTP/1.1\r\n{lines}\r\n")
        };
        let limit = |headers| HeadLimit {
            bytes: 1 << 20,
            headers,
        };
        for (count, headers, fits) in [
            (10, 10, true),
            (11, 10, false),
            (200, 300, true),
            (301, 300, false),
        ] {
            let result = parse_request(head(count).as_bytes(), limit(headers));
            assert_eq!(result.is_ok(), fits, "{count} headers, {headers} allowed");
            if !fits {
                assert_eq!(result.unwrap_err(), HeadError::TooLarge);
            }
        }
    }

    #[test]
    fn response_head() {
        let (response, len) = parse_response(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81",
            HeadLimit::bytes(512),
        )
        .unwrap()
        .unwrap();
        assert_eq!(response.status, 101);
        assert_eq!(len, 56);
    }
}
