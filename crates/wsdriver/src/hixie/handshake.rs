//! Draft handshakes. hixie-75 answers with the origin and location;
//! hixie-76 adds a challenge: two keys whose digits divided by their
//! spaces, with the 8 bytes after the request head, are hashed with MD5.

use crate::http::{CustomHeaders, HttpRequest, Refusal, ResponseHead};
use md5::{Digest, Md5};

/// Which draft a request speaks, if it is not hybi.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Draft {
    Hixie75,
    Hixie76,
}

/// hybi when `Sec-WebSocket-Version` or `Sec-WebSocket-Key` is present;
/// else hixie-76 when `Sec-WebSocket-Key1`/`Key2` are, else hixie-75.
pub(crate) fn draft_of(request: &impl HttpRequest) -> Option<Draft> {
    let headers = request.headers();
    if headers.contains_key("sec-websocket-version") || headers.contains_key("sec-websocket-key") {
        None
    } else if headers.contains_key("sec-websocket-key1")
        || headers.contains_key("sec-websocket-key2")
    {
        Some(Draft::Hixie76)
    } else {
        Some(Draft::Hixie75)
    }
}

/// The hixie-76 body length: the challenge's last 8 bytes.
pub(crate) const BODY_LEN: usize = 8;

/// The response head, and for hixie-76 the two key numbers the challenge
/// answer needs once the body has arrived.
pub(crate) fn accept(
    draft: Draft,
    request: &impl HttpRequest,
    location: &str,
    protocol: Option<&str>,
    custom: &CustomHeaders,
) -> Result<(Option<[u32; 2]>, ResponseHead), Refusal> {
    let headers = request.headers();
    let origin = headers
        .get("origin")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let (head, keys) = match draft {
        Draft::Hixie75 => {
            let mut head = ResponseHead::new(101, Some("Web Socket Protocol Handshake"));
            head.push("Upgrade", "WebSocket");
            head.push("Connection", "Upgrade");
            head.push("WebSocket-Origin", origin);
            head.push("WebSocket-Location", location);
            (head, None)
        }
        Draft::Hixie76 => {
            let keys = [
                key_number(request, "Sec-WebSocket-Key1")?,
                key_number(request, "Sec-WebSocket-Key2")?,
            ];
            let mut head = ResponseHead::new(101, Some("WebSocket Protocol Handshake"));
            head.push("Upgrade", "WebSocket");
            head.push("Connection", "Upgrade");
            head.push("Sec-WebSocket-Origin", origin);
            head.push("Sec-WebSocket-Location", location);
            (head, Some(keys))
        }
    };
    let mut head = head;
    if let Some(protocol) = protocol {
        let name = if draft == Draft::Hixie75 {
            "WebSocket-Protocol"
        } else {
            "Sec-WebSocket-Protocol"
        };
        head.push(name, protocol);
    }
    head.extend(custom);
    Ok((keys, head))
}

/// The digits of a key, as a number, divided by its spaces.
fn key_number(request: &impl HttpRequest, name: &str) -> Result<u32, Refusal> {
    let invalid = |why: &str| Refusal {
        status: 400,
        message: format!("Invalid {name} header: {why}"),
    };
    let Some(key) = request.headers().get(name) else {
        return Err(Refusal {
            status: 400,
            message: format!("Missing handshake request header: {name}"),
        });
    };
    let key = key.as_bytes();
    let mut number: u64 = 0;
    for digit in key.iter().filter(|b| b.is_ascii_digit()) {
        number = number * 10 + u64::from(digit - b'0');
        if number > u64::from(u32::MAX) {
            return Err(invalid("its number is too large"));
        }
    }
    let spaces = key.iter().filter(|&&b| b == b' ').count() as u64;
    if spaces == 0 {
        return Err(invalid("it has no spaces"));
    }
    if !number.is_multiple_of(spaces) {
        return Err(invalid("its number is not a multiple of its spaces"));
    }
    Ok((number / spaces) as u32)
}

/// The 16-byte answer to the challenge.
pub(crate) fn challenge_answer(keys: [u32; 2], body: &[u8]) -> [u8; 16] {
    let mut md5 = Md5::new();
    md5.update(keys[0].to_be_bytes());
    md5.update(keys[1].to_be_bytes());
    md5.update(&body[..BODY_LEN]);
    md5.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::builder().uri("/demo");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn hixie_76_draft_example_answers_8jks() {
        // draft-hixie-thewebsocketprotocol-76 §1.3.
        let request = request(&[
            ("Sec-WebSocket-Key1", "4 @1  46546xW%0l 1 5"),
            ("Sec-WebSocket-Key2", "12998 5 Y3 1  .P00"),
        ]);
        let keys = [
            key_number(&request, "Sec-WebSocket-Key1").unwrap(),
            key_number(&request, "Sec-WebSocket-Key2").unwrap(),
        ];
        assert_eq!(keys, [829_309_203, 259_970_620]);
        assert_eq!(&challenge_answer(keys, b"^n:ds[4U"), b"8jKS'y:G*Co,Wxa-");
    }

    #[test]
    fn key_errors() {
        let message = |key: &str| {
            key_number(
                &request(&[("Sec-WebSocket-Key1", key)]),
                "Sec-WebSocket-Key1",
            )
            .unwrap_err()
            .message
        };
        assert_eq!(
            message("12345"),
            "Invalid Sec-WebSocket-Key1 header: it has no spaces"
        );
        assert_eq!(
            message("1 2 3"),
            "Invalid Sec-WebSocket-Key1 header: its number is not a multiple of its spaces"
        );
        assert_eq!(
            message("9999999999 "),
            "Invalid Sec-WebSocket-Key1 header: its number is too large"
        );
        assert_eq!(
            key_number(&request(&[]), "Sec-WebSocket-Key2")
                .unwrap_err()
                .message,
            "Missing handshake request header: Sec-WebSocket-Key2"
        );
    }

    #[test]
    fn version_selection() {
        assert_eq!(draft_of(&request(&[("Sec-WebSocket-Version", "13")])), None);
        assert_eq!(draft_of(&request(&[("Sec-WebSocket-Key", "x")])), None);
        assert_eq!(
            draft_of(&request(&[("Sec-WebSocket-Key1", "x")])),
            Some(Draft::Hixie76)
        );
        assert_eq!(draft_of(&request(&[])), Some(Draft::Hixie75));
    }
}
