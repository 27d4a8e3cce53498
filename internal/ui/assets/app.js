'use strict';
// vendorsim dashboard. Everything it shows and does goes through the control
// API (/_sandbox/...), with the workspace picked in the header sent as
// X-Sandbox-Workspace and the control token, when one is set, as
// X-Sandbox-Token. /_sandbox/ui/events says when the store changed; the
// page then fetches what it shows again.

const API = '/_sandbox';
const PAGE_SIZE = 50;

const state = {
  ws: sessionStorage.getItem('vs.ws') || '',
  token: sessionStorage.getItem('vs.token') || '',
  page: '',
  workspaces: [],
};

// ---- small helpers ----

const $ = (id) => document.getElementById(id);

// el builds an element; children are nodes or strings (text, never HTML).
function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

function clear(node, ...children) {
  // A live update re-renders lists: the focus stays on the same row.
  const a = document.activeElement;
  const row = a && a !== document.body && node.contains(a) ? a.closest('tr[data-id], tr[data-ws]') : null;
  const key = row && (row.dataset.id ? 'tr[data-id="' + row.dataset.id + '"]' : 'tr[data-ws="' + CSS.escape(row.dataset.ws) + '"]');
  const label = a && a.getAttribute && a.getAttribute('aria-label');
  node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  if (key && !node.contains(a)) {
    const again = node.querySelector(key);
    const target = again && ((label && [...again.querySelectorAll('[aria-label]')].find((e) => e.getAttribute('aria-label') === label)) || again.querySelector('.row-open'));
    if (target) target.focus({ preventScroll: true });
  }
}

// APIError is a failed control call: status, the error's code and message.
class APIError extends Error {
  constructor(status, body) {
    const err = body && body.error;
    super((err && err.message) || (typeof body === 'string' && body) || 'HTTP ' + status);
    this.status = status;
    this.code = err && err.code;
    this.field = err && err.field;
  }
  // missing reports an endpoint the server does not have (yet): the
  // pipeline's route miss, not a 404 about a resource.
  get missing() {
    return (this.status === 404 && this.message === 'Not found') || this.status === 405;
  }
}

// api calls the control API. opts.ws overrides the picked workspace ('' for
// none); opts.raw returns the Response.
async function api(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const ws = opts.ws !== undefined ? opts.ws : state.ws;
  if (ws) headers['X-Sandbox-Workspace'] = ws;
  if (state.token) headers['X-Sandbox-Token'] = state.token;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
  }
  const resp = await fetch(API + path, init);
  if (opts.raw) return resp;
  const text = await resp.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!resp.ok) {
    const e = new APIError(resp.status, data);
    if (resp.status === 401) needToken(e.message);
    throw e;
  }
  return data;
}

function qs(params) {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) u.set(k, v);
  const s = u.toString();
  return s ? '?' + s : '';
}

function toast(msg, isError) {
  const d = el('div', { class: isError ? 'err' : '' }, msg);
  $('toast').append(d);
  setTimeout(() => d.remove(), isError ? 6000 : 3000);
}

function fail(e) {
  console.error(e);
  toast(e.message || String(e), true);
}

function pad(n, w = 2) { return String(n).padStart(w, '0'); }

// fmtTime writes a timestamp as local time with milliseconds; the date is
// added when it is not today.
function fmtTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (isNaN(d)) return iso;
  const t = pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return t;
  return d.getFullYear() + '-' + pad(d.getMonth() + 1) + '-' + pad(d.getDate()) + ' ' + t;
}

function timeEl(iso, label) {
  return el('time', { datetime: iso || undefined, title: (label ? label + ' ' : '') + (iso || ''), class: 'time' }, fmtTime(iso));
}

function fmtDuration(seconds) {
  let s = Math.round(Math.abs(seconds));
  if (s === 0) return '0s';
  const parts = [];
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]]) {
    if (s >= n) { parts.push(Math.floor(s / n) + u); s %= n; }
  }
  return (seconds < 0 ? '-' : '') + parts.join(' ');
}

// redact shows a credential by its ends only, as the journal does.
function redact(v) {
  if (!v) return '';
  if (v.length <= 10) return v.slice(0, 2) + '…';
  return v.slice(0, 4) + '…' + v.slice(-4);
}

function pretty(text) {
  if (text === undefined || text === null || text === '') return '';
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch { return text; }
}

function parseJSON(text) {
  try { return JSON.parse(text); } catch { return undefined; }
}

function statusClass(n) {
  if (!n) return 'b-bad';
  if (n < 300) return 'b-ok';
  if (n < 400) return 'b-info';
  if (n < 500) return 'b-warn';
  return 'b-bad';
}

function badge(text, cls) { return el('span', { class: 'badge ' + (cls || '') }, text); }

const STATE_CLASS = { delivered: 'b-ok', pending: 'b-info', sending: 'b-info', dead: 'b-bad', cancelled: '', running: 'b-info', done: 'b-ok', failed: 'b-bad' };

function kv(pairs) {
  const dl = el('dl', { class: 'kv' });
  for (const [k, v] of pairs) {
    if (v === undefined || v === null || v === '') continue;
    dl.append(el('dt', {}, k), el('dd', {}, v));
  }
  return dl;
}

function codeBlock(text, label) {
  return el('pre', { class: 'code', tabindex: '0', 'aria-label': label }, text || '(empty)');
}

function headersText(h) {
  if (!h) return '';
  return Object.keys(h).sort().map((k) => h[k].map((v) => k + ': ' + v).join('\n')).join('\n');
}

function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el('a', { href: url, download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    const t = el('textarea', { 'aria-hidden': 'true', class: 'sr-only' });
    t.value = text;
    document.body.append(t);
    t.select();
    let ok = false;
    try { ok = document.execCommand('copy'); } catch { ok = false; }
    t.remove();
    return ok;
  }
}

function formValues(form) {
  const out = {};
  for (const f of form.elements) {
    if (!f.name) continue;
    out[f.name] = f.value.trim();
  }
  return out;
}

function localToISO(v) {
  if (!v) return '';
  const d = new Date(v);
  return isNaN(d) ? '' : d.toISOString();
}

function unavailable(node, what) {
  clear(node, el('p', { class: 'unavailable' }, what + ' is not available on this server yet.'));
}

function needWorkspace(pageEl) {
  const hint = pageEl.querySelector('.need-ws');
  if (hint) hint.hidden = !!state.ws;
  return !!state.ws;
}

// ---- pager: rows of a list page, with j/k selection ----

function rowButton(label, onclick) {
  return el('button', { type: 'button', class: 'link row-open', 'aria-label': label, onclick }, label.replace(/^Open /, ''));
}

function focusRow(tbody, delta) {
  const buttons = [...tbody.querySelectorAll('.row-open')];
  if (!buttons.length) return;
  const i = buttons.indexOf(document.activeElement);
  const next = i < 0 ? (delta > 0 ? 0 : buttons.length - 1) : Math.min(buttons.length - 1, Math.max(0, i + delta));
  buttons[next].focus();
  buttons[next].closest('tr').scrollIntoView({ block: 'nearest' });
}

// ---- Workspaces ----

