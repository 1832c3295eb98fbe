//! The benchmark of issue 14, in one command:
//!
//! ```text
//! cargo run --release -p bench -- all          # everything; writes bench/RESULTS.md
//! cargo run --release -p bench -- instructions [--scenario 20b] [--server wsdriver-tokio]
//! cargo run --release -p bench -- syscalls     [--scenario S] [--server X]
//! cargo run --release -p bench -- rate         [--scenario S] [--rounds 5] [--messages N]
//! cargo run --release -p bench -- micro        # criterion, briefly, and its table
//! cargo run --release -p bench -- profile --scenario 20b [--server X]  # callgrind, per function
//! cargo run --release -p bench -- memory       [--server X] [--connections 10000]  # RSS per connection
//! cargo run --release -p bench -- smoke [--update]   # the test command's check
//! cargo run --release -p bench -- soak [--connections 10000] [--seconds 60] [--deflate]  # issue 15's soak
//! cargo run --release -p bench -- load --addr A --scenario S --messages N [--pause]
//! ```

use std::process::ExitCode;

use bench::cli::Args;
use bench::report::{self, Plan};
use bench::scenario::{self, Scenario};
use bench::servers::{self, Server, WSDRIVER};
use bench::{load, memory, micro, profile, results, smoke, soak, table};

fn main() -> ExitCode {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(e) => return usage(&e),
    };
    match run(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage(problem: &str) -> ExitCode {
    eprintln!(
        "bench: {problem}\nusage: bench [all|instructions|syscalls|rate|micro|profile|memory|smoke|soak|load] \
         [--scenario S] [--server X] [--rounds N] [--messages N] [--connections N] [--seconds N] [--update]\nscenarios: {}\nservers: {}",
        scenario::ALL.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
        servers::ALL.iter().map(|s| s.name).collect::<Vec<_>>().join(", "),
    );
    ExitCode::from(2)
}

fn scenarios(args: &Args) -> Result<Vec<&'static Scenario>, String> {
    match args.get("--scenario") {
        Some(name) => scenario::find(name)
            .map(|s| vec![s])
            .ok_or(format!("no scenario {name:?}")),
        None => Ok(scenario::ALL.iter().collect()),
    }
}

fn server(args: &Args) -> Result<Option<&'static Server>, String> {
    args.get("--server")
        .map(|name| servers::find(name).ok_or(format!("no server {name:?}")))
        .transpose()
}

/// The memory measurement's connections: `--connections`, else 10,000.
fn connections(args: &Args) -> Result<usize, String> {
    let n = args.number("--connections", memory::CONNECTIONS as u64)?;
    usize::try_from(n)
        .ok()
        .filter(|&n| n > 0)
        .ok_or(format!("bad --connections {n}"))
}

/// Builds the servers asked for (all when none is named).
fn build(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    let all: Vec<&Server> = servers::ALL.iter().collect();
    match server(args)? {
        Some(one) => servers::build(&[one])?,
        None => servers::build(&all)?,
    }
    Ok(())
}

fn run(args: &Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let plan = |instructions, syscalls, rounds| Plan {
        instructions,
        syscalls,
        rounds,
        messages: None,
    };
    match args.command.as_str() {
        "load" => {
            let scenario = scenarios(args)?[0];
            let load = load::Load {
                addr: args.get("--addr").ok_or("--addr")?.parse()?,
                scenario,
                messages: args.number("--messages", scenario.timed_messages)?,
            };
            let elapsed = load::run(load, args.flag("--pause"))?;
            if !args.flag("--pause") {
                let rate = load.total() as f64 / elapsed.as_secs_f64();
                println!("{} messages in {elapsed:?}: {rate:.0} msg/s", load.total());
            }
        }
        "all" => {
            build(args)?;
            let rounds = args.number("--rounds", 5)?;
            let only = server(args)?;
            let rows: Vec<_> = scenarios(args)?
                .into_iter()
                .map(|s| report::scenario(s, only, plan(true, true, rounds)))
                .collect();
            let servers_table = table::render(&rows);
            println!("{servers_table}");
            let memory_table = memory::render(&memory::run(only, connections(args)?));
            println!("{memory_table}");
            micro::run()?;
            let micro_table = micro::render(&micro::estimates());
            println!("{micro_table}");
            let command = format!(
                "cargo run --release -p bench -- {}",
                std::env::args().skip(1).collect::<Vec<_>>().join(" ")
            );
            results::write(
                command.trim_end(),
                &servers_table,
                &memory_table,
                &micro_table,
            )?;
            println!("wrote bench/RESULTS.md");
        }
        "instructions" | "syscalls" | "rate" => {
            build(args)?;
            let rounds = args.number("--rounds", 5)?;
            let mut chosen = match args.command.as_str() {
                "instructions" => plan(true, true, 0),
                "syscalls" => plan(false, true, 0),
                _ => plan(false, false, rounds),
            };
            chosen.messages = args.get("--messages").map(str::parse).transpose()?;
            let only = server(args)?;
            let rows: Vec<_> = scenarios(args)?
                .into_iter()
                .map(|s| report::scenario(s, only, chosen))
                .collect();
            println!("{}", table::render(&rows));
        }
        "memory" => {
            build(args)?;
            let rows = memory::run(server(args)?, connections(args)?);
            println!("{}", memory::render(&rows));
        }
        "micro" => {
            micro::run()?;
            println!("{}", micro::render(&micro::estimates()));
        }
        "profile" => {
            build(args)?;
            let server = server(args)?.unwrap_or(&WSDRIVER);
            for scenario in scenarios(args)? {
                let per_message = profile::measure(server, scenario)?;
                println!(
                    "{}",
                    profile::render(server.name, scenario, &per_message, 40)
                );
            }
        }
        "smoke" => {
            servers::build(&[&WSDRIVER])?;
            if !smoke::run(args.flag("--update"))? {
                return Ok(ExitCode::FAILURE);
            }
        }
        "soak" => {
            servers::build(&[&WSDRIVER])?;
            let report = soak::run(soak::Soak {
                connections: connections(args)?,
                duration: std::time::Duration::from_secs(args.number("--seconds", 60)?),
                max_size: 64 * 1024,
                drops_per_mille: 5,
                deflate: args.flag("--deflate"),
            })?;
            println!("{}", report.render());
            if !report.passed() {
                return Ok(ExitCode::FAILURE);
            }
        }
        other => return Ok(usage(&format!("unknown command {other:?}"))),
    }
    Ok(ExitCode::SUCCESS)
}
