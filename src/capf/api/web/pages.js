// The device page, the CAPF identity and trust stores, and the reports.
import { ApiError, call, download, downloadBlob, get, saveText } from './api.js';
import { changeForm, generatedStrings } from './devices.js';
import { errorBox, field, h, okBox, onFileSubmit, parseCsv, section, select, show, statusBadge, statusKind, table, time } from './ui.js';

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

export async function devicePage(view, name) {
  const path = `/api/v1/devices/${encodeURIComponent(name)}`;
  const d = await get(path);
  const result = h('div', { id: 'device-result' });
  const form = changeForm('Schedule', async (change, button) => {
    button.disabled = true;
    try {
      const r = await call('PUT', path, { body: change });
      show(result, okBox(`${r.name}: ${r.status}`, r.warnings.length ? h('p', {}, r.warnings.join('; ')) : null),
        generatedStrings([r]));
    } catch (e) {
      show(result, errorBox(e));
    }
    button.disabled = false;
  });
  // Revocation (admin tokens): the ledger marks the certificate revoked, the next CRL lists it and
  // the phone can no longer authenticate with it.
  const reason = select('reason', [['keyCompromise', 'key compromise'], ['superseded', 'superseded'],
    ['cessationOfOperation', 'cessation of operation'], ['affiliationChanged', 'affiliation changed'],
    ['unspecified', 'unspecified']], 'keyCompromise');
  const revoked = h('div', { id: 'revoke-result' });
  async function revoke(c) {
    if (!confirm(`Revoke the certificate ${c.serial} (${reason.value})? The phone can no longer authenticate with it.`)) return;
    try {
      const r = await call('POST', `/api/v1/certificates/${c.serial}/revoke`, { body: { reason: reason.value } });
      await devicePage(view, name);
      show(document.getElementById('revoke-result'), okBox(`Revoked ${r.serial} (${r.revocation_reason || reason.value}); the next CRL lists it`));
    } catch (e) {
      show(revoked, errorBox(e));
    }
  }
  show(view,
    h('p', { class: 'crumbs' }, h('a', { href: '#/devices' }, '← Devices')),
    h('div', { class: 'title-row' }, h('h1', {}, d.name), statusBadge(d.status)),
    h('div', { class: 'grid' },
      section('Certificate operation', facts([
        ['Status', h('span', {}, statusBadge(d.status), d.status_detail ? ` ${d.status_detail}` : '')],
        ['Status time', time(d.status_time)],
        ['Operation', d.operation],
        ['Authentication', d.auth_mode + (d.auth_string_set ? ' (string set)' : '')],
        ['Failed attempts', d.auth_failures],
        ['Key order', `${d.key_order} (RSA ${d.rsa_bits}, EC P-${d.ec_bits})`],
        ['Completes by', time(d.deadline) || 'no deadline'],
        ['Description', d.description || '—'],
        ['LSC', d.lsc ? `serial ${d.lsc.serial}, expires ${time(d.lsc.not_after)}` : 'none known'],
        ['Created', time(d.created)],
        ['Updated', time(d.updated)],
      ])),
      section('Schedule an operation', form, result)),
    section('Certificates', table([
      { title: 'Serial', class: 'mono', cell: (c) => c.serial },
      { title: 'State', cell: (c) => h('span', { class: `badge ${c.state === 'revoked' || c.state === 'rejected' ? 'failed' : 'success'}` }, c.state) },
      { title: 'Key', cell: (c) => c.key },
      { title: 'Issued', cell: (c) => time(c.issued_at) },
      { title: 'Valid until', cell: (c) => time(c.not_after) },
      { title: 'Issuer', class: 'wrap-cell', cell: (c) => c.issuer },
      { title: '', cell: (c) => (c.state === 'revoked' ? null
        : h('button', { type: 'button', class: 'danger small', onclick: () => revoke(c) }, 'Revoke')) },
    ], d.certificates, { empty: 'CAPF has issued no certificate to this device.', rowAttrs: (c) => ({ dataset: { serial: c.serial } }) }),
    field('Reason for a revocation', reason), revoked),
    section('History (last 20)', table([
      { title: 'Time', cell: (e) => time(e.time) },
      { title: 'Event', cell: (e) => e.kind },
      { title: 'Detail', class: 'wrap-cell', cell: (e) => h('span', { class: e.kind === 'status' ? `text-${statusKind(e.detail)}` : '' }, e.detail) },
      { title: 'Session', class: 'mono', cell: (e) => e.session },
    ], d.history, { empty: 'No history yet.' })));
}

