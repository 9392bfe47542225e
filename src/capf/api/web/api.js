// The admin API as the console uses it (docs/api.md): the bearer token kept for this tab only
// (sessionStorage), JSON calls, and problem objects turned into errors that carry their detail.

const TOKEN_KEY = 'opencapf.token';
const NOTICE_KEY = 'opencapf.notice';

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

// Forgets the token; `notice` is shown once on the login page.
export function logOut(notice) {
  sessionStorage.removeItem(TOKEN_KEY);
  if (notice) sessionStorage.setItem(NOTICE_KEY, notice);
  location.hash = '#/login';
}

export function takeNotice() {
  const notice = sessionStorage.getItem(NOTICE_KEY);
  sessionStorage.removeItem(NOTICE_KEY);
  return notice;
}

// An HTTP error with the API's problem object (RFC 9457); `message` is its detail.
export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && problem.detail) || `the server answered HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

// Calls the API. `body`: an object (sent as JSON), or a string/ArrayBuffer with `contentType`.
// `as`: 'json' (default), 'text' or 'blob'. A 401 logs out (the token is bad, revoked or missing) unless
// `keepSession` is set (the login page checks a token that way).
export async function call(method, path, { body, contentType, as = 'json', keepSession = false } = {}) {
  const headers = { Accept: as === 'json' ? 'application/json' : 'text/csv, */*' };
  const t = token();
  if (t) headers.Authorization = `Bearer ${t}`;
  let payload;
  if (body !== undefined) {
    if (contentType) {
      headers['Content-Type'] = contentType;
      payload = body;
    } else {
      headers['Content-Type'] = 'application/json';
      payload = JSON.stringify(body);
    }
  }
  let response;
  try {
    response = await fetch(path, { method, headers, body: payload, cache: 'no-store' });
  } catch (e) {
    throw new ApiError(0, { detail: `cannot reach opencapf (${e.message}): is the server running?` });
  }
  if (!response.ok) {
    let problem = null;
    try {
      problem = await response.json();
    } catch (e) {
      problem = null;
    }
    const error = new ApiError(response.status, problem);
    if (response.status === 401 && !keepSession) logOut(`Logged out: ${error.message}`);
    throw error;
  }
  if (response.status === 204) return null;
  if (as === 'blob') return response.blob();
  return as === 'text' ? response.text() : response.json();
}

export const get = (path, options) => call('GET', path, options);

// A query string from an object, leaving out empty values.
export function query(params) {
  const q = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') q.set(key, value);
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

// Downloads what a token call returns as a file (a plain link cannot send the token).
export async function download(path, filename) {
  const text = await get(path, { as: 'text' });
  saveText(text, filename, 'text/csv');
}

// Downloads a binary answer (e.g. a .tgz) the same way.
export async function downloadBlob(path, filename) {
  saveBlob(await get(path, { as: 'blob' }), filename);
}

export function saveText(text, filename, type) {
  saveBlob(new Blob([text], { type }), filename);
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}
