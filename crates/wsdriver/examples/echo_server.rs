//! A WebSocket echo server on plain `std::net`, a thread per connection:
//! the smallest real use of the sans-IO driver.
//!
//! `cargo run --release --example echo_server 127.0.0.1:9001 [--allow-drafts]`
//!
//! `--allow-drafts` also serves the legacy hixie-75/76 drafts.

mod common;

use std::net::{TcpListener, TcpStream};
use wsdriver::{is_websocket, Driver, Event, Options};

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut options = Options::default();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--allow-drafts" => options = options.allow_drafts(true),
            flag if flag.starts_with("--") => {
                eprintln!("usage: echo_server [ADDR] [--allow-drafts]");
                std::process::exit(2);
            }
            _ => addr = arg,
        }
    }
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo_server listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        let options = options.clone();
        std::thread::spawn(move || {
            if let Err(error) = serve(stream, options) {
                eprintln!("connection error: {error}");
            }
        });
    }
    Ok(())
}

fn serve(stream: TcpStream, options: Options) -> std::io::Result<()> {
    let mut driver = Driver::server(options).expect("the options are valid");
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
