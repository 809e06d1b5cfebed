// `aidis mcp` with the official MCP TypeScript SDK client: the real binary
// (AIDIS_BIN) against the real cluster of the suite (PGHOST/PGPORT/PGUSER).
// Agent from clientInfo.name, project from roots or --project, one session per
// client (by AIDIS_CLIENT_KEY or by parent process), every tool with good and
// bad arguments, activity on every call of each tool, what session_brief tells,
// the project filter of sessions_list, the cache tokens of session_record_usage,
// exit 0 on stdin close with the session left active, and JSON-RPC errors on the wire.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ErrorCode, ListRootsRequestSchema, McpError, EmptyResultSchema } from '@modelcontextprotocol/sdk/types.js';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const BIN = process.env.AIDIS_BIN ?? resolve(REPO, 'build/aidis');
const DB = 'aidis_mcp_t';
const ROLE = 'aidis_mcp_t_writer'; // the server runs with aidis_writer only
const CONN = `dbname=${DB} user=${ROLE}`;
const ROOT = '/srv/aidis-mcp-t'; // only compared as text: nothing is created there

function psql(db, query) {
  return execFileSync('psql', ['-XAtq', '-v', 'ON_ERROR_STOP=1', '-d', db, '-c', query], {
    encoding: 'utf8', env: { ...process.env, PGOPTIONS: '-c client_min_messages=warning' },
  }).trim();
}
const sql = (query) => psql(DB, query);
const lit = (s) => `'${String(s).replaceAll("'", "''")}'`;

before(() => {
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  psql('postgres', `DROP ROLE IF EXISTS ${ROLE}`);
  psql('postgres', `CREATE DATABASE ${DB}`);
  sql('CREATE EXTENSION aidis_sessions CASCADE');
  sql(`CREATE ROLE ${ROLE} LOGIN IN ROLE aidis_writer`);
  sql(`SELECT aidis.create_project('fallback', NULL, is_default => true)`);
  sql(`SELECT aidis.create_project('shop', '${ROOT}/shop')`);
  sql(`SELECT aidis.create_project('web', '${ROOT}/shop/web')`);
});

const clients = new Set();
// Clients a failed test left open first, then the database.
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  psql('postgres', `DROP DATABASE IF EXISTS ${DB} WITH (FORCE)`);
  psql('postgres', `DROP ROLE IF EXISTS ${ROLE}`);
});

// An SDK client on a freshly spawned `aidis mcp`. ownParent: the server is
// started by a shell of its own (which waits for it), as two editor windows
// each start their own: a parent of its own, so a client_key of its own.
async function connect(name, { roots, project, key, ownParent } = {}) {
  const env = { ...process.env };
  delete env.AIDIS_CLIENT_KEY;
  if (key) env.AIDIS_CLIENT_KEY = key;
  const args = ['mcp', '-d', CONN, ...(project ? ['--project', project] : [])];
  const transport = ownParent
    ? new StdioClientTransport({ command: '/bin/sh', args: ['-c', '"$0" "$@"; exit $?', BIN, ...args], env, stderr: 'pipe' })
    : new StdioClientTransport({ command: BIN, args, env, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d) => { stderr += d; });
  const client = new Client({ name, version: '1.0.0' }, { capabilities: roots ? { roots: { listChanged: true } } : {} });
  const state = { roots: roots ?? [] };
  if (roots) {
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: state.roots.map((uri) => ({ uri })) }));
  }
  await client.connect(transport);
  clients.add(client);
  return { client, state, log: () => stderr };
}

async function call(client, name, args = {}) {
  return client.callTool({ name, arguments: args });
}

async function status(client) {
  const r = await call(client, 'session_status');
  assert.equal(r.isError, false, JSON.stringify(r));
  return r.structuredContent;
}

// The call is refused as a protocol error (JSON-RPC invalid params).
async function rejectsInvalidParams(client, name, args) {
  await assert.rejects(call(client, name, args), (e) => e instanceof McpError && e.code === ErrorCode.InvalidParams,
                       `${name}(${JSON.stringify(args)}) must be -32602`);
}

