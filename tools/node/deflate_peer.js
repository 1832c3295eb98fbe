#!/usr/bin/env node
// permessage-deflate (RFC 7692) interop peer, on npm `ws` or on
// `faye-websocket` + `permessage-deflate`:
//
//   node tools/node/deflate_peer.js server ws|faye PORT [OPTIONS]
//     Echo server on 127.0.0.1:PORT with deflate on (ws: threshold 0, so every
//     message is compressed; faye's permessage-deflate compresses every
//     message). Prints `ready` on stdout once listening; runs until killed.
//
//   node tools/node/deflate_peer.js client ws|faye URL [OPTIONS]
//     Connects with deflate on, fails unless the handshake negotiated
//     permessage-deflate, then sends a text and a binary message of each
//     size (by default 0, 10 B, 0, 0, 64 KiB, 0, 4 MiB, 0: compressible
//     content with random bytes mixed in, and empty messages between the
//     others), one at a time; each echo must be identical and of the same
//     type. Closes with 1000 and expects 1000 back. Exit 0 on success, 1
//     otherwise; 60 s timeout.
//
//   OPTIONS (JSON, optional): { "sizes": [..], "deflate": {..} }, where
//   `deflate` is merged into ws's `perMessageDeflate` options (client or
//   server: serverNoContextTakeover, clientMaxWindowBits, ...).
'use strict';

const crypto = require('crypto');
const http = require('http');

const [mode, lib, arg, optionsJson] = process.argv.slice(2);
const USAGE = 'usage: deflate_peer.js server ws|faye PORT [OPTIONS] | client ws|faye URL [OPTIONS]';
const OPTIONS = optionsJson ? JSON.parse(optionsJson) : {};
const WS_DEFLATE = { threshold: 0, ...(OPTIONS.deflate || {}) };
if (!['server', 'client'].includes(mode) || !['ws', 'faye'].includes(lib) || !arg) {
  console.error(USAGE);
  process.exit(2);
}
const tag = `deflate_peer ${mode} ${lib}`;

function fail(msg) {
  console.error(`${tag}: FAIL: ${msg}`);
  process.exit(1);
}

const MAX_PAYLOAD = 64 * 1024 * 1024;

// ---------------------------------------------------------------- server

