//! wscat: a WebSocket client and server for the terminal and for scripts,
//! with Node wscat's flags, on wsdriver-tokio. `wscat --help` is the
//! manual; this file picks the mode and turns the outcome into the exit
//! status (0 clean, 1 failed, 2 bad usage, which clap reports itself).

mod args;
mod client;
mod connect_options;
mod errors;
mod input;
mod output;
mod server;
mod slash;
mod sse;
mod terminal;

use args::Args;
use clap::Parser;
use client::Ending;
use connect_options::seconds;
use input::Input;
use output::Output;
use std::io::{IsTerminal, Write};
use std::time::Duration;

/// How long -x and piped input wait for answers before closing, when -w
/// does not say (Node wscat's 2 s).
const DEFAULT_WAIT: Duration = Duration::from_secs(2);

fn main() {
    let args = Args::parse();
    // A person at a terminal gets the prompt; -x runs by itself.
    let interactive = std::io::stdin().is_terminal()
        && std::io::stdout().is_terminal()
        && args.execute.is_empty();
    let output = Output::new(interactive, args.no_color, args.binary, args.no_escape);
    let terminal = terminal::Saved::now();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start: {error}");
            std::process::exit(1);
        }
    };
    let ending = runtime.block_on(run(&args, &output));
    output.flush();
    if interactive {
        // The editor may still hold the terminal in raw mode, its prompt
        // on the last line: put both back.
        terminal.restore();
        print!("\r\x1b[2K");
        let _ = std::io::stdout().flush();
    }
    // Not waiting for the threads reading stdin or the terminal: they
    // cannot be told to stop.
    std::process::exit(match ending {
        Ending::Clean => 0,
        Ending::Failed => 1,
    });
}

async fn run(args: &Args, output: &Output) -> Ending {
    let wait = match args.wait {
        Some(wait) if wait < 0.0 => None,
        Some(wait) => match seconds(wait, "--wait") {
            Ok(wait) => Some(wait),
            Err(message) => {
                output.error(&message);
                return Ending::Failed;
            }
        },
        None => Some(DEFAULT_WAIT),
    };
    let interactive = output.interactive();
    if let Some(url) = &args.sse {
        return sse::run(args, url, output).await;
    }
    if args.listen.is_some() {
        // A server keeps serving when its stdin ends.
        return server::run(args, output, || {
            if interactive {
                Input::editor(output)
            } else {
                Input::stdin(None)
            }
        })
        .await;
    }
    client::run(args, output, || {
        if !args.execute.is_empty() {
            Input::commands(args.execute.clone(), wait)
        } else if interactive {
            Input::editor(output)
        } else {
            Input::stdin(wait)
        }
    })
    .await
}
