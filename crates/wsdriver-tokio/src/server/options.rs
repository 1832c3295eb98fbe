//! [`ServerOptions`]: what a server accepts, defined once for every way
//! in (a stream, the standalone server, hyper and axum).

use crate::error::Error;
use crate::websocket::config::Config;
use tokio::time::Instant;
use wsdriver::{Options, ServerHandshake};
#[cfg(feature = "deflate")]
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

/// What a server accepts, for every way in: [`accept`](crate::accept), [`accept_with`](crate::accept_with),
/// hyper's `upgrade`, the axum `WebSocketUpgrade` and
/// [`ServerBuilder::server_options`](crate::ServerBuilder::server_options).
///
/// The default speaks RFC 6455 and draft 8 without subprotocols or
/// compression, and takes messages up to just under 64 MiB
/// ([`wsdriver::DEFAULT_MAX_LENGTH`]) and request heads up to 16 KiB.
/// Options the driver refuses (a bad subprotocol name, a deflate setting
/// out of range) fail each handshake with [`Error::Config`] or
/// [`Error::WebSocket`].
///
/// ```
/// # #[cfg(feature = "deflate")] {
/// use std::time::Duration;
/// use wsdriver_tokio::{Config, DeflateConfig, Options, ServerOptions};
///
/// let options = ServerOptions::default()
///     .options(Options::default().idle_timeout(Some(Duration::from_secs(60))))
///     .protocols(["chat.v2", "chat.v1"])
///     .max_length(1 << 20)
///     .deflate(DeflateConfig::default())
///     .config(Config::default().max_buffered(16 * 1024));
/// # }
/// ```
#[derive(Debug, Clone, Default)]
pub struct ServerOptions {
    /// As [`options`](Self::options) set them.
    pub(crate) options: Options,
    /// The shortcuts' values, laid over `options` whatever the order of
    /// the calls (a later `options` does not undo an earlier
    /// `max_length`).
    shortcuts: Shortcuts,
    #[cfg(feature = "deflate")]
    deflate: Option<DeflateConfig>,
    pub(crate) config: Config,
}

/// What [`ServerOptions`]' shortcut setters set.
#[derive(Debug, Clone, Default)]
struct Shortcuts {
    protocols: Option<Vec<String>>,
    max_length: Option<usize>,
    allow_drafts: Option<bool>,
}

impl ServerOptions {
    /// The core's options (subprotocols, `max_length`, drafts, close and
    /// handshake timeouts, keepalive pings, idle timeout...). What
    /// [`protocols`](Self::protocols), [`max_length`](Self::max_length)
    /// and [`allow_drafts`](Self::allow_drafts) set wins over these,
    /// whichever was called first.
    pub fn options(mut self, options: Options) -> Self {
        self.options = options;
        self
    }

    /// Subprotocols the server speaks: it picks the first of the client's
    /// list found here (ws's `handleProtocols` default).
    pub fn protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.shortcuts.protocols = Some(protocols.into_iter().map(Into::into).collect());
        self
    }

    /// The longest message accepted, in bytes (ws's `maxPayload`); a
    /// longer one closes the connection with 1009 before it is buffered,
    /// and the sender reads that code (the connection lingers: see
    /// [`Connection::is_lingering`](wsdriver::Connection::is_lingering)).
    /// Set it to what the application keeps (64 MiB by default): with
    /// permessage-deflate, a few kilobytes on the wire can inflate to the
    /// whole limit, and inflating costs CPU in proportion to it.
    pub fn max_length(mut self, bytes: usize) -> Self {
        self.shortcuts.max_length = Some(bytes);
        self
    }

    /// Whether the legacy hixie-75/76 drafts are accepted (off by
    /// default: they get `400 Unsupported WebSocket version`).
    pub fn allow_drafts(mut self, allow: bool) -> Self {
        self.shortcuts.allow_drafts = Some(allow);
        self
    }

    /// Accept permessage-deflate with this configuration (ws's
    /// `perMessageDeflate`); `None`, the default, declines it, and
    /// clients that offer it get an uncompressed connection.
    #[cfg(feature = "deflate")]
    #[cfg_attr(docsrs, doc(cfg(feature = "deflate")))]
    pub fn deflate(mut self, deflate: impl Into<Option<DeflateConfig>>) -> Self {
        self.deflate = deflate.into();
        self
    }

    /// Settings of each connection once open: backpressure (keepalive and
    /// the idle timeout are the driver's, in [`options`](Self::options)).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The core's options: [`options`](Self::options) with the
    /// shortcuts laid over them.
    pub(crate) fn core_options(&self) -> Options {
        let mut options = self.options.clone();
        if let Some(protocols) = &self.shortcuts.protocols {
            options = options.protocols(protocols.iter().cloned());
        }
        if let Some(max) = self.shortcuts.max_length {
            options = options.max_length(max);
        }
        if let Some(allow) = self.shortcuts.allow_drafts {
            options = options.allow_drafts(allow);
        }
        options
    }

    /// The server side of a handshake with these options, its timeout
    /// counting from now: the one place a server's machine and its
    /// extensions are made.
    pub(crate) fn handshake(&self) -> Result<ServerHandshake, Error> {
        let now = Instant::now().into_std();
        self.with_extensions(ServerHandshake::new(self.core_options(), now)?)
    }

    /// As [`handshake`](Self::handshake), for a request an HTTP layer
    /// parsed.
    #[cfg(feature = "hyper")]
    pub(crate) fn http_handshake(
        &self,
        request: &impl wsdriver::HttpRequest,
    ) -> Result<ServerHandshake, Error> {
        let now = Instant::now().into_std();
        let handshake = ServerHandshake::for_request(request, self.core_options(), now)?;
        self.with_extensions(handshake)
    }

    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
    fn with_extensions(&self, mut handshake: ServerHandshake) -> Result<ServerHandshake, Error> {
        #[cfg(feature = "deflate")]
        if let Some(config) = &self.deflate {
            let deflate =
                PerMessageDeflate::new(config.clone()).map_err(|e| Error::Config(e.to_string()))?;
            handshake.add_extension(deflate)?;
        }
        Ok(handshake)
    }
}
