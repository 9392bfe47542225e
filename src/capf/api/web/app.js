// The console's entry: a small hash router (#/login, #/dashboard, #/devices, #/devices/NAME, #/ca,
// #/issuer, #/reports, #/cluster), the login page and the dashboard.
import { ApiError, get, logOut, query, setToken, takeNotice, token } from './api.js';
import { daysUntil, errorBox, h, loading, section, show, statusBadge, statusKind, table, time } from './ui.js';
import { devicesPage } from './devices.js';
import { issuerPage } from './issuer.js';
import { clusterPage } from './cluster.js';
import { caPage, devicePage, reportsPage } from './pages.js';

const main = () => document.getElementById('main');

const STATUS_CARDS = [
  ['none', 'No operation'],
  ['pending', 'Operation pending'],
  ['success', 'Succeeded'],
  ['failed', 'Failed'],
];

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/dashboard';
  const [path, q = ''] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(q) };
}

let renderCount = 0;

async function route() {
  const { parts, params } = parseHash();
  const loggedIn = Boolean(token());
  document.getElementById('nav').hidden = !loggedIn;
  document.getElementById('logout').hidden = !loggedIn;
  if (!loggedIn && parts[0] !== 'login') {
    location.hash = '#/login';
    return;
  }
  const page = parts[0] || 'dashboard';
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.page === page);
  }
  const root = main();
  const mine = ++renderCount;
  // A page renders into its own element, swapped in only if no newer route started meanwhile.
  const view = h('div', { class: 'page', dataset: { page } });
  show(root, loading());
  try {
    if (page === 'login') await loginPage(view);
    else if (page === 'dashboard') await dashboardPage(view);
    else if (page === 'devices' && parts[1]) await devicePage(view, parts[1]);
    else if (page === 'devices') await devicesPage(view, params);
    else if (page === 'ca') await caPage(view);
    else if (page === 'issuer') await issuerPage(view);
    else if (page === 'reports') await reportsPage(view);
    else if (page === 'cluster') await clusterPage(view);
    else show(view, h('h1', {}, 'Not found'), h('p', {}, `The console has no page "${page}".`));
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return;  // logged out
    show(view, h('h1', {}, 'Something went wrong'), errorBox(e));
  }
  if (mine === renderCount) show(root, view);
}

async function loginPage(view) {
  const notice = takeNotice();
  const input = h('input', { type: 'password', name: 'token', id: 'token', autocomplete: 'off',
    placeholder: 'ocapf_…', required: true });
  const message = h('div', {}, notice ? h('div', { class: 'alert info', role: 'status' }, notice) : null);
  const form = h('form', { class: 'login card', id: 'login-form' },
    h('h1', {}, 'Log in to opencapf'),
    h('p', {}, 'Paste an API token. Create one on the server with ',
      h('code', {}, 'opencapf admin token create --role operator --name console'), '.'),
    h('label', { class: 'field' }, h('span', {}, 'Token'), input),
    message,
    h('button', { type: 'submit', class: 'primary' }, 'Log in'),
    h('p', { class: 'hint' }, 'The token stays in this browser tab only and is forgotten when you close it.'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    setToken(input.value.trim());
    try {
      await get('/api/v1/devices?limit=1', { keepSession: true });
      location.hash = '#/dashboard';
    } catch (e) {
      sessionStorage.clear();
      show(message, errorBox(e));
    }
  });
  show(view, form);
}

// The colour of a session's outcome: its status, or pending while the CA works on it.
function outcomeClass(e) {
  if (e.kind === 'pending') return 'text-pending';
  return e.kind === 'status' ? `text-${statusKind(e.detail)}` : '';
}

async function dashboardPage(view) {
  const soon = new Date(Date.now() + 30 * 86400000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const [all, counts, expiring, sessions, certificates, audit] = await Promise.all([
    get('/api/v1/devices?limit=1'),
    Promise.all(STATUS_CARDS.map(([kind]) => get(`/api/v1/devices${query({ status: kind, limit: 1 })}`))),
    get(`/api/v1/devices${query({ lsc_expires_before: soon, limit: 10 })}`),
    get('/api/v1/sessions?limit=8'),
    get('/api/v1/certificates?limit=8'),
    get('/api/v1/audit?limit=8'),
  ]);
  const cards = h('div', { class: 'stats' },
    h('a', { class: 'stat total', href: '#/devices' }, h('span', { class: 'count' }, all.total), h('span', {}, 'Devices')),
    STATUS_CARDS.map(([kind, label], i) =>
      h('a', { class: `stat ${kind}`, href: `#/devices?status=${kind}`, dataset: { status: kind } },
        h('span', { class: 'count' }, counts[i].total), h('span', {}, label))));
  show(view,
    h('h1', {}, 'Dashboard'),
    cards,
    h('div', { class: 'grid' },
      section(`LSCs expiring within 30 days (${expiring.total})`,
        table([
          { title: 'Device', cell: (d) => h('a', { href: `#/devices/${encodeURIComponent(d.name)}` }, d.name) },
          { title: 'Expires', cell: (d) => time(d.lsc.not_after) },
          { title: 'Days left', class: 'num', cell: (d) => daysUntil(d.lsc.not_after) },
          { title: 'Status', cell: (d) => statusBadge(d.status) },
        ], expiring.items, { empty: 'No LSC expires within 30 days.' })),
      section('Recently issued certificates',
        table([
          { title: 'Device', cell: (c) => h('a', { href: `#/devices/${encodeURIComponent(c.device)}` }, c.device) },
          { title: 'Issued', cell: (c) => time(c.issued_at) },
          { title: 'Key', cell: (c) => c.key },
          { title: 'State', cell: (c) => c.state },
          { title: 'Session', class: 'mono', cell: (c) => c.session },
        ], certificates.items, { empty: 'No certificate has been issued yet.' }))),
    h('div', { class: 'spaced' },
      section('Recent sessions',
        table([
          { title: 'Time', cell: (e) => time(e.time) },
          { title: 'Device', cell: (e) => h('a', { href: `#/devices/${encodeURIComponent(e.device)}` }, e.device) },
          { title: 'Outcome', class: 'wrap-cell', cell: (e) => h('span', { class: outcomeClass(e) }, e.detail) },
          { title: 'Session', class: 'mono', cell: (e) => e.session },
        ], sessions.items, { empty: 'No phone has connected yet.', rowAttrs: () => ({ class: 'recent-session' }) }))),
    h('div', { class: 'spaced' },
      section('Recent changes',
        table([
          { title: 'Time', cell: (e) => time(e.time) },
          { title: 'Who', cell: (e) => e.actor },
          { title: 'Action', cell: (e) => e.action },
          { title: 'Target', class: 'wrap-cell', cell: (e) => e.target },
        ], audit.items, { empty: 'Nothing has been changed yet.' }))));
}

document.getElementById('logout').addEventListener('click', () => logOut('You logged out.'));
window.addEventListener('hashchange', route);
route();
