//! The soak (issue 15): wsdriver-tokio's echo server holding many
//! connections on loopback for a while, each echoing messages of random
//! sizes, some of them dropped abruptly (between messages, or before the
//! echo came back) and replaced. Reports the server's memory per
//! connection idle and at its peak, the echo latency percentiles, and
//! fails unless every echo on a connection that stayed came back intact.

use futures_util::StreamExt;
use rand::Rng;
use std::cell::RefCell;
use std::io;
use std::rc::Rc;
use std::time::{Duration, Instant};
use wsdriver_tokio::{connect, ClientOptions, DeflateConfig, Message};

use crate::memory;
use crate::process;
use crate::servers::WSDRIVER;

/// What to run.
#[derive(Debug, Clone, Copy)]
pub struct Soak {
    pub connections: usize,
    pub duration: Duration,
    /// The largest message (sizes are spread evenly over their logarithm,
    /// from 1 byte).
    pub max_size: usize,
    /// Of each 1,000 messages, how many end their connection abruptly.
    pub drops_per_mille: u32,
    /// permessage-deflate on both sides, every message compressed (empty
    /// ones too), with context takeover: a stream that falls out of step
    /// corrupts the echoes after it.
    pub deflate: bool,
}

/// What it saw.
#[derive(Debug, Default)]
pub struct Report {
    pub connections: usize,
    pub seconds: f64,
    pub echoes: u64,
    pub bytes: u64,
    pub dropped: u64,
    /// Echoes that differed from what was sent (must be 0).
    pub corrupt: u64,
    /// Errors on connections the soak did not drop (must be 0).
    pub errors: Vec<String>,
    pub baseline_rss: u64,
    pub idle_rss: u64,
    pub peak_rss: u64,
    /// Echo round trips, microseconds, sorted.
    latencies: Vec<u32>,
}

impl Report {
    /// Bytes of server memory per connection at `rss`.
    pub fn per_connection(&self, rss: u64) -> u64 {
        rss.saturating_sub(self.baseline_rss) / self.connections as u64
    }

    /// The latency under which `fraction` of the echoes came back.
    pub fn percentile(&self, fraction: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let at = ((self.latencies.len() as f64 * fraction) as usize).min(self.latencies.len() - 1);
        Duration::from_micros(u64::from(self.latencies[at]))
    }

    /// Whether every surviving connection's echoes came back intact.
    pub fn passed(&self) -> bool {
        self.corrupt == 0 && self.errors.is_empty() && self.echoes > 0
    }

    pub fn render(&self) -> String {
        let mut out = format!(
            "soak: {} connections for {:.0} s on wsdriver-tokio's echo server\n\
             - {} echoes ({:.1} MB), {} connections dropped abruptly and replaced\n\
             - server memory: {} B/connection idle, {} B/connection at the peak (RSS {:.1} MB, {:.1} MB before connecting)\n\
             - echo latency: p50 {:?}, p99 {:?}, p999 {:?}\n\
             - corrupt echoes: {}, errors on surviving connections: {}\n",
            self.connections,
            self.seconds,
            self.echoes,
            self.bytes as f64 / 1e6,
            self.dropped,
            self.per_connection(self.idle_rss),
            self.per_connection(self.peak_rss),
            self.peak_rss as f64 / 1e6,
            self.baseline_rss as f64 / 1e6,
            self.percentile(0.50),
            self.percentile(0.99),
            self.percentile(0.999),
            self.corrupt,
            self.errors.len(),
        );
        for error in self.errors.iter().take(10) {
            out.push_str(&format!("  error: {error}\n"));
        }
        out
    }
}

/// Descriptors kept beyond the connections (the runtime, files, pipes).
const SPARE_FDS: u64 = 64;

