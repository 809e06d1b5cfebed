// The sessions page: the list with its filters, live updates (SSE), and the
// Compare and Stats dialogs. Details: details.js.
import { h, api, query, duration, when, whenExact, num, stars, span, onAvailability, download } from './util.js';
import { openDetails, setProjects, setOnChanged, shownId, refreshShown } from './details.js';

const PAGE = 50;
const $ = (id) => document.getElementById(id);
const state = { offset: 0, rows: [], seq: 0 };

function filters() {
  return { q: $('q').value.trim(), status: $('status').value, project: $('project').value };
}

function row(s) {
  const open = () => select(s.id);
  const tr = h('tr', { 'data-id': s.id, 'aria-selected': String(s.id === shownId()), onclick: open },
    h('td', {}, h('button', { type: 'button', class: 'linkish', onclick: (e) => { e.stopPropagation(); open(); } }, s.display_id)),
    h('td', { class: 'title-cell', title: s.title || '' }, s.title || ''),
    h('td', {}, s.project_name),
    h('td', {}, s.agent || '–'),
    h('td', {}, h('span', { class: `badge ${s.status}` }, s.status)),
    h('td', {}, when(s.started_at)),
    h('td', { class: 'num', title: `Last activity ${whenExact(s.last_activity_at)}` },
      duration(span(s.started_at, s.ended_at || (s.status === 'active' ? null : s.last_activity_at)))),
    h('td', { class: 'num' }, num(s.contexts_created)),
    h('td', { class: 'num' }, `${num(s.tasks_completed)}/${num(s.tasks_created)}`),
    h('td', { class: 'num' }, s.score === null ? '–' : Number(s.score).toFixed(0)),
    h('td', { class: 'num', 'aria-label': s.rating ? `${s.rating} of 5` : 'not rated' }, stars(s.rating)));
  return tr;
}

async function select(id) {
  for (const tr of document.querySelectorAll('#sessions tbody tr')) tr.setAttribute('aria-selected', String(tr.dataset.id === id));
  await openDetails(id);
}

// Loads the first page (reset) or the next one; a refresh reloads what is shown.
async function load({ reset = true, refresh = false } = {}) {
  const seq = ++state.seq;
  const listState = $('list-state');
  const limit = refresh ? Math.min(1000, Math.max(PAGE, state.rows.length)) : PAGE;
  const offset = reset || refresh ? 0 : state.offset;
  if (!refresh) listState.textContent = 'Loading…';
  let rows;
  try {
    rows = await api('sessions' + query({ ...filters(), limit, offset }));
  } catch (e) {
    if (seq === state.seq) listState.textContent = e.status === 0 || e.status === 503 ? 'Database unavailable; retrying…' : e.message;
    if (e.status === 0 || e.status === 503) setTimeout(() => load({ refresh: true }), 2000);
    return;
  }
  if (seq !== state.seq) return;  // a newer request won
  const next = reset || refresh ? rows : state.rows.concat(rows);
  const same = JSON.stringify(next) === JSON.stringify(state.rows);
  state.rows = next;
  state.offset = state.rows.length;
  if (!same) {
    // A live refresh must not take the keyboard focus away from the list.
    const focusedId = document.activeElement?.closest('#sessions tbody tr')?.dataset.id;
    $('sessions').tBodies[0].replaceChildren(...state.rows.map(row));
    if (focusedId) document.querySelector(`#sessions tbody tr[data-id="${focusedId}"] button`)?.focus();
  }
  listState.textContent = state.rows.length ? `${state.rows.length} sessions shown` : 'No sessions match.';
  $('more').hidden = rows.length < limit;
}

async function loadProjects() {
  try {
    const list = await api('projects');
    setProjects(list);
    const sel = $('project');
    const keep = sel.value;
    sel.replaceChildren(h('option', { value: '' }, 'All'), ...list.map((p) => h('option', { value: p.name }, p.name)));
    sel.value = keep;
  } catch { /* the banner says it; retried with the list */ }
}

