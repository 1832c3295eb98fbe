//! The command line: Node wscat's flags under the same names, the extras
//! after them, and the help text that reads as the manual page.

use clap::{ArgGroup, Parser};
use std::path::PathBuf;

/// What `--help` ends with: the slash commands, the modes, exit codes and
/// examples (`-h` stays short).
const AFTER_LONG_HELP: &str = "\
SLASH COMMANDS (with --slash)
    /ping [data]             Send a ping (shown with -P when the pong comes back)
    /pong [data]             Send an unsolicited pong
    /close [code [reason]]   Close the connection (1000 by default)
    A line starting with // is sent as a message starting with /.

INTERACTIVE AND PIPED
    When stdin and stdout are a terminal, wscat shows a prompt; messages
    that arrive print above the line being typed, never through it. Lines
    typed are kept in a history between runs ($XDG_DATA_HOME/wscat/history,
    ~/.local/share/wscat/history by default). Ctrl+C or Ctrl+D closes the
    connection and quits.

    Otherwise wscat is for scripts: each line of stdin is one message,
    stdout is the messages received, one per line, raw, with no prompt or
    colour, and errors are one line on stderr starting with 'error: '.
    When stdin ends, wscat waits --wait seconds for answers, closes, and
    exits once the close completes.

    Colours are off with --no-color, when NO_COLOR is set, or when stdout
    is not a terminal.

    What a peer sends is shown on a terminal with its control characters
    escaped (ESC as \\x1b, CR as \\r; line feeds and tabs kept), so a
    message cannot set the terminal's title or colours or move its cursor.
    When stdout is not a terminal, or with --no-escape, it is written as
    it came.

EVENTSOURCE (--sse)
    Each event's data is printed, one per line (its type and ID too, at a
    terminal). When the stream is lost wscat reconnects, sending the last
    event ID, after the server's retry: or 1 s, never under 250 ms, the
    wait doubling up to 30 s while attempts keep failing. An attempt fails
    when it yields no event (refused, timed out, cut off, an empty or
    broken body); each reconnection is said on stderr, with why. After 5
    failed attempts in a row wscat gives up (exit 1), unless
    --retry-forever. A 204 No Content from the server ends it (exit 0).

EXIT STATUS
    0   the connection closed cleanly (1000, 1001 or no code from the
        server, or any code wscat closed with); a server stopped by Ctrl+C
    1   the connection failed or was refused, or the server closed with
        another code (shown on stderr with its reason); --sse gave up
    2   bad usage

EXAMPLES
    wscat -c localhost:8080                      Talk to a local server
    wscat -c wss://example.com/chat -s chat -H 'Authorization: Bearer t'
    wscat -c ws://host/ws -x '{\"op\":\"ping\"}' -w 1  Send, wait 1 s, close
    echo hello | wscat -c ws://host/echo         One message from a script
    wscat -c ws://host/ws --slash -P             /ping and /close by hand
    wscat -c wss://internal/ --ca ca.pem --cert me.pem --key me.key --passphrase
    wscat -c ws://host/ --proxy http://proxy:3128
    wscat -l 8080                                Serve; lines typed go to every client
    wscat -l 8080 --echo                         An echo server
    wscat --sse https://host/events              Print an EventSource stream";

/// A WebSocket client and server for the terminal and for scripts.
///
/// Connect to a server with -c, or listen for clients with -l; then type
/// messages (or pipe them in) and see what comes back.
#[derive(Debug, Parser)]
#[command(
    name = "wscat",
    version,
    after_long_help = AFTER_LONG_HELP,
    group(ArgGroup::new("mode").required(true).args(["connect", "listen", "sse"])),
)]
pub struct Args {
    /// Connect to a WebSocket server (ws://, wss://, ws+unix:, and
    /// http:// and https:// taken as ws:// and wss://; ws:// is added when
    /// there is no scheme)
    #[arg(short = 'c', long, value_name = "URL")]
    pub connect: Option<String>,

    /// Listen on a port for WebSocket clients, any number at once (0 picks
    /// a free port, printed at start)
    #[arg(short = 'l', long, value_name = "PORT")]
    pub listen: Option<u16>,

    /// Print the events of an EventSource (server-sent events) stream
    /// (see EVENTSOURCE)
    #[arg(long, value_name = "URL")]
    pub sse: Option<String>,

