#!/usr/bin/env node
// faye-websocket's EventSource server, for the Rust EventSource client's
// interop test (crates/wsdriver-tokio/tests/event_source.rs). Prints
// `listening PORT` on stdout, then one JSON line per EventSource request:
// {lastEventId, accept} as faye read them.
//
//   node tools/node/faye_eventsource_server.js
//
// The first request (no Last-Event-ID) gets `retry: 100`, events 1 and 2
// (type `tick`, the second with two data lines), then the stream ends.
// A request resuming after ID N gets one event, `resumed after N` with
// ID N+1, and the stream stays open.
'use strict';

const http = require('http');
const EventSource = require('faye-websocket').EventSource;

const server = http.createServer((request, response) => {
  if (!EventSource.isEventSource(request)) {
    response.writeHead(404, { 'Content-Type': 'text/plain' });
    response.end('not an EventSource request\n');
    return;
  }
  const es = new EventSource(request, response, { retry: 0.1, ping: 60 });
  console.log(JSON.stringify({ lastEventId: es.lastEventId, accept: request.headers.accept }));
  if (es.lastEventId === '') {
    es.send('one', { event: 'tick', id: '1' });
    es.send('two\nlines', { event: 'tick', id: '2' });
    setTimeout(() => es.close(), 50);
  } else {
    const next = String(Number(es.lastEventId) + 1);
    es.send('resumed after ' + es.lastEventId, { id: next });
  }
});

server.listen(0, '127.0.0.1', () => {
  console.log('listening ' + server.address().port);
});
