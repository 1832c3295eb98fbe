//! [`Proxy`]: opening a tunnel through an HTTP proxy with `CONNECT`, as a
//! state machine without I/O, the same way the [`Driver`](crate::Driver)
//! runs the WebSocket itself.

use crate::error::Error;
use crate::handshake::client::{basic_auth, parse_url};
use crate::http::{parse_response, write_header, CustomHeaders, HeadError, HeadLimit, Response};
use crate::machine::Machine;
use crate::options::{DEFAULT_HANDSHAKE_TIMEOUT, DEFAULT_MAX_HANDSHAKE_SIZE};
use crate::output::Output;
use ::http::HeaderMap;
use bytes::BytesMut;
use std::fmt;
use std::time::{Duration, Instant};
use url::Url;

/// The longest response head a proxy may send (16 KiB, the same bound as
/// a WebSocket handshake); a longer one is an error.
pub const MAX_PROXY_RESPONSE_SIZE: usize = DEFAULT_MAX_HANDSHAKE_SIZE;

/// What happened to the `CONNECT` request, taken with
/// [`Proxy::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProxyEvent {
    /// The proxy answered with a 2xx status: the connection is now a tunnel
    /// to the target. Hand [`Proxy::take_remaining`] to the next layer
    /// (TLS for `wss:`, else the [`Driver`](crate::Driver)) and start it.
    Connect,
    /// The proxy refused (any status but 2xx), sent something that is not
    /// an HTTP response, or closed the connection first. The error is an
    /// [`Error::Proxy`]; [`Proxy::status_code`] and [`Proxy::headers`] show
    /// the answer, if there was one. Close the connection.
    Error(Error),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Before `start`: headers may still be set.
    Idle,
    /// `CONNECT` sent, reading the proxy's answer.
    Reading,
    /// The tunnel is open; input is kept for the next layer.
    Connected,
    /// The proxy refused; nothing more is read.
    Failed,
}

/// An HTTP `CONNECT` request through a proxy to a WebSocket server, and the
/// proxy's answer, without I/O (websocket-driver's `driver.proxy(url)`).
///
/// Connect the transport to the proxy (TLS first for an `https:` proxy
/// URL), call [`start`](Self::start) and write the output, feed what the
/// proxy sends to [`parse`](Self::parse) and call
/// [`poll_event`](Machine::poll_event) until it returns an event. On
/// [`ProxyEvent::Connect`] the same transport is now a tunnel to the
/// target: for a `wss:` target run the TLS handshake over it; then give the
/// [`Driver`](crate::Driver) whatever [`take_remaining`](Self::take_remaining)
/// returns (or, for `wss:`, give it to TLS), call
/// [`Driver::start`](crate::Driver::start) and carry on with the driver.
///
/// It is a [`Machine`], like the handshakes and the connection, so the
/// loop that drives those drives a proxy too, and the `CONNECT` request
/// leaves through the same code as the frames after it.
///
/// ```
/// use wsdriver::{Driver, Machine, Options, Proxy, ProxyEvent};
///
/// # fn main() -> Result<(), wsdriver::Error> {
/// let mut driver = Driver::client("ws://example.com/chat", Options::default())?;
/// let mut proxy = Proxy::new(
///     driver.url().unwrap().as_str(),
///     "http://user:secret@proxy.example.com:3128",
/// )?;
///
/// // Once TCP to proxy.example.com:3128 is up: send the CONNECT request.
/// proxy.set_header("User-Agent", "wsdriver")?;
/// assert!(proxy.start());
/// let request = proxy.take_output(); // or write_output(&mut stream)
/// assert!(request.starts_with(b"CONNECT example.com:80 HTTP/1.1\r\n"));
///
/// // Feed the proxy what the socket reads until it has an event. Here the
/// // answer arrives together with the first bytes from the far end.
/// proxy.parse(b"HTTP/1.1 200 Connection established\r\n\r\n");
/// proxy.parse(b"early bytes");
/// match proxy.poll_event() {
///     Some(ProxyEvent::Connect) => {}
///     Some(ProxyEvent::Error(error)) => return Err(error), // and close the socket
///     None => unreachable!("the answer is complete"), // read more, then poll again
/// }
/// assert_eq!(proxy.status_code(), Some(200));
///
/// // The socket is now a tunnel to example.com:80 (for wss:, do TLS over it
/// // now and give these bytes to TLS instead). Bytes after the proxy's
/// // answer belong to the WebSocket: the driver gets them first.
/// let remaining = proxy.take_remaining();
/// assert_eq!(&remaining[..], b"early bytes");
/// driver.parse(&remaining);
/// driver.start();
/// assert!(driver.take_output().starts_with(b"GET /chat HTTP/1.1\r\n"));
/// # Ok(())
/// # }
/// ```
pub struct Proxy {
    target: Url,
    proxy: Url,
    /// The target without userinfo, for error messages.
    display_target: String,
    phase: Phase,
    custom_headers: CustomHeaders,
    response: Option<Box<Response>>,
    input: BytesMut,
    output: Output,
    event: Option<ProxyEvent>,
    /// How long the proxy has to answer, from [`start_at`](Proxy::start_at).
    timeout: Option<Duration>,
    /// When the answer is due; only [`start_at`](Proxy::start_at) sets it.
    deadline: Option<Instant>,
}

