// Time to status in headless Chromium: for each `page:n` argument, loads
// /page?n=N ten times (after one warm-up) in a cold browser context and reports
// the median time from navigation start until every widget has set its
// `stock-status:ready:<sku>` mark, and the API requests made. The pages are
// measured in turns (one load of each, then the next round), so a noisy
// machine slows them alike. Then the bytes a product page's widget costs on
// the wire, cold and on a repeat visit.
import { chromium } from 'playwright-core';

const [base, ...cases] = process.argv.slice(2);
const loads = Number(process.env.BENCH_LOADS || 10);
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
         '--disable-component-update', '--disable-sync', '--no-first-run'],
});

async function timeOnce(page, n) {
  const context = await browser.newContext(); // a cold page each time, same browser
  const tab = await context.newPage();
  await tab.goto(`${base}/${page}?n=${n}`);
  const timing = await tab.waitForFunction((count) => {
    const marks = performance.getEntriesByType('mark').filter((m) => m.name.startsWith('stock-status:ready:'));
    if (marks.length < count) return null;
    const api = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/v1/'));
    return { ms: Math.max(...marks.map((m) => m.startTime)), requests: api.length };
  }, n, { timeout: 60000, polling: 20 }).then((handle) => handle.jsonValue());
  await context.close();
  return timing;
}

const runs = cases.map((spec) => {
  const [page, n] = spec.split(':');
  return { page, widgets: Number(n), samples: [], requests: 0 };
});
for (let round = 0; round <= loads; round++) {
  for (const run of runs) {
    const timing = await timeOnce(run.page, run.widgets);
    if (round > 0) { run.samples.push(timing.ms); run.requests = timing.requests; } // round 0 warms up
  }
}
const timeToStatus = runs.map(({ page, widgets, samples, requests }) => {
  samples.sort((a, b) => a - b);
  const middle = samples.length / 2;
  const median = samples.length % 2 ? samples[Math.floor(middle)] : (samples[middle - 1] + samples[middle]) / 2;
  return { page, widgets, loads: samples.length, median_ms: median, min_ms: samples[0], max_ms: samples[samples.length - 1], api_requests: requests };
});

// The widget's bytes on the wire for the demo product page: a cold visit, then
// a repeat visit in the same browser context (its HTTP cache kept).
async function widgetTraffic(tab) {
  await tab.waitForFunction(() => performance.getEntriesByType('mark').some((m) => m.name.startsWith('stock-status:ready:')), null, { timeout: 60000 });
  return tab.evaluate(() => performance.getEntriesByType('resource')
    .filter((entry) => entry.name.includes('/widget/') || entry.name.includes('/api/v1/'))
    .map((entry) => ({ url: new URL(entry.name).pathname, transfer_bytes: entry.transferSize, body_bytes: entry.encodedBodySize })));
}
const context = await browser.newContext();
const tab = await context.newPage();
await tab.goto(`${base}/`);
const cold = await widgetTraffic(tab);
await tab.goto(`${base}/`);
const repeat = (await widgetTraffic(tab)).filter((entry) => entry.transfer_bytes > 0); // 0: from the cache
await context.close();
await browser.close();
console.log(JSON.stringify({ time_to_status: timeToStatus, wire: { cold, repeat } }));
