// The merchant panel's Audit log: every admin write, newest first — when,
// which token (by its fingerprint), from which address, what and to what.
// 50 a page; "Older" pages back, "Refresh" returns to the newest.
// A thin client of GET /api/v1/admin/audit.

const $ = (id) => document.getElementById(id);
const PAGE = 50;

// The cursor of the page shown (null: the newest) and of the next, older one.
let shown = null;
let older = null;

async function get(path) {
  const response = await fetch(path, { headers: { Authorization: `Bearer ${$('token').value}` } });
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error((data.error && data.error.message) || response.statusText);
  return data;
}

function row(entry) {
  const tr = document.createElement('tr');
  tr.dataset.seq = entry.seq;
  const texts = [
    entry.at.replace('T', ' ').replace('Z', ' UTC'),
    entry.token,
    entry.address,
    entry.operation,
    entry.target ?? '',
    entry.detail ?? '',
  ];
  for (const text of texts) {
    const td = document.createElement('td');
    td.textContent = text;
    tr.append(td);
  }
  return tr;
}

export async function loadAudit(before = null) {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (before !== null) query.set('before', String(before));
  try {
    const { entries, next_before: next } = await get(`/api/v1/admin/audit?${query}`);
    shown = before;
    older = next;
    $('audit-list').replaceChildren(...entries.map(row));
    $('audit-empty').textContent = 'No admin writes in the last 90 days.';
    $('audit-empty').hidden = entries.length > 0;
    $('audit-older').disabled = older === null;
    $('audit-page').textContent = before === null ? 'Newest first.' : 'Older writes.';
  } catch (error) {
    $('audit-empty').textContent = `Could not load the audit log: ${error.message}`;
    $('audit-empty').hidden = false;
  }
}

$('audit-refresh').addEventListener('click', () => loadAudit());
$('audit-older').addEventListener('click', () => { if (older !== null) loadAudit(older); });
// A write from this panel: its line is at the top of the newest page.
document.addEventListener('product-saved', () => { if (shown === null) loadAudit(); });
$('token').addEventListener('change', () => loadAudit());

loadAudit();
