#!/usr/bin/env node
// Reference Autobahn TestSuite client built on npm `ws`: follows the fuzzingserver
// protocol (/getCaseCount, /runCase?case=N&agent=A for N in 1..count,
// /updateReports?agent=A) and echoes every message back with the same type.
//
//   node tools/node/ws_autobahn_client.js ws://127.0.0.1:9001 AGENT [--no-deflate] [--update-only]
// --update-only just asks the fuzzingserver to write its report (used by autobahn.sh
// to keep partial results when the client under test gave up early).
'use strict';

const WebSocket = require('ws');

const [base, agent, ...flags] = process.argv.slice(2);
if (!base || !agent) {
  console.error('usage: ws_autobahn_client.js URL AGENT [--no-deflate] [--update-only]');
  process.exit(2);
}
const opts = {
  perMessageDeflate: !flags.includes('--no-deflate'),
  maxPayload: 64 * 1024 * 1024,
  maxFragments: 0, // ws's default cap (16384) fails Autobahn 9.3.1/9.4.1 with 1008
};
const CASE_TIMEOUT_MS = 120_000; // safety net; the fuzzingserver has its own timeouts

// Open URL, echo messages (or hand them to onMessage), resolve when closed.
function session(path, onMessage) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(base.replace(/\/$/, '') + path, opts);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`timeout on ${path}`));
    }, CASE_TIMEOUT_MS);
    ws.on('message', (data, isBinary) =>
      onMessage ? onMessage(data, isBinary) : ws.send(data, { binary: isBinary }),
    );
    ws.on('error', () => {}); // protocol errors are the point of many cases
    ws.on('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

async function main() {
  const q = encodeURIComponent(agent);
  if (flags.includes('--update-only')) return session(`/updateReports?agent=${q}`, () => {});
  let count = NaN;
  await session('/getCaseCount', (data) => (count = Number(data.toString())));
  if (!Number.isInteger(count) || count < 1) throw new Error(`bad case count: ${count}`);
  for (let i = 1; i <= count; i++) await session(`/runCase?case=${i}&agent=${q}`);
  await session(`/updateReports?agent=${q}`, () => {});
  console.error(`ws_autobahn_client: ran ${count} cases`);
}

main().catch((err) => {
  console.error(`ws_autobahn_client: ${err.message}`);
  process.exit(1);
});
