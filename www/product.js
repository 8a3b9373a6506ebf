// The product page reacts to the widget's events, as a merchant's page would.
import { CATALOG, bySku, formatPrice } from '/catalog.js';

const params = new URLSearchParams(location.search);
const product = bySku(params.get('sku')) || bySku('KETTLE-GOOSE');
const widget = document.getElementById('stock');
const quantity = document.getElementById('quantity');
const addToCart = document.getElementById('add-to-cart');
const note = document.getElementById('note');

document.title = `${product.name} — Northwind Goods`;
document.getElementById('name').textContent = product.name;
document.getElementById('price').textContent = formatPrice(product.price);
document.getElementById('blurb').textContent = product.blurb;
document.getElementById('case').textContent = `Demo case: ${product.demo}`;
for (const id of ['main-image', 'thumb-1', 'thumb-2', 'thumb-3']) document.getElementById(id).src = product.image;
document.getElementById('main-image').alt = product.name;
quantity.value = product.quantity;
widget.setAttribute('quantity', String(product.quantity));
widget.setAttribute('sku', product.sku);

const switcher = document.getElementById('switcher');
for (const item of CATALOG) {
  const li = document.createElement('li');
  const link = document.createElement('a');
  link.href = `/?sku=${encodeURIComponent(item.sku)}`;
  if (item.sku === product.sku) link.setAttribute('aria-current', 'page');
  const img = document.createElement('img');
  img.src = item.image; img.alt = ''; img.width = 48; img.height = 48;
  const label = document.createElement('span');
  label.textContent = item.name;
  link.append(img, label);
  li.append(link);
  switcher.append(li);
}

function setQuantity(value) {
  const next = Math.max(1, Math.floor(Number(value) || 1));
  quantity.value = next;
  widget.setAttribute('quantity', String(next));
}
document.getElementById('less').addEventListener('click', () => setQuantity(Number(quantity.value) - 1));
document.getElementById('more').addEventListener('click', () => setQuantity(Number(quantity.value) + 1));
quantity.addEventListener('change', () => setQuantity(quantity.value));

// The widget tells the page what it found; the page adapts its own buttons.
widget.addEventListener('stock-status:change', (event) => {
  const availability = event.detail;
  if (availability.status === 'out_of_stock' || !availability.fulfillable && availability.max_quantity === 0) {
    addToCart.disabled = true;
    addToCart.textContent = 'Sold out';
    note.textContent = 'This item cannot be ordered right now.';
  } else if (availability.backordered > 0) {
    addToCart.disabled = !availability.fulfillable;
    addToCart.textContent = 'Add to cart · ships later';
    note.textContent = availability.fulfillable ? '' : `At most ${availability.max_quantity} can be ordered.`;
  } else {
    addToCart.disabled = false;
    addToCart.textContent = 'Add to cart';
    note.textContent = '';
  }
});
widget.addEventListener('stock-status:reserved', (event) => {
  const toast = document.getElementById('toast');
  toast.textContent = `Reserved ${event.detail.quantity} — reference ${event.detail.id}`;
  toast.hidden = false;
  setTimeout(() => { toast.hidden = true; }, 6000);
});
document.getElementById('buy').addEventListener('submit', (event) => {
  event.preventDefault();
  note.textContent = 'This is a demo: the cart is not part of stock-widget.';
});
