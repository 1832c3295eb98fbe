//! What the results were measured on: the machine, the tools and the
//! versions of every server.

use std::process::Command;

use crate::servers::workspace_root;

fn run(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "?".to_owned())
}

/// The version of `name` in Cargo.lock (the first one listed).
pub fn locked_version(name: &str) -> String {
    let lock = std::fs::read_to_string(workspace_root().join("Cargo.lock")).unwrap_or_default();
    let needle = format!("name = \"{name}\"\nversion = \"");
    lock.find(&needle)
        .and_then(|at| lock[at + needle.len()..].split('"').next())
        .unwrap_or("?")
        .to_owned()
}

fn node_ws_version() -> String {
    let path = workspace_root().join("tools/node/node_modules/ws/package.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["version"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "not installed".to_owned())
}

/// A markdown list: date, machine, tools, versions.
pub fn describe() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "?".to_owned());
    let crates = [
        "tokio",
        "tokio-tungstenite",
        "fastwebsockets",
        "tokio-websockets",
        "hyper",
    ]
    .map(|name| format!("{name} {}", locked_version(name)))
    .join(", ");
    format!(
        "- date: {}\n- machine: {model}, {} cores (shared with other builds), Linux {}\n\
         - tools: {}, {}, Node {}, perf {}\n\
         - servers: wsdriver-tokio (this tree, commit {}), {crates}, Node {} with ws {}\n",
        run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        run("nproc", &[]),
        run("uname", &["-r"]),
        run("rustc", &["--version"]),
        run("valgrind", &["--version"]),
        run("node", &["--version"]),
        run("perf", &["--version"]).trim_start_matches("perf version "),
        run("git", &["rev-parse", "--short", "HEAD"]),
        run("node", &["--version"]),
        node_ws_version(),
    )
}
