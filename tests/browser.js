// Opens a page in headless Chromium (Debian's, driven by puppeteer-core from
// .tools/, which `make tools` installs), at a phone's width and a desktop's.
// Prints JSON: every link and image as the browser resolved it, whether each
// image loaded, whether the page overflows sideways, and its text.  Saves a
// full-page screenshot for each width as <prefix>-<width>.png.
// Usage: node tests/browser.js URL SCREENSHOT_PREFIX
const puppeteer = require("puppeteer-core");

(async () => {
  const [url, prefix] = process.argv.slice(2);
  const browser = await puppeteer.launch({
    executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const result = {};
  try {
    const page = await browser.newPage();
    for (const width of [390, 1100]) {
      await page.setViewport({ width, height: 900 });
      await page.goto(url, { waitUntil: "load" });
      result[width] = await page.evaluate(() => ({
        links: [...document.querySelectorAll("a[href]")].map((a) => a.href),
        images: [...document.images].map((i) => ({ src: i.src, loaded: i.complete && i.naturalWidth > 0 })),
        overflows: document.documentElement.scrollWidth > window.innerWidth,
        text: document.body.innerText,
      }));
      await page.screenshot({ path: `${prefix}-${width}.png`, fullPage: true });
    }
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
})().catch((error) => { console.error(String(error)); process.exit(1); });