const workspacesPage = {
  el: 'page-workspaces',
  async load() {
    const res = await api('GET', '/workspaces', undefined, { ws: '' });
    state.workspaces = res.data;
    fillWorkspaceSelect();
    const tbody = $('ws-rows');
    const rows = res.data.map((w) => {
      const vendors = [...new Set(w.credentials.map((c) => c.vendor))];
      const reqCell = el('td', { class: 'num' }, '…');
      const dlCell = el('td', { class: 'num' }, '…');
      const tr = el('tr', { class: w.id === state.ws ? 'selected' : '', dataset: { ws: w.id } },
        el('td', {}, rowButton('Open workspace ' + w.id, () => pickWorkspace(w.id, 'requests')), w.name ? el('div', { class: 'hint' }, w.name) : null),
        el('td', {}, badge(w.source)),
        el('td', {}, vendors.join(', ') || '–'),
        el('td', { class: 'mono wrap' }, w.credentials.map((c) => el('div', {}, c.vendor + ' ' + redact(c.credential)))),
        el('td', {}, timeEl(w.now, 'virtual'), w.clock_offset_seconds ? el('div', { class: 'hint' }, '+' + fmtDuration(w.clock_offset_seconds)) : null),
        reqCell, dlCell,
        el('td', {}, el('button', { type: 'button', 'aria-label': 'Pick workspace ' + w.id, onclick: () => pickWorkspace(w.id) }, 'Pick'), ' ',
          el('button', { type: 'button', class: 'danger', 'aria-label': 'Reset workspace ' + w.id, onclick: () => resetWorkspace(w.id) }, 'Reset')));
      return { tr, w, reqCell, dlCell };
    });
    if (!rows.length) clear(tbody, el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'No workspaces yet.')));
    else clear(tbody, rows.map((r) => r.tr));
    $('ws-info').textContent = res.total + ' workspace' + (res.total === 1 ? '' : 's') + (res.total > 100 ? ' (counts for the first 100)' : '');
    // Counts, a few at a time, for the first 100.
    const todo = rows.slice(0, 100);
    const worker = async () => {
      for (let r = todo.shift(); r; r = todo.shift()) {
        try {
          const [c, d] = await Promise.all([
            api('GET', '/requests/count', undefined, { ws: r.w.id }),
            api('GET', '/deliveries?limit=1', undefined, { ws: r.w.id }),
          ]);
          r.reqCell.textContent = c.count;
          r.dlCell.textContent = d.total;
        } catch { r.reqCell.textContent = r.dlCell.textContent = '?'; }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  },
  rows: () => $('ws-rows'),
};

async function resetWorkspace(id) {
  if (!confirm('Reset workspace ' + id + '? Its state is emptied and its seed replayed.')) return;
  try {
    await api('POST', '/workspaces/' + encodeURIComponent(id) + '/reset', undefined, { ws: '' });
    toast('Workspace ' + id + ' reset');
    refresh();
  } catch (e) { fail(e); }
}

function fillWorkspaceSelect() {
  const sel = $('ws-select');
  const ids = state.workspaces.map((w) => w.id);
  if (state.ws && !ids.includes(state.ws)) ids.push(state.ws);
  clear(sel, el('option', { value: '' }, 'All workspaces'), ids.map((id) => el('option', { value: id }, id)));
  sel.value = state.ws;
}

function pickWorkspace(id, page) {
  state.ws = id;
  sessionStorage.setItem('vs.ws', id);
  fillWorkspaceSelect();
  resetPages();
  if (page && page !== state.page) location.hash = '#/' + page;
  else refresh();
}

function resetPages() {
  requestsPage.offset = 0;
  requestsPage.selected = null;
  deliveriesPage.offset = 0;
  deliveriesPage.selected = null;
  $('req-detail').hidden = true;
  $('dl-detail').hidden = true;
}

// ---- Requests ----

function requestFlag(e) {
  let msg = '';
  const body = parseJSON(e.response_body);
  if (body && typeof body === 'object') {
    msg = (body.error && (body.error.message || body.error)) || (body.errors && body.errors[0] && (body.errors[0].message || body.errors[0].description || JSON.stringify(body.errors[0]))) || body.response || body.message || '';
    if (typeof msg !== 'string') msg = JSON.stringify(msg);
  }
  if (!e.operation_id && (e.status === 404 || e.status === 405)) {
    return { kind: 'unrouted', label: 'no route', why: 'Matched no operation of the ' + (e.vendor || 'vendor') + ' API' + (msg ? ': ' + msg : '') };
  }
  if (e.status === 401 || e.status === 403) {
    return { kind: 'unauth', label: 'auth failed', why: 'Authentication failed' + (msg ? ': ' + msg : '') };
  }
  return null;
}

const requestsPage = {
  el: 'page-requests',
  offset: 0,
  entries: [],
  total: 0,
  selected: null,
  filters() {
    const f = formValues($('req-filter'));
    f.since = localToISO(f.since);
    return f;
  },
  async load() {
    const res = await api('GET', '/requests' + qs({ ...this.filters(), limit: PAGE_SIZE, offset: this.offset }));
    this.entries = res.data;
    this.total = res.total;
    const tbody = $('req-rows');
    if (!res.data.length) {
      clear(tbody, el('tr', {}, el('td', { colspan: '6', class: 'empty' }, this.total ? 'No entries on this page.' : 'No requests match. Requests to the vendor APIs appear here as they are made.')));
    } else {
      clear(tbody, res.data.map((e) => {
        const flag = requestFlag(e);
        const target = e.path + (e.query ? '?' + e.query : '');
        return el('tr', { class: [flag ? 'flag-' + flag.kind : '', this.selected && this.selected.id === e.id ? 'selected' : ''].join(' ').trim() || undefined, dataset: { id: e.id } },
          el('td', {}, rowButton('Open request ' + e.id, () => this.open(e)), ' ', timeEl(e.at)),
          el('td', {}, e.vendor || '–'),
          el('td', { class: 'path', title: target }, el('strong', {}, e.method), ' ', target, flag ? el('span', { class: 'why' + (flag.kind === 'unauth' ? ' bad' : '') }, flag.why) : null),
          el('td', { class: 'num' }, badge(e.status, statusClass(e.status))),
          el('td', {}, e.operation_id || (flag ? badge(flag.label, flag.kind === 'unauth' ? 'b-bad' : 'b-warn') : '–')),
          el('td', { class: 'num' }, e.duration_ms.toFixed(1)));
      }));
    }
    const from = res.data.length ? this.offset + 1 : 0;
    $('req-info').textContent = from + '–' + (this.offset + res.data.length) + ' of ' + this.total;
    $('req-prev').disabled = this.offset === 0;
    $('req-next').disabled = this.offset + res.data.length >= this.total;
    if (this.selected) {
      const again = res.data.find((e) => e.id === this.selected.id);
      if (again) this.render(again);
    }
  },
  rows: () => $('req-rows'),
  open(e) {
    this.selected = e;
    for (const tr of $('req-rows').children) tr.classList.toggle('selected', tr.dataset.id === String(e.id));
    this.render(e);
    $('req-detail').hidden = false;
    $('req-curl').focus();
  },
  render(e) {
    this.selected = e;
    const key = JSON.stringify(e);
    if (key === this.shown && !$('req-detail').hidden) return;
    this.shown = key;
    const flag = requestFlag(e);
    $('req-detail-title').textContent = e.method + ' ' + e.path + ' → ' + e.status;
    clear($('req-detail-body'),
      flag ? el('p', { class: 'callout' + (flag.kind === 'unauth' ? ' bad' : '') }, flag.why) : null,
      kv([
        ['Time', timeEl(e.at)], ['Workspace', e.workspace_id], ['Vendor', e.vendor], ['Operation', e.operation_id || '(none)'],
        ['Query', e.query], ['Duration', e.duration_ms.toFixed(2) + ' ms'], ['Request id', el('span', { class: 'mono' }, e.request_id)], ['Journal id', String(e.id)],
      ]),
      el('h3', {}, 'Request headers'), codeBlock(headersText(e.request_headers), 'Request headers'),
      el('h3', {}, 'Request body'), codeBlock(pretty(e.request_body), 'Request body'),
      el('h3', {}, 'Answer headers'), codeBlock(e.response_headers ? headersText(e.response_headers) : '(not journaled for this entry)', 'Answer headers'),
      el('h3', {}, 'Response body'), codeBlock(pretty(e.response_body), 'Response body'),
      el('h3', {}, 'As curl'), codeBlock(curlOf(e), 'As curl'));
  },
  close() {
    this.shown = null;
    $('req-detail').hidden = true;
    const id = this.selected && this.selected.id;
    this.selected = null;
    for (const tr of $('req-rows').children) tr.classList.remove('selected');
    const b = id && $('req-rows').querySelector('tr[data-id="' + id + '"] .row-open');
    if (b) b.focus();
  },
};

