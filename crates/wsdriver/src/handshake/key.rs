//! `Sec-WebSocket-Key` and `Sec-WebSocket-Accept` (RFC 6455 §4.2.2).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha1::{Digest, Sha1};

const GUID: &[u8] = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/// The `Sec-WebSocket-Accept` value that proves a server read `key`: the
/// base64 SHA-1 of the key (as sent, still base64) and the RFC's GUID. The
/// drivers compute and check it themselves; this is for code that writes
/// its own handshake.
///
/// ```
/// // The example of RFC 6455 §1.3.
/// let accept = wsdriver::handshake::accept_key(b"dGhlIHNhbXBsZSBub25jZQ==");
/// assert_eq!(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
/// ```
pub fn accept_key(key: &[u8]) -> String {
    let mut sha1 = Sha1::new();
    sha1.update(key);
    sha1.update(GUID);
    STANDARD.encode(sha1.finalize())
}

/// A fresh client key: 16 random bytes, base64.
pub(crate) fn generate_key() -> String {
    STANDARD.encode(rand::random::<[u8; 16]>())
}

/// Whether a key is what §4.1 says a client sends: base64 of 16 bytes.
pub(crate) fn is_valid_key(key: &[u8]) -> bool {
    key.len() == 24 && STANDARD.decode(key).is_ok_and(|raw| raw.len() == 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6455_1_3_accept_example() {
        assert_eq!(
            accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn generated_keys_are_valid_and_differ() {
        let a = generate_key();
        let b = generate_key();
        assert!(is_valid_key(a.as_bytes()) && is_valid_key(b.as_bytes()));
        assert_ne!(a, b);
    }

    #[test]
    fn rfc6455_4_1_key_must_be_16_bytes_of_base64() {
        assert!(is_valid_key(b"dGhlIHNhbXBsZSBub25jZQ=="));
        assert!(!is_valid_key(b"dGhlIHNhbXBsZQ==")); // 10 bytes
        assert!(!is_valid_key(b"not base64 at all!!!!!!!"));
        assert!(!is_valid_key(b""));
    }
}
