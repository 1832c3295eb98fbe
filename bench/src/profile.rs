//! Where the instructions go, per function: the server under callgrind,
//! twice with different message counts as for the instruction counts, and
//! each function's difference divided by the extra messages.

use std::collections::HashMap;
use std::fmt::Write;
use std::io;
use std::process::Command;

use crate::process::{self, run_load};
use crate::scenario::Scenario;
use crate::servers::{work_dir, Server};

/// Instructions per message per function (self cost), the largest first.
///
/// # Errors
/// When a run or callgrind_annotate fails.
pub fn measure(
    server: &'static Server,
    scenario: &'static Scenario,
) -> io::Result<Vec<(String, f64)>> {
    let (short, long) = scenario.instruction_runs;
    // One after the other, as for the instruction counts.
    let short_counts = functions(server, scenario, short)?;
    let long_counts = functions(server, scenario, long)?;
    let extra = (scenario.sent(long) - scenario.sent(short)) as f64;
    let mut per_message: Vec<(String, f64)> = long_counts
        .into_iter()
        .map(|(name, count)| {
            let before = short_counts.get(&name).copied().unwrap_or(0);
            (name, (count as f64 - before as f64) / extra)
        })
        .collect();
    per_message.sort_by(|a, b| b.1.total_cmp(&a.1));
    Ok(per_message)
}

fn functions(
    server: &Server,
    scenario: &'static Scenario,
    count: u64,
) -> io::Result<HashMap<String, u64>> {
    let out = work_dir().join(format!(
        "callgrind.{}.{}.{count}.out",
        server.name, scenario.name
    ));
    let wrapper = [
        "valgrind".to_owned(),
        "-q".to_owned(),
        "--tool=callgrind".to_owned(),
        // Costs per instruction too, for reading a hot function's
        // disassembly beside them (the annotation itself is per function).
        "--dump-instr=yes".to_owned(),
        format!("--callgrind-out-file={}", out.display()),
    ];
    let running = process::start(server, &wrapper, scenario.deflate)?;
    run_load(running.addr, scenario, count)?;
    running.stop()?;
    let annotated = Command::new("callgrind_annotate")
        .args(["--inclusive=no", "--threshold=100", "--auto=no"])
        .arg(&out)
        .output()?;
    if !annotated.status.success() {
        return Err(io::Error::other("callgrind_annotate failed"));
    }
    Ok(parse_annotate(&String::from_utf8_lossy(&annotated.stdout)))
}

/// The `COUNT (PERCENT)  file:function [object]` lines of
/// callgrind_annotate, by function (the file and object dropped).
pub fn parse_annotate(text: &str) -> HashMap<String, u64> {
    let mut counts = HashMap::new();
    for line in text.lines() {
        let line = line.trim();
        let Some((number, rest)) = line.split_once(' ') else {
            continue;
        };
        let Ok(count) = number.replace(',', "").parse::<u64>() else {
            continue;
        };
        let rest = rest.trim_start();
        let rest = match rest.strip_prefix('(') {
            Some(r) => r.split_once(')').map_or("", |(_, name)| name).trim(),
            None => rest,
        };
        if rest.is_empty() || rest.starts_with("PROGRAM TOTALS") {
            continue;
        }
        let name = match rest.rfind(" [") {
            Some(i) if rest.ends_with(']') => &rest[..i],
            _ => rest,
        };
        // By function: a function's inlined pieces are listed under the
        // file each came from.
        let function = name.split_once(':').map_or(name, |(_, f)| f);
        *counts.entry(function.to_owned()).or_insert(0) += count;
    }
    counts
}

/// The top `n` functions as a markdown table, with the total.
pub fn render(
    server: &str,
    scenario: &Scenario,
    per_message: &[(String, f64)],
    n: usize,
) -> String {
    let total: f64 = per_message.iter().map(|(_, c)| c).sum();
    let mut out = format!(
        "#### {server}, {}: {total:.0} instructions/message\n\n| instr/msg | share | function |\n|---:|---:|---|\n",
        scenario.label
    );
    for (name, count) in per_message.iter().take(n) {
        let _ = writeln!(
            out,
            "| {count:.0} | {:.1}% | `{}` |",
            100.0 * count / total,
            name.replace('|', "\\|")
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotate_lines_by_function() {
        let text = "\
--------------------------------------------------------------------------------
27,548,143 (100.0%)  PROGRAM TOTALS
--------------------------------------------------------------------------------
Ir                  file:function
 5,012,345 (18.20%)  ???:memcpy [/usr/lib/libc.so.6]
   120 ( 0.01%)  src/mask.rs:wsdriver::hybi::mask::apply_mask [/bench/echo]
";
        let counts = parse_annotate(text);
        assert_eq!(counts.len(), 2, "{counts:?}");
        assert_eq!(counts["memcpy"], 5_012_345);
        assert_eq!(counts["wsdriver::hybi::mask::apply_mask"], 120);
    }
}
