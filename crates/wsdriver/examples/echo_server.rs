//! A WebSocket echo server on plain `std::net`, a thread per connection:
//! the smallest real use of the sans-IO driver.
//!
//! `cargo run --release --example echo_server 127.0.0.1:9001`

mod common;

use std::net::{TcpListener, TcpStream};
use wsdriver::{is_websocket, Driver, Event, Options};

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".into());
    let listener = TcpListener::bind(&addr)?;
    eprintln!("echo_server listening on ws://{}", listener.local_addr()?);
    for stream in listener.incoming() {
        let stream = stream?;
        std::thread::spawn(move || {
            if let Err(error) = serve(stream) {
                eprintln!("connection error: {error}");
            }
        });
    }
    Ok(())
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    let mut driver = Driver::server(Options::default()).expect("default options are valid");
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
