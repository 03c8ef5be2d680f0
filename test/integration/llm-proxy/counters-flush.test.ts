// The proxy's usage counters against a real Postgres (one scratch database for the file, emptied per test):
// every count reaches its row once — a flush that failed is retried with the newer totals, a flush asked for
// while one runs waits and then writes what is new, replicas add up, a shutdown writes what is left — because
// an invoice is read from these rows.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { runMigrations } from '../../../control-plane/db/migrate.ts';
import { createUsageCounters } from '../../../control-plane/llm-proxy/counters.ts';
import type { LlmMeta } from '../../../shared/llm/index.ts';
import { createLogger, silentLogger } from '../../../shared/log.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { llmCallMeta } from '../../support/usage-event.ts';

const TENANT = '0b7e1c3a-5d2f-4a9b-8c6d-1e2f3a4b5c6d';
const OTHER_TENANT = '5f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';
const REPLICA_A = '9a8b7c6d-5e4f-4a3b-9c1d-0e1f2a3b4c5d';
const REPLICA_B = '1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f';
// Not today: a counter that read the real clock instead of its own would write another day.
const NOON = Date.UTC(2026, 2, 14, 12);

let scratch: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

before(async () => {
  scratch = await createTestDatabase('llmcounters');
  await runMigrations({ databaseUrl: scratch.url, log: silentLogger() });
  pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
  pool.on('error', () => {});
});
beforeEach(async () => {
  await pool.query('TRUNCATE llm_usage');
});
after(async () => {
  await pool.end();
  await scratch.drop();
});

const call = (over: Partial<LlmMeta> = {}): LlmMeta =>
  llmCallMeta({ usage: { inputTokens: 10, cachedInputTokens: 4, cacheCreationTokens: 2, outputTokens: 5 }, ...over });

/**
 * The pool as the counters see it, with a database that can fail the next writes or hold one until
 * released — what a flush meets when Postgres restarts or is slow.
 */
function unreliable() {
  let failures = 0;
  let held: Promise<void> | undefined;
  let writes = 0;
  const db = {
    async query(text: string, values?: unknown[]) {
      if (text.startsWith('INSERT')) {
        writes += 1;
        if (failures > 0) {
          failures -= 1;
          throw new Error('connection terminated unexpectedly (test)');
        }
        if (held) await held;
      }
      return pool.query(text, values);
    },
  } as unknown as pg.Pool;
  return {
    db,
    failNext(n: number) {
      failures = n;
    },
    hold(): () => void {
      let release!: () => void;
      held = new Promise((r) => (release = r));
      return () => {
        held = undefined;
        release();
      };
    },
    get writes() {
      return writes;
    },
  };
}

const stored = async () =>
  (
    await pool.query(
      `SELECT tenant_id, to_char(day, 'YYYY-MM-DD') AS day, provider, model, tier, replica_id, requests::int, cancelled_requests::int,
              estimated_requests::int, input_tokens::int, cached_input_tokens::int, cache_creation_tokens::int, output_tokens::int,
              failovers::int FROM llm_usage ORDER BY tenant_id, day, provider, replica_id`,
    )
  ).rows;

