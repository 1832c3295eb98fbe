//! Where everything wscat shows goes, and how it looks: above the prompt
//! (through the line editor's printer, so a line being typed is never cut
//! through) or raw on stdout for scripts; coloured only for a terminal.
//! What a peer sent reaches a terminal with its control characters shown
//! escaped (`\x1b`), so a message cannot drive the terminal (set its
//! title, its colours, move the cursor); a pipe or a file gets the bytes
//! as they came.

use std::io::{IsTerminal, Write};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use wsdriver_tokio::Message;

/// The kinds of line, each with its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A message received (blue, as Node wscat).
    Incoming,
    /// Connected, listening, a client came or left (green).
    Status,
    /// A ping or pong received, with -P (blue).
    Control,
    /// A failure, or a close with a code that says one (red).
    Error,
}

impl Kind {
    fn colour(self) -> &'static str {
        match self {
            Kind::Incoming | Kind::Control => "\x1b[34m",
            Kind::Status => "\x1b[32m",
            Kind::Error => "\x1b[31m",
        }
    }
}

/// A line on its way to the editor's printer, or a request to be told
/// once everything before it is on the screen.
pub enum Printed {
    Line(String),
    Flush(mpsc::Sender<()>),
}

/// Shared by every task that shows something; cheap to clone.
#[derive(Clone)]
pub struct Output {
    inner: Arc<Inner>,
}

struct Inner {
    colour: bool,
    /// Show control characters escaped on stdout (a terminal, without
    /// --no-escape).
    escape: bool,
    /// The same for stderr.
    escape_errors: bool,
    binary_as_hex: bool,
    /// Set while the line editor runs: lines go to its printer thread.
    printer: Mutex<Option<mpsc::Sender<Printed>>>,
    /// A terminal session (prompt and status lines) or a script's (raw).
    interactive: bool,
}

impl Output {
    /// `interactive`: a person at a terminal; `no_color`: --no-color;
    /// `binary_as_hex`: --binary; `no_escape`: --no-escape.
    pub fn new(interactive: bool, no_color: bool, binary_as_hex: bool, no_escape: bool) -> Self {
        let colour = !no_color
            && std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
            && std::io::stdout().is_terminal();
        Output {
            inner: Arc::new(Inner {
                colour,
                escape: !no_escape && std::io::stdout().is_terminal(),
                escape_errors: !no_escape && std::io::stderr().is_terminal(),
                binary_as_hex,
                printer: Mutex::new(None),
                interactive,
            }),
        }
    }

    pub fn interactive(&self) -> bool {
        self.inner.interactive
    }

    /// From now on, lines go through the editor's printer thread.
    pub fn use_printer(&self, printer: mpsc::Sender<Printed>) {
        *lock(&self.inner.printer) = Some(printer);
    }

    /// A message received; `from` names the client, on a server.
    pub fn message(&self, message: &Message, from: Option<u64>) {
        if !self.inner.interactive {
            // A script gets the bytes as they came, binary included.
            match message {
                Message::Binary(bytes) if self.inner.binary_as_hex => {
                    self.raw(hex(bytes).as_bytes());
                }
                other => self.raw(other.as_bytes()),
            }
            return;
        }
        let text = self.message_text(message);
        let from = from.map(|id| format!("[#{id}] ")).unwrap_or_default();
        self.line(Kind::Incoming, &format!("< {from}{text}"));
    }

    /// A ping or pong received (with -P), as Node wscat words it.
    pub fn control(&self, what: &str, payload: &[u8], from: Option<u64>) {
        let from = from.map(|id| format!("[#{id}] ")).unwrap_or_default();
        let text = format!(
            "Received {what} (data: {:?})",
            String::from_utf8_lossy(payload)
        );
        if self.inner.interactive {
            self.line(Kind::Control, &format!("< {from}{text}"));
        } else {
            self.raw(format!("{from}{text}").as_bytes());
        }
    }

    /// An EventSource event: its data for a script (as a message's), with
    /// its type and ID, when it has them, for a person.
    pub fn event(&self, kind: &str, id: &str, data: &str) {
        if !self.inner.interactive {
            self.raw(data.as_bytes());
            return;
        }
        let mut label = String::new();
        if kind != "message" {
            label.push_str(kind);
        }
        if !id.is_empty() {
            if !label.is_empty() {
                label.push(' ');
            }
            label.push('#');
            label.push_str(id);
        }
        let label = if label.is_empty() {
            label
        } else {
            format!("[{label}] ")
        };
        self.line(Kind::Incoming, &format!("< {label}{data}"));
    }

    /// A status line for a person (Connected, Listening...); scripts
    /// see none.
    pub fn status(&self, text: &str) {
        if self.inner.interactive {
            self.line(Kind::Status, text);
        }
    }

