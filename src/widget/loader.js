// stock-widget loader: served as /widget/stock-widget.js.
// Loads the wasm once, defines <stock-status>, and exports mount() for frameworks.
import init, { mount as mountWasm } from './stock-widget-core.js';

const scriptOrigin = new URL(import.meta.url).origin;

// The widgets already in the page ask for their availability while the
// wasm downloads and compiles, with the very URLs the widget would use (see
// src/widget/batch.rs); the widget takes the answer from this map instead of
// asking again. Answers not taken within a few seconds are dropped, so a
// widget added later never shows an old one.
const prefetched = new Map();
globalThis[Symbol.for('stock-status:prefetched')] = prefetched;
const MAX_SKUS = 100; // the batch endpoint's limit
const MAX_QUANTITY = 1000000;

function apiBase(api) {
  return (api || scriptOrigin).replace(/\/+$/, '');
}

function prefetch(elements) {
  const batches = new Map(); // one per API and quantity, widgets in document order
  for (const element of elements) {
    const sku = element.getAttribute('sku') || '';
    const quantityText = element.getAttribute('quantity');
    const quantity = quantityText ? Number.parseInt(quantityText, 10) : 1;
    if (!sku.trim() || !(quantity >= 1 && quantity <= MAX_QUANTITY)) continue;
    const api = apiBase(element.getAttribute('api'));
    const key = `${api} ${quantity}`;
    if (!batches.has(key)) batches.set(key, { api, quantity, skus: [] });
    batches.get(key).skus.push(sku);
  }
  for (const { api, quantity, skus } of batches.values()) {
    if (skus.length === 1) {
      ask(`${api}/api/v1/products/${encodeURIComponent(skus[0])}/availability?quantity=${quantity}`);
      continue;
    }
    // Chunks of at most MAX_SKUS distinct SKUs, in the order they first appear.
    let chunk = [];
    for (const sku of skus) {
      if (chunk.includes(sku)) continue;
      if (chunk.length === MAX_SKUS) {
        askBatch(api, chunk, quantity);
        chunk = [];
      }
      chunk.push(sku);
    }
    askBatch(api, chunk, quantity);
  }
  setTimeout(() => prefetched.clear(), 5000);
}

function askBatch(api, skus, quantity) {
  ask(`${api}/api/v1/availability?skus=${skus.map(encodeURIComponent).join(',')}&quantity=${quantity}`);
}

function ask(url) {
  const response = fetch(url, { headers: { Accept: 'application/json' } });
  response.catch(() => {}); // the widget reports failures when it takes the answer
  prefetched.set(url, response);
}

// The page's own content comes first: the widget's requests and work start
// once the page has loaded and painted (or after LCP_BUDGET_MS at the latest),
// so they never hold back the page's images or its first paint.
const LCP_BUDGET_MS = 2500; // Core Web Vitals' "good" Largest Contentful Paint

function pageLoaded() {
  if (document.readyState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    addEventListener('load', resolve, { once: true });
    setTimeout(resolve, LCP_BUDGET_MS);
  });
}

function painted() {
  // Hidden pages get no animation frames: nothing to wait for there (and a
  // page hidden while waiting stops waiting after a moment).
  if (document.visibilityState !== 'visible') return Promise.resolve();
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve));
    setTimeout(resolve, 100);
  });
}

await pageLoaded();
await painted();
prefetch(document.querySelectorAll('stock-status'));

await init({ module_or_path: new URL('./stock-widget-core_bg.wasm', import.meta.url) });

function withDefaults(options) {
  const opts = Object.assign({}, options);
  if (opts.api == null) opts.api = scriptOrigin;
  return opts;
}

/** Mounts the widget into `element`; returns a handle with `destroy()`. */
export function mount(element, options) {
  return mountWasm(element, withDefaults(options));
}

class StockStatusElement extends HTMLElement {
  static get observedAttributes() { return ['sku', 'api', 'quantity', 'lang', 'structured-data', 'prefetch']; }

  connectedCallback() { this.render(); }

  disconnectedCallback() {
    if (this.handle) { this.handle.destroy(); this.handle = null; }
  }

  attributeChangedCallback(name, oldValue, newValue) {
    // Upgrades report every attribute once: render on connect, not per attribute;
    // several changes in one task re-render once.
    if (!this.handle || oldValue === newValue || this.pending) return;
    this.pending = true;
    queueMicrotask(() => { this.pending = false; if (this.isConnected) this.render(); });
  }

  options() {
    const opts = { sku: this.getAttribute('sku') || '' };
    const api = this.getAttribute('api');
    if (api) opts.api = api;
    const quantity = this.getAttribute('quantity');
    if (quantity) opts.quantity = Number.parseInt(quantity, 10);
    const lang = this.getAttribute('lang');
    if (lang) opts.lang = lang;
    if (this.hasAttribute('structured-data')) opts.structuredData = true;
    const prefetch = this.getAttribute('prefetch');
    if (prefetch) opts.prefetch = prefetch;
    return opts;
  }

  render() {
    if (this.handle) { this.handle.destroy(); this.handle = null; }
    try {
      this.handle = mount(this, this.options());
    } catch (error) {
      this.setAttribute('data-state', 'error');
      console.error(error);
    }
  }
}

if (!customElements.get('stock-status')) {
  customElements.define('stock-status', StockStatusElement);
}
