//! A WebSocket echo server on plain `std::net`, a thread per connection:
//! the smallest real use of the sans-IO driver.
//!
//! `cargo run --release --example echo_server 127.0.0.1:9001 [--allow-drafts] [--deflate] [--ping SECS] [--idle SECS]`
//!
//! `--allow-drafts` also serves the legacy hixie-75/76 drafts; `--deflate`
//! accepts permessage-deflate and compresses every message (threshold 0,
//! so that test suites see compression on every message they send).
//! `--ping` sends a keepalive ping every SECS seconds and `--idle` drops a
//! client silent for SECS seconds: the driver runs both timers, and the
//! shared loop only sleeps until its next deadline.

mod common;

use std::net::{TcpListener, TcpStream};
use wsdriver::{is_websocket, Driver, Event, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut options = Options::default();
    let mut deflate = false;
    let usage = || -> ! {
        eprintln!(
            "usage: echo_server [ADDR] [--allow-drafts] [--deflate] [--ping SECS] [--idle SECS]"
        );
        std::process::exit(2);
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut seconds = || {
            let secs: u64 = args
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| usage());
            Some(std::time::Duration::from_secs(secs.max(1)))
        };
        match arg.as_str() {
            "--allow-drafts" => options = options.allow_drafts(true),
            "--deflate" => deflate = true,
            "--ping" => options = options.ping_interval(seconds()),
            "--idle" => options = options.idle_timeout(seconds()),
            flag if flag.starts_with("--") => usage(),
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo_server listening on ws://{}", listener.local_addr()?);
    loop {
        let stream = common::accept(&listener);
        let options = options.clone();
        // `thread::spawn` panics when no thread can be made (the process
        // is at its thread, memory or address-space limit), ending the
        // server for every client. Refuse this one and keep serving: the
        // stream closes with the closure that failed to start.
        let spawned = std::thread::Builder::new().spawn(move || {
            if let Err(error) = serve(stream, options, deflate) {
                eprintln!("connection error: {error}");
            }
        });
        if let Err(error) = spawned {
            eprintln!("refused a connection: cannot start a thread: {error}");
            std::thread::sleep(common::ACCEPT_BACKOFF);
        }
    }
}

fn serve(stream: TcpStream, options: Options, deflate: bool) -> std::io::Result<()> {
    let mut driver = Driver::server(options).expect("the options are valid");
    if deflate {
        let config = DeflateConfig::default().threshold(0);
        let extension = PerMessageDeflate::new(config).expect("valid deflate options");
        driver.add_extension(extension).expect("added before start");
    }
    common::run(stream, &mut driver, |driver, event| match event {
        Event::Connect => {
            if driver.request().is_some_and(is_websocket) {
                driver.start();
            } else {
                driver
                    .set_header("Upgrade", "websocket")
                    .expect("valid header");
                driver
                    .reject(
                        426,
                        "This is a WebSocket echo server: connect with a WebSocket client.\n",
                    )
                    .expect("a connected driver can reject");
            }
        }
        Event::Message(message) => {
            // Fails only once closing, when there is no one to echo to.
            let _ = driver.send(message);
        }
        _ => {}
    })
}
