//! Failures as one line, in Node wscat's words where it has them
//! (`Unexpected server response: 404`, `connect ECONNREFUSED
//! 127.0.0.1:9`), so scripts and people that know wscat read them as
//! before; the library's own wording otherwise.

use std::io;
use wsdriver_tokio::Error;

/// One line for a failed connection to `url` (no `error: ` prefix).
pub fn describe(error: &Error, url: &str) -> String {
    match error {
        Error::Status { status, .. } => format!("Unexpected server response: {status}"),
        Error::TooManyRedirects { .. } => "Maximum redirects exceeded".to_owned(),
        Error::Io { source, .. } => io_error(source, url),
        Error::Tls { source, .. } => format!("TLS: {source}"),
        Error::Timeout(_) => "Opening handshake has timed out".to_owned(),
        Error::WebSocket(error) => error.to_string(),
        Error::Config(message) => message.clone(),
        other => other.to_string(),
    }
}

/// A transport failure as Node names them: the call, the code, the peer.
fn io_error(source: &io::Error, url: &str) -> String {
    let (host, port) = host_port(url);
    let text = source.to_string();
    // A proxy's failure names the proxy: keep its words.
    if text.starts_with("proxy ") {
        return text;
    }
    match source.kind() {
        io::ErrorKind::ConnectionRefused => format!("connect ECONNREFUSED {host}:{port}"),
        io::ErrorKind::ConnectionReset => "read ECONNRESET".to_owned(),
        io::ErrorKind::TimedOut => format!("connect ETIMEDOUT {host}:{port}"),
        io::ErrorKind::UnexpectedEof => "socket hang up".to_owned(),
        _ if text.contains("failed to lookup address")
            || text.contains("Name or service not known") =>
        {
            format!("getaddrinfo ENOTFOUND {host}")
        }
        _ => text,
    }
}

/// The URL's host and port, for naming the peer.
fn host_port(url: &str) -> (String, u16) {
    match url::Url::parse(url) {
        Ok(parsed) => {
            let host = parsed
                .host_str()
                .unwrap_or("")
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned();
            let port = parsed
                .port_or_known_default()
                .unwrap_or(match parsed.scheme() {
                    "wss" => 443,
                    _ => 80,
                });
            (host, port)
        }
        Err(_) => (url.to_owned(), 0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_words_for_refusals_and_statuses() {
        let refused = Error::Io {
            url: None,
            source: io::Error::from(io::ErrorKind::ConnectionRefused),
        };
        assert_eq!(
            describe(&refused, "ws://127.0.0.1:9/"),
            "connect ECONNREFUSED 127.0.0.1:9"
        );
        assert_eq!(
            describe(&refused, "wss://[::1]/"),
            "connect ECONNREFUSED ::1:443"
        );
        assert_eq!(
            describe(&Error::Timeout(wsdriver_tokio::Phase::Connect), "ws://a/"),
            "Opening handshake has timed out"
        );
    }
}