// Live updates (docs/serve.md, "Live"). Each notification names a session:
// the list reloads, and the open details when it is about that session (or
// about a change that is not plain activity). Reloads are coalesced: at most
// one every 500 ms, never more than 250 ms behind the first event of a burst.
// A backend announces a session's activity at most once a second, so one
// more look 1.2 s after the last activity event shows what it held back.
function live() {
  const events = new EventSource('/api/events');
  const list = coalesce(() => load({ refresh: true }), 250, 500);
  const details = coalesce(() => refreshShown(), 250, 500);
  let followUp = null, followDetails = false;
  const later = (sessionId) => {
    followDetails ||= sessionId === shownId();
    clearTimeout(followUp);
    followUp = setTimeout(() => { list(); if (followDetails) details(); followDetails = false; }, 1200);
  };
  const everything = () => { list(); details(); };
  events.addEventListener('session', (e) => {
    let note = {};
    try { note = JSON.parse(e.data); } catch { /* not ours: reload everything */ }
    list();
    if (note.event !== 'activity' || !note.session_id || note.session_id === shownId()) details();
    if (note.event === 'activity') later(note.session_id);
  });
  events.addEventListener('database', (e) => {
    const up = JSON.parse(e.data).available;
    banner(up);
    if (up) { loadProjects(); everything(); }
  });
  events.addEventListener('error', () => banner(false));
  events.addEventListener('open', everything);
}

// f() for a stream of calls: the first runs `delay` ms after it is asked for,
// the next at least `gap` ms after the previous one started; calls while one
// is pending or running are served by one more run.
function coalesce(f, delay, gap) {
  let timer = null, running = false, again = false, last = -Infinity;
  const schedule = () => {
    if (running) { again = true; return; }
    if (timer) return;
    timer = setTimeout(run, Math.max(delay, last + gap - Date.now()));
  };
  const run = async () => {
    timer = null;
    running = true;
    last = Date.now();
    try { await f(); } catch { /* each reload shows its own errors */ }
    running = false;
    if (again) { again = false; schedule(); }
  };
  return schedule;
}

let down = false;
function banner(up) {
  if (up === !down) return;
  down = !up;
  $('db-banner').textContent = up ? '' : 'Database unavailable. The page recovers by itself when it is back.';
}

function compareDialog() {
  const dlg = $('compare');
  $('open-compare').addEventListener('click', () => {
    const picked = shownId() && state.rows.find((r) => r.id === shownId());
    if (picked && !$('cmp-b').value) $('cmp-b').value = picked.display_id;
    dlg.showModal();
  });
  $('compare-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const out = $('compare-out');
    try {
      const r = await api('compare' + query({ a: $('cmp-a').value.trim(), b: $('cmp-b').value.trim() }));
      const keys = Object.keys(r.delta);
      out.replaceChildren(h('table', { 'aria-label': 'Comparison' },
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, ''), h('th', { scope: 'col' }, r.a.display_id),
          h('th', { scope: 'col' }, r.b.display_id), h('th', { scope: 'col', class: 'num' }, 'Δ (B − A)'))),
        h('tbody', {}, keys.map((k) => {
          const dv = r.delta[k];
          const f = k.endsWith('seconds') ? duration : num;
          return h('tr', {}, h('th', { scope: 'row' }, k.replaceAll('_', ' ')), h('td', {}, f(r.a[k])), h('td', {}, f(r.b[k])),
            h('td', { class: `num ${dv > 0 ? 'delta-pos' : dv < 0 ? 'delta-neg' : ''}` },
              dv === null ? '–' : (dv > 0 ? '+' : '') + (k.endsWith('seconds') ? duration(Math.abs(dv)) : num(dv))));
        }))));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'alert error', role: 'alert' }, e.message));
    }
  });
}

