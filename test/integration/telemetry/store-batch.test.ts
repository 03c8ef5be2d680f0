// The batch store on its own against a real Postgres (the control plane's migrations, a database of its
// own): a verified batch is stored once with its events, a redelivery of the same stream message is a
// no-op, and the same (kid, seq) arriving as anything else is refused as a replay with nothing of it
// kept. test/integration/boundary/rejected-batches.test.ts proves the same through the hub and the
// ingest worker; this one is what mutation testing runs for each change to store-batch.ts.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { runMigrations } from '../../../control-plane/db/migrate.ts';
import { createDb } from '../../../control-plane/db/pool.ts';
import { BatchRejected, type VerifiedBatch } from '../../../control-plane/telemetry/verify-batch.ts';
import { createBatchStore } from '../../../control-plane/telemetry/store-batch.ts';
import { newUlid } from '../../../shared/ids.ts';
import { silentLogger } from '../../../shared/log.ts';
import { createTestDatabase } from '../../../scripts/topology/scratch-database.ts';
import { deferNewestFirst } from '../../support/cleanup.ts';
import { usageEvent } from '../../support/usage-event.ts';

const TENANT = randomUUID();

function usageBatch(seq: number, digest = `digest-${seq}`): VerifiedBatch {
  const event = usageEvent({ day: '2026-01-01', provider: 'anthropic', tier: 'ultra', inputTokens: 10, outputTokens: 2 });
  return {
    tenant: TENANT,
    kind: 'usage',
    kid: 'key-1',
    seq,
    iat: 1_767_225_600,
    digest,
    events: [event, { ...event, eventId: newUlid() }],
  } as VerifiedBatch;
}

async function rig(t: Parameters<typeof deferNewestFirst>[0]) {
  const defer = deferNewestFirst(t);
  const scratch = await createTestDatabase('storebatch');
  defer(() => scratch.drop());
  await runMigrations({ databaseUrl: scratch.url, log: silentLogger() });
  const db = createDb({ databaseUrl: scratch.url, max: 2 });
  defer(() => db.end());
  await db.query("INSERT INTO tenants (id, name) VALUES ($1, 'acme')", [TENANT]);
  const rows = async (sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows;
  return { store: createBatchStore(db), db, rows };
}

test('a verified batch is stored once: its claim (key, seq, tenant, kind, digest, event count, stream message) and each event as sent', async (t) => {
  const { store, rows } = await rig(t);
  const batch = usageBatch(1);
  assert.equal(await store(batch, 41), 'stored');
  assert.deepEqual(await rows('SELECT kid, seq::int, tenant_id, kind, digest, events, stream_seq::int FROM up_batches'), [
    { kid: 'key-1', seq: 1, tenant_id: TENANT, kind: 'usage', digest: 'digest-1', events: 2, stream_seq: 41 },
  ]);
  const events = await rows('SELECT event_id, tenant_id, kind, kid, seq::int, body FROM up_events ORDER BY event_id');
  assert.deepEqual(
    events,
    [...batch.events]
      .sort((a, b) => ((a as { eventId: string }).eventId < (b as { eventId: string }).eventId ? -1 : 1))
      .map((e) => ({ event_id: (e as { eventId: string }).eventId, tenant_id: TENANT, kind: 'usage', kid: 'key-1', seq: 1, body: e })),
  );
});

test('the same stream message delivered again is a duplicate and changes nothing', async (t) => {
  const { store, rows } = await rig(t);
  const batch = usageBatch(1);
  assert.equal(await store(batch, 41), 'stored');
  assert.equal(await store(batch, 41), 'duplicate');
  assert.equal((await rows('SELECT count(*)::int AS n FROM up_batches'))[0].n, 1);
  assert.equal((await rows('SELECT count(*)::int AS n FROM up_events'))[0].n, 2);
});

test('a used seq arriving with other content, or as another stream message, is refused as a replay and nothing of it is kept', async (t) => {
  const { store, rows } = await rig(t);
  const first = usageBatch(7);
  assert.equal(await store(first, 100), 'stored');
  const other = usageBatch(7, 'digest-other');
  for (const [batch, streamSeq] of [
    [other, 101],
    [other, 100],
    [first, 102],
  ] as const) {
    await assert.rejects(store(batch, streamSeq), (err: unknown) => {
      assert.ok(err instanceof BatchRejected);
      assert.equal(err.code, 'replayed_seq');
      return true;
    });
  }
  assert.deepEqual(await rows('SELECT digest, stream_seq::int FROM up_batches'), [{ digest: 'digest-7', stream_seq: 100 }]);
  const ids = (await rows('SELECT event_id FROM up_events')).map((r) => r.event_id).sort();
  assert.deepEqual(ids, first.events.map((e) => (e as { eventId: string }).eventId).sort(), 'no event of a refused batch is stored');
  // The next seq of the same key is a new batch.
  assert.equal(await store(usageBatch(8), 103), 'stored');
});

test('workflow events (meta batches) are projected onto the tenant’s workflow as they are stored', async (t) => {
  const { store, db, rows } = await rig(t);
  const workflowId = newUlid();
  await db.query("INSERT INTO workflows (id, tenant_id, template, status) VALUES ($1, $2, 'code-review', 'queued')", [workflowId, TENANT]);
  const started = { type: 'workflow.started', eventId: newUlid(), workflowId, template: 'code-review', at: 1_767_225_600_000 };
  const meta = {
    tenant: TENANT,
    kind: 'meta',
    kid: 'key-1',
    seq: 1,
    iat: 1_767_225_600,
    digest: 'd-meta',
    events: [started],
  } as VerifiedBatch;
  assert.equal(await store(meta, 1), 'stored');
  assert.deepEqual(await rows('SELECT status, started_at FROM workflows'), [{ status: 'running', started_at: new Date(started.at) }]);
});
