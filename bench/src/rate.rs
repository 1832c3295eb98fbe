//! Messages per second and server CPU per message: the server pinned to
//! core 0, the load generator to core 1 (`taskset`), rounds interleaved
//! with the servers' order rotated each round, median/min/max over the
//! rounds. On a shared machine these move with the neighbours' load.

use std::io;

use crate::process::{self, LoadChild};
use crate::scenario::Scenario;
use crate::servers::Server;

/// One server's timed rounds.
#[derive(Debug, Clone, Default)]
pub struct Rate {
    /// Messages per second, one per round.
    pub per_second: Vec<f64>,
    /// Server CPU nanoseconds per message, one per round.
    pub cpu_ns: Vec<f64>,
}

/// Median, min and max.
pub fn spread(values: &[f64]) -> (f64, f64, f64) {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = sorted.len();
    if n == 0 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let median = if n % 2 == 1 {
        sorted[n / 2]
    } else {
        (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
    };
    (median, sorted[0], sorted[n - 1])
}

/// `rounds` rounds of `messages` messages for each of `servers`.
///
/// # Errors
/// When a run fails.
pub fn measure(
    servers: &[&Server],
    scenario: &Scenario,
    rounds: u64,
    messages: u64,
) -> io::Result<Vec<Rate>> {
    let mut rates = vec![Rate::default(); servers.len()];
    let sent = scenario.sent(messages) as f64;
    for round in 0..rounds as usize {
        for k in 0..servers.len() {
            let index = (k + round) % servers.len();
            let running = process::start(servers[index], &process::pinned(0), scenario.deflate)?;
            let mut load = LoadChild::start(&process::pinned(1), running.addr, scenario, messages)?;
            let cpu_before = cpu_nanos(running.pid())?;
            let nanos = load.go()?;
            let cpu_after = cpu_nanos(running.pid())?;
            load.finish()?;
            running.stop()?;
            rates[index].per_second.push(sent / (nanos as f64 / 1e9));
            rates[index]
                .cpu_ns
                .push((cpu_after - cpu_before) as f64 / sent);
        }
    }
    Ok(rates)
}

/// CPU time of every thread of `pid`, from /proc/PID/task/*/schedstat.
///
/// # Errors
/// When /proc cannot be read.
pub fn cpu_nanos(pid: u32) -> io::Result<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
        let stat = std::fs::read_to_string(task?.path().join("schedstat"))?;
        total += stat
            .split_whitespace()
            .next()
            .and_then(|n| n.parse::<u64>().ok())
            .unwrap_or(0);
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(spread(&[3.0, 1.0, 2.0]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&[4.0, 1.0, 2.0, 3.0]), (2.5, 1.0, 4.0));
    }
}
