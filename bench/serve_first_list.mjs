// The time until the sessions page shows its first sessions (bench/serve.sh):
// navigation start → the table has a row, in Debian's chromium; median of 5.
import { createRequire } from 'node:module';
const require = createRequire(new URL('../test/browser/package.json', import.meta.url));
const { chromium } = require('playwright-core');

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const times = [];
for (let i = 0; i < 5; i++) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(process.env.URL + '/', { waitUntil: 'commit' });
  await page.locator('#sessions tbody tr').first().waitFor({ timeout: 10000 });
  times.push(await page.evaluate(() => performance.now()));
  await page.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`first list shown (navigation start → rows)  median ${times[2].toFixed(0)} ms, max ${times[4].toFixed(0)} ms`);
