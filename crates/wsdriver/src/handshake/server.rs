//! The server side of the handshake: validate the request, pick the
//! protocol version and subprotocol, write `101` or the refusal.

use super::key::{accept_key, is_valid_key};
use crate::extensions::negotiation::{self, Registry};
use crate::hixie::handshake::{self as hixie, draft_of, Draft};
use crate::http::{
    has_token, header_is, joined, list_values, CustomHeaders, HttpRequest, Refusal, ResponseHead,
};
use crate::kinds::Version;
use http::Method;

/// A successful handshake: what was agreed.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub version: Version,
    pub protocol: Option<String>,
    /// hixie-76: the key numbers for the challenge, answered once the
    /// 8 body bytes have arrived.
    pub challenge: Option<[u32; 2]>,
}

/// What the server side of a handshake needs to know besides the request.
pub(crate) struct Settings<'a> {
    pub protocols: &'a [String],
    /// Pick by the server's order of `protocols` rather than the client's.
    pub server_order: bool,
    pub allow_drafts: bool,
    /// The URL the request addressed (the drafts echo it).
    pub location: &'a str,
    pub custom: &'a CustomHeaders,
    /// An HTTP/2 extended CONNECT's `:protocol` (RFC 8441), kept by the
    /// handshake beside the request (the `Request` type has no place for
    /// a pseudo-header).
    pub connect_protocol: Option<&'a str>,
}

/// Checks a request and, if it is acceptable, answers `101` (for
/// hixie-76, its head: the challenge answer follows once the body is in).
pub(crate) fn accept(
    request: &impl HttpRequest,
    settings: &Settings<'_>,
    extensions: &mut Registry,
) -> Result<(Accepted, ResponseHead), Refusal> {
    if let Some(protocol) = settings.connect_protocol {
        return accept_extended_connect(request, protocol, settings, extensions);
    }
    let (protocols, custom) = (settings.protocols, settings.custom);
    let headers = request.headers();
    if request.method() != Method::GET {
        return Err(Refusal::new(
            405,
            "Method Not Allowed: a WebSocket handshake is a GET",
        ));
    }
    if !has_token(headers, "connection", "upgrade") || !header_is(headers, "upgrade", "websocket") {
        return Err(Refusal::new(400, "Not a WebSocket request"));
    }
    // RFC 6455 §4.2.1: HTTP/1.1 or later, with one Host. The drafts asked
    // the same.
    if request.version() < http::Version::HTTP_11 {
        return Err(Refusal::new(
            400,
            "Bad Request: a WebSocket handshake needs HTTP/1.1 or later",
        ));
    }
    match headers.get_all("host").iter().count() {
        1 => {}
        0 => return Err(Refusal::new(400, "Missing handshake request header: Host")),
        _ => return Err(Refusal::new(400, "Bad Request: more than one Host header")),
    }
    refuse_a_body(headers)?;
    if let Some(draft) = draft_of(request) {
        if !settings.allow_drafts {
            return Err(Refusal::new(400, "Unsupported WebSocket version"));
        }
        let header = match draft {
            Draft::Hixie75 => "websocket-protocol",
            Draft::Hixie76 => "sec-websocket-protocol",
        };
        let protocol = select_protocol(headers, header, protocols, settings.server_order);
        let (challenge, head) = hixie::accept(
            draft,
            request,
            settings.location,
            protocol.as_deref(),
            custom,
        )?;
        let version = match draft {
            Draft::Hixie75 => Version::Hixie75,
            Draft::Hixie76 => Version::Hixie76,
        };
        let accepted = Accepted {
            version,
            protocol,
            challenge,
        };
        return Ok((accepted, head));
    }
    let Some(version) = single(headers, "sec-websocket-version") else {
        return Err(Refusal::new(
            400,
            "Missing handshake request header: Sec-WebSocket-Version",
        ));
    };
    // A repeated version (`13` then `8`) names no one version: refused as
    // any unknown version is, rather than letting the first one win.
    let version = match version.map(|v| v.as_bytes().trim_ascii()) {
        Some(b"13") => Version::Hybi13,
        Some(b"8") => Version::Hybi8,
        _ => {
            return Err(Refusal::new(
                426,
                "Unsupported WebSocket version: use 13 or 8",
            ))
        }
    };
    let Some(key) = single(headers, "sec-websocket-key") else {
        return Err(Refusal::new(
            400,
            "Missing handshake request header: Sec-WebSocket-Key",
        ));
    };
    let Some(key) = key else {
        return Err(Refusal::new(
            400,
            "Invalid Sec-WebSocket-Key header: it must appear once",
        ));
    };
    let key = key.as_bytes().trim_ascii();
    if !is_valid_key(key) {
        return Err(Refusal::new(
            400,
            "Invalid Sec-WebSocket-Key header: it must be base64 of 16 bytes",
        ));
    }

    let mut head = ResponseHead::new(101, Some("Switching Protocols"));
    head.push("Upgrade", "websocket");
    head.push("Connection", "Upgrade");
    head.push("Sec-WebSocket-Accept", &accept_key(key));
    agree(headers, settings, extensions, version, head)
}