// The call reaches the extension, which refuses it: a tool error with its SQLSTATE.
async function refused(client, name, args, sqlstate) {
  const r = await call(client, name, args);
  assert.equal(r.isError, true, `${name}(${JSON.stringify(args)}) must be refused: ${JSON.stringify(r)}`);
  assert.equal(r.structuredContent.error.sqlstate, sqlstate, r.content[0].text);
  assert.match(r.content[0].text, new RegExp(`SQLSTATE ${sqlstate}`));
  return r;
}

function session(id) {
  const [agent, status, project, endReason, clientKey] = sql(
    `SELECT s.agent, s.status, p.name, COALESCE(s.end_reason, ''), COALESCE(s.client_key, '')
     FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE s.id = ${lit(id)}`).split('|');
  return { agent, status, project, endReason, clientKey };
}
const lastActivity = (id) => sql(`SELECT last_activity_at FROM aidis.sessions WHERE id = ${lit(id)}`);
const later = (a, b) => sql(`SELECT ${lit(a)}::timestamptz > ${lit(b)}::timestamptz`) === 't';

test('handshake as "Claude Code": an active session with agent claude-code', async () => {
  const { client } = await connect('Claude Code');
  assert.equal(client.getServerVersion().name, 'aidis');
  assert.ok(client.getServerCapabilities().tools);
  const s = await status(client);
  assert.equal(s.agent, 'claude-code');
  assert.equal(s.status, 'active');
  const db = session(s.id);
  assert.deepEqual([db.agent, db.status, db.project], ['claude-code', 'active', 'fallback']);
  assert.match(db.clientKey, /^pid:\d+@\d+$/, 'client_key: the parent process and its start time');
  await client.close();
});

test('a restarted server of the same client resumes its session', async () => {
  const a = await connect('resume-client');
  const first = (await status(a.client)).id;
  await a.client.close();
  const b = await connect('resume-client');
  assert.equal((await status(b.client)).id, first);
  await b.client.close();
});

test('a root inside a project root_directory lands on that project (the longest one)', async () => {
  const { client, log } = await connect('cursor-vscode', { roots: [`file://${ROOT}/shop/web/src`, `file://${ROOT}/shop`] });
  const s = await status(client);
  assert.equal(s.project_name, 'web', log());
  assert.equal(s.agent, 'cursor-vscode');
  await client.close();
});

test('a root in no project: the extension rule; --project wins over roots', async () => {
  const a = await connect('roots-nowhere', { roots: ['file:///nowhere/else'] });
  assert.equal((await status(a.client)).project_name, 'fallback');
  await a.client.close();
  const b = await connect('roots-forced', { roots: [`file://${ROOT}/shop/web`], project: 'shop' });
  assert.equal((await status(b.client)).project_name, 'shop');
  await b.client.close();
});

test('roots changed to another project: the session moves by a new one there', async () => {
  const { client, state } = await connect('roots-mover', { roots: [`file://${ROOT}/shop/a`] });
  const first = await status(client);
  assert.equal(first.project_name, 'shop');
  state.roots = [`file://${ROOT}/shop/web`];
  await client.sendRootsListChanged();
  // The server asks for the roots again; wait for its answer to land (no timing assumed).
  let now = first;
  for (let i = 0; i < 200 && now.project_name !== 'web'; i++) {
    await new Promise((r) => setTimeout(r, 25));
    now = await status(client);
  }
  assert.equal(now.project_name, 'web');
  assert.notEqual(now.id, first.id);
  assert.deepEqual([session(first.id).status, session(first.id).endReason], ['inactive', 'superseded']);
  await client.close();
});

test('two clients at once get two sessions', async () => {
  const a = await connect('Claude Code', { key: 'window-1' });
  const b = await connect('Claude Code', { key: 'window-2' });
  const [sa, sb] = [await status(a.client), await status(b.client)];
  assert.notEqual(sa.id, sb.id);
  assert.equal(session(sa.id).status, 'active');
  assert.equal(session(sb.id).status, 'active');
  assert.deepEqual([session(sa.id).clientKey, session(sb.id).clientKey], ['window-1', 'window-2']);
  await a.client.close();
  await b.client.close();
});