function identityCard(c, retire) {
  return h('div', { class: `identity${c.current ? ' current' : ''}` },
    h('h3', {}, c.subject, ' ', h('span', { class: `badge ${c.expired ? 'failed' : c.current ? 'success' : 'none'}` },
      c.expired ? 'expired' : c.current ? 'current' : 'previous, still trusted')),
    facts([
      ['Issuer', c.issuer],
      ['Serial', h('span', { class: 'mono' }, c.serial)],
      ['SHA-256', h('span', { class: 'mono wrap' }, c.fingerprint)],
      ['Valid', `${time(c.not_before)} to ${time(c.not_after)}`],
    ]),
    c.problems.length ? errorBox(new Error('This certificate does not fit the CAPF profile'), c.problems) : null,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', onclick: () => saveText(c.pem, 'capf.pem', 'application/x-pem-file') }, 'Download PEM'),
      c.current ? null : h('button', { type: 'button', class: 'danger', onclick: () => retire(c) }, 'Retire')));
}

// The API's refusals of an identity or issuer change list each problem on a line of its own
// ("refusing ...; nothing changed:\n  - ...\n  - ..."): show them as a list.
export function refusalBox(e) {
  const [first, ...rest] = String(e.message).split('\n');
  return errorBox(new Error(first), rest.map((l) => l.replace(/^\s*-\s*/, '')).filter((l) => l));
}

// The CAPF certificate: the current and previous identities, the request for a corporate CA and
// the import of what it signed, regeneration, and retiring a previous identity. A change also
// changes both trust stores: `afterChange` redraws them.
async function identitySection(afterChange) {
  const cards = h('div', { id: 'identities' });
  const message = h('div', { id: 'identity-message' });
  async function render() {
    const ca = await get('/api/v1/ca');
    show(cards, ...ca.items.map((c) => identityCard(c, retire)));
  }
  async function changed() {
    await render();
    await afterChange();
  }
  async function retire(c) {
    if (!confirm(`Retire ${c.subject}? It leaves CAPF-trust and CallManager-trust: LSCs it issued no longer authenticate.`)) return;
    try {
      await call('DELETE', `/api/v1/ca/${c.fingerprint}`);
      show(message, okBox(`Retired ${c.subject}: it is no longer in CAPF-trust or CallManager-trust`));
    } catch (e) {
      show(message, refusalBox(e));
    }
    await changed();
  }
  const file = h('input', { type: 'file', name: 'signed-capf', accept: '.pem,.crt,.cer' });
  const importForm = h('form', { class: 'inline upload', id: 'identity-import' },
    field('Signed CAPF certificate, then its issuing CAs and root (PEM)', file),
    h('button', { type: 'submit' }, 'Import'));
  onFileSubmit(importForm, file, message, 'Choose the certificate the CA signed first.', async (chosen) => {
    try {
      const c = await call('POST', '/api/v1/ca/import',
        { body: await chosen.arrayBuffer(), contentType: 'application/x-pem-file' });
      show(message, okBox(`Imported ${c.subject}, issued by ${c.issuer}; the previous certificate stays trusted until you retire it`,
        c.warnings.length ? h('ul', {}, c.warnings.map((w) => h('li', {}, w))) : null));
      importForm.reset();
    } catch (e) {
      show(message, refusalBox(e));
    }
    await changed();
  });
  const key = select('key', [['', 'the same kind as now'], ['rsa:2048', 'RSA 2048'], ['rsa:3072', 'RSA 3072'],
    ['rsa:4096', 'RSA 4096'], ['ec:p256', 'EC P-256'], ['ec:p384', 'EC P-384']], '');
  const subject = h('input', { name: 'subject', placeholder: 'the same as now' });
  const days = h('input', { type: 'number', name: 'days', min: 1, max: 7300, value: '1825' });
  const regenerateForm = h('form', { class: 'inline', id: 'identity-regenerate' },
    field('Key', key), field('Subject', subject), field('Valid for (days)', days),
    h('button', { type: 'submit' }, 'Regenerate'));
  regenerateForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!confirm('Make a new CAPF key and certificate? Phones need the new certificate in their trust list; LSCs from the current one keep working until you retire it.')) return;
    const body = { days: Number(days.value) };
    if (key.value) body.key = key.value;
    if (subject.value.trim()) body.subject = subject.value.trim();
    try {
      const c = await call('POST', '/api/v1/ca/regenerate', { body });
      show(message, okBox(`New CAPF certificate ${c.subject}, valid until ${time(c.not_after)}: put it in the phones' trust lists, and retire the previous one once every phone has a new LSC`));
      regenerateForm.reset();
    } catch (e) {
      show(message, refusalBox(e));
    }
    await changed();
  });
  await render();
  return section('CAPF certificate', cards, message,
    h('h3', {}, 'Have a corporate CA sign it'),
    h('p', { class: 'hint' }, 'Download the request, have the CA sign it with the CAPF profile (CA:TRUE, pathlen:0; ',
      'digitalSignature and keyCertSign), then import the certificate followed by its issuing CAs and root.'),
    h('div', { class: 'buttons' },
      h('button', { type: 'button', id: 'download-csr', onclick: async () => {
        try {
          saveText(await get('/api/v1/ca/csr', { as: 'text' }), 'capf.csr', 'application/pkcs10');
        } catch (e) {
          show(message, errorBox(e));
        }
      } }, 'Download the request (CSR)')),
    importForm,
    h('h3', {}, 'Replace it with a new key'),
    h('p', { class: 'hint' }, 'The current certificate stays in both trust stores as "previous" until you retire it. ',
      'Unless the admin listener has a certificate of its own, this page is then served with the new one.'),
    regenerateForm);
}

