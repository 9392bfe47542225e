// The issuer page (#/issuer): where LSCs come from and whether its prerequisites are met, a change
// of mode or CA (as `opencapf issuer set`), and renewal of LSCs that expire soon (as
// `opencapf cert renew`).
import { call, get } from './api.js';
import { refusalBox } from './pages.js';
import { errorBox, field, h, okBox, section, select, show } from './ui.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(([, v]) => v !== '' && v !== null && v !== undefined)
    .map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

// The CA's secret by reference only: the API never holds the secret itself.
function secretText(secret) {
  if (!secret) return 'none';
  return secret.file ? `file ${secret.file}` : `environment variable ${secret.env}`;
}

function settingsFacts(s) {
  const rows = [['Mode', s.mode], ['Issuer', s.issuer]];
  if (s.mode === 'online') {
    const o = s.online;
    rows.push(['Protocol', o.protocol], ['URL', o.url], ['CA chain', o.ca_chain],
      ['Key types', o.key_types.join(' ')], ['Username', o.username ? `${o.username} (${o.auth})` : ''],
      ['Template', o.template], ['Profile', o.profile], ['Secret', secretText(o.secret)],
      ['Timeout', `${o.timeout} s, ${o.retries} retries, polled every ${o.poll} s`]);
  } else if (s.mode === 'offline') {
    rows.push(['CA chain', s.offline.ca_chain], ['Key types', s.offline.key_types.join(' ')]);
  }
  rows.push(['Requests', `${s.requests.waiting} waiting for a CA, ${s.requests.ready} ready for their phone`]);
  return facts(rows);
}

function prerequisites(s) {
  if (s.ready) return h('p', { id: 'issuer-ready' }, h('span', { class: 'badge success' }, 'ready'), ' every prerequisite is met');
  return errorBox(new Error('Not ready: this issuer lacks'), s.problems);
}

const kTextSettings = [
  ['url', 'URL', 'https://ca/certsrv (adcs), http://ca/scep, the ACME directory, http(s)://cfssl:8888'],
  ['ca_chain', 'CA chain file', 'PEM of the CA that signs LSCs, up to its root (a path on the server)'],
  ['key_types', 'Key types', 'keys the CA can issue, e.g. rsa:2048 ec:p256'],
  ['username', 'Username', 'adcs: DOMAIN\\user'],
  ['password_file', 'Password file', 'file on the server with the adcs password, scep challenge or cfssl key'],
  ['password_env', 'or password variable', 'an environment variable of the server holding it'],
  ['auth', 'Authentication', 'adcs: ntlm or basic'],
  ['template', 'Template', 'adcs certificate template'],
  ['profile', 'Profile', 'cfssl signing profile'],
  ['acme_email', 'ACME e-mail', 'acme account contact'],
  ['acme_suffix', 'ACME suffix', 'identifier = lower-case device name + this'],
  ['timeout', 'Timeout (s)', 'per exchange with the CA'],
  ['retries', 'Retries', 'after a network error'],
  ['poll', 'Poll (s)', 'between asking the CA about held requests'],
];
const kNumbers = new Set(['timeout', 'retries', 'poll']);

// The form's PUT body: the mode, and each setting given (one left empty keeps the one in use).
function changeBody(form) {
  const body = { mode: form.elements.mode.value };
  if (form.elements.protocol.value) body.protocol = form.elements.protocol.value;
  for (const [name] of kTextSettings) {
    const value = form.elements[name].value.trim();
    if (!value) continue;
    if (name === 'key_types') body.key_types = value.split(/[\s,]+/);
    else body[name] = kNumbers.has(name) ? Number(value) : value;
  }
  return body;
}

function changeForm(current, message, redraw) {
  const form = h('form', { id: 'issuer-change', class: 'inline' },
    field('Mode', select('mode', [['capf', 'CAPF signs LSCs'], ['online', 'an online CA'], ['offline', 'an offline CA']], current.mode)),
    field('Protocol', select('protocol', [['', 'as now'], ['adcs', 'adcs'], ['scep', 'scep'], ['acme', 'acme'], ['cfssl', 'cfssl']], '')),
    ...kTextSettings.map(([name, label, hint]) =>
      field(label, h('input', { name, type: kNumbers.has(name) ? 'number' : 'text', min: kNumbers.has(name) ? 0 : undefined, placeholder: 'as now' }), hint)),
    h('button', { type: 'submit' }, 'Switch'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const body = changeBody(form);
    if (!confirm(`Switch to ${body.mode} mode? The running server uses it from the next phone session.`)) return;
    try {
      const s = await call('PUT', '/api/v1/issuer', { body });
      await redraw();
      show(document.getElementById('issuer-message'), okBox(`Issuer set to ${s.mode} (${s.issuer}); the running server uses it from the next phone session`));
    } catch (e) {
      show(message, refusalBox(e));
    }
  });
  return form;
}

function renewForm() {
  const days = h('input', { type: 'number', name: 'within_days', min: 1, max: 3650, value: '30' });
  const result = h('div', { id: 'renew-result' });
  const form = h('form', { class: 'inline', id: 'renew' }, field('Expiring within (days)', days),
    h('button', { type: 'submit' }, 'Schedule renewals'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const r = await call('POST', '/api/v1/certificates/renew', { body: { within_days: Number(days.value) } });
      show(result, okBox(`${r.count} device${r.count === 1 ? '' : 's'} scheduled to renew their LSC by existing LSC at their next contact`,
        r.count ? h('ul', {}, r.scheduled.map((name) => h('li', {}, h('a', { href: `#/devices/${encodeURIComponent(name)}` }, name)))) : null));
    } catch (e) {
      show(result, errorBox(e));
    }
  });
  return section('Renew LSCs that expire soon',
    h('p', { class: 'hint' }, 'Schedules install/upgrade by existing LSC for every device with no operation whose LSC expires ',
      'within the given days (the server also does this every [renewal] check_minutes).'),
    form, result);
}

export async function issuerPage(view) {
  const current = h('div', { id: 'issuer-current' });
  const message = h('div', { id: 'issuer-message' });
  let status = null;
  async function render() {
    status = await get('/api/v1/issuer');
    show(current, settingsFacts(status), prerequisites(status));
  }
  await render();
  show(view,
    h('h1', {}, 'Issuer'),
    h('div', { class: 'grid' },
      section('Where LSCs come from', current, message),
      section('Change the issuer',
        h('p', { class: 'hint' }, 'Refused, naming every missing piece, unless all prerequisites are met; nothing changes then. ',
          'A setting left empty keeps the one in use; a relative file name is taken relative to the data directory.'),
        changeForm(status, message, render))),
    renewForm());
}