test('two clients without AIDIS_CLIENT_KEY, each with its own parent, get two sessions', async () => {
  const a = await connect('Claude Code', { ownParent: true });
  const b = await connect('Claude Code', { ownParent: true });
  const [sa, sb] = [await status(a.client), await status(b.client)];
  assert.notEqual(sa.id, sb.id);
  const [da, db] = [session(sa.id), session(sb.id)];
  assert.deepEqual([da.status, db.status, da.agent, db.agent], ['active', 'active', 'claude-code', 'claude-code']);
  assert.match(da.clientKey, /^pid:\d+@\d+$/);
  assert.match(db.clientKey, /^pid:\d+@\d+$/);
  assert.notEqual(da.clientKey, db.clientKey, 'the parents differ');
  // Each keeps its own: a call on one does not touch the other.
  const other = lastActivity(sb.id);
  await call(a.client, 'session_add_note', { note: 'only a' });
  assert.equal(lastActivity(sb.id), other);
  assert.equal(sql(`SELECT COALESCE(notes, '') FROM aidis.sessions WHERE id = ${lit(sb.id)}`), '');
  await a.client.close();
  await b.client.close();
});

// Each of the 13 tools, called with good arguments, moves the activity of
// the session it acts on (session_start: the new session starts after the
// old one's last activity; session_end: the ended session's last activity).
test('every tool call moves the session activity', async () => {
  const { client } = await connect('activity-client', { project: 'shop' });
  let id = (await status(client)).id;
  let before = lastActivity(id);
  const tools = [
    ['session_status', {}], ['sessions_list', {}], ['session_brief', {}], ['session_details', { session: id }],
    ['session_timeline', { limit: 1 }], ['session_set_goal', { goal: 'move the clock' }],
    ['session_add_note', { note: 'a note' }], ['session_tag', { tags: ['touch'] }],
    ['session_rate', { stars: 3 }], ['session_record_usage', { input_tokens: 1, output_tokens: 1 }],
    ['session_record_file', { path: 'src/touch.ts' }], ['session_start', { title: 'Touched again' }],
    ['session_rate', { stars: 99 }], ['session_end', {}]];
  const { tools: listed } = await client.listTools();
  assert.deepEqual(new Set(tools.map(([n]) => n)), new Set(listed.map((t) => t.name)), 'all 13 tools');
  for (const [name, args] of tools) {
    const r = await call(client, name, args);
    assert.equal(r.isError, name === 'session_rate' && args.stars === 99, `${name}: ${JSON.stringify(r)}`);
    if (name === 'session_start') {
      assert.notEqual(r.structuredContent.id, id);
      id = r.structuredContent.id;
    }
    const now = lastActivity(id);
    assert.ok(later(now, before), `${name}: last_activity_at ${now} after ${before}`);
    before = now;
  }
  assert.equal(session(id).status, 'inactive', 'the last call ended it');
  await client.close();
});

test('session_brief: the previous session, open tasks and recent decisions of the project', async () => {
  sql(`SELECT aidis.create_project('brief')`);
  // The earlier session, written as an agent would (one connection: its session).
  sql(`SELECT aidis.start_session(agent => 'codex', client_key => 'brief-earlier', project => 'brief',
         title => 'Import speed-up', goal => 'imports under a minute', force_new => true);
       INSERT INTO aidis.tasks (title, priority) VALUES ('Batch the inserts', 'medium'),
         ('Document the import flags', 'low'), ('Drop the old importer', 'urgent');
       UPDATE aidis.tasks SET status = 'completed' WHERE title = 'Batch the inserts';
       INSERT INTO aidis.decisions (title) VALUES ('COPY instead of INSERT');
       INSERT INTO aidis.contexts (content) VALUES ('The importer commits per row');
       SELECT aidis.end_session()`);
  const earlier = sql(`SELECT id FROM aidis.sessions WHERE title = 'Import speed-up'`);
  const { client } = await connect('brief-client', { project: 'brief' });
  const r = await call(client, 'session_brief', {});
  assert.equal(r.isError, false, JSON.stringify(r));
  const b = r.structuredContent;
  assert.equal(b.session.project_name, 'brief');
  assert.notEqual(b.session.id, earlier);
  assert.equal(b.previous_session.id, earlier);
  assert.deepEqual([b.previous_session.title, b.previous_session.goal, b.previous_session.agent,
    b.previous_session.tasks_created, b.previous_session.tasks_completed, b.previous_session.decisions_created],
  ['Import speed-up', 'imports under a minute', 'codex', 3, 1, 1]);
  assert.equal(b.previous_session.completed_tasks.length, 1);
  assert.match(b.previous_session.completed_tasks[0], /Batch the inserts/);
  assert.match(b.previous_session.last_contexts.join('\n'), /commits per row/);
  assert.deepEqual(b.open_tasks.map((t) => [t.title, t.priority]),
    [['Drop the old importer', 'urgent'], ['Document the import flags', 'low']], 'open tasks, most urgent first');
  assert.deepEqual(b.recent_decisions.map((d) => d.title), ['COPY instead of INSERT']);
  const text = r.content.map((c) => c.text).join('\n');
  for (const want of ['Import speed-up', 'Drop the old importer', 'Document the import flags', 'COPY instead of INSERT'])
    assert.ok(text.includes(want), `the text content names ${want}: ${text}`);
  await client.close();
});