impl fmt::Debug for Proxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Proxy")
            .field("target", &self.display_target)
            .field("phase", &self.phase)
            .field("status_code", &self.status_code())
            .field("buffered_amount", &self.output.len())
            .finish_non_exhaustive()
    }
}

impl Proxy {
    /// A `CONNECT` to the `ws:`/`wss:` URL `target_url` through the
    /// `http:`/`https:` proxy at `proxy_url`. Userinfo in the proxy URL
    /// (percent-decoded) becomes a Basic `Proxy-Authorization` header; its
    /// path is ignored. The target's own userinfo is not sent to the proxy.
    ///
    /// # Errors
    /// A target that is not a `ws:`/`wss:` URL, or a proxy URL that is not
    /// `http:`/`https:`.
    pub fn new(target_url: &str, proxy_url: &str) -> Result<Self, Error> {
        let target = parse_url(target_url)?;
        let proxy = parse_proxy_url(proxy_url)?;
        let mut display = target.clone();
        // Only fails for URLs that cannot have credentials; ws: can.
        let _ = display.set_username("");
        let _ = display.set_password(None);
        Ok(Proxy {
            target,
            proxy,
            display_target: display.into(),
            phase: Phase::Idle,
            custom_headers: CustomHeaders::default(),
            response: None,
            input: BytesMut::new(),
            output: Output::default(),
            event: None,
            timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            deadline: None,
        })
    }

    /// How long the proxy has to answer once the request is out
    /// ([`start_at`](Self::start_at)); 30 s by default, the same bound as
    /// a WebSocket handshake; `None` waits for ever. A proxy that takes
    /// the connection and never answers then fails with
    /// [`Error::Proxy`] rather than hold the client.
    pub fn timeout(mut self, limit: Option<Duration>) -> Self {
        self.timeout = limit;
        self
    }

    /// The WebSocket URL the tunnel leads to.
    pub fn target_url(&self) -> &Url {
        &self.target
    }

    /// The proxy's URL: where to connect the transport
    /// (`proxy_url().port_or_known_default()` gives 80 or 443 when no port
    /// is written), and whether to speak TLS to it (`https`).
    pub fn proxy_url(&self) -> &Url {
        &self.proxy
    }

    /// Adds a header to the `CONNECT` request, in the caller's spelling;
    /// only before [`start`](Self::start). A header named like one the
    /// request has anyway (`Host`, `Connection`, `Proxy-Connection`,
    /// `Proxy-Authorization`) replaces it.
    ///
    /// # Errors
    /// A name or value that is not valid HTTP, or a request already sent.
    pub fn set_header(&mut self, name: &str, value: &str) -> Result<(), Error> {
        if self.phase != Phase::Idle {
            return Err(Error::InvalidHeader(format!(
                "{name}: headers cannot be set after the proxy request has started"
            )));
        }
        self.custom_headers.append(name, value)
    }

