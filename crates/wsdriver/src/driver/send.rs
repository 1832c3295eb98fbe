//! What the application sends through the driver: messages, pings,
//! pongs and the close. Before the handshake ends they are queued, in
//! order, and go out when the connection opens.

use super::{Driver, Stage};
use crate::close::{CloseCode, MAX_REASON_LEN};
use crate::error::Error;
use crate::event::PingId;
use crate::hybi::frame::Opcode;
use crate::hybi::sender::Payload;
use crate::kinds::Version;
use crate::machine::Machine;
use crate::message::Message;

impl Driver {
    /// Sends a text message (queued until open).
    ///
    /// # Errors
    /// [`Error::Closed`] once closing; an extension's failure.
    #[inline]
    pub fn text(&mut self, text: &str) -> Result<(), Error> {
        self.send_frame(Opcode::Text, Payload::Borrowed(text.as_bytes()))
    }

    /// Sends a binary message (queued until open).
    ///
    /// # Errors
    /// As [`text`](Self::text); [`Error::Unsupported`] on the hixie drafts.
    #[inline]
    pub fn binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_frame(Opcode::Binary, Payload::Borrowed(data))
    }

    /// Sends a message the caller owns; a large unmasked payload is written
    /// from the caller's buffer without a copy.
    ///
    /// # Errors
    /// As [`binary`](Self::binary).
    #[inline]
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_frame(Opcode::Text, Payload::Owned(text.into_bytes())),
            Message::Binary(bytes) => self.send_frame(Opcode::Binary, Payload::Owned(bytes)),
        }
    }

    /// Sends a ping. The returned id comes back in [`Event::Pong`](crate::Event::Pong) when a
    /// pong with the same payload arrives.
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] past 125 bytes; as [`binary`](Self::binary).
    pub fn ping(&mut self, payload: &[u8]) -> Result<PingId, Error> {
        match &mut self.stage {
            Stage::Open(connection) => connection.ping(payload),
            _ => {
                check_control_len(payload.len())?;
                self.send_frame(Opcode::Ping, Payload::Borrowed(payload))?;
                self.queued_pings += 1;
                Ok(PingId(self.queued_pings - 1))
            }
        }
    }

    /// Sends an unsolicited pong (pings are answered automatically).
    ///
    /// # Errors
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        check_control_len(payload.len())?;
        self.send_frame(Opcode::Pong, Payload::Borrowed(payload))
    }

    fn send_frame(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        match &mut self.stage {
            Stage::Open(connection) => connection.send_frame(opcode, payload),
            _ if self.ended => Err(Error::Closed),
            _ => {
                if opcode != Opcode::Text && self.version().is_some_and(Version::is_hixie) {
                    return Err(Error::Unsupported(if opcode == Opcode::Binary {
                        "binary messages on hixie drafts"
                    } else {
                        "ping and pong on hixie drafts"
                    }));
                }
                self.queue.push((opcode, payload.into_bytes()));
                Ok(())
            }
        }
    }

    /// Starts the close handshake with `code` (1000-1003, 1007-1014 or
    /// 3000-4999; see [`CloseCode`]) and a
    /// reason of at most 123 bytes. The `Close` event comes when the peer
    /// answers, or with 1006 when the close timeout passes first. Before
    /// the connection opens, closes at once and drops anything queued.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] for a code no close frame may carry,
    /// [`Error::ControlPayloadTooLong`] for a longer reason.
    pub fn close(&mut self, code: impl Into<CloseCode>, reason: &str) -> Result<(), Error> {
        let code = code.into();
        if !code.is_sendable() {
            return Err(Error::InvalidCloseCode(code));
        }
        self.start_close(code, reason)
    }

    /// Starts the close handshake with 1001 (Going Away): what a server
    /// shutting down, or a client leaving, sends. Kept apart from
    /// [`close`](Self::close), whose codes are the application's.
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] for a reason over 123 bytes.
    pub fn going_away(&mut self, reason: &str) -> Result<(), Error> {
        self.start_close(CloseCode::GOING_AWAY, reason)
    }

    fn start_close(&mut self, code: CloseCode, reason: &str) -> Result<(), Error> {
        if reason.len() > MAX_REASON_LEN {
            return Err(Error::ControlPayloadTooLong(reason.len() + 2));
        }
        match &mut self.stage {
            Stage::Open(connection) => connection.start_close(None, code, reason),
            _ if self.ended => Ok(()),
            _ => {
                self.end_handshake(code, reason.to_owned(), None);
                Ok(())
            }
        }
    }

    /// Tells the driver the transport has ended. Unless the close handshake
    /// finished, this reports `Close` with 1006.
    pub fn transport_closed(&mut self) {
        match &mut self.stage {
            Stage::Open(connection) => connection.transport_closed(),
            _ if self.ended => {}
            _ => self.end_handshake(CloseCode::ABNORMAL, String::new(), None),
        }
    }
}

fn check_control_len(len: usize) -> Result<(), Error> {
    if len > 125 {
        return Err(Error::ControlPayloadTooLong(len));
    }
    Ok(())
}
