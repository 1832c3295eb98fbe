//! What the peer sends: frames become events, messages pass back through
//! the extensions, pings are answered, closes echoed, and protocol errors
//! fail the connection.

use super::Connection;
use crate::close::truncate_reason;
use crate::close::CloseCode;
use crate::close_cause::CloseCause;
use crate::connection::framing::Framing;
use crate::error::Error;
use crate::event::{CloseEvent, Event};
use crate::extensions::{ExtensionError, ExtensionMessage, MessageKind};
use crate::hybi::frame::Opcode;
use crate::hybi::receiver::{Failure, Received};
use crate::kinds::{ReadyState, Role};
use crate::message::{Message, Text};
use bytes::{Bytes, BytesMut};

impl Connection {
    /// Reads input until it yields an event or runs out. The event of a
    /// frame is returned straight away rather than queued: one move
    /// instead of three on the path every message takes. (Closing and
    /// failing queue theirs, as the timers do.)
    ///
    /// A message in one whole frame on an open connection without
    /// extensions, the common case, is taken here, forced in line with
    /// the receiver's part of it; the loop for everything else sets up
    /// more than this path costs. (Left to LLVM, this grew into a call
    /// that called `advance` and `freeze`: the echo of 20 B took 1,734
    /// instructions, against 1,635 in line and 1,691 without this path.)
    #[inline(always)]
    pub(super) fn process(&mut self) -> Option<Event> {
        if let (ReadyState::Open, Framing::Rfc6455(receiver), true) =
            (self.state, &mut self.framing, self.extensions.is_empty())
        {
            match receiver.next_whole(&mut self.input) {
                Some(Ok(Received::Message {
                    opcode, payload, ..
                })) => return Some(Event::Message(plain_message(opcode, payload))),
                Some(Ok(incoming)) => {
                    if let Some(event) = self.handle(incoming) {
                        return Some(event);
                    }
                }
                Some(Err(failure)) => self.fail(failure),
                None => {}
            }
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
        }
        self.process_frames()
    }

    #[inline(never)]
    fn process_frames(&mut self) -> Option<Event> {
        loop {
            if self.state == ReadyState::Closed {
                if self.is_lingering() {
                    let read = self.input.len();
                    self.input.clear();
                    self.discarded(read);
                } else {
                    self.input = BytesMut::new();
                }
                return None;
            }
            match self.framing.read(&mut self.input) {
                Ok(Some(incoming)) => {
                    if let Some(event) = self.handle(incoming) {
                        return Some(event);
                    }
                }
                Ok(None) => return None,
                Err(failure) => self.fail(failure),
            }
            if let Some(event) = self.events.pop_front() {
                return Some(event);
            }
        }
    }

    fn handle(&mut self, incoming: Received) -> Option<Event> {
        match incoming {
            Received::Message {
                opcode,
                rsv,
                payload,
            } => {
                if self.state != ReadyState::Open {
                    return None; // RFC 6455 §1.4: data after our close is dropped
                }
                let message = if self.extensions.is_empty() {
                    plain_message(opcode, payload)
                } else {
                    match self.receive_message(opcode, rsv, payload) {
                        Ok(message) => message,
                        Err(failure) => {
                            self.fail(failure);
                            return None;
                        }
                    }
                };
                Some(Event::Message(message))
            }
            Received::Ping(payload) => {
                self.pongs
                    .answer(&mut self.output, payload.clone(), self.mask);
                Some(Event::Ping(payload))
            }
            Received::Pong(payload) => {
                let ping = match self.pings.iter().position(|(_, p)| *p == payload) {
                    // Pings answered out of order are still answered.
                    Some(index) => self.pings.remove(index).map(|(id, _)| id),
                    None => None,
                };
                Some(Event::Pong { payload, ping })
            }
            Received::Close(frame) => {
                let (code, reason) = frame
                    .clone()
                    .unwrap_or((CloseCode::NO_STATUS, String::new()));
                let cause = if self.state == ReadyState::Open {
                    let echo = frame.map(|(code, _)| code);
                    self.framing
                        .write_close(&mut self.output, echo, "", self.mask);
                    CloseCause::PeerClosed
                } else {
                    CloseCause::LocallyClosed
                };
                self.finish(code, reason, true, cause);
                None
            }
        }
    }