    /// Writes the `CONNECT` request to the output and starts the
    /// [`timeout`](Self::timeout) at `now`
    /// ([`poll_timeout`](Machine::poll_timeout) gives the deadline).
    /// Returns `false`, doing nothing, if it was already started.
    pub fn start_at(&mut self, now: Instant) -> bool {
        let started = self.start();
        if started {
            self.deadline = self.timeout.map(|limit| now + limit);
        }
        started
    }

    /// Writes the `CONNECT` request to the output, with no timer
    /// (websocket-driver's call; the caller bounds the wait). Returns
    /// `false`, and writes nothing, if it was already started.
    pub fn start(&mut self) -> bool {
        if self.phase != Phase::Idle {
            return false;
        }
        let host = self.target.host_str().unwrap_or("");
        let port = self.target.port_or_known_default().unwrap_or(80);
        let authority = format!("{host}:{port}");
        let custom = &self.custom_headers;
        let out = self.output.buffer();
        out.extend_from_slice(format!("CONNECT {authority} HTTP/1.1\r\n").as_bytes());
        let defaults: [(&str, Option<String>); 4] = [
            ("Host", Some(authority.clone())),
            ("Connection", Some("keep-alive".into())),
            ("Proxy-Connection", Some("keep-alive".into())),
            ("Proxy-Authorization", basic_auth(&self.proxy)),
        ];
        for (name, value) in defaults {
            if let Some(value) = value {
                if !custom.contains(name) {
                    write_header(out, name.as_bytes(), value.as_bytes());
                }
            }
        }
        for (name, value) in custom.iter() {
            write_header(out, name.as_bytes(), value.as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        self.phase = Phase::Reading;
        true
    }

    /// Feeds bytes read from the transport. They are read when
    /// [`poll_event`](Self::poll_event) is called; bytes fed after
    /// [`ProxyEvent::Connect`] are kept for
    /// [`take_remaining`](Self::take_remaining), and bytes fed after an
    /// error are dropped.
    pub fn parse(&mut self, data: &[u8]) {
        if self.phase != Phase::Failed {
            self.input.extend_from_slice(data);
        }
    }

    /// The status of the proxy's answer, once read (also on an error).
    pub fn status_code(&self) -> Option<u16> {
        self.response.as_ref().map(|r| r.status.as_u16())
    }

    /// The headers of the proxy's answer, once read (also on an error).
    pub fn headers(&self) -> Option<&HeaderMap> {
        self.response.as_ref().map(|r| &r.headers)
    }

    /// Whether the proxy accepted: [`ProxyEvent::Connect`] has been
    /// reported (or is about to be).
    pub fn is_connected(&self) -> bool {
        self.phase == Phase::Connected
    }

    /// The bytes that came after the proxy's answer, once connected: the
    /// first bytes of the tunnel. Empty before [`ProxyEvent::Connect`].
    pub fn remaining(&self) -> &[u8] {
        match self.phase {
            Phase::Connected => &self.input,
            _ => &[],
        }
    }

    /// Takes the bytes that came after the proxy's answer, once connected.
    /// They belong to the next layer: feed them to the
    /// [`Driver`](crate::Driver) with [`Driver::parse`](crate::Driver::parse)
    /// (or to TLS, for `wss:`) before anything read later. Empty before
    /// [`ProxyEvent::Connect`], and when nothing followed the answer.
    pub fn take_remaining(&mut self) -> BytesMut {
        match self.phase {
            Phase::Connected => std::mem::take(&mut self.input),
            _ => BytesMut::new(),
        }
    }

    fn read_response(&mut self) {
        if self.event.is_some() {
            return;
        }
        match parse_response(&self.input, HeadLimit::bytes(MAX_PROXY_RESPONSE_SIZE)) {
            Ok(None) => {}
            Ok(Some((response, len))) => {
                let _ = self.input.split_to(len);
                let success = response.status.is_success();
                self.response = Some(Box::new(response));
                if success {
                    // RFC 9110 §9.3.6: a 2xx to CONNECT has no body; what
                    // follows is the tunnel.
                    self.phase = Phase::Connected;
                    self.deadline = None;
                    self.event = Some(ProxyEvent::Connect);
                } else {
                    self.fail(None);
                }
            }
            Err(HeadError::TooLarge) => {
                self.fail(Some("the response head is too large".into()));
            }
            Err(HeadError::Malformed(message)) => self.fail(Some(message)),
        }
    }

    fn fail(&mut self, detail: Option<String>) {
        let mut message = format!(
            "Can't establish a connection to the server at {}",
            self.display_target
        );
        if let Some(detail) = detail {
            message.push_str(": ");
            message.push_str(&detail);
        }
        self.phase = Phase::Failed;
        self.deadline = None;
        self.input = BytesMut::new();
        self.event = Some(ProxyEvent::Error(Error::Proxy {
            status: self.status_code(),
            message,
        }));
    }
}

impl Machine for Proxy {
    type Event = ProxyEvent;

    /// The proxy's answer, once its head is complete: `Some` exactly once,
    /// then `None`. Before [`start`](Proxy::start), always `None`.
    fn poll_event(&mut self) -> Option<ProxyEvent> {
        if self.phase == Phase::Reading {
            self.read_response();
        }
        self.event.take()
    }

    /// Bytes fed after [`ProxyEvent::Connect`] are kept for
    /// [`take_remaining`](Proxy::take_remaining).
    fn input_buffer(&mut self) -> &mut BytesMut {
        &mut self.input
    }

    /// Nothing to do: the timer counts from the start, not from input.
    fn received(&mut self, _now: Instant) {}

    /// Before the proxy's answer was complete this is an error, reported
    /// by [`poll_event`](Machine::poll_event).
    fn transport_closed(&mut self) {
        if matches!(self.phase, Phase::Idle | Phase::Reading) && self.event.is_none() {
            self.fail(Some("the proxy closed the connection".into()));
        }
    }

    fn output(&self) -> &Output {
        &self.output
    }

    fn advance_output(&mut self, n: usize) {
        self.output.advance(n);
    }

    /// While the answer is awaited after [`start_at`](Proxy::start_at).
    fn poll_timeout(&self) -> Option<Instant> {
        self.deadline
    }

    /// Past the deadline with no complete answer:
    /// [`ProxyEvent::Error`] follows.
    fn handle_timeout(&mut self, now: Instant) {
        let due = self.deadline.is_some_and(|at| at <= now);
        if due && self.phase == Phase::Reading && self.event.is_none() {
            // An answer that arrived whole before the deadline still wins.
            self.read_response();
            if self.event.is_none() {
                self.fail(Some("the proxy did not answer in time".into()));
            }
        }
    }
}

/// Parses and checks an `http:`/`https:` proxy URL.
fn parse_proxy_url(url: &str) -> Result<Url, Error> {
    let parsed = Url::parse(url).map_err(|e| Error::InvalidUrl(format!("{url}: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::InvalidUrl(format!(
            "{url}: a proxy URL's scheme must be http or https"
        )));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(Error::InvalidUrl(format!("{url}: no host")));
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxy_urls() {
        assert!(parse_proxy_url("http://proxy:3128").is_ok());
        assert!(parse_proxy_url("https://proxy").is_ok());
        assert!(parse_proxy_url("socks5://proxy:1080").is_err());
        assert!(parse_proxy_url("ws://proxy").is_err());
        assert!(parse_proxy_url("proxy:3128").is_err());
        assert!(parse_proxy_url("http://").is_err());
    }

    #[test]
    fn error_message_hides_target_credentials() {
        let mut proxy = Proxy::new("ws://me:pw@example.com/x", "http://proxy").unwrap();
        proxy.start();
        proxy.parse(b"HTTP/1.1 403 Forbidden\r\n\r\n");
        match proxy.poll_event() {
            Some(ProxyEvent::Error(error)) => assert_eq!(
                error.to_string(),
                "Can't establish a connection to the server at ws://example.com/x"
            ),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nothing_is_read_before_start() {
        let mut proxy = Proxy::new("ws://example.com/", "http://proxy").unwrap();
        proxy.parse(b"HTTP/1.1 200 OK\r\n\r\n");
        assert_eq!(proxy.poll_event(), None);
        proxy.start();
        assert_eq!(proxy.poll_event(), Some(ProxyEvent::Connect));
        assert_eq!(proxy.poll_event(), None);
    }
}
