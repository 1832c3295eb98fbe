//! Errors of the async layer, in the seed's words where it has them.

use std::fmt;
use std::io;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed. `url` names the peer when it is known
    /// (`Network error: <url>: <cause>`, as faye-websocket says it).
    Io {
        url: Option<String>,
        source: io::Error,
    },
    /// The driver refused something: a protocol error from the peer, a bad
    /// close code from the caller, a failed handshake.
    WebSocket(wsdriver::Error),
    /// The handshake answer was not `101`: its status and headers, for
    /// callers that want to read an HTTP error page or a redirect.
    Status {
        status: u16,
        headers: Box<wsdriver::http_types::HeaderMap>,
        message: String,
    },
    /// The connection is closed (or closing) and cannot send.
    Closed,
    /// A timeout passed (handshake, pong).
    Timeout(&'static str),
    /// Options or a URL the layer cannot work with.
    Config(String),
}

impl Error {
    pub(crate) fn network(url: &str, source: io::Error) -> Self {
        Error::Io {
            url: Some(url.to_owned()),
            source,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                url: Some(url),
                source,
            } => write!(f, "Network error: {url}: {source}"),
            Error::Io { url: None, source } => write!(f, "Network error: {source}"),
            Error::WebSocket(error) => fmt::Display::fmt(error, f),
            Error::Status { message, .. } => f.write_str(message),
            Error::Closed => f.write_str("The WebSocket is closed"),
            Error::Timeout(what) => write!(f, "Timed out waiting for {what}"),
            Error::Config(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::WebSocket(error) => Some(error),
            _ => None,
        }
    }
}

impl From<io::Error> for Error {
    fn from(source: io::Error) -> Self {
        Error::Io { url: None, source }
    }
}

impl From<wsdriver::Error> for Error {
    fn from(error: wsdriver::Error) -> Self {
        match error {
            wsdriver::Error::Closed => Error::Closed,
            other => Error::WebSocket(other),
        }
    }
}
