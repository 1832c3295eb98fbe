#!/usr/bin/env node
// Smoke-test an echo server with npm `ws` as the client:
//   node tools/node/ws_echo_check.js ws://127.0.0.1:9001
// Sends a non-ASCII text, a small random binary (with 0x00 and 0xFF) and a
// 1 MiB binary; each must come back identical with the same type. Then closes
// with 1000 and expects 1000 back. Exit 0 on success, 1 otherwise; 20 s timeout.
'use strict';

const crypto = require('crypto');
const WebSocket = require('ws');

const url = process.argv[2];
if (!url) {
  console.error('usage: ws_echo_check.js URL');
  process.exit(2);
}

function fail(msg) {
  console.error(`ws_echo_check: FAIL: ${msg}`);
  process.exit(1);
}

const small = crypto.randomBytes(300);
small[0] = 0x00;
small[small.length - 1] = 0xff;
const tests = [
  { name: 'text', data: 'héllo wsdriver', binary: false },
  { name: 'binary 300 B', data: small, binary: true },
  { name: 'binary 1 MiB', data: crypto.randomBytes(1 << 20), binary: true },
];

let step = 'connecting';
setTimeout(() => fail(`timeout after 20 s (${step})`), 20_000);
const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 4 << 20 });
const inbox = [];
let waiter = null;
ws.on('message', (data, isBinary) => {
  inbox.push({ data, isBinary });
  if (waiter) waiter();
});
ws.on('error', (err) => fail(`${step}: ${err.message}`));
ws.on('unexpected-response', (_req, res) => fail(`handshake got HTTP ${res.statusCode}`));
ws.on('close', (code) => {
  if (step !== 'closing') fail(`${step}: connection closed early (code ${code})`);
  if (code !== 1000) fail(`close: sent 1000, got ${code}`);
  console.log(`ws_echo_check: OK (${tests.map((t) => t.name).join(', ')}, close 1000)`);
  process.exit(0);
});

function nextMessage() {
  return inbox.length
    ? Promise.resolve(inbox.shift())
    : new Promise((resolve) => (waiter = () => ((waiter = null), resolve(inbox.shift()))));
}

ws.on('open', async () => {
  for (const t of tests) {
    step = `echo ${t.name}`;
    ws.send(t.data, { binary: t.binary });
    const got = await nextMessage();
    if (got.isBinary !== t.binary) {
      fail(`${t.name}: sent ${t.binary ? 'binary' : 'text'}, got ${got.isBinary ? 'binary' : 'text'}`);
    }
    const want = Buffer.isBuffer(t.data) ? t.data : Buffer.from(t.data, 'utf8');
    if (!want.equals(got.data)) {
      fail(`${t.name}: payload differs (sent ${want.length} bytes, got ${got.data.length})`);
    }
  }
  step = 'closing';
  ws.close(1000, 'bye');
});
