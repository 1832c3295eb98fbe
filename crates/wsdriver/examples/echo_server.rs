//! A WebSocket echo server on plain `std::net`, a thread per connection:
//! the smallest real use of the sans-IO driver.
//!
//! `cargo run --release --example echo_server 127.0.0.1:9001 [--allow-drafts] [--deflate]`
//!
//! `--allow-drafts` also serves the legacy hixie-75/76 drafts; `--deflate`
//! accepts permessage-deflate and compresses every message (threshold 0,
//! so that test suites see compression on every message they send).

mod common;

use std::net::{TcpListener, TcpStream};
use wsdriver::{is_websocket, Driver, Event, Options};
use wsdriver_deflate::{DeflateConfig, PerMessageDeflate};

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut options = Options::default();
    let mut deflate = false;
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--allow-drafts" => options = options.allow_drafts(true),
            "--deflate" => deflate = true,
            flag if flag.starts_with("--") => {
                eprintln!("usage: echo_server [ADDR] [--allow-drafts] [--deflate]");
                std::process::exit(2);
            }
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo_server listening on ws://{}", listener.local_addr()?);
    loop {
        let stream = common::accept(&listener);
        let options = options.clone();
        std::thread::spawn(move || {
            if let Err(error) = serve(stream, options, deflate) {
                eprintln!("connection error: {error}");
            }
        });
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
