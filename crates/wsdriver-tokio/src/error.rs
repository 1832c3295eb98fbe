//! Errors of the async layer, in faye-websocket's words where it has them.

use std::fmt;
use std::io;

/// Everything this crate's handshakes and connections fail with.
///
/// `Display` uses faye-websocket's wording where it has one (`Network
/// error: <url>: <cause>`, `Error during WebSocket handshake: Unexpected
/// response code: 404`...), fit to show as it is; match on the variant to
/// decide what to do.
///
/// Where each comes from:
///
/// - reading a [`WebSocket`](crate::WebSocket): [`Io`](Self::Io) when the
///   transport fails, [`WebSocket`](Self::WebSocket) when the peer broke
///   the protocol (the driver has already queued the close frame that says
///   so). Either way the connection is over and the stream ends after
///   this item;
/// - sending: [`Closed`](Self::Closed) once the close handshake has
///   started, [`WebSocket`](Self::WebSocket) for what the driver refuses
///   (a ping payload over 125 bytes, a close code no close frame may
///   carry, such as 1006);
/// - handshakes: [`Status`](Self::Status) for an answer or refusal other
///   than `101`, [`Timeout`](Self::Timeout), [`Config`](Self::Config),
///   and the two above;
/// - an [`EventSource`](crate::EventSource): [`EventSource`](Self::EventSource)
///   when it stops for good (not an event stream, an event too large),
///   `Tls`, and [`Config`](Self::Config). Network errors are not
///   reported: it reconnects.
///
/// Non-exhaustive: match with a `_` arm.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The transport failed. `url` names the peer when it is known
    /// (`Network error: <url>: <cause>`, as faye-websocket says it).
    Io {
        /// The URL a client was connecting to, as given to
        /// [`connect`](crate::connect) or as a redirect's `Location` wrote
        /// it. `None` on servers and once a connection is open.
        url: Option<String>,
        /// The cause; a peer that hangs up during a handshake (TLS
        /// included) is `UnexpectedEof`. What rustls refused is
        /// `Tls` instead.
        source: io::Error,
    },
    /// The TLS handshake failed: a certificate that is not trusted, has the
    /// wrong name or has expired, a server that asked for a client
    /// certificate we do not have, no protocol version or cipher in
    /// common. Kept apart from [`Io`](Self::Io) because retrying will not
    /// help; `Display` is the same (`Network error: <url>: <cause>`).
    #[cfg(feature = "rustls")]
    #[cfg_attr(docsrs, doc(cfg(feature = "rustls")))]
    Tls {
        /// The URL a client was connecting to (as in [`Io`](Self::Io)).
        url: Option<String>,
        /// `host:port` of the HTTPS proxy, when it was the proxy's own TLS
        /// that failed.
        proxy: Option<String>,
        /// What rustls said.
        source: rustls::Error,
    },
    /// The driver refused something: a protocol error from the peer, a bad
    /// close code from the caller, a failed handshake.
    WebSocket(wsdriver::Error),
    /// The handshake answer was not `101`: its status and headers, for
    /// callers that want to read an HTTP error page or a redirect.
    ///
    /// On a server ([`accept_with`](crate::accept_with)) it is the refusal
    /// this side sent: `426` for a plain HTTP request, or the status the
    /// check returned.
    Status {
        /// The HTTP status code: the server's answer (a client), or the
        /// refusal sent (a server).
        status: u16,
        /// The response's headers on a client (`Location`,
        /// `WWW-Authenticate`...); empty for a server's own refusals.
        headers: Box<wsdriver::http_types::HeaderMap>,
        /// What `Display` shows: the driver's description on a client,
        /// the refusal's body on a server.
        message: String,
        /// The start of the server's error page, on a client (at most
        /// [`MAX_REFUSAL_BODY`](wsdriver::MAX_REFUSAL_BODY) bytes); its
        /// first line also shows in `Display`. Empty on a server.
        body: bytes::Bytes,
    },
    /// The connection is closed (or closing) and cannot send; also what a
    /// [`Pong`](crate::Pong) resolves to when the connection closes before
    /// the pong arrives.
    Closed,
    /// A wait before the connection opened ran out; the phase says which
    /// (connecting as a client, a server's TLS handshake). An
    /// [`EventSource`](crate::EventSource) reconnects instead, with
    /// [`Interruption::Timeout`](wsdriver::eventsource::Interruption::Timeout). (A server's handshake is timed by the
    /// driver: [`wsdriver::Error::HandshakeTimeout`], or the `408` it
    /// answered as [`wsdriver::Error::BadRequest`].) An open connection
    /// does not fail with this: an unanswered close or an idle timeout
    /// ends it with close code 1006 and its
    /// [`CloseCause`](crate::CloseCause) instead.
    Timeout(Phase),
    /// A client followed
    /// [`TransportOptions::max_redirects`](crate::TransportOptions::max_redirects)
    /// redirects and was sent one more (`Maximum redirects exceeded`, as
    /// ws says): the last answer's status and headers.
    TooManyRedirects {
        /// The status of the redirect not followed.
        status: u16,
        /// Its headers (its `Location` among them).
        headers: Box<wsdriver::http_types::HeaderMap>,
    },
    /// An [`EventSource`](crate::EventSource) failed the connection and
    /// stopped: the answer was not `200` with `Content-Type:
    /// text/event-stream` (its status and content type are in it), a
    /// redirect was one too many, or an event was over the bound.
    EventSource(wsdriver::eventsource::ClientError),
    /// Options or a URL the layer cannot work with: a deflate setting out
    /// of range, unreadable PEM, no trusted TLS roots, a host that is not a
    /// valid TLS name, `ws+unix:` off Unix, a `wss:` URL or an `https:`
    /// proxy without the `rustls` feature.
    Config(String),
}