test('sessions_list filters by project', async () => {
  const { client } = await connect('list-client', { project: 'web' });
  await status(client);
  for (const project of ['shop', 'web']) {
    const r = await call(client, 'sessions_list', { project, limit: 100 });
    assert.equal(r.isError, false, JSON.stringify(r));
    const got = r.structuredContent.sessions;
    assert.ok(got.length > 0, project);
    assert.ok(got.every((x) => x.project_name === project), `${project}: ${got.map((x) => x.project_name)}`);
    assert.deepEqual(got.map((x) => x.id).sort(),
      sql(`SELECT s.id FROM aidis.sessions s JOIN aidis.projects p ON p.id = s.project_id WHERE p.name = ${lit(project)}`)
        .split('\n').sort(), `${project}: every session of it`);
  }
  await refused(client, 'sessions_list', { project: 'no-such-project' }, '42704');
  await client.close();
});

test('session_record_usage: the cache tokens are counted apart', async () => {
  const { client } = await connect('usage-client', { project: 'shop' });
  const id = (await status(client)).id;
  const tokens = () => sql(`SELECT input_tokens, output_tokens, cache_read_tokens, cache_creation_tokens
                            FROM aidis.sessions WHERE id = ${lit(id)}`);
  assert.equal(tokens(), '0|0|0|0');
  let r = await call(client, 'session_record_usage', { input_tokens: 100, output_tokens: 20, cache_read_tokens: 5000,
    cache_creation_tokens: 700 });
  assert.equal(r.isError, false, JSON.stringify(r));
  r = await call(client, 'session_record_usage', { input_tokens: 1, output_tokens: 2, cache_read_tokens: 30 });
  assert.equal(r.isError, false, JSON.stringify(r));
  assert.equal(tokens(), '101|22|5030|700', 'summed, cache_creation_tokens defaulting to 0');
  const d = await call(client, 'session_details', { session: id });
  assert.deepEqual([d.structuredContent.cache_read_tokens, d.structuredContent.cache_creation_tokens], [5030, 700]);
  await refused(client, 'session_record_usage', { input_tokens: 0, output_tokens: 0, cache_read_tokens: -1 }, '22023');
  await refused(client, 'session_record_usage', { input_tokens: 0, output_tokens: 0, cache_creation_tokens: -5 }, '22023');
  await rejectsInvalidParams(client, 'session_record_usage', { input_tokens: 0, output_tokens: 0, cache_read_tokens: 'many' });
  assert.equal(tokens(), '101|22|5030|700', 'the refused calls counted nothing');
  await client.close();
});

test('the tools list', async () => {
  const { client } = await connect('lister');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name), [
    'session_status', 'session_start', 'session_end', 'session_set_goal', 'session_add_note', 'session_tag',
    'session_rate', 'session_brief', 'sessions_list', 'session_details', 'session_timeline',
    'session_record_usage', 'session_record_file']);
  for (const t of tools) assert.equal(t.inputSchema.type, 'object', t.name);
  await client.close();
});

