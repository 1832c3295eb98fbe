// A chat page in headless Chromium (Debian's /usr/bin/chromium, driven by
// puppeteer-core) is sent HTML as a message, and must show it as text.
//
//   node xss_browser_test.js PAGE_URL
//
// PAGE_URL is a page with an input #say (Enter sends) and a log #log: the
// chat demo's page and the axum_chat example's. Two tabs open PAGE_URL;
// the first types a message that runs script if the page parses it as
// HTML (an <img> whose onerror sets document.title, and a <b>); then both
// tabs must show the message literally, with no element made from it, and
// their title unchanged. Fails (exit 1) otherwise; prints one JSON line
// of what the tabs showed on success.
"use strict";

const assert = require("node:assert/strict");
const puppeteer = require("puppeteer-core");

const [pageUrl] = process.argv.slice(2);
if (!pageUrl) {
  console.error("usage: node xss_browser_test.js PAGE_URL");
  process.exit(2);
}
setTimeout(() => {
  console.error("xss_browser_test: timed out");
  process.exit(1);
}, 60_000).unref();

const PAYLOAD = `<img src=x onerror="document.title='XSS'"><b>bold</b> the end`;

const ARGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

async function main() {
  const browser = await puppeteer.launch({ executablePath: "/usr/bin/chromium", headless: true, args: ARGS });
  try {
    const tabs = [];
    for (let i = 0; i < 2; i++) {
      const tab = await browser.newPage();
      await tab.goto(pageUrl, { waitUntil: "load" });
      tabs.push({ tab, title: await tab.title() });
    }
    // Both sockets are open once a probe from each has come round to both.
    for (const [i, { tab }] of tabs.entries()) {
      const probe = `probe ${i}`;
      await tab.waitForFunction(
        (probe) => {
          // Send until it comes back (the socket may still be opening).
          const log = document.getElementById("log");
          if (log.textContent.includes(probe)) return true;
          const say = document.getElementById("say");
          say.value = probe;
          say.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
          say.form?.requestSubmit();
          return false;
        },
        { timeout: 20_000, polling: 500 },
        probe,
      );
    }
    for (const { tab } of tabs) {
      await tab.waitForFunction(() => document.getElementById("log").textContent.includes("probe 1"), { timeout: 20_000 });
    }

    const [first] = tabs;
    await first.tab.focus("#say");
    await first.tab.keyboard.sendCharacter(PAYLOAD);
    await first.tab.keyboard.press("Enter");

    const report = [];
    for (const { tab, title } of tabs) {
      await tab.waitForFunction(
        () => [...document.querySelectorAll("#log li")].some((li) => li.textContent.includes("the end")),
        { timeout: 20_000, polling: 100 },
      );
      // Give an <img src=x> the time to fail and run its onerror.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const seen = await tab.evaluate((payload) => ({
        title: document.title,
        images: document.querySelectorAll("#log img").length,
        bold: [...document.querySelectorAll("#log *")].filter((el) => el.textContent === "bold").length,
        shown: [...document.querySelectorAll("#log li")].map((li) => li.innerText).find((text) => text.includes(payload)),
      }), PAYLOAD);
      assert.equal(seen.title, title, "the message ran no script: the title is the page's");
      assert.equal(seen.images, 0, "no <img> made from the message");
      assert.equal(seen.bold, 0, "no <b> made from the message");
      assert.ok(seen.shown, "shown literally, as the text the user sees");
      report.push(seen);
    }
    console.log(JSON.stringify({ payload: PAYLOAD, tabs: report }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
