// Fixtures of the browser tests: a database of the suite's cluster (PGHOST,
// PGPORT, PGUSER), `aidis serve` processes on free ports, Debian's chromium.
import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium } from 'playwright-core';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname } from 'node:path';

export const DB = 'aidis_browser';
export const READER = 'aidis_browser_reader';
export const repo = new URL('../../', import.meta.url).pathname;
export const bin = process.env.AIDIS_BIN || `${repo}build/aidis`;

export function psql(db, sql) {
  const r = spawnSync('psql', ['-d', db, '-qXAt', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout.trim();
}

export function sql(q) { return psql(DB, q); }

// A fresh database with the extension and a few sessions to look at.
export function seed() {
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  psql('postgres', `CREATE DATABASE ${DB}`);
  sql('CREATE EXTENSION aidis_sessions CASCADE');
  psql('postgres', `DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${READER}') THEN
    CREATE ROLE ${READER} LOGIN; END IF; END $$; GRANT aidis_reader TO ${READER}`);
  sql(`SELECT aidis.create_project('shop'); SELECT aidis.create_project('blog')`);
  const start = (key, project, title, goal) => `SELECT aidis.start_session(agent => 'claude-code', client_key => '${key}',
    project => '${project}', title => '${title}', goal => '${goal}', ai_model => 'claude-sonnet-4-5', force_new => true);`;
  sql(start('k1', 'blog', 'Draft the launch post', 'a first draft') +
      `INSERT INTO aidis.contexts (content) VALUES ('Outline: problem, fix, numbers');
       INSERT INTO aidis.tasks (title) VALUES ('Write the intro');
       SELECT aidis.end_session()`);
  // Older sessions, so that the list looks like a real one.
  const older = [['k3', 'shop', 'Checkout speed-up', 'p95 under 200 ms'], ['k4', 'blog', 'Fix the RSS feed', 'valid feed'],
    ['k5', 'shop', 'Upgrade the payment SDK', 'no deprecated calls'], ['k6', 'shop', 'Flaky cart test', 'green CI']];
  for (const [key, project, title, goal] of older)
    sql(start(key, project, title, goal) + `INSERT INTO aidis.contexts (content) VALUES ('notes on ${title}');
      INSERT INTO aidis.tasks (title) VALUES ('${goal}'); SELECT aidis.end_session()`);
  sql(`UPDATE aidis.session_base SET started_at = started_at - (substr(client_key, 2)::int * interval '7 hours'),
         ended_at = started_at - (substr(client_key, 2)::int * interval '7 hours') + interval '47 minutes'
       WHERE client_key IN ('k3', 'k4', 'k5', 'k6')`);
  sql(start('k2', 'shop', 'Cart fixes', 'coupons add up') +
      `INSERT INTO aidis.contexts (content) VALUES ('The cart total ignores coupons'), ('Coupons are stored per line'),
         ('Rounding happens twice in checkout');
       INSERT INTO aidis.tasks (title) VALUES ('Fix coupon total'), ('Add a test for rounding'), ('Remove double rounding');
       UPDATE aidis.tasks SET status = 'completed' WHERE title IN ('Fix coupon total', 'Add a test for rounding');
       INSERT INTO aidis.decisions (title) VALUES ('Keep money in integer cents');
       SELECT aidis.record_usage(12000, 3400);
       SELECT aidis.record_file('src/cart.ts', 40, 12)`);
  // Spread the events over two hours, as a real session would; the other session a day before.
  sql(`UPDATE aidis.session_base SET started_at = started_at - interval '1 day', created_at = created_at - interval '1 day',
         ended_at = ended_at - interval '1 day' + interval '25 minutes' WHERE title = 'Draft the launch post';
       UPDATE aidis.session_activities a SET occurred_at = a.occurred_at - interval '1 day'
       FROM aidis.session_base b WHERE b.id = a.session_id AND b.title = 'Draft the launch post';
       UPDATE aidis.session_base SET started_at = started_at - interval '2 hours', created_at = created_at - interval '2 hours'
       WHERE title = 'Cart fixes';
       UPDATE aidis.session_activities a SET occurred_at = b.started_at + (a.id - m.first) * interval '9 minutes'
       FROM aidis.session_base b, (SELECT min(x.id) AS first FROM aidis.session_activities x
                                   JOIN aidis.session_base y ON y.id = x.session_id AND y.title = 'Cart fixes') m
       WHERE b.id = a.session_id AND b.title = 'Cart fixes'`);
  // A third project: a session ended by disconnecting it, one with more
  // contexts than a page of the side pane, and enough old sessions for the
  // list to need "Load more". All older than the sessions above.
  sql(`SELECT aidis.create_project('archive')`);
  sql(start('k20', 'archive', 'Old prototype', 'a first sketch'));
  sql(`SELECT aidis.disconnect_project('archive'); SELECT aidis.reconnect_project('archive')`);
  sql(start('k21', 'archive', 'Research notes', 'collect the options') +
      `INSERT INTO aidis.contexts (content) SELECT 'Research note ' || n FROM generate_series(1, ${RESEARCH_NOTES}) n;
       SELECT aidis.end_session()`);
  sql(`DO $$ DECLARE s uuid;
         topics text[] := ARRAY['Tidy the logging', 'Speed up the search index', 'Retry failed webhooks',
           'Update the README', 'Fix the date picker', 'Migrate the settings page', 'Review the error budget',
           'Trim the Docker image', 'Upgrade the ORM', 'Clean up feature flags', 'Profile the nightly job'];
         agents text[] := ARRAY['codex', 'claude-code', 'cursor-vscode'];
       BEGIN
         FOR n IN 1..${ARCHIVED} LOOP
           SELECT id INTO s FROM aidis.start_session(agent => agents[1 + n % 3], client_key => 'bulk' || n,
             project => 'archive', title => topics[1 + n % 11] || ', part ' || (1 + n / 11), force_new => true);
           PERFORM aidis.end_session(s::text);
         END LOOP; END $$`);
  sql(`UPDATE aidis.session_base b SET started_at = b.started_at - x.back, created_at = b.created_at - x.back,
         ended_at = b.ended_at - x.back + interval '30 minutes'
       FROM (SELECT id, CASE client_key WHEN 'k20' THEN interval '10 days' WHEN 'k21' THEN interval '5 days'
                      ELSE interval '40 days' + substr(client_key, 5)::int * interval '1 hour' END AS back
             FROM aidis.session_base WHERE client_key IN ('k20', 'k21') OR client_key LIKE 'bulk%') x
       WHERE b.id = x.id;
       UPDATE aidis.session_activities a SET occurred_at = b.started_at
       FROM aidis.session_base b WHERE b.id = a.session_id AND (b.client_key = 'k20' OR b.client_key LIKE 'bulk%');
       UPDATE aidis.session_activities a SET occurred_at = b.started_at + a.id % 1000 * interval '1 second'
       FROM aidis.session_base b WHERE b.id = a.session_id AND b.client_key = 'k21'`);
  return sql(`SELECT display_id FROM aidis.session_base WHERE title = 'Cart fixes'`);
}

export const RESEARCH_NOTES = 25;  // more than a page (20) of the side pane
export const ARCHIVED = 55;        // with the others, more than a page (50) of the list

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
  });
}

