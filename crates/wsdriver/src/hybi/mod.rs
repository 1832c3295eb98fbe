//! The hybi protocol (RFC 6455 and its draft 8): framing, masking, UTF-8.

pub mod frame;
pub(crate) mod mask;
pub(crate) mod pongs;
pub(crate) mod receiver;
pub(crate) mod sender;
pub(crate) mod utf8;
