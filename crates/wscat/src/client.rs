//! `wscat -c`: connect, then show what arrives and send what is typed
//! (or piped, or given with -x) until either side closes.

use crate::args::Args;
use crate::connect_options::{check_scheme, client_options, with_scheme};
use crate::errors::describe;
use crate::input::Input;
use crate::output::Output;
use crate::slash::{self, Command};
use tokio::io::{AsyncRead, AsyncWrite};
use wsdriver_tokio::{connect, CloseEvent, Incoming, Message, WebSocket};

/// How a session ended, as the exit status says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    Clean,
    Failed,
}

/// Connects to `-c URL` and runs the session; `input` is started once
/// connected (the prompt appears only then).
pub async fn run(args: &Args, output: &Output, input: impl FnOnce() -> Input) -> Ending {
    let url = with_scheme(args.connect.as_deref().unwrap_or_default());
    if let Err(message) = check_scheme(&url) {
        output.error(&message);
        return Ending::Failed;
    }
    let options = match client_options(args) {
        Ok(options) => options,
        Err(message) => {
            output.error(&message);
            return Ending::Failed;
        }
    };
    let mut socket = match connect(url.as_str(), options).await {
        Ok(socket) => socket,
        Err(error) => {
            output.error(&describe(&error, &url));
            return Ending::Failed;
        }
    };
    output.status("Connected (press CTRL+C to quit)");
    let mut input = input();
    let settings = Settings::from(args);
    let mut we_closed = false;
    let mut failure = None;
    loop {
        tokio::select! {
            incoming = socket.next_incoming() => match incoming {
                Some(Ok(incoming)) => show(output, &settings, &incoming, None),
                Some(Err(error)) => {
                    failure = Some(error.to_string());
                    break;
                }
                None => break,
            },
            line = input.next() => {
                let command = match line {
                    Some(line) => match slash::parse(&line, settings.slash) {
                        Ok(command) => command,
                        Err(message) => {
                            output.error(&message);
                            continue;
                        }
                    },
                    None => Command::Close(1000, String::new()),
                };
                match perform(&mut socket, &command, &settings).await {
                    Ok(Some(_)) => {
                        we_closed = true;
                        break;
                    }
                    Ok(None) => {}
                    Err(message) => output.error(&message),
                }
            }
        }
    }
    report(output, socket.close_event(), we_closed, failure)
}

/// What the flags say about showing and sending, for each connection.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub slash: bool,
    pub binary: bool,
    pub show_ping_pong: bool,
}

impl From<&Args> for Settings {
    fn from(args: &Args) -> Self {
        Settings {
            slash: args.slash,
            binary: args.binary,
            show_ping_pong: args.show_ping_pong,
        }
    }
}

/// Shows a message, or a ping or pong with -P; `from` is a server's
/// client.
pub fn show(output: &Output, settings: &Settings, incoming: &Incoming, from: Option<u64>) {
    match incoming {
        Incoming::Message(message) => output.message(message, from),
        Incoming::Ping(payload) if settings.show_ping_pong => output.control("ping", payload, from),
        Incoming::Pong(payload) if settings.show_ping_pong => output.control("pong", payload, from),
        _ => {}
    }
}

/// Does what a line asked on `socket`. `Ok(Some(event))` once a close
/// it asked for has completed; `Err` is a line to show, and the session
/// goes on.
pub async fn perform<S: AsyncRead + AsyncWrite + Unpin>(
    socket: &mut WebSocket<S>,
    command: &Command,
    settings: &Settings,
) -> Result<Option<CloseEvent>, String> {
    let result = match command {
        Command::Send(line) => {
            let message = if settings.binary {
                Message::Binary(line.clone().into_bytes().into())
            } else {
                Message::from(line.as_str())
            };
            socket.send(message).await
        }
        // The pong shows with -P when it arrives; nobody waits for it here.
        Command::Ping(data) => socket.ping(data).await.map(drop),
        Command::Pong(data) => socket.pong(data).await,
        Command::Close(code, reason) => {
            return socket
                .close(*code, reason)
                .await
                .map(Some)
                .map_err(|error| error.to_string());
        }
    };
    result.map(|()| None).map_err(|error| error.to_string())
}

/// Says how the connection ended, and whether that was a success: a
/// clean close wscat asked for, or one the server made with 1000, 1001 or
/// no code.
fn report(
    output: &Output,
    event: Option<&CloseEvent>,
    we_closed: bool,
    failure: Option<String>,
) -> Ending {
    let Some(event) = event else {
        output.error(failure.as_deref().unwrap_or("the connection ended"));
        return Ending::Failed;
    };
    let code = event.code.as_u16();
    let ok_code = matches!(code, 1000 | 1001 | 1005);
    let success = failure.is_none() && event.clean && (we_closed || ok_code);
    let mut line = format!("Disconnected (code: {code}, reason: {:?})", event.reason);
    // 1006 alone does not say whether the peer hung up, the connection
    // was reset or a timeout ended it: the cause does.
    if event.cause.is_failure() && failure.is_none() {
        line = format!("{line}: {}", event.cause);
    }
    if success {
        output.status(&line);
        return Ending::Clean;
    }
    match failure {
        Some(failure) => output.error(&format!("{failure}; {line}")),
        None => output.error(&line),
    }
    Ending::Failed
}
