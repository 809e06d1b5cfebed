// The details region of one session and the pane beside it (contexts,
// tasks, decisions), with the edit, project, rating and end controls.
import { h, api, duration, when, whenExact, num, query, download, ApiError } from './util.js';
import { timelineSvg } from './timeline.js';
import { editForm, projectControl, ratingControl, endControl } from './forms.js';

const PAGE = 20;
const EVENTS_PAGE = 8;
const el = {
  layout: () => document.querySelector('.layout'),
  details: () => document.getElementById('details'),
  side: () => document.getElementById('side'),
};

let current = null;   // the session_details shown
let projects = [];
let onChanged = () => {};

export function setProjects(list) { projects = list; }
export function setOnChanged(f) { onChanged = f; }
export function shownId() { return current && current.id; }

const plural = (n, word) => `${n} ${word}${n === 1 ? '' : 's'}`;

function copyButton(label, value) {
  return h('button', { type: 'button', class: 'pill', onclick: () => navigator.clipboard?.writeText(value) }, label);
}

function facts(pairs) {
  return h('dl', { class: 'facts' }, pairs.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function scoreBlock(d) {
  const b = d.score_breakdown;
  const rows = b && b.signals ? Object.entries(b.signals) : [];
  return [
    h('h3', {}, 'Score'),
    h('p', {}, d.score === null || d.score === undefined ? 'No score yet.' : `${d.score} / 100 (${d.score_source})`),
    rows.length ? h('table', { 'aria-label': 'Score signals' },
      h('thead', {}, h('tr', {}, ['Signal', 'Value', 'Weight', 'Contribution', 'Why'].map((c) =>
        h('th', { scope: 'col', class: c === 'Signal' || c === 'Why' ? null : 'num' }, c)))),
      h('tbody', {}, rows.map(([name, s]) => h('tr', {},
        h('td', {}, name.replaceAll('_', ' ')), h('td', { class: 'num' }, s.applies ? s.value : 'n/a'),
        h('td', { class: 'num' }, s.weight), h('td', { class: 'num' }, s.contribution), h('td', {}, s.why || ''))))) : null,
  ];
}

// Is the person in the middle of something in the details (an open form, a
// pending confirmation, a focused field)? Then a live update waits.
function busy() {
  const region = el.details();
  if (region.querySelector('form.edit, [data-pending]')) return true;
  return region.contains(document.activeElement) && document.activeElement.matches('input, textarea, select');
}

export async function openDetails(id, { focus = true, live = false } = {}) {
  const region = el.details();
  let d;
  try {
    d = await api('sessions/' + encodeURIComponent(id));
    if (live && busy()) return;  // checked again: the person may have started meanwhile
  } catch (e) {
    if (live) return;
    region.hidden = false;
    region.replaceChildren(h('p', { class: 'alert error', role: 'alert' }, e.message));
    return;
  }
  const same = current && current.id === d.id;
  current = d;
  el.layout().classList.add('open');
  region.hidden = false;
  region.setAttribute('aria-label', d.display_id);
  // A refresh of the same session keeps the timeline shown until the new one
  // is ready, so the chart never blinks to "Loading".
  const shownChart = same ? document.getElementById('timeline')?.querySelector('svg') : null;
  region.replaceChildren(...render(d).flat(Infinity).filter(Boolean));
  if (shownChart) document.getElementById('timeline').replaceChildren(shownChart);
  if (!same) closeSide();
  await loadTimeline(d);
  if (focus) region.querySelector('h2').focus();
}

// The session's export document (docs/export.md), as aidis sessions import reads it.
async function exportOne(d) {
  try {
    const doc = await api(`sessions/${encodeURIComponent(d.id)}/export`);
    download(`${d.display_id}.json`, JSON.stringify(doc, null, 2) + '\n', 'application/json');
  } catch (e) {
    window.alert(`Export failed: ${e.message}`);
  }
}

function render(d) {
  const count = (label, what, n) => h('button', { type: 'button', onclick: () => openSide(d, what, label) }, `${label} (${n})`);
  return [
    h('h2', { tabindex: -1 }, d.title || d.display_id),
    h('div', { class: 'tools ids' },
      h('span', { class: 'mono' }, d.display_id), copyButton('Copy display id', d.display_id),
      h('span', { class: 'mono' }, d.id), copyButton('Copy uuid', d.id)),
    h('div', { class: 'tools actions' },
      count('Contexts', 'contexts', d.contexts_created), count('Tasks', 'tasks', d.tasks_created),
      count('Decisions', 'decisions', d.decisions_created),
      h('button', { type: 'button', onclick: () => editForm(d, el.details(), refresh) }, 'Edit'),
      h('button', { type: 'button', onclick: () => exportOne(d) }, 'Export'),
      endControl(d, refresh)),
    facts([
      ['Status', h('span', { class: `badge ${d.status}` }, d.status + (d.end_reason ? ` (${d.end_reason})` : ''))],
      ['Project', d.project_name], ['Agent', d.agent || '–'], ['Model', d.ai_model || '–'],
      ['Created', when(d.created_at || d.started_at)], ['Last activity', whenExact(d.last_activity_at)],
      ['Ended', when(d.ended_at)],
      ['Wall time', duration(d.wall_seconds)], ['Active time', duration(d.active_seconds)],
      ['Goal', d.goal || '–'], ['Tags', (d.tags || []).join(', ') || '–'],
    ]),
    d.description ? h('p', { class: 'description' }, d.description) : null,
    d.notes ? h('p', { class: 'description' }, d.notes) : null,
    h('h3', {}, 'Timeline'),
    h('div', { class: 'timeline', id: 'timeline' }, h('p', { class: 'state' }, 'Loading the timeline…')),
    h('div', { class: 'two' }, projectControl(d, projects, refresh), ratingControl(d, refresh)),
    h('div', { class: 'two' },
      h('div', {}, h('h3', {}, 'Counters'), facts([
        ['Tasks completed', num(d.tasks_completed)], ['Tasks reopened', num(d.tasks_reopened)],
        ['Events', num(d.activity_count)], ['Files touched', num(d.files_touched)],
        ['Lines', `+${num(d.loc_added)} / −${num(d.loc_removed)}`]])),
      h('div', {}, h('h3', {}, 'Tokens'), facts([
        ['Input', num(d.input_tokens)], ['Output', num(d.output_tokens)], ['Cache read', num(d.cache_read_tokens)],
        ['Cache write', num(d.cache_creation_tokens)], ['Estimated', num(d.estimated_tokens)]]))),
    (d.top_files || []).length ? [h('h3', {}, 'Top files'), h('ul', { class: 'items', 'aria-label': 'Top files' }, d.top_files.map((f) =>
      h('li', {}, h('span', { class: 'mono' }, f.path), ' ', h('span', { class: 'meta' },
        `${plural(f.modifications, 'change')}, ${plural(f.mentions, 'mention')}, +${f.loc_added}/−${f.loc_removed}`))))] : null,
    scoreBlock(d),
  ];
}

async function refresh() {
  if (current) await openDetails(current.id, { focus: false });
  onChanged();
}

export async function refreshShown() {
  if (current && !busy()) await openDetails(current.id, { focus: false, live: true });
}

async function loadTimeline(d) {
  const box = document.getElementById('timeline');
  if (!box) return;
  let events = [];
  try {
    events = await api(`sessions/${d.id}/timeline${query({ limit: 10000 })}`);
  } catch (e) {
    box.replaceChildren(h('p', { class: 'alert error', role: 'alert' }, e.message));
    return;
  }
  const list = h('ol', { class: 'items', 'aria-label': 'Events' });
  const more = h('button', { type: 'button' }, 'More events');
  let shown = 0;
  const page = () => {
    for (const e of events.slice(shown, shown + EVENTS_PAGE))
      list.append(h('li', {}, h('span', { class: 'meta' }, `${when(e.occurred_at)} · ${e.kind}`), ' ', e.summary || ''));
    shown += EVENTS_PAGE;
    more.hidden = shown >= events.length;
  };
  more.addEventListener('click', page);
  page();
  box.replaceChildren(timelineSvg(d, events), h('h3', {}, `Events (${events.length})`), list, more);
}

function closeSide() {
  const side = el.side();
  side.hidden = true;
  side.replaceChildren();
  el.layout().classList.remove('side');
}

async function openSide(d, what, label) {
  const side = el.side();
  side.hidden = false;
  el.layout().classList.add('side');
  side.setAttribute('aria-label', `${label} of ${d.display_id}`);
  const list = h('ol', { class: 'items' });
  const more = h('button', { type: 'button', hidden: true }, 'Load more');
  const state = h('p', { class: 'state', role: 'status' }, 'Loading…');
  side.replaceChildren(
    h('div', { class: 'tools' }, h('h2', { tabindex: -1 }, `${label} of ${d.display_id}`),
      h('button', { type: 'button', onclick: closeSide }, 'Close')),
    state, list, more);
  let offset = 0;
  const page = async () => {
    try {
      const rows = await api(`sessions/${d.id}/${what}${query({ limit: PAGE, offset })}`);
      offset += rows.length;
      for (const r of rows) list.append(item(what, r));
      state.textContent = offset ? '' : `No ${label.toLowerCase()}.`;
      more.hidden = rows.length < PAGE;
    } catch (e) {
      state.textContent = e instanceof ApiError ? e.message : String(e);
    }
  };
  more.addEventListener('click', page);
  await page();
  side.querySelector('h2').focus();
}

function item(what, r) {
  const text = what === 'contexts' ? r.content : r.title;
  const meta = [r.type || r.context_type, r.status, r.priority, when(r.created_at)].filter(Boolean).join(' · ');
  return h('li', {}, h('div', {}, text ?? ''), h('div', { class: 'meta' }, meta),
    r.description ? h('div', {}, r.description) : null);
}
