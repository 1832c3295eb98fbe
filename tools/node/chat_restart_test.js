// The chat demo restarted under an open tab, in headless Chromium
// (Debian's /usr/bin/chromium, driven by puppeteer-core).
//
//   node chat_restart_test.js CHAT_BINARY ADDR
//
// Starts CHAT_BINARY (the chat example, in memory) on ADDR, opens a tab as
// alice and has her say three things; kills the process and starts a new
// one on the same ADDR (its room empty, its ids counted anew); then, with
// the tab never reloaded, checks, failing (exit 1) at the first that does
// not hold:
//   - the tab connects again by itself, shows what alice says now and
//     what bob (a tab opened after the restart) says, and counts 2 online;
//   - the tab's tick ids never go back across the restart;
//   - reloaded, it shows every message, old and new, exactly once;
//   - a tab whose ids are ahead of the server's (as after a restart with
//     the clock behind: set in its sessionStorage here) starts over: its
//     log is the server's whole history, its count the server's.
// Prints one JSON line of what it saw on success.
"use strict";

const assert = require("node:assert/strict");
const { spawn } = require("node:child_process");
const puppeteer = require("puppeteer-core");

const [binary, addr] = process.argv.slice(2);
if (!binary || !addr) {
  console.error("usage: node chat_restart_test.js CHAT_BINARY ADDR");
  process.exit(2);
}
const url = `http://${addr}`;
let chat = null;
setTimeout(() => {
  console.error("chat_restart_test: timed out");
  chat?.kill("SIGKILL");
  process.exit(1);
}, 120_000).unref();

const step = (what) => console.error(`chat_restart_test: ${what}`);

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

/** Starts the chat on ADDR; resolves once it listens. */
function start() {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [addr], { stdio: ["ignore", "ignore", "pipe"] });
    let said = "";
    child.stderr.on("data", (data) => {
      said += data;
      process.stderr.write(`chat: ${data}`);
      if (said.includes("chat on ")) resolve(child);
    });
    child.on("exit", (code) => reject(new Error(`the chat exited (${code}): ${said}`)));
  });
}

function stop(child) {
  return new Promise((resolve) => {
    child.removeAllListeners("exit");
    child.on("exit", resolve);
    child.kill("SIGKILL");
  });
}

async function connected(page) {
  await page.waitForSelector('#ws-state[data-state="open"]', { timeout: 20_000 });
  await page.waitForSelector('#feed-state[data-state="open"]', { timeout: 20_000 });
}

async function open(browser, path) {
  const page = await browser.newPage();
  page.on("pageerror", (error) => {
    console.error(`page error: ${error}`);
    process.exitCode = 1;
  });
  await page.goto(`${url}${path}`, { waitUntil: "domcontentloaded" });
  await connected(page);
  return page;
}

/** The chat messages a page shows, in page order. */
const texts = (page) =>
  page.$$eval('#log li[data-type="chat"] .text', (items) => items.map((t) => t.textContent));

const shows = (page, text) =>
  page.waitForFunction(
    (text) => [...document.querySelectorAll('#log li[data-type="chat"] .text')].some((t) => t.textContent === text),
    { timeout: 20_000, polling: 100 },
    text,
  );

/** Sends through the page, retrying while its socket is not open. */
const say = (page, text) =>
  page.waitForFunction((text) => window.chat.send(text), { timeout: 20_000, polling: 200 }, text);

const online = (page, n) =>
  page.waitForFunction((n) => document.getElementById("online").dataset.count === String(n), { timeout: 20_000, polling: 100 }, n);

/** The next tick id the page shows. */
async function nextTick(page) {
  const count = await page.$eval("#ticks", (el) => Number(el.dataset.count));
  await page.waitForFunction(
    (n) => Number(document.getElementById("ticks").dataset.count) > n,
    { timeout: 20_000, polling: 50 },
    count,
  );
  return page.$eval("#ticks", (el) => el.dataset.lastId);
}

/** Event ids as ordered pairs and a tick: "MS-SEQ.TICK" or "N.TICK". */
function tickKey(id) {
  const [chat, tick] = id.split(".");
  const [a, b] = chat.includes("-") ? chat.split("-") : ["0", chat];
  return [BigInt(a), BigInt(b), BigInt(tick)];
}
function after(x, y) {
  const [a, b] = [tickKey(x), tickKey(y)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
  return false;
}

async function main() {
  chat = await start();
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ARGS });
  try {
    step("alice says three things");
    const alice = await open(browser, "/?name=alice");
    const before = ["old 1", "old 2", "old 3"];
    for (const text of before) await say(alice, text);
    await shows(alice, before[2]);
    const tickBefore = await nextTick(alice);

    step("the chat restarts on the same address");
    await stop(chat);
    chat = await start();

    step("the tab, not reloaded, goes on");
    const bob = await open(browser, "/?name=bob");
    await connected(alice);
    await say(alice, "new from alice");
    await say(bob, "new from bob");
    await shows(alice, "new from alice");
    await shows(alice, "new from bob");
    await online(alice, 2);
    const tickAfter = await nextTick(alice);
    assert.ok(after(tickAfter, tickBefore), `tick ids go on: ${tickBefore} then ${tickAfter}`);
    const shown = await texts(alice);
    const all = [...before, "new from alice", "new from bob"];
    assert.deepEqual(shown, all, "the tab shows the old messages and the new ones, once each, in order");

    step("reloaded, it shows each once");
    await alice.reload({ waitUntil: "domcontentloaded" });
    await connected(alice);
    await say(bob, "after the reload");
    await shows(alice, "after the reload");
    await online(alice, 2);
    assert.deepEqual(await texts(alice), [...all, "after the reload"], "reloaded: every message once, in order");

    const shown2 = await texts(alice);

    step("a tab with ids from the future starts over");
    await alice.evaluate(() => {
      sessionStorage.setItem("chat.lastEventId", "99999999999999-7.3");
      sessionStorage.setItem("chat.log", JSON.stringify([
        { type: "chat", id: "99999999999999-7", name: "ghost", text: "from a later epoch", online: 9, time: 0 },
      ]));
    });
    await alice.reload({ waitUntil: "domcontentloaded" });
    await connected(alice);
    await say(bob, "after starting over");
    await shows(alice, "after starting over");
    await online(alice, 2);
    const startedOver = await texts(alice);
    assert.deepEqual(
      startedOver,
      ["new from alice", "new from bob", "after the reload", "after starting over"],
      "the server's whole history, in order, and none of the ids it never sent",
    );

    console.log(JSON.stringify({ tickBefore, tickAfter, shown: shown2, startedOver }));
  } finally {
    await browser.close();
    await stop(chat);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
