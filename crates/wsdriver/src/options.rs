//! Driver options, checked when a driver is made so that a bad value is an
//! error at set-up rather than a surprise mid-connection.

use crate::error::Error;
use std::time::Duration;

/// The default `max_length`: 2^26 - 1 bytes, as in websocket-driver.
pub const DEFAULT_MAX_LENGTH: usize = (1 << 26) - 1;
/// The default bound on an HTTP head, as Node's default `maxHeaderSize`.
pub const DEFAULT_MAX_HANDSHAKE_SIZE: usize = 16 * 1024;
/// How long to wait for the peer's close frame after sending ours (faye).
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(30);
/// How many automatic pongs may wait unwritten before further pings are
/// answered by one pong for the newest (as ws bounds them, with 60).
pub const DEFAULT_MAX_QUEUED_PONGS: usize = 60;
/// How many frames one message may come in (RFC 6455 sets no bound; 2^17
/// is twice what the Autobahn TestSuite sends, 4 MiB in 64-byte pieces).
pub const DEFAULT_MAX_FRAGMENTS: usize = 1 << 17;
/// How many header lines an HTTP head may have.
pub const DEFAULT_MAX_HEADERS: usize = crate::http::DEFAULT_MAX_HEADERS;
/// How long the opening handshake may take (ws's client default; a server
/// that waits longer for a request head feeds slowloris).
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

/// How many redirects a client follows before it fails, one figure for
/// the WebSocket client and the EventSource alike (ws's `maxRedirects`;
/// fetch allows 20, but a chain of more than a few redirects is a
/// misconfiguration far more often than a need).
pub const DEFAULT_MAX_REDIRECTS: usize = 10;

/// Settings shared by every driver kind.
///
/// ```
/// let options = wsdriver::Options::default()
///     .max_length(1 << 20)
///     .protocols(["chat", "superchat"]);
/// let driver = wsdriver::Driver::client("ws://example.com/chat", options).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct Options {
    pub(crate) max_length: usize,
    pub(crate) protocols: Vec<String>,
    pub(crate) server_protocol_order: bool,
    pub(crate) masking: Option<bool>,
    pub(crate) require_masking: bool,
    pub(crate) max_handshake_size: usize,
    pub(crate) max_headers: usize,
    pub(crate) max_fragments: usize,
    pub(crate) close_timeout: Option<Duration>,
    pub(crate) handshake_timeout: Option<Duration>,
    pub(crate) max_queued_pongs: usize,
    pub(crate) allow_drafts: bool,
    pub(crate) ping_interval: Option<Duration>,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) client_version: u8,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            max_length: DEFAULT_MAX_LENGTH,
            protocols: Vec::new(),
            server_protocol_order: false,
            masking: None,
            require_masking: true,
            max_handshake_size: DEFAULT_MAX_HANDSHAKE_SIZE,
            max_headers: DEFAULT_MAX_HEADERS,
            max_fragments: DEFAULT_MAX_FRAGMENTS,
            close_timeout: Some(DEFAULT_CLOSE_TIMEOUT),
            handshake_timeout: Some(DEFAULT_HANDSHAKE_TIMEOUT),
            max_queued_pongs: DEFAULT_MAX_QUEUED_PONGS,
            allow_drafts: false,
            ping_interval: None,
            idle_timeout: None,
            client_version: 13,
        }
    }
}

impl Options {
    /// The longest message accepted, in bytes; a longer one is refused with
    /// close 1009 before it is buffered. Set it to what the application
    /// keeps: with permessage-deflate, a message of a few kilobytes on the
    /// wire may inflate to this many bytes, and inflating costs CPU in
    /// proportion (about 25-90 ms a message at the default 64 MiB), so a
    /// peer sending small bombs spends the server's time at this rate.
    pub fn max_length(mut self, bytes: usize) -> Self {
        self.max_length = bytes;
        self
    }

    /// Subprotocols this side supports, most preferred first on a client.
    /// A server picks the first of the client's list found here.
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// On a server, picks the subprotocol by the order of
    /// [`protocols`](Self::protocols) (the first of the server's that the
    /// client offered) instead of the client's order (the first of the
    /// client's that the server supports, the default, as in Node's ws).
    /// RFC 6455 §4.2.2 lets the server choose among what the client
    /// offered; this says how.
    pub fn prefer_server_protocols(mut self, prefer: bool) -> Self {
        self.server_protocol_order = prefer;
        self
    }

