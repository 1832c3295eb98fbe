//! permessage-deflate (RFC 7692) for [wsdriver], built only on
//! its public [`Extension`](wsdriver::Extension) API.
//!
//! Register a [`PerMessageDeflate`] on a driver before its handshake:
//!
//! ```
//! use wsdriver::{Driver, Options};
//! use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};
//!
//! let mut server = Driver::server(Options::default()).unwrap();
//! server.add_extension(PerMessageDeflate::new(DeflateConfig::default()).unwrap()).unwrap();
//! ```
//!
//! Inflation is bounded by the driver's `max_length`: a message that would
//! inflate past it is refused with close 1009 after at most `max_length`
//! bytes were produced, so a decompression bomb costs no more memory than
//! an honest message of the largest allowed size.

// Every unsafe block (zlib's C-shaped API in deflater.rs) says why it
// is sound.
#![forbid(clippy::undocumented_unsafe_blocks)]
#![warn(missing_docs)]
#![warn(clippy::missing_errors_doc, clippy::missing_panics_doc)]

mod config;
mod deflater;
mod extension;
mod inflater;
mod negotiate;

pub use config::{DeflateConfig, InvalidConfig, Strategy, DEFAULT_THRESHOLD};
pub use extension::PerMessageDeflate;
