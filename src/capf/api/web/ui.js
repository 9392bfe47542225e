// DOM helpers. Every piece of data goes into the page as text (textContent, attribute values),
// never as HTML, so a device name or certificate subject cannot inject markup.

// h('div', {class: 'x', onclick: fn}, 'text', child, [more]) builds an element.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value);
    } else if (key === 'class') {
      el.className = value;
    } else if (key === 'dataset') {
      Object.assign(el.dataset, value);
    } else if (key in el && typeof value !== 'string') {
      el[key] = value;  // properties such as checked, disabled, value
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.append(child);
    else el.append(document.createTextNode(String(child)));
  }
}

// The kind of a CUCM status text: none, pending, success or failed (its colour).
export function statusKind(status) {
  if (!status || status === 'None') return 'none';
  if (/pending/i.test(status)) return 'pending';
  if (/success/i.test(status)) return 'success';
  return 'failed';
}

export function statusBadge(status) {
  return h('span', { class: `badge ${statusKind(status)}`, title: status || 'None' }, status || 'None');
}

// "2026-12-04T14:02:11Z" → "2026-12-04 14:02" (the console shows every time in UTC, as the top
// bar says); empty for none.
export function time(iso) {
  if (!iso) return '';
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}` : iso;
}

export function daysUntil(iso) {
  return Math.floor((Date.parse(iso) - Date.now()) / 86400000);
}

// A table: columns are {title, cell(row) → text or node, class?}.
export function table(columns, rows, { empty = 'Nothing here yet.', rowAttrs } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)))),
      h('tbody', {}, rows.map((row) =>
        h('tr', rowAttrs ? rowAttrs(row) : {}, columns.map((c) => h('td', { class: c.class }, c.cell(row))))))));
}

// A red box with what went wrong, in the API's words; `lines` are extra lines (e.g. per CSV line).
export function errorBox(error, lines = []) {
  return h('div', { class: 'alert error', role: 'alert' },
    h('strong', {}, error.message || String(error)),
    lines.length ? h('ul', {}, lines.map((l) => h('li', {}, l))) : null);
}

export function okBox(text, ...more) {
  return h('div', { class: 'alert ok', role: 'status' }, h('strong', {}, text), ...more);
}

export function section(title, ...children) {
  return h('section', { class: 'card' }, h('h2', {}, title), ...children);
}

export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', {}, label), control, hint ? h('small', {}, hint) : null);
}

export function select(name, options, value) {
  return h('select', { name }, options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)));
}

export function loading() {
  return h('p', { class: 'loading' }, 'Loading…');
}

// Replaces the children of `el`.
export function show(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

// On submit of an upload form: `upload(file)` with the file chosen in `input`, or, when none is,
// `missing` ("Choose … first.") in `area` and no request.
export function onFileSubmit(form, input, area, missing, upload) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) {
      show(area, errorBox(new Error(missing)));
      return;
    }
    await upload(file);
  });
}

// Whether a spreadsheet could run `cell` as a formula once its leading ' are gone (the server's
// CSV rule: = + - @ TAB or CR first, plain numbers such as -3 excepted).
function formulaLike(cell) {
  const rest = cell.replace(/^'+/, '');
  if (!/^[=+\-@\t\r]/.test(rest)) return false;
  return rest.length !== cell.length || !/^[+-]\d+(\.\d+)?$/.test(rest);
}

// One CSV cell as the server writes it: a ' before a formula, quoted when it needs quotes.
export function csvCell(value) {
  let cell = String(value ?? '');
  if (formulaLike(cell)) cell = `'${cell}`;
  return /[",\r\n]|^ | $/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}

// Rows of RFC 4180 CSV (quoted fields may hold commas, quotes and line breaks); a cell's formula
// guard (see csvCell) is taken off.
const unguard = (cell) => (cell.startsWith("'") && formulaLike(cell) ? cell.slice(1) : cell);

export function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(unguard(cell)); cell = ''; }
    else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(unguard(cell)); rows.push(row); row = []; cell = '';
    } else cell += c;
  }
  if (cell !== '' || row.length) { row.push(unguard(cell)); rows.push(row); }
  return rows;
}
