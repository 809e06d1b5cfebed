// Two agents sharing one node-postgres pool, and two clients sharing one
// PgBouncer server connection (transaction mode), in the setups that
// docs/connections.md documents: every row, usage record and touch lands on
// its agent's session, and no binding reaches another client. Prints TAP.
// Environment: PGHOST (socket directory), PGPORT, PGUSER, PGDATABASE, BOUNCER_PORT.
'use strict';
const { Pool, Client } = require('pg');

const direct = { host: process.env.PGHOST, port: +process.env.PGPORT, user: process.env.PGUSER,
                 database: process.env.PGDATABASE };
const bouncer = { ...direct, host: '127.0.0.1', port: +process.env.BOUNCER_PORT };
const N = 40;  // operations per agent and scenario

let n = 0, failed = 0;
function ok(cond, what) {
  n += 1;
  if (!cond) failed += 1;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${what}`);
}
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

// Starts a session without binding the pooled backend.
async function start(db, agent, bind = 'none') {
  const r = await db.query(
    "SELECT id FROM aidis.start_session(agent => $1, client_key => 'pools', bind => $2)", [agent, bind]);
  return r.rows[0].id;
}

// One unit of an agent's work: a context row, a touch and a usage record,
// naming the session explicitly (mode 'ids') or binding it for one
// transaction (mode 'local'). Its usage records carry `tokens` input tokens,
// so a misattributed one shows in the other session's total.
async function work(pool, mode, sid, tag, i, tokens) {
  if (mode === 'ids') {
    await pool.query('INSERT INTO aidis.contexts (session_id, context_type, content) VALUES ($1, $2, $3)',
                     [sid, 'note', `${tag} ${i}`]);
    await pool.query('SELECT aidis.touch(s => $1)', [sid]);
    await pool.query('SELECT aidis.record_usage($1, 0, s => $2)', [tokens, sid]);
    return;
  }
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await c.query("SELECT set_config('aidis.session_id', $1, true)", [sid]);  // SET LOCAL
    await c.query("INSERT INTO aidis.contexts (context_type, content) VALUES ('note', $1)", [`${tag} ${i}`]);
    await c.query('SELECT aidis.touch()');
    await c.query('SELECT aidis.record_usage($1, 0)', [tokens]);
    await c.query('COMMIT');
  } finally {
    c.release();
  }
}

async function agent(pool, mode, sid, tag, tokens, from, to) {
  for (let i = from; i < to; i++) {
    await work(pool, mode, sid, tag, i, tokens);
    if (i % 7 === 0) await pause(1);  // let the other agent in
  }
}

// Rows, usage tokens and touches of `tag` on each session.
async function landed(check, sid, tag) {
  const r = await check.query(`
    SELECT (SELECT count(*) FROM aidis.contexts c WHERE c.session_id = $1 AND c.content LIKE $2 || ' %')::int AS rows,
           s.input_tokens::bigint AS tokens,
           (s.activity_count - s.contexts_created
            - (SELECT count(*) FROM aidis.session_activities a
               WHERE a.session_id = $1 AND a.kind = 'tokens_recorded'))::int AS touches
    FROM aidis.sessions s WHERE s.id = $1`, [sid, tag]);
  return r.rows[0];
}

// Each agent's own session has all its work (N rows, N usage records of its
// token size, N touches) and the other's has none of it.
async function attribution(check, label, a, b) {
  const [ra, rb] = [await landed(check, a.sid, a.tag), await landed(check, b.sid, b.tag)];
  const [xa, xb] = [await landed(check, b.sid, a.tag), await landed(check, a.sid, b.tag)];
  ok(ra.rows === N && rb.rows === N, `${label}: each agent's ${N} rows on its own session (A ${ra.rows}, B ${rb.rows})`);
  ok(xa.rows === 0 && xb.rows === 0, `${label}: no row on the other agent's session (${xa.rows}, ${xb.rows})`);
  ok(Number(ra.tokens) === N * a.tokens && Number(rb.tokens) === N * b.tokens,
     `${label}: usage records on their own session only (tokens A ${ra.tokens}, B ${rb.tokens})`);
  ok(ra.touches === N && rb.touches === N, `${label}: touches on their own session only (A ${ra.touches}, B ${rb.touches})`);
}

async function bound(db) {
  return (await db.query("SELECT current_setting('aidis.session_id', true) AS s")).rows[0].s || '';
}

