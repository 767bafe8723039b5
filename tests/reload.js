// Opens a live-preview page in headless Chromium (puppeteer-core from .tools/) and
// waits for the page to reload itself.  Prints "ready" once the page has loaded,
// then, after the reload, JSON: the page's text.
// Usage: node tests/reload.js URL
const puppeteer = require("puppeteer-core");

(async () => {
  const [url] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  try {
    const page = await browser.newPage();
    await page.goto(url, { waitUntil: "load" });
    const reloaded = page.waitForNavigation({ waitUntil: "load", timeout: 120000 });
    console.log("ready");
    await reloaded;
    console.log(JSON.stringify({ text: await page.evaluate(() => document.body.innerText) }));
  } finally {
    await browser.close();
  }
})().catch((error) => { console.error(error); process.exit(1); });
