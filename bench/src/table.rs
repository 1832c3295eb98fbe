//! The tables: one row per server and scenario, each figure beside its
//! ratio to the best peer (the best server other than wsdriver-tokio) in
//! the same run.

use std::fmt::Write;

use crate::rate::{spread, Rate};
use crate::scenario::Scenario;
use crate::servers::WSDRIVER;
use crate::syscalls::Syscalls;

/// One server's figures on one scenario; `None` where not measured.
#[derive(Debug, Clone)]
pub struct Row {
    /// The server's name.
    pub server: &'static str,
    /// Instructions per message.
    pub instructions: Option<f64>,
    /// Syscalls and context switches per message.
    pub syscalls: Option<Syscalls>,
    /// Timed rounds.
    pub rate: Option<Rate>,
    /// Why a measurement failed, if one did.
    pub error: Option<String>,
}

impl Row {
    /// A row with nothing measured yet.
    pub fn new(server: &'static str) -> Self {
        Row {
            server,
            instructions: None,
            syscalls: None,
            rate: None,
            error: None,
        }
    }

    fn median_rate(&self) -> Option<f64> {
        self.rate.as_ref().map(|r| spread(&r.per_second).0)
    }
}

/// A scenario's rows.
#[derive(Debug, Clone)]
pub struct ScenarioRows {
    /// The scenario.
    pub scenario: &'static Scenario,
    /// One per server.
    pub rows: Vec<Row>,
}

/// The best of the peers' figures, given as (server, figure): lowest, or
/// highest when `higher`. Shared with the memory table.
pub fn best_peer(
    figures: impl IntoIterator<Item = (&'static str, Option<f64>)>,
    higher: bool,
) -> Option<(f64, &'static str)> {
    figures
        .into_iter()
        .filter(|(server, _)| *server != WSDRIVER.name)
        .filter_map(|(server, v)| v.filter(|v| v.is_finite()).map(|v| (v, server)))
        .reduce(|a, b| if (b.0 < a.0) != higher { b } else { a })
}

/// `value` over the best peer's, as `1.23x`; `-` when either is missing.
pub fn ratio(value: Option<f64>, best: Option<(f64, &str)>) -> String {
    match (value, best) {
        (Some(v), Some((b, _))) if b > 0.0 => format!("{:.2}x", v / b),
        _ => "-".to_owned(),
    }
}

/// `value` rounded, with thousands separated by commas.
pub fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 && c != '-' {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The text, or `-` for none.
pub fn or_dash(value: Option<String>) -> String {
    value.unwrap_or_else(|| "-".to_owned())
}

/// The markdown table of every scenario.
pub fn render(results: &[ScenarioRows]) -> String {
    let mut out = String::new();
    out.push_str(
        "| scenario | server | instr/msg | vs best peer | syscalls/msg | ctx sw/msg \
         | msg/s median (min-max) | vs best peer | server CPU ns/msg |\n\
         |---|---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for result in results {
        let rows = &result.rows;
        let best_instr = best_peer(rows.iter().map(|r| (r.server, r.instructions)), false);
        let best_rate = best_peer(rows.iter().map(|r| (r.server, r.median_rate())), true);
        for row in &result.rows {
            let rate = row.rate.as_ref().map(|r| spread(&r.per_second));
            let cpu = row.rate.as_ref().map(|r| spread(&r.cpu_ns).0);
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                result.scenario.label,
                row.server,
                or_dash(row.instructions.map(thousands)),
                ratio(row.instructions, best_instr),
                or_dash(row.syscalls.map(|s| format!("{:.2}", s.syscalls))),
                or_dash(row.syscalls.map(|s| format!("{:.2}", s.switches))),
                or_dash(rate.map(|(m, lo, hi)| format!(
                    "{} ({}-{})",
                    thousands(m),
                    thousands(lo),
                    thousands(hi)
                ))),
                ratio(row.median_rate(), best_rate),
                or_dash(cpu.map(thousands)),
            );
        }
    }
    for result in results {
        for row in &result.rows {
            if let Some(error) = &row.error {
                let _ = writeln!(out, "\n{} on {}: {error}", row.server, result.scenario.name);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_are_to_the_best_peer_not_to_us() {
        let scenario = crate::scenario::find("20b").unwrap();
        let mut ours = Row::new("wsdriver-tokio");
        ours.instructions = Some(1000.0);
        let mut peer = Row::new("fastwebsockets");
        peer.instructions = Some(2000.0);
        let mut slow = Row::new("node-ws");
        slow.instructions = Some(40_000.0);
        let table = render(&[ScenarioRows {
            scenario,
            rows: vec![ours, peer, slow],
        }]);
        assert!(
            table.contains("| wsdriver-tokio | 1,000 | 0.50x |"),
            "{table}"
        );
        assert!(table.contains("| node-ws | 40,000 | 20.00x |"), "{table}");
    }
}
