// The sessions page in a real browser, found by role and name as a person
// would: list, filters, paging, empty and loading states; details (ids and
// their copy buttons, counters, tokens, files, score signals), the side pane
// and its paging, the timeline's lanes, tooltips and event list; edit (and
// refused edits), export downloads, the two-step project change and its
// resets, rating, a reader's page (42501), live updates, the keyboard,
// accessibility (axe, WCAG 2.1 A/AA, light and dark) and the screenshots of
// docs/serve.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { DB, READER, sql, psql, RESEARCH_NOTES } from './lib.js';
import { state, setUp, tearDown, axe, shoot, until, facts, statuses, titles, en, detailsJson, table, details,
         downloaded, tabTo, T } from './page_shared.js';

let browser, admin, reader, page, cart;
before(async () => {
  await setUp();
  ({ browser, admin, reader, page, cart } = state);
});
after(tearDown);

test('the list: newest first, with every column, and the filters', async () => {
  await page.goto(admin.url + '/');
  await page.getByRole('heading', { name: 'Sessions' }).waitFor(T);
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
  const headers = await table().getByRole('columnheader').allTextContents();
  assert.deepEqual(headers, ['Session', 'Title', 'Project', 'Agent', 'Status', 'Started', 'Duration', 'Contexts',
    'Tasks', 'Score', 'Rating']);
  const rows = await table().locator('tbody tr').allTextContents();
  assert.match(rows[0], /Cart fixes/, 'newest first');
  assert.match(rows[1], /Checkout speed-up/);
  assert.match(rows[2], /Draft the launch post/);
  await axe('the list', { schemes: ['light', 'dark'] });
  await shoot('list');

  await page.getByRole('searchbox', { name: 'Search' }).fill('launch');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor({ state: 'detached', ...T });
  assert.equal(await table().locator('tbody tr').count(), 1);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);

  const status = page.getByRole('combobox', { name: 'Status' });
  assert.deepEqual(await status.locator('option').allTextContents(), ['All', 'active', 'inactive', 'disconnected']);
  for (const [value, want] of [['active', ['Cart fixes']], ['disconnected', ['Old prototype']]]) {
    await status.selectOption(value);
    await until(async () => JSON.stringify(await titles()) === JSON.stringify(want),
      `status ${value}: ${await titles()}`);
    assert.deepEqual(await statuses(), [value]);
  }
  await status.selectOption('inactive');
  await table().getByRole('row', { name: /Checkout speed-up/ }).waitFor(T);
  await until(async () => (await statuses()).every((s) => s === 'inactive'), 'only inactive sessions');
  assert.ok(!(await titles()).includes('Cart fixes') && !(await titles()).includes('Old prototype'));
  await status.selectOption('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
  const projects = await page.getByRole('combobox', { name: 'Project' }).locator('option').allTextContents();
  assert.deepEqual(projects, ['All', '__unassigned__', 'archive', 'blog', 'shop']);
  await page.getByRole('combobox', { name: 'Project' }).selectOption('blog');
  await table().getByRole('row', { name: /Checkout speed-up/ }).waitFor({ state: 'detached', ...T });
  assert.deepEqual((await table().locator('tbody tr td:nth-child(2)').allTextContents()).sort(),
    ['Draft the launch post', 'Fix the RSS feed']);
  await page.getByRole('combobox', { name: 'Project' }).selectOption('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
});

test('empty: a filter that matches nothing says so', async () => {
  await page.getByRole('searchbox', { name: 'Search' }).fill('no session is called this');
  await page.getByRole('status').filter({ hasText: 'No sessions match.' }).waitFor(T);
  assert.equal(await table().locator('tbody tr').count(), 0);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
});

test('Load more: the list comes a page (50) at a time', async () => {
  const total = Number(sql('SELECT count(*) FROM aidis.list_sessions(lim => 1000)'));
  assert.ok(total > 50 && total <= 100, `the seed has more than one page: ${total}`);
  const more = page.getByRole('button', { name: 'Load more' });
  await more.waitFor(T);
  assert.equal(await table().locator('tbody tr').count(), 50);
  await more.click();
  await more.waitFor({ state: 'hidden', ...T });
  assert.equal(await table().locator('tbody tr').count(), total);
  await page.getByRole('status').filter({ hasText: `${total} sessions shown` }).waitFor(T);
  assert.deepEqual(await titles(), sql('SELECT title FROM aidis.list_sessions(lim => 1000)').split('\n'),
    'every session, newest first');
});

// Until the first answer arrives, the list says it is loading (the answer is
// held back here, so there is no race).
test('loading: the list says so until the sessions arrive', async () => {
  const p = await (await browser.newContext()).newPage();
  let release;
  const held = new Promise((r) => { release = r; });
  await p.route(/\/api\/sessions\?/, async (route) => { await held; await route.continue(); });
  await p.goto(admin.url + '/');
  await p.getByRole('status').filter({ hasText: 'Loading…' }).waitFor(T);
  assert.equal(await p.getByRole('table', { name: 'Sessions' }).locator('tbody tr').count(), 0);
  release();
  await p.getByRole('table', { name: 'Sessions' }).getByRole('row', { name: /Cart fixes/ }).waitFor(T);
  assert.equal(await p.getByRole('status').filter({ hasText: 'Loading…' }).count(), 0);
  await p.close();
});

test('a click on a row opens its details, the timeline and the contexts', async () => {
  await table().getByRole('row', { name: /Cart fixes/ }).click();
  await details().waitFor(T);
  const text = await details().innerText();
  for (const want of ['Cart fixes', cart, 'shop', 'claude-code', 'claude-sonnet-4-5', 'Wall time', 'Active time',
    'Estimated', 'src/cart.ts', 'first time right', 'Score'])
    assert.ok(text.includes(want), `details show ${want}: ${text}`);
  const img = page.getByRole('img', { name: `Timeline of ${cart}` });
  await img.waitFor(T);
  assert.equal(await img.evaluate((svg) => svg.querySelectorAll('circle').length),
    Number(sql(`SELECT count(*) FROM aidis.session_timeline('${cart}')`)));
  // The list beside the details: fewer columns, none of them cut off.
  const list = page.locator('#list');
  const [scrollW, clientW] = await list.evaluate((el) => [el.scrollWidth, el.clientWidth]);
  assert.ok(scrollW <= clientW, `the list fits its box: ${scrollW} > ${clientW}`);
  const shown = await table().getByRole('columnheader').evaluateAll((ths) =>
    ths.filter((th) => th.offsetParent !== null).map((th) => th.textContent));
  assert.equal(shown.at(-1), 'Rating', `the last column shown: ${shown}`);
  assert.ok(shown.includes('Title') && shown.includes('Status'), `${shown}`);
  await axe('the details', { schemes: ['light', 'dark'] });
  await shoot('details');

  await details().getByRole('button', { name: 'Contexts (3)' }).click();
  const pane = page.getByRole('region', { name: `Contexts of ${cart}` });
  await pane.getByText('Rounding happens twice in checkout').waitFor(T);
  assert.equal(await pane.getByRole('listitem').count(), 3);
  await axe('the contexts pane');
  await details().getByRole('button', { name: 'Tasks (3)' }).click();
  await page.getByRole('region', { name: `Tasks of ${cart}` }).getByText('Remove double rounding').waitFor(T);
  await details().getByRole('button', { name: 'Decisions (1)' }).click();
  const decisions = page.getByRole('region', { name: `Decisions of ${cart}` });
  await decisions.getByText('Keep money in integer cents').waitFor(T);
  assert.equal(await decisions.getByRole('listitem').count(), 1);
  await decisions.getByRole('button', { name: 'Close' }).click();
  await decisions.waitFor({ state: 'hidden', ...T });
});

test('the details: ids to copy, every counter, tokens, files, score signals', async () => {
  const d = detailsJson(cart);
  const ids = details().getByText(d.id, { exact: true });
  assert.equal(await ids.count(), 1, 'the uuid is shown');
  assert.equal(await details().getByText(cart, { exact: true }).count(), 1, 'the display id is shown');
  for (const [button, value] of [['Copy uuid', d.id], ['Copy display id', cart]]) {
    await page.evaluate(() => navigator.clipboard.writeText(''));
    await details().getByRole('button', { name: button }).click();
    await until(async () => (await page.evaluate(() => navigator.clipboard.readText())) === value,
      `${button} puts ${value} on the clipboard`);
  }

  const f = await facts(details());
  const want = {
    Status: 'active', Project: 'shop', Agent: 'claude-code', Model: 'claude-sonnet-4-5', Goal: 'coupons add up',
    'Tasks completed': en(d.tasks_completed), 'Tasks reopened': en(d.tasks_reopened), Events: en(d.activity_count),
    'Files touched': en(d.files_touched), Lines: `+${en(d.loc_added)} / −${en(d.loc_removed)}`,
    // reported by the agent, and estimated from the text stored: apart
    Input: '12,000', Output: '3,400', 'Cache read': '0', 'Cache write': '0', Estimated: en(d.estimated_tokens),
  };
  for (const [k, v] of Object.entries(want)) assert.equal(f[k], v, `${k}: ${JSON.stringify(f)}`);
  assert.ok(d.estimated_tokens > 0 && d.estimated_tokens !== 12000, 'the estimate is its own number');
  for (const k of ['Created', 'Wall time', 'Active time']) assert.match(f[k], /\d/, `${k}: ${f[k]}`);
  for (const [label, n] of [['Contexts', d.contexts_created], ['Tasks', d.tasks_created], ['Decisions', d.decisions_created]])
    await details().getByRole('button', { name: `${label} (${n})` }).waitFor(T);
  assert.deepEqual([d.contexts_created, d.tasks_created, d.decisions_created, d.tasks_completed, d.files_touched],
    [3, 3, 1, 2, 1]);

  const file = details().getByRole('list', { name: 'Top files' }).getByRole('listitem');
  assert.match(await file.innerText(), /src\/cart\.ts\s+1 change, 0 mentions, \+40\/−12/);

  await details().getByText(`${d.score} / 100 (${d.score_source})`).waitFor(T);
  const signals = details().getByRole('table', { name: 'Score signals' });
  const rows = await signals.locator('tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((c) => c.textContent)));
  const expected = Object.entries(d.score_breakdown.signals).map(([name, s]) =>
    [name.replaceAll('_', ' '), s.applies ? String(s.value) : 'n/a', String(s.weight), String(s.contribution), s.why]);
  assert.deepEqual(rows, expected, 'each signal with its value, weight, contribution and reason');
  assert.equal(rows.length, 7);
});

test('the timeline: a lane per kind, a tooltip per mark, the event list paged', async () => {
  const img = page.getByRole('img', { name: `Timeline of ${cart}` });
  const total = Number(sql(`SELECT count(*) FROM aidis.session_timeline('${cart}')`));
  const [lanes, marks] = await img.evaluate((svg) => [
    [...svg.querySelectorAll('text')].map((t) => t.textContent).filter((t) => /\(\d+\)$/.test(t)),
    [...svg.querySelectorAll('circle')].map((c) => [c.getAttribute('class'), c.querySelector('title')?.textContent])]);
  assert.deepEqual(lanes, ['Contexts (3)', 'Tasks created (3)', 'Tasks completed / reopened (2)', 'Decisions (1)',
    `Other events (${total - 9})`]);
  assert.equal(marks.length, total);
  for (const [cls, title] of marks) assert.match(title ?? '', /\w · [a-z_]+/, `a mark with its tooltip (${cls})`);
  const tip = marks.find(([, t]) => t.includes('context_added: The cart total ignores coupons'));
  assert.ok(tip, 'the tooltip names the event and its summary');
  assert.equal(tip[0], 'mark-context', 'in the contexts lane');
  assert.equal(marks.filter(([c]) => c === 'mark-decision').length, 1);

  const events = page.getByRole('list', { name: 'Events' });
  const more = details().getByRole('button', { name: 'More events' });
  await details().getByRole('heading', { name: `Events (${total})` }).waitFor(T);
  assert.equal(await events.getByRole('listitem').count(), 8, 'the first page of events');
  assert.ok(total > 8, `${total} events: more than a page`);
  for (let shown = 8; shown < total; shown += 8) {
    await more.click();
    assert.equal(await events.getByRole('listitem').count(), Math.min(total, shown + 8));
  }
  assert.equal(await more.isVisible(), false, 'no More events once all are shown');
  assert.match(await events.getByRole('listitem').first().innerText(), /session_started/);
});

test('the side pane pages: more contexts than fit a page', async () => {
  const research = sql(`SELECT display_id FROM aidis.session_base WHERE title = 'Research notes'`);
  await table().getByRole('row', { name: /Research notes/ }).click();
  const region = page.getByRole('region', { name: research });
  await region.getByRole('button', { name: `Contexts (${RESEARCH_NOTES})` }).click();
  const pane = page.getByRole('region', { name: `Contexts of ${research}` });
  await pane.getByRole('listitem').nth(19).waitFor(T);
  assert.equal(await pane.getByRole('listitem').count(), 20, 'a page of 20');
  await pane.getByRole('button', { name: 'Load more' }).click();
  await pane.getByRole('listitem').nth(RESEARCH_NOTES - 1).waitFor(T);
  assert.equal(await pane.getByRole('listitem').count(), RESEARCH_NOTES);
  assert.equal(new Set(await pane.getByRole('listitem').locator('div:first-child').allTextContents()).size,
    RESEARCH_NOTES, 'no context twice');
  await pane.getByRole('button', { name: 'Load more' }).waitFor({ state: 'hidden', ...T });
  await pane.getByRole('button', { name: 'Close' }).click();
  await table().getByRole('row', { name: /Cart fixes/ }).click();
  await details().waitFor(T);
});

test('export: the details download the session, the list every session it shows', async () => {
  const one = await downloaded(details().getByRole('button', { name: 'Export' }));
  const doc = JSON.parse(one.text);
  assert.equal(one.name, `${cart}.json`);
  assert.equal(doc.format, 'aidis-session');
  assert.equal(doc.session.display_id, cart);
  assert.equal(doc.timeline.length, Number(sql(`SELECT count(*) FROM aidis.session_timeline('${cart}')`)));
  assert.ok(doc.files.some((f) => f.path === 'src/cart.ts'), 'its files');

  const project = page.getByRole('search').getByRole('combobox', { name: 'Project' });
  await project.selectOption('blog');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor({ state: 'detached', ...T });
  const list = await downloaded(page.getByRole('search').getByRole('button', { name: 'Export' }));
  assert.equal(list.name, 'sessions.jsonl');
  const shown = list.text.trimEnd().split('\n').map((l) => JSON.parse(l).session.title);
  assert.deepEqual(shown, ['Fix the RSS feed', 'Draft the launch post'], 'the filtered list, oldest first');
  await project.selectOption('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
});
