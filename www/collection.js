import { CATALOG, formatPrice } from '/catalog.js';
const grid = document.getElementById('grid');
for (const product of CATALOG) {
  const card = document.createElement('li');
  card.className = 'card';
  card.innerHTML = `<a class="card-link"><img width="400" height="400" alt=""><h2></h2></a><p class="price"></p><p class="case"></p>`;
  card.querySelector('a').href = `/?sku=${encodeURIComponent(product.sku)}`;
  card.querySelector('img').src = product.image;
  card.querySelector('h2').textContent = product.name;
  card.querySelector('.price').textContent = formatPrice(product.price) + (product.quantity > 1 ? ` · quantity ${product.quantity}` : '');
  card.querySelector('.case').textContent = product.demo;
  const widget = document.createElement('stock-status');
  widget.setAttribute('sku', product.sku);
  widget.setAttribute('quantity', String(product.quantity));
  card.append(widget);
  grid.append(card);
}
