//! Automatic pongs, bounded. Every ping gets a pong (RFC 6455 §5.5.2), but
//! a peer that sends pings and never reads must not make us queue pongs
//! without end: once `limit` pongs wait unwritten in the output, further
//! pings are answered by one held-back pong carrying the newest payload,
//! written when the output drains. RFC 6455 §5.5.3 allows exactly that: a
//! pong for only the most recent ping.

use super::frame::Opcode;
use super::sender::{write_frame, Payload};
use crate::output::Output;
use bytes::Bytes;
use std::collections::VecDeque;

#[derive(Debug)]
pub(crate) struct AutoPongs {
    limit: usize,
    /// Where each queued pong ends, in bytes ever queued on the output;
    /// those at or below the output's written count have left.
    unsent: VecDeque<u64>,
    /// The newest ping's payload, when its pong had to wait.
    held: Option<Bytes>,
}

impl AutoPongs {
    pub fn new(limit: usize) -> Self {
        AutoPongs {
            limit,
            unsent: VecDeque::new(),
            held: None,
        }
    }

    /// Answers a ping: at once while fewer than `limit` pongs wait,
    /// otherwise by replacing the held-back pong.
    pub fn answer(&mut self, output: &mut Output, payload: Bytes, mask: bool) {
        self.retire(output);
        if self.unsent.len() < self.limit {
            // A held pong for an older ping is superseded by this one.
            self.held = None;
            self.write(output, &payload, mask);
        } else {
            self.held = Some(payload);
        }
    }

    /// Writes the held-back pong once there is room again; call after
    /// output was written.
    pub fn release(&mut self, output: &mut Output, mask: bool) {
        if self.held.is_none() {
            return;
        }
        self.retire(output);
        if self.unsent.len() < self.limit {
            if let Some(payload) = self.held.take() {
                self.write(output, &payload, mask);
            }
        }
    }

    /// Whether a pong is held back: the peer is not reading what we owe it.
    pub fn holding(&self) -> bool {
        self.held.is_some()
    }

    pub fn clear(&mut self) {
        self.unsent = VecDeque::new();
        self.held = None;
    }

    fn write(&mut self, output: &mut Output, payload: &[u8], mask: bool) {
        write_frame(
            output,
            Opcode::Pong,
            true,
            0,
            Payload::Borrowed(payload),
            mask,
        );
        self.unsent.push_back(output.queued_total());
    }

    fn retire(&mut self, output: &Output) {
        let written = output.written_total();
        while self.unsent.front().is_some_and(|end| *end <= written) {
            self.unsent.pop_front();
        }
        if self.unsent.is_empty() && self.held.is_none() {
            // An idle connection keeps no buffer for a past burst of pings.
            self.unsent = VecDeque::new();
        }
    }
}
