// The plain-JS reference widget of `cargo xtask bench`: one request to the same
// API (batched like stock-widget), the status as text, the same performance mark.
const elements = [...document.querySelectorAll('[data-sku]')];
const skus = [...new Set(elements.map((element) => element.dataset.sku))];
const url = skus.length === 1
  ? `/api/v1/products/${encodeURIComponent(skus[0])}/availability?quantity=1`
  : `/api/v1/availability?skus=${skus.map(encodeURIComponent).join(',')}&quantity=1`;
const answer = await (await fetch(url, { headers: { Accept: 'application/json' } })).json();
const items = answer.items || [answer];
for (const element of elements) {
  const item = items.find((candidate) => candidate.sku === element.dataset.sku);
  element.textContent = !item ? 'Unavailable'
    : item.status === 'in_stock' ? 'In stock'
    : item.status === 'backorder' ? `Backorder — ships in ${item.ships_in_days} days`
    : 'Out of stock';
  performance.mark(`stock-status:ready:${element.dataset.sku}`);
}
