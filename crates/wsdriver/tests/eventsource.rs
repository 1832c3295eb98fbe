//! Server-sent events against the WHATWG "interpreting an event stream"
//! rules: line ends, comments, fields, the BOM, `retry`, ids, dispatch,
//! the end of the stream, chunking at every byte, and the bound.

use proptest::prelude::*;
use std::time::Duration;
use wsdriver::eventsource::{
    is_event_source, last_event_id, response_head, write_comment, write_event, write_retry,
    Decoder, MessageEvent,
};
use wsdriver::http_types::Request;

fn decode(bytes: &[u8]) -> Vec<(String, String, String)> {
    let mut decoder = Decoder::default();
    decoder.feed(bytes).unwrap();
    events(&mut decoder)
}

fn events(decoder: &mut Decoder) -> Vec<(String, String, String)> {
    std::iter::from_fn(|| decoder.next_event())
        .map(
            |MessageEvent {
                 event, data, id, ..
             }| (event, data, id),
        )
        .collect()
}

fn e(event: &str, data: &str, id: &str) -> (String, String, String) {
    (event.into(), data.into(), id.into())
}

#[test]
fn lf_crlf_and_cr_all_end_lines() {
    for stream in [
        &b"data: a\ndata: b\n\n"[..],
        b"data: a\r\ndata: b\r\n\r\n",
        b"data: a\rdata: b\r\r",
        b"data: a\r\ndata: b\r\r\n",
    ] {
        assert_eq!(decode(stream), [e("message", "a\nb", "")], "{stream:?}");
    }
}

#[test]
fn comments_fields_without_colons_and_one_leading_space() {
    let stream = b": comment\n:\ndata\ndata:  two spaces\ndata:no space\nevent\n\n";
    // `data` alone is an empty line of data; only one leading space goes.
    assert_eq!(
        decode(stream),
        [e("message", "\n two spaces\nno space", "")]
    );
    // Unknown fields are ignored; an empty `event` is `message`.
    assert_eq!(
        decode(b"foo: bar\nevent:\ndata: x\n\n"),
        [e("message", "x", "")]
    );
}