    /// Subprotocols as one comma-separated string (`"chat, superchat"`),
    /// the form Node's websocket-driver also takes.
    pub fn protocols_list(self, list: &str) -> Self {
        self.protocols(list.split(',').map(str::trim).filter(|p| !p.is_empty()))
    }

    /// Whether outgoing frames are masked. Clients mask and servers do not
    /// unless this says otherwise; RFC 6455 requires the defaults.
    pub fn masking(mut self, masking: bool) -> Self {
        self.masking = Some(masking);
        self
    }

    /// Whether a server refuses unmasked frames (close 1002). On by default,
    /// as RFC 6455 §5.1 requires.
    pub fn require_masking(mut self, require: bool) -> Self {
        self.require_masking = require;
        self
    }

    /// The largest HTTP request or response head accepted during the
    /// handshake; a larger one is refused (431 on a server).
    pub fn max_handshake_size(mut self, bytes: usize) -> Self {
        self.max_handshake_size = bytes;
        self
    }

    /// The most header lines an HTTP request or response head may have
    /// (96 by default); more are refused like an oversized head (431 on a
    /// server). The size bound already caps what they cost; this caps the
    /// work of many tiny ones.
    pub fn max_headers(mut self, count: usize) -> Self {
        self.max_headers = count;
        self
    }

    /// The most frames one message may arrive in (2^17 by default); the
    /// frame past it fails the connection with 1009. `max_length` bounds
    /// a message's memory, this the work of one sent in tiny or empty
    /// pieces.
    pub fn max_fragments(mut self, frames: usize) -> Self {
        self.max_fragments = frames;
        self
    }

    /// How long to wait for the peer's close frame after sending ours before
    /// reporting close 1006; `None` waits for ever (for the transport to
    /// end).
    pub fn close_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// How many frames one message may come in (RFC 6455 sets no bound; 2^17
    /// is twice what the Autobahn TestSuite sends, 4 MiB in 64-byte pieces).
    pub const DEFAULT_MAX_FRAGMENTS: usize = 1 << 17;
    /// How many header lines an HTTP head may have.
    pub const DEFAULT_MAX_HEADERS: usize = crate::http::DEFAULT_MAX_HEADERS;
    /// How long the opening handshake may take, 30 s by default; `None`
    /// waits for ever.
    ///
    /// A server's clock starts when the driver is made (and first asked
    /// for [`next_deadline`](crate::Driver::next_deadline)) and stops when
    /// it opens: a client that sent part of its request by then is
    /// answered `408 Request Timeout`, one that sent nothing is dropped;
    /// either way the driver reports the error and closes with 1006. A
    /// client's clock starts at [`start`](crate::Driver::start) and fails
    /// the connection the same way if no acceptable answer came in time.
    /// (wsdriver-tokio's `connect` bounds the whole attempt, TCP and TLS
    /// included, with its own `TransportOptions::connect_timeout`.)
    pub fn handshake_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// How many automatic pongs may wait in the output, unwritten, before
    /// the driver stops queueing more (60 by default; at least 1).
    ///
    /// A peer that floods pings and never reads would otherwise make us
    /// queue a pong for each, without end. Past the limit, pings are still
    /// reported, but answered by a single held-back pong carrying the
    /// newest payload (RFC 6455 §5.5.3 allows answering only the most
    /// recent ping), written once the output drains; meanwhile
    /// [`Driver::wants_read`](crate::Driver::wants_read) is `false`, so
    /// that a transport stops reading from such a peer.
    pub fn max_queued_pongs(mut self, limit: usize) -> Self {
        self.max_queued_pongs = limit;
        self
    }

    /// Sends a ping this often while the connection is open (keepalive):
    /// it keeps NAT and proxy mappings alive, and with an
    /// [`idle_timeout`](Self::idle_timeout) longer than the interval, a
    /// peer that stopped answering is noticed. Off by default.
    pub fn ping_interval(mut self, every: Option<Duration>) -> Self {
        self.ping_interval = every;
        self
    }

