// bench.html?n=24: n widgets cycling through the demo SKUs (used by `cargo xtask bench`);
// &sku=KETTLE-GOOSE: every widget for that SKU; &prefetch=intent: the widgets' option.
// Before the loader, as on a real product page: the widgets exist when it runs.
import { CATALOG } from '/catalog.js';
const params = new URLSearchParams(location.search);
const n = Math.max(1, Math.min(500, Number(params.get('n')) || 1));
const list = document.getElementById('widgets');
for (let i = 0; i < n; i++) {
  const item = document.createElement('li');
  const widget = document.createElement('stock-status');
  widget.setAttribute('sku', params.get('sku') || CATALOG[i % CATALOG.length].sku);
  if (params.get('prefetch')) widget.setAttribute('prefetch', params.get('prefetch'));
  item.append(widget);
  list.append(item);
}
