//! The options of permessage-deflate, as in Node's `permessage-deflate`
//! and `ws`, checked when the extension is made.

use std::fmt;

/// zlib's compression strategies (`deflateInit2`'s `strategy`). They
/// change only how this side compresses; the peer inflates any of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Strategy {
    /// `Z_DEFAULT_STRATEGY`: string matching and Huffman coding; right for
    /// text and JSON.
    #[default]
    Default,
    /// `Z_FILTERED`: more Huffman coding, less string matching, for data
    /// produced by a filter or predictor.
    Filtered,
    /// `Z_HUFFMAN_ONLY`: no string matching; fast, weaker compression.
    HuffmanOnly,
    /// `Z_RLE`: match distance one only (run-length encoding); nearly as
    /// fast as `HuffmanOnly`.
    Rle,
    /// `Z_FIXED`: fixed Huffman codes only, never dynamic ones.
    Fixed,
}

impl Strategy {
    pub(crate) fn zlib(self) -> i32 {
        match self {
            Strategy::Default => 0,
            Strategy::Filtered => 1,
            Strategy::HuffmanOnly => 2,
            Strategy::Rle => 3,
            Strategy::Fixed => 4,
        }
    }
}

/// Messages shorter than this go uncompressed by default: deflate's own
/// overhead makes short messages longer, and compressing costs time
/// (ws uses the same figure).
pub const DEFAULT_THRESHOLD: usize = 1024;

/// How this side compresses and what it asks of the peer.
///
/// ```
/// use wsdriver_deflate::DeflateConfig;
/// let config = DeflateConfig::default().level(9).request_max_window_bits(10).threshold(0);
/// assert!(config.validate().is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeflateConfig {
    pub(crate) level: u32,
    pub(crate) mem_level: u8,
    pub(crate) strategy: Strategy,
    pub(crate) no_context_takeover: bool,
    pub(crate) max_window_bits: Option<u8>,
    pub(crate) request_no_context_takeover: bool,
    pub(crate) request_max_window_bits: Option<u8>,
    pub(crate) threshold: usize,
}

impl Default for DeflateConfig {
    fn default() -> Self {
        DeflateConfig {
            level: 6,
            mem_level: 8,
            strategy: Strategy::Default,
            no_context_takeover: false,
            max_window_bits: None,
            request_no_context_takeover: false,
            request_max_window_bits: None,
            threshold: DEFAULT_THRESHOLD,
        }
    }
}

/// An option out of range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidConfig(pub String);

impl fmt::Display for InvalidConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Invalid permessage-deflate option: {}", self.0)
    }
}

impl std::error::Error for InvalidConfig {}

impl DeflateConfig {
    /// Compression level, 0 (store) to 9 (smallest). Default 6.
    pub fn level(mut self, level: u32) -> Self {
        self.level = level;
        self
    }

    /// zlib's memory level for compression, 1 to 9. Default 8.
    pub fn mem_level(mut self, mem_level: u8) -> Self {
        self.mem_level = mem_level;
        self
    }

    /// zlib's compression strategy for this side. Default
    /// [`Strategy::Default`].
    pub fn strategy(mut self, strategy: Strategy) -> Self {
        self.strategy = strategy;
        self
    }

    /// Reset this side's compressor after every message: less memory
    /// between messages, worse compression.
    pub fn no_context_takeover(mut self, on: bool) -> Self {
        self.no_context_takeover = on;
        self
    }

    /// The largest compression window this side will use, 8 to 15 bits
    /// (offered as `client_max_window_bits` or answered as
    /// `server_max_window_bits`). zlib cannot deflate with 8: a side
    /// limited to 8 sends every message uncompressed.
    pub fn max_window_bits(mut self, bits: u8) -> Self {
        self.max_window_bits = Some(bits);
        self
    }

    /// Ask the peer to reset its compressor after every message (so this
    /// side's decompressor need not keep a window between messages).
    pub fn request_no_context_takeover(mut self, on: bool) -> Self {
        self.request_no_context_takeover = on;
        self
    }

    /// Ask the peer to use at most this window, 8 to 15 bits: less memory
    /// for this side's decompressor. A client fails the handshake if the
    /// server does not agree; a server declines an offer that lacks
    /// `client_max_window_bits`.
    pub fn request_max_window_bits(mut self, bits: u8) -> Self {
        self.request_max_window_bits = Some(bits);
        self
    }

    /// Messages shorter than this many bytes are sent uncompressed (RFC
    /// 7692 lets a sender choose per message). Default
    /// [`DEFAULT_THRESHOLD`]; 0 compresses everything.
    pub fn threshold(mut self, bytes: usize) -> Self {
        self.threshold = bytes;
        self
    }

    /// Checks the ranges: level 0-9, mem_level 1-9, window bits 8-15.
    /// [`PerMessageDeflate::new`](crate::PerMessageDeflate::new) calls it.
    ///
    /// # Errors
    /// The first value out of its range.
    pub fn validate(&self) -> Result<(), InvalidConfig> {
        if self.level > 9 {
            return Err(InvalidConfig(format!("level {} is not 0-9", self.level)));
        }
        if !(1..=9).contains(&self.mem_level) {
            return Err(InvalidConfig(format!(
                "mem_level {} is not 1-9",
                self.mem_level
            )));
        }
        for (name, bits) in [
            ("max_window_bits", self.max_window_bits),
            ("request_max_window_bits", self.request_max_window_bits),
        ] {
            if let Some(bits) = bits {
                if !(8..=15).contains(&bits) {
                    return Err(InvalidConfig(format!("{name} {bits} is not 8-15")));
                }
            }
        }
        Ok(())
    }
}
