//! The smoke check of the README's test command: wsdriver-tokio's
//! instructions per message on two scenarios against the committed
//! baseline (bench/baseline.json), failing when the median of three
//! grows more than 10%.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use crate::instructions;
use crate::scenario;
use crate::servers::{workspace_root, WSDRIVER};

/// The scenarios checked.
pub const SCENARIOS: &[&str] = &["20b", "16k"];
/// The growth allowed over the baseline.
pub const TOLERANCE: f64 = 1.10;
/// Measurements per scenario; the median is compared (wsdriver-tokio's
/// count at 16 KiB moves by a few percent with timing).
pub const REPEATS: usize = 3;

fn baseline_path() -> PathBuf {
    workspace_root().join("bench/baseline.json")
}

/// Measures and compares; with `update`, writes the figures as the new
/// baseline instead. Returns whether every figure is within tolerance.
///
/// # Errors
/// When a run fails or the baseline cannot be read or written.
pub fn run(update: bool) -> io::Result<bool> {
    let baseline: BTreeMap<String, f64> = match std::fs::read_to_string(baseline_path()) {
        Ok(text) => serde_json::from_str(&text).map_err(io::Error::other)?,
        Err(_) if update => BTreeMap::new(),
        Err(e) => return Err(e),
    };
    let mut measured = BTreeMap::new();
    let mut ok = true;
    for name in SCENARIOS {
        let scenario = scenario::find(name).expect("a known scenario");
        let mut figures = Vec::with_capacity(REPEATS);
        for _ in 0..REPEATS {
            figures.push(instructions::measure(&WSDRIVER, scenario)?);
        }
        let figure = crate::rate::spread(&figures).0;
        measured.insert((*name).to_owned(), figure.round());
        match baseline.get(*name) {
            Some(&base) => {
                let within = figure <= base * TOLERANCE;
                ok &= within || update;
                println!(
                    "smoke {:<4} {figure:>9.0} instr/msg, baseline {base:.0} ({:+.1}%){}",
                    name,
                    100.0 * (figure / base - 1.0),
                    if within { "" } else { "  OVER THE 10% ALLOWED" }
                );
            }
            None => println!("smoke {name:<4} {figure:>9.0} instr/msg, no baseline"),
        }
    }
    if update {
        let text = serde_json::to_string_pretty(&measured).map_err(io::Error::other)?;
        std::fs::write(baseline_path(), text + "\n")?;
        println!("wrote {}", baseline_path().display());
    }
    Ok(ok)
}
