// DOM helpers. Every string becomes a text node or an attribute value through the DOM API,
// never HTML: user data (run names, params, tags, model cards) cannot inject markup.

/**
 * h('a', {href: '#/x', class: 'c', onclick: fn}, 'text', child, [more]) builds an element.
 * Attributes named on* take functions; null/undefined/false attributes are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'href') el.setAttribute('href', safeHref(String(v)));
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

/** Appends children to el, skipping null/undefined/false (Element.append would print them). */
export function add(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/**
 * Only relative links, fragments and http(s)/mailto URLs; anything else (javascript:, data:, a
 * host of its own: //evil.example) becomes inert. The link is first read as the browser's URL
 * parser (WHATWG URL) will read it, so that what is judged is what gets followed: leading and
 * trailing C0 controls and spaces dropped ("\x01javascript:" is javascript:), tabs and newlines
 * dropped anywhere ("java\tscript:"), and before any ? or #, \ read as / ("\\evil.example" and
 * "/\evil.example" are //evil.example). The cleaned-up link is the one returned. This is the one
 * check of the UI's links: h() applies it to every href, the Markdown renderer's included.
 */
export function safeHref(href) {
  const s = String(href)
    .replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, '')
    .replace(/[\t\n\r]/g, '');
  const cut = s.search(/[?#]/);
  const head = (cut < 0 ? s : s.slice(0, cut)).replaceAll('\\', '/');
  const url = head + (cut < 0 ? '' : s.slice(cut));
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(head);
  if (scheme) return /^(https?|mailto)$/i.test(scheme[1]) ? url : '#';
  return head.startsWith('//') ? '#' : url;
}

/** Replaces the children of el. */
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** A two-column table of [label, value] rows; values may be nodes. */
export function kvTable(rows, cls = 'kv') {
  return h(
    'table',
    { class: cls },
    h(
      'tbody',
      null,
      rows.map(([k, v]) => h('tr', null, h('th', null, k), h('td', null, v))),
    ),
  );
}

/** A table with a header row; cells may be nodes. */
export function table(head, rows, attrs = {}) {
  return h(
    'table',
    { class: 'grid', ...attrs },
    h(
      'thead',
      null,
      h(
        'tr',
        null,
        head.map((c) => (c instanceof Node ? c : h('th', null, c))),
      ),
    ),
    h(
      'tbody',
      null,
      rows.map((r) =>
        r instanceof Node
          ? r
          : h(
              'tr',
              null,
              r.map((c) => h('td', null, c)),
            ),
      ),
    ),
  );
}

export const section = (title, ...body) => h('section', { class: 'card' }, h('h2', null, title), ...body);
export const muted = (text) => h('span', { class: 'muted' }, text);
export const errorLine = (text) => h('p', { class: 'error', role: 'alert' }, text);

/** "2025-01-02 03:04:05" in local time, or "" for none. */
export function fmtTime(ms) {
  if (ms === null || ms === undefined || ms === '') return '';
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return '';
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** "1.2 s", "3 min 4 s", "2 h 5 min". */
export function fmtDuration(ms) {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '';
  if (ms < 1000) return `${ms} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s - m * 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** Metric values: numbers with up to 6 significant digits; "NaN"/"Infinity" strings as they are. */
export function fmtNum(v) {
  if (typeof v === 'string') return v;
  if (typeof v !== 'number') return '';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) && Math.abs(v) < 1e15) return String(v);
  return String(Number(v.toPrecision(6)));
}

export function fmtBytes(n) {
  if (typeof n !== 'number') return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** MLflow's [{key, value}] lists as a plain object. */
export const kv = (list) => Object.fromEntries((list ?? []).map((t) => [t.key, t.value]));

/** Backticks a key for the filter/order_by grammar when it is not a plain identifier. */
export const quoteKey = (key) => (/^[A-Za-z_][A-Za-z0-9_.]*$/.test(key) ? key : `\`${key}\``);

export const runLink = (id, text) => h('a', { href: `#/runs/${encodeURIComponent(id)}` }, text ?? id);
