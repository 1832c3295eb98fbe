//! One side of a connection as production runs it: a handshake machine
//! (`ServerHandshake` or `ClientHandshake`) that hands over to a
//! `Connection`, on a simulated clock, exactly as the tokio crate's drive
//! step does. The targets feed it chunks and look at its events and
//! output; nothing here goes through `Driver`.

use std::time::{Duration, Instant};
use wsdriver::{
    ClientEvent, ClientHandshake, Connection, Event, Machine, Options, ServerEvent, ServerHandshake,
};

enum Stage {
    Server(Box<ServerHandshake>),
    Client(Box<ClientHandshake>),
    Open(Box<Connection>),
    /// The handshake failed (a server wrote its refusal first).
    Refused,
    /// Only between stages.
    Moving,
}

/// A connection's one side, from its handshake on.
pub struct Peer {
    stage: Stage,
    now: Instant,
    output: Vec<u8>,
}

impl Peer {
    /// A server that reads its request from the stream.
    pub fn server(options: Options) -> Peer {
        let now = Instant::now();
        let handshake = ServerHandshake::new(options, now).expect("valid options");
        Peer {
            stage: Stage::Server(Box::new(handshake)),
            now,
            output: Vec::new(),
        }
    }

    /// A client for `url` whose request is already written.
    pub fn client(url: &str, options: Options) -> Peer {
        let now = Instant::now();
        let mut handshake = ClientHandshake::new(url, options).expect("a valid URL");
        assert!(handshake.start(now));
        let mut peer = Peer {
            stage: Stage::Client(Box::new(handshake)),
            now,
            output: Vec::new(),
        };
        peer.collect_output();
        peer
    }

    /// Whether the handshake failed.
    pub fn refused(&self) -> bool {
        matches!(self.stage, Stage::Refused)
    }

    /// The open connection, once there is one.
    pub fn connection(&mut self) -> Option<&mut Connection> {
        match &mut self.stage {
            Stage::Open(connection) => Some(connection),
            _ => None,
        }
    }

    /// Everything written since the last call.
    pub fn take_output(&mut self) -> Vec<u8> {
        self.collect_output();
        std::mem::take(&mut self.output)
    }

    /// Bytes from the peer arrive: the handshake reads them, and hands
    /// over to the connection (with what came after its head) once open.
    /// Returns the connection's events.
    pub fn receive(&mut self, chunk: &[u8]) -> Vec<Event> {
        let now = self.now;
        match &mut self.stage {
            Stage::Server(machine) => feed(machine.as_mut(), chunk, now),
            Stage::Client(machine) => feed(machine.as_mut(), chunk, now),
            Stage::Open(machine) => feed(machine.as_mut(), chunk, now),
            Stage::Refused | Stage::Moving => {}
        }
        self.advance()
    }

    /// The peer hung up.
    pub fn transport_closed(&mut self) -> Vec<Event> {
        match &mut self.stage {
            Stage::Server(machine) => machine.transport_closed(),
            Stage::Client(machine) => machine.transport_closed(),
            Stage::Open(machine) => machine.transport_closed(),
            Stage::Refused | Stage::Moving => {}
        }
        self.advance()
    }

    /// Time passes; due timers run, as the drive step runs them.
    pub fn pass(&mut self, time: Duration) -> Vec<Event> {
        self.now += time;
        let now = self.now;
        let due = |at: Option<Instant>| at.is_some_and(|at| at <= now);
        match &mut self.stage {
            Stage::Server(m) if due(m.poll_timeout()) => m.handle_timeout(now),
            Stage::Client(m) if due(m.poll_timeout()) => m.handle_timeout(now),
            Stage::Open(m) if due(m.poll_timeout()) => m.handle_timeout(now),
            _ => {}
        }
        self.advance()
    }

    /// The current time on the simulated clock.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// Runs the stage's events: a server accepts every request it reads,
    /// and an open handshake becomes a connection.
    fn advance(&mut self) -> Vec<Event> {
        let now = self.now;
        loop {
            self.collect_output();
            let stage = std::mem::replace(&mut self.stage, Stage::Moving);
            self.stage = match stage {
                Stage::Server(mut machine) => match machine.poll_event() {
                    Some(ServerEvent::Request) => {
                        // Refused when the request cannot be accepted: the
                        // handshake then reports its failure.
                        let _ = machine.accept();
                        Stage::Server(machine)
                    }
                    Some(ServerEvent::Open) => {
                        let Ok(connection) = machine.into_connection(now) else {
                            panic!("an open handshake gives its connection")
                        };
                        Stage::Open(Box::new(connection))
                    }
                    Some(ServerEvent::Failed(_)) => {
                        self.output.extend(machine.take_output());
                        Stage::Refused
                    }
                    // (Events added later mean nothing here yet.)
                    Some(_) => Stage::Server(machine),
                    None => {
                        self.stage = Stage::Server(machine);
                        return Vec::new();
                    }
                },
                Stage::Client(mut machine) => match machine.poll_event() {
                    Some(ClientEvent::Open) => {
                        let Ok(connection) = machine.into_connection(now) else {
                            panic!("an open handshake gives its connection")
                        };
                        Stage::Open(Box::new(connection))
                    }
                    Some(ClientEvent::Failed(_)) => Stage::Refused,
                    Some(_) => Stage::Client(machine),
                    None => {
                        self.stage = Stage::Client(machine);
                        return Vec::new();
                    }
                },
                Stage::Open(mut machine) => {
                    let events = std::iter::from_fn(|| machine.poll_event()).collect();
                    self.stage = Stage::Open(machine);
                    self.collect_output();
                    return events;
                }
                other => {
                    self.stage = other;
                    return Vec::new();
                }
            };
        }
    }

    fn collect_output(&mut self) {
        let output = &mut self.output;
        match &mut self.stage {
            Stage::Server(machine) => output.extend(machine.take_output()),
            Stage::Client(machine) => output.extend(machine.take_output()),
            Stage::Open(machine) => output.extend(machine.take_output()),
            Stage::Refused | Stage::Moving => {}
        }
    }
}

fn feed<M: Machine + ?Sized>(machine: &mut M, chunk: &[u8], now: Instant) {
    if !chunk.is_empty() {
        machine.input_buffer().extend_from_slice(chunk);
        machine.received(now);
    }
}
