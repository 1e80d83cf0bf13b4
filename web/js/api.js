// The API, as the page calls it: the session's bearer token, the chosen purpose, problem+json
// errors turned into ApiError (with the server's field errors), and the streamed press.
// A CPR travels only in the path of a fetch, never in the page's own address.
import { token } from './auth.js';

let purpose = null;
let onUnauthorized = () => {};

export function setPurpose(p) { purpose = p || null; }
export function getPurpose() { return purpose; }
export function onAuthLost(f) { onUnauthorized = f; }

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
    // [{field, reason}] as the server names them ("scope.areas", "valid_until", "cpr", ...)
    this.fields = Array.isArray(problem?.errors) ? problem.errors : [];
  }
}

function headers(extra) {
  const h = { Accept: 'application/json', ...extra };
  const tok = token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (purpose) h['X-Purpose'] = purpose;
  return h;
}

export async function api(path, { method = 'GET', body, noPurpose = false } = {}) {
  const h = headers(body !== undefined ? { 'Content-Type': 'application/json' } : {});
  if (noPurpose) delete h['X-Purpose'];
  let r;
  try {
    r = await fetch(path, {
      method, headers: h, credentials: 'omit', cache: 'no-store',
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError(0, { title: 'network', detail: e.message });
  }
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (r.status === 401) onUnauthorized();
  if (!r.ok) throw new ApiError(r.status, data);
  return data;
}

export const cprPath = (cpr) => `/v1/citizens/${encodeURIComponent(cpr)}`;

// The streamed press: onLine(line) for each NDJSON line ({event, settled, overview}) as it
// comes; resolves with the last line. abort: an AbortSignal.
export async function streamOverview(cpr, refresh, onLine, signal) {
  const q = refresh && refresh !== 'auto' ? `?refresh=${refresh}` : '';
  const r = await fetch(`${cprPath(cpr)}/overview/stream${q}`, {
    headers: headers({ Accept: 'application/x-ndjson' }), credentials: 'omit',
    cache: 'no-store', signal,
  });
  if (r.status === 401) onUnauthorized();
  if (!r.ok) {
    const data = await r.json().catch(() => null);
    throw new ApiError(r.status, data);
  }
  const reader = r.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  let last = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (value) buf += dec.decode(value, { stream: true });
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const obj = JSON.parse(line);
      if (obj.event === 'error') throw new ApiError(503, obj.problem);
      last = obj;
      onLine(obj);
    }
    if (done) break;
  }
  return last;
}
