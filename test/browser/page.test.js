// The sessions page in a real browser, found by role and name as a person
// would: list and filters, details, contexts, timeline, edit (and a refused
// edit), export downloads, the two-step project change, rating, a reader's page, live updates,
// accessibility (axe, WCAG 2.1 A/AA) and the screenshots of docs/serve.md.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import { DB, READER, repo, seed, serve, launch, sql, psql } from './lib.js';

let browser, admin, reader, page, cart;
const shots = `${repo}docs/serve/`;
const T = { timeout: 5000 };

async function axe(label) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const found = r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  assert.deepEqual(found, [], `axe violations in ${label}`);
}

async function shoot(name) {
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    await page.screenshot({ path: `${shots}${name}-${scheme}.png` });
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

const table = () => page.getByRole('table', { name: 'Sessions' });
const details = () => page.getByRole('region', { name: cart });

before(async () => {
  mkdirSync(shots, { recursive: true });
  cart = seed();
  admin = await serve(`dbname=${DB}`);
  reader = await serve(`dbname=${DB} user=${READER}`);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1500, height: 1000 } });
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
  await axe('the list');
  await shoot('list');

  await page.getByRole('searchbox', { name: 'Search' }).fill('launch');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor({ state: 'detached', ...T });
  assert.equal(await table().locator('tbody tr').count(), 1);
  await page.getByRole('searchbox', { name: 'Search' }).fill('');
  await page.getByRole('combobox', { name: 'Status' }).selectOption('inactive');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor({ state: 'detached', ...T });
  await page.getByRole('combobox', { name: 'Status' }).selectOption('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
  const projects = await page.getByRole('combobox', { name: 'Project' }).locator('option').allTextContents();
  assert.deepEqual(projects, ['All', '__unassigned__', 'blog', 'shop']);
  await page.getByRole('combobox', { name: 'Project' }).selectOption('blog');
  await table().getByRole('row', { name: /Checkout speed-up/ }).waitFor({ state: 'detached', ...T });
  assert.deepEqual((await table().locator('tbody tr td:nth-child(2)').allTextContents()).sort(),
    ['Draft the launch post', 'Fix the RSS feed']);
  await page.getByRole('combobox', { name: 'Project' }).selectOption('');
  await table().getByRole('row', { name: /Cart fixes/ }).waitFor(T);
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
  await axe('the details');
  await shoot('details');

  await details().getByRole('button', { name: 'Contexts (3)' }).click();
  const pane = page.getByRole('region', { name: `Contexts of ${cart}` });
  await pane.getByText('Rounding happens twice in checkout').waitFor(T);
  assert.equal(await pane.getByRole('listitem').count(), 3);
  await axe('the contexts pane');
  await details().getByRole('button', { name: 'Tasks (3)' }).click();
  await page.getByRole('region', { name: `Tasks of ${cart}` }).getByText('Remove double rounding').waitFor(T);
  await page.getByRole('region', { name: `Tasks of ${cart}` }).getByRole('button', { name: 'Close' }).click();
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
  await form.getByRole('textbox', { name: 'Title', exact: true }).fill('Cart and coupon fixes');
  await form.getByRole('button', { name: 'Save' }).click();
  await details().getByRole('heading', { name: 'Cart and coupon fixes' }).waitFor(T);
  assert.equal(sql(`SELECT title || '|' || description FROM aidis.sessions WHERE display_id = '${cart}'`),
    'Cart and coupon fixes|Coupons now add up.');
});

test('change project: the first click only warns, the second applies', async () => {
  await details().getByRole('combobox', { name: 'Move to project' }).selectOption('blog');
  await details().getByRole('button', { name: 'Change project' }).click();
  const alert = details().getByRole('alert');
  await alert.waitFor(T);
  assert.match(await alert.innerText(), /from project "shop" to project "blog"/);
  assert.equal(sql(`SELECT project_name FROM aidis.list_sessions(q => '${cart}')`), 'shop', 'nothing moved yet');
  await alert.scrollIntoViewIfNeeded();
  await axe('the project warning');
  await shoot('project-warning');
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
  await dlg.getByRole('textbox', { name: 'Session A' }).fill('SES-2026-0001');
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
  await form.getByRole('button', { name: 'Save' }).click();
  await form.getByRole('alert').waitFor(T);
  assert.match(await form.getByRole('alert').innerText(), /permission denied/);
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
              (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k, count(*) OVER () - 1 AS n
               FROM aidis.session_activities) x
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