test('every tool with good and bad arguments', async () => {
  const { client } = await connect('tool-tester', { project: 'shop' });
  let s = await status(client);
  await rejectsInvalidParams(client, 'session_status', { x: 1 });
  await rejectsInvalidParams(client, 'no_such_tool', {});

  // session_start: a new session, the old one superseded
  let r = await call(client, 'session_start', { title: 'Cart fixes', goal: 'Fix rounding' });
  assert.equal(r.isError, false);
  assert.notEqual(r.structuredContent.id, s.id);
  assert.deepEqual([r.structuredContent.title, r.structuredContent.goal, r.structuredContent.project_name],
                   ['Cart fixes', 'Fix rounding', 'shop']);
  assert.equal(session(s.id).endReason, 'superseded');
  s = await status(client);
  assert.equal(s.id, r.structuredContent.id, 'the tools now act on the new session');
  await rejectsInvalidParams(client, 'session_start', { title: 5 });
  await refused(client, 'session_start', { title: '' }, '23514');
  await refused(client, 'session_start', { project: 'no-such-project' }, '42704');
  assert.equal((await status(client)).id, s.id, 'a refused start keeps the session');

  r = await call(client, 'session_set_goal', { goal: 'Ship the cart' });
  assert.equal(r.structuredContent.goal, 'Ship the cart');
  await rejectsInvalidParams(client, 'session_set_goal', {});
  await refused(client, 'session_set_goal', { goal: 'x'.repeat(2001) }, '22023');

  r = await call(client, 'session_add_note', { note: 'Rounding per line item was the bug.' });
  assert.match(r.structuredContent.notes, /Rounding per line item/);
  await refused(client, 'session_add_note', { note: 'n', session: 'SES-1999-9999' }, '42704');

  r = await call(client, 'session_tag', { tags: ['cart', 'bug'] });
  assert.deepEqual([...r.structuredContent.tags].sort(), ['bug', 'cart']);
  await rejectsInvalidParams(client, 'session_tag', { tags: 'cart' });

  r = await call(client, 'session_rate', { stars: 4, note: 'one redo' });
  assert.equal(r.structuredContent.rating, 4);
  await refused(client, 'session_rate', { stars: 9 }, '22023');
  await rejectsInvalidParams(client, 'session_rate', { stars: 'four' });

  r = await call(client, 'session_brief', {});
  assert.equal(r.isError, false);
  assert.equal(typeof r.structuredContent, 'object');
  await refused(client, 'session_brief', { session: 'not a session' }, '22023');

  r = await call(client, 'sessions_list', { q: 'Cart fixes', status: 'active' });
  assert.deepEqual(r.structuredContent.sessions.map((x) => x.id), [s.id]);
  await refused(client, 'sessions_list', { status: 'sleeping' }, '22023');
  await rejectsInvalidParams(client, 'sessions_list', { limit: 2.5 });

  r = await call(client, 'session_details', { session: s.display_id });
  assert.equal(r.structuredContent.id, s.id);
  await rejectsInvalidParams(client, 'session_details', {});

  r = await call(client, 'session_record_usage', { input_tokens: 1200, output_tokens: 340, model: 'claude-sonnet-4-5' });
  assert.equal(r.isError, false);
  await refused(client, 'session_record_usage', { input_tokens: -1, output_tokens: 0 }, '22023');
  await rejectsInvalidParams(client, 'session_record_usage', { input_tokens: 1 });

  r = await call(client, 'session_record_file', { path: 'src/cart.ts', lines_added: 12, lines_removed: 3 });
  assert.equal(r.isError, false);
  await refused(client, 'session_record_file', { path: '' }, '22023');

  const d = sql(`SELECT input_tokens, output_tokens, ai_model, loc_added, loc_removed, files_touched
                 FROM aidis.sessions WHERE id = ${lit(s.id)}`);
  assert.equal(d, '1200|340|claude-sonnet-4-5|12|3|1');

  r = await call(client, 'session_timeline', { limit: 100 });
  const kinds = r.structuredContent.events.map((e) => e.kind);
  assert.ok(kinds.includes('session_started') && kinds.includes('tokens_recorded') && kinds.includes('file_touched'), kinds.join());
  await refused(client, 'session_timeline', { limit: 0 }, '22023');

  // session_end: ended; ending it again is refused; the next call starts a new one
  r = await call(client, 'session_end', {});
  assert.equal(r.structuredContent.status, 'inactive');
  await refused(client, 'session_end', { session: s.id }, '55000');
  const next = await status(client);
  assert.notEqual(next.id, s.id);
  assert.equal(next.status, 'active');
  assert.equal(next.project_name, 'shop', 'the recognized project again');
  await client.close();
});