// Starts `aidis serve`; resolves once it answers.
export async function serve(conninfo, extraEnv = {}) {
  const port = await freePort();
  const child = spawn(bin, ['serve', '-d', conninfo, '--listen', `127.0.0.1:${port}`],
    { env: { ...process.env, ...extraEnv }, stdio: ['ignore', 'inherit', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(url + '/')).ok) return { url, child, port }; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill();
  throw new Error('aidis serve did not start');
}

export async function launch() {
  const require = createRequire(import.meta.url);
  const pw = require('playwright-core/package.json').version;
  const dir = dirname(require.resolve('playwright-core/package.json'));
  const browsers = JSON.parse(readFileSync(`${dir}/browsers.json`, 'utf8')).browsers;
  const bundled = browsers.find((b) => b.name === 'chromium').browserVersion;
  const debian = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim();
  console.log(`# playwright-core ${pw} (bundled Chromium ${bundled}); ${debian}`);
  // Playwright speaks the DevTools protocol of its own Chromium; another major
  // version may drop or change what it relies on, with confusing failures later.
  const major = (v) => (v.match(/(\d+)\.\d+\.\d+/) || [])[1];
  if (major(debian) !== major(bundled))
    throw new Error(`Debian's chromium is major ${major(debian)} (${debian}) but playwright-core ${pw} expects ` +
      `Chromium ${major(bundled)} (${bundled}, browsers.json): install the playwright-core release made for ` +
      `Chromium ${major(debian)} in test/browser/package.json and package-lock.json`);
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}
