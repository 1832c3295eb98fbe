//! Reading the server's answer: its head (a stream, a redirect, a
//! refusal), then its body, chunked or not, into events.

use super::{Client, Phase};
use crate::eventsource::client_head::{judge, Framing, Verdict};
use crate::eventsource::decode::MessageEvent;
use crate::eventsource::source_event::{ClientError, Interruption, SourceEvent};
use crate::http::{parse_response, HeadError, HeadLimit};
use crate::timer::Timer;

impl Client {
    /// Acts on the input once; `false` when it needs more of it.
    pub(super) fn step(&mut self) -> bool {
        match self.phase {
            Phase::ReadingHead => self.read_head(),
            Phase::Streaming(framing) => self.read_body(framing),
            _ => false,
        }
    }

    fn read_head(&mut self) -> bool {
        let response = match parse_response(&self.input, HeadLimit::bytes(self.max_head_size)) {
            Ok(Some((response, len))) => {
                let _ = self.input.split_to(len);
                response
            }
            Ok(None) if self.ended => {
                self.reconnect(Interruption::TransportClosed, None);
                return true;
            }
            Ok(None) => return false,
            Err(HeadError::TooLarge) => {
                let message = format!("a response head over {} bytes", self.max_head_size);
                self.fail(Some(ClientError::InvalidResponse(message)));
                return true;
            }
            Err(HeadError::Malformed(message)) => {
                self.fail(Some(ClientError::InvalidResponse(message)));
                return true;
            }
        };
        match judge(&response) {
            Verdict::Open(framing) => {
                self.timer = Timer::Off;
                self.phase = Phase::Streaming(framing);
                self.events.push_back(SourceEvent::Open);
            }
            Verdict::NoContent => self.fail(None),
            Verdict::Redirect { status, location } => self.redirect(status, location),
            Verdict::Fail(error) => self.fail(Some(error)),
        }
        true
    }

    fn redirect(&mut self, status: u16, location: String) {
        let next = self
            .current
            .join(&location)
            .ok()
            .filter(|url| matches!(url.scheme(), "http" | "https") && url.has_host());
        let Some(mut next) = next.filter(|_| self.redirects < self.max_redirects) else {
            self.fail(Some(ClientError::Redirect { status, location }));
            return;
        };
        next.set_fragment(None);
        let same_origin = next.scheme() == self.url.scheme()
            && next.host_str() == self.url.host_str()
            && next.port_or_known_default() == self.url.port_or_known_default();
        self.cross_origin |= !same_origin;
        self.redirects += 1;
        self.current = next;
        self.input.clear();
        self.timer = Timer::Off;
        self.phase = Phase::Connecting;
        self.events.push_back(SourceEvent::Connect);
    }

    /// Feeds the body's bytes through its framing into the decoder.
    fn read_body(&mut self, framing: Framing) -> bool {
        if framing == Framing::Length(0) {
            self.reconnect(Interruption::EndOfStream, None);
            return true;
        }
        if self.input.is_empty() {
            if !self.ended {
                return false;
            }
            let cause = match framing {
                Framing::UntilClose => Interruption::EndOfStream,
                _ => Interruption::TransportClosed,
            };
            self.reconnect(cause, None);
            return true;
        }
        let mut buffer = std::mem::take(&mut self.input);
        let mut bytes = &buffer[..];
        let mut ended = false;
        let fed = match framing {
            Framing::UntilClose => self.decoder.feed(bytes).map_err(ClientError::EventTooLarge),
            Framing::Length(left) => {
                let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                let left = left - take as u64;
                ended = left == 0;
                self.phase = Phase::Streaming(Framing::Length(left));
                self.decoder
                    .feed(&bytes[..take])
                    .map_err(ClientError::EventTooLarge)
            }
            Framing::Chunked => loop {
                match self.dechunker.next(&mut bytes) {
                    Ok(Some(data)) => {
                        if let Err(error) = self.decoder.feed(data) {
                            break Err(ClientError::EventTooLarge(error));
                        }
                    }
                    Ok(None) => {
                        ended = self.dechunker.is_done();
                        break Ok(());
                    }
                    Err(invalid) => {
                        buffer.clear();
                        self.input = buffer;
                        self.reconnect(Interruption::InvalidBody(invalid.to_string()), None);
                        return true;
                    }
                }
            },
        };
        // Keep the buffer's room for the next read.
        buffer.clear();
        self.input = buffer;
        if let Some(retry) = self.decoder.retry() {
            self.reconnection_time = retry;
        }
        if let Err(error) = fed {
            self.fail(Some(error));
        } else if ended {
            self.reconnect(Interruption::EndOfStream, None);
        }
        true
    }

    pub(super) fn deliver(&mut self, event: MessageEvent) -> SourceEvent {
        self.delivered = true;
        self.failed_attempts = 0;
        self.last_event_id.clone_from(&event.id);
        SourceEvent::Message(event)
    }
}
