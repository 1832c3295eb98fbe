//! The scenarios of issue 14: how many connections, what message, and how
//! many messages each measurement sends.

/// What a scenario's message holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payload {
    /// Binary, bytes 0..=255 over and over.
    Binary,
    /// ASCII text.
    Ascii,
    /// Text of 1- to 4-byte UTF-8 sequences.
    MultiByte,
    /// JSON-like text, for permessage-deflate.
    Json,
}

/// One scenario.
#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    /// Its name on the command line (`--scenario 20b`).
    pub name: &'static str,
    /// Its label in the tables.
    pub label: &'static str,
    /// Connections, each with one message in flight.
    pub connections: usize,
    /// Bytes per message.
    pub size: usize,
    /// What the message holds.
    pub payload: Payload,
    /// Negotiate permessage-deflate (only servers that offer it run).
    pub deflate: bool,
    /// Messages of the short and the long instructions run: the difference
    /// is what is divided.
    pub instruction_runs: (u64, u64),
    /// Messages of a timed run (and of the perf run).
    pub timed_messages: u64,
}

impl Scenario {
    /// Whether the message is text.
    pub fn is_text(&self) -> bool {
        self.payload != Payload::Binary
    }

    /// The messages a run asked for `messages` really sends: a multiple
    /// of the connections.
    pub fn sent(&self, messages: u64) -> u64 {
        let connections = self.connections as u64;
        messages.div_ceil(connections).max(1) * connections
    }

    /// The message's bytes.
    pub fn payload_bytes(&self) -> Vec<u8> {
        payload(self.payload, self.size)
    }
}

const KIB: usize = 1024;
const MIB: usize = 1024 * 1024;

/// Every scenario, in the order of the tables.
pub const ALL: &[Scenario] = &[
    Scenario {
        name: "20b",
        label: "100 x 20 B text",
        connections: 100,
        size: 20,
        payload: Payload::Ascii,
        deflate: false,
        instruction_runs: (2_000, 12_000),
        timed_messages: 100_000,
    },
    Scenario {
        name: "1k",
        label: "10 x 1 KiB text",
        connections: 10,
        size: KIB,
        payload: Payload::Ascii,
        deflate: false,
        instruction_runs: (2_000, 12_000),
        timed_messages: 100_000,
    },
    Scenario {
        name: "16k",
        label: "10 x 16 KiB binary",
        connections: 10,
        size: 16 * KIB,
        payload: Payload::Binary,
        deflate: false,
        instruction_runs: (1_000, 6_000),
        timed_messages: 50_000,
    },
    Scenario {
        name: "200x16k",
        label: "200 x 16 KiB binary",
        connections: 200,
        size: 16 * KIB,
        payload: Payload::Binary,
        deflate: false,
        instruction_runs: (2_000, 8_000),
        timed_messages: 50_000,
    },
    Scenario {
        name: "1m",
        label: "10 x 1 MiB binary",
        connections: 10,
        size: MIB,
        payload: Payload::Binary,
        deflate: false,
        instruction_runs: (50, 250),
        timed_messages: 1_000,
    },
    Scenario {
        name: "1m-utf8",
        label: "10 x 1 MiB multi-byte UTF-8 text",
        connections: 10,
        size: MIB,
        payload: Payload::MultiByte,
        deflate: false,
        instruction_runs: (50, 250),
        timed_messages: 1_000,
    },
    Scenario {
        name: "deflate-16k",
        label: "deflate 10 x 16 KiB JSON-like text",
        connections: 10,
        size: 16 * KIB,
        payload: Payload::Json,
        deflate: true,
        instruction_runs: (200, 1_000),
        timed_messages: 10_000,
    },
];

/// The scenario called `name`.
pub fn find(name: &str) -> Option<&'static Scenario> {
    ALL.iter().find(|s| s.name == name)
}

/// `size` bytes of `kind`; text is valid UTF-8 of exactly that length.
pub fn payload(kind: Payload, size: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(size + 64);
    match kind {
        Payload::Binary => out.extend((0..size).map(|i| i as u8)),
        Payload::Ascii => out.extend((0..size).map(|i| b'a' + (i % 26) as u8)),
        Payload::MultiByte => {
            while out.len() < size {
                out.extend_from_slice("héllo wörld ✓ €100 𝄞 ".as_bytes());
            }
            truncate_to_char(&mut out, size);
        }
        Payload::Json => {
            let mut id = 0u32;
            out.push(b'[');
            while out.len() < size {
                let record = format!(
                    r#"{{"id":{id},"user":"user{}","active":{},"score":{}.{},"tags":["ws","bench","t{}"]}},"#,
                    id * 7919 % 1000,
                    id.is_multiple_of(3),
                    id * 31 % 100,
                    id % 10,
                    id % 5
                );
                out.extend_from_slice(record.as_bytes());
                id += 1;
            }
            truncate_to_char(&mut out, size);
        }
    }
    out
}

/// Cuts `bytes` to `size`, then pads with spaces back to it, so that no
/// UTF-8 sequence is cut in two.
fn truncate_to_char(bytes: &mut Vec<u8>, size: usize) {
    bytes.truncate(size);
    while std::str::from_utf8(bytes).is_err() {
        bytes.pop();
    }
    bytes.resize(size, b' ');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_payload_has_its_size_and_text_is_utf8() {
        for scenario in ALL {
            let bytes = scenario.payload_bytes();
            assert_eq!(bytes.len(), scenario.size, "{}", scenario.name);
            if scenario.is_text() {
                assert!(std::str::from_utf8(&bytes).is_ok(), "{}", scenario.name);
            }
        }
        let text = payload(Payload::MultiByte, 1000);
        assert!(text.iter().any(|&b| b >= 0xf0), "4-byte sequences");
    }
}
