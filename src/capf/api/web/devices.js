// The device list: filters, pages by the API's cursor, CSV import and export, and bulk changes
// (schedule an operation for the selected devices) with progress and the generated strings.
import { call, download, get, query, saveText } from './api.js';
import { csvCell, errorBox, field, h, okBox, onFileSubmit, section, select, show, statusBadge, table, time } from './ui.js';

const PAGE_SIZE = 50;
const BATCH = 100;  // names per bulk request: progress moves per batch

export const OPERATIONS = [['install', 'Install/Upgrade'], ['delete', 'Delete'],
  ['troubleshoot', 'Troubleshoot'], ['none', 'No operation']];
export const AUTH_MODES = [['string', 'By authentication string'], ['null', 'By null string'],
  ['lsc', 'By existing certificate (precedence to LSC)'], ['mic', 'By existing certificate (precedence to MIC)']];
export const KEY_ORDERS = [['rsa', 'RSA only'], ['ec', 'EC only'], ['ec-rsa', 'EC preferred, RSA backup']];

// "2026-12-31T18:00" from a datetime-local input (local time) → "2026-12-31T17:00:00Z".
function utc(local) {
  return new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// The fields of a change (operation, auth mode, key order, deadline, generated strings), shared
// by the bulk form here and the device page. `onSubmit(change)` gets the API's change object.
export function changeForm(buttonText, onSubmit) {
  const keep = [['', '(keep)']];
  const operation = select('operation', OPERATIONS, 'install');
  const auth = select('auth_mode', keep.concat(AUTH_MODES), '');
  const keyOrder = select('key_order', keep.concat(KEY_ORDERS), '');
  const deadline = h('input', { type: 'datetime-local', name: 'deadline' });
  const generate = h('input', { type: 'checkbox', name: 'generate_auth_string' });
  const button = h('button', { type: 'submit', class: 'primary' }, buttonText);
  const form = h('form', { class: 'change-form' },
    field('Operation', operation),
    field('Authentication mode', auth),
    field('Key order', keyOrder),
    field('Operation completes by', deadline, 'your local time; empty keeps it'),
    h('label', { class: 'check' }, generate, ' Generate authentication strings'),
    button);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const change = { operation: operation.value };
    if (auth.value) change.auth_mode = auth.value;
    if (keyOrder.value) change.key_order = keyOrder.value;
    if (deadline.value) change.deadline = utc(deadline.value);
    if (generate.checked) change.generate_auth_string = true;
    onSubmit(change, button);
  });
  return form;
}

// The generated strings, shown once, with a CSV download of them.
export function generatedStrings(devices) {
  const rows = devices.filter((d) => d.generated_auth_string);
  if (!rows.length) return null;
  const csv = 'device_name,auth_string\n' + rows.map((d) => `${csvCell(d.name)},${csvCell(d.generated_auth_string)}`).join('\n') + '\n';
  return h('div', { class: 'generated' },
    h('p', {}, h('strong', {}, 'Authentication strings: '),
      'shown only this once. Give each to the phone\'s user, or download them now.'),
    table([
      { title: 'Device', cell: (d) => d.name },
      { title: 'Authentication string', class: 'mono', cell: (d) => d.generated_auth_string },
    ], rows, { rowAttrs: (d) => ({ class: 'auth-string', dataset: { device: d.name } }) }),
    h('button', { type: 'button', onclick: () => saveText(csv, 'auth-strings.csv', 'text/csv') },
      'Download the strings (CSV)'));
}

