//! The legacy drafts: hixie-75 and hixie-76 (draft-hixie-thewebsocketprotocol),
//! served only when `allow_drafts` is on. Old, but still spoken by some
//! embedded clients and proxies' health checks.

pub(crate) mod framing;
pub(crate) mod handshake;