/// What RFC 6455 and RFC 8441 answer alike: the subprotocol and the
/// extensions agreed, added to `head` with the caller's own headers.
fn agree(
    headers: &http::HeaderMap,
    settings: &Settings<'_>,
    extensions: &mut Registry,
    version: Version,
    mut head: ResponseHead,
) -> Result<(Accepted, ResponseHead), Refusal> {
    let protocol = select_protocol(
        headers,
        "sec-websocket-protocol",
        settings.protocols,
        settings.server_order,
    );
    let offered = joined(headers, "sec-websocket-extensions");
    let extensions = negotiation::server_accept(extensions, offered.as_deref())
        .map_err(|message| Refusal::new(400, message))?;
    if let Some(protocol) = &protocol {
        head.push("Sec-WebSocket-Protocol", protocol);
    }
    if let Some(extensions) = &extensions {
        head.push("Sec-WebSocket-Extensions", extensions);
    }
    head.extend(settings.custom);
    let accepted = Accepted {
        version,
        protocol,
        challenge: None,
    };
    Ok((accepted, head))
}

/// RFC 8441: a WebSocket as one stream of an HTTP/2 connection, opened
/// with an extended CONNECT. Only the opening differs from RFC 6455: no
/// `Upgrade`, `Connection`, `Sec-WebSocket-Key` or `-Accept` (HTTP/2 has
/// no connection-wide upgrade, and the stream itself shows that the
/// server understood), `Sec-WebSocket-Version`, `-Protocol` and
/// `-Extensions` as before, and a `200` for the answer. Frames, masking
/// included, run on the stream exactly as on a TCP connection.
fn accept_extended_connect(
    request: &impl HttpRequest,
    protocol: &str,
    settings: &Settings<'_>,
    extensions: &mut Registry,
) -> Result<(Accepted, ResponseHead), Refusal> {
    let headers = request.headers();
    // Section 4: `:protocol` belongs to CONNECT only, and only HTTP/2 (or
    // later) has it; anything else is a malformed request.
    if request.method() != Method::CONNECT || request.version() < http::Version::HTTP_2 {
        return Err(Refusal::new(
            400,
            "Bad Request: :protocol is for an HTTP/2 CONNECT",
        ));
    }
    if !protocol.eq_ignore_ascii_case("websocket") {
        return Err(Refusal::new(
            400,
            "Bad Request: this server opens only the websocket :protocol",
        ));
    }
    if request.uri().authority().is_none() && !headers.contains_key("host") {
        return Err(Refusal::new(400, "Bad Request: no :authority"));
    }
    // Version 13 only: the drafts and hybi-8 predate HTTP/2. A 426 would
    // need an `Upgrade` header, which HTTP/2 forbids: 400 says it.
    match single(headers, "sec-websocket-version") {
        Some(Some(version)) if version.as_bytes().trim_ascii() == b"13" => {}
        None => {
            return Err(Refusal::new(
                400,
                "Missing handshake request header: Sec-WebSocket-Version",
            ))
        }
        Some(_) => return Err(Refusal::new(400, "Unsupported WebSocket version: use 13")),
    }
    let head = ResponseHead::new(200, Some("OK"));
    agree(headers, settings, extensions, Version::Hybi13, head)
}

