//! Answering the request a [`ServerHandshake`] read: the `101` (written,
//! or returned for an HTTP layer that writes heads itself), or a refusal.

use super::server::{self, Settings};
use super::{server_url, Phase, ServerEvent, ServerHandshake, NOT_WEBSOCKET};
use crate::error::Error;
use crate::http::ResponseHead;
use crate::output::Output;
use url::Url;

impl ServerHandshake {
    /// Checks the request and, if it is acceptable, writes the `101` to
    /// the output; [`ServerEvent::Open`] follows (for hixie-76, once the
    /// challenge bytes are in). A refusal (400, 405, 426...) is written
    /// instead and reported as [`ServerEvent::Failed`] too.
    ///
    /// # Errors
    /// [`Error::BadRequest`] for a request refused; [`Error::Closed`]
    /// when no request awaits an answer.
    pub fn accept(&mut self) -> Result<(), Error> {
        self.answer(true).map(drop)
    }

    /// As [`accept`](Self::accept), for an HTTP layer that writes response
    /// heads itself (hyper, axum): the `101` is returned, not written
    /// (anything after it, the hixie-76 challenge answer, still is). A
    /// refusal is returned as the error; [`ResponseHead::refusal`] builds
    /// its answer.
    ///
    /// # Errors
    /// As [`accept`](Self::accept); the refusal is not written either.
    pub fn accept_head(&mut self) -> Result<ResponseHead, Error> {
        let answer = self.answer(false);
        if answer.is_err() {
            self.output = Output::default();
        }
        answer
    }

    fn answer(&mut self, write: bool) -> Result<ResponseHead, Error> {
        if self.phase != Phase::AwaitingAnswer {
            return Err(Error::Closed);
        }
        let request = self.request.take().expect("a request awaits an answer");
        self.url = server_url(&request);
        let location = self.url.as_ref().map_or("", Url::as_str);
        let settings = Settings {
            protocols: &self.options.protocols,
            server_order: self.options.server_protocol_order,
            allow_drafts: self.options.allow_drafts,
            location,
            custom: &self.custom_headers,
            connect_protocol: self.connect_protocol.as_deref(),
        };
        let result = server::accept(request.as_ref(), &settings, &mut self.extensions);
        self.request = Some(request);
        match result {
            Ok((accepted, head)) => {
                if write {
                    head.write(self.output.buffer());
                }
                self.version = Some(accepted.version);
                self.protocol = accepted.protocol;
                match accepted.challenge {
                    Some(keys) => self.phase = Phase::AwaitingChallenge(keys),
                    None => {
                        self.phase = Phase::Open;
                        self.event = Some(ServerEvent::Open);
                    }
                }
                Ok(head)
            }
            Err(refusal) => {
                let event = self.refuse(refusal);
                let ServerEvent::Failed(error) = &event else {
                    unreachable!()
                };
                let error = error.clone();
                self.event = Some(event);
                Err(error)
            }
        }
    }

    /// Answers with a plain-text response of the caller's own instead of a
    /// WebSocket (a raw server's other requests, or a refusal of your
    /// own), with the headers set so far. No event follows: write the
    /// output and end the transport.
    ///
    /// # Errors
    /// [`Error::Closed`] unless a request awaits an answer; a status that
    /// is not final.
    pub fn reject(&mut self, status: u16, body: &str) -> Result<(), Error> {
        if self.phase != Phase::AwaitingAnswer {
            return Err(Error::Closed);
        }
        if !(200..=599).contains(&status) {
            return Err(Error::InvalidOption(format!(
                "{status} is not a final HTTP status"
            )));
        }
        let mut head = ResponseHead::plain(status, body);
        head.extend(&self.custom_headers);
        head.write(self.output.buffer());
        self.finish();
        Ok(())
    }

    /// Answers a request that is not a WebSocket handshake (a browser's
    /// plain GET) with [`ResponseHead::upgrade_required`] and the headers
    /// set so far. No event follows: write the output and end the
    /// transport.
    ///
    /// # Errors
    /// [`Error::Closed`] unless a request awaits an answer.
    pub fn reject_plain_http(&mut self) -> Result<(), Error> {
        if self.phase != Phase::AwaitingAnswer {
            return Err(Error::Closed);
        }
        let mut head = ResponseHead::upgrade_required(NOT_WEBSOCKET);
        head.extend(&self.custom_headers);
        head.write(self.output.buffer());
        self.finish();
        Ok(())
    }
}
