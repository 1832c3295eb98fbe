//! The hybi protocol (RFC 6455 and its draft 8): framing, masking, UTF-8.

pub mod frame;
pub(crate) mod mask;
pub(crate) mod pongs;
pub(crate) mod receiver;
pub(crate) mod sender;
pub(crate) mod utf8;
#[cfg(target_arch = "x86_64")]
mod utf8_avx512;
