//! What an idle server connection costs on the heap: accepts N WebSocket
//! connections (opened by plain blocking sockets, which allocate nothing),
//! waits until they are all open and idle, and prints heap bytes per
//! connection, counted by a wrapping allocator. Kernel socket buffers are
//! not included.
//!
//! `cargo run --release -p wsdriver-tokio --example idle_memory [N]`

use futures_util::StreamExt;
use std::alloc::{GlobalAlloc, Layout, System};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use wsdriver_tokio::{accept, accept_tcp, ServerOptions};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call forwards to the system allocator unchanged; the
// counter only observes sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        CURRENT.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded as received.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .map_or(1000, |n| n.parse().expect("a number"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let addr = listener.local_addr().unwrap();
    let (opened_tx, opened_rx) = std::sync::mpsc::channel();
    runtime.spawn(async move {
        loop {
            let (stream, _) = accept_tcp(&listener, |e| eprintln!("accept failed: {e}")).await;
            let opened = opened_tx.clone();
            tokio::spawn(async move {
                let mut socket = accept(stream, ServerOptions::default()).await.unwrap();
                opened.send(()).unwrap();
                while let Some(Ok(_)) = socket.next().await {}
            });
        }
    });
    let settle = || std::thread::sleep(std::time::Duration::from_millis(300));
    settle();
    let baseline = CURRENT.load(Ordering::Relaxed);
    let thread = std::thread::spawn(move || {
        let mut clients = Vec::with_capacity(count);
        for _ in 0..count {
            let mut client = std::net::TcpStream::connect(addr).unwrap();
            client.write_all(REQUEST).unwrap();
            let mut response = [0u8; 512];
            let mut len = 0;
            while !response[..len].ends_with(b"\r\n\r\n") {
                len += client.read(&mut response[len..]).unwrap();
            }
            clients.push(client);
        }
        clients
    });
    let clients = thread.join().unwrap();
    for _ in 0..count {
        opened_rx.recv().unwrap();
    }
    settle();
    let idle = CURRENT.load(Ordering::Relaxed);
    println!(
        "{count} idle connections: {} bytes of heap each (server side, tokio task included)",
        (idle - baseline) / count
    );
    drop(clients);
}
