//! Runs the Autobahn TestSuite's client cases against this driver: ask the
//! fuzzing server how many cases there are, echo every message of each
//! case, then ask it to write its reports.
//!
//! `cargo run --release --example autobahn_client ws://127.0.0.1:9001 wsdriver [--deflate]`
//!
//! With `--deflate` every case connection offers permessage-deflate twice:
//! with context takeover, then without it, so that a server wanting either
//! finds an offer it accepts (Autobahn's 13.x cases want each in turn).

mod common;

use std::net::TcpStream;
use wsdriver::{Driver, Event, Message, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

fn main() {
    let (flags, args): (Vec<String>, Vec<String>) =
        std::env::args().skip(1).partition(|a| a.starts_with("--"));
    let deflate = flags.iter().any(|f| f == "--deflate");
    let mut args = args.into_iter();
    let base = args.next().unwrap_or_else(|| "ws://127.0.0.1:9001".into());
    let agent = args.next().unwrap_or_else(|| "wsdriver".into());
    let base = base.trim_end_matches('/');

    let mut count = None;
    connect(&format!("{base}/getCaseCount"), false, |_, event| {
        if let Event::Message(Message::Text(text)) = event {
            count = text.trim().parse::<u32>().ok();
        }
    });
    let count = count.expect("the fuzzing server sent a case count");
    eprintln!("running {count} cases as {agent}");
    for case in 1..=count {
        let url = format!("{base}/runCase?case={case}&agent={agent}");
        connect(&url, deflate, |driver, event| {
            if let Event::Message(message) = event {
                let _ = driver.send(message);
            }
        });
    }
    connect(
        &format!("{base}/updateReports?agent={agent}"),
        false,
        |_, _| {},
    );
    eprintln!("done");
}

fn connect(url: &str, deflate: bool, on_event: impl FnMut(&mut Driver, Event)) {
    let mut driver = Driver::client(url, Options::default()).expect("valid URL");
    if deflate {
        let takeover = DeflateConfig::default().threshold(0);
        let extension = PerMessageDeflate::new(takeover.clone())
            .and_then(|d| d.or_offer(takeover.no_context_takeover(true)))
            .expect("valid deflate options");
        driver.add_extension(extension).expect("added before start");
    }
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
