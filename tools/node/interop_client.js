#!/usr/bin/env node
// A real Node client for interop tests of our servers, on npm `ws` or on
// `faye-websocket`:
//
//   node tools/node/interop_client.js ws|faye URL [--deflate] [--protocol P]... [--close CODE]
//
// Sends text (with non-ASCII), binary (all byte values) and a 16 MiB binary
// message, one at a time; each echo must be identical and of the same type.
// Then closes with CODE (default 1000) and reason "bye", and expects the
// server to answer with the same code. Prints one JSON line on stdout:
// {"protocol": ..., "extensions": ..., "closeCode": ...}. Exit 0 on
// success, 1 with a FAIL line otherwise; 60 s timeout.
'use strict';

const crypto = require('crypto');

const args = process.argv.slice(2);
const [lib, url] = args;
if (!['ws', 'faye'].includes(lib) || !url) {
  console.error('usage: interop_client.js ws|faye URL [--deflate] [--protocol P]... [--close CODE]');
  process.exit(2);
}
let deflate = false;
const protocols = [];
let closeCode = 1000;
for (let i = 2; i < args.length; i++) {
  if (args[i] === '--deflate') deflate = true;
  else if (args[i] === '--protocol') protocols.push(args[++i]);
  else if (args[i] === '--close') closeCode = Number(args[++i]);
  else { console.error(`unknown argument ${args[i]}`); process.exit(2); }
}
const tag = `interop_client ${lib}`;
function fail(msg) {
  console.error(`${tag}: FAIL: ${msg}`);
  process.exit(1);
}
setTimeout(() => fail('timed out after 60 s'), 60000).unref();

const all = Buffer.alloc(256);
for (let i = 0; i < 256; i++) all[i] = i;
const big = crypto.randomBytes(16 * 1024 * 1024);
const messages = [
  { binary: false, data: 'héllo wörld, ünïcödé 🎉' },
  { binary: true, data: all },
  { binary: true, data: big },
];

function same(expected, data, isBinary) {
  if (expected.binary !== isBinary) return `type: expected ${expected.binary ? 'binary' : 'text'}`;
  const want = expected.binary ? expected.data : Buffer.from(expected.data, 'utf8');
  const got = Buffer.isBuffer(data) ? data : Buffer.from(data);
  if (!want.equals(got)) return `payload differs (${got.length} bytes, expected ${want.length})`;
  return null;
}

function runWs() {
  const WebSocket = require('ws');
  const ws = new WebSocket(url, protocols, { perMessageDeflate: deflate ? { threshold: 0 } : false, maxPayload: 64 << 20 });
  let index = 0;
  ws.on('open', () => ws.send(messages[0].data, { binary: messages[0].binary }));
  ws.on('message', (data, isBinary) => {
    const problem = same(messages[index], data, isBinary);
    if (problem) fail(`message ${index}: ${problem}`);
    index += 1;
    if (index < messages.length) ws.send(messages[index].data, { binary: messages[index].binary });
    else ws.close(closeCode, 'bye');
  });
  ws.on('close', (code) => {
    if (index < messages.length) fail(`closed early with ${code}`);
    if (code !== closeCode) fail(`server answered close ${code}, expected ${closeCode}`);
    console.log(JSON.stringify({ protocol: ws.protocol, extensions: typeof ws.extensions === 'string' ? ws.extensions : Object.keys(ws.extensions || {}).join(','), closeCode: code }));
    process.exit(0);
  });
  ws.on('error', (err) => fail(err.message));
}

function runFaye() {
  const WebSocket = require('faye-websocket');
  const extensions = deflate ? [require('permessage-deflate')] : [];
  const ws = new WebSocket.Client(url, protocols, { extensions, maxLength: 64 << 20 });
  let index = 0;
  const send = (m) => ws.send(m.binary ? m.data : m.data);
  ws.on('open', () => send(messages[0]));
  ws.on('message', (event) => {
    const data = event.data;
    const problem = same(messages[index], data, typeof data !== 'string');
    if (problem) fail(`message ${index}: ${problem}`);
    index += 1;
    if (index < messages.length) send(messages[index]);
    else ws.close(closeCode, 'bye');
  });
  ws.on('close', (event) => {
    if (index < messages.length) fail(`closed early with ${event.code} ${event.reason}`);
    if (event.code !== closeCode) fail(`server answered close ${event.code}, expected ${closeCode}`);
    const ext = ws.headers ? ws.headers['sec-websocket-extensions'] || '' : '';
    console.log(JSON.stringify({ protocol: ws.protocol, extensions: ext, closeCode: event.code }));
    process.exit(0);
  });
  ws.on('error', (event) => fail(event.message || 'error'));
}

if (lib === 'ws') runWs(); else runFaye();
