//! Where the lines to send come from: the line editor (a person), stdin
//! (a script) or the -x commands, all as one channel of lines that ends
//! when the input does (after --wait, for scripts and -x).

use crate::output::{Output, Printed};
use rustyline::history::FileHistory;
use rustyline::{Editor, ExternalPrinter};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncBufReadExt;
use tokio::sync::mpsc;

/// Lines to send, in order; `None` once the input is over.
pub struct Input {
    lines: mpsc::UnboundedReceiver<String>,
}

impl Input {
    /// The next line, or `None` when the input has ended (Ctrl+C or
    /// Ctrl+D at the prompt; stdin's end or the last -x command, then the
    /// wait).
    pub async fn next(&mut self) -> Option<String> {
        self.lines.recv().await
    }

    /// A prompt with line editing and history, on a thread of its own
    /// (the editor blocks). Its printer thread takes over `output`, so
    /// lines that arrive print above the line being typed.
    pub fn editor(output: &Output) -> Input {
        let (send, lines) = mpsc::unbounded_channel();
        let mut editor = match Editor::<(), FileHistory>::new() {
            Ok(editor) => editor,
            Err(error) => {
                output.error(&format!("cannot start the line editor: {error}"));
                return Input { lines };
            }
        };
        let history = history_file();
        if let Some(path) = &history {
            let _ = editor.load_history(path);
        }
        // Set once the editor has given the terminal back for good.
        let done = Arc::new(AtomicBool::new(false));
        if let Ok(printer) = editor.create_external_printer() {
            output.use_printer(printer_thread(printer, done.clone()));
        }
        std::thread::spawn(move || {
            // Ctrl+C, Ctrl+D, or a terminal gone: the input is over.
            while let Ok(line) = editor.readline("> ") {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                    // Saved line by line: the program may end while the
                    // editor waits for the next one.
                    if let Some(path) = &history {
                        let _ = editor.append_history(path);
                    }
                }
                if send.send(line).is_err() {
                    break;
                }
            }
            // Before `send` goes (the input ends with it): whoever sees
            // the end sees this too.
            done.store(true, Ordering::SeqCst);
        });
        Input { lines }
    }

    /// Each line of stdin, then, once it ends, `wait` (`None`: for ever).
    /// Ctrl+C (SIGINT) ends it at once, so that the connection still
    /// closes cleanly.
    pub fn stdin(wait: Option<Duration>) -> Input {
        let (send, lines) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            let reading = async {
                let mut stdin = tokio::io::BufReader::new(tokio::io::stdin()).lines();
                while let Ok(Some(line)) = stdin.next_line().await {
                    if send.send(line).is_err() {
                        return;
                    }
                }
                match wait {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = reading => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        });
        Input { lines }
    }

    /// The -x commands, then `wait` (`None`: for ever); Ctrl+C ends it
    /// at once.
    pub fn commands(commands: Vec<String>, wait: Option<Duration>) -> Input {
        let (send, lines) = mpsc::unbounded_channel();
        for command in commands {
            let _ = send.send(command);
        }
        tokio::spawn(async move {
            let waiting = async {
                match wait {
                    Some(wait) => tokio::time::sleep(wait).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                () = waiting => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            drop(send);
        });
        Input { lines }
    }
}

const CURSOR_UP: &str = "\x1b[1A";

/// The editor's printer, fed from a thread of its own: its `print` waits
/// for the editor to take each line, which async tasks must not do.
/// `done`: the editor has stopped reading (Ctrl+C, Ctrl+D), and the
/// printer now writes straight to the terminal.
fn printer_thread(
    mut printer: impl ExternalPrinter + Send + 'static,
    done: Arc<AtomicBool>,
) -> std::sync::mpsc::Sender<Printed> {
    let (send, receive) = std::sync::mpsc::channel::<Printed>();
    std::thread::spawn(move || {
        while let Ok(item) = receive.recv() {
            match item {
                Printed::Line(line) => {
                    let _ = printer.print(format!("{line}\n"));
                }
                Printed::Flush(flushed) => {
                    // Once the editor has stopped, the printer writes each
                    // line itself before it returns: all are out. While
                    // the editor reads, the printer hands it one line at a
                    // time (its print waits for room): once two more have
                    // been taken, every line before them has been written.
                    // Each is a cursor-up that the editor's own newline
                    // after it undoes, so they show nothing; written
                    // straight to the terminal they would move the cursor
                    // up over what was printed.
                    if !done.load(Ordering::SeqCst) {
                        let _ = printer.print(CURSOR_UP.to_owned());
                        let _ = printer.print(CURSOR_UP.to_owned());
                    }
                    let _ = flushed.send(());
                }
            }
        }
    });
    send
}

/// `$XDG_DATA_HOME/wscat/history` (`~/.local/share/wscat/history`, or the
/// platform's data folder), its folder made if need be.
fn history_file() -> Option<PathBuf> {
    let folder = dirs::data_dir()?.join("wscat");
    std::fs::create_dir_all(&folder).ok()?;
    Some(folder.join("history"))
}

/// Reads a passphrase from the terminal without echoing it.
pub fn read_secret(prompt: &str) -> std::io::Result<String> {
    use std::io::{BufRead, IsTerminal, Write};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(std::io::Error::other(
            "--passphrase needs a value when stdin is not a terminal",
        ));
    }
    eprint!("{prompt}");
    std::io::stderr().flush()?;
    let saved = crate::terminal::Saved::now();
    crate::terminal::no_echo();
    let mut line = String::new();
    let read = stdin.lock().read_line(&mut line);
    saved.restore();
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