async function main() {
  console.log('1..19');
  const check = new Client(direct);
  await check.connect();

  // 1. One pool with one backend: agent B starts while A works (staggered).
  {
    const pool = new Pool({ ...direct, max: 1 });
    const a = { sid: await start(pool, 'pool-a'), tag: 'staggered-a', tokens: 1 };
    await agent(pool, 'ids', a.sid, a.tag, a.tokens, 0, N / 2);
    const b = { sid: await start(pool, 'pool-b'), tag: 'staggered-b', tokens: 1000 };
    await Promise.all([agent(pool, 'ids', a.sid, a.tag, a.tokens, N / 2, N),
                       agent(pool, 'ids', b.sid, b.tag, b.tokens, 0, N)]);
    await attribution(check, 'shared pool, staggered starts, explicit ids', a, b);
    ok((await bound(pool)) === '', 'shared pool: the pooled backend is not bound');
    await pool.end();
  }

  // 2. One pool, three backends, both agents start and work at once, SET LOCAL.
  {
    const pool = new Pool({ ...direct, max: 3 });
    const [sa, sb] = await Promise.all([start(pool, 'pool-c'), start(pool, 'pool-d')]);
    const a = { sid: sa, tag: 'simultaneous-a', tokens: 1 }, b = { sid: sb, tag: 'simultaneous-b', tokens: 1000 };
    await Promise.all([agent(pool, 'local', a.sid, a.tag, a.tokens, 0, N),
                       agent(pool, 'local', b.sid, b.tag, b.tokens, 0, N)]);
    await attribution(check, 'shared pool, simultaneous starts, SET LOCAL', a, b);
    const backends = await Promise.all([0, 1, 2].map(async () => pool.connect()));
    const left = await Promise.all(backends.map(bound));
    backends.forEach((c) => c.release());
    ok(left.every((s) => s === ''), 'shared pool: no backend keeps a binding after SET LOCAL');
    await pool.end();
  }

  // 3. PgBouncer in transaction mode with one server connection: two clients.
  {
    const ca = new Client(bouncer), cb = new Client(bouncer);
    await Promise.all([ca.connect(), cb.connect()]);
    const [sa, sb] = await Promise.all([start(ca, 'bouncer-a'), start(cb, 'bouncer-b')]);
    const server = async (c) => (await c.query('SELECT pg_backend_pid() AS p')).rows[0].p;
    ok((await server(ca)) === (await server(cb)), 'PgBouncer: both clients run on one server backend');
    const poolA = { query: (...x) => ca.query(...x), connect: async () => Object.assign(ca, { release() {} }) };
    const poolB = { query: (...x) => cb.query(...x), connect: async () => Object.assign(cb, { release() {} }) };
    const a = { sid: sa, tag: 'bouncer-a', tokens: 1 }, b = { sid: sb, tag: 'bouncer-b', tokens: 1000 };
    await Promise.all([agent(poolA, 'local', a.sid, a.tag, a.tokens, 0, N / 2)
                         .then(() => agent(poolA, 'ids', a.sid, a.tag, a.tokens, N / 2, N)),
                       agent(poolB, 'ids', b.sid, b.tag, b.tokens, 0, N / 2)
                         .then(() => agent(poolB, 'local', b.sid, b.tag, b.tokens, N / 2, N))]);
    await attribution(check, 'PgBouncer transaction mode', a, b);
    ok((await bound(ca)) === '' && (await bound(cb)) === '', 'PgBouncer: the server backend is not bound');
    await Promise.all([ca.end(), cb.end()]);
  }

  // 4. The leak scenario: a client starts a session on a pooled backend and
  // goes away; another agent is active after it; ten clients that never
  // started a session write unbound. They get the most recently active
  // session, never the departed client's.
  for (const [label, cfg, bind] of [['shared pool', direct, 'transaction'], ['PgBouncer', bouncer, 'none']]) {
    const pool = new Pool({ ...cfg, max: 1 });
    const gone = await start(pool, `leaver-${bind}`, bind);
    const other = new Client(direct);
    await other.connect();
    const recent = await start(other, `recent-${bind}`, 'connection');
    await other.query("INSERT INTO aidis.contexts (context_type, content) VALUES ('note', 'recent work')");
    const tag = `unbound-${bind}`;
    await Promise.all(Array.from({ length: 10 }, async (_, i) => {
      const c = new Client(cfg);
      await c.connect();
      await c.query("INSERT INTO aidis.contexts (context_type, content) VALUES ('note', $1)", [`${tag} ${i}`]);
      await c.end();
    }));
    await pool.query("INSERT INTO aidis.contexts (context_type, content) VALUES ('note', $1)", [`${tag} 10`]);
    const r = await check.query(
      `SELECT count(*) FILTER (WHERE session_id = $1)::int AS recent, count(*) FILTER (WHERE session_id = $2)::int AS gone
       FROM aidis.contexts WHERE content LIKE $3 || ' %'`, [recent, gone, tag]);
    ok(r.rows[0].recent === 11 && r.rows[0].gone === 0,
       `leak, ${label}: 11 unbound writes on the most recently active session (${r.rows[0].recent}), none on the departed client's (${r.rows[0].gone})`);
    await other.end();
    await pool.end();
  }

  const counters = await check.query('SELECT count(*)::int AS n FROM aidis.check_counters()');
  ok(counters.rows[0].n === 0, 'check_counters() is empty');
  await check.end();
  process.exitCode = failed ? 1 : 0;
}

main().catch((e) => {
  console.log(`not ok ${n + 1} - ${e.message}`);
  process.exitCode = 1;
});
