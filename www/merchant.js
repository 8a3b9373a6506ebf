// The merchant panel: a thin client of the admin API.
import { CATALOG } from '/catalog.js';

const $ = (id) => document.getElementById(id);
const tokenInput = $('token');
tokenInput.value = sessionStorage.getItem('stock-widget-admin-token') || tokenInput.value;
tokenInput.addEventListener('change', () => sessionStorage.setItem('stock-widget-admin-token', tokenInput.value));

for (const product of CATALOG) {
  const option = document.createElement('option');
  option.value = product.sku;
  option.textContent = `${product.name} (${product.sku})`;
  $('product').append(option);
}
const requested = new URLSearchParams(location.search).get('sku');
if (requested) $('product').value = requested;

function say(text, isError = false) {
  $('message').textContent = text;
  $('message').classList.toggle('error', isError);
}

async function admin(method, path, body) {
  const response = await fetch(`/api/v1/admin/products/${encodeURIComponent($('product').value)}${path}`, {
    method,
    headers: { Authorization: `Bearer ${tokenInput.value}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new Error(`${error.message || response.statusText}${error.field ? ` (field: ${error.field})` : ''}`);
  }
  return data;
}

function purchaseOrderRow(order = { quantity: 1, eta: new Date(Date.now() + 7 * 86400000).toISOString().slice(0, 10) }) {
  const row = document.createElement('tr');
  row.innerHTML = '<td><input type="number" min="1" class="po-quantity" aria-label="Quantity"></td><td><input type="date" class="po-eta" aria-label="Arrives"></td><td><button type="button" class="secondary">Remove</button></td>';
  row.querySelector('.po-quantity').value = order.quantity;
  row.querySelector('.po-eta').value = order.eta;
  // The order's number and order date go back unchanged, so the server keeps
  // its receipts apart (a new row gets a number from the server).
  if (order.id) row.dataset.id = order.id;
  if (order.ordered_on) row.dataset.orderedOn = order.ordered_on;
  row.querySelector('button').addEventListener('click', () => row.remove());
  $('incoming').append(row);
}
$('add-po').addEventListener('click', () => purchaseOrderRow());

// The loaded product's supplier and service level: the form does not edit
// them, the save keeps them.
let supplier = null;
let serviceLevel = null;

function show(product) {
  supplier = product.supplier ?? null;
  serviceLevel = product.service_level ?? null;
  for (const field of ['name', 'stock', 'safety_stock', 'low_stock_threshold', 'backorders', 'lead_time_days']) $(field).value = product[field];
  $('backorder_limit').value = product.backorder_limit ?? '';
  $('max_per_customer').value = product.max_per_customer ?? '';
  $('incoming').replaceChildren();
  product.incoming.forEach(purchaseOrderRow);
  const limit = product.max_quantity === null ? 'unlimited' : product.max_quantity;
  $('summary').textContent = `Now: ${product.status.replace(/_/g, ' ')} · ${product.available} available · ${product.queued} waiting on backorder · at most ${limit} per order`;
  $('view-product').href = `/?sku=${encodeURIComponent(product.sku)}`;
}

function showQueue(queue) {
  $('queue').replaceChildren();
  for (const reservation of queue.reservations) {
    const row = document.createElement('tr');
    const positions = reservation.first_position === reservation.last_position ? reservation.first_position : `${reservation.first_position}–${reservation.last_position}`;
    const days = reservation.ships_in_days === 0 ? 'today' : `in ${reservation.ships_in_days} d`;
    for (const text of [positions, reservation.id, `${reservation.outstanding} of ${reservation.quantity}`, reservation.email, `${reservation.ship_date} (${days})`]) {
      const cell = document.createElement('td');
      cell.textContent = text;
      row.append(cell);
    }
    $('queue').append(row);
  }
  $('queue-empty').hidden = queue.reservations.length > 0;
}

async function load() {
  try {
    show(await admin('GET', ''));
    showQueue(await admin('GET', '/reservations'));
    say('');
  } catch (error) {
    say(`Could not load the product: ${error.message}`, true);
  }
}

$('product').addEventListener('change', () => { $('filled').replaceChildren(); load(); });
tokenInput.addEventListener('change', load);

$('settings').addEventListener('submit', async (event) => {
  event.preventDefault();
  const number = (id) => Number($(id).value || 0);
  const body = {
    name: $('name').value,
    stock: number('stock'),
    safety_stock: number('safety_stock'),
    low_stock_threshold: number('low_stock_threshold'),
    backorders: $('backorders').value,
    backorder_limit: $('backorder_limit').value === '' ? null : number('backorder_limit'),
    max_per_customer: $('max_per_customer').value === '' ? null : number('max_per_customer'),
    lead_time_days: number('lead_time_days'),
    incoming: [...$('incoming').querySelectorAll('tr')].map((row) => ({
      quantity: Number(row.querySelector('.po-quantity').value),
      eta: row.querySelector('.po-eta').value,
      ...(row.dataset.id ? { id: row.dataset.id } : {}),
      ...(row.dataset.orderedOn ? { ordered_on: row.dataset.orderedOn } : {}),
    })),
    ...(supplier ? { supplier } : {}),
    ...(serviceLevel !== null ? { service_level: serviceLevel } : {}),
  };
  try {
    show(await admin('PUT', '', body));
    showQueue(await admin('GET', '/reservations'));
    say('Saved. Every open widget shows the change within a second.');
    document.dispatchEvent(new CustomEvent('product-saved'));
  } catch (error) {
    say(`Not saved: ${error.message}`, true);
  }
});

$('receipt').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const result = await admin('POST', '/receipts', { quantity: Number($('receipt-quantity').value) });
    $('filled').replaceChildren(...result.filled.map((fill) => {
      const item = document.createElement('li');
      item.textContent = `${fill.id}: +${fill.units} (${fill.status === 'ready' ? 'ready to ship' : `${fill.outstanding} still waiting`})`;
      return item;
    }));
    say(`Received ${result.received}: ${result.filled.length} reservation(s) filled, ${result.to_stock} to stock (now ${result.stock} on hand).`);
    await load();
    document.dispatchEvent(new CustomEvent('product-saved'));
    say(`Received ${result.received}: ${result.filled.length} reservation(s) filled, ${result.to_stock} to stock (now ${result.stock} on hand).`);
  } catch (error) {
    say(`Receipt not recorded: ${error.message}`, true);
  }
});

// Webhooks: endpoints and what was delivered to them.
async function hooks(method, path = '', body) {
  const response = await fetch(`/api/v1/admin/webhooks${path}`, {
    method,
    headers: { Authorization: `Bearer ${tokenInput.value}`, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = response.status === 204 ? {} : await response.json().catch(() => ({}));
  if (!response.ok) {
    const error = data.error || {};
    throw new Error(`${error.message || response.statusText}${error.field ? ` (field: ${error.field})` : ''}`);
  }
  return data;
}

function cells(row, texts) {
  for (const text of texts) {
    const cell = document.createElement('td');
    cell.textContent = text;
    row.append(cell);
  }
}

async function showDeliveries(id) {
  const log = await hooks('GET', `/${id}/deliveries`);
  $('deliveries').replaceChildren(...log.deliveries.map((attempt) => {
    const row = document.createElement('tr');
    const answer = attempt.status_code ? `${attempt.status_code} ${attempt.outcome}` : `${attempt.error || 'no answer'} (${attempt.outcome})`;
    cells(row, [attempt.attempted_at, `${attempt.type} · ${attempt.event_id}`, attempt.attempt, answer, attempt.next_retry_at || '']);
    return row;
  }));
  $('deliveries-title').textContent = `Recent deliveries to ${log.webhook.url}`;
  $('deliveries-title').hidden = false;
  $('deliveries-table').hidden = false;
}

async function loadWebhooks() {
  try {
    const { webhooks } = await hooks('GET');
    $('webhooks').replaceChildren(...webhooks.map((webhook) => {
      const row = document.createElement('tr');
      const events = webhook.events.length >= 9 ? 'all' : webhook.events.join(', ');
      cells(row, [webhook.url, events, webhook.disabled ? `disabled: ${webhook.disabled_reason}` : 'active', webhook.pending]);
      const actions = document.createElement('td');
      const deliveries = document.createElement('button');
      deliveries.type = 'button';
      deliveries.className = 'secondary';
      deliveries.textContent = 'Deliveries';
      deliveries.addEventListener('click', () => showDeliveries(webhook.id).catch((error) => say(error.message, true)));
      const remove = document.createElement('button');
      remove.type = 'button';
      remove.className = 'secondary';
      remove.textContent = 'Remove';
      remove.addEventListener('click', async () => {
        try {
          await hooks('DELETE', `/${webhook.id}`);
          $('deliveries-title').hidden = true;
          $('deliveries-table').hidden = true;
          await loadWebhooks();
        } catch (error) {
          say(`Not removed: ${error.message}`, true);
        }
      });
      actions.append(deliveries, ' ', remove);
      row.append(actions);
      return row;
    }));
    $('webhooks-empty').hidden = webhooks.length > 0;
  } catch (error) {
    say(`Could not load the webhooks: ${error.message}`, true);
  }
}

$('add-webhook').addEventListener('submit', async (event) => {
  event.preventDefault();
  try {
    const created = await hooks('POST', '', { url: $('webhook-url').value });
    $('webhook-secret').textContent = `Signing secret for ${created.url} (shown once, keep it safe): ${created.secret}`;
    $('webhook-secret').hidden = false;
    $('webhook-url').value = '';
    await loadWebhooks();
  } catch (error) {
    say(`Endpoint not added: ${error.message}`, true);
  }
});
tokenInput.addEventListener('change', loadWebhooks);

// Mail to shoppers, newest first: who, what, when, and the text as sent.
async function loadMail() {
  try {
    const response = await fetch('/api/v1/admin/mail', { headers: { Authorization: `Bearer ${tokenInput.value}` } });
    if (!response.ok) throw new Error(response.statusText);
    const { mails } = await response.json();
    $('mails').replaceChildren(...mails.map((mail) => {
      const item = document.createElement('details');
      item.className = 'mail-item';
      const summary = document.createElement('summary');
      summary.textContent = `${mail.created_at.replace('T', ' ').slice(0, 16)} · ${mail.to} · ${mail.subject}`;
      const text = document.createElement('pre');
      text.textContent = mail.text;
      item.append(summary, text);
      return item;
    }));
    $('mail-empty').hidden = mails.length > 0;
  } catch (error) {
    say(`Could not load the mail: ${error.message}`, true);
  }
}
$('reload-mail').addEventListener('click', loadMail);
tokenInput.addEventListener('change', loadMail);

load();
loadWebhooks();
loadMail();
