// bench-plain.html?n=N: the same page as bench.html with the least a widget
// can do instead of stock-widget — the reference `cargo xtask bench` compares with.
import { CATALOG } from '/catalog.js';
const n = Math.max(1, Math.min(500, Number(new URLSearchParams(location.search).get('n')) || 1));
const list = document.getElementById('widgets');
for (let i = 0; i < n; i++) {
  const item = document.createElement('li');
  item.dataset.sku = CATALOG[i % CATALOG.length].sku;
  list.append(item);
}
