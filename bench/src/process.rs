//! Starting a server (under valgrind, pinned, or bare), waiting until it
//! listens, and stopping it cleanly; starting the load generator as a
//! child of its own.

use std::io::{self, BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use crate::scenario::Scenario;
use crate::servers::Server;

/// The glibc setting without which valgrind counts every byte that
/// `rep movsb`/`rep stosb` moves as an instruction.
pub const TUNABLES: &str = "glibc.cpu.x86_rep_movsb_threshold=1099511627776:\
                            glibc.cpu.x86_rep_stosb_threshold=1099511627776";

/// A running server.
pub struct Running {
    child: Child,
    /// Its address.
    pub addr: SocketAddr,
}

/// A free port on 127.0.0.1 (free when asked).
///
/// # Errors
/// When none can be bound.
pub fn free_port() -> io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The wrapper that runs a process on one core (`taskset -c CORE`): the
/// server on core 0 and the load on core 1, so that neither waits for
/// the other's core and the two do not swap places between runs.
pub fn pinned(core: u32) -> Vec<String> {
    vec!["taskset".to_owned(), "-c".to_owned(), core.to_string()]
}

/// Starts `server` behind `wrapper` (e.g. `valgrind ...` or `taskset -c
/// 0`; empty for none) and waits for its "listening" line. Under valgrind
/// it gets [`TUNABLES`].
///
/// # Errors
/// Spawning fails, or the server exits or stays silent for two minutes.
pub fn start(server: &Server, wrapper: &[String], deflate: bool) -> io::Result<Running> {
    start_with(server, wrapper, deflate, &[])
}

/// [`start`], with `extra` arguments after the server's own.
///
/// # Errors
/// As [`start`].
pub fn start_with(
    server: &Server,
    wrapper: &[String],
    deflate: bool,
    extra: &[&str],
) -> io::Result<Running> {
    let port = free_port()?;
    let mut argv: Vec<String> = wrapper.to_vec();
    argv.extend(server.command(port, deflate));
    argv.extend(extra.iter().map(|arg| (*arg).to_owned()));
    let mut command = Command::new(&argv[0]);
    if argv[0] == "valgrind" {
        command.env("GLIBC_TUNABLES", TUNABLES);
    }
    let mut child = command
        .args(&argv[1..])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()?;
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stderr).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if line.contains("listening") {
                let _ = tx.send(Ok(()));
                break;
            }
            let _ = tx.send(Err(line));
        }
        // Keep draining, so that the server never blocks on a full pipe.
        for line in lines.map_while(Result::ok) {
            if std::env::var_os("BENCH_VERBOSE").is_some() {
                eprintln!("server: {line}");
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut said = Vec::new();
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Ok(())) => break,
            Ok(Err(line)) => said.push(line),
            Err(_) => {
                if child.try_wait()?.is_some() || Instant::now() > deadline {
                    let _ = child.kill();
                    return Err(io::Error::other(format!(
                        "{} did not start: {}",
                        server.name,
                        said.join("\n")
                    )));
                }
            }
        }
    }
    Ok(Running {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    })
}

impl Running {
    /// Its process id (valgrind and taskset run the server in their own).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the exit (valgrind writes its files
    /// then).
    ///
    /// # Errors
    /// When it does not exit within two minutes.
    pub fn stop(mut self) -> io::Result<()> {
        signal(self.pid(), "TERM")?;
        let deadline = Instant::now() + Duration::from_secs(120);
        while self.child.try_wait()?.is_none() {
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return Err(io::Error::other("the server did not exit on SIGTERM"));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Sends `SIG` to `pid` (through kill(1): this crate has no `unsafe`).
///
/// # Errors
/// When kill(1) fails.
pub fn signal(pid: u32, sig: &str) -> io::Result<()> {
    let status = Command::new("kill")
        .args([format!("-{sig}"), pid.to_string()])
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("kill -{sig} {pid} failed")))
    }
}

/// The load generator in a process of its own (this binary's `load`
/// subcommand), paused after connecting: see [`crate::load::run`].
pub struct LoadChild {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl LoadChild {
    /// Starts it behind `wrapper` (e.g. `taskset -c 1`) and waits until
    /// every connection is open.
    ///
    /// # Errors
    /// When it fails to start or to connect.
    pub fn start(
        wrapper: &[String],
        addr: SocketAddr,
        scenario: &Scenario,
        messages: u64,
    ) -> io::Result<Self> {
        let exe = std::env::current_exe()?;
        let mut argv: Vec<String> = wrapper.to_vec();
        argv.push(exe.display().to_string());
        argv.extend([
            "load".to_owned(),
            "--addr".to_owned(),
            addr.to_string(),
            "--scenario".to_owned(),
            scenario.name.to_owned(),
            "--messages".to_owned(),
            messages.to_string(),
            "--pause".to_owned(),
        ]);
        let mut child = Command::new(&argv[0])
            .args(&argv[1..])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped");
        let stdout = BufReader::new(child.stdout.take().expect("piped"));
        let mut load = LoadChild {
            child,
            stdin,
            stdout,
        };
        load.expect("ready")?;
        Ok(load)
    }

    fn expect(&mut self, word: &str) -> io::Result<String> {
        let mut line = String::new();
        self.stdout.read_line(&mut line)?;
        if line.starts_with(word) {
            Ok(line.trim().to_owned())
        } else {
            Err(io::Error::other(format!(
                "the load generator failed (expected {word:?}, got {line:?})"
            )))
        }
    }

    /// Sends the messages; returns the nanoseconds they took.
    ///
    /// # Errors
    /// When the load generator fails.
    pub fn go(&mut self) -> io::Result<u64> {
        writeln!(self.stdin)?;
        let done = self.expect("done")?;
        done.trim_start_matches("done ")
            .parse()
            .map_err(io::Error::other)
    }

    /// Closes the connections and waits for the exit.
    ///
    /// # Errors
    /// When it exits with an error.
    pub fn finish(mut self) -> io::Result<()> {
        writeln!(self.stdin)?;
        if self.child.wait()?.success() {
            Ok(())
        } else {
            Err(io::Error::other("the load generator failed"))
        }
    }
}

/// Runs the load to the end: start, go, finish.
///
/// # Errors
/// As [`LoadChild`].
pub fn run_load(addr: SocketAddr, scenario: &Scenario, messages: u64) -> io::Result<u64> {
    let mut load = LoadChild::start(&[], addr, scenario, messages)?;
    let nanos = load.go()?;
    load.finish()?;
    Ok(nanos)
}
