#!/usr/bin/env node
// A configurable npm `ws` server for the Rust client tests
// (crates/wsdriver-tokio/tests/client.rs). Prints `listening PORT` on
// stdout once it accepts connections; logs requests on stderr.
//
//   node tools/node/ws_server.js [--port N] [--cert FILE --key FILE]
//        [--client-ca FILE] [--protocols a,b]
//
// --cert/--key        serve wss (https) with this certificate and key
// --client-ca FILE    require a client certificate signed by this CA
// --protocols a,b     subprotocols the server supports (it picks the first
//                     the client offers that is in this list)
//
// Paths answered before the WebSocket handshake:
//   /status/NNN         an HTTP NNN answer instead of 101
//   /redirect/N         N > 0: redirect (status from ?code=, default 302) to
//                       the relative `./N-1` with the same query; N = 0: accept
//   /loop               302 to /loop, for ever
//   /to?url=U           302 to the absolute URL U
// Every other path is accepted. A connection whose query has `info` first
// receives a JSON text message describing its request ({url, headers,
// protocol, clientCert}); then every message is echoed with its type.
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const { WebSocketServer } = require('ws');

const args = process.argv.slice(2);
function option(name) {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

const port = Number(option('--port') || 0);
const cert = option('--cert');
const key = option('--key');
const clientCa = option('--client-ca');
const protocols = (option('--protocols') || '').split(',').filter(Boolean);

const server = cert
  ? https.createServer({
      cert: fs.readFileSync(cert),
      key: fs.readFileSync(key),
      ...(clientCa
        ? { ca: fs.readFileSync(clientCa), requestCert: true, rejectUnauthorized: true }
        : {}),
    })
  : http.createServer();

server.on('request', (req, res) => {
  res.writeHead(426, { 'Content-Type': 'text/plain' });
  res.end('WebSocket only\n');
});

const wss = new WebSocketServer({
  noServer: true,
  maxPayload: 64 * 1024 * 1024,
  handleProtocols: (offered) => {
    for (const p of offered) if (protocols.includes(p)) return p;
    return false;
  },
});

function answer(socket, status, headers) {
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] || 'Status'}`];
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
  const body = `answered ${status}\n`;
  lines.push('Content-Type: text/plain', `Content-Length: ${body.length}`, 'Connection: close');
  socket.end(lines.join('\r\n') + '\r\n\r\n' + body);
}

server.on('upgrade', (req, socket, head) => {
  console.error(`ws_server: ${req.method} ${req.url}`);
  socket.on('error', () => {});
  const url = new URL(req.url, 'http://placeholder');
  let m;
  if ((m = /^\/status\/(\d{3})$/.exec(url.pathname))) {
    return answer(socket, Number(m[1]), {});
  }
  if ((m = /^\/redirect\/(\d+)$/.exec(url.pathname)) && Number(m[1]) > 0) {
    const code = Number(url.searchParams.get('code') || 302);
    return answer(socket, code, { Location: `./${Number(m[1]) - 1}${url.search}` });
  }
  if (url.pathname === '/loop') {
    return answer(socket, 302, { Location: '/loop' });
  }
  if (url.pathname === '/to') {
    return answer(socket, 302, { Location: url.searchParams.get('url') });
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => {});
    if (url.searchParams.has('info')) {
      const peer = typeof req.socket.getPeerCertificate === 'function'
        ? req.socket.getPeerCertificate()
        : null;
      ws.send(JSON.stringify({
        url: req.url,
        headers: req.headers,
        protocol: ws.protocol,
        clientCert: peer && peer.subject ? peer.subject.CN : null,
      }));
    }
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});

server.on('tlsClientError', (err) => console.error(`ws_server: TLS: ${err.message}`));
server.listen(port, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
server.on('error', (err) => {
  console.error(`ws_server: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
