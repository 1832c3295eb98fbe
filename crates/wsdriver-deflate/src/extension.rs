//! [`PerMessageDeflate`]: the extension itself, on wsdriver's public
//! extension API.

use crate::config::{DeflateConfig, InvalidConfig};
use crate::deflater::Deflater;
use crate::inflater::Inflater;
use crate::negotiate::{self, Session};
use bytes::BytesMut;
use wsdriver::extensions::RSV1;
use wsdriver::{Extension, ExtensionError, ExtensionMessage, Params};

/// permessage-deflate (RFC 7692) for one connection.
///
/// A client offers each configuration it was given, in order (servers that
/// accept only some parameter sets pick the one they can); a server answers
/// the first acceptable offer with the first configuration. Compressors are
/// made on first use and dropped after each message when context is not
/// taken over, so an idle connection holds no zlib memory.
///
/// ```
/// use wsdriver::{Driver, Options};
/// use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};
///
/// let mut client = Driver::client("ws://example.com/", Options::default()).unwrap();
/// let deflate = PerMessageDeflate::new(DeflateConfig::default()).unwrap()
///     .or_offer(DeflateConfig::default().no_context_takeover(true)).unwrap();
/// client.add_extension(deflate).unwrap();
/// client.start();
/// let request = String::from_utf8(client.take_output()).unwrap();
/// assert!(request.contains("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, \
///     permessage-deflate; client_no_context_takeover; client_max_window_bits\r\n"));
/// ```
pub struct PerMessageDeflate {
    configs: Vec<DeflateConfig>,
    active: Option<Active>,
}

struct Active {
    config: DeflateConfig,
    session: Session,
    deflater: Option<Deflater>,
    inflater: Option<Inflater>,
    /// Reused for compressed output across messages.
    scratch: BytesMut,
}

impl PerMessageDeflate {
    /// The extension with one configuration. A server answers with this
    /// first configuration only.
    ///
    /// # Errors
    /// A `config` out of range ([`DeflateConfig::validate`]).
    pub fn new(config: DeflateConfig) -> Result<Self, InvalidConfig> {
        config.validate()?;
        Ok(PerMessageDeflate {
            configs: vec![config],
            active: None,
        })
    }

    /// Adds an alternative offer (client side), tried after the earlier ones.
    ///
    /// # Errors
    /// A `config` out of range ([`DeflateConfig::validate`]).
    pub fn or_offer(mut self, config: DeflateConfig) -> Result<Self, InvalidConfig> {
        config.validate()?;
        self.configs.push(config);
        Ok(self)
    }

    /// Whether the handshake agreed to use it.
    pub fn is_active(&self) -> bool {
        self.active.is_some()
    }

    fn start(&mut self, config: DeflateConfig, session: Session) {
        self.active = Some(Active {
            config,
            session,
            deflater: None,
            inflater: None,
            scratch: BytesMut::new(),
        });
    }
}

impl Extension for PerMessageDeflate {
    fn name(&self) -> &str {
        "permessage-deflate"
    }

    fn rsv(&self) -> u8 {
        RSV1
    }

    fn offers(&mut self) -> Vec<Params> {
        self.configs.iter().map(negotiate::offer).collect()
    }

    fn activate(&mut self, params: &Params) -> Result<(), ExtensionError> {
        let mut first_error = None;
        for config in &self.configs {
            match negotiate::activate(config, params) {
                Ok(session) => {
                    let config = config.clone();
                    self.start(config, session);
                    return Ok(());
                }
                Err(error) => {
                    first_error.get_or_insert(error);
                }
            }
        }
        Err(ExtensionError::new(first_error.unwrap_or_default()))
    }

    fn accept(&mut self, offers: &[Params]) -> Option<Params> {
        let config = self.configs[0].clone();
        let (response, session) = negotiate::accept(&config, offers)?;
        self.start(config, session);
        Some(response)
    }

    fn outgoing(&mut self, message: &mut ExtensionMessage) -> Result<(), ExtensionError> {
        let Some(active) = &mut self.active else {
            return Ok(());
        };
        // zlib cannot deflate with a 256-byte window: when the peer asked
        // for one, sending uncompressed is the only correct choice.
        if message.payload.len() < active.config.threshold || active.session.send_window_bits < 9 {
            return Ok(());
        }
        if message.payload.is_empty() {
            // zlib writes nothing for no input, and a bare RSV1 frame with
            // no payload leaves an RFC 7692 receiver halfway through the
            // stored block that its appended `00 00 ff ff` begins, so the
            // next message inflates as garbage. An empty stored block
            // (RFC 7692 section 7.2.3.6) is the single byte 0x00 once the
            // trailer is cut; it changes no window, so our deflater, which
            // ended the last message on a byte boundary, needs no part in it.
            message.payload = bytes::Bytes::from_static(&[0x00]);
            message.rsv |= RSV1;
            return Ok(());
        }
        let deflater = match &mut active.deflater {
            Some(deflater) => deflater,
            None => active.deflater.insert(
                Deflater::new(
                    active.config.level,
                    active.session.send_window_bits,
                    active.config.mem_level,
                    active.config.strategy.zlib(),
                )
                .map_err(ExtensionError::new)?,
            ),
        };
        active.scratch.clear();
        deflater
            .compress(&message.payload, &mut active.scratch)
            .map_err(ExtensionError::new)?;
        if active.scratch.ends_with(&[0x00, 0x00, 0xff, 0xff]) {
            active.scratch.truncate(active.scratch.len() - 4);
        }
        message.payload = active.scratch.split().freeze();
        message.rsv |= RSV1;
        if active.session.send_no_context_takeover {
            active.deflater = None;
        }
        Ok(())
    }

    fn incoming(
        &mut self,
        message: &mut ExtensionMessage,
        max_length: usize,
    ) -> Result<(), ExtensionError> {
        if message.rsv & RSV1 == 0 {
            return Ok(());
        }
        let Some(active) = &mut self.active else {
            return Err(ExtensionError::new(
                "RSV1 set but permessage-deflate is not active",
            ));
        };
        if message.payload.is_empty() {
            // No DEFLATE block at all: what earlier wsdriver builds sent for
            // an empty message. Its deflater wrote nothing, so the stream
            // goes on as if the message had not been there; inflating the
            // trailer alone would leave ours inside a stored block and
            // break every later message.
            message.rsv &= !RSV1;
            return Ok(());
        }
        let inflater = active
            .inflater
            .get_or_insert_with(|| Inflater::new(active.session.receive_window_bits));
        let inflated = inflater.inflate(&message.payload, max_length)?;
        message.payload = inflated.into();
        message.rsv &= !RSV1;
        if active.session.receive_no_context_takeover {
            active.inflater = None;
        }
        Ok(())
    }

    fn close(&mut self) {
        if let Some(active) = &mut self.active {
            active.deflater = None;
            active.inflater = None;
            active.scratch = BytesMut::new();
        }
    }
}