test('unknown methods through the SDK: method not found', async () => {
  const { client } = await connect('method-tester');
  await assert.rejects(client.request({ method: 'resources/list' }, EmptyResultSchema),
                       (e) => e instanceof McpError && e.code === ErrorCode.MethodNotFound);
  await client.ping();
  await client.close();
});

// A hand-driven client: raw lines on stdin, one JSON message per line back.
function raw(args = []) {
  const child = spawn(BIN, ['mcp', '-d', CONN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  const queue = [], waiting = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line);
    if (waiting.length) waiting.shift()(m); else queue.push(m);
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  return {
    send: (m) => child.stdin.write((typeof m === 'string' ? m : JSON.stringify(m)) + '\n'),
    sendBytes: (b) => child.stdin.write(b),
    next: () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => waiting.push(r))),
    close: () => { child.stdin.end(); return exited; },
    log: () => stderr,
  };
}
const init = (version, name = 'raw-client', id = 1) => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name, version: '1' } },
});

test('JSON-RPC errors on the wire; closing stdin exits 0 and leaves the session active', async () => {
  const c = raw();
  c.send({ jsonrpc: '2.0', id: 0, method: 'tools/list' });
  assert.equal((await c.next()).error.code, -32600, 'before initialize');
  c.send(init('2025-06-18'));
  const hello = await c.next();
  assert.equal(hello.result.protocolVersion, '2025-06-18');
  c.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  c.send('{"jsonrpc": "2.0", "id": 2, "method": ');
  let m = await c.next();
  assert.deepEqual([m.id, m.error.code], [null, -32700]);
  c.sendBytes(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":3,"method":"ping","params":{"x":"'),
                             Buffer.from([0xc3, 0x28]), Buffer.from('"}}\n')]));
  m = await c.next();
  assert.deepEqual([m.id, m.error.code], [null, -32700], 'invalid UTF-8');
  c.send({ jsonrpc: '2.0', id: 4, method: 'no/such/method' });
  m = await c.next();
  assert.deepEqual([m.id, m.error.code], [4, -32601]);
  c.send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'session_rate', arguments: { stars: [] } } });
  m = await c.next();
  assert.deepEqual([m.id, m.error.code], [5, -32602]);
  c.send('x'.repeat(5 * 1024 * 1024));
  m = await c.next();
  assert.deepEqual([m.id, m.error.code], [null, -32700]);
  assert.match(m.error.message, /longer than/);
  c.send([{ jsonrpc: '2.0', id: 6, method: 'ping' }]);
  m = await c.next();
  assert.equal(m.error.code, -32600, 'no batches in 2025-06-18');
  c.send({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'session_status' } });
  m = await c.next();
  assert.equal(m.id, 7);
  const id = m.result.structuredContent.id;
  assert.equal(session(id).agent, 'raw-client');
  const { code, signal } = await c.close();
  assert.deepEqual({ code, signal }, { code: 0, signal: null }, c.log());
  assert.equal(session(id).status, 'active', 'the session stays active while the server is down');
});

test('protocol versions: 2025-03-26 is kept (with batches), an unknown one gets 2025-06-18', async () => {
  const a = raw();
  a.send(init('2025-03-26', 'old-client'));
  assert.equal((await a.next()).result.protocolVersion, '2025-03-26');
  a.send([{ jsonrpc: '2.0', id: 2, method: 'ping' }, { jsonrpc: '2.0', id: 3, method: 'tools/list' }]);
  const batch = await a.next();
  assert.deepEqual(batch.map((x) => x.id), [2, 3]);
  assert.equal(batch[1].result.tools.length, 13);
  assert.equal((await a.close()).code, 0);

  const b = raw();
  b.send(init('2030-01-01', 'future-client'));
  assert.equal((await b.next()).result.protocolVersion, '2025-06-18');
  assert.equal((await b.close()).code, 0);
});
