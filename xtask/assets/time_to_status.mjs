// Time to status in headless Chromium: for each `page:n` argument, loads
// /page?n=N ten times (after one warm-up) in a cold browser context and reports
// the median time from navigation start until every widget has set its
// `stock-status:ready:<sku>` mark, and the API requests made. The pages are
// measured in turns (one load of each, then the next round), so a noisy
// machine slows them alike. Then click → form visible on a backorder product,
// with the forms' part not fetched yet and already prefetched; then the bytes a
// product page's widget costs on the wire, cold and on a repeat visit.
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

// Click → form visible for a backorder product on a cold page: the click is
// the page's own (`element.click()`: no pointer, so no intent prefetch), timed
// in the page from the click to the frame the form is in. `prefetch=intent`
// leaves the forms' part unfetched until then; the default fetches it when
// the page is idle, which is awaited before clicking.
async function clickToFormOnce(prefetched) {
  const context = await browser.newContext();
  const tab = await context.newPage();
  const query = prefetched ? '' : '&prefetch=intent';
  await tab.goto(`${base}/bench.html?n=1&sku=KETTLE-GOOSE${query}`);
  await tab.waitForFunction(() => performance.getEntriesByType('mark').some((m) => m.name.startsWith('stock-status:ready:')), null, { timeout: 60000 });
  if (prefetched) {
    await tab.waitForFunction(() => performance.getEntriesByType('resource').some((r) => r.name.includes('/split_') && r.responseEnd > 0), null, { timeout: 60000 });
  }
  const result = await tab.evaluate(() => new Promise((resolve) => {
    const root = document.querySelector('stock-status').shadowRoot;
    const fetchedBefore = performance.getEntriesByType('resource').filter((r) => r.name.includes('/split_')).length;
    const start = performance.now();
    root.querySelector('.sw-row .sw-button').click();
    const check = () => {
      if (root.querySelector('.sw-form')) {
        resolve({ ms: performance.now() - start, part_fetched_before_click: fetchedBefore > 0 });
      } else {
        requestAnimationFrame(check);
      }
    };
    check();
  }));
  await context.close();
  return result;
}
const clicks = [false, true].map((prefetched) => ({ prefetched, samples: [], part_fetched_before_click: null }));
for (let round = 0; round <= loads; round++) {
  for (const run of clicks) {
    const result = await clickToFormOnce(run.prefetched);
    if (round > 0) { run.samples.push(result.ms); run.part_fetched_before_click = result.part_fetched_before_click; }
  }
}
const clickToForm = clicks.map(({ prefetched, samples, part_fetched_before_click }) => {
  samples.sort((a, b) => a - b);
  const middle = samples.length / 2;
  const median = samples.length % 2 ? samples[Math.floor(middle)] : (samples[middle - 1] + samples[middle]) / 2;
  return { prefetched, part_fetched_before_click, loads: samples.length, median_ms: median, min_ms: samples[0], max_ms: samples[samples.length - 1] };
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
console.log(JSON.stringify({ time_to_status: timeToStatus, click_to_form: clickToForm, wire: { cold, repeat } }));
