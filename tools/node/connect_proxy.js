#!/usr/bin/env node
// A tiny HTTP CONNECT proxy on Node's own HTTP parser, for the Rust client
// tests (crates/wsdriver-tokio/tests/client.rs). Prints `listening PORT`
// on stdout, then one JSON line per CONNECT request: {url, headers}
// (header names in lower case).
//
//   node tools/node/connect_proxy.js [--auth USER:PASSWORD]
//        [--cert FILE --key FILE]
//
// --auth       require `Proxy-Authorization: Basic base64(USER:PASSWORD)`;
//              anything else gets 407 with `Proxy-Authenticate`
// --cert/--key the proxy itself speaks TLS (an https: proxy)
'use strict';

const fs = require('fs');
const http = require('http');
const https = require('https');
const net = require('net');

const args = process.argv.slice(2);
function option(name) {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
}

const auth = option('--auth');
const cert = option('--cert');
const key = option('--key');
const expected = auth ? 'Basic ' + Buffer.from(auth).toString('base64') : null;

const server = cert
  ? https.createServer({ cert: fs.readFileSync(cert), key: fs.readFileSync(key) })
  : http.createServer();

server.on('request', (req, res) => {
  res.writeHead(405, { 'Content-Type': 'text/plain' });
  res.end('CONNECT only\n');
});

server.on('connect', (req, socket, head) => {
  console.log(JSON.stringify({ url: req.url, headers: req.headers }));
  socket.on('error', () => {});
  if (expected && req.headers['proxy-authorization'] !== expected) {
    socket.end(
      'HTTP/1.1 407 Proxy Authentication Required\r\n' +
        'Proxy-Authenticate: Basic realm="test"\r\n' +
        'Content-Length: 0\r\n\r\n',
    );
    return;
  }
  const m = /^(.*):(\d+)$/.exec(req.url);
  if (!m) {
    socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
    return;
  }
  const upstream = net.connect(Number(m[2]), m[1].replace(/^\[(.*)\]$/, '$1'), () => {
    socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (head.length) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on('error', () => {
    if (!socket.destroyed) socket.end('HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n');
  });
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => socket.destroy());
});

server.on('tlsClientError', (err) => console.error(`connect_proxy: TLS: ${err.message}`));
server.listen(0, '127.0.0.1', () => {
  console.log(`listening ${server.address().port}`);
});
server.on('error', (err) => {
  console.error(`connect_proxy: ${err.message}`);
  process.exit(1);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(0));
