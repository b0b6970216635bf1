// Walks the web view of a running `echoctl serve` in headless Chromium, with JavaScript
// off (the view must work without it): the home page, an entry, its amendment, back,
// its receipt, the search form, the Reader Edition and its anchor. Prints one JSON line
// of what it saw; exits non-zero on the first thing that is not as expected.
// Usage: node webview.mjs BASE_URL ENTRY_ID SCREENSHOT.png
import { chromium } from "playwright-core";

const [base, id, shot] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--headless=new"],
});
const seen = {};
const fail = (m) => {
  console.error(m);
  process.exitCode = 1;
};
try {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  let r = await page.goto(base + "/");
  if (r.status() !== 200) fail(`home: ${r.status()}`);
  seen.home = await page.locator("h1").innerText();
  // The newest entries link to their pages: follow the one we were given.
  await page.click(`a[href="/view/${id}"]`);
  seen.entry = await page.locator("h1").innerText();
  seen.status = await page.locator("td[class^=status-]").innerText();
  // Its amendment, by the link in the Amendments list, then back.
  const amendment = page.locator("h2:has-text('Amendments') + ol a").first();
  seen.amendment = await amendment.innerText();
  await amendment.click();
  seen.amendment_page = await page.locator("h1").innerText();
  await page.goBack();
  // History: the entry as it stood before its amendment.
  await page.click("text=as it stood before");
  seen.before = await page.locator("td[class^=status-]").innerText();
  await page.goBack();
  // Its receipt.
  const [receipt] = await Promise.all([page.waitForNavigation(), page.click("text=Receipt")]);
  seen.receipt = (await page.content()).includes("c2sp.org/tlog-proof@v1");
  await page.goBack();
  // Search by kind and source through the form (a plain GET form).
  await page.selectOption("select[name=kind]", "decision");
  await page.fill("input[name=source]", "oncall");
  await Promise.all([page.waitForNavigation(), page.click("button")]);
  seen.search_url = new URL(page.url()).search;
  seen.search_rows = await page.locator("tbody tr").count();
  // The Reader Edition, and the entry's anchor in it.
  r = await page.goto(base + `/reader#e-${id}`);
  if (r.status() !== 200) fail(`reader: ${r.status()}`);
  seen.reader_anchor = (await page.locator(`[id="e-${id}"]`).count()) > 0;
  await page.goto(base + `/view/${id}`);
  await page.screenshot({ path: shot, fullPage: true });
  seen.screenshot = shot;
  void receipt;
} catch (e) {
  fail(String(e));
} finally {
  await browser.close();
}
console.log(JSON.stringify(seen));
