// The timeline of one session: an SVG with a lane per kind of event, a mark
// per event (its <title> is the tooltip), readable from minutes to days. An
// event that stands for several (data.rows: a big statement's folded entry,
// or a day's summary once compacted) counts as that many, and a compacted
// one also shows the span of time it covers (data.first_at to data.last_at).
import { h, when } from './util.js';

const LANES = [
  ['Contexts', 'context', (k) => k.startsWith('context_')],
  ['Tasks created', 'task', (k) => k === 'task_created'],
  ['Tasks completed / reopened', 'done', (k) => k === 'task_completed' || k === 'task_reopened'],
  ['Decisions', 'decision', (k) => k.startsWith('decision_')],
  ['Other events', 'other', () => true],
];

export function laneOf(kind) { return LANES.findIndex(([, , match]) => match(kind)); }

// How many events one timeline entry stands for.
export function rowsOf(e) { return Number.isInteger(e.data?.rows) && e.data.rows > 0 ? e.data.rows : 1; }

// Tick step (seconds) giving about 6 ticks over `total` seconds.
function tickStep(total) {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800];
  return steps.find((s) => total / s <= 7) || steps[steps.length - 1];
}

function tickLabel(t, step) {
  const d = new Date(t);
  const hm = d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return step >= 86400 ? d.toLocaleDateString(undefined, { month: 'short', day: 'numeric' }) : hm;
}

export function timelineSvg(session, events) {
  const W = 720, left = 170, right = 12, laneH = 26, top = 8, axisH = 24;
  const H = top + LANES.length * laneH + axisH;
  const start = new Date(session.started_at).getTime();
  let end = session.ended_at ? new Date(session.ended_at).getTime() : Date.now();
  for (const e of events) end = Math.max(end, new Date(e.occurred_at).getTime());
  const total = Math.max(60_000, end - start);
  const x = (t) => left + ((t - start) / total) * (W - left - right);
  const counts = LANES.map(() => 0);
  for (const e of events) counts[laneOf(e.kind)] += rowsOf(e);
  const svg = h('svg', {
    viewBox: `0 0 ${W} ${H}`, role: 'img',
    'aria-label': `Timeline of ${session.display_id}`,
  }, h('title', {}, `Timeline of ${session.display_id}: ` +
      LANES.map(([name], i) => `${name} ${counts[i]}`).join(', ')));
  LANES.forEach(([name], i) => {
    const y = top + i * laneH;
    svg.append(h('rect', { class: 'lane', x: left, y: y + 3, width: W - left - right, height: laneH - 6, rx: 4 }),
      h('text', { x: 4, y: y + laneH / 2 + 4 }, `${name} (${counts[i]})`));
  });
  const step = tickStep(total / 1000) * 1000;
  const axisY = top + LANES.length * laneH + 4;
  for (let t = Math.ceil(start / step) * step; t <= end; t += step) {
    svg.append(h('line', { class: 'axis', x1: x(t), x2: x(t), y1: top, y2: axisY }),
      h('text', { x: x(t), y: axisY + 12, 'text-anchor': 'middle' }, tickLabel(t, step / 1000)));
  }
  for (const e of events) {
    const i = laneOf(e.kind);
    const cls = LANES[i][1] === 'done' && e.kind === 'task_reopened' ? 'task' : LANES[i][1];
    if (e.data?.first_at && e.data?.last_at) {
      const x1 = x(new Date(e.data.first_at).getTime()), x2 = x(new Date(e.data.last_at).getTime());
      svg.append(h('rect', {
        class: `mark-${cls}`, x: x1, y: top + i * laneH + laneH / 2 - 3, width: Math.max(0, x2 - x1), height: 6,
        rx: 3, 'fill-opacity': 0.4,
      }));
    }
    svg.append(h('circle', {
      class: `mark-${cls}`, cx: x(new Date(e.occurred_at).getTime()), cy: top + i * laneH + laneH / 2, r: 5,
      'fill-opacity': 0.8,
    }, h('title', {}, `${when(e.occurred_at)} · ${e.kind}${e.summary ? ': ' + e.summary : ''}`)));
  }
  return svg;
}