function serveWs(port) {
  const { WebSocketServer } = require('ws');
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port,
    perMessageDeflate: WS_DEFLATE,
    maxPayload: MAX_PAYLOAD,
  });
  wss.on('connection', (ws, req) => {
    console.error(`${tag}: connection, offer: ${req.headers['sec-websocket-extensions'] || '(none)'}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary, compress: true }));
    ws.on('error', (err) => console.error(`${tag}: connection error: ${err.message}`));
    ws.on('close', (code) => console.error(`${tag}: connection closed (${code})`));
  });
  wss.on('listening', () => console.log('ready'));
  wss.on('error', (err) => fail(err.message));
}

function serveFaye(port) {
  const WebSocket = require('faye-websocket');
  const deflate = require('permessage-deflate');
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    res.end('WebSocket echo server\n');
  });
  server.on('upgrade', (req, socket, body) => {
    if (!WebSocket.isWebSocket(req)) return socket.destroy();
    console.error(`${tag}: connection, offer: ${req.headers['sec-websocket-extensions'] || '(none)'}`);
    const ws = new WebSocket(req, socket, body, [], {
      extensions: [deflate],
      maxLength: MAX_PAYLOAD,
    });
    ws.on('message', (event) => ws.send(event.data));
    ws.on('error', (event) => console.error(`${tag}: connection error: ${event.message}`));
    ws.on('close', (event) => console.error(`${tag}: connection closed (${event.code})`));
  });
  server.on('error', (err) => fail(err.message));
  server.listen(port, '127.0.0.1', () => console.log('ready'));
}

// ---------------------------------------------------------------- client

// Text of `len` bytes: repetitive lines (compressible) with random ASCII
// words and some non-ASCII characters, cut on a character boundary.
function makeText(len) {
  const words = ['deflate', 'wsdriver', 'frame', 'window', 'héllo', 'naïve', 'über', '漢字', '🦀'];
  let out = '';
  let bytes = 0;
  let line = 0;
  while (bytes < len) {
    let piece;
    if (line % 7 === 3) {
      piece = crypto.randomBytes(24).toString('base64') + ' ';
    } else {
      piece = `line ${line} ${words[line % words.length]} ${words[(line * 5) % words.length]} the quick brown fox\n`;
    }
    line++;
    for (const ch of piece) {
      const n = Buffer.byteLength(ch, 'utf8');
      if (bytes + n > len) {
        // Fill the rest with ASCII so the length is exact.
        out += 'x'.repeat(len - bytes);
        bytes = len;
        break;
      }
      out += ch;
      bytes += n;
    }
  }
  return out;
}

// Binary of `len` bytes: a repeating pattern (compressible) with runs of
// random bytes, starting with 0x00 and ending with 0xff.
function makeBinary(len) {
  const buf = Buffer.alloc(len);
  for (let i = 0; i < len; i++) buf[i] = (i * 7 + (i >> 8)) & 0xff;
  for (let at = 100; at + 64 <= len; at += 4096) crypto.randomBytes(64).copy(buf, at);
  if (len > 0) {
    crypto.randomBytes(Math.min(len, 4)).copy(buf, Math.floor(len / 2));
    buf[0] = 0x00;
    buf[len - 1] = 0xff;
  }
  return buf;
}

// Empty messages between the others: an empty compressed message must
// leave both sides' deflate streams in step (issue 24).
const SIZES = OPTIONS.sizes || [0, 10, 0, 0, 64 * 1024, 0, 4 * 1024 * 1024, 0];
const tests = [];
SIZES.forEach((size, i) => {
  tests.push({ name: `text ${size} B (#${i})`, data: makeText(size), binary: false, size });
  tests.push({ name: `binary ${size} B (#${i})`, data: makeBinary(size), binary: true, size });
});
for (const t of tests) {
  const len = t.binary ? t.data.length : Buffer.byteLength(t.data, 'utf8');
  if (len !== t.size) fail(`internal: ${t.name} is ${len} bytes`);
}

// A transport-neutral client: `send(test)`, messages via `onMessage`
// ({ data: Buffer, binary }), `close(code)`, `onClose(code)`.
function clientWs(url, hooks) {
  const WebSocket = require('ws');
  const ws = new WebSocket(url, { perMessageDeflate: WS_DEFLATE, maxPayload: MAX_PAYLOAD });
  let accepted = null;
  ws.on('upgrade', (res) => (accepted = res.headers['sec-websocket-extensions'] || ''));
  ws.on('unexpected-response', (_req, res) => fail(`handshake got HTTP ${res.statusCode}`));
  ws.on('error', (err) => fail(`${hooks.step()}: ${err.message}`));
  ws.on('open', () => {
    if (!/^permessage-deflate\b/.test(accepted || '') || ws.extensions !== 'permessage-deflate') {
      fail(`permessage-deflate not negotiated (Sec-WebSocket-Extensions: ${JSON.stringify(accepted)}, ws.extensions: ${JSON.stringify(ws.extensions)})`);
    }
    hooks.onOpen(accepted);
  });
  ws.on('message', (data, isBinary) => hooks.onMessage({ data, binary: isBinary }));
  ws.on('close', (code) => hooks.onClose(code));
  return {
    send: (t) => ws.send(t.data, { binary: t.binary, compress: true }),
    close: (code) => ws.close(code, 'bye'),
  };
}

function clientFaye(url, hooks) {
  const WebSocket = require('faye-websocket');
  const deflate = require('permessage-deflate');
  const ws = new WebSocket.Client(url, [], { extensions: [deflate], maxLength: MAX_PAYLOAD });
  let opened = false;
  ws.on('open', () => {
    opened = true;
    const accepted = (ws.headers && ws.headers['sec-websocket-extensions']) || '';
    if (!/^permessage-deflate\b/.test(accepted)) {
      fail(`permessage-deflate not negotiated (Sec-WebSocket-Extensions: ${JSON.stringify(accepted)})`);
    }
    hooks.onOpen(accepted);
  });
  ws.on('error', (event) => fail(`${hooks.step()}: ${event.message}`));
  ws.on('message', (event) => {
    const binary = typeof event.data !== 'string';
    const data = binary ? Buffer.from(event.data) : Buffer.from(event.data, 'utf8');
    hooks.onMessage({ data, binary });
  });
  ws.on('close', (event) => {
    if (!opened) fail(`handshake failed (code ${event.code}: ${event.reason})`);
    hooks.onClose(event.code);
  });
  return {
    send: (t) => ws.send(t.data),
    close: (code) => ws.close(code, 'bye'),
  };
}

function runClient(url) {
  let step = 'connecting';
  setTimeout(() => fail(`timeout after 60 s (${step})`), 60_000).unref();
  let index = 0;
  let conn = null;
  const started = Date.now();
  const sendNext = () => {
    if (index < tests.length) {
      step = `echo ${tests[index].name}`;
      conn.send(tests[index]);
    } else {
      step = 'closing';
      conn.close(1000);
    }
  };
  const hooks = {
    step: () => step,
    onOpen: (accepted) => {
      console.error(`${tag}: open, Sec-WebSocket-Extensions: ${accepted}`);
      sendNext();
    },
    onMessage: (got) => {
      const t = tests[index];
      if (!t) fail(`unexpected message after the last echo (${got.data.length} bytes)`);
      if (got.binary !== t.binary) {
        fail(`${t.name}: sent ${t.binary ? 'binary' : 'text'}, got ${got.binary ? 'binary' : 'text'}`);
      }
      const want = t.binary ? t.data : Buffer.from(t.data, 'utf8');
      if (!want.equals(got.data)) {
        let at = 0;
        while (at < want.length && at < got.data.length && want[at] === got.data[at]) at++;
        fail(`${t.name}: payload differs (sent ${want.length} bytes, got ${got.data.length}, first difference at ${at})`);
      }
      index++;
      sendNext();
    },
    onClose: (code) => {
      if (step !== 'closing') fail(`${step}: connection closed early (code ${code})`);
      if (code !== 1000) fail(`close: sent 1000, got ${code}`);
      const ms = Date.now() - started;
      console.log(`${tag}: OK (${tests.map((t) => t.name).join(', ')}, close 1000, ${ms} ms)`);
      process.exit(0);
    },
  };
  conn = lib === 'ws' ? clientWs(url, hooks) : clientFaye(url, hooks);
}

// ---------------------------------------------------------------- main

if (mode === 'server') {
  const port = Number(arg);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    console.error(USAGE);
    process.exit(2);
  }
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
  if (lib === 'ws') serveWs(port);
  else serveFaye(port);
} else {
  runClient(arg);
}