/// Runs the soak against a freshly started echo server.
///
/// # Errors
/// Too few file descriptors, or the server failing to start or dying.
pub fn run(soak: Soak) -> io::Result<Report> {
    let limit = rlimit::increase_nofile_limit(u64::MAX)?;
    if limit < soak.connections as u64 + SPARE_FDS {
        return Err(io::Error::other(format!(
            "{} connections need more than the open-file limit {limit} (ulimit -Hn)",
            soak.connections
        )));
    }
    let running = if soak.deflate {
        process::start_with(&WSDRIVER, &[], true, &["--compress-all"])?
    } else {
        process::start(&WSDRIVER, &[], false)?
    };
    let pid = running.pid();
    let mut report = Report {
        connections: soak.connections,
        baseline_rss: memory::rss(pid)?,
        ..Report::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let url = format!("ws://{}/", running.addr);
    let shared = Rc::new(RefCell::new(report));
    runtime.block_on(tokio::task::LocalSet::new().run_until(async {
        let mut sockets = Vec::with_capacity(soak.connections);
        for i in 0..soak.connections {
            let socket = connect(&url, client_options(soak))
                .await
                .map_err(|e| io::Error::other(format!("connection {i}: {e}")))?;
            check_negotiated(&socket, soak)?;
            sockets.push(socket);
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        shared.borrow_mut().idle_rss = memory::rss(pid)?;
        let started = Instant::now();
        let deadline = started + soak.duration;
        let sampler = tokio::task::spawn_local(sample_peak(pid, deadline, shared.clone()));
        let tasks: Vec<_> = sockets
            .into_iter()
            .map(|socket| {
                let shared = shared.clone();
                let url = url.clone();
                tokio::task::spawn_local(echo_until(socket, url, deadline, soak, shared))
            })
            .collect();
        for task in tasks {
            task.await.map_err(io::Error::other)?;
        }
        sampler.await.map_err(io::Error::other)?;
        shared.borrow_mut().seconds = started.elapsed().as_secs_f64();
        io::Result::Ok(())
    }))?;
    drop(runtime);
    report = Rc::try_unwrap(shared)
        .map_err(|_| io::Error::other("tasks outlived the soak"))?
        .into_inner();
    report.latencies.sort_unstable();
    running.stop()?;
    Ok(report)
}

/// The server's RSS every 100 ms until the deadline; the highest is kept.
async fn sample_peak(pid: u32, deadline: Instant, shared: Rc<RefCell<Report>>) {
    while Instant::now() < deadline {
        if let Ok(rss) = memory::rss(pid) {
            let mut report = shared.borrow_mut();
            report.peak_rss = report.peak_rss.max(rss);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn client_options(soak: Soak) -> ClientOptions {
    if soak.deflate {
        ClientOptions::default().deflate([DeflateConfig::default().threshold(0)])
    } else {
        ClientOptions::default()
    }
}

/// With `--deflate`, a connection that did not negotiate it would soak
/// nothing of what was asked.
fn check_negotiated(
    socket: &wsdriver_tokio::WebSocket<wsdriver_tokio::MaybeTlsStream>,
    soak: Soak,
) -> io::Result<()> {
    let extensions = socket
        .response_headers()
        .and_then(|headers| headers.get("sec-websocket-extensions"))
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    if soak.deflate && !extensions.starts_with("permessage-deflate") {
        return Err(io::Error::other(format!(
            "the server did not accept permessage-deflate ({extensions:?})"
        )));
    }
    Ok(())
}

/// A message of a random size and kind: text (multi-byte UTF-8 among it)
/// or binary. One in sixteen is empty: an empty message between others
/// once broke permessage-deflate's stream (issue 24).
fn random_message(rng: &mut impl Rng, max_size: usize) -> Message {
    let size = if rng.random_range(0..16) == 0 {
        0
    } else {
        (rng.random_range(0.0..(max_size as f64).ln()).exp() as usize).clamp(1, max_size)
    };
    if rng.random_bool(0.5) {
        let text: String = (0..size)
            .map(|_| match rng.random_range(0..16) {
                0 => 'é',
                1 => '€',
                2 => '🦀',
                _ => char::from(rng.random_range(b' '..=b'~')),
            })
            .collect();
        Message::from(text)
    } else {
        let mut bytes = vec![0u8; size];
        rng.fill_bytes(&mut bytes);
        Message::from(bytes)
    }
}

/// One connection's life until the deadline: echo after echo, checked;
/// now and then dropped without a close (between messages, or with an
/// echo on its way) and replaced by a new connection; at the end, closed
/// properly.
async fn echo_until(
    mut socket: wsdriver_tokio::WebSocket<wsdriver_tokio::MaybeTlsStream>,
    url: String,
    deadline: Instant,
    soak: Soak,
    shared: Rc<RefCell<Report>>,
) {
    let mut rng = rand::rng();
    let fail = |shared: &Rc<RefCell<Report>>, what: String| shared.borrow_mut().errors.push(what);
    while Instant::now() < deadline {
        let message = random_message(&mut rng, soak.max_size);
        let drop_now = rng.random_range(0..1000) < soak.drops_per_mille;
        let sent = Instant::now();
        if let Err(error) = socket.send(message.clone()).await {
            return fail(&shared, format!("send: {error}"));
        }
        if drop_now {
            // Gone with the echo on its way, or just after it came.
            if rng.random_bool(0.5) {
                let _ = socket.next().await;
            }
            drop(socket);
            shared.borrow_mut().dropped += 1;
            socket = match connect(&url, client_options(soak)).await {
                Ok(socket) => socket,
                Err(error) => return fail(&shared, format!("reconnect: {error}")),
            };
            continue;
        }
        match socket.next().await {
            Some(Ok(echo)) => {
                let latency = sent.elapsed().as_micros().min(u128::from(u32::MAX)) as u32;
                let mut report = shared.borrow_mut();
                if echo == message {
                    report.echoes += 1;
                    report.bytes += message.len() as u64;
                    report.latencies.push(latency);
                } else {
                    report.corrupt += 1;
                }
            }
            Some(Err(error)) => return fail(&shared, format!("read: {error}")),
            None => return fail(&shared, format!("closed: {:?}", socket.close_event())),
        }
    }
    if let Err(error) = socket.close(1000, "done").await {
        fail(&shared, format!("close: {error}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_stay_in_range_and_spread() {
        let mut rng = rand::rng();
        let sizes: Vec<usize> = (0..2000)
            .map(|_| random_message(&mut rng, 65536).len())
            .collect();
        assert!(sizes.iter().all(|&n| n <= 65536 * 4));
        assert!(sizes.contains(&0));
        assert!(sizes.iter().any(|&n| (1..100).contains(&n)) && sizes.iter().any(|&n| n > 10_000));
    }

    #[test]
    fn percentiles_of_a_sorted_list() {
        let report = Report {
            latencies: (1..=1000).collect(),
            ..Report::default()
        };
        assert_eq!(report.percentile(0.5), Duration::from_micros(501));
        assert_eq!(report.percentile(0.999), Duration::from_micros(1000));
    }
}
