//! Running the measurements over scenarios and servers into table rows.

use crate::instructions;
use crate::rate;
use crate::scenario::Scenario;
use crate::servers::{self, Server};
use crate::syscalls;
use crate::table::{Row, ScenarioRows};

/// What to measure.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    /// Instructions per message (cachegrind).
    pub instructions: bool,
    /// Syscalls per message (perf).
    pub syscalls: bool,
    /// Timed rounds, and how many (0: none).
    pub rounds: u64,
    /// Messages per timed run, when not the scenario's own.
    pub messages: Option<u64>,
}

/// Measures `scenario` on `only` (or every server that runs it).
pub fn scenario(
    scenario: &'static Scenario,
    only: Option<&'static Server>,
    plan: Plan,
) -> ScenarioRows {
    let list: Vec<&'static Server> = match only {
        Some(server) => vec![server],
        None => servers::for_scenario(scenario.deflate),
    };
    let mut rows: Vec<Row> = list.iter().map(|s| Row::new(s.name)).collect();
    for (row, server) in rows.iter_mut().zip(&list) {
        eprintln!("bench: {} on {}", scenario.name, server.name);
        if plan.instructions {
            match instructions::measure(server, scenario) {
                Ok(figure) => row.instructions = Some(figure),
                Err(e) => row.error = Some(format!("instructions: {e}")),
            }
        }
        if plan.syscalls {
            match syscalls::measure(server, scenario) {
                Ok(figure) => row.syscalls = Some(figure),
                Err(e) => row.error = Some(format!("syscalls: {e}")),
            }
        }
    }
    if plan.rounds > 0 {
        let messages = plan.messages.unwrap_or(scenario.timed_messages);
        match rate::measure(&list, scenario, plan.rounds, messages) {
            Ok(rates) => {
                for (row, rate) in rows.iter_mut().zip(rates) {
                    row.rate = Some(rate);
                }
            }
            Err(e) => {
                for row in &mut rows {
                    row.error = Some(format!("timed rounds: {e}"));
                }
            }
        }
    }
    ScenarioRows { scenario, rows }
}
