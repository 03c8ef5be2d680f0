// The silence sweep against a scratch Postgres with the control plane's migrations. Its clock is the
// database's `now()`: each case runs the sweep inside one transaction, where `now()` stands still, so
// a workflow silent for exactly WORKFLOW_SILENCE_TIMEOUT_MS and one silent a millisecond longer are told
// apart exactly. Only a running workflow is ever failed, and it is failed with `customer_plane_silent`.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type pg from 'pg';
import type { Db } from '../../../control-plane/db/pool.ts';
import { startSilenceSweeper } from '../../../control-plane/routing/silence.ts';
import { silentLogger, type Logger } from '../../../shared/log.ts';
import { capturedLogger } from '../../support/approvals.ts';
import { controlPlaneDatabase } from '../../support/control-plane-db.ts';

let h: Awaited<ReturnType<typeof controlPlaneDatabase>>;
before(async () => {
  h = await controlPlaneDatabase();
});
after(() => h.close());

const TIMEOUT_MS = 90_000;
// The code the API shows for a run timed out for silence: a contract, so written out, not imported.
const SILENT = 'customer_plane_silent';

/**
 * Runs `fn` in a transaction that is rolled back: `now()` is the same instant for every statement in
 * it (the frozen clock), and nothing it does is seen by the other tests.
 */
async function atOneInstant<T>(fn: (client: pg.PoolClient, sweep: () => Promise<string[]>) => Promise<T>, log: Logger = silentLogger()) {
  const client = await h.db.connect();
  await client.query('BEGIN');
  try {
    // The sweeper is given the transaction's client where it expects the pool: the same query method.
    const sweeper = startSilenceSweeper({ db: client as unknown as Db, log, timeoutMs: TIMEOUT_MS, everyMs: 3_600_000 });
    try {
      return await fn(client, sweeper.sweep);
    } finally {
      await sweeper.stop();
    }
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

/** Sets a workflow's times to `now()` less the given milliseconds (null: not set). */
async function silentFor(
  client: pg.PoolClient,
  id: string,
  status: string,
  ms: { report: number | null; started?: number | null; created?: number },
): Promise<void> {
  await client.query(
    `UPDATE workflows SET status = $2,
       last_report_at = now() - make_interval(secs => $3::float8 / 1000),
       started_at = now() - make_interval(secs => $4::float8 / 1000),
       created_at = now() - make_interval(secs => $5::float8 / 1000)
     WHERE id = $1`,
    [id, status, ms.report, ms.started ?? null, ms.created ?? 0],
  );
}

const state = async (client: pg.PoolClient, id: string) =>
  (await client.query('SELECT status, error_code, finished_at = now() AS finished_now FROM workflows WHERE id = $1', [id])).rows[0];

test('a running workflow silent for exactly the timeout is left running; one silent a millisecond longer is failed customer_plane_silent', async () => {
  const atEdge = await h.queuedWorkflow();
  const past = await h.queuedWorkflow();
  await atOneInstant(async (client, sweep) => {
    await silentFor(client, atEdge, 'running', { report: TIMEOUT_MS });
    await silentFor(client, past, 'running', { report: TIMEOUT_MS + 1 });
    assert.deepEqual(await sweep(), [past]);
    assert.deepEqual(await state(client, past), { status: 'failed', error_code: SILENT, finished_now: true });
    assert.deepEqual(await state(client, atEdge), { status: 'running', error_code: null, finished_now: null });
  });
});

test('the last report counts, not the start: a long run that keeps reporting is not timed out', async () => {
  const id = await h.queuedWorkflow();
  await atOneInstant(async (client, sweep) => {
    await silentFor(client, id, 'running', { report: 1000, started: 10 * TIMEOUT_MS, created: 10 * TIMEOUT_MS });
    assert.deepEqual(await sweep(), []);
    assert.equal((await state(client, id)).status, 'running');
  });
});

test('a running workflow never reported on is timed from its start, and one with no start from its creation', async () => {
  const fromStart = await h.queuedWorkflow();
  const startRecent = await h.queuedWorkflow();
  const fromCreation = await h.queuedWorkflow();
  const createdRecent = await h.queuedWorkflow();
  await atOneInstant(async (client, sweep) => {
    await silentFor(client, fromStart, 'running', { report: null, started: TIMEOUT_MS + 1, created: 10 * TIMEOUT_MS });
    await silentFor(client, startRecent, 'running', { report: null, started: TIMEOUT_MS - 1, created: 10 * TIMEOUT_MS });
    await silentFor(client, fromCreation, 'running', { report: null, started: null, created: TIMEOUT_MS + 1 });
    await silentFor(client, createdRecent, 'running', { report: null, started: null, created: TIMEOUT_MS - 1 });
    assert.deepEqual((await sweep()).sort(), [fromStart, fromCreation].sort());
  });
});

test('only running workflows are timed out: queued, succeeded and failed ones keep their state however old', async () => {
  const ids = { queued: await h.queuedWorkflow(), succeeded: await h.queuedWorkflow(), failed: await h.queuedWorkflow() };
  await atOneInstant(async (client, sweep) => {
    for (const [status, id] of Object.entries(ids))
      await silentFor(client, id, status, { report: 10 * TIMEOUT_MS, started: 10 * TIMEOUT_MS });
    assert.deepEqual(await sweep(), []);
    for (const [status, id] of Object.entries(ids)) assert.equal((await state(client, id)).status, status);
  });
});

test('each timed-out workflow is logged as a warning with its id, tenant and the silence it was given', async () => {
  const id = await h.queuedWorkflow();
  const { log, lines } = capturedLogger();
  await atOneInstant(async (client, sweep) => {
    await silentFor(client, id, 'running', { report: TIMEOUT_MS + 5000 });
    await sweep();
  }, log);
  const warned = lines.filter((l) => l.workflowId === id);
  assert.equal(warned.length, 1);
  assert.equal(warned[0].level, 40, 'warn');
  assert.equal(warned[0].tenant, h.tenant);
  assert.equal(warned[0].silentForMs, TIMEOUT_MS);
  assert.equal(warned[0].msg, 'workflow failed: its customer plane stopped reporting on it');
});
