//! `wscat -l PORT`: a server for any number of clients at once. Each line
//! typed goes to every client, each message received is shown with the
//! client it came from, and with --echo each goes back to its sender.

use crate::args::Args;
use crate::client::{perform, show, Ending, Settings};
use crate::input::Input;
use crate::output::Output;
use crate::slash::{self, Command};
use std::net::{Ipv4Addr, Ipv6Addr};
use tokio::sync::broadcast;
use wsdriver_tokio::{DeflateConfig, Incoming, ServerOptions, ServerSocket, WebSocketServer};

/// Lines typed but not yet sent to a slow client; past it, that client
/// misses the oldest (and is told so).
const BACKLOG: usize = 1024;

/// Serves until the input ends (Ctrl+C or Ctrl+D at the prompt) or the
/// process is stopped; `input` is started once listening.
pub async fn run(args: &Args, output: &Output, input: impl FnOnce() -> Input) -> Ending {
    let port = args.listen.unwrap_or_default();
    let mut options =
        ServerOptions::default().protocols(args.subprotocols.iter().map(String::as_str));
    if args.deflate_on(true) {
        options = options.deflate(DeflateConfig::default());
    }
    // Every interface, IPv6 and IPv4 where the system has both, as ws's
    // server listens.
    let bound = match WebSocketServer::builder()
        .server_options(options.clone())
        .bind((Ipv6Addr::UNSPECIFIED, port))
        .await
    {
        Ok(server) => Ok(server),
        Err(_) => {
            WebSocketServer::builder()
                .server_options(options)
                .bind((Ipv4Addr::UNSPECIFIED, port))
                .await
        }
    };
    let server = match bound {
        Ok(server) => server,
        Err(error) => {
            output.error(&format!("listen on port {port}: {error}"));
            return Ending::Failed;
        }
    };
    let port = server.local_addr().port();
    if output.interactive() {
        output.status(&format!("Listening on port {port} (press CTRL+C to quit)"));
    } else {
        // stdout is for messages; the port (chosen by the system for -l 0)
        // goes where a script can still read it.
        eprintln!("Listening on port {port}");
    }

    let (commands, _) = broadcast::channel(BACKLOG);
    let settings = Settings::from(args);
    let acceptor = server.clone();
    let (sender, echo, shown) = (commands.clone(), args.echo, output.clone());
    tokio::spawn(async move {
        let mut next_id = 0;
        while let Some(socket) = acceptor.accept().await {
            next_id += 1;
            let client = Client {
                socket,
                id: next_id,
                commands: sender.subscribe(),
                output: shown.clone(),
                settings,
                echo,
            };
            tokio::spawn(client.serve());
        }
    });

    let mut input = input();
    while let Some(line) = input.next().await {
        match slash::parse(&line, settings.slash) {
            Ok(command) => {
                if server.clients() == 0 {
                    output.error("no client is connected");
                }
                let _ = commands.send(command);
            }
            Err(message) => output.error(&message),
        }
    }
    server.shutdown(std::time::Duration::from_secs(2)).await;
    Ending::Clean
}

/// One client's connection, in a task of its own.
struct Client {
    socket: ServerSocket,
    id: u64,
    commands: broadcast::Receiver<Command>,
    output: Output,
    settings: Settings,
    echo: bool,
}

impl Client {
    async fn serve(mut self) {
        let id = self.id;
        let peer = self.socket.peer_addr();
        self.output
            .status(&format!("Client #{id} connected ({peer})"));
        loop {
            tokio::select! {
                incoming = self.socket.websocket_mut().next_incoming() => match incoming {
                    Some(Ok(incoming)) => {
                        show(&self.output, &self.settings, &incoming, Some(id));
                        if let (true, Incoming::Message(message)) = (self.echo, incoming) {
                            if self.socket.send(message).await.is_err() {
                                break;
                            }
                        }
                    }
                    Some(Err(error)) => {
                        self.output.error(&format!("client #{id}: {error}"));
                        break;
                    }
                    None => break,
                },
                command = self.commands.recv() => match command {
                    Ok(command) => match perform(self.socket.websocket_mut(), &command, &self.settings).await {
                        Ok(Some(_)) => break,
                        Ok(None) => {}
                        Err(message) => self.output.error(&format!("client #{id}: {message}")),
                    },
                    Err(broadcast::error::RecvError::Lagged(missed)) => self
                        .output
                        .error(&format!("client #{id}: too slow, {missed} lines not sent")),
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
        let how = match self.socket.websocket().close_event() {
            Some(event) => format!("code: {}, reason: {:?}", event.code.as_u16(), event.reason),
            None => "no close".to_owned(),
        };
        self.output
            .status(&format!("Client #{id} disconnected ({how})"));
    }
}