// Sessions per day: a bar each, the count above it, a date below every few.
function dayChart(days) {
  const W = 820, H = 170, top = 16, bottom = 22, left = 8;
  const max = Math.max(1, ...days.map((d) => d.sessions));
  const bw = (W - left * 2) / Math.max(1, days.length);
  const every = Math.ceil(days.length / 10);
  const fmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
  const svg = h('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': 'Sessions per day', class: 'chart' },
    h('title', {}, 'Sessions per day: ' + days.map((d) => `${d.day} ${d.sessions}`).join(', ')));
  days.forEach((d, i) => {
    const bh = ((H - top - bottom) * d.sessions) / max;
    const x = left + i * bw;
    svg.append(h('rect', { class: 'bar', x: x + 2, y: H - bottom - bh, width: Math.max(1, bw - 4), height: bh },
      h('title', {}, `${d.day}: ${d.sessions} sessions, ${d.tasks_completed} tasks completed`)));
    if (d.sessions) svg.append(h('text', { x: x + bw / 2, y: H - bottom - bh - 3, 'text-anchor': 'middle' }, d.sessions));
    if (i % every === 0) svg.append(h('text', { x: x + bw / 2, y: H - 6, 'text-anchor': 'middle' }, fmt.format(new Date(d.day))));
  });
  return [h('h3', {}, 'Sessions per day'), svg];
}

function statsDialog() {
  const dlg = $('stats');
  const show = async () => {
    const out = $('stats-out');
    try {
      const params = query({ period: $('period').value, project: $('project').value });
      const [r, days] = await Promise.all([api('stats' + params), api('stats/daily' + params)]);
      const totals = [['Sessions', num(r.sessions)], ['Active now', num(r.active_sessions)],
        ['Wall time', duration(r.total_wall_seconds)], ['Active time', duration(r.total_active_seconds)],
        ['Contexts', num(r.contexts_created)], ['Tasks created', num(r.tasks_created)],
        ['Tasks completed', num(r.tasks_completed)], ['Decisions', num(r.decisions_created)],
        ['Average score', r.avg_score ?? '–'], ['Average rating', r.avg_rating ?? '–'],
        ['Completion rate', r.completion_rate === null ? '–' : `${Math.round(r.completion_rate * 100)} %`]];
      out.replaceChildren(h('p', {}, `${when(r.since)} – ${when(r.until)}`),
        h('dl', { class: 'facts' }, totals.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])), ...dayChart(days));
    } catch (e) {
      out.replaceChildren(h('p', { class: 'alert error', role: 'alert' }, e.message));
    }
  };
  $('open-stats').addEventListener('click', () => { dlg.showModal(); show(); });
  $('period').addEventListener('change', show);
}

// Every session of the filtered list (not only the loaded page) as JSON
// lines, oldest first: what aidis sessions import reads (docs/export.md).
async function exportList() {
  try {
    const docs = await api('export' + query(filters()));
    download('sessions.jsonl', docs.map((d) => JSON.stringify(d) + '\n').join(''), 'application/x-ndjson');
  } catch (e) {
    window.alert(`Export failed: ${e.message}`);
  }
}

function init() {
  for (const dlg of document.querySelectorAll('dialog'))
    dlg.querySelector('.close').addEventListener('click', () => dlg.close());
  let typing = null;
  $('q').addEventListener('input', () => { clearTimeout(typing); typing = setTimeout(() => load(), 250); });
  $('filters').addEventListener('submit', (e) => { e.preventDefault(); load(); });
  $('status').addEventListener('change', () => load());
  $('project').addEventListener('change', () => load());
  $('more').addEventListener('click', () => load({ reset: false }));
  $('export').addEventListener('click', exportList);
  onAvailability(banner);
  setOnChanged(() => load({ refresh: true }));
  compareDialog();
  statsDialog();
  loadProjects();
  load();
  live();
}

init();