    /// Ends the connection with 1006 when nothing at all has come from the
    /// peer for this long (pongs to our keepalive pings count). Off by
    /// default.
    pub fn idle_timeout(mut self, after: Option<Duration>) -> Self {
        self.idle_timeout = after;
        self
    }

    /// Whether a server also accepts the legacy hixie-75 and hixie-76
    /// drafts (text only, no close codes). Off by default: such requests
    /// get `400 Unsupported WebSocket version`.
    pub fn allow_drafts(mut self, allow: bool) -> Self {
        self.allow_drafts = allow;
        self
    }

    /// The `Sec-WebSocket-Version` a client sends: 13 (RFC 6455, the
    /// default) or 8 (the draft some old servers still want), as ws's
    /// `protocolVersion`.
    pub fn protocol_version(mut self, version: u8) -> Self {
        self.client_version = version;
        self
    }

    /// The bound on a handshake head, bytes and lines.
    pub(crate) fn head_limit(&self) -> crate::http::HeadLimit {
        crate::http::HeadLimit {
            bytes: self.max_handshake_size,
            headers: self.max_headers,
        }
    }

    /// The handshake timeout set (for layers that time something around
    /// the handshake, such as a TLS handshake, by the same bound).
    pub fn get_handshake_timeout(&self) -> Option<Duration> {
        self.handshake_timeout
    }

    pub(crate) fn validate(&self) -> Result<(), Error> {
        if self.max_length == 0 {
            return Err(Error::InvalidOption("max_length must be at least 1".into()));
        }
        if self.max_handshake_size < 256 {
            return Err(Error::InvalidOption(format!(
                "max_handshake_size of {} bytes is too small for any handshake (minimum 256)",
                self.max_handshake_size
            )));
        }
        if self.max_headers < 8 || self.max_fragments == 0 {
            return Err(Error::InvalidOption(
                "max_headers must be at least 8 (a handshake needs 5) and max_fragments at least 1"
                    .into(),
            ));
        }
        for protocol in &self.protocols {
            if !crate::http::is_token(protocol) {
                return Err(Error::InvalidOption(format!(
                    "subprotocol {protocol:?} is not an HTTP token"
                )));
            }
        }
        if !matches!(self.client_version, 8 | 13) {
            return Err(Error::InvalidOption(format!(
                "protocol_version {} is not 8 or 13",
                self.client_version
            )));
        }
        if self.close_timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidOption(
                "close_timeout must be longer than zero (use None to wait for ever)".into(),
            ));
        }
        if self.max_queued_pongs == 0 {
            return Err(Error::InvalidOption(
                "max_queued_pongs must be at least 1".into(),
            ));
        }
        if self.ping_interval == Some(Duration::ZERO) || self.idle_timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidOption(
                "ping_interval and idle_timeout must be longer than zero (use None for none)"
                    .into(),
            ));
        }
        if self.handshake_timeout == Some(Duration::ZERO) {
            return Err(Error::InvalidOption(
                "handshake_timeout must be longer than zero (use None to wait for ever)".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_errors() {
        assert!(Options::default().validate().is_ok());
        assert!(Options::default().max_length(0).validate().is_err());
        assert!(Options::default().max_headers(7).validate().is_err());
        assert!(Options::default().max_fragments(0).validate().is_err());
        assert!(Options::default()
            .max_headers(8)
            .max_fragments(1)
            .validate()
            .is_ok());
        assert!(Options::default()
            .max_handshake_size(10)
            .validate()
            .is_err());
        assert!(Options::default().protocols(["a b"]).validate().is_err());
        assert!(Options::default().protocols([""]).validate().is_err());
        assert!(Options::default()
            .close_timeout(Some(Duration::ZERO))
            .validate()
            .is_err());
        assert!(Options::default()
            .handshake_timeout(Some(Duration::ZERO))
            .validate()
            .is_err());
    }

    #[test]
    fn protocols_from_a_comma_list() {
        let options = Options::default().protocols_list("chat, superchat ,,x");
        assert_eq!(options.protocols, ["chat", "superchat", "x"]);
    }
}