#[test]
fn a_leading_bom_is_dropped_once_however_it_is_cut() {
    let stream = b"\xEF\xBB\xBFdata: x\n\n";
    for cut in 0..stream.len() {
        let mut decoder = Decoder::default();
        decoder.feed(&stream[..cut]).unwrap();
        decoder.feed(&stream[cut..]).unwrap();
        assert_eq!(
            events(&mut decoder),
            [e("message", "x", "")],
            "cut at {cut}"
        );
    }
    // A second BOM is data (a field name that is not `data`).
    assert_eq!(decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: x\n\n"), []);
}

#[test]
fn retry_only_when_all_digits() {
    let mut decoder = Decoder::default();
    decoder.feed(b"retry: 1500\n").unwrap();
    assert_eq!(decoder.retry(), Some(Duration::from_millis(1500)));
    for bad in [
        &b"retry: 15s\n"[..],
        b"retry: -1\n",
        b"retry:\n",
        b"retry: 1 5\n",
    ] {
        decoder.feed(bad).unwrap();
        assert_eq!(
            decoder.retry(),
            Some(Duration::from_millis(1500)),
            "{bad:?}"
        );
    }
}

#[test]
fn ids_persist_may_hold_spaces_and_ignore_nul() {
    let stream = b"id: a b\ndata: 1\n\ndata: 2\n\nid: x\0y\ndata: 3\n\nid\ndata: 4\n\n";
    assert_eq!(
        decode(stream),
        [
            e("message", "1", "a b"),
            e("message", "2", "a b"),
            e("message", "3", "a b"),
            e("message", "4", ""),
        ]
    );
    // An id with no data still sets the last event ID.
    let mut decoder = Decoder::default();
    decoder.feed(b"id: 9\n\n").unwrap();
    assert_eq!(events(&mut decoder), []);
    assert_eq!(decoder.last_event_id(), "9");
}

#[test]
fn a_blank_line_without_data_dispatches_nothing_and_resets_the_type() {
    assert_eq!(decode(b"event: x\n\ndata: y\n\n"), [e("message", "y", "")]);
}

#[test]
fn an_unfinished_event_is_dropped_at_the_end_of_the_stream() {
    let mut decoder = Decoder::default();
    decoder.feed(b"data: whole\n\ndata: half\n").unwrap();
    decoder.finish();
    decoder.feed(b"\n").unwrap();
    assert_eq!(events(&mut decoder), [e("message", "whole", "")]);
}

#[test]
fn a_resumed_decoder_carries_the_last_id() {
    let mut decoder = Decoder::resuming(1024, "41");
    decoder.feed(b"data: again\n\n").unwrap();
    assert_eq!(events(&mut decoder), [e("message", "again", "41")]);
}

#[test]
fn events_and_lines_are_bounded() {
    let mut decoder = Decoder::new(64);
    assert!(decoder.feed(&[b'x'; 65]).is_err(), "a line that never ends");
    let mut decoder = Decoder::new(64);
    let mut stream = Vec::new();
    for _ in 0..10 {
        stream.extend_from_slice(b"data: 0123456789\n");
    }
    assert!(decoder.feed(&stream).is_err(), "data lines that add up");
    let mut decoder = Decoder::new(64);
    decoder.feed(b"data: fits\n\n").unwrap();
    assert_eq!(events(&mut decoder).len(), 1);
}

/// Found by the `eventsource_decoder` fuzz target: a line over the bound
/// was refused when a chunk ended inside it, but read (as a field without
/// a colon) when it ended in the same chunk.
#[test]
fn a_long_line_is_refused_however_the_stream_is_cut() {
    let mut line = vec![b'y'; 65];
    line.extend_from_slice(b"\ndata: after\n\n");
    let mut whole = Decoder::new(64);
    assert!(whole.feed(&line).is_err(), "ended in the same chunk");
    assert!(events(&mut whole).is_empty());
    let mut cut = Decoder::new(64);
    assert!(cut.feed(&line[..65]).is_err(), "ended in the next chunk");
}

#[test]
fn what_the_encoder_writes_the_decoder_reads() {
    let mut stream = Vec::new();
    write_retry(&mut stream, Duration::from_secs(5));
    write_comment(&mut stream, "keepalive");
    write_event(
        &mut stream,
        Some("chat"),
        "line one\r\nline two\rthree",
        Some("1"),
    );
    write_event(&mut stream, None, "", None);
    let mut decoder = Decoder::default();
    decoder.feed(&stream).unwrap();
    assert_eq!(decoder.retry(), Some(Duration::from_secs(5)));
    assert_eq!(
        events(&mut decoder),
        [
            e("chat", "line one\nline two\nthree", "1"),
            e("message", "", "1"),
        ]
    );
}

proptest! {
    #[test]
    fn chunking_at_every_byte_changes_nothing(
        cuts in proptest::collection::vec(0usize..200, 0..8),
        crlf in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let text = format!(
            "\u{feff}: hi{end}event: tick{end}id: 7{end}data: é{end}data:x{end}{end}retry: 10{end}data: z{end}{end}"
        );
        let stream = text.as_bytes();
        let whole = decode(stream);
        let mut cuts: Vec<usize> = cuts.into_iter().map(|c| c % (stream.len() + 1)).collect();
        cuts.sort_unstable();
        let mut decoder = Decoder::default();
        let mut last = 0;
        for cut in cuts.into_iter().chain([stream.len()]) {
            decoder.feed(&stream[last..cut]).unwrap();
            last = cut;
        }
        prop_assert_eq!(events(&mut decoder), whole.clone());
        prop_assert_eq!(whole, vec![e("tick", "é\nx", "7"), e("message", "z", "7")]);
    }
}

#[test]
fn what_a_server_reads_and_answers() {
    let request =
        |accept: &str, uri: &str| Request::get(uri).header("accept", accept).body(()).unwrap();
    assert!(is_event_source(&request("text/event-stream", "/events")));
    assert!(is_event_source(&request(
        "text/html, text/event-stream;q=0.9",
        "/"
    )));
    assert!(!is_event_source(&request("text/html", "/")));
    let post = Request::post("/")
        .header("accept", "text/event-stream")
        .body(())
        .unwrap();
    assert!(!is_event_source(&post));

    let resume = Request::get("/events?lastEventId=12%2034")
        .body(())
        .unwrap();
    assert_eq!(last_event_id(&resume).as_deref(), Some("12 34"));
    let header = Request::get("/events?lastEventId=1")
        .header("last-event-id", "99")
        .body(())
        .unwrap();
    assert_eq!(
        last_event_id(&header).as_deref(),
        Some("99"),
        "the header wins"
    );
    assert_eq!(last_event_id(&request("text/event-stream", "/")), None);

    let head = response_head([("Access-Control-Allow-Origin", "*")]);
    assert_eq!(
        String::from_utf8(head.to_bytes()).unwrap(),
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\
         Cache-Control: no-cache, no-store\r\nAccess-Control-Allow-Origin: *\r\n\r\n"
    );
}
