//! A terminal for tests: a tmux session running one command, on a tmux
//! server of its own (its own socket), so tests neither see nor disturb
//! other sessions; the server is ended when dropped.

use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `command` (through the shell) in a 100x20 pane, with
    /// `NO_COLOR=1` (any colour on the screen is then not wscat's) and
    /// `env`.
    pub fn start(command: &str, env: &[(&str, &str)]) -> Tmux {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "wscat-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut tmux = Command::new("tmux");
        tmux.args(["-L", &socket, "-f", "/dev/null"])
            .args(["new-session", "-d", "-s", "test", "-x", "100", "-y", "20"])
            .args(["-e", "NO_COLOR=1"]);
        for (name, value) in env {
            tmux.args(["-e", &format!("{name}={value}")]);
        }
        let status = tmux
            .arg(command)
            .status()
            .expect("tmux is installed (tools/peers.sh installs it)");
        assert!(status.success());
        // The pane stays once the command ends, so its last screen can
        // still be read.
        let tmux = Tmux { socket };
        tmux.run(&["set-option", "-t", "test", "remain-on-exit", "on"]);
        tmux
    }

    fn run(&self, args: &[&str]) -> String {
        let output = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "tmux {args:?}: {output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Types `keys` (tmux key names, or `-l` and text).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "test"];
        args.extend_from_slice(keys);
        self.run(&args);
    }

    /// The screen's text.
    pub fn screen(&self) -> String {
        self.run(&["capture-pane", "-p", "-t", "test"])
    }

    /// The screen with its colours and attributes, as escape sequences.
    pub fn screen_with_attributes(&self) -> String {
        self.run(&["capture-pane", "-p", "-e", "-t", "test"])
    }

    /// The pane's title (what OSC 0 and 2 set).
    pub fn title(&self) -> String {
        self.run(&["display-message", "-p", "-t", "test", "#{pane_title}"])
            .trim_end()
            .to_owned()
    }

    /// Waits until the screen shows `what`; the screen when it does.
    pub async fn wait_for(&self, what: impl Fn(&str) -> bool) -> String {
        let started = Instant::now();
        loop {
            let screen = self.screen();
            if what(&screen) {
                return screen;
            }
            assert!(
                started.elapsed() < super::LIMIT,
                "the screen never showed it:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}