/// What an [`Error::Timeout`] was waiting for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Phase {
    /// A client's connect, bounded by
    /// [`TransportOptions::connect_timeout`](crate::TransportOptions::connect_timeout):
    /// DNS, TCP, a proxy's tunnel, TLS, the opening handshake and any
    /// redirects.
    Connect,
    /// A server's TLS handshake, within its handshake timeout.
    TlsAccept,
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::Connect => "the WebSocket handshake",
            Phase::TlsAccept => "the TLS handshake",
        })
    }
}

impl Error {
    /// The URL is shown without its password: errors end up in logs.
    pub(crate) fn network(url: &str, source: io::Error) -> Self {
        Error::Io {
            url: Some(shown_url(url)),
            source,
        }
    }
}

impl Error {
    /// tokio-rustls reports TLS failures as I/O errors around a
    /// `rustls::Error`: take that out, so callers can tell them apart.
    #[cfg(feature = "rustls")]
    pub(crate) fn from_tls_io(error: io::Error) -> Self {
        let tls = error
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .cloned();
        match tls {
            Some(source) => Error::Tls {
                url: None,
                proxy: None,
                source,
            },
            None => error.into(),
        }
    }

    /// Names the URL a client was connecting to in a transport or TLS
    /// error (without its password); other errors are left as they are.
    pub(crate) fn at(self, url: &str) -> Self {
        match self {
            Error::Io { source, .. } => Error::network(url, source),
            #[cfg(feature = "rustls")]
            Error::Tls { proxy, source, .. } => Error::Tls {
                url: Some(shown_url(url)),
                proxy,
                source,
            },
            other => other,
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
            #[cfg(feature = "rustls")]
            Error::Tls { url, proxy, source } => {
                f.write_str("Network error: ")?;
                if let Some(url) = url {
                    write!(f, "{url}: ")?;
                }
                if let Some(proxy) = proxy {
                    write!(f, "proxy {proxy}: ")?;
                }
                write!(f, "{source}")
            }
            Error::WebSocket(error) => fmt::Display::fmt(error, f),
            Error::Status { message, body, .. } => {
                f.write_str(message)?;
                match snippet(body) {
                    Some(snippet) => write!(f, " ({snippet:?})"),
                    None => Ok(()),
                }
            }
            Error::EventSource(error) => fmt::Display::fmt(error, f),
            Error::Closed => f.write_str("The WebSocket is closed"),
            Error::Timeout(phase) => write!(f, "Timed out waiting for {phase}"),
            Error::TooManyRedirects { .. } => f.write_str("Maximum redirects exceeded"),
            Error::Config(message) => f.write_str(message),
        }
    }
}

/// `Display` already says what the wrapped error says (faye-websocket's
/// `Network error: <url>: <cause>`), so `source` goes on from there: an
/// error chain printed whole (`anyhow`, `{:#}`) says nothing twice. Match
/// the variant to reach the wrapped error itself.
impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => source.source(),
            #[cfg(feature = "rustls")]
            Error::Tls { source, .. } => std::error::Error::source(source),
            Error::WebSocket(error) => std::error::Error::source(error),
            Error::EventSource(error) => std::error::Error::source(error),
            _ => None,
        }
    }
}

/// The first line of an error page, cut to a length a log line can take;
/// `None` when there is nothing to show.
fn snippet(body: &[u8]) -> Option<String> {
    const SHOWN: usize = 120;
    let text = String::from_utf8_lossy(body);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    Some(match line.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}...", &line[..cut]),
        None => line.to_owned(),
    })
}

/// The URL without its password: errors end up in logs.
fn shown_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        _ => url.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::Error;
    use std::error::Error as _;
    use std::io;

    /// Each error of the chain, as `anyhow` or `{:#}` prints it.
    fn chain(error: &Error) -> Vec<String> {
        let mut out = vec![error.to_string()];
        let mut next = error.source();
        while let Some(cause) = next {
            out.push(cause.to_string());
            next = cause.source();
        }
        out
    }

    /// Issue 25: `Display` and `source` both said the cause, so a chain
    /// printed whole said it twice.
    #[test]
    fn a_printed_chain_says_nothing_twice() {
        let inner = io::Error::new(io::ErrorKind::ConnectionRefused, "connection refused");
        let errors = [
            Error::network("ws://example.com/", inner),
            Error::WebSocket(wsdriver::Error::Handshake(
                wsdriver::HandshakeError::TooLarge,
            )),
            Error::EventSource(wsdriver::eventsource::ClientError::InvalidResponse(
                "bad chunk".into(),
            )),
        ];
        for error in &errors {
            let links = chain(error);
            for pair in links.windows(2) {
                assert!(!pair[0].contains(&pair[1]), "{links:?}");
            }
            let printed = links.join(": ");
            for needle in ["connection refused", "too large", "bad chunk"] {
                assert!(printed.matches(needle).count() <= 1, "{printed}");
            }
        }
        // The cause is still said once, by Display.
        assert_eq!(
            errors[0].to_string(),
            "Network error: ws://example.com/: connection refused"
        );
    }
}
