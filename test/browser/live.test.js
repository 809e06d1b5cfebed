// Live updates of the open page, without a reload: a session touched
// elsewhere, one given a context elsewhere, one ended elsewhere and one timed
// out elsewhere (the sweep, with a backdated last activity: no waiting for
// the real clock). Each is timed from just before the SQL statement (its
// commit is inside that) to the change on the page, and must take under 2 s.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { psql, serve, launch } from './lib.js';

const DB = 'aidis_browser_live';
const LIMIT_MS = 2000;
let browser, server, page;
const ids = {};

const sql = (q) => psql(DB, q);
const table = () => page.getByRole('table', { name: 'Sessions' });
const row = (title) => table().getByRole('row', { name: new RegExp(title) });
// The cell of a column by the column's name: with the details open the
// list hides some columns (Agent, Contexts, Tasks, Score).
async function cell(title, column) {
  const n = (await table().getByRole('columnheader').allInnerTexts()).indexOf(column);
  assert.ok(n >= 0, `column ${column} is shown`);
  return row(title).getByRole('cell').nth(n);
}
const details = (title) => page.getByRole('region', { name: ids[title].display });
const fact = (title, term) => details(title).locator(`dt:text-is("${term}") + dd`);

// Runs `statement`, then reads the page until `done(value)`; returns the
// milliseconds from before the statement to the change.
async function timed(statement, read, done) {
  const t0 = performance.now();
  sql(statement);
  let value;
  while (performance.now() - t0 < 10000) {
    value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return Math.round(performance.now() - t0);
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.fail(`the page did not change within 10 s; last seen: ${JSON.stringify(value)}`);
}

before(async () => {
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  psql('postgres', `CREATE DATABASE ${DB}`);
  sql(`SET client_min_messages = warning; CREATE EXTENSION aidis_sessions CASCADE`);
  sql(`SELECT aidis.create_project('shop')`);
  for (const [key, title] of [['t', 'Touched elsewhere'], ['c', 'Given a context elsewhere'],
    ['e', 'Ended elsewhere'], ['o', 'Timed out elsewhere']]) {
    const [id, display] = sql(`SELECT id || ' ' || display_id FROM aidis.start_session(agent => 'codex',
      client_key => '${key}', project => 'shop', title => '${title}', bind => 'none')`).split(' ');
    ids[title] = { id, display };
  }
  sql(`INSERT INTO aidis.contexts (session_id, content) VALUES ('${ids['Given a context elsewhere'].id}', 'first')`);
  // An hour of quiet: a touch moves the last activity visibly.
  sql(`UPDATE aidis.session_base SET started_at = started_at - interval '2 hours',
         created_at = created_at - interval '2 hours', last_activity_at = last_activity_at - interval '1 hour'
       WHERE id = '${ids['Touched elsewhere'].id}'`);
  server = await serve(`dbname=${DB}`);
  browser = await launch();
  page = await (await browser.newContext({ viewport: { width: 1500, height: 1000 } })).newPage();
  await page.goto(server.url + '/');
  await row('Timed out elsewhere').waitFor({ timeout: 5000 });
});

after(async () => {
  await browser?.close();
  server?.child.kill();
  if (server && server.child.exitCode === null && !server.child.signalCode)
    await new Promise((r) => server.child.once('exit', r));
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
});

// First the list, while every column shows; then the sessions whose details are open.
test('a session given a context elsewhere: its row counts it', async () => {
  const title = 'Given a context elsewhere';
  assert.equal(await (await cell(title, 'Contexts')).innerText(), '1');
  const ms = await timed(`INSERT INTO aidis.contexts (session_id, content) VALUES ('${ids[title].id}', 'second')`,
    async () => (await cell(title, 'Contexts')).innerText(), (v) => v === '2');
  console.log(`# context: the page showed it ${ms} ms after the statement`);
  assert.ok(ms < LIMIT_MS, `${ms} ms`);
});

test('a session ended elsewhere: its row shows it inactive', async () => {
  const title = 'Ended elsewhere';
  assert.equal(await (await cell(title, 'Status')).innerText(), 'active');
  const ms = await timed(`SELECT aidis.end_session('${ids[title].id}')`,
    async () => (await cell(title, 'Status')).innerText(), (v) => v === 'inactive');
  console.log(`# ended: the page showed it ${ms} ms after the statement`);
  assert.ok(ms < LIMIT_MS, `${ms} ms`);
});

test('a session touched elsewhere: its row, then its open details, show the new last activity', async () => {
  const title = 'Touched elsewhere';
  const touch = `SELECT aidis.touch('${ids[title].id}')`;
  // The row, while the list shows every column (the Duration cell's tooltip).
  const rowShown = async () => (await cell(title, 'Duration')).getAttribute('title');
  const rowBefore = await rowShown();
  assert.match(rowBefore, /^Last activity /);
  const msRow = await timed(touch, rowShown, (r) => r !== rowBefore);
  assert.equal(sql(`SELECT last_activity_at > now() - interval '1 minute' FROM aidis.sessions WHERE id = '${ids[title].id}'`),
    't', 'the touch was recorded');
  console.log(`# touched (row): the page showed it ${msRow} ms after the statement`);
  assert.ok(msRow < LIMIT_MS, `${msRow} ms`);
  // The open details (the list beside them hides Duration). Shown to the
  // second: the next touch must fall in another second.
  await row(title).click();
  await fact(title, 'Last activity').waitFor({ timeout: 5000 });
  const detailsBefore = await fact(title, 'Last activity').innerText();
  await new Promise((r) => setTimeout(r, 1100));
  const msDetails = await timed(touch, () => fact(title, 'Last activity').innerText(), (d) => d !== detailsBefore);
  console.log(`# touched (details): the page showed it ${msDetails} ms after the statement`);
  assert.ok(msDetails < LIMIT_MS, `${msDetails} ms`);
});

test('a session timed out elsewhere: its row and its open details show it', async () => {
  const title = 'Timed out elsewhere';
  await row(title).click();
  await fact(title, 'Status').waitFor({ timeout: 5000 });
  assert.equal(await fact(title, 'Status').innerText(), 'active');
  // Idle for three hours as far as the sweep can tell; the others were active just now.
  sql(`UPDATE aidis.session_base SET last_activity_at = clock_timestamp() - interval '3 hours'
       WHERE id = '${ids[title].id}';
       UPDATE aidis.session_deltas SET last_activity_at = clock_timestamp() - interval '3 hours'
       WHERE session_id = '${ids[title].id}'`);
  const ms = await timed(`SET aidis.session_timeout = '2h'; SELECT aidis.expire_idle_sessions()`,
    async () => [await (await cell(title, 'Status')).innerText(), await fact(title, 'Status').innerText()],
    ([r, d]) => r === 'inactive' && d === 'inactive (timeout)');
  assert.equal(sql(`SELECT status || ' ' || end_reason FROM aidis.sessions WHERE id = '${ids[title].id}'`),
    'inactive timeout');
  assert.equal(sql(`SELECT count(*) FROM aidis.sessions WHERE status = 'active'`), '2',
    'only the idle session timed out');
  console.log(`# timed out: the page showed it ${ms} ms after the statement`);
  assert.ok(ms < LIMIT_MS, `${ms} ms`);
});
