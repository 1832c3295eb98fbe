//! Reading server-sent events: the WHATWG "interpreting an event stream"
//! algorithm, fed arbitrary chunks of bytes.

use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

/// The default bound on one event (its data, and a line being read):
/// what a single event may make a client hold.
pub const DEFAULT_MAX_EVENT_SIZE: usize = 1 << 20;

/// One dispatched event, as a browser's `MessageEvent` has it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageEvent {
    /// The `event:` field, `message` when the event had none.
    pub event: String,
    /// The `data:` lines, joined with LF.
    pub data: String,
    /// The last event ID the stream set (kept from event to event, as a
    /// reconnecting client sends it in `Last-Event-ID`).
    pub id: String,
}

/// A stream that broke the decoder's bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTooLarge {
    /// The bound, in bytes.
    pub limit: usize,
}

impl fmt::Display for EventTooLarge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an event of more than {} bytes", self.limit)
    }
}

impl std::error::Error for EventTooLarge {}

/// The decoder: bytes in, in any chunks, events out.
///
/// ```
/// use wsdriver::eventsource::Decoder;
///
/// let mut decoder = Decoder::default();
/// decoder.feed(b"\xEF\xBB\xBF: a comment\nevent: tick\nid: 7\nda").unwrap();
/// assert!(decoder.next_event().is_none(), "not dispatched yet");
/// decoder.feed(b"ta: one\r\ndata:two\r\rretry: 3000\n").unwrap();
/// let event = decoder.next_event().unwrap();
/// assert_eq!((event.event.as_str(), event.data.as_str(), event.id.as_str()), ("tick", "one\ntwo", "7"));
/// assert_eq!(decoder.retry(), Some(std::time::Duration::from_millis(3000)));
/// ```
#[derive(Debug)]
pub struct Decoder {
    max_event_size: usize,
    /// The line being read (bytes, since a UTF-8 character may be split
    /// across chunks).
    line: Vec<u8>,
    /// The previous chunk ended in CR: an LF that starts this one belongs
    /// to that line end.
    after_cr: bool,
    /// Whether the first bytes (and a BOM among them) have been seen.
    started: bool,
    data: String,
    event_type: String,
    id_buffer: String,
    last_id: String,
    retry: Option<Duration>,
    events: VecDeque<MessageEvent>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(DEFAULT_MAX_EVENT_SIZE)
    }
}

impl Decoder {
    /// A decoder that refuses events (and lines) over `max_event_size`
    /// bytes.
    pub fn new(max_event_size: usize) -> Self {
        Decoder {
            max_event_size,
            line: Vec::new(),
            after_cr: false,
            started: false,
            data: String::new(),
            event_type: String::new(),
            id_buffer: String::new(),
            last_id: String::new(),
            retry: None,
            events: VecDeque::new(),
        }
    }

    /// A decoder resuming after `last_event_id` (what the client sent in
    /// `Last-Event-ID`), so events carry it until the stream sets another.
    pub fn resuming(max_event_size: usize, last_event_id: &str) -> Self {
        let mut decoder = Decoder::new(max_event_size);
        decoder.id_buffer = last_event_id.to_owned();
        decoder.last_id = last_event_id.to_owned();
        decoder
    }

    /// Reads `bytes`; complete events wait in [`next_event`](Self::next_event).
    ///
    /// # Errors
    /// An event or line over the bound: the stream should be closed (what
    /// was decoded before it stays available).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), EventTooLarge> {
        if self.started {
            return self.read(bytes);
        }
        // One leading BOM is not part of the stream, however it is cut:
        // gather the first three bytes before reading any.
        const BOM: &[u8] = b"\xEF\xBB\xBF";
        let take = (BOM.len() - self.line.len()).min(bytes.len());
        self.line.extend_from_slice(&bytes[..take]);
        if self.line.len() < BOM.len() && BOM.starts_with(&self.line) {
            return Ok(());
        }
        self.started = true;
        let head = std::mem::take(&mut self.line);
        self.read(head.strip_prefix(BOM).unwrap_or(&head))?;
        self.read(&bytes[take..])
    }

    /// Splits lines on CRLF, LF and CR (a CR that ends a chunk may have
    /// its LF in the next).
    fn read(&mut self, mut bytes: &[u8]) -> Result<(), EventTooLarge> {
        if self.after_cr && !bytes.is_empty() {
            if bytes[0] == b'\n' {
                bytes = &bytes[1..];
            }
            self.after_cr = false;
        }
        while let Some(end) = bytes.iter().position(|&b| b == b'\r' || b == b'\n') {
            self.line.extend_from_slice(&bytes[..end]);
            // The same bound whether the line ended in this chunk or the
            // next: where a stream is cut must not change what it means.
            self.check_size()?;
            let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
            if bytes[end] == b'\r' && end + 1 == bytes.len() {
                self.after_cr = true;
            }
            bytes = &bytes[end + if crlf { 2 } else { 1 }..];
            let line = std::mem::take(&mut self.line);
            self.line_ended(&line)?;
        }
        self.line.extend_from_slice(bytes);
        self.check_size()
    }

    /// The line being read and the event's data so far fit the bound.
    fn check_size(&self) -> Result<(), EventTooLarge> {
        if self.line.len() + self.data.len() > self.max_event_size {
            return Err(EventTooLarge {
                limit: self.max_event_size,
            });
        }
        Ok(())
    }

    /// The next complete event, in order.
    pub fn next_event(&mut self) -> Option<MessageEvent> {
        self.events.pop_front()
    }

    /// Whether complete events wait in [`next_event`](Self::next_event).
    pub fn has_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// The reconnection time the stream asked for last, if any.
    pub fn retry(&self) -> Option<Duration> {
        self.retry
    }

    /// The last event ID: what a reconnecting client sends.
    pub fn last_event_id(&self) -> &str {
        &self.last_id
    }

    /// The stream ended: an event it had not finished is discarded, as
    /// the WHATWG algorithm says.
    pub fn finish(&mut self) {
        self.line.clear();
        self.data.clear();
        self.event_type.clear();
        self.after_cr = false;
    }

    fn line_ended(&mut self, line: &[u8]) -> Result<(), EventTooLarge> {
        let line = String::from_utf8_lossy(line);
        if line.is_empty() {
            self.dispatch();
            return Ok(());
        }
        if line.starts_with(':') {
            return Ok(());
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (&*line, ""),
        };
        match field {
            "event" => self.event_type = value.to_owned(),
            "data" => {
                if self.data.len() + value.len() + 1 > self.max_event_size {
                    return Err(EventTooLarge {
                        limit: self.max_event_size,
                    });
                }
                self.data.push_str(value);
                self.data.push('\n');
            }
            "id" if !value.contains('\0') => self.id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                if let Ok(millis) = value.parse() {
                    self.retry = Some(Duration::from_millis(millis));
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn dispatch(&mut self) {
        self.last_id.clone_from(&self.id_buffer);
        if self.data.is_empty() {
            self.event_type.clear();
            return;
        }
        let mut data = std::mem::take(&mut self.data);
        data.pop(); // the LF after the last line
        let event = match std::mem::take(&mut self.event_type) {
            name if name.is_empty() => "message".to_owned(),
            name => name,
        };
        self.events.push_back(MessageEvent {
            event,
            data,
            id: self.last_id.clone(),
        });
    }
}
