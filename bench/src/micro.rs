//! The criterion micro-benchmarks (benches/hot_paths.rs), run briefly, and
//! their table: every hot path beside `memcpy` of the same size.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::io;
use std::path::Path;
use std::process::Command;

use crate::servers::{target_dir, workspace_root};

/// Runs the benchmarks (a short measurement each).
///
/// # Errors
/// When cargo bench fails.
pub fn run() -> io::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .current_dir(workspace_root())
        .args(["bench", "-p", "bench", "--bench", "hot_paths", "--"])
        .args(["--warm-up-time", "1", "--measurement-time", "2", "--noplot"])
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other("cargo bench failed"))
    }
}

/// Every criterion estimate under target/criterion: "group/function/size"
/// to its median in nanoseconds.
pub fn estimates() -> BTreeMap<String, f64> {
    let mut found = BTreeMap::new();
    let root = target_dir().join("criterion");
    collect(&root, &root, &mut found);
    found
}

fn collect(root: &Path, dir: &Path, found: &mut BTreeMap<String, f64>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                let estimate = std::fs::read_to_string(path.join("estimates.json"))
                    .ok()
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                    .and_then(|v| v["median"]["point_estimate"].as_f64());
                let id = dir.strip_prefix(root).unwrap_or(dir).display().to_string();
                if let Some(ns) = estimate {
                    found.insert(id, ns);
                }
            } else {
                collect(root, &path, found);
            }
        }
    }
}

/// The table: one row per benchmark, its time, and its ratio to memcpy of
/// the same size where there is one.
pub fn render(estimates: &BTreeMap<String, f64>) -> String {
    let mut out =
        String::from("| benchmark | size | median time | vs memcpy |\n|---|---:|---:|---:|\n");
    for (id, ns) in estimates {
        let (name, size) = id.rsplit_once('/').unwrap_or((id.as_str(), "-"));
        let memcpy = estimates.get(&format!("hot_paths/memcpy/{size}"));
        // A header's decoding does not grow with the payload: no ratio.
        let ratio = match memcpy {
            Some(m) if !name.ends_with("memcpy") && !name.contains("header") => {
                format!("{:.2}x", ns / m)
            }
            _ => "-".to_owned(),
        };
        let _ = writeln!(out, "| {name} | {size} | {} | {ratio} |", time(*ns));
    }
    out
}

fn time(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} us", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}
