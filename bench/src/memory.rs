//! Memory per connection, issue 14's last target: "an idle connection
//! costs at most 4 KiB of server memory, measured as RSS at 10,000
//! connections beside the peers in the same run; buffers grow with
//! traffic and shrink back".
//!
//! Each server starts bare (no valgrind, no taskset) and its resident set
//! (`VmRSS` in /proc/PID/status: the whole process, every thread; Node is
//! one process too) is read three times, each once the server is quiet:
//! after it listens (the baseline), with N idle WebSocket connections
//! open, and after one 16 KiB binary echo on every one of them. The
//! differences over N are the bytes per connection. RSS, not a heap
//! count, so that Rust and Node are measured alike, allocator overhead and
//! fragmentation included; kernel socket buffers are not in it.
//!
//! This process opens the connections itself (the load generator's raw
//! handshake, [`load::handshake`]), one after another, so no server sees
//! more than one handshake at a time. The echoes go one connection at a
//! time too: what stays after them is what each connection keeps, not the
//! high-water mark of 10,000 messages in flight at once.

use std::fmt::Write as _;
use std::io;
use std::time::{Duration, Instant};

use tokio::io::{AsyncWriteExt, BufReader};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

use crate::load;
use crate::process;
use crate::servers::{self, Server};
use crate::table::{best_peer, or_dash, ratio, thousands};

/// The connections measured when none are asked for (the figure).
pub const CONNECTIONS: usize = 10_000;
/// The message echoed once on every connection.
pub const ECHO_BYTES: usize = 16 * 1024;
/// The client's read buffer per connection: small, since 10,000 of them
/// live in this process.
const CLIENT_BUFFER: usize = 4096;
/// File descriptors beyond the connections (listener, epoll, pipes, ...).
const SPARE_FDS: u64 = 100;

/// One server's resident set, in bytes.
#[derive(Debug, Clone, Copy)]
pub struct Figures {
    /// Connections held open.
    pub connections: usize,
    /// Listening, before any connection.
    pub baseline: u64,
    /// With every connection open and idle.
    pub idle: u64,
    /// With every connection open, after one echo on each.
    pub after_echo: u64,
}

impl Figures {
    /// Bytes per connection at `rss`, over the baseline.
    pub fn per_connection(&self, rss: u64) -> f64 {
        (rss as f64 - self.baseline as f64) / self.connections as f64
    }
}

/// One server's row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The server's name.
    pub server: &'static str,
    /// What was measured, if the run succeeded.
    pub figures: Option<Figures>,
    /// A failure, or a reading taken before the RSS settled.
    pub notes: Vec<String>,
}

impl Row {
    fn idle(&self) -> Option<f64> {
        self.figures.map(|f| f.per_connection(f.idle))
    }

    fn after_echo(&self) -> Option<f64> {
        self.figures.map(|f| f.per_connection(f.after_echo))
    }
}

/// Measures `only` (or every server that can run here) at `connections`.
pub fn run(only: Option<&'static Server>, connections: usize) -> Vec<Row> {
    let list: Vec<&'static Server> = match only {
        Some(server) => vec![server],
        None => servers::for_scenario(false),
    };
    list.into_iter()
        .map(|server| {
            eprintln!(
                "bench: memory at {connections} connections on {}",
                server.name
            );
            let mut row = Row {
                server: server.name,
                figures: None,
                notes: Vec::new(),
            };
            match measure(server, connections, &mut row.notes) {
                Ok(figures) => row.figures = Some(figures),
                Err(e) => row.notes.push(e.to_string()),
            }
            row
        })
        .collect()
}

/// One server's three readings; a reading taken before the RSS settled
/// leaves a note.
///
/// # Errors
/// Too few file descriptors, or a server, connection or echo failure.
pub fn measure(
    server: &Server,
    connections: usize,
    notes: &mut Vec<String>,
) -> io::Result<Figures> {
    // Before the spawn: the server inherits the raised limit.
    let limit = rlimit::increase_nofile_limit(u64::MAX)?;
    if limit < connections as u64 + SPARE_FDS {
        return Err(io::Error::other(format!(
            "{connections} connections need more than the open-file limit {limit} (ulimit -Hn)"
        )));
    }
    let running = process::start(server, &[], false)?;
    let pid = running.pid();
    let mut reading = |what: &str| -> io::Result<u64> {
        let (rss, settled) = quiet_rss(pid)?;
        if !settled {
            notes.push(format!("{what}: RSS still moving after {SETTLE_LIMIT:?}"));
        }
        Ok(rss)
    };
    let baseline = reading("baseline")?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let mut open = Vec::with_capacity(connections);
    runtime.block_on(async {
        for i in 0..connections {
            let halves = load::handshake(running.addr, CLIENT_BUFFER)
                .await
                .map_err(|e| io::Error::new(e.kind(), format!("connection {i}: {e}")))?;
            open.push(halves);
        }
        io::Result::Ok(())
    })?;
    let idle = reading("idle")?;
    runtime.block_on(echo_once(&mut open))?;
    let after_echo = reading("after the echo")?;
    drop(open);
    drop(runtime);
    running.stop()?;
    Ok(Figures {
        connections,
        baseline,
        idle,
        after_echo,
    })
}

