//! Writing server-sent events: the lines of the WHATWG stream format.

use std::time::Duration;

/// Appends one event: `event:` when named, `id:` when given, one `data:`
/// line per line of `data` (split on CR, LF and CRLF, which the format
/// cannot carry inside a line), and the blank line that dispatches it.
///
/// An `id` or `event` containing a line break would end its line early and
/// change what the client reads; they are cut at the first break.
pub fn write_event(out: &mut Vec<u8>, event: Option<&str>, data: &str, id: Option<&str>) {
    if let Some(event) = event {
        field(out, "event", first_line(event));
    }
    if let Some(id) = id {
        field(out, "id", first_line(id));
    }
    for line in lines(data) {
        field(out, "data", line);
    }
    out.push(b'\n');
}

/// Appends a `retry:` line: how long the client waits before it
/// reconnects.
pub fn write_retry(out: &mut Vec<u8>, after: Duration) {
    field(out, "retry", &after.as_millis().to_string());
    out.push(b'\n');
}

/// Appends a comment line, which clients ignore: a keepalive that stops
/// proxies from closing an idle stream (faye-websocket sends `:\n`).
pub fn write_comment(out: &mut Vec<u8>, text: &str) {
    out.push(b':');
    if !text.is_empty() {
        out.push(b' ');
        out.extend_from_slice(first_line(text).as_bytes());
    }
    out.push(b'\n');
}

fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b": ");
    out.extend_from_slice(value.as_bytes());
    out.push(b'\n');
}

fn first_line(text: &str) -> &str {
    text.split(['\r', '\n']).next().unwrap_or("")
}

/// The lines of `text`, split on CRLF, LF and CR; an empty text is one
/// empty line (an event whose data is empty).
fn lines(text: &str) -> impl Iterator<Item = &str> {
    let mut rest = Some(text);
    std::iter::from_fn(move || {
        let text = rest?;
        match text.find(['\r', '\n']) {
            Some(at) => {
                let skip = if text[at..].starts_with("\r\n") { 2 } else { 1 };
                rest = Some(&text[at + skip..]);
                Some(&text[..at])
            }
            None => {
                rest = None;
                Some(text)
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(event: Option<&str>, data: &str, id: Option<&str>) -> String {
        let mut out = Vec::new();
        write_event(&mut out, event, data, id);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn each_line_break_starts_a_data_line() {
        assert_eq!(event(None, "hello", None), "data: hello\n\n");
        assert_eq!(
            event(None, "a\nb\r\nc\rd", None),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        assert_eq!(event(None, "", None), "data: \n\n");
        assert_eq!(event(None, "end\n", None), "data: end\ndata: \n\n");
    }

    #[test]
    fn names_and_ids_come_first_and_cannot_break_lines() {
        assert_eq!(
            event(Some("tick"), "1", Some("42")),
            "event: tick\nid: 42\ndata: 1\n\n"
        );
        assert_eq!(
            event(Some("a\nevent: evil"), "x", Some("7\rdata: evil")),
            "event: a\nid: 7\ndata: x\n\n"
        );
    }

    #[test]
    fn retry_and_comments() {
        let mut out = Vec::new();
        write_retry(&mut out, Duration::from_secs(5));
        write_comment(&mut out, "");
        write_comment(&mut out, "still here\nsneaky");
        assert_eq!(out, b"retry: 5000\n\n:\n: still here\n");
    }
}
