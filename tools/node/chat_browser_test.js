// The chat demo's page in headless Chromium (Debian's /usr/bin/chromium,
// driven by puppeteer-core): page A on URL_A, page B on URL_B (the same
// process, or two processes sharing a Redis room).
//
//   node chat_browser_test.js URL_A URL_B
//
// Checks, failing (exit 1) at the first that does not hold:
//   - both pages connect (WebSocket and EventSource) and count 2 online;
//   - messages typed on A reach B and the other way round;
//   - the feed shows ticks whose ids increase;
//   - B reloaded while A sends, and B away while A sends and then back:
//     B shows every message of A's exactly once, in order;
//   - a Node EventSource that resumes on URL_B after the id of a message
//     A saw gets every later message once, in order;
//   - the browser reads /events from another origin (CORS) with fetch and
//     with EventSource.
// Prints one JSON line of what it saw on success.
"use strict";

const assert = require("node:assert/strict");
const puppeteer = require("puppeteer-core");
const { EventSource } = require("eventsource");

const [urlA, urlB] = process.argv.slice(2);
if (!urlA || !urlB) {
  console.error("usage: node chat_browser_test.js URL_A URL_B");
  process.exit(2);
}
setTimeout(() => {
  console.error("chat_browser_test: timed out");
  process.exit(1);
}, 150_000).unref();

const step = (what) => console.error(`chat_browser_test: ${what}`);

async function open(browser, url) {
  const page = await browser.newPage();
  page.on("pageerror", (error) => {
    console.error(`page error on ${url}: ${error}`);
    process.exitCode = 1;
  });
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await connected(page);
  return page;
}

async function connected(page) {
  await page.waitForSelector('#ws-state[data-state="open"]', { timeout: 20_000 });
  await page.waitForSelector('#feed-state[data-state="open"]', { timeout: 20_000 });
}

/** The chat entries a page shows, in page order. */
const chats = (page) =>
  page.$$eval('#log li[data-type="chat"]', (items) =>
    items.map((li) => ({ id: li.dataset.id, name: li.dataset.name, text: li.querySelector(".text").textContent })),
  );

async function waitForText(page, text) {
  await page.waitForFunction(
    (text) => [...document.querySelectorAll('#log li[data-type="chat"] .text')].some((t) => t.textContent === text),
    { timeout: 20_000, polling: 100 },
    text,
  );
}

/** A sends `text` through its page (the same path as typing). */
async function say(page, text) {
  const sent = await page.evaluate((text) => window.chat.send(text), text);
  assert.ok(sent, `the page could not send ${text}`);
}

/** Chat ids as the page compares them: "N" or "MS-SEQ". */
function idKey(id) {
  const [a, b] = id.includes("-") ? id.split("-") : ["0", id];
  return [BigInt(a), BigInt(b)];
}
function increasing(ids) {
  return ids.every((id, i) => {
    if (i === 0) return true;
    const [p, q] = [idKey(ids[i - 1]), idKey(id)];
    return p[0] < q[0] || (p[0] === q[0] && p[1] < q[1]);
  });
}

/** B shows exactly A's messages `sent`, once each, in order. */
async function showsExactly(page, sent) {
  await waitForText(page, sent[sent.length - 1]);
  const seen = (await chats(page)).filter((c) => c.name === "alice");
  assert.deepEqual(
    seen.map((c) => c.text),
    sent,
    "B shows every message of A's once, in order",
  );
  const ids = (await chats(page)).map((c) => c.id);
  assert.equal(new Set(ids).size, ids.length, "no chat id twice");
  assert.ok(increasing(ids), `ids in order: ${ids}`);
}

/** The chat events a resuming Node EventSource gets until `last`. */
function resume(url, lastEventId, last) {
  return new Promise((resolve, reject) => {
    const got = [];
    const source = new EventSource(`${url}/events`, {
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...init.headers, "Last-Event-ID": lastEventId } }),
    });
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`resume: no ${last} within 10 s, got ${JSON.stringify(got)}`));
    }, 10_000);
    source.addEventListener("chat", (event) => {
      const entry = JSON.parse(event.data);
      assert.equal(event.lastEventId, entry.id, "a chat event's id is its chat id");
      if (entry.type === "chat") got.push(entry.text);
      if (entry.text === last) {
        clearTimeout(timer);
        source.close();
        resolve(got);
      }
    });
    source.onerror = (error) => {
      clearTimeout(timer);
      source.close();
      reject(new Error(`resume: ${error.message}`));
    };
  });
}

/** Reads `target`/events from page's origin: fetch, then EventSource;
 * and fetches `target`/ (no CORS header), which the browser must refuse. */
