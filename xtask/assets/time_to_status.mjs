// Time to status in headless Chromium: loads bench.html?n=N ten times (after
// one warm-up) and reports the median time from navigation start until every
// widget has set its `stock-status:ready:<sku>` mark, and the API requests made.
import { chromium } from 'playwright-core';

const [base, ...sizes] = process.argv.slice(2);
const loads = Number(process.env.BENCH_LOADS || 10);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});
const results = [];
for (const n of sizes.map(Number)) {
  const samples = [];
  let requests = 0;
  for (let i = 0; i <= loads; i++) {
    const context = await browser.newContext(); // a cold page each time, same browser
    const page = await context.newPage();
    await page.goto(`${base}/bench.html?n=${n}`);
    const timing = await page.waitForFunction((count) => {
      const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('stock-status:ready:'));
      if (marks.length < count) return null;
      const api = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/'));
      return { ms: Math.max(...marks.map((m) => m.startTime)), requests: api.length };
    }, n, { timeout: 60000, polling: 20 }).then((handle) => handle.jsonValue());
    if (i > 0) { samples.push(timing.ms); requests = timing.requests; } // load 0 warms caches
    await context.close();
  }
  samples.sort((a, b) => a - b);
  const median = samples.length % 2 ? samples[(samples.length - 1) / 2] : (samples[samples.length / 2 - 1] + samples[samples.length / 2]) / 2;
  results.push({ widgets: n, loads: samples.length, median_ms: median, min_ms: samples[0], max_ms: samples[samples.length - 1], api_requests: requests });
}
await browser.close();
console.log(JSON.stringify(results));