function shq(s) { return "'" + String(s).replace(/'/g, "'\\''") + "'"; }

// curlOf writes a journal entry as a curl command against this server.
// Credentials were redacted when journaled: the command says so.
function curlOf(e) {
  const url = location.origin + e.path + (e.query ? '?' + e.query : '');
  const lines = ['curl -X ' + e.method + ' ' + shq(url)];
  let redacted = false;
  const skip = new Set(['content-length', 'accept-encoding', 'connection', 'user-agent']);
  for (const k of Object.keys(e.request_headers || {}).sort()) {
    if (skip.has(k.toLowerCase())) continue;
    for (const v of e.request_headers[k]) {
      if (v.includes('…')) redacted = true;
      lines.push('  -H ' + shq(k + ': ' + v));
    }
  }
  if (e.request_body) lines.push('  --data-raw ' + shq(e.request_body));
  let out = lines.join(' \\\n');
  if (redacted) out = '# credentials are shown redacted (as journaled): put yours back\n' + out;
  return out;
}

// harOf builds a HAR 1.2 log of journal entries, for servers without
// GET /requests?format=har.
function harOf(entries) {
  return {
    log: {
      version: '1.2',
      creator: { name: 'vendorsim dashboard', version: '1' },
      entries: entries.map((e) => {
        const headers = [];
        for (const [k, vs] of Object.entries(e.request_headers || {})) for (const v of vs) headers.push({ name: k, value: v });
        const ct = (e.request_headers && (e.request_headers['Content-Type'] || [])[0]) || 'application/json';
        const req = {
          method: e.method, url: location.origin + e.path + (e.query ? '?' + e.query : ''), httpVersion: 'HTTP/1.1',
          cookies: [], headers, queryString: [...new URLSearchParams(e.query || '')].map(([name, value]) => ({ name, value })),
          headersSize: -1, bodySize: e.request_body ? e.request_body.length : 0,
        };
        if (e.request_body) req.postData = { mimeType: ct, text: e.request_body };
        return {
          startedDateTime: e.at, time: e.duration_ms, request: req,
          response: {
            status: e.status, statusText: '', httpVersion: 'HTTP/1.1', cookies: [],
            headers: Object.entries(e.response_headers || {}).flatMap(([name, vs]) => vs.map((value) => ({ name, value }))),
            content: { size: e.response_body.length, mimeType: 'application/json', text: e.response_body },
            redirectURL: '', headersSize: -1, bodySize: e.response_body.length,
          },
          cache: {}, timings: { send: 0, wait: e.duration_ms, receive: 0 },
        };
      }),
    },
  };
}

async function downloadHAR() {
  const p = requestsPage;
  const name = 'vendorsim-' + (state.ws || 'all') + '.har';
  try {
    const resp = await api('GET', '/requests' + qs({ ...p.filters(), limit: PAGE_SIZE, offset: p.offset, format: 'har' }), undefined, { raw: true });
    if (resp.ok) {
      const text = await resp.text();
      const data = parseJSON(text);
      if (data && data.log) {
        download(name, text, 'application/json');
        toast('HAR of ' + data.log.entries.length + ' requests downloaded');
        return;
      }
    } else if (resp.status === 401) {
      needToken('the control API needs its token');
      return;
    }
  } catch (e) {
    console.warn('server HAR failed', e);
  }
  download(name, JSON.stringify(harOf(p.entries), null, 2), 'application/json');
  toast('HAR of the ' + p.entries.length + ' requests shown downloaded (built in the browser: this server has no HAR export)');
}

// ---- Deliveries ----

const deliveriesPage = {
  el: 'page-deliveries',
  offset: 0,
  total: 0,
  selected: null,
  async load() {
    const res = await api('GET', '/deliveries' + qs({ ...formValues($('dl-filter')), limit: PAGE_SIZE, offset: this.offset }));
    this.total = res.total;
    const tbody = $('dl-rows');
    if (!res.data.length) {
      clear(tbody, el('tr', {}, el('td', { colspan: '8', class: 'empty' }, 'No deliveries match. Webhooks appear here when an event is sent to a registered URL.')));
    } else {
      clear(tbody, res.data.map((d) => el('tr', { class: this.selected === d.id ? 'selected' : undefined, dataset: { id: d.id } },
        el('td', {}, rowButton('Open delivery ' + d.id, () => this.open(d.id)), d.replay_of ? el('div', { class: 'hint' }, 'replay of #' + d.replay_of) : null),
        el('td', {}, timeEl(d.created_at)),
        el('td', {}, el('div', {}, d.event_type), el('div', { class: 'hint' }, d.vendor)),
        el('td', { class: 'path col-endpoint', title: d.url }, d.url),
        el('td', {}, badge(d.state, STATE_CLASS[d.state])),
        el('td', { class: 'num' }, d.attempts),
        el('td', { class: 'num' }, d.attempts ? badge(d.last_status || 'error', statusClass(d.last_status)) : '–'),
        el('td', {}, d.state === 'pending' || d.state === 'sending' ? timeEl(d.due_at, 'virtual') : '–'))));
    }
    const from = res.data.length ? this.offset + 1 : 0;
    $('dl-info').textContent = from + '–' + (this.offset + res.data.length) + ' of ' + this.total;
    $('dl-prev').disabled = this.offset === 0;
    $('dl-next').disabled = this.offset + res.data.length >= this.total;
    if (this.selected) await this.render(this.selected);
  },
  rows: () => $('dl-rows'),
  async open(id) {
    this.selected = id;
    for (const tr of $('dl-rows').children) tr.classList.toggle('selected', tr.dataset.id === String(id));
    $('dl-detail').hidden = false;
    await this.render(id);
    $('dl-replay').focus();
  },
  async render(id) {
    let d;
    try {
      d = await api('GET', '/deliveries/' + id, undefined, { ws: '' });
    } catch (e) {
      if (e.status === 404) { this.close(); return; }
      throw e;
    }
    const key = JSON.stringify(d);
    if (key === this.shown && !$('dl-detail').hidden) {
      // The delivery is as shown; the other events of its message may not be.
      lifeOf(d).then((items) => { const t = $('dl-timeline'); if (t) clear(t, items); }).catch(() => {});
      return;
    }
    const sameDelivery = this.current && this.current.id === d.id;
    this.shown = key;
    this.current = d;
    $('dl-detail-title').textContent = 'Delivery #' + d.id + ': ' + d.event_type;
    const attempts = d.attempt_log.length
      ? d.attempt_log.map((a, i) => el('details', { class: 'attempt', open: i === d.attempt_log.length - 1 ? true : undefined, dataset: { n: a.n } },
        el('summary', {}, 'Attempt ' + a.n + ' ', badge(a.status || 'no answer', statusClass(a.status)), ' ', a.latency_ms.toFixed(1) + ' ms · ', timeEl(a.at, 'real'), ' (virtual ', timeEl(a.virtual_at, 'virtual'), ')'),
        a.error ? el('p', { class: 'callout bad' }, a.error) : null,
        el('h3', {}, 'Request headers'), codeBlock(headersText(a.request_headers), 'Attempt ' + a.n + ' request headers'),
        a.response_headers && Object.keys(a.response_headers).length ? [el('h3', {}, 'Answer headers'), codeBlock(headersText(a.response_headers), 'Attempt ' + a.n + ' answer headers')] : null,
        el('h3', {}, 'Answer'), codeBlock(pretty(a.response_body), 'Attempt ' + a.n + ' answer')))
      : [el('p', { class: 'hint' }, 'No attempt yet.')];
    // Until the new timeline is built, the previous one of the same
    // delivery stays (no flicker on live updates).
    const prev = sameDelivery && $('dl-timeline') ? [...$('dl-timeline').childNodes] : [el('li', {}, 'Loading…')];
    const timeline = el('ol', { class: 'timeline', id: 'dl-timeline', 'aria-label': "The message's life" }, prev);
    clear($('dl-detail-body'),
      kv([
        ['State', badge(d.state, STATE_CLASS[d.state])], ['Vendor', d.vendor], ['Workspace', d.workspace_id], ['Endpoint', d.method + ' ' + d.url],
        ['Webhook', d.webhook_id], ['Attempts', String(d.attempts)], [d.state === 'pending' ? 'Next retry' : 'Due', timeEl(d.due_at, 'virtual')],
        ['Last status', d.last_status ? String(d.last_status) : ''], ['Last error', d.last_error], ['Replay of', d.replay_of ? '#' + d.replay_of : ''],
        ['Event id', el('span', { class: 'mono' }, d.event_id)], ['Created', timeEl(d.created_at, 'virtual')],
      ]),
      el('h3', {}, "The message's life"), timeline,
      el('h3', {}, 'Attempts (' + d.attempt_log.length + ')'), attempts,
      el('h3', {}, 'Body'), codeBlock(pretty(d.body), 'Delivery body'));
    lifeOf(d).then((items) => clear(timeline, items)).catch((e) => clear(timeline, el('li', {}, 'Could not build the timeline: ' + e.message)));
  },
  close() {
    this.shown = null;
    $('dl-detail').hidden = true;
    const id = this.selected;
    this.selected = null;
    for (const tr of $('dl-rows').children) tr.classList.remove('selected');
    const b = id && $('dl-rows').querySelector('tr[data-id="' + id + '"] .row-open');
    if (b) b.focus();
  },
  async replay() {
    if (!this.current) return;
    try {
      const d = await api('POST', '/deliveries/' + this.current.id + '/replay', undefined, { ws: this.current.workspace_id });
      toast('Replayed as delivery #' + d.id);
      this.offset = 0;
      this.selected = d.id;
      await this.load();
      await this.open(d.id);
    } catch (e) { fail(e); }
  },
};

// subjectOf finds what an event is about (a message, a meeting): the id
// its timeline follows.
function subjectOf(body) {
  const o = parseJSON(body);
  if (!o || typeof o !== 'object') return '';
  const d = o.data && typeof o.data === 'object' ? o.data : o;
  const cand = [d.id, d.message_id, d.messageId, d.message && d.message.id, d.inbound_message && d.inbound_message.id, d.meetingId, d.roomName];
  for (const c of cand) if (c !== undefined && c !== null && c !== '') return String(c);
  return '';
}

function statusOf(body) {
  const o = parseJSON(body);
  const d = o && (o.data && typeof o.data === 'object' ? o.data : o);
  if (!d) return '';
  return d.delivery_status || d.status || (d.statusCode !== undefined ? 'status ' + d.statusCode : '') || '';
}

// sendsFound keeps the request that sent each subject, once found.
const sendsFound = new Map();

// lifeOf draws a message's life: the request that sent it, each event
// about it, each attempt of each with its outcome.
async function lifeOf(d) {
  const subject = subjectOf(d.body);
  const opts = { ws: d.workspace_id };
  let deliveries = [d];
  let sends = [];
  if (subject) {
    // The server finds them, however old: the deliveries whose event names
    // the subject, and the request that sent it. An event emitted by a
    // vendor request names it (request_id): the send is the request of the
    // oldest such event, looked up by its id (the journal's metadata only).
    // Only when no event names one (scenario and simulator events) is the
    // journal searched for the first answer that named the subject, which
    // reads every entry. A send found is kept (it does not change), so live
    // updates only read the deliveries again.
    const key = d.workspace_id + ' ' + d.vendor + ' ' + subject;
    const known = sendsFound.get(key);
    // A client may send one X-Request-Id with several calls: of the
    // requests with the id, the one whose answer names the subject.
    const byRequest = async (id) => {
      const rq = await api('GET', '/requests' + qs({ request_id: id, limit: 10 }), undefined, opts);
      const hit = rq.data.find((e) => (e.response_body || '').includes(subject)) || rq.data[rq.data.length - 1];
      return hit ? [hit] : [];
    };
    const findSend = async () => {
      const match = [{ on: 'vendor', value: d.vendor }, { on: 'method', value: 'POST' }, { on: 'response', op: 'contains', value: subject }];
      const rq = await api('POST', '/requests/search', { match, limit: 1 }, opts);
      // Newest first: the send is the last of them.
      const first = rq.total > 1 ? await api('POST', '/requests/search', { match, limit: 1, offset: rq.total - 1 }, opts) : rq;
      return first.data;
    };
    // This delivery's request, asked for beside the deliveries: it is the
    // send unless an older event names another request.
    const early = !known && d.request_id ? byRequest(d.request_id) : null;
    if (early) early.catch(() => {});
    const dl = await api('GET', '/deliveries' + qs({ vendor: d.vendor, subject, limit: 1000 }), undefined, opts);
    deliveries = dl.data;
    if (!deliveries.some((x) => x.id === d.id)) deliveries.push(d);
    deliveries.sort((a, b) => a.id - b.id);
    if (known) {
      sends = known;
    } else {
      const linked = deliveries.find((x) => x.request_id);
      if (linked) sends = await (early && linked.request_id === d.request_id ? early : byRequest(linked.request_id));
      else sends = await findSend();
      if (sends.length) sendsFound.set(key, sends);
    }
  }
  deliveries.sort((a, b) => a.id - b.id);
  const items = [];
  for (const e of sends) {
    items.push(el('li', { class: 't-send' }, timeEl(e.at, 'real'), el('strong', {}, 'sent '), e.method + ' ' + e.path + ' → ' + e.status));
  }
  for (const x of deliveries) {
    const st = statusOf(x.body);
    items.push(el('li', { class: 't-status' }, timeEl(x.created_at, 'virtual'),
      el('strong', {}, x.event_type), st ? ' → ' + st : '', x.replay_of ? ' (replay of #' + x.replay_of + ')' : '', ' ',
      x.id === d.id ? badge('this delivery', 'b-info') : el('button', { type: 'button', class: 'link', 'aria-label': 'Open delivery ' + x.id + ' from the timeline', onclick: () => deliveriesPage.open(x.id) }, '#' + x.id)));
    for (const a of x.attempt_log) {
      const ok = a.status >= 200 && a.status < 300;
      items.push(el('li', { class: ok ? 't-ok' : 't-bad' }, timeEl(a.virtual_at, 'virtual'),
        'attempt ' + a.n + ' of #' + x.id + ' ', badge(a.status || 'no answer', statusClass(a.status)), ' ' + a.latency_ms.toFixed(0) + ' ms', a.error ? ' · ' + a.error : ''));
    }
    if ((x.state === 'pending' || x.state === 'sending') && x.attempts > 0) {
      items.push(el('li', {}, timeEl(x.due_at, 'virtual'), 'retry of #' + x.id + ' due'));
    } else if (x.state === 'dead') {
      items.push(el('li', { class: 't-bad' }, '#' + x.id + ' gave up'));
    }
  }
  if (!subject) items.push(el('li', { class: 'hint' }, 'This event names no message or meeting to follow.'));
  return items;
}

// ---- Scenarios ----

const scenariosPage = {
  el: 'page-scenarios',
  library: [],
  async load() {
    const [lib, magic] = await Promise.all([
      this.library.length ? { data: this.library } : api('GET', '/scenarios'),
      this.magicLoaded ? null : api('GET', '/magic-numbers'),
    ]);
    if (!this.library.length) {
      this.library = lib.data;
      const sel = $('sc-name');
      const keep = sel.value;
      clear(sel, lib.data.map((s) => el('option', { value: s.name }, s.name)));
      if (keep) sel.value = keep;
      this.showParams();
      const uploaded = (s) => (s.source || '').startsWith('upload:');
      clear($('sc-library'), lib.data.map((s) => el('details', { class: 'card', dataset: { scenario: s.name } },
        el('summary', {}, el('h3', {}, s.name), ' ', badge(s.vendor), uploaded(s) ? [' ', badge('uploaded')] : null, el('span', { class: 'hint' }, s.description)),
        s.params && s.params.length ? el('p', {}, 'Params: ', s.params.map((p) => el('code', {}, p + ' '))) : null,
        el('ol', { class: 'steps' }, s.steps.map((st) => el('li', {}, 'after ' + st.after + ': ', el('code', {}, st.action), st.with ? ' ' + Object.entries(st.with).map(([k, v]) => k + '=' + v).join(' ') : ''))),
        el('p', { class: 'hint' }, 'From ' + (s.source || '?') + (s.uploaded_at ? ', uploaded ' + fmtTime(s.uploaded_at) : '')),
        uploaded(s) ? el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete uploaded scenario ' + s.name, onclick: () => this.remove(s.name) }, 'Delete upload') : null)),
      (lib.skipped || []).length ? el('div', { class: 'card', id: 'sc-skipped' },
        el('h3', {}, 'Uploads not loaded'),
        el('ul', { class: 'events' }, lib.skipped.map((k) => el('li', { dataset: { skipped: k.name } },
          el('strong', {}, k.name), ' (' + k.file + ', uploaded ' + fmtTime(k.uploaded_at) + '): ', el('span', { class: 'why bad' }, k.reason), ' ',
          el('button', { type: 'button', class: 'danger', 'aria-label': 'Delete the stored upload ' + k.name, onclick: () => this.remove(k.name) }, 'Delete upload'))))) : null);
    }
    if (magic) {
      this.magicLoaded = true;
      clear($('sc-magic'), magic.data.map((m) => el('tr', {}, el('td', { class: 'mono' }, m.example), el('td', {}, m.vendor), el('td', {}, m.trigger), el('td', {}, m.scenario), el('td', { class: 'wrap' }, m.description))));
    }
    await Promise.all([this.loadRuns(), this.loadEvents(), this.loadHints()]);
  },
  showParams() {
    const s = this.library.find((x) => x.name === $('sc-name').value);
    $('sc-desc').textContent = s ? s.description : '';
    clear($('sc-params'), (s && s.params || []).map((p) => el('div', { class: 'field' },
      el('label', { for: 'sc-param-' + p }, p),
      el('input', { id: 'sc-param-' + p, name: 'param-' + p, required: true, autocomplete: 'off', list: p === 'message_id' ? 'sc-messages' : undefined }))),
    el('datalist', { id: 'sc-messages' }, (this.messages || []).map((m) => el('option', { value: m.id }, m.label))));
  },
  async loadHints() {
    if (!state.ws) return;
    // Recent messages sent, to fill a message_id.
    const res = await api('GET', '/requests' + qs({ operation_id: 'sendSms', limit: 10 }));
    this.messages = res.data.map((e) => {
      const b = parseJSON(e.response_body);
      const id = b && b.data && b.data.id;
      const to = b && b.data && b.data.to;
      return id ? { id, label: 'to ' + (to || '?') + ' at ' + fmtTime(e.at) } : null;
    }).filter(Boolean);
    const dl = $('sc-messages');
    if (dl) clear(dl, this.messages.map((m) => el('option', { value: m.id }, m.label)));
  },
  async run(ev) {
    ev.preventDefault();
    if (!state.ws) { toast('Pick a workspace first: a run belongs to one', true); $('ws-select').focus(); return; }
    const name = $('sc-name').value;
    const s = this.library.find((x) => x.name === name);
    const params = {};
    for (const p of (s && s.params) || []) params[p] = $('sc-param-' + p).value.trim();
    const body = { params };
    const at = localToISO($('sc-start').value);
    if (at) body.start_at = at;
    try {
      await api('POST', '/scenarios/' + encodeURIComponent(name) + '/run', body);
      toast('Started ' + name);
      await this.loadRuns();
    } catch (e) { fail(e); }
  },
  // loadRuns lists the newest runs from the server (GET /scenarios/runs):
  // however they were started, from this page, a script or a vendor call.
  async loadRuns() {
    const res = await api('GET', '/scenarios/runs' + qs({ limit: 10 }));
    if (!res.data.length) { clear($('sc-runs'), el('p', { class: 'hint' }, 'No runs yet.')); return; }
    clear($('sc-runs'), res.data.map((run) => el('div', { class: 'card run', dataset: { run: run.id, state: run.state } },
      el('h3', {}, run.scenario, ' ', badge(run.state, STATE_CLASS[run.state])),
      el('p', { class: 'hint mono' }, run.id, state.ws ? '' : ' · ' + run.workspace_id, Object.keys(run.params).length ? ' · ' + Object.entries(run.params).map(([k, v]) => k + '=' + v).join(' ') : ''),
      el('ol', { class: 'steps' }, run.steps.map((st) => el('li', { dataset: { state: st.state } }, el('code', {}, st.action), ' ', badge(st.state, STATE_CLASS[st.state]), ' due ', timeEl(st.due_at, 'virtual'), st.error ? el('span', { class: 'why bad' }, st.error) : null))),
      run.state === 'running' ? el('button', { type: 'button', class: 'danger', 'aria-label': 'Cancel run ' + run.id, onclick: () => this.cancel(run) }, 'Cancel') : null)),
    res.total > res.data.length ? el('p', { class: 'hint' }, 'The newest ' + res.data.length + ' of ' + res.total + ' runs.') : null);
  },
  // remove deletes an uploaded scenario (DELETE /scenarios/{name}): its
  // runs that have not ended are cancelled with it.
  async remove(name) {
    if (!confirm('Delete the uploaded scenario ' + name + '? Its runs that have not ended are cancelled.')) return;
    try {
      await api('DELETE', '/scenarios/' + encodeURIComponent(name));
      toast('Deleted ' + name);
      this.library = [];
      refresh();
    } catch (e) { fail(e); }
  },
  async cancel(r) {
    try {
      await api('POST', '/scenarios/runs/' + encodeURIComponent(r.id) + '/cancel', undefined, { ws: r.workspace_id });
      toast('Run cancelled');
      await this.loadRuns();
    } catch (e) {
      if (e.missing) toast('Cancelling a run is not available on this server yet', true);
      else fail(e);
    }
  },
  async loadEvents() {
    const res = await api('GET', '/deliveries?limit=15');
    if (!res.data.length) { clear($('sc-events'), el('li', { class: 'hint' }, 'No deliveries yet.')); return; }
    clear($('sc-events'), res.data.map((d) => el('li', { dataset: { id: d.id, event: d.event_type } },
      timeEl(d.created_at, 'virtual'), ' ', el('strong', {}, d.event_type), statusOf(d.body) ? ' → ' + statusOf(d.body) : '', ' ', badge(d.state, STATE_CLASS[d.state]))));
  },
};

// ---- Faults and chaos ----

function ruleList(kind, path, rules) {
  if (!rules.length) return el('p', { class: 'hint' }, 'No ' + kind + ' rules in force.');
  return el('ul', { class: 'events' }, rules.map((r, i) => el('li', {},
    el('pre', { class: 'code', tabindex: '0', 'aria-label': kind + ' rule ' + (i + 1) }, JSON.stringify(r, null, 2)),
    r.id !== undefined ? el('button', { type: 'button', class: 'danger', 'aria-label': 'Remove ' + kind + ' rule ' + r.id, onclick: async () => {
      try { await api('DELETE', path + '/' + encodeURIComponent(r.id)); refresh(); } catch (e) { fail(e); }
    } }, 'Remove') : null)));
}

const faultsPage = {
  el: 'page-faults',
  async load() {
    await Promise.all([this.loadKind('fault', '/faults', 'fl-faults', 'fl-fault-form'), this.loadKind('chaos', '/chaos', 'fl-chaos', 'fl-chaos-form')]);
  },
  async loadKind(kind, path, listId, formId) {
    const form = $(formId);
    try {
      const res = await api('GET', path);
      form.hidden = false;
      clear($(listId), ruleList(kind, path, (res && res.data) || []));
    } catch (e) {
      if (!e.missing) throw e;
      form.hidden = true;
      unavailable($(listId), kind === 'fault' ? 'Fault injection (' + API + path + ')' : 'Webhook chaos (' + API + path + ')');
    }
  },
  async add(path, textareaId) {
    const text = $(textareaId).value;
    if (parseJSON(text) === undefined) { toast('The rule is not JSON', true); return; }
    try { await api('POST', path, text); toast('Rule added'); refresh(); } catch (e) { fail(e); }
  },
  async clearAll(path) {
    try { await api('DELETE', path); toast('Rules cleared'); refresh(); } catch (e) { fail(e); }
  },
};

// ---- Clock ----

const clockPage = {
  el: 'page-clock',
  async load() {
    const ok = needWorkspace($('page-clock'));
    for (const f of [$('ck-form'), $('ck-speed-form')]) for (const c of f.elements) c.disabled = !ok;
    if (!ok) { for (const id of ['ck-now', 'ck-real', 'ck-offset']) $(id).textContent = '–'; return; }
    const c = await api('GET', '/clock');
    this.show(c);
  },
  show(c) {
    this.clock = c;
    this.at = performance.now();
    $('ck-now').textContent = fmtTime(c.now);
    $('ck-now').title = c.now;
    $('ck-real').textContent = fmtTime(c.real_now);
    $('ck-offset').textContent = c.offset_seconds ? fmtDuration(c.offset_seconds) : 'in step with real time';
    const notes = [];
    if (c.frozen) notes.push('Frozen.');
    if (c.speed !== undefined && c.speed !== 1) notes.push('Speed ' + c.speed + '×.');
    $('ck-speed-note').textContent = notes.join(' ');
  },
  tick() {
    const c = this.clock;
    if (!c || c.frozen || state.page !== 'clock') return;
    const speed = c.speed !== undefined ? c.speed : 1;
    const now = new Date(new Date(c.now).getTime() + (performance.now() - this.at) * speed);
    $('ck-now').textContent = fmtTime(now.toISOString());
  },
  async advance(by) {
    if (!state.ws) { toast('Pick a workspace first', true); return; }
    try {
      const c = await api('POST', '/clock/advance', { by });
      this.show(c);
      const r = c.ran || {};
      $('ck-ran').textContent = 'advanced by ' + by + ': ' + (r.jobs || 0) + ' scenario steps, ' + (r.attempts || 0) + ' attempts (' + (r.delivered || 0) + ' delivered, ' + (r.failed || 0) + ' failed), ' + (r.pending || 0) + ' still pending';
      toast('Clock advanced by ' + by);
    } catch (e) { fail(e); }
  },
  // Freeze and speed are the QA engineer's endpoints; until they land
  // the page says so.
  async optional(method, path, body, what) {
    try {
      const c = await api(method, path, body);
      if (c && c.now) this.show(c); else await this.load();
      toast(what);
    } catch (e) {
      if (e.missing) $('ck-speed-note').textContent = 'Freezing the clock and setting its speed are not available on this server yet.';
      else fail(e);
    }
  },
};

// ---- Phone ----

const phonePage = {
  el: 'page-phone',
  async load() {
    const ok = needWorkspace($('page-phone'));
    for (const c of $('ph-form').elements) c.disabled = !ok;
    if (!ok) return;
    await this.loadConvo();
  },
  // loadConvo shows the texts between the contact and the workspace, all
  // from the journal: what the app sent the number (the vendor's send
  // calls) and what the number sent (the inbound simulator's calls, from
  // this page, a script or a scenario's test).
  async loadConvo() {
    const vendor = $('ph-vendor').value;
    const from = $('ph-from').value.trim();
    const digits = from.replace(/\D/g, '').slice(-10);
    const items = [];
    const same = (n) => String(n).replace(/\D/g, '').slice(-10) === digits;
    // The newest change of the contact's opt-in its texts made.
    let change = null;
    if (digits) {
      const res = await api('GET', '/requests' + qs({ operation_id: vendor === 'whippy' ? 'simulateWhippyInbound' : 'simulateZipwhipInbound', limit: 200 }));
      for (const e of res.data) {
        const b = parseJSON(e.request_body);
        if (!b || !b.from || !same(b.from) || e.status !== 201) continue;
        const a = parseJSON(e.response_body) || {};
        if (a.optout && !change) change = a.optout;
        items.push({ at: e.at, mine: true, body: b.body || '', meta: a.optout === 'STOP' ? 'opted out' : a.optout === 'UNSTOP' ? 'opted back in' : a.new_contact ? 'new contact' : '' });
      }
    }
    if (vendor === 'whippy' && digits) {
      const res = await api('GET', '/requests' + qs({ vendor, operation_id: 'sendSms', limit: 200 }));
      for (const e of res.data) {
        const b = parseJSON(e.request_body);
        if (!b || !b.to || !same(b.to) || e.status >= 300) continue;
        items.push({ at: e.at, mine: false, body: b.body || '', meta: 'from ' + (b.from || 'the app') });
      }
    } else if (vendor === 'zipwhip' && digits) {
      // message/send, as a form POST or as a GET with the query: contacts
      // is one number or several separated by commas; a refused send
      // answers success false.
      const [post, get] = await Promise.all(['messageSend', 'messageSendGet'].map((op) => api('GET', '/requests' + qs({ vendor, operation_id: op, limit: 200 }))));
      for (const e of [...post.data, ...get.data]) {
        const f = new URLSearchParams(e.method === 'GET' ? e.query || '' : e.request_body || '');
        const answer = parseJSON(e.response_body);
        if (e.status >= 300 || (answer && answer.success === false)) continue;
        if (!(f.get('contacts') || '').split(',').some((c) => same(c))) continue;
        items.push({ at: e.at, mine: false, body: f.get('body') || '', meta: 'from the line' });
      }
    }
    items.sort((a, b) => (a.at < b.at ? -1 : 1));
    clear($('ph-convo'), items.length ? items.map((m) => el('li', { class: m.mine ? 'mine' : undefined }, m.body, el('span', { class: 'meta' }, fmtTime(m.at) + (m.meta ? ' · ' + m.meta : ''))))
      : el('li', { class: 'hint' }, 'No texts with this number yet.'));
    $('ph-optout').hidden = change !== 'STOP';
    $('ph-optout').textContent = change === 'STOP' ? 'Opted out: ' + from + ' sent STOP and gets no more texts from this ' + (vendor === 'whippy' ? 'channel' : 'line') + '.' : '';
  },
  async send(body) {
    if (!state.ws) { toast('Pick a workspace first', true); return; }
    const vendor = $('ph-vendor').value;
    const from = $('ph-from').value.trim();
    const to = $('ph-to').value.trim();
    const path = '/' + vendor + '/inbound';
    const req = vendor === 'whippy' ? { from, to, body } : { from, body, ...(to ? { line: to } : {}) };
    try {
      const res = await api('POST', path, req);
      const optout = res.optout !== undefined ? res.optout : null;
      $('ph-status').textContent = 'Sent' + (optout === 'STOP' ? ': the contact is opted out' : optout === 'UNSTOP' ? ': the contact is opted back in' : '') + '.';
      await this.loadConvo();
    } catch (e) {
      if (e.missing) $('ph-status').textContent = (vendor === 'zipwhip' ? 'Texting a Zipwhip line' : 'Texting a Whippy channel') + ' is not available on this server yet.';
      else { $('ph-status').textContent = e.message; fail(e); }
    }
  },
};

// ---- Room ----

const roomPage = {
  el: 'page-room',
  async load() {
    const ok = needWorkspace($('page-room'));
    for (const c of $('rm-form').elements) c.disabled = !ok;
    if (!ok) return;
    if ($('rm-meeting').value.trim()) await this.show(true);
  },
  base() { return '/whereby/meetings/' + encodeURIComponent($('rm-meeting').value.trim()); },
  async act(method, path, body, what) {
    if (!$('rm-meeting').value.trim()) { toast('Type the meeting id first', true); $('rm-meeting').focus(); return; }
    try {
      await api(method, this.base() + path, body);
      $('rm-status').textContent = what;
      await this.show(true);
    } catch (e) {
      if (e.missing) $('rm-status').textContent = 'The Whereby room simulator is not available on this server yet.';
      else { $('rm-status').textContent = e.message; }
    }
  },
  async show(quiet) {
    if (!$('rm-meeting').value.trim()) return;
    let room;
    try {
      room = await api('GET', this.base() + '/room');
    } catch (e) {
      if (e.missing) unavailable($('rm-room'), 'The Whereby room simulator');
      else if (!quiet) $('rm-status').textContent = e.message;
      else clear($('rm-room'), el('p', { class: 'hint' }, e.message));
      return;
    }
    const who = (p) => p.displayName || p.participantId || p.id || '?';
    const pid = (p) => p.participantId || p.id;
    const kid = (p) => p.knockId;
    clear($('rm-room'),
      kv([['Room', room.roomName], ['Session', room.roomSessionId || '(none)'], ['Session started', room.sessionStarted ? 'yes' : 'no'], ['In the room', String(room.numClients)],
        ['By role', Object.entries(room.numClientsByRoleName || {}).map(([k, v]) => k + ' ' + v).join(', ')], ['Recording', room.recordingId], ['Transcription', room.transcriptionId]]),
      el('h2', {}, 'Participants'),
      room.participants.length ? el('ul', { class: 'events' }, room.participants.map((p) => el('li', {}, who(p), ' ', badge(p.roleName || 'visitor'), ' ',
        el('button', { type: 'button', 'aria-label': 'Leave: ' + who(p), onclick: () => this.act('DELETE', '/participants/' + encodeURIComponent(pid(p)), undefined, who(p) + ' left') }, 'Leave'))))
        : el('p', { class: 'hint' }, 'Nobody is in the room.'),
      el('h2', {}, 'Knocking'),
      room.knocks.length ? el('ul', { class: 'events' }, room.knocks.map((p) => el('li', {}, who(p), ' ',
        el('button', { type: 'button', 'aria-label': 'Let in: ' + who(p), onclick: () => this.act('POST', '/knocks/' + encodeURIComponent(kid(p)) + '/admit', undefined, who(p) + ' was let in') }, 'Let in'), ' ',
        el('button', { type: 'button', 'aria-label': 'Stop knocking: ' + who(p), onclick: () => this.act('POST', '/knocks/' + encodeURIComponent(kid(p)) + '/cancel', undefined, who(p) + ' gave up') }, 'Give up'))))
        : el('p', { class: 'hint' }, 'Nobody is knocking.'));
  },
};

// ---- pages, router, live updates ----

const PAGES = {
  workspaces: workspacesPage, requests: requestsPage, deliveries: deliveriesPage, scenarios: scenariosPage,
  faults: faultsPage, clock: clockPage, phone: phonePage, room: roomPage,
};
const ORDER = Object.keys(PAGES);

let loading = null;
let again = false;

// refresh loads the current page again; calls while a load runs fold into
// one more load after it.
async function refresh() {
  if (loading) { again = true; return loading; }
  const name = state.page;
  const page = PAGES[name];
  if (!page) return;
  loading = (async () => {
    try {
      await page.load();
      // data-loaded names the page whose data is shown (tests wait on it).
      if (state.page === name) document.body.dataset.loaded = name;
    } catch (e) {
      if (e.status !== 401) fail(e);
    } finally {
      loading = null;
      if (again) { again = false; refresh(); }
    }
  })();
  return loading;
}

function route() {
  const name = (location.hash.match(/^#\/(\w+)/) || [])[1];
  const page = PAGES[name] ? name : 'requests';
  if (page !== state.page) {
    state.page = page;
    delete document.body.dataset.loaded;
    for (const n of ORDER) $('page-' + n).hidden = n !== page;
    for (const a of document.querySelectorAll('.tabs a')) {
      if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = $('h-' + page).textContent + ' · vendorsim';
  }
  refresh();
}

let liveTimer = null;

function startLive() {
  const live = $('live');
  let es;
  try {
    es = new EventSource('events');
  } catch {
    live.textContent = 'polling';
    setInterval(refresh, 3000);
    return;
  }
  es.addEventListener('hello', () => { live.textContent = 'live'; live.className = 'live on'; });
  es.addEventListener('change', () => {
    // Changes come at most a few times a second; fold them.
    if (liveTimer) return;
    liveTimer = setTimeout(() => { liveTimer = null; if (!document.hidden) refresh(); }, 150);
  });
  es.onerror = () => { live.textContent = 'reconnecting'; live.className = 'live off'; };
}

function needToken(msg) {
  if ($('token').open) return;
  $('token-input').value = state.token;
  $('token').showModal();
  if (msg) toast(msg, true);
}

function saveToken(t) {
  state.token = t;
  if (t) {
    sessionStorage.setItem('vs.token', t);
    document.cookie = 'vendorsim_token=' + encodeURIComponent(t) + '; path=/_sandbox/ui/; SameSite=Strict';
  } else {
    sessionStorage.removeItem('vs.token');
    document.cookie = 'vendorsim_token=; path=/_sandbox/ui/; SameSite=Strict; max-age=0';
  }
}

function inField(t) {
  return t && (t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable);
}

function onKey(ev) {
  if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
  if (document.querySelector('dialog[open]')) return;
  if (ev.key === 'Escape') {
    if (state.page === 'requests' && !$('req-detail').hidden) { requestsPage.close(); ev.preventDefault(); }
    else if (state.page === 'deliveries' && !$('dl-detail').hidden) { deliveriesPage.close(); ev.preventDefault(); }
    else if (inField(ev.target)) ev.target.blur();
    return;
  }
  if (inField(ev.target)) return;
  const page = PAGES[state.page];
  const k = ev.key;
  if (k >= '1' && k <= String(ORDER.length)) { location.hash = '#/' + ORDER[Number(k) - 1]; ev.preventDefault(); return; }
  switch (k) {
    case '?': $('help').showModal(); break;
    case '/': {
      const f = $('page-' + state.page).querySelector('input:not([disabled]), select:not([disabled]), textarea:not([disabled])');
      if (f) f.focus();
      break;
    }
    case 'j': if (page.rows) focusRow(page.rows(), 1); break;
    case 'k': if (page.rows) focusRow(page.rows(), -1); break;
    case 'r': refresh(); break;
    case 'w': $('ws-select').focus(); break;
    case '[': $(state.page === 'deliveries' ? 'dl-prev' : 'req-prev').click(); break;
    case ']': $(state.page === 'deliveries' ? 'dl-next' : 'req-next').click(); break;
    case 'c': if (state.page === 'requests' && !$('req-detail').hidden) $('req-curl').click(); break;
    case 'p': if (state.page === 'deliveries' && !$('dl-detail').hidden) deliveriesPage.replay(); break;
    case 'f': if (state.page === 'deliveries') $('dl-flush').click(); break;
    default: return;
  }
  ev.preventDefault();
}

function wire() {
  $('ws-select').addEventListener('change', (ev) => pickWorkspace(ev.target.value));
  $('ws-all').addEventListener('click', () => pickWorkspace(''));
  $('ws-refresh').addEventListener('click', refresh);

  $('req-filter').addEventListener('submit', (ev) => { ev.preventDefault(); requestsPage.offset = 0; refresh(); });
  $('req-filter').addEventListener('reset', () => setTimeout(() => { requestsPage.offset = 0; refresh(); }));
  $('req-refresh').addEventListener('click', refresh);
  $('req-prev').addEventListener('click', () => { requestsPage.offset = Math.max(0, requestsPage.offset - PAGE_SIZE); refresh(); });
  $('req-next').addEventListener('click', () => { requestsPage.offset += PAGE_SIZE; refresh(); });
  $('req-close').addEventListener('click', () => requestsPage.close());
  $('req-har').addEventListener('click', downloadHAR);
  $('req-curl').addEventListener('click', async () => {
    if (!requestsPage.selected) return;
    const ok = await copyText(curlOf(requestsPage.selected));
    toast(ok ? 'Copied as curl' : 'Could not reach the clipboard: the command is at the bottom of the panel', !ok);
  });

  $('dl-filter').addEventListener('submit', (ev) => { ev.preventDefault(); deliveriesPage.offset = 0; refresh(); });
  $('dl-filter').addEventListener('reset', () => setTimeout(() => { deliveriesPage.offset = 0; refresh(); }));
  $('dl-refresh').addEventListener('click', refresh);
  $('dl-prev').addEventListener('click', () => { deliveriesPage.offset = Math.max(0, deliveriesPage.offset - PAGE_SIZE); refresh(); });
  $('dl-next').addEventListener('click', () => { deliveriesPage.offset += PAGE_SIZE; refresh(); });
  $('dl-close').addEventListener('click', () => deliveriesPage.close());
  $('dl-replay').addEventListener('click', () => deliveriesPage.replay());
  $('dl-flush').addEventListener('click', async () => {
    const b = $('dl-flush');
    b.disabled = true;
    try {
      const r = await api('POST', '/deliveries/flush?timeout=10s');
      toast('Flushed: ' + r.jobs + ' steps, ' + r.attempts + ' attempts (' + r.delivered + ' delivered, ' + r.failed + ' failed)' + (r.timed_out ? ', still ' + r.in_flight + ' in flight' : ''));
      refresh();
    } catch (e) { fail(e); } finally { b.disabled = false; }
  });

  $('sc-refresh').addEventListener('click', () => { scenariosPage.library = []; refresh(); });
  $('sc-name').addEventListener('change', () => scenariosPage.showParams());
  $('sc-form').addEventListener('submit', (ev) => scenariosPage.run(ev));

  $('fl-refresh').addEventListener('click', refresh);
  $('fl-fault-form').addEventListener('submit', (ev) => { ev.preventDefault(); faultsPage.add('/faults', 'fl-fault-rule'); });
  $('fl-chaos-form').addEventListener('submit', (ev) => { ev.preventDefault(); faultsPage.add('/chaos', 'fl-chaos-rule'); });
  $('fl-fault-clear').addEventListener('click', () => faultsPage.clearAll('/faults'));
  $('fl-chaos-clear').addEventListener('click', () => faultsPage.clearAll('/chaos'));

  $('ck-refresh').addEventListener('click', refresh);
  $('ck-form').addEventListener('submit', (ev) => { ev.preventDefault(); clockPage.advance($('ck-by').value.trim()); });
  for (const b of document.querySelectorAll('#ck-form button[data-by]')) {
    b.setAttribute('aria-label', 'Advance by ' + b.dataset.by);
    b.addEventListener('click', () => clockPage.advance(b.dataset.by));
  }
  $('ck-speed-form').addEventListener('submit', (ev) => { ev.preventDefault(); clockPage.optional('POST', '/clock/speed', { speed: Number($('ck-speed').value) }, 'Speed set'); });
  $('ck-freeze').addEventListener('click', () => clockPage.optional('POST', '/clock/freeze', {}, 'Clock frozen'));
  $('ck-unfreeze').addEventListener('click', () => clockPage.optional('POST', '/clock/resume', {}, 'Clock running'));
  setInterval(() => clockPage.tick(), 1000);

  $('ph-refresh').addEventListener('click', refresh);
  $('ph-form').addEventListener('submit', (ev) => { ev.preventDefault(); phonePage.send($('ph-body').value); });
  $('ph-stop').addEventListener('click', () => phonePage.send('STOP'));
  $('ph-start').addEventListener('click', () => phonePage.send('START'));
  $('ph-from').addEventListener('change', () => phonePage.loadConvo().catch(fail));
  $('ph-vendor').addEventListener('change', () => phonePage.loadConvo().catch(fail));

  $('rm-refresh').addEventListener('click', refresh);
  $('rm-form').addEventListener('submit', (ev) => { ev.preventDefault(); roomPage.act('POST', '/participants', { displayName: $('rm-name').value.trim(), roleName: $('rm-role').value }, $('rm-name').value.trim() + ' joined'); });
  $('rm-knock').addEventListener('click', () => roomPage.act('POST', '/knocks', { displayName: $('rm-name').value.trim(), roleName: $('rm-role').value }, $('rm-name').value.trim() + ' is knocking'));
  $('rm-show').addEventListener('click', () => roomPage.show(false));

  $('help-button').addEventListener('click', () => $('help').showModal());
  $('token-button').addEventListener('click', () => needToken());
  $('token-form').addEventListener('submit', () => { saveToken($('token-input').value.trim()); refresh(); });
  $('token-forget').addEventListener('click', () => { saveToken(''); $('token').close(); });

  document.addEventListener('keydown', onKey);
  window.addEventListener('hashchange', route);
}

async function start() {
  wire();
  try {
    const res = await api('GET', '/workspaces', undefined, { ws: '' });
    state.workspaces = res.data;
  } catch (e) {
    if (e.status !== 401) fail(e);
  }
  fillWorkspaceSelect();
  route();
  startLive();
}

start();
