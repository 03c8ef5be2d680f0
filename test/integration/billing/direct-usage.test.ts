// Direct mode's usage report, read from the signed `usage` counters ingest stored (one row per event id, so
// a counter is summed once): per day, provider and tier, only the tenant's own, only `usage` events, only
// the days asked, and a counter an older plane did not send counts as 0. A scratch Postgres database.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { createDirectUsageSource } from '../../../control-plane/billing/direct-usage.ts';
import { runMigrations } from '../../../control-plane/db/migrate.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';

const TENANT = '0b7e1c3a-5d2f-4a9b-8c6d-1e2f3a4b5c6d';
const OTHER_TENANT = '5f1d2c3b-4a59-4e6f-8a7b-9c0d1e2f3a4b';

let scratch: Awaited<ReturnType<typeof createTestDatabase>>;
let pool: pg.Pool;

const counters = (over: Record<string, unknown>) => ({
  day: '2026-12-02',
  provider: 'openai',
  tier: 'core',
  requests: 2,
  cancelledRequests: 1,
  estimatedRequests: 1,
  inputTokens: 100,
  cachedInputTokens: 40,
  cacheCreationTokens: 20,
  outputTokens: 50,
  failovers: 1,
  ...over,
});

let seq = 0;
async function stored(tenant: string, kind: string, body: object) {
  seq += 1;
  await pool.query('INSERT INTO up_events (event_id, tenant_id, kind, kid, seq, body) VALUES ($1, $2, $3, $4, $5, $6)', [
    `ev-${seq}`,
    tenant,
    kind,
    'kid-1',
    seq,
    JSON.stringify(body),
  ]);
}

before(async () => {
  scratch = await createTestDatabase('directusage');
  await runMigrations({ databaseUrl: scratch.url, log: silentLogger() });
  pool = new pg.Pool({ connectionString: scratch.url, max: 2 });
  pool.on('error', () => {});
  await stored(TENANT, 'usage', counters({}));
  await stored(TENANT, 'usage', counters({ requests: 3, cancelledRequests: 0, inputTokens: 1 }));
  await stored(TENANT, 'usage', counters({ tier: 'ultra', provider: 'anthropic' }));
  await stored(TENANT, 'usage', counters({ day: '2026-12-03' }));
  await stored(TENANT, 'usage', counters({ day: '2026-12-05' }));
  // An older plane's counters, without the cancelled and estimated fields.
  const { cancelledRequests: _c, estimatedRequests: _e, ...older } = counters({ day: '2026-12-04' });
  await stored(TENANT, 'usage', older);
  await stored(OTHER_TENANT, 'usage', counters({}));
  await stored(TENANT, 'events', counters({}));
});
after(async () => {
  await pool.end();
  await scratch.drop();
});

test("direct usage sums a tenant's signed usage counters per day, provider and tier, within the days asked", async () => {
  const rows = await createDirectUsageSource(pool)(TENANT, '2026-12-02', '2026-12-04');
  const row = { route: 'direct', model: null, cached_input_tokens: 40, cache_creation_tokens: 20, output_tokens: 50, failovers: 1 };
  assert.deepEqual(rows, [
    {
      day: '2026-12-02',
      ...row,
      provider: 'anthropic',
      tier: 'ultra',
      requests: 2,
      cancelled_requests: 1,
      estimated_requests: 1,
      input_tokens: 100,
    },
    {
      day: '2026-12-02',
      ...row,
      provider: 'openai',
      tier: 'core',
      requests: 5,
      cancelled_requests: 1,
      estimated_requests: 2,
      input_tokens: 101,
      cached_input_tokens: 80,
      cache_creation_tokens: 40,
      output_tokens: 100,
      failovers: 2,
    },
    {
      day: '2026-12-03',
      ...row,
      provider: 'openai',
      tier: 'core',
      requests: 2,
      cancelled_requests: 1,
      estimated_requests: 1,
      input_tokens: 100,
    },
    {
      day: '2026-12-04',
      ...row,
      provider: 'openai',
      tier: 'core',
      requests: 2,
      cancelled_requests: 0,
      estimated_requests: 0,
      input_tokens: 100,
    },
  ]);
});

test('direct usage of a tenant with no counters in the days asked is empty', async () => {
  assert.deepEqual(await createDirectUsageSource(pool)(TENANT, '2026-12-06', '2026-12-31'), []);
  assert.deepEqual(await createDirectUsageSource(pool)('7d9f1e2a-3b4c-4d5e-8f6a-7b8c9d0e1f2a', '2026-12-01', '2026-12-31'), []);
});
