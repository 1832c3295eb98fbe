// Reads an event stream with the npm `eventsource` client (the WHATWG
// EventSource for Node) and prints each event as one JSON line:
// {"type", "data", "lastEventId"}. Exits after COUNT events.
//
// usage: node eventsource_client.mjs URL COUNT [EVENT_TYPE...]
import { EventSource } from 'eventsource';

const [url, count, ...types] = process.argv.slice(2);
const wanted = Number(count);
let seen = 0;
const source = new EventSource(url);
const print = (event) => {
  console.log(JSON.stringify({ type: event.type, data: event.data, lastEventId: event.lastEventId }));
  seen += 1;
  if (seen >= wanted) {
    source.close();
    process.exit(0);
  }
};
source.onmessage = print;
for (const type of types) source.addEventListener(type, print);
source.onerror = (error) => {
  // Reconnecting is not an error here; a stop is (readyState 2: CLOSED).
  if (source.readyState === 2) {
    console.error(`eventsource_client: stopped: ${error.message ?? error}`);
    process.exit(1);
  }
};
setTimeout(() => {
  console.error(`eventsource_client: timed out after ${seen} events`);
  process.exit(1);
}, 20000);
