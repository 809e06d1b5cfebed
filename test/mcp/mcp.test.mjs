// `aidis mcp` with the official MCP TypeScript SDK client: the real binary
// (AIDIS_BIN) against the real cluster of the suite (PGHOST/PGPORT/PGUSER).
// Agent from clientInfo.name, project from roots or --project, one session per
// client, every tool with good and bad arguments, activity on every call, exit 0
// on stdin close with the session left active, and JSON-RPC errors on the wire.
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

// An SDK client on a freshly spawned `aidis mcp`.
async function connect(name, { roots, project, key } = {}) {
  const env = { ...process.env };
  delete env.AIDIS_CLIENT_KEY;
  if (key) env.AIDIS_CLIENT_KEY = key;
  const args = ['mcp', '-d', CONN, ...(project ? ['--project', project] : [])];
  const transport = new StdioClientTransport({ command: BIN, args, env, stderr: 'pipe' });
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

test('every tool call moves the session activity', async () => {
  const { client } = await connect('activity-client');
  const id = (await status(client)).id;
  let before = lastActivity(id);
  for (const [name, args] of [['sessions_list', {}], ['session_brief', {}], ['session_rate', { stars: 99 }],
                              ['session_timeline', { limit: 1 }]]) {
    await call(client, name, args);
    const now = lastActivity(id);
    assert.ok(later(now, before), `${name}: last_activity_at ${now} after ${before}`);
    before = now;
  }
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
