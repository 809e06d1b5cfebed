// The sessions page in a real browser, the changes a person makes: edit
// (and refused edits), the two-step project change and its resets, rating,
// ending, compare and stats, a reader's page (42501), live updates, the
// keyboard, timelines of 10 minutes and 10 hours, the database going away.
// (The reading half is page.test.js; page_shared.js holds what both use.)
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
  // Where a person starts changing things: the seeded session's details open.
  await page.goto(admin.url + '/');
  await table().getByRole('row', { name: /Cart fixes/ }).click();
  await details().waitFor(T);
});
after(tearDown);

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
