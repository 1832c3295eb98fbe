//! Syscalls and context switches per message, counted by
//! `perf stat -e raw_syscalls:sys_enter,context-switches -p PID` around
//! the messages only (after the handshakes, before the closes), the
//! server and the load pinned to a core each as for messages per second,
//! so that the two measurements see the servers placed alike (unpinned,
//! where the scheduler put the two moved every server's 1 MiB count too).

use std::io;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::process::{self, LoadChild};
use crate::scenario::Scenario;
use crate::servers::{work_dir, Server};

/// Per message, in the server's process (every thread).
#[derive(Debug, Clone, Copy)]
pub struct Syscalls {
    /// System calls entered.
    pub syscalls: f64,
    /// Context switches.
    pub switches: f64,
}

/// Runs each measurement this many times and keeps the median: how many
/// reads a large message takes depends on how far the server lags the
/// sender (at 1 MiB one run of a server gave 2.6 syscalls per message,
/// the next 7.7).
const RUNS: usize = 3;

/// The median of [`RUNS`] counts of `server`'s syscalls (and, apart, of
/// its context switches) over `scenario`'s longer instruction run.
///
/// # Errors
/// When perf or a run fails.
pub fn measure(server: &Server, scenario: &Scenario) -> io::Result<Syscalls> {
    let mut runs = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        runs.push(measure_once(server, scenario)?);
    }
    Ok(median(&runs))
}

/// Each field's median, on its own.
fn median(runs: &[Syscalls]) -> Syscalls {
    let middle = |field: fn(&Syscalls) -> f64| {
        let mut values: Vec<f64> = runs.iter().map(field).collect();
        values.sort_by(f64::total_cmp);
        values[values.len() / 2]
    };
    Syscalls {
        syscalls: middle(|s| s.syscalls),
        switches: middle(|s| s.switches),
    }
}

fn measure_once(server: &Server, scenario: &Scenario) -> io::Result<Syscalls> {
    let messages = scenario.instruction_runs.1;
    let running = process::start(server, &process::pinned(0), scenario.deflate)?;
    let mut load = LoadChild::start(&process::pinned(1), running.addr, scenario, messages)?;
    let out = work_dir().join(format!("perf.{}.{}.csv", server.name, scenario.name));
    let mut perf = Command::new("perf")
        .args([
            "stat",
            "-x",
            ",",
            "-e",
            "raw_syscalls:sys_enter,context-switches",
        ])
        .arg("-o")
        .arg(&out)
        .args(["-p", &running.pid().to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::sleep(Duration::from_millis(300)); // perf attaches
    load.go()?;
    process::signal(perf.id(), "INT")?;
    perf.wait()?;
    load.finish()?;
    running.stop()?;
    let total = scenario.sent(messages) as f64;
    let text = std::fs::read_to_string(&out)?;
    let count = |event: &str| -> io::Result<f64> {
        text.lines()
            .find(|line| line.split(',').nth(2) == Some(event))
            .and_then(|line| line.split(',').next()?.parse::<f64>().ok())
            .ok_or_else(|| io::Error::other(format!("perf counted no {event}: {text}")))
    };
    Ok(Syscalls {
        syscalls: count("raw_syscalls:sys_enter")? / total,
        switches: count("context-switches")? / total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_field_takes_its_own_median() {
        let runs = [
            Syscalls {
                syscalls: 7.7,
                switches: 0.1,
            },
            Syscalls {
                syscalls: 2.6,
                switches: 1.1,
            },
            Syscalls {
                syscalls: 5.9,
                switches: 0.8,
            },
        ];
        let m = median(&runs);
        assert_eq!((m.syscalls, m.switches), (5.9, 0.8));
    }
}
