//! `wscat --sse URL`: print the events of an EventSource stream (the
//! library's client reconnects by itself, sending the last event ID, and
//! waits longer while attempts keep failing) until it ends, fails, or
//! Ctrl+C. Each reconnection is said, with why and how long it waits.

use crate::args::Args;
use crate::client::Ending;
use crate::errors::describe;
use crate::output::Output;
use std::time::Duration;
use wsdriver_tokio::core::eventsource::SourceEvent;
use wsdriver_tokio::{EventSource, EventSourceOptions};

/// How many attempts in a row may fail (refused, cut off, no event)
/// before wscat gives up, without --retry-forever.
pub const MAX_FAILED_ATTEMPTS: u32 = 5;

/// The wait before reconnecting until the server sends `retry:` (the
/// library's 3 s is long for a person watching; the core doubles it while
/// attempts fail).
const RECONNECTION_TIME: Duration = Duration::from_secs(1);

pub async fn run(args: &Args, url: &str, output: &Output) -> Ending {
    let options = match options(args) {
        Ok(options) => options,
        Err(message) => {
            output.error(&message);
            return Ending::Failed;
        }
    };
    let mut events = match EventSource::connect(url, options) {
        Ok(events) => events,
        Err(error) => {
            output.error(&describe(&error, url));
            return Ending::Failed;
        }
    };
    output.status("Reading events (press CTRL+C to quit)");
    loop {
        let event = tokio::select! {
            event = events.next_event() => event,
            _ = tokio::signal::ctrl_c() => return Ending::Clean,
        };
        match event {
            Some(Ok(SourceEvent::Message(event))) => {
                output.event(&event.event, &event.id, &event.data);
            }
            Some(Ok(SourceEvent::Reconnecting { after, cause })) => {
                let after = duration(after);
                match events.failed_attempts() {
                    // The stream gave events before it ended: as usual.
                    0 => output.notice(&format!("Reconnecting in {after}: {cause}")),
                    failed => {
                        let of = if args.retry_forever {
                            String::new()
                        } else {
                            format!(" of {MAX_FAILED_ATTEMPTS}")
                        };
                        output.error(&format!(
                            "attempt {failed}{of} failed: {cause}; reconnecting in {after}"
                        ));
                    }
                }
            }
            Some(Ok(_)) => {}
            Some(Err(error)) => {
                output.error(&describe(&error, url));
                return Ending::Failed;
            }
            // 204 No Content: the server says there is nothing to read.
            None => return Ending::Clean,
        }
    }
}

/// -H, --ca/--cert/--key/-n, --proxy and --timeout, as for a WebSocket;
/// --retry-forever.
fn options(args: &Args) -> Result<EventSourceOptions, String> {
    let mut options = EventSourceOptions::default()
        .reconnection_time(RECONNECTION_TIME)
        .max_failed_attempts((!args.retry_forever).then_some(MAX_FAILED_ATTEMPTS))
        .transport(crate::connect_options::transport(args)?);
    // One value a name, the last -H given.
    let mut headers = Vec::new();
    for header in &args.headers {
        let (name, value) = crate::connect_options::split_header(header)?;
        crate::connect_options::set_header(&mut headers, name, value.to_owned());
    }
    for (name, value) in headers {
        options = options.header(name, value);
    }
    Ok(options)
}

/// A delay as a person reads it: `250 ms`, `1 s`, `1.5 s`.
fn duration(delay: Duration) -> String {
    if delay < Duration::from_secs(1) {
        format!("{} ms", delay.as_millis())
    } else {
        let seconds = format!("{:.1}", delay.as_secs_f64());
        format!("{} s", seconds.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use super::duration;
    use std::time::Duration;

    #[test]
    fn delays_read_as_a_person_says_them() {
        assert_eq!(duration(Duration::from_millis(250)), "250 ms");
        assert_eq!(duration(Duration::from_secs(1)), "1 s");
        assert_eq!(duration(Duration::from_millis(1500)), "1.5 s");
        assert_eq!(duration(Duration::from_secs(30)), "30 s");
    }
}
