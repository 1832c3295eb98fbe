//! `wscat --sse URL`: print the events of an EventSource stream (the
//! library's client reconnects by itself, sending the last event ID)
//! until it ends, fails, or Ctrl+C.

use crate::args::Args;
use crate::client::Ending;
use crate::connect_options::{seconds, tls_options};
use crate::errors::describe;
use crate::output::Output;
use futures_util::StreamExt;
use wsdriver_tokio::{EventSource, EventSourceOptions, ProxyOptions};

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
            event = events.next() => event,
            _ = tokio::signal::ctrl_c() => return Ending::Clean,
        };
        match event {
            Some(Ok(event)) => output.event(&event.event, &event.id, &event.data),
            Some(Err(error)) => {
                output.error(&describe(&error, url));
                return Ending::Failed;
            }
            // 204 No Content: the server says there is nothing to read.
            None => return Ending::Clean,
        }
    }
}

/// -H, --ca/--cert/--key/-n, --proxy and --timeout, as for a WebSocket.
fn options(args: &Args) -> Result<EventSourceOptions, String> {
    let mut options = EventSourceOptions::default()
        .tls(tls_options(args)?)
        .connect_timeout(Some(seconds(args.timeout, "--timeout")?));
    for header in &args.headers {
        let (name, value) = crate::connect_options::split_header(header)?;
        options = options.header(name, value);
    }
    if let Some(proxy) = &args.proxy {
        options = options.proxy(ProxyOptions::new(crate::connect_options::with_http_scheme(
            proxy,
        )));
    }
    Ok(options)
}