    /// Something a person and a script should both know that is not a
    /// failure (an EventSource reconnecting): a status line above the
    /// prompt, or a line on stderr.
    pub fn notice(&self, text: &str) {
        if self.inner.interactive {
            self.line(Kind::Status, text);
        } else if self.inner.escape_errors {
            eprintln!("{}", escape(text.as_bytes()));
        } else {
            eprintln!("{text}");
        }
    }

    /// An error: red above the prompt, or `error: ` on stderr.
    pub fn error(&self, text: &str) {
        if self.inner.interactive {
            self.line(Kind::Error, &format!("error: {text}"));
        } else {
            let text = if self.inner.escape_errors {
                escape(text.as_bytes())
            } else {
                text.to_owned()
            };
            eprintln!("error: {text}");
        }
    }

    /// How a line looks: coloured or not.
    fn styled(&self, kind: Kind, text: &str) -> String {
        if self.inner.colour {
            format!("{}{text}\x1b[0m", kind.colour())
        } else {
            text.to_owned()
        }
    }

    /// One line for a person: through the printer while the editor runs,
    /// else straight to stdout.
    pub fn line(&self, kind: Kind, text: &str) {
        let escaped;
        let text = if self.inner.escape {
            escaped = escape(text.as_bytes());
            &escaped
        } else {
            text
        };
        let styled = self.styled(kind, text);
        let printer = lock(&self.inner.printer).clone();
        match printer {
            Some(printer) => {
                if printer.send(Printed::Line(styled.clone())).is_err() {
                    println!("{styled}");
                }
            }
            None => println!("{styled}"),
        }
    }

    /// Waits until every line given so far is on the screen (the printer
    /// thread answers once the editor has taken them): before the program
    /// ends, so the last lines are not lost.
    pub fn flush(&self) {
        let printer = lock(&self.inner.printer).clone();
        if let Some(printer) = printer {
            let (done, wait) = mpsc::channel();
            if printer.send(Printed::Flush(done)).is_ok() {
                let _ = wait.recv_timeout(std::time::Duration::from_secs(2));
            }
        }
        let _ = std::io::stdout().flush();
    }

    /// The text of a message for a terminal: hex for binary with
    /// --binary, else its bytes read as UTF-8, bytes that are not shown
    /// as `\xNN` (or replaced, with --no-escape).
    fn message_text(&self, message: &Message) -> String {
        match message {
            Message::Binary(bytes) if self.inner.binary_as_hex => hex(bytes),
            other if self.inner.escape => escape(other.as_bytes()),
            other => String::from_utf8_lossy(other.as_bytes()).into_owned(),
        }
    }

    /// A script's line: the bytes as they are, then a newline; escaped
    /// when stdout is a terminal all the same (`wscat -x`, or stdin piped
    /// from a terminal).
    fn raw(&self, bytes: &[u8]) {
        let mut stdout = std::io::stdout().lock();
        if self.inner.escape {
            let _ = stdout.write_all(escape(bytes).as_bytes());
        } else {
            let _ = stdout.write_all(bytes);
        }
        let _ = stdout.write_all(b"\n");
        let _ = stdout.flush();
    }
}

/// `bytes` as a terminal may show them: control characters (C0 but the
/// line feed and the tab, DEL, C1) escaped as `\r`, `\x1b`, `\u{9b}`,
/// and bytes that are not UTF-8 as `\xNN`, so that nothing in them is
/// read by the terminal as a command. Everything else is kept, line feeds
/// included: a message of several lines still reads as such.
pub fn escape(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\n' | '\t' => out.push(c),
                '\r' => out.push_str("\\r"),
                '\0'..='\x1f' | '\x7f' => {
                    let _ = write!(out, "\\x{:02x}", u32::from(c));
                }
                '\u{80}'..='\u{9f}' => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                _ => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn control_characters_are_shown_escaped() {
        // A title set by OSC 0 (ended by BEL), then SGR red.
        let attack = b"\x1b]0;PWNED-BY-SERVER\x07\x1b[31mred\x1b[0m";
        assert_eq!(
            escape(attack),
            "\\x1b]0;PWNED-BY-SERVER\\x07\\x1b[31mred\\x1b[0m"
        );
        // Line feeds and tabs stay readable; a carriage return (which
        // would let a message overwrite its own line) does not.
        assert_eq!(escape(b"one\ttwo\nthree\rfour"), "one\ttwo\nthree\\rfour");
        assert_eq!(escape(b"\0\x08\x7f"), "\\x00\\x08\\x7f");
        // C1 controls (U+009B is CSI to many terminals) and bytes that are
        // not UTF-8.
        assert_eq!(escape("\u{9b}31m".as_bytes()), "\\u{9b}31m");
        assert_eq!(escape(b"ok\xff\xc3"), "ok\\xff\\xc3");
        // Everything else, as it came.
        assert_eq!(escape("wörld ✓ \\x1b".as_bytes()), "wörld ✓ \\x1b");
    }
}