export async function devicesPage(view, params) {
  const filters = {
    name: params.get('name') || '',
    operation: params.get('operation') || '',
    status: params.get('status') || '',
    auth: params.get('auth') || '',
    lsc_before: params.get('lsc_before') || '',
  };
  const cursors = [''];  // the `after` of each page seen, for Previous
  let current = '';
  const selected = new Set();
  const listArea = h('div', { id: 'device-list' });
  const resultArea = h('div', { id: 'bulk-result' });
  const importArea = h('div', { id: 'import-result' });
  const countLabel = h('span', { id: 'selected-count' }, 'No device selected');

  // Filters: applying one changes the address, so the view can be bookmarked.
  const filterForm = h('form', { class: 'filters', id: 'filters' },
    field('Name starts with', h('input', { name: 'name', value: filters.name, placeholder: 'SEP…' })),
    field('Operation', select('operation', [['', 'Any']].concat(OPERATIONS), filters.operation)),
    field('Status', select('status', [['', 'Any'], ['none', 'None'], ['pending', 'Pending'],
      ['success', 'Success'], ['failed', 'Failed']], filters.status)),
    field('Authentication', select('auth', [['', 'Any'], ['string', 'String'], ['null', 'Null string'],
      ['lsc', 'LSC'], ['mic', 'MIC']], filters.auth)),
    field('LSC expires before', h('input', { type: 'date', name: 'lsc_before', value: filters.lsc_before })),
    h('div', { class: 'buttons' },
      h('button', { type: 'submit' }, 'Filter'),
      h('a', { class: 'button quiet', href: '#/devices' }, 'Clear')));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const data = Object.fromEntries(new FormData(filterForm));
    location.hash = `#/devices${query(data)}`;
  });

  async function load(after) {
    current = after;
    const page = await get(`/api/v1/devices${query({
      name: filters.name, operation: filters.operation, status: filters.status, auth: filters.auth,
      lsc_expires_before: filters.lsc_before ? `${filters.lsc_before}T00:00:00Z` : '',
      limit: PAGE_SIZE, after,
    })}`);
    const index = cursors.indexOf(after);
    const first = index * PAGE_SIZE + 1;
    const all = h('input', { type: 'checkbox', id: 'select-all', title: 'Select every device on this page' });
    const boxes = [];
    const rows = table([
      { title: all, class: 'pick', cell: (d) => {
        const box = h('input', { type: 'checkbox', class: 'pick-device', value: d.name, checked: selected.has(d.name),
          'aria-label': `Select ${d.name}` });
        box.addEventListener('change', () => { box.checked ? selected.add(d.name) : selected.delete(d.name); updateCount(); });
        boxes.push(box);
        return box;
      } },
      { title: 'Device', cell: (d) => h('a', { href: `#/devices/${encodeURIComponent(d.name)}` }, d.name) },
      { title: 'Operation', cell: (d) => d.operation },
      { title: 'Authentication', cell: (d) => d.auth_mode + (d.auth_string_set ? ' (set)' : '') },
      { title: 'Key order', cell: (d) => d.key_order },
      { title: 'Status', cell: (d) => statusBadge(d.status) },
      { title: 'Status time', cell: (d) => time(d.status_time) },
      { title: 'LSC expires', cell: (d) => (d.lsc ? time(d.lsc.not_after) : '—') },
      { title: 'Deadline', cell: (d) => time(d.deadline) || '—' },
    ], page.items, {
      empty: 'No device matches. Import a CSV file, or clear the filters.',
      rowAttrs: (d) => ({ dataset: { device: d.name } }),
    });
    all.addEventListener('change', () => {
      for (const box of boxes) {
        box.checked = all.checked;
        all.checked ? selected.add(box.value) : selected.delete(box.value);
      }
      updateCount();
    });
    const pager = h('div', { class: 'pager' },
      h('span', { id: 'page-info' }, page.total
        ? `Devices ${first}–${first + page.items.length - 1} of ${page.total}` : 'No devices'),
      h('button', { type: 'button', disabled: index <= 0, onclick: () => load(cursors[index - 1]) }, '← Previous'),
      h('button', { type: 'button', disabled: !page.next, onclick: () => {
        if (!cursors.includes(page.next)) cursors.push(page.next);
        load(page.next);
      } }, 'Next →'),
      h('button', { type: 'button', id: 'refresh', onclick: () => load(after) }, 'Refresh'));
    show(listArea, rows, pager);
  }

  function updateCount() {
    countLabel.textContent = selected.size ? `${selected.size} selected` : 'No device selected';
  }

  // Bulk changes go in batches, so a long list shows progress; each batch is all or nothing.
  const bulkForm = changeForm('Apply to the selected devices', async (change, button) => {
    const names = [...selected];
    if (!names.length) {
      show(resultArea, errorBox(new Error('Select one or more devices first (the boxes on the left).')));
      return;
    }
    button.disabled = true;
    const progress = h('progress', { max: names.length, value: 0, id: 'bulk-progress' });
    const label = h('span', {}, `0 of ${names.length}`);
    show(resultArea, h('div', { class: 'progress' }, progress, label));
    const changed = [];
    const failures = [];
    for (let i = 0; i < names.length; i += BATCH) {
      const batch = names.slice(i, i + BATCH);
      try {
        const r = await call('POST', '/api/v1/devices/bulk', { body: { names: batch, change } });
        changed.push(...r.devices);
      } catch (e) {
        failures.push(`${batch[0]}${batch.length > 1 ? ` … ${batch[batch.length - 1]}` : ''}: ${e.message}`);
      }
      progress.value = Math.min(i + BATCH, names.length);
      label.textContent = `${progress.value} of ${names.length}`;
    }
    button.disabled = false;
    show(resultArea,
      failures.length ? errorBox(new Error(`${failures.length} batch(es) were not changed`), failures) : null,
      changed.length ? okBox(`${changed.length} device${changed.length === 1 ? '' : 's'} changed`,
        table([
          { title: 'Device', cell: (d) => d.name },
          { title: 'Operation', cell: (d) => d.operation },
          { title: 'Status', cell: (d) => statusBadge(d.status) },
          { title: 'Warnings', class: 'wrap-cell', cell: (d) => d.warnings.join('; ') },
        ], changed)) : null,
      generatedStrings(changed));
    await load(current);
  });

  const removeButton = h('button', { type: 'button', class: 'danger', onclick: async () => {
    const names = [...selected];
    if (!names.length || !confirm(`Remove ${names.length} device(s) from the registry? Their certificates stay in the ledger.`)) return;
    const progress = h('progress', { max: names.length, value: 0 });
    show(resultArea, h('div', { class: 'progress' }, progress));
    const errors = [];
    for (const name of names) {
      try {
        await call('DELETE', `/api/v1/devices/${encodeURIComponent(name)}`);
        selected.delete(name);
      } catch (e) {
        errors.push(`${name}: ${e.message}`);
      }
      progress.value += 1;
    }
    updateCount();
    show(resultArea, errors.length ? errorBox(new Error('Some devices were not removed'), errors)
      : okBox(`${names.length} device(s) removed`));
    await load('');
  } }, 'Remove from registry');

  // CSV import: the API checks every line first; errors come back by line.
  const fileInput = h('input', { type: 'file', id: 'import-file', accept: '.csv,text/csv' });
  const validOnly = h('input', { type: 'checkbox', id: 'import-valid-only' });
  const importForm = h('form', { class: 'inline', id: 'import-form' },
    fileInput, h('label', { class: 'check' }, validOnly, ' import the valid lines only'),
    h('button', { type: 'submit' }, 'Import'));
  onFileSubmit(importForm, fileInput, importArea, 'Choose a CSV file first.', async (file) => {
    try {
      const r = await call('POST', `/api/v1/devices/import${validOnly.checked ? '?valid_only=true' : ''}`,
        { body: await file.text(), contentType: 'text/csv' });
      const lineErrors = r.lines.flatMap((l) => l.errors);
      const warnings = r.lines.flatMap((l) => l.warnings.map((w) => `line ${l.line}: ${w}`));
      show(importArea,
        okBox(`Imported ${file.name}: ${r.created} created, ${r.updated} updated, ${r.unchanged} unchanged` +
          (r.errors ? `, ${r.errors} line(s) skipped` : '')),
        lineErrors.length ? errorBox(new Error('Skipped lines'), lineErrors) : null,
        warnings.length ? h('ul', { class: 'warnings' }, warnings.map((w) => h('li', {}, w))) : null,
        generatedStrings(r.lines.filter((l) => l.generated_auth_string)
          .map((l) => ({ name: l.device, generated_auth_string: l.generated_auth_string }))));
      importForm.reset();
      await load('');
    } catch (e) {
      const report = e.problem && e.problem.report;
      show(importArea, errorBox(e, report ? report.lines.flatMap((l) => l.errors) : []));
    }
  });

  show(view,
    h('div', { class: 'title-row' }, h('h1', {}, 'Devices'),
      h('div', { class: 'buttons' },
        h('button', { type: 'button', id: 'export', onclick: () => download('/api/v1/devices/export', 'devices.csv') },
          'Export CSV'))),
    section('Filter', filterForm),
    section('Import devices from CSV',
      h('p', { class: 'hint' }, 'Columns: device_name (required), operation, auth_mode, auth_string, ',
        'generate_auth_string, key_order, rsa_bits, ec_bits, deadline, description. ',
        'A file with an error imports nothing unless you choose the valid lines only.'),
      importForm, importArea),
    h('section', { class: 'card' }, listArea),
    section('Change the selected devices',
      h('p', { class: 'hint' }, countLabel, '. The change applies to every selected device; ',
        'the phones act on it at their next contact with CAPF.'),
      bulkForm, h('div', { class: 'buttons' }, removeButton), resultArea));
  await load('');
}
