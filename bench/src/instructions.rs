//! Instructions per echoed message in the server's user space: the server
//! under cachegrind, the load run twice with different message counts
//! (in two server processes), the difference of the totals divided by the
//! extra messages, so that start-up and handshakes cancel.

use std::io;
use std::path::Path;

use crate::process::{self, run_load};
use crate::scenario::Scenario;
use crate::servers::{work_dir, Server};

/// Instructions per message of `server` on `scenario`. The two runs go
/// one after the other: run side by side they slow each other down, and
/// wsdriver-tokio's count at 16 KiB moves with how far the server lags
/// the load (4,050 to 5,300 side by side; within 3% one at a time).
///
/// # Errors
/// When a run fails or its cachegrind file cannot be read.
pub fn measure(server: &'static Server, scenario: &'static Scenario) -> io::Result<f64> {
    let (short, long) = scenario.instruction_runs;
    // The two runs at once, on the two cores: counts do not mind.
    let short_total = total(server, scenario, short)?;
    let long_total = total(server, scenario, long)?;
    let extra = scenario.sent(long) - scenario.sent(short);
    Ok((long_total as f64 - short_total as f64) / extra as f64)
}

/// The server's total instructions over a run of `count` messages.
fn total(server: &Server, scenario: &'static Scenario, count: u64) -> io::Result<u64> {
    let out = work_dir().join(format!(
        "cachegrind.{}.{}.{count}.out",
        server.name, scenario.name
    ));
    let wrapper = [
        "valgrind".to_owned(),
        "-q".to_owned(),
        "--tool=cachegrind".to_owned(),
        "--cache-sim=no".to_owned(),
        format!("--cachegrind-out-file={}", out.display()),
    ];
    let running = process::start(server, &wrapper, scenario.deflate)?;
    run_load(running.addr, scenario, count)?;
    running.stop()?;
    summary(&out)
}

/// The `summary:` line of a cachegrind file (its one event, Ir).
///
/// # Errors
/// When the file is missing or has no summary.
pub fn summary(path: &Path) -> io::Result<u64> {
    let text = std::fs::read_to_string(path)?;
    text.lines()
        .find_map(|line| line.strip_prefix("summary:"))
        .and_then(|n| n.split_whitespace().next()?.parse().ok())
        .ok_or_else(|| io::Error::other(format!("no summary in {}", path.display())))
}