// `redraws` collects the function that redraws the store (after a change to the CAPF identity).
async function trustStore(store, title, hint, redraws) {
  const area = h('div', { id: `trust-${store}` });
  const message = h('div', { class: 'trust-message' });
  async function render() {
    const list = await get(`/api/v1/trust/${store}`);
    show(area, table([
      { title: 'Subject', class: 'wrap-cell', cell: (t) => t.subject },
      { title: 'Issuer', class: 'wrap-cell', cell: (t) => t.issuer },
      { title: 'Valid until', cell: (t) => time(t.not_after) },
      { title: 'Label', cell: (t) => t.label },
      { title: 'SHA-256', class: 'mono', cell: (t) => h('span', { title: t.fingerprint }, `${t.fingerprint.slice(0, 16)}…`) },
      { title: '', cell: (t) => h('button', { type: 'button', class: 'danger small', onclick: async () => {
        if (!confirm(`Remove ${t.subject} from ${store}?`)) return;
        try {
          await call('DELETE', `/api/v1/trust/${store}/${t.fingerprint}`);
          show(message, okBox(`Removed ${t.subject}`));
        } catch (e) {
          show(message, errorBox(e));
        }
        await render();
      } }, 'Remove') },
    ], list.items, { empty: 'This store is empty.' }));
  }
  const file = h('input', { type: 'file', name: 'certificate', accept: '.pem,.crt,.cer,.der' });
  const label = h('input', { name: 'label', placeholder: 'e.g. Cisco Manufacturing CA' });
  const form = h('form', { class: 'inline upload', dataset: { store } },
    field('Certificate file (PEM or DER)', file), field('Label', label),
    h('button', { type: 'submit' }, 'Upload'));
  onFileSubmit(form, file, message, 'Choose a certificate file first.', async (chosen) => {
    try {
      const body = await chosen.arrayBuffer();
      // Without a label the file's name labels it (and names it in a refusal).
      const q = `?label=${encodeURIComponent(label.value || chosen.name)}`;
      const r = await call('POST', `/api/v1/trust/${store}${q}`, { body, contentType: 'application/x-pem-file' });
      show(message, okBox(`Added ${r.added} certificate${r.added === 1 ? '' : 's'} to ${store}`));
      form.reset();
    } catch (e) {
      show(message, errorBox(e));
    }
    await render();
  });
  await render();
  redraws.push(render);
  return section(title, h('p', { class: 'hint' }, hint), area, form, message);
}

// The Offline CA procedure: the requests that wait, their export, and the import of what the
// offline CA signed.
async function offlineRequests() {
  const area = h('div', { id: 'offline-requests' });
  const message = h('div', { id: 'offline-message' });
  async function render() {
    try {
      const list = await get('/api/v1/offline/requests');
      show(area, table([
        { title: 'Device', cell: (r) => h('a', { href: `#/devices/${encodeURIComponent(r.device)}` }, r.device) },
        { title: 'Key', cell: (r) => r.key },
        { title: 'Waiting since', cell: (r) => time(r.created) },
        { title: 'State', cell: (r) => h('span', { class: 'badge pending' }, r.state) },
        { title: 'Request', class: 'mono', cell: (r) => r.id },
      ], list.items, { empty: 'No request waits for the offline CA.' }));
    } catch (e) {
      if (!(e instanceof ApiError) || e.status === 401) throw e;
      show(area, errorBox(e));
    }
  }
  const file = h('input', { type: 'file', name: 'signed', accept: '.der,.pem,.crt,.cer,.tgz,.gz' });
  const partial = h('input', { type: 'checkbox', name: 'partial' });
  const form = h('form', { class: 'inline upload', id: 'offline-import' },
    field('Signed certificates (PEM, DER or .tgz)', file),
    h('label', { class: 'check' }, partial, ' import the valid ones only'),
    h('button', { type: 'submit' }, 'Import'));
  onFileSubmit(form, file, message, 'Choose the file the offline CA returned first.', async (chosen) => {
    const q = `?filename=${encodeURIComponent(chosen.name)}${partial.checked ? '&partial=true' : ''}`;
    try {
      const r = await call('POST', `/api/v1/offline/import${q}`,
        { body: await chosen.arrayBuffer(), contentType: 'application/octet-stream' });
      show(message, okBox(`${r.imported} certificate${r.imported === 1 ? '' : 's'} imported; each goes to its phone at the next contact`,
        h('ul', {}, r.lines.map((l) => h('li', {}, `${l.source}: ${l.outcome}`)))));
      form.reset();
    } catch (e) {
      const report = e.problem && e.problem.report;
      show(message, errorBox(e, report ? report.lines.filter((l) => !l.ok).map((l) => `${l.source}: ${l.outcome}`) : []));
    }
    await render();
  });
  await render();
  return section('Offline CA requests',
    h('p', { class: 'hint' }, 'In Offline CA mode each phone signs its request and waits: download the requests for ',
      'the offline CA, then import what it signed (CUCM\'s "CSR dump" and "certificate import").'),
    area,
    h('div', { class: 'buttons' },
      h('button', { type: 'button', onclick: async () => {
        try {
          await downloadBlob('/api/v1/offline/export', 'capf-requests.tgz');
        } catch (e) {
          show(message, errorBox(e));
        }
      } }, 'Download the requests (.tgz)')),
    form, message);
}