test('every count of a call reaches its own column, on the row of its tenant, day, provider model and replica', async () => {
  const counters = createUsageCounters({ db: pool, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  counters.record(TENANT, call());
  counters.record(TENANT, call({ cancelled: true, estimated: true, failovers: 2, failedOver: true }));
  counters.record(TENANT, call({ estimated: true }));
  counters.record(OTHER_TENANT, call({ provider: 'anthropic', model: 'claude-sonnet-4', tier: 'ultra' }));
  await counters.flush();
  const row = { day: '2026-03-14', replica_id: REPLICA_A };
  assert.deepEqual(await stored(), [
    {
      tenant_id: TENANT,
      ...row,
      provider: 'openai',
      model: 'gpt-4.1-mini',
      tier: 'core',
      requests: 3,
      cancelled_requests: 1,
      estimated_requests: 2,
      input_tokens: 30,
      cached_input_tokens: 12,
      cache_creation_tokens: 6,
      output_tokens: 15,
      failovers: 2,
    },
    {
      tenant_id: OTHER_TENANT,
      ...row,
      provider: 'anthropic',
      model: 'claude-sonnet-4',
      tier: 'ultra',
      requests: 1,
      cancelled_requests: 0,
      estimated_requests: 0,
      input_tokens: 10,
      cached_input_tokens: 4,
      cache_creation_tokens: 2,
      output_tokens: 5,
      failovers: 0,
    },
  ]);
  await counters.close();
});

test('a flush the database refused loses nothing: the next flush writes the totals including what came since', async () => {
  const flaky = unreliable();
  const counters = createUsageCounters({ db: flaky.db, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  counters.record(TENANT, call());
  flaky.failNext(1);
  await assert.rejects(counters.flush(), /connection terminated/);
  assert.deepEqual(await stored(), []);
  counters.record(TENANT, call());
  await counters.flush();
  assert.deepEqual(
    (await stored()).map((r) => [r.requests, r.input_tokens]),
    [[2, 20]],
  );
  // A refused flush does not stop the ones after it, even with nothing new recorded in between.
  counters.record(TENANT, call());
  flaky.failNext(1);
  await assert.rejects(counters.flush());
  await counters.flush();
  assert.deepEqual(
    (await stored()).map((r) => r.requests),
    [3],
  );
  await counters.close();
});

test('counters without a flush period write only when asked to', async () => {
  const flaky = unreliable();
  for (const flushEveryMs of [undefined, 0]) {
    const before = flaky.writes;
    const counters = createUsageCounters({ db: flaky.db, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A, flushEveryMs });
    counters.record(TENANT, call());
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(flaky.writes, before, `flushEveryMs ${flushEveryMs}`);
    await counters.close();
  }
  assert.equal(flaky.writes, 2);
});

test('a flush with nothing recorded since the last one writes nothing', async () => {
  const flaky = unreliable();
  const counters = createUsageCounters({ db: flaky.db, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  await counters.flush();
  assert.equal(flaky.writes, 0);
  counters.record(TENANT, call());
  await counters.flush();
  await counters.flush();
  assert.equal(flaky.writes, 1);
  await counters.close();
  assert.equal(flaky.writes, 1);
});

test('a flush asked for while one is writing waits for it, then writes what was recorded meanwhile', async () => {
  const flaky = unreliable();
  const counters = createUsageCounters({ db: flaky.db, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  counters.record(TENANT, call());
  const release = flaky.hold();
  const first = counters.flush();
  await new Promise((r) => setImmediate(r));
  counters.record(TENANT, call());
  let secondDone = false;
  const second = counters.flush().then(() => (secondDone = true));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(secondDone, false, 'the second flush waits for the first');
  release();
  await Promise.all([first, second]);
  assert.equal(flaky.writes, 2);
  assert.deepEqual(
    (await stored()).map((r) => r.requests),
    [2],
  );
  await counters.close();
});

test('a row written and then counted again on the same day keeps growing: nothing written is forgotten', async () => {
  let now = NOON;
  const counters = createUsageCounters({ db: pool, log: silentLogger(), clock: () => now, replicaId: REPLICA_A });
  counters.record(TENANT, call());
  await counters.flush();
  counters.record(TENANT, call());
  await counters.flush();
  // Yesterday's row is kept in memory too: a call counted on it after a flush adds to its totals.
  now = NOON + 86_400_000;
  counters.record(TENANT, call());
  await counters.flush();
  now = NOON;
  counters.record(TENANT, call());
  await counters.flush();
  assert.deepEqual(
    (await stored()).map((r) => [r.day, r.requests]),
    [
      ['2026-03-14', 3],
      ['2026-03-15', 1],
    ],
  );
  await counters.close();
});

test('replicas each write their own row and the usage report sums them, per tenant and within the days asked', async () => {
  const a = createUsageCounters({ db: pool, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  let nowB = NOON;
  const b = createUsageCounters({ db: pool, log: silentLogger(), clock: () => nowB, replicaId: REPLICA_B });
  a.record(TENANT, call());
  b.record(TENANT, call({ cancelled: true, estimated: true, failovers: 1 }));
  b.record(OTHER_TENANT, call());
  nowB = NOON + 86_400_000;
  b.record(TENANT, call());
  await a.flush();
  // b's totals reach the database through the query itself: it flushes before it reads.
  const rows = await b.query(TENANT, '2026-03-14', '2026-03-14');
  assert.deepEqual(rows, [
    {
      day: '2026-03-14',
      route: 'routed',
      provider: 'openai',
      model: 'gpt-4.1-mini',
      tier: 'core',
      requests: 2,
      cancelled_requests: 1,
      estimated_requests: 1,
      input_tokens: 20,
      cached_input_tokens: 8,
      cache_creation_tokens: 4,
      output_tokens: 10,
      failovers: 1,
    },
  ]);
  assert.deepEqual(
    (await a.query(TENANT, '2026-03-01', '2026-03-31')).map((r) => [r.day, r.requests]),
    [
      ['2026-03-14', 2],
      ['2026-03-15', 1],
    ],
  );
  assert.deepEqual(await a.query(TENANT, '2026-03-16', '2026-03-31'), []);
  await a.close();
  await b.close();
});

test('a lower total sent for a row (a flush from before, arriving late) never lowers what is stored', async () => {
  const newer = createUsageCounters({ db: pool, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  for (let i = 0; i < 3; i++) newer.record(TENANT, call({ failovers: 1, cancelled: true, estimated: true }));
  await newer.close();
  const older = createUsageCounters({ db: pool, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A });
  older.record(TENANT, call({ failovers: 1, cancelled: true, estimated: true }));
  await older.close();
  const [row] = await stored();
  assert.deepEqual(
    [
      row.requests,
      row.cancelled_requests,
      row.estimated_requests,
      row.input_tokens,
      row.cached_input_tokens,
      row.cache_creation_tokens,
      row.output_tokens,
      row.failovers,
    ],
    [3, 3, 3, 30, 12, 6, 15, 3],
  );
});

test('closing the counters writes what was recorded since the last flush', async () => {
  const counters = createUsageCounters({ db: pool, log: silentLogger(), clock: () => NOON, replicaId: REPLICA_A, flushEveryMs: 60_000 });
  counters.record(TENANT, call());
  await counters.close();
  assert.deepEqual(
    (await stored()).map((r) => r.requests),
    [1],
  );
});

test('the background flush writes on its own, and a failed one is logged and retried on the next tick', async () => {
  const lines: string[] = [];
  const log = createLogger({ service: 'test', level: 'warn', destination: { write: (line: string) => void lines.push(line) } });
  const flaky = unreliable();
  const counters = createUsageCounters({ db: flaky.db, log, clock: () => NOON, replicaId: REPLICA_A, flushEveryMs: 20 });
  counters.record(TENANT, call());
  flaky.failNext(1);
  for (let i = 0; i < 200 && (await stored()).length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(
    (await stored()).map((r) => r.requests),
    [1],
  );
  assert.equal(lines.filter((l) => l.includes('llm usage flush failed; will retry')).length, 1);
  assert.match(lines[0], /connection terminated unexpectedly/);
  await counters.close();
  const writes = flaky.writes;
  counters.record(TENANT, call());
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(flaky.writes, writes, 'closed counters flush no more');
});

test('without a database the counters are kept in memory and the report reads them by tenant and days', async () => {
  let now = NOON;
  const counters = createUsageCounters({ log: silentLogger(), clock: () => now, flushEveryMs: 10 });
  counters.record(TENANT, call({ cancelled: true }));
  counters.record(OTHER_TENANT, call());
  now += 86_400_000;
  counters.record(TENANT, call());
  await counters.flush();
  const rows = await counters.query(TENANT, '2026-03-14', '2026-03-14');
  assert.deepEqual(
    rows.map((r) => [r.day, r.route, r.requests, r.cancelled_requests]),
    [['2026-03-14', 'routed', 1, 1]],
  );
  rows[0].requests = 99; // a caller's copy, not the counters themselves
  assert.equal((await counters.query(TENANT, '2026-03-14', '2026-03-14'))[0].requests, 1);
  assert.equal((await counters.query(TENANT, '2026-03-15', '2026-03-15')).length, 1);
  await counters.close();
});
