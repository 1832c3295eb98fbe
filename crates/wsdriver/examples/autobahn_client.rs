//! Runs the Autobahn TestSuite's client cases against this driver: ask the
//! fuzzing server how many cases there are, echo every message of each
//! case, then ask it to write its reports.
//!
//! `cargo run --release --example autobahn_client ws://127.0.0.1:9001 wsdriver`

mod common;

use std::net::TcpStream;
use wsdriver::{Driver, Event, Message, Options};

fn main() {
    let mut args = std::env::args().skip(1);
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or_else(|| "wsdriver".into());
    let base = base.trim_end_matches('/');

    let mut count = None;
    connect(&format!("{base}/getCaseCount"), |_, event| {
        if let Event::Message(Message::Text(text)) = event {
            count = text.trim().parse::<u32>().ok();
        }
    });
    let count = count.expect("the fuzzing server sent a case count");
    eprintln!("running {count} cases as {agent}");
    for case in 1..=count {
        connect(
            &format!("{base}/runCase?case={case}&agent={agent}"),
            |driver, event| {
                if let Event::Message(message) = event {
                    let _ = driver.send(message);
                }
            },
        );
    }
    connect(&format!("{base}/updateReports?agent={agent}"), |_, _| {});
    eprintln!("done");
}

fn connect(url: &str, on_event: impl FnMut(&mut Driver, Event)) {
    let mut driver = Driver::client(url, Options::default()).expect("valid URL");
    let target = driver.url().expect("clients have a URL");
    let addr = format!(
        "{}:{}",
        target.host_str().unwrap_or("127.0.0.1"),
        target.port_or_known_default().unwrap_or(80)
    );
    let stream = match TcpStream::connect(&addr) {
        Ok(stream) => stream,
        Err(error) => {
            eprintln!("{url}: {error}");
            return;
        }
    };
    driver.start();
    if let Err(error) = common::run(stream, &mut driver, on_event) {
        eprintln!("{url}: {error}");
    }
}