/// One masked 16 KiB binary message on each connection in turn, its echo
/// read and compared byte for byte before the next.
async fn echo_once(open: &mut [(BufReader<OwnedReadHalf>, OwnedWriteHalf)]) -> io::Result<()> {
    let payload: Vec<u8> = (0..ECHO_BYTES).map(|i| (i % 251) as u8).collect();
    let mut scratch = Vec::with_capacity(ECHO_BYTES);
    for (i, (reader, writer)) in open.iter_mut().enumerate() {
        let frame = load::masked_frame(&payload, false, load::nonzero_key());
        writer.write_all(&frame).await?;
        let (opcode, len) = load::read_echo(reader, &mut scratch, true).await?;
        if opcode != 2 || len != ECHO_BYTES || scratch != payload {
            return Err(io::Error::other(format!(
                "connection {i}: a wrong echo (opcode {opcode}, {len} bytes)"
            )));
        }
    }
    Ok(())
}

/// How long a server may take to settle before its RSS is read anyway.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);

/// The RSS of `pid` once it is quiet: after a second, the first of two
/// samples 500 ms apart that agree within 1%; and whether they did agree
/// (else the last sample after [`SETTLE_LIMIT`]). Node's garbage collector
/// and tokio's deferred frees both move RSS for a while after a burst.
///
/// # Errors
/// When /proc cannot be read.
fn quiet_rss(pid: u32) -> io::Result<(u64, bool)> {
    std::thread::sleep(Duration::from_secs(1));
    let deadline = Instant::now() + SETTLE_LIMIT;
    let mut before = rss(pid)?;
    loop {
        std::thread::sleep(Duration::from_millis(500));
        let now = rss(pid)?;
        if before.abs_diff(now) * 100 <= before.max(now) {
            return Ok((now, true));
        }
        if Instant::now() > deadline {
            return Ok((now, false));
        }
        before = now;
    }
}

/// The resident set of `pid` in bytes.
///
/// # Errors
/// When /proc/PID/status cannot be read or has no `VmRSS` line.
pub fn rss(pid: u32) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    vm_rss(&status).ok_or_else(|| io::Error::other(format!("no VmRSS for process {pid}")))
}

/// The `VmRSS:` line of a /proc/PID/status text, in bytes.
pub fn vm_rss(status: &str) -> Option<u64> {
    let line = status.lines().find_map(|l| l.strip_prefix("VmRSS:"))?;
    let mut words = line.split_whitespace();
    let kib: u64 = words.next()?.parse().ok()?;
    (words.next()? == "kB").then_some(kib * 1024)
}

/// The markdown table: bytes per connection idle and after the echo, each
/// beside its ratio to the best (lowest) peer, and the baseline.
pub fn render(rows: &[Row]) -> String {
    let connections = rows
        .iter()
        .find_map(|r| r.figures.map(|f| f.connections))
        .unwrap_or(CONNECTIONS);
    let best_idle = best_peer(rows.iter().map(|r| (r.server, r.idle())), false);
    let best_after = best_peer(rows.iter().map(|r| (r.server, r.after_echo())), false);
    let mut out = format!(
        "| server | idle bytes/conn ({} conns) | vs best peer \
         | after one {} KiB echo, bytes/conn | vs best peer | RSS before connecting |\n\
         |---|---:|---:|---:|---:|---:|\n",
        thousands(connections as f64),
        ECHO_BYTES / 1024,
    );
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            row.server,
            or_dash(row.idle().map(thousands)),
            ratio(row.idle(), best_idle),
            or_dash(row.after_echo().map(thousands)),
            ratio(row.after_echo(), best_after),
            or_dash(
                row.figures
                    .map(|f| format!("{:.1} MiB", f.baseline as f64 / 1048576.0))
            ),
        );
    }
    for row in rows {
        for note in &row.notes {
            let _ = writeln!(out, "\n{} (memory): {note}", row.server);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_rss_is_read_in_bytes_from_a_status_text() {
        let status = "Name:\techo_wsdriver\nVmPeak:\t   12344 kB\nVmHWM:\t    9000 kB\n\
                      VmRSS:\t    8184 kB\nRssAnon:\t    2000 kB\n";
        assert_eq!(vm_rss(status), Some(8184 * 1024));
        // Kernel threads have no VmRSS line.
        assert_eq!(vm_rss("Name:\tkthreadd\nState:\tS (sleeping)\n"), None);
        assert_eq!(vm_rss("VmRSS:\t  lots kB\n"), None);
    }

    #[test]
    fn per_connection_figures_and_ratios_to_the_best_peer() {
        let figures = |idle_per_conn: u64| Figures {
            connections: 1000,
            baseline: 2 << 20,
            idle: (2 << 20) + 1000 * idle_per_conn,
            after_echo: (2 << 20) + 1000 * 2 * idle_per_conn,
        };
        let row = |server, per_conn| Row {
            server,
            figures: Some(figures(per_conn)),
            notes: Vec::new(),
        };
        let failed = Row {
            server: "node-ws",
            figures: None,
            notes: vec!["did not start".to_owned()],
        };
        let rows = [
            row("wsdriver-tokio", 1500),
            row("fastwebsockets", 3000),
            failed,
        ];
        let table = render(&rows);
        assert!(table.contains("(1,000 conns)"), "{table}");
        assert!(
            table.contains("| wsdriver-tokio | 1,500 | 0.50x | 3,000 | 0.50x | 2.0 MiB |"),
            "{table}"
        );
        assert!(table.contains("| node-ws | - | - | - | - | - |"), "{table}");
        assert!(table.contains("node-ws (memory): did not start"), "{table}");
    }
}
