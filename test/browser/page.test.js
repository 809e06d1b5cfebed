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
import { mkdirSync, readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { DB, READER, repo, seed, serve, launch, sql, psql, RESEARCH_NOTES } from './lib.js';

let browser, admin, reader, page, cart;
const shots = `${repo}docs/serve/`;
const T = { timeout: 5000 };

async function axe(label, { schemes = ['light'] } = {}) {
  for (const scheme of schemes) {
    await page.emulateMedia({ colorScheme: scheme });
    const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
    const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
    assert.deepEqual(found, [], `axe violations in ${label} (${scheme})`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// Light and dark. `until`: the shot covers the page from its top (the
// heading) down to the bottom of that element, however far down it is.
async function shoot(name, { until } = {}) {
  let clip;
  await page.evaluate(() => window.scrollTo(0, 0));
  if (until) {
    const box = await until.boundingBox();
    clip = { x: 0, y: 0, width: page.viewportSize().width, height: Math.ceil(box.y + box.height + 16) };
  }
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${shots}${name}-${scheme}.png`, ...(clip ? { clip, fullPage: true } : {}) });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

// Polls fn() until it returns true (a live refresh or a fetch may be under way).
async function until(fn, message, timeout = 5000) {
  const end = Date.now() + timeout;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) assert.fail(message);
    await new Promise((r) => setTimeout(r, 50));
  }
}

// The terms and definitions (<dl>) inside a locator, as { term: text }.
async function facts(where) {
  const pairs = await where.locator('dl.facts').evaluateAll((dls) => dls.flatMap((dl) =>
    [...dl.querySelectorAll('dt')].map((dt) => [dt.textContent, dt.nextElementSibling.textContent])));
  return Object.fromEntries(pairs);
}

const statuses = async () => (await table().locator('tbody tr td:nth-child(5)').allTextContents());
const titles = async () => (await table().locator('tbody tr td:nth-child(2)').allTextContents());
const en = (n) => Number(n).toLocaleString('en-US');
const detailsJson = (id) => JSON.parse(sql(`SELECT aidis.session_details('${id}')`));

const table = () => page.getByRole('table', { name: 'Sessions' });
const details = () => page.getByRole('region', { name: cart });

before(async () => {
  mkdirSync(shots, { recursive: true });
  cart = seed();
  admin = await serve(`dbname=${DB}`);
  reader = await serve(`dbname=${DB} user=${READER}`);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 }, locale: 'en-US' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: admin.url });
  page = await context.newPage();
});

after(async () => {
  await browser?.close();
  admin?.child.kill();
  reader?.child.kill();
  await Promise.all([admin, reader].filter(Boolean).map((s) =>
    new Promise((r) => (s.child.exitCode !== null || s.child.signalCode ? r() : s.child.once('exit', r)))));
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
});

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

// The file a click downloads, as text.
async function downloaded(button) {
  const [file] = await Promise.all([page.waitForEvent('download', T), button.click()]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

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

test('edit: a refusal shows the server message and keeps the text; a valid edit saves', async () => {
  await details().getByRole('button', { name: 'Edit' }).click();
  const form = page.getByRole('form', { name: 'Edit session' });
  const long = 'x'.repeat(2001);
  await form.getByRole('textbox', { name: 'Description' }).fill(long);
  await form.getByText('2001 / 2000').waitFor(T);
  await axe('the edit form');
  await form.getByRole('button', { name: 'Save' }).click();
  const alert = form.getByRole('alert');
  await alert.waitFor(T);
  assert.match(await alert.innerText(), /2000/);
  assert.equal(await form.getByRole('textbox', { name: 'Description' }).inputValue(), long, 'the typed text stays');
  assert.equal(sql(`SELECT coalesce(description, '') FROM aidis.sessions WHERE display_id = '${cart}'`), '');

  await form.getByRole('textbox', { name: 'Description' }).fill('Coupons now add up.');
  const title = form.getByRole('textbox', { name: 'Title', exact: true });
  // Title: 1 to 255 characters, checked by the server, whose message shows.
  for (const [typed, said] of [['', /the title cannot be cleared \(22023\)/],
    ['t'.repeat(256), /title is 256 characters long; at most 255 are allowed \(22023\)/]]) {
    await title.fill(typed);
    await form.getByRole('button', { name: 'Save' }).click();
    await form.getByRole('alert').filter({ hasText: said }).waitFor(T);
    assert.equal(await title.inputValue(), typed, 'the typed title stays');
    assert.equal(await form.getByRole('textbox', { name: 'Description' }).inputValue(), 'Coupons now add up.');
    assert.equal(sql(`SELECT title FROM aidis.sessions WHERE display_id = '${cart}'`), 'Cart fixes');
  }

  await title.fill('Cart and coupon fixes');
  await form.getByRole('textbox', { name: 'Goal' }).fill('Coupons add up on every line');
  await form.getByRole('textbox', { name: 'Tags' }).fill('cart, coupons');
  await form.getByRole('textbox', { name: 'Notes' }).fill('Rounding now happens once, at the end.');
  await form.getByRole('button', { name: 'Save' }).click();
  await details().getByRole('heading', { name: 'Cart and coupon fixes' }).waitFor(T);
  assert.equal(await form.count(), 0, 'the form closes');
  assert.equal(sql(`SELECT concat_ws('|', title, description, goal, array_to_string(tags, ','), notes)
                    FROM aidis.sessions WHERE display_id = '${cart}'`),
    'Cart and coupon fixes|Coupons now add up.|Coupons add up on every line|cart,coupons|Rounding now happens once, at the end.');
  const f = await facts(details());
  assert.equal(f.Goal, 'Coupons add up on every line');
  assert.equal(f.Tags, 'cart, coupons');
  await details().getByText('Coupons now add up.', { exact: true }).waitFor(T);
  await details().getByText('Rounding now happens once, at the end.', { exact: true }).waitFor(T);
});

test('change project: Cancel and another selection reset the first click', async () => {
  const target = details().getByRole('combobox', { name: 'Move to project' });
  const alert = details().getByRole('alert');
  const project = () => sql(`SELECT project_name FROM aidis.list_sessions(q => '${cart}')`);
  await target.selectOption('blog');
  await details().getByRole('button', { name: 'Change project' }).click();
  await details().getByRole('button', { name: 'Confirm change' }).waitFor(T);
  await alert.waitFor(T);
  await details().getByRole('button', { name: 'Cancel' }).click();
  await details().getByRole('button', { name: 'Change project' }).waitFor(T);
  assert.equal(await details().getByRole('button', { name: 'Confirm change' }).count(), 0);
  assert.equal(await alert.count(), 0, 'the warning goes');
  assert.equal(await details().getByRole('button', { name: 'Cancel' }).isVisible(), false);
  assert.equal(project(), 'shop', 'Cancel moves nothing');

  await details().getByRole('button', { name: 'Change project' }).click();
  await details().getByRole('button', { name: 'Confirm change' }).waitFor(T);
  await target.selectOption('archive');
  await details().getByRole('button', { name: 'Change project' }).waitFor(T);
  assert.equal(await details().getByRole('button', { name: 'Confirm change' }).count(), 0);
  assert.equal(await alert.count(), 0);
  assert.equal(project(), 'shop', 'another selection moves nothing');
});

test('change project: the first click only warns, the second applies', async () => {
  await details().getByRole('combobox', { name: 'Move to project' }).selectOption('blog');
  await details().getByRole('button', { name: 'Change project' }).click();
  const alert = details().getByRole('alert');
  await alert.waitFor(T);
  assert.match(await alert.innerText(), /from project "shop" to project "blog"/);
  assert.equal(sql(`SELECT project_name FROM aidis.list_sessions(q => '${cart}')`), 'shop', 'nothing moved yet');
  await axe('the project warning');
  await shoot('project-warning', { until: details().getByRole('group', { name: 'Project' }) });
  await details().getByRole('button', { name: 'Confirm change' }).click();
  await details().getByRole('button', { name: 'Change project' }).waitFor(T);
  assert.equal(sql(`SELECT project_name FROM aidis.list_sessions(q => '${cart}')`), 'blog');
});

test('rating: four stars', async () => {
  await details().getByRole('radiogroup', { name: 'Rating' }).getByRole('radio', { name: '4 stars' }).check();
  await details().getByRole('textbox', { name: 'Rating note' }).fill('good, one redo');
  const save = details().getByRole('button', { name: 'Save rating' });
  const drawn = await save.elementHandle();
  await save.click();
  // The details are drawn again from the saved rating: the next test's clicks land on the new ones.
  await drawn.waitForElementState('hidden', T);
  await table().getByRole('row', { name: /4 of 5/ }).waitFor(T);
  assert.equal(sql(`SELECT rating || '|' || rating_note FROM aidis.sessions WHERE display_id = '${cart}'`), '4|good, one redo');
  const stars = details().getByRole('radiogroup', { name: 'Rating' });
  assert.equal(await stars.getByRole('radio', { name: '4 stars' }).isChecked(), true, 'the details show the rating');
  assert.equal(await stars.getByRole('radio', { checked: true }).count(), 1);
  assert.equal(await details().getByRole('textbox', { name: 'Rating note' }).inputValue(), 'good, one redo');
});

test('end session: asks once more, then ends it', async () => {
  await details().getByRole('button', { name: 'End session' }).click();
  assert.equal(sql(`SELECT status FROM aidis.sessions WHERE display_id = '${cart}'`), 'active', 'the first click only asks');
  await details().getByRole('button', { name: 'Confirm end' }).click();
  await table().getByRole('row', { name: new RegExp(`${cart}.*inactive`) }).waitFor(T);
  assert.equal(sql(`SELECT status FROM aidis.sessions WHERE display_id = '${cart}'`), 'inactive');
  assert.equal(await details().getByRole('button', { name: 'End session' }).count(), 0, 'no End button once ended');
});

test('compare and stats', async () => {
  await page.getByRole('button', { name: 'Compare' }).click();
  const dlg = page.getByRole('dialog', { name: 'Compare' });
  await dlg.getByRole('textbox', { name: 'Session A' })
    .fill(sql(`SELECT display_id FROM aidis.session_base WHERE title = 'Draft the launch post'`));
  await dlg.getByRole('textbox', { name: 'Session B' }).fill(cart);
  await dlg.getByRole('button', { name: 'Show' }).click();
  const cmp = dlg.getByRole('table', { name: 'Comparison' });
  await cmp.waitFor(T);
  assert.match(await cmp.getByRole('row', { name: /contexts created/ }).innerText(), /1\s+3\s+\+2/);
  await axe('the comparison');
  await dlg.getByRole('button', { name: 'Close' }).click();

  await page.getByRole('button', { name: 'Stats' }).click();
  const stats = page.getByRole('dialog', { name: 'Stats' });
  await stats.getByRole('combobox', { name: 'Period' }).selectOption('month');
  await stats.getByText('Tasks created').waitFor(T);
  const days = Number(sql(`SELECT count(*) FROM aidis.session_stats_daily('month')`));
  const chart = stats.getByRole('img', { name: 'Sessions per day' });
  await chart.locator('rect.bar').nth(days - 1).waitFor(T);  // the month's chart, not the week's
  assert.equal(await chart.locator('rect.bar').count(), days, 'a bar per day');
  await axe('the stats');
  await stats.getByRole('button', { name: 'Close' }).click();
});

test('live: a session started elsewhere shows up without a reload', async () => {
  sql(`SELECT aidis.start_session(agent => 'codex', client_key => 'live', project => 'shop', title => 'Started elsewhere')`);
  await table().getByRole('row', { name: /Started elsewhere/ }).waitFor(T);
  sql(`SELECT aidis.end_session(display_id) FROM aidis.sessions WHERE title = 'Started elsewhere'`);
  await table().getByRole('row', { name: /Started elsewhere.*inactive/ }).waitFor(T);
});

test("a reader's page: the edit is refused with the server's 42501", async () => {
  const p = await (await browser.newContext()).newPage();
  await p.goto(reader.url + '/');
  await p.getByRole('table', { name: 'Sessions' }).getByRole('row', { name: /Cart and coupon fixes/ }).click();
  await p.getByRole('region', { name: cart }).getByRole('button', { name: 'Edit' }).click();
  const form = p.getByRole('form', { name: 'Edit session' });
  await form.getByRole('textbox', { name: 'Title', exact: true }).fill('Not allowed');
  const [res] = await Promise.all([p.waitForResponse((r) => r.url().endsWith('/edit'), T),
    form.getByRole('button', { name: 'Save' }).click()]);
  assert.equal(res.status(), 403);
  assert.equal((await res.json()).code, '42501');
  await form.getByRole('alert').waitFor(T);
  assert.match(await form.getByRole('alert').innerText(), /^permission denied .*\(42501\)$/);
  assert.equal(await form.getByRole('textbox', { name: 'Title', exact: true }).inputValue(), 'Not allowed');
  assert.equal(sql(`SELECT title FROM aidis.sessions WHERE display_id = '${cart}'`), 'Cart and coupon fixes');
  await p.close();
});

test('by keyboard: Tab to a session, Enter opens its details', async () => {
  const p = await (await browser.newContext()).newPage();
  await p.goto(admin.url + '/');
  const first = p.getByRole('table', { name: 'Sessions' }).getByRole('button').first();
  await first.waitFor(T);
  await p.getByRole('searchbox', { name: 'Search' }).focus();
  // Search → Status → Project → Export → the first session's display id.
  for (let i = 0; i < 4; i++) await p.keyboard.press('Tab');
  const focused = await p.evaluate(() => document.activeElement.textContent);
  assert.equal(focused, await first.innerText());
  await p.keyboard.press('Enter');
  await p.getByRole('region', { name: focused }).waitFor(T);
  await p.close();
});

// Presses Tab (or Shift+Tab) until the locator has the focus.
async function tabTo(p, locator, key = 'Tab') {
  for (let i = 0; i < 60; i++) {
    if (await locator.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await p.keyboard.press(key);
  }
  assert.fail(`${key} never reached ${locator}`);
}

test('by keyboard only: filters, a row, its contexts, and the edit form saved', async () => {
  const p = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await p.goto(admin.url + '/');
  const list = p.getByRole('table', { name: 'Sessions' });
  await list.getByRole('row', { name: /Cart and coupon fixes/ }).waitFor(T);
  await tabTo(p, p.getByRole('searchbox', { name: 'Search' }));
  await p.keyboard.type('Flaky');
  await list.getByRole('row', { name: /Cart and coupon fixes/ }).waitFor({ state: 'detached', ...T });
  const status = p.getByRole('combobox', { name: 'Status' });
  await tabTo(p, status);
  await p.keyboard.press('ArrowDown');  // All → active: the flaky test ended, so nothing
  await p.getByRole('status').filter({ hasText: 'No sessions match.' }).waitFor(T);
  await p.keyboard.press('ArrowDown');  // → inactive
  assert.equal(await status.inputValue(), 'inactive');
  const id = sql(`SELECT display_id FROM aidis.session_base WHERE title = 'Flaky cart test'`);
  const open = list.getByRole('button', { name: id });
  await open.waitFor(T);
  await tabTo(p, open);
  await p.keyboard.press('Enter');
  const region = p.getByRole('region', { name: id });
  await region.waitFor(T);
  const contexts = region.getByRole('button', { name: 'Contexts (1)' });
  await tabTo(p, contexts);
  await p.keyboard.press('Enter');
  await p.getByRole('region', { name: `Contexts of ${id}` }).getByText('notes on Flaky cart test').waitFor(T);

  await tabTo(p, region.getByRole('button', { name: 'Edit' }), 'Shift+Tab');
  await p.keyboard.press('Enter');
  const form = p.getByRole('form', { name: 'Edit session' });
  await tabTo(p, form.getByRole('textbox', { name: 'Notes' }));
  await p.keyboard.type('Saved by keyboard.');
  await tabTo(p, form.getByRole('button', { name: 'Save' }));
  await p.keyboard.press('Enter');
  await form.waitFor({ state: 'detached', ...T });
  assert.equal(sql(`SELECT notes FROM aidis.sessions WHERE display_id = '${id}'`), 'Saved by keyboard.');
  await p.close();
});

// Sessions of 10 minutes and of 10 hours: the axis has a handful of distinct
// tick labels either way, and every event has its mark.
test('the timeline reads at 10 minutes and at 10 hours', async () => {
  for (const [key, title, span] of [['k8', 'Ten minute spike', '10 minutes'], ['k9', 'Ten hour refactor', '10 hours']]) {
    sql(`SELECT aidis.start_session(agent => 'claude-code', client_key => '${key}', project => 'shop',
           title => '${title}', force_new => true);
         INSERT INTO aidis.contexts (content) VALUES ('first note'), ('second note'), ('third note');
         INSERT INTO aidis.tasks (title) VALUES ('one task');
         SELECT aidis.end_session()`);
    sql(`UPDATE aidis.session_base b SET started_at = b.started_at - interval '${span}',
           ended_at = b.started_at - interval '${span}' + interval '${span}' WHERE b.client_key = '${key}';
         UPDATE aidis.session_activities a SET occurred_at = b.started_at + (interval '${span}') * x.k / x.n
         FROM aidis.session_base b,
              (SELECT id, row_number() OVER w - 1 AS k, count(*) OVER (PARTITION BY session_id) - 1 AS n
               FROM aidis.session_activities WINDOW w AS (PARTITION BY session_id ORDER BY id)) x
         WHERE b.client_key = '${key}' AND a.session_id = b.id AND x.id = a.id`);
    const id = sql(`SELECT display_id FROM aidis.session_base WHERE client_key = '${key}'`);
    await page.reload();
    await table().getByRole('row', { name: new RegExp(title) }).click();
    const img = page.getByRole('img', { name: `Timeline of ${id}` });
    await img.waitFor(T);
    // Read the chart in one step: a live refresh may replace it meanwhile.
    const [ticks, marks] = await img.evaluate((svg) => [
      [...svg.querySelectorAll('text[text-anchor="middle"]')].map((t) => t.textContent),
      svg.querySelectorAll('circle').length]);
    assert.ok(ticks.length >= 3 && ticks.length <= 12, `${span}: ${ticks.length} tick labels: ${ticks}`);
    assert.equal(new Set(ticks).size, ticks.length, `${span}: distinct tick labels: ${ticks}`);
    assert.equal(marks, Number(sql(`SELECT count(*) FROM aidis.session_timeline('${id}')`)));
  }
});

// The database goes away (no new connections, every backend ended) and comes
// back: the banner says so, then clears by itself, and the list works again.
test('database unavailable: the banner shows, then the page recovers by itself', async () => {
  await page.reload();
  await table().waitFor(T);
  const banner = page.getByRole('status').filter({ hasText: 'recovers by itself' });
  psql('postgres', `ALTER DATABASE ${DB} ALLOW_CONNECTIONS false`);
  try {
    psql('postgres', `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${DB}'`);
    await banner.waitFor({ timeout: 15000 });
  } finally {
    psql('postgres', `ALTER DATABASE ${DB} ALLOW_CONNECTIONS true`);
  }
  await banner.waitFor({ state: 'detached', timeout: 20000 });
  await page.getByRole('searchbox', { name: 'Search' }).fill(cart);
  await table().getByRole('row', { name: new RegExp(cart) }).waitFor({ timeout: 15000 });
});