    /// Undoes the extensions' transforms (in reverse order), then checks
    /// what the receiver could not: text that arrived transformed.
    fn receive_message(
        &mut self,
        opcode: Opcode,
        rsv: u8,
        payload: Bytes,
    ) -> Result<Message, Failure> {
        let kind = if opcode == Opcode::Text {
            MessageKind::Text
        } else {
            MessageKind::Binary
        };
        // The receiver checked the text only if no RSV bit was set; any
        // extension that changed the bytes makes that check moot.
        let checked = (rsv == 0).then(|| payload.clone());
        let mut message = ExtensionMessage { kind, rsv, payload };
        let max_length = self.max_length;
        for index in (0..self.extensions.len()).rev() {
            if let Err(error) = self.extensions[index].incoming(&mut message, max_length) {
                return Err(self.extension_failure(error));
            }
        }
        if message.payload.len() > max_length {
            return Err(Failure {
                code: CloseCode::TOO_LARGE,
                message: "WebSocket message too large".into(),
            });
        }
        Ok(match kind {
            MessageKind::Text if checked.is_some_and(|c| same_bytes(&c, &message.payload)) => {
                Message::Text(Text::from_validated(message.payload))
            }
            MessageKind::Text => {
                Message::Text(Text::try_from_bytes(message.payload).map_err(|_| Failure {
                    code: CloseCode::INVALID_PAYLOAD,
                    message: "Could not decode a text frame as UTF-8".into(),
                })?)
            }
            MessageKind::Binary => Message::Binary(message.payload),
        })
    }

    pub(super) fn extension_failure(&self, error: ExtensionError) -> Failure {
        let default = match self.role {
            Role::Client => CloseCode::EXTENSION_ERROR,
            Role::Server => CloseCode::UNEXPECTED_CONDITION,
        };
        Failure {
            code: error.code.unwrap_or(default),
            message: error.message,
        }
    }

    /// The peer broke the protocol: close with the failure's code without
    /// waiting for an answer (RFC 6455 §7.1.7).
    pub(super) fn fail(&mut self, failure: Failure) {
        let wrote_close = self.state == ReadyState::Open;
        if wrote_close {
            let reason = truncate_reason(&failure.message);
            self.framing
                .write_close(&mut self.output, Some(failure.code), reason, self.mask);
        }
        let error = Error::Protocol {
            code: failure.code,
            message: failure.message.clone(),
        };
        self.close_with(CloseEvent::failed(failure.code, failure.message, error));
        if wrote_close && self.framing.has_close_handshake() {
            self.start_lingering();
        }
    }

    /// Enters `Closed` and reports it; everything half-read goes.
    pub(super) fn finish(
        &mut self,
        code: CloseCode,
        reason: String,
        clean: bool,
        cause: CloseCause,
    ) {
        self.close_with(CloseEvent::new(code, reason, clean).with_cause(cause));
    }

    fn close_with(&mut self, event: CloseEvent) {
        for extension in &mut self.extensions {
            extension.close();
        }
        self.state = ReadyState::Closed;
        self.timers.stop();
        self.pings.clear();
        self.pongs.clear();
        self.input = BytesMut::new();
        self.events.push_back(Event::Close(event));
    }
}

/// Whether two `Bytes` are the very same bytes (not merely equal).
fn same_bytes(a: &Bytes, b: &Bytes) -> bool {
    a.as_ptr() == b.as_ptr() && a.len() == b.len()
}

/// A message no extension touched: its payload as it came (text already
/// validated by the receiver).
#[inline(always)]
fn plain_message(opcode: Opcode, payload: Bytes) -> Message {
    match opcode {
        Opcode::Text => Message::Text(Text::from_validated(payload)),
        _ => Message::Binary(payload),
    }
}