    /// With --sse: never give up reconnecting (by default wscat stops
    /// after 5 failed attempts in a row)
    #[arg(long, requires = "sse")]
    pub retry_forever: bool,

    /// Add a request header, 'Name: value' (repeat for more; a name given
    /// again replaces its value)
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Basic authentication, user:password (replaces an Authorization
    /// header given with -H)
    #[arg(long, value_name = "USER:PASS")]
    pub auth: Option<String>,

    /// The Host header to send instead of the URL's host (replaces one
    /// given with -H)
    #[arg(long, value_name = "HOST")]
    pub host: Option<String>,

    /// The Origin header to send
    #[arg(short = 'o', long, value_name = "ORIGIN")]
    pub origin: Option<String>,

    /// The WebSocket protocol version to speak: 13 (RFC 6455) or 8 (draft)
    #[arg(short = 'p', long = "protocol", value_name = "VERSION",
          value_parser = clap::builder::PossibleValuesParser::new(["8", "13"]))]
    pub protocol_version: Option<String>,

    /// A subprotocol to offer (client) or accept (server) (repeat for more)
    #[arg(short = 's', long = "subprotocol", value_name = "PROTOCOL")]
    pub subprotocols: Vec<String>,

    /// Trust this CA certificate (PEM) besides the system's
    #[arg(long, value_name = "FILE")]
    pub ca: Option<PathBuf>,

    /// A client certificate to show (PEM), with --key
    #[arg(long, value_name = "FILE", requires = "key")]
    pub cert: Option<PathBuf>,

    /// The client certificate's private key (PEM), with --cert
    #[arg(long, value_name = "FILE", requires = "cert")]
    pub key: Option<PathBuf>,

    /// The passphrase of an encrypted --key (asked for when given no value)
    #[arg(long, value_name = "PASSPHRASE", num_args = 0..=1, default_missing_value = "",
          requires = "key")]
    pub passphrase: Option<String>,

    /// Do not check the server's certificate (for tests only)
    #[arg(short = 'n', long)]
    pub no_check: bool,

    /// Connect through this HTTP proxy (http:// or https://), with CONNECT
    #[arg(long, value_name = "URL")]
    pub proxy: Option<String>,

    /// Follow redirects
    #[arg(short = 'L', long)]
    pub location: bool,

    /// How many redirects to follow with -L
    #[arg(long, value_name = "NUM", default_value_t = 10)]
    pub max_redirects: usize,

    /// Send this message once connected (repeat for more), then close
    /// after --wait seconds
    #[arg(short = 'x', long = "execute", value_name = "COMMAND")]
    pub execute: Vec<String>,

    /// Seconds to wait for answers after the last -x command, or after
    /// stdin ends, before closing; -1 waits until the server closes
    #[arg(
        short = 'w',
        long,
        value_name = "SECONDS",
        allow_negative_numbers = true
    )]
    pub wait: Option<f64>,

    /// Show the pings and pongs received
    #[arg(short = 'P', long)]
    pub show_ping_pong: bool,

    /// Read /ping, /pong and /close as commands (see SLASH COMMANDS)
    #[arg(long)]
    pub slash: bool,

    /// No colours
    #[arg(long)]
    pub no_color: bool,

    /// Print what peers send as it came, control characters and escape
    /// sequences included, even to a terminal (by default a terminal is
    /// shown them escaped, as \x1b)
    #[arg(long)]
    pub no_escape: bool,

    /// With -l: send every message back to the client that sent it
    #[arg(long, requires = "listen")]
    pub echo: bool,

    /// Offer (client) or accept (server) permessage-deflate; on by default
    /// for a client, off for a server
    #[arg(long, overrides_with = "no_deflate")]
    pub deflate: bool,

    /// No permessage-deflate
    #[arg(long, overrides_with = "deflate")]
    pub no_deflate: bool,

    /// Send lines as binary messages, and show binary messages received as
    /// hex
    #[arg(long)]
    pub binary: bool,

    /// Give up if connecting (TCP, proxy, TLS, handshake) takes longer
    /// than this many seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub timeout: f64,
}

impl Args {
    /// Whether to negotiate permessage-deflate: `--deflate` or
    /// `--no-deflate` when given, else on for a client (as ws) and off for
    /// a server (as ws's server).
    pub fn deflate_on(&self, server: bool) -> bool {
        if self.deflate {
            true
        } else if self.no_deflate {
            false
        } else {
            !server
        }
    }
}