function crossOrigin(page, target) {
  return page.evaluate(async (target) => {
    const pageRefused = await fetch(`${target}/`).then(() => false, () => true);
    const response = await fetch(`${target}/events`);
    const reader = response.body.getReader();
    let text = "";
    while (!text.includes("data:")) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    await reader.cancel();
    const viaEventSource = await new Promise((resolve, reject) => {
      const source = new EventSource(`${target}/events`);
      source.onmessage = (event) => { source.close(); resolve(event.data); };
      source.onerror = () => { source.close(); reject(new Error("EventSource refused")); };
    });
    return {
      origin: location.origin,
      pageRefused,
      contentType: response.headers.get("content-type"),
      text,
      viaEventSource,
    };
  }, target);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--headless=new"],
  });
  try {
    step("two pages");
    const a = await open(browser, `${urlA}/?name=alice`);
    const b = await open(browser, `${urlB}/?name=bob`);
    for (const page of [a, b]) {
      await page.waitForFunction(() => document.getElementById("online").dataset.count === "2", { timeout: 20_000, polling: 100 });
    }

    step("messages both ways");
    const sent = ["hello from alice"];
    await a.type("#say", sent[0]);
    await a.keyboard.press("Enter");
    await waitForText(b, sent[0]);
    await b.type("#say", "hello from bob");
    await b.keyboard.press("Enter");
    await waitForText(a, "hello from bob");

    step("ticks");
    const ticks = [];
    for (let i = 0; i < 3; i++) {
      // The next tick, whatever the count is now.
      const count = await a.$eval("#ticks", (el) => Number(el.dataset.count));
      await a.waitForFunction(
        (n) => Number(document.getElementById("ticks").dataset.count) > n,
        { timeout: 10_000, polling: 50 },
        count,
      );
      ticks.push(await a.$eval("#ticks", (el) => el.dataset.lastId));
    }
    const tickNumbers = ticks.map((id) => Number(id.split(".")[1]));
    assert.ok(ticks.every((id) => /^[0-9-]+\.[0-9]+$/.test(id)), `tick ids: ${ticks}`);
    assert.ok(tickNumbers[0] < tickNumbers[1] && tickNumbers[1] < tickNumbers[2], `tick ids increase: ${ticks}`);

    step("B reloads while A sends");
    for (let i = 1; i <= 3; i++) sent.push(`before ${i}`);
    for (const text of sent.slice(1)) await say(a, text);
    await showsExactly(b, sent);
    const reloading = b.reload({ waitUntil: "domcontentloaded" });
    for (let i = 1; i <= 10; i++) {
      sent.push(`during ${i}`);
      await say(a, `during ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await reloading;
    await connected(b);
    for (let i = 1; i <= 3; i++) {
      sent.push(`after ${i}`);
      await say(a, `after ${i}`);
    }
    await showsExactly(b, sent);

    step("B away while A sends, then back");
    await b.goto("about:blank");
    for (let i = 1; i <= 5; i++) {
      sent.push(`away ${i}`);
      await say(a, `away ${i}`);
    }
    await waitForText(a, sent[sent.length - 1]);
    await b.goto(`${urlB}/`, { waitUntil: "domcontentloaded" });
    await connected(b);
    sent.push("welcome back");
    await say(a, "welcome back");
    await showsExactly(b, sent);

    step("a Node EventSource resumes on B after a message A saw");
    const seenOnA = (await chats(a)).filter((c) => c.name === "alice");
    const from = seenOnA.findIndex((c) => c.text === "before 1");
    const resumed = await resume(urlB, seenOnA[from].id, "welcome back");
    assert.deepEqual(
      resumed.filter((text) => sent.includes(text)),
      sent.slice(from + 1),
      "resumed after A's message: every later message once, in order",
    );

    step("CORS");
    const other = urlB.replace("127.0.0.1", "localhost");
    // The header as the browser got it (scripts may not read it).
    const allowOrigin = [];
    a.on("response", (response) => {
      if (response.url().startsWith(`${other}/events`)) {
        allowOrigin.push(response.headers()["access-control-allow-origin"]);
      }
    });
    const cors = await crossOrigin(a, other);
    assert.notEqual(cors.origin, new URL(other).origin, "fetched from another origin");
    assert.ok(cors.pageRefused, "the browser refuses a cross-origin read without the header");
    assert.deepEqual(allowOrigin, ["*", "*"], "fetch and EventSource got Access-Control-Allow-Origin: *");
    assert.equal(cors.contentType, "text/event-stream");
    assert.match(cors.text, /^retry: \d+\n/);
    assert.match(cors.text, /\ndata: \{"time":\d+/);
    assert.match(cors.viaEventSource, /^\{"time":\d+/);

    console.log(JSON.stringify({
      messages: sent.length,
      shownOnB: (await chats(b)).filter((c) => c.name === "alice").length,
      ticks,
      resumed: resumed.length,
      cors: { origin: cors.origin, target: other, allowOrigin },
    }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
