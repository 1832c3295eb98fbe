//! What we send: messages through the extensions, pings remembered so
//! their pongs can be matched, and the close handshake.

use super::Connection;
use crate::close::CloseCode;
use crate::close::MAX_REASON_LEN;
use crate::close_cause::CloseCause;
use crate::error::Error;
use crate::event::PingId;
use crate::extensions::{ExtensionMessage, MessageKind};
use crate::hybi::frame::Opcode;
use crate::hybi::sender::Payload;
use crate::kinds::ReadyState;
use crate::message::Message;
use bytes::Bytes;
use std::time::Instant;

/// How many unanswered pings are remembered; older ones are forgotten and
/// their pongs reported without an id.
pub const MAX_PENDING_PINGS: usize = 64;

impl Connection {
    /// Sends a text message.
    ///
    /// # Errors
    /// [`Error::Closed`] once a close has started; an extension's failure
    /// (which also fails the connection).
    pub fn text(&mut self, text: &str) -> Result<(), Error> {
        self.send_frame(Opcode::Text, Payload::Borrowed(text.as_bytes()))
    }

    /// Sends a binary message.
    ///
    /// # Errors
    /// As [`text`](Self::text); [`Error::Unsupported`] on the hixie drafts.
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

    /// Sends a ping. The returned id comes back in
    /// [`Event::Pong`](crate::Event::Pong) when a pong with the same
    /// payload arrives.
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] past 125 bytes, [`Error::Closed`],
    /// [`Error::Unsupported`] on the hixie drafts.
    pub fn ping(&mut self, payload: &[u8]) -> Result<PingId, Error> {
        check_control_len(payload.len())?;
        self.send_frame(Opcode::Ping, Payload::Borrowed(payload))?;
        Ok(self.remember_ping(payload))
    }

    /// Sends an unsolicited pong (pings are answered automatically).
    ///
    /// # Errors
    /// As [`ping`](Self::ping).
    pub fn pong(&mut self, payload: &[u8]) -> Result<(), Error> {
        check_control_len(payload.len())?;
        self.send_frame(Opcode::Pong, Payload::Borrowed(payload))
    }

    /// Starts the close handshake with `code` (1000-1003, 1007-1014 or
    /// 3000-4999; see [`CloseCode`]) and a
    /// reason of at most 123 bytes. The `Close` event comes when the peer
    /// answers, or with 1006 when the close timeout (counted from `now`)
    /// passes first.
    ///
    /// # Errors
    /// [`Error::InvalidCloseCode`] for a code no close frame may carry,
    /// [`Error::ControlPayloadTooLong`] for a longer reason.
    pub fn close(
        &mut self,
        now: Instant,
        code: impl Into<CloseCode>,
        reason: &str,
    ) -> Result<(), Error> {
        let code = code.into();
        if !code.is_sendable() {
            return Err(Error::InvalidCloseCode(code));
        }
        self.start_close(Some(now), code, reason)
    }

    /// Starts the close handshake with 1001 (Going Away): what a server
    /// shutting down, or a client leaving, sends.
    ///
    /// # Errors
    /// [`Error::ControlPayloadTooLong`] for a reason over 123 bytes.
    pub fn going_away(&mut self, now: Instant, reason: &str) -> Result<(), Error> {
        self.start_close(Some(now), CloseCode::GOING_AWAY, reason)
    }

    /// The close handshake; `now` is `None` when the caller gave no time
    /// (the close timer then starts at the next known time).
    pub(crate) fn start_close(
        &mut self,
        now: Option<Instant>,
        code: CloseCode,
        reason: &str,
    ) -> Result<(), Error> {
        if reason.len() > MAX_REASON_LEN {
            return Err(Error::ControlPayloadTooLong(reason.len() + 2));
        }
        if self.state != ReadyState::Open {
            return Ok(());
        }
        self.framing
            .write_close(&mut self.output, Some(code), reason, self.mask);
        if self.framing.has_close_handshake() {
            self.state = ReadyState::Closing;
            self.timers.start_close(now);
        } else {
            // The drafts have no close handshake to wait for.
            self.finish(code, reason.to_owned(), true, CloseCause::LocallyClosed);
        }
        Ok(())
    }

    pub(crate) fn remember_ping(&mut self, payload: &[u8]) -> PingId {
        let id = PingId(self.next_ping);
        self.next_ping += 1;
        // A peer may answer only the latest ping (RFC 6455 §5.5.3): keep a
        // bounded window of the newest, or keepalive pings would pile up.
        if self.pings.len() == MAX_PENDING_PINGS {
            self.pings.pop_front();
        }
        self.pings.push_back((id, Bytes::copy_from_slice(payload)));
        id
    }

    #[inline]
    pub(crate) fn send_frame(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        self.framing.check(opcode)?;
        match self.state {
            ReadyState::Open => self.write_now(opcode, payload),
            _ => Err(Error::Closed),
        }
    }

    /// Frames a message, passing data through the active extensions in
    /// registration order. An extension failure fails the connection.
    #[inline]
    fn write_now(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        let is_data = matches!(opcode, Opcode::Text | Opcode::Binary);
        if !is_data || self.extensions.is_empty() {
            self.framing
                .write(&mut self.output, opcode, 0, payload, self.mask);
            return Ok(());
        }
        self.write_transformed(opcode, payload)
    }

    fn write_transformed(&mut self, opcode: Opcode, payload: Payload<'_>) -> Result<(), Error> {
        let kind = match opcode {
            Opcode::Text => MessageKind::Text,
            _ => MessageKind::Binary,
        };
        let mut message = ExtensionMessage {
            kind,
            rsv: 0,
            payload: payload.into_bytes(),
        };
        for index in 0..self.extensions.len() {
            if let Err(error) = self.extensions[index].outgoing(&mut message) {
                let failure = self.extension_failure(error);
                let error = Error::Protocol {
                    code: failure.code,
                    message: failure.message.clone(),
                };
                self.fail(failure);
                return Err(error);
            }
        }
        self.framing.write(
            &mut self.output,
            opcode,
            message.rsv,
            Payload::Owned(message.payload),
            self.mask,
        );
        Ok(())
    }
}

fn check_control_len(len: usize) -> Result<(), Error> {
    if len > 125 {
        return Err(Error::ControlPayloadTooLong(len));
    }
    Ok(())
}
