//! The server side of the hybi handshake: validate the request, pick the
//! subprotocol, write `101` or the refusal.

use super::key::{accept_key, is_valid_key};
use crate::extensions::negotiation::{self, Registry};
use crate::http::{
    has_token, header_is, joined, list_values, write_response, CustomHeaders, HttpRequest,
};
use crate::Version;
use http::Method;

/// A successful handshake: the response to send and what was agreed.
#[derive(Debug)]
pub(crate) struct Accepted {
    pub version: Version,
    pub protocol: Option<String>,
}

/// A refused handshake: the status and the plain-text reason sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    pub status: u16,
    pub message: String,
}

impl Refusal {
    fn new(status: u16, message: impl Into<String>) -> Self {
        Refusal {
            status,
            message: message.into(),
        }
    }

    /// Writes the refusal as a complete HTTP response that closes the
    /// connection.
    pub fn write(&self, out: &mut Vec<u8>) {
        let length = self.message.len().to_string();
        let mut headers: Vec<(&str, &[u8])> = vec![
            ("Content-Type", b"text/plain"),
            ("Content-Length", length.as_bytes()),
            ("Connection", b"close"),
        ];
        match self.status {
            405 => headers.push(("Allow", b"GET")),
            426 => headers.push(("Sec-WebSocket-Version", b"13, 8")),
            _ => {}
        }
        write_response(
            out,
            self.status,
            None,
            &headers,
            &CustomHeaders::default(),
            self.message.as_bytes(),
        );
    }
}

/// Checks a hybi request and, if it is acceptable, writes the `101`.
pub(crate) fn accept(
    request: &impl HttpRequest,
    protocols: &[String],
    extensions: &mut Registry,
    custom: &CustomHeaders,
    out: &mut Vec<u8>,
) -> Result<Accepted, Refusal> {
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
    let Some(version) = headers.get("sec-websocket-version") else {
        return Err(Refusal::new(
            400,
            "Missing handshake request header: Sec-WebSocket-Version",
        ));
    };
    let version = match version.as_bytes().trim_ascii() {
        b"13" => Version::Hybi13,
        b"8" => Version::Hybi8,
        _ => {
            return Err(Refusal::new(
                426,
                "Unsupported WebSocket version: use 13 or 8",
            ))
        }
    };
    let Some(key) = headers.get("sec-websocket-key") else {
        return Err(Refusal::new(
            400,
            "Missing handshake request header: Sec-WebSocket-Key",
        ));
    };
    let key = key.as_bytes().trim_ascii();
    if !is_valid_key(key) {
        return Err(Refusal::new(
            400,
            "Invalid Sec-WebSocket-Key header: it must be base64 of 16 bytes",
        ));
    }

    let offered = list_values(headers, "sec-websocket-protocol");
    let protocol = offered
        .iter()
        .find(|p| protocols.iter().any(|ours| ours == *p));
    let protocol = protocol.map(|p| (*p).to_owned());

    let offered = joined(headers, "sec-websocket-extensions");
    let extensions = negotiation::server_accept(extensions, offered.as_deref())
        .map_err(|message| Refusal::new(400, message))?;

    let accept = accept_key(key);
    let mut fixed: Vec<(&str, &[u8])> = vec![
        ("Upgrade", b"websocket"),
        ("Connection", b"Upgrade"),
        ("Sec-WebSocket-Accept", accept.as_bytes()),
    ];
    if let Some(protocol) = &protocol {
        fixed.push(("Sec-WebSocket-Protocol", protocol.as_bytes()));
    }
    if let Some(extensions) = &extensions {
        fixed.push(("Sec-WebSocket-Extensions", extensions.as_bytes()));
    }
    write_response(out, 101, Some("Switching Protocols"), &fixed, custom, b"");
    Ok(Accepted { version, protocol })
}