export async function caPage(view) {
  const redraws = [];
  show(view,
    h('h1', {}, 'CAPF identity and trust stores'),
    await identitySection(async () => {
      for (const redraw of redraws) await redraw();
    }),
    await trustStore('capf-trust', 'CAPF-trust',
      'Roots that verify phones\' LSCs: the CAPF certificate, the external CA root, and the online CA\'s HTTPS certificate.', redraws),
    await trustStore('mic-trust', 'MIC-trust',
      'Manufacturing roots (Cisco\'s MIC and SUDI CAs): the only roots that authenticate a phone by its MIC.', redraws),
    await trustStore('callmanager-trust', 'CallManager-trust',
      'What the call-control side must trust: the CAPF certificate and an external LSC CA root.', redraws),
    await offlineRequests());
}

export async function reportsPage(view) {
  const message = h('div', { id: 'report-message' });
  const preview = h('div', { id: 'report-preview' });
  const days = h('input', { type: 'number', name: 'days', min: 0, max: 36500, value: '30' });
  const wrap = (fn) => async () => {
    try {
      show(message);
      await fn();
    } catch (e) {
      show(message, errorBox(e));
    }
  };
  async function showReport(path, title) {
    const text = await get(path, { as: 'text' });
    const rows = parseCsv(text);
    const [header, ...body] = rows;
    show(preview, h('h3', {}, `${title} (${body.length} row${body.length === 1 ? '' : 's'})`),
      table(header.map((name, i) => ({ title: name, class: /issuer|detail/.test(name) ? 'wrap-cell' : undefined, cell: (r) => (name === 'status' ? statusBadge(r[i]) : r[i] || '') })),
        body.slice(0, 100), { empty: 'The report is empty.' }));
  }
  show(view,
    h('h1', {}, 'Reports'),
    h('div', { class: 'grid' },
      section('CAPF report',
        h('p', { class: 'hint' }, 'Every device with its operation, status and LSC (CUCM\'s "CAPF Report in File").'),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', id: 'report-capf', onclick: wrap(() => showReport('/api/v1/reports/capf', 'CAPF report')) }, 'Show'),
          h('button', { type: 'button', onclick: wrap(() => download('/api/v1/reports/capf', 'capf-report.csv')) }, 'Download CSV'))),
      section('Expiring LSCs',
        h('p', { class: 'hint' }, 'Devices whose LSC expires within the given number of days, soonest first.'),
        field('Days', days),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', onclick: wrap(() => showReport(`/api/v1/reports/expiring?days=${encodeURIComponent(days.value)}`, `LSCs expiring within ${days.value} days`)) }, 'Show'),
          h('button', { type: 'button', onclick: wrap(() => download(`/api/v1/reports/expiring?days=${encodeURIComponent(days.value)}`, `expiring-${days.value}-days.csv`)) }, 'Download CSV'))),
      section('Devices and revocations',
        h('p', { class: 'hint' }, 'The device registry as CSV (re-importable; authentication strings are never exported), and the CRL.'),
        h('div', { class: 'buttons' },
          h('button', { type: 'button', onclick: wrap(() => download('/api/v1/devices/export', 'devices.csv')) }, 'Export devices (CSV)'),
          h('a', { class: 'button', href: '/api/v1/crl?format=pem', download: 'capf.crl.pem' }, 'Download the CRL')))),
    message, h('section', { class: 'card' }, preview));
}