/// A handshake has no body (hixie-76's eight key bytes are not framed as
/// one): whatever a `Content-Length` or `Transfer-Encoding` announced
/// would be read as WebSocket frames after the `101`. RFC 9112 section 6
/// asks for a refusal before that: 501 for a transfer coding we do not
/// know, 400 for the rest (both headers at once, lengths that disagree or
/// do not parse, a body announced at all).
fn refuse_a_body(headers: &http::HeaderMap) -> Result<(), Refusal> {
    let codings = list_values(headers, "transfer-encoding");
    if codings.iter().any(|c| !c.eq_ignore_ascii_case("chunked")) {
        return Err(Refusal::new(
            501,
            "Not Implemented: unknown Transfer-Encoding",
        ));
    }
    if headers.contains_key("transfer-encoding") {
        return Err(Refusal::new(
            400,
            "Bad Request: a WebSocket handshake has no body (Transfer-Encoding)",
        ));
    }
    let mut length = None;
    for value in headers.get_all("content-length") {
        for part in value.as_bytes().split(|&b| b == b',') {
            let part = part.trim_ascii();
            let parsed = (!part.is_empty() && part.iter().all(u8::is_ascii_digit))
                .then(|| std::str::from_utf8(part).ok()?.parse::<u64>().ok())
                .flatten();
            match (parsed, length) {
                (None, _) => return Err(Refusal::new(400, "Bad Request: invalid Content-Length")),
                (Some(n), Some(seen)) if n != seen => {
                    return Err(Refusal::new(
                        400,
                        "Bad Request: Content-Length values disagree",
                    ))
                }
                (Some(n), _) => length = Some(n),
            }
        }
    }
    if length.is_some_and(|n| n > 0) {
        return Err(Refusal::new(
            400,
            "Bad Request: a WebSocket handshake has no body (Content-Length)",
        ));
    }
    Ok(())
}

/// A header that may appear only once: `None` when absent, `Some(None)`
/// when repeated.
fn single<'a>(headers: &'a http::HeaderMap, name: &str) -> Option<Option<&'a http::HeaderValue>> {
    let mut values = headers.get_all(name).iter();
    let first = values.next()?;
    Some(values.next().is_none().then_some(first))
}

/// The subprotocol a server with `options` would agree on for `request`
/// (RFC 6455 §4.2.2: one of the client's, chosen by the client's order or,
/// with [`Options::prefer_server_protocols`](crate::Options::prefer_server_protocols),
/// the server's), before answering: for an HTTP layer that wants to route
/// on it.
///
/// ```
/// use wsdriver::{handshake::selected_protocol, http_types::Request, Options};
///
/// let request = Request::get("/chat")
///     .header("sec-websocket-version", "13")
///     .header("sec-websocket-protocol", "v1, v2")
///     .body(())
///     .unwrap();
/// let options = Options::default().protocols(["v2", "v1"]);
/// assert_eq!(selected_protocol(&request, &options).as_deref(), Some("v1"));
/// let options = options.prefer_server_protocols(true);
/// assert_eq!(selected_protocol(&request, &options).as_deref(), Some("v2"));
/// ```
pub fn selected_protocol(request: &impl HttpRequest, options: &crate::Options) -> Option<String> {
    let header = match draft_of(request) {
        Some(Draft::Hixie75) if options.allow_drafts => "websocket-protocol",
        _ => "sec-websocket-protocol",
    };
    select_protocol(
        request.headers(),
        header,
        &options.protocols,
        options.server_protocol_order,
    )
}

/// The subprotocol to answer with (RFC 6455 §4.2.2 leaves the choice to
/// the server, among the client's): the first of the client's list that the
/// server supports, or with `server_order` the first of the server's list
/// that the client offered.
fn select_protocol(
    headers: &http::HeaderMap,
    header: &str,
    protocols: &[String],
    server_order: bool,
) -> Option<String> {
    if server_order {
        let offered = list_values(headers, header);
        return protocols
            .iter()
            .find(|ours| offered.iter().any(|offered| offered == ours))
            .cloned();
    }
    list_values(headers, header)
        .into_iter()
        .find(|offered| protocols.iter().any(|ours| ours == offered))
        .map(str::to_owned)
}
