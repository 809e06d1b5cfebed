// Small helpers: elements, formatting, the JSON API.

// h('p', {class: 'x', onclick: f}, 'text', child): an element.
export function h(tag, attrs = {}, ...children) {
  const svg = ['svg', 'g', 'rect', 'circle', 'line', 'text', 'title', 'path'].includes(tag);
  const el = svg ? document.createElementNS('http://www.w3.org/2000/svg', tag) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'text') el.textContent = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  let s = Math.max(0, Math.round(Number(seconds)));
  const d = Math.floor(s / 86400); s -= d * 86400;
  const hh = Math.floor(s / 3600); s -= hh * 3600;
  const m = Math.floor(s / 60); s -= m * 60;
  if (d) return `${d}d ${hh}h`;
  if (hh) return `${hh}h ${String(m).padStart(2, '0')}m`;
  if (m) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

const dateFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
export function when(ts) { return ts ? dateFmt.format(new Date(ts)) : '–'; }
const exactFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
// With the seconds: a session's last activity moves by seconds.
export function whenExact(ts) { return ts ? exactFmt.format(new Date(ts)) : '–'; }
export function num(v) { return v === null || v === undefined ? '–' : Number(v).toLocaleString(); }
export function stars(r) { return r ? '★'.repeat(r) + '☆'.repeat(5 - r) : '–'; }

// Seconds between two timestamps, or until now.
export function span(start, end) {
  return ((end ? new Date(end) : new Date()) - new Date(start)) / 1000;
}

// A refusal of the API: HTTP status, the server's message and SQLSTATE. The
// text shown says both, e.g. "permission denied for function update_session (42501)".
export class ApiError extends Error {
  constructor(status, message, code) {
    super(code ? `${message} (${code})` : message);
    this.status = status;
    this.code = code;
  }
}

const listeners = new Set();
export function onAvailability(f) { listeners.add(f); }
function announce(up) { for (const f of listeners) f(up); }

export async function api(path, body) {
  const init = body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  };
  let res;
  try {
    res = await fetch('/api/' + path, init);
  } catch {
    announce(false);
    throw new ApiError(0, 'The server cannot be reached.', '');
  }
  const data = await res.json().catch(() => null);
  if (res.status === 503) announce(false);
  else announce(true);
  if (!res.ok) throw new ApiError(res.status, (data && data.error) || res.statusText, data && data.code);
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== null && v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? '?' + s : '';
}

// Saves text as a file the browser downloads.
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
