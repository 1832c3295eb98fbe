//! The echo servers under test and how each is started.

use std::path::{Path, PathBuf};

/// One server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Server {
    /// Its name in the tables and on the command line.
    pub name: &'static str,
    /// How it runs.
    pub kind: Kind,
    /// Whether it offers permessage-deflate (with `--deflate`).
    pub deflate: bool,
}

/// How a server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A binary of this crate, built with the `bench-servers` profile.
    Rust(&'static str),
    /// npm `ws`, pinned in tools/node.
    Node,
}

/// Ours: the figure every ratio is about.
pub const WSDRIVER: Server = Server {
    name: "wsdriver-tokio",
    kind: Kind::Rust("echo_wsdriver"),
    deflate: true,
};

/// Every server, ours first.
pub const ALL: &[Server] = &[
    WSDRIVER,
    Server {
        name: "tokio-tungstenite",
        kind: Kind::Rust("echo_tungstenite"),
        deflate: false,
    },
    Server {
        name: "tokio-tungstenite-tuned",
        kind: Kind::Rust("echo_tungstenite_tuned"),
        deflate: false,
    },
    Server {
        name: "fastwebsockets",
        kind: Kind::Rust("echo_fastwebsockets"),
        deflate: false,
    },
    Server {
        name: "tokio-websockets",
        kind: Kind::Rust("echo_tokio_websockets"),
        deflate: false,
    },
    Server {
        name: "node-ws",
        kind: Kind::Node,
        deflate: true,
    },
];

/// The server called `name`.
pub fn find(name: &str) -> Option<&'static Server> {
    ALL.iter().find(|s| s.name == name)
}

/// The workspace's root (the bench crate's parent).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ has a parent")
        .to_path_buf()
}

/// The target directory cargo builds into.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

/// Where measurements leave their files (cachegrind, callgrind, perf).
pub fn work_dir() -> PathBuf {
    let dir = target_dir().join("bench-work");
    let _ = std::fs::create_dir_all(&dir);
    dir
}

impl Server {
    /// Its command line, listening on `port`.
    pub fn command(&self, port: u16, deflate: bool) -> Vec<String> {
        let mut args = match self.kind {
            Kind::Rust(bin) => vec![
                target_dir()
                    .join("bench-servers")
                    .join(bin)
                    .display()
                    .to_string(),
                port.to_string(),
            ],
            Kind::Node => vec![
                "node".to_owned(),
                workspace_root()
                    .join("tools/node/ws_echo_server.js")
                    .display()
                    .to_string(),
                format!("127.0.0.1:{port}"),
            ],
        };
        if deflate {
            args.push("--deflate".to_owned());
        }
        args
    }

    /// Whether it can run here (Node's `ws` installed by tools/peers.sh).
    pub fn available(&self) -> bool {
        match self.kind {
            Kind::Rust(_) => true,
            Kind::Node => workspace_root()
                .join("tools/node/node_modules/ws/package.json")
                .exists(),
        }
    }
}

/// The servers that run `scenario`: all, or those offering deflate.
pub fn for_scenario(deflate: bool) -> Vec<&'static Server> {
    ALL.iter()
        .filter(|s| !deflate || s.deflate)
        .filter(|s| s.available())
        .collect()
}

/// Builds the Rust servers of `servers` with the `bench-servers` profile.
///
/// # Errors
/// When cargo fails.
pub fn build(servers: &[&Server]) -> std::io::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let mut command = std::process::Command::new(cargo);
    command.current_dir(workspace_root()).args([
        "build",
        "--quiet",
        "--profile",
        "bench-servers",
        "-p",
        "bench",
    ]);
    for server in servers {
        if let Kind::Rust(bin) = server.kind {
            command.args(["--bin", bin]);
        }
    }
    if command.status()?.success() {
        Ok(())
    } else {
        Err(std::io::Error::other("building the servers failed"))
    }
}
