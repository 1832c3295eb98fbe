#!/usr/bin/env node
// Reference echo server built on npm `ws`: every text/binary message is sent
// back unchanged with the same type; ws answers pings and echoes close codes.
//
//   node tools/node/ws_echo_server.js HOST:PORT [--deflate]
//
// --deflate enables permessage-deflate (needed for Autobahn sections 12/13).
// The `Server` response header names the agent in the Autobahn report.
'use strict';

const { WebSocketServer } = require('ws');

const [addr, ...flags] = process.argv.slice(2);
const m = /^(.*):(\d+)$/.exec(addr || '');
if (!m) {
  console.error('usage: ws_echo_server.js HOST:PORT [--deflate]');
  process.exit(2);
}
const host = m[1].replace(/^\[(.*)\]$/, '$1');
const port = Number(m[2]);

const wss = new WebSocketServer({
  host,
  port,
  perMessageDeflate: flags.includes('--deflate'),
  maxPayload: 64 * 1024 * 1024,
  // ws 8.23 caps fragments per message at 16384 by default (DoS guard, closes with 1008);
  // Autobahn 9.3.1/9.4.1 send 4 MiB in 64-byte fragments, so lift the cap.
  maxFragments: 0,
});

wss.on('headers', (headers) => headers.push('Server: ws-echo-server'));
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {}); // protocol errors: ws already closed with the right code
});
wss.on('listening', () => console.error(`ws_echo_server listening on ${host}:${port}`));
wss.on('error', (err) => {
  console.error(`ws_echo_server: ${err.message}`);
  process.exit(1);
});

for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
