// The merchant panel's Insight view: the reorder list, and for the chosen
// product its 90-day demand chart, the formulas with their values, its
// supplier's record, and a button that applies the suggested safety stock.
// A thin client of GET /api/v1/admin/insight and …/products/{sku}/insight.

const $ = (id) => document.getElementById(id);
const SVG = 'http://www.w3.org/2000/svg';

async function get(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${$('token').value}` } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

const number = (value, digits = 2) => Number(value).toFixed(digits).replace(/\.?0+$/, '') || '0';
const percent = (value) => (value === null ? '—' : `${number(value * 100, 1)} %`);
const cover = (days) => (days === null ? 'no demand' : `${days} d`);

function cell(row, text) {
  const td = document.createElement('td');
  td.textContent = text;
  row.append(td);
  return td;
}

function choose(sku) {
  $('product').value = sku;
  $('product').dispatchEvent(new Event('change'));
  $('insight-detail').scrollIntoView({ block: 'nearest' });
}

export async function loadList() {
  try {
    const { products } = await get('/api/v1/admin/insight');
    $('insight-list').replaceChildren(...products.map((item) => {
      const row = document.createElement('tr');
      if (item.reorder_needed) row.className = 'reorder';
      const name = document.createElement('td');
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'link';
      button.textContent = `${item.name} (${item.sku})`;
      button.addEventListener('click', () => choose(item.sku));
      name.append(button);
      row.append(name);
      cell(row, item.reorder_needed ? 'Reorder' : 'OK').className = 'state';
      cell(row, item.position);
      cell(row, item.reorder_point);
      cell(row, item.suggested_order_quantity || '—');
      cell(row, cover(item.days_of_cover));
      cell(row, percent(item.backorder_rate));
      return row;
    }));
    $('insight-empty').hidden = products.length > 0;
  } catch (error) {
    $('insight-empty').hidden = false;
    $('insight-empty').textContent = `Could not load the insight: ${error.message}`;
  }
}

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, value);
  if (text !== undefined) element.textContent = text;
  return element;
}

// One bar a day; a dashed line at the mean; the days and units on the axes.
export function chart(demand, mean) {
  const width = 720;
  const height = 180;
  const left = 36;
  const bottom = 22;
  const plot = { width: width - left - 4, height: height - bottom - 8 };
  const peak = Math.max(1, ...demand.map((day) => day.units));
  const total = demand.reduce((sum, day) => sum + day.units, 0);
  const busiest = demand.reduce((best, day) => (day.units > best.units ? day : best), demand[0] || { units: 0 });
  const y = (units) => 8 + plot.height - (units / peak) * plot.height;
  const step = plot.width / Math.max(1, demand.length);
  const root = svg('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    class: 'demand-chart',
    'aria-label': `Daily demand over the last ${demand.length} days: ${total} units, ${number(mean)} a day on average`
      + (busiest && busiest.units > 0 ? `, at most ${busiest.units} on ${busiest.date}` : ''),
  });
  for (const units of [0, Math.round(peak / 2), peak]) {
    root.append(svg('line', { x1: left, x2: width - 4, y1: y(units), y2: y(units), class: 'grid' }));
    root.append(svg('text', { x: left - 6, y: y(units) + 4, 'text-anchor': 'end' }, String(units)));
  }
  demand.forEach((day, index) => {
    const bar = svg('rect', {
      x: left + index * step + 0.5,
      y: y(day.units),
      width: Math.max(1, step - 1),
      height: Math.max(0, y(0) - y(day.units)),
      class: 'bar',
      'data-date': day.date,
    });
    bar.append(svg('title', {}, `${day.date}: ${day.units} units`));
    root.append(bar);
  });
  if (mean > 0) {
    root.append(svg('line', { x1: left, x2: width - 4, y1: y(mean), y2: y(mean), class: 'mean' }));
  }
  for (const index of [0, Math.floor((demand.length - 1) / 2), demand.length - 1]) {
    if (!demand[index]) continue;
    const anchor = index === 0 ? 'start' : index === demand.length - 1 ? 'end' : 'middle';
    root.append(svg('text', { x: left + index * step + step / 2, y: height - 6, 'text-anchor': anchor }, demand[index].date));
  }
  return root;
}

// The formulas as the server computed them, with the product's values.
function formulas(item) {
  const source = { observed: 'observed', supplier: "the supplier's", product: "the product's" }[item.lead_time_source];
  const lines = [
    `μ = ${number(item.daily_demand_mean)} units a day, σ = ${number(item.daily_demand_sd)} (over ${item.window_days} days)`,
    `L = ${number(item.lead_time_days)} days (${source} lead time), σL = ${number(item.lead_time_sd)}; service level ${number(item.service_level * 100, 1)} % → z = ${number(item.z, 4)}`,
    `Safety stock = ⌈z · √(L·σ² + μ²·σL²)⌉ = ⌈${number(item.z, 4)} · √(${number(item.lead_time_days)} · ${number(item.daily_demand_sd)}² + ${number(item.daily_demand_mean)}² · ${number(item.lead_time_sd)}²)⌉ = ${item.safety_stock}`,
    `Reorder point = ⌈μ · L⌉ + safety stock = ⌈${number(item.daily_demand_mean)} · ${number(item.lead_time_days)}⌉ + ${item.safety_stock} = ${item.reorder_point}`,
    `Position = stock + on order − backordered = ${item.stock} + ${item.on_order} − ${item.backorders_outstanding} = ${item.position}`
      + (item.reorder_needed ? ` ≤ ${item.reorder_point}: reorder` : ` > ${item.reorder_point}: no reorder yet`),
  ];
  if (item.reorder_needed) {
    lines.push(`Suggested order = reorder point + ⌈30 · μ⌉ − position = ${item.reorder_point} + ${Math.ceil(30 * item.daily_demand_mean - 1e-9)} − ${item.position} = ${item.suggested_order_quantity}`);
  }
  return lines.map((line) => {
    const entry = document.createElement('li');
    entry.textContent = line;
    return entry;
  });
}

async function record(supplier) {
  if (!supplier) return 'No supplier: the ETAs and the product\'s lead time are trusted as given.';
  const found = await get(`/api/v1/admin/suppliers/${encodeURIComponent(supplier)}`);
  const r = found.reliability;
  if (r.purchase_orders_received === 0) return `${found.name}: no purchase order received yet.`;
  const late = r.days_late_p50 === null
    ? 'too few to judge lateness (3 needed)'
    : `typically ${r.days_late_p50} days late, ${r.days_late_p90} at worst (p90)`;
  return `${found.name}: ${r.purchase_orders_received} purchase orders received, ${late}, ${percent(r.on_time_rate)} on time; lead time ${found.lead_time_days} days as set.`;
}

export async function loadDetail() {
  const sku = $('product').value;
  try {
    const item = await get(`/api/v1/admin/products/${encodeURIComponent(sku)}/insight`);
    $('insight-title').textContent = `${item.name}: ${item.reorder_needed ? `reorder ${item.suggested_order_quantity} now` : 'no reorder needed'} · ${cover(item.days_of_cover)} of cover · backorder rate ${percent(item.backorder_rate)}`;
    $('insight-chart').replaceChildren(chart(item.demand, item.daily_demand_mean));
    $('insight-formulas').replaceChildren(...formulas(item));
    $('insight-supplier').textContent = await record(item.supplier);
    const button = $('apply-safety-stock');
    button.textContent = `Set safety stock to ${item.safety_stock} (now ${item.safety_stock_setting})`;
    button.disabled = item.safety_stock === item.safety_stock_setting;
    button.dataset.value = item.safety_stock;
  } catch (error) {
    $('insight-title').textContent = `Could not load the insight: ${error.message}`;
  }
}

// The suggestion goes through the settings form's own save (it keeps the
// purchase orders' numbers and the supplier).
$('apply-safety-stock').addEventListener('click', () => {
  $('safety_stock').value = $('apply-safety-stock').dataset.value;
  $('settings').requestSubmit();
});
$('reload-insight').addEventListener('click', () => { loadList(); loadDetail(); });
document.addEventListener('product-saved', () => { loadList(); loadDetail(); });
$('product').addEventListener('change', loadDetail);
$('token').addEventListener('change', () => { loadList(); loadDetail(); });

loadList();
loadDetail();
