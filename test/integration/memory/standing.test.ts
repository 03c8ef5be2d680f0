import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AutonomyThresholds } from '../../../customer-plane/memory/config.ts';
import { createStandingStore, type OutcomeEvent } from '../../../customer-plane/memory/standing.ts';
import type { Db } from '../../../shared/db/pool.ts';
import { downDb, memoryDatabase } from '../../support/memory-db.ts';

const freshDb = memoryDatabase({ after });
/**
 * The meta-cognitive layer called directly against a scratch database: each outcome counted once per
 * ref, the level the gate reads (capped in production, the start level without a record), a person's
 * override, an operator's reset, and the console's list.
 */

const T: AutonomyThresholds = {
  initial: 'assisted',
  promoteAfter: 2,
  promoteMinSuccessRate: 0.5,
  demoteAfterFailures: 2,
  demoteAfterOverrides: 1,
};

const events = (agent: string, environment: string, outcomes: OutcomeEvent['outcome'][], prefix = `${agent}-${environment}`) =>
  outcomes.map((outcome, i): OutcomeEvent => ({ ref: `${prefix}-${i}`, agent, environment, outcome, repo: 'shop' }));

const standingRow = async (db: Db, agent: string, environment: string) =>
  (
    await db.query(
      `SELECT level, successes, failures, overrides, consecutive_successes, consecutive_failures, overrides_since_change, change_reason,
         changed_at IS NOT NULL AS changed FROM memory.standing WHERE agent = $1 AND environment = $2`,
      [agent, environment],
    )
  ).rows[0];

/** What the console's list shows for a pair with no outcome counted: the start level (`T.initial`), no counts, never changed. */
const startLevelRow = (agent: string, environment: string) => ({
  agent,
  environment,
  level: 'assisted',
  successes: 0,
  failures: 0,
  overrides: 0,
  consecutiveSuccesses: 0,
  consecutiveFailures: 0,
  successRate: 1,
  changedAt: null,
  changeReason: null,
});

test('outcomes are counted once per ref and kind; the changes come back in lock order (agent, then environment)', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, T);
  const changes = await store.record([
    ...events('writer', 'sandbox', ['success', 'success']),
    ...events('reviewer', 'sandbox', ['failure', 'failure']),
    ...events('reviewer', 'preview', ['success', 'success']),
  ]);
  assert.deepEqual(changes, [
    { agent: 'reviewer', environment: 'preview', from: 'assisted', to: 'autonomous', reason: 'promoted' },
    { agent: 'reviewer', environment: 'sandbox', from: 'assisted', to: 'observe', reason: 'demoted_failures' },
    { agent: 'writer', environment: 'sandbox', from: 'assisted', to: 'autonomous', reason: 'promoted' },
  ]);
  assert.deepEqual(await standingRow(db, 'reviewer', 'sandbox'), {
    level: 'observe',
    successes: 0,
    failures: 2,
    overrides: 0,
    consecutive_successes: 0,
    consecutive_failures: 0,
    overrides_since_change: 0,
    change_reason: 'demoted_failures',
    changed: true,
  });

  // The same run rolled up again moves nothing; an outcome of another kind under a ref already counted is counted.
  assert.deepEqual(await store.record(events('reviewer', 'preview', ['success', 'success'])), []);
  assert.equal((await standingRow(db, 'reviewer', 'preview')).successes, 2, 'refs already counted are not counted again');
  assert.deepEqual(await store.record([{ ref: 'reviewer-preview-0', agent: 'reviewer', environment: 'preview', outcome: 'override' }]), [
    { agent: 'reviewer', environment: 'preview', from: 'autonomous', to: 'assisted', reason: 'demoted_overrides' },
  ]);
  const logged = await db.query(
    `SELECT ref, kind, repo, level_before, level_after FROM memory.standing_events WHERE agent = 'reviewer' AND environment = 'preview' ORDER BY id`,
  );
  assert.deepEqual(logged.rows, [
    { ref: 'reviewer-preview-0', kind: 'success', repo: 'shop', level_before: 'assisted', level_after: 'assisted' },
    { ref: 'reviewer-preview-1', kind: 'success', repo: 'shop', level_before: 'assisted', level_after: 'autonomous' },
    { ref: 'reviewer-preview-0', kind: 'override', repo: null, level_before: 'autonomous', level_after: 'assisted' },
  ]);
});

test('outcomes of one agent and environment are applied in the order given, whatever else the batch holds', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, T);
  // success, failure, success: never two in a row either way, so nothing moves; reordered it would.
  await store.record([
    { ref: 'a', agent: 'zed', environment: 'sandbox', outcome: 'success' },
    { ref: 'b', agent: 'amy', environment: 'sandbox', outcome: 'neutral' },
    { ref: 'c', agent: 'zed', environment: 'sandbox', outcome: 'failure' },
    { ref: 'd', agent: 'zed', environment: 'sandbox', outcome: 'success' },
  ]);
  assert.deepEqual(await standingRow(db, 'zed', 'sandbox'), {
    level: 'assisted',
    successes: 2,
    failures: 1,
    overrides: 0,
    consecutive_successes: 1,
    consecutive_failures: 0,
    overrides_since_change: 0,
    change_reason: null,
    changed: false,
  });
  assert.equal((await standingRow(db, 'amy', 'sandbox')).level, 'assisted', 'a neutral outcome still creates the record');
});

test('an empty batch touches no database at all', async () => {
  const db = await freshDb();
  assert.deepEqual(await createStandingStore(await downDb(db), T).record([]), []);
});

test('the level the gate reads: the start level without a record, the stored level, production capped at assisted', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, { ...T, initial: 'autonomous' });
  assert.equal(await store.levelOf('reviewer', 'sandbox'), 'autonomous');
  assert.equal(await store.levelOf('reviewer', 'production'), 'assisted', 'the start level is capped in production');
  await db.query(
    `INSERT INTO memory.standing (agent, environment, level) VALUES ('reviewer', 'sandbox', 'observe'), ('reviewer', 'production', 'autonomous')`,
  );
  assert.equal(await store.levelOf('reviewer', 'sandbox'), 'observe');
  assert.equal(await store.levelOf('reviewer', 'production'), 'assisted', 'a hand-edited row cannot lift production');
  await store.record(events('writer', 'production', ['neutral']));
  assert.equal((await standingRow(db, 'writer', 'production')).level, 'assisted', 'the record is created at the capped start level');
  assert.equal(await createStandingStore(db, { ...T, initial: 'observe' }).levelOf('indexer', 'sandbox'), 'observe');
});

test('an override is counted once per ref (a second report moves nothing), each one without a ref counts', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, { ...T, demoteAfterOverrides: 2 });
  assert.equal(await store.recordOverride({ agent: 'writer', environment: 'preview', ref: 'approval-1', repo: 'shop' }), undefined);
  assert.equal(await store.recordOverride({ agent: 'writer', environment: 'preview', ref: 'approval-1', repo: 'shop' }), undefined);
  assert.equal((await standingRow(db, 'writer', 'preview')).overrides, 1);
  assert.deepEqual(await store.recordOverride({ agent: 'writer', environment: 'preview' }), {
    agent: 'writer',
    environment: 'preview',
    from: 'assisted',
    to: 'observe',
    reason: 'demoted_overrides',
  });
  await store.recordOverride({ agent: 'writer', environment: 'preview' });
  assert.equal((await standingRow(db, 'writer', 'preview')).overrides, 3, 'reports without a ref are each counted');
  const { rows } = await db.query(`SELECT ref, kind, repo FROM memory.standing_events ORDER BY id`);
  assert.deepEqual(rows[0], { ref: 'approval-1', kind: 'override', repo: 'shop' });
  assert.equal(new Set(rows.map((r) => r.ref)).size, 3);
});

test('a reset puts the agent at the start level with no runs in a row, keeps its totals, and is logged', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, T);
  await store.record(events('writer', 'sandbox', ['failure', 'failure', 'success', 'override']));
  assert.equal((await standingRow(db, 'writer', 'sandbox')).level, 'observe');
  await store.record(events('writer', 'sandbox', ['success'], 'later'));
  assert.equal(await store.reset('writer', 'sandbox'), 'assisted');
  assert.deepEqual(await standingRow(db, 'writer', 'sandbox'), {
    level: 'assisted',
    successes: 2,
    failures: 2,
    overrides: 1,
    consecutive_successes: 0,
    consecutive_failures: 0,
    overrides_since_change: 0,
    change_reason: 'reset',
    changed: true,
  });
  const { rows } = await db.query(`SELECT kind, level_before, level_after FROM memory.standing_events WHERE kind = 'reset'`);
  assert.deepEqual(rows, [{ kind: 'reset', level_before: 'observe', level_after: 'assisted' }]);
  assert.equal(await createStandingStore(db, { ...T, initial: 'autonomous' }).reset('writer', 'production'), 'assisted');
  assert.equal(await store.levelOf('writer', 'production'), 'assisted');
});

test('the console’s list: every record (production capped), every pair asked for at the start level, sorted by environment then agent', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, T);
  await store.record([...events('writer', 'sandbox', ['success', 'success', 'failure']), ...events('reviewer', 'sandbox', ['neutral'])]);
  await db.query(`INSERT INTO memory.standing (agent, environment, level, successes) VALUES ('writer', 'production', 'autonomous', 4)`);
  assert.deepEqual(
    (await store.list()).map((r) => [r.environment, r.agent, r.level]),
    [
      ['production', 'writer', 'assisted'],
      ['sandbox', 'reviewer', 'assisted'],
      ['sandbox', 'writer', 'autonomous'],
    ],
  );
  // A pair is made up only from both lists: agents without environments (or the reverse) add no row.
  const stored = [
    ['production', 'writer'],
    ['sandbox', 'reviewer'],
    ['sandbox', 'writer'],
  ];
  assert.deepEqual(
    (await store.list({ agents: ['indexer'] })).map((r) => [r.environment, r.agent]),
    stored,
  );
  assert.deepEqual(
    (await store.list({ environments: ['preview'] })).map((r) => [r.environment, r.agent]),
    stored,
  );
  const rows = await store.list({ agents: ['writer', 'indexer'], environments: ['sandbox', 'preview'] });
  assert.deepEqual(
    rows.map((r) => [r.environment, r.agent]),
    [
      ['preview', 'indexer'],
      ['preview', 'writer'],
      ['production', 'writer'],
      ['sandbox', 'indexer'],
      ['sandbox', 'reviewer'],
      ['sandbox', 'writer'],
    ],
  );
  const writer = rows.find((r) => r.environment === 'sandbox' && r.agent === 'writer');
  assert.ok(writer?.changedAt && !Number.isNaN(Date.parse(writer.changedAt)));
  assert.deepEqual(
    { ...writer, changedAt: 'set' },
    {
      agent: 'writer',
      environment: 'sandbox',
      level: 'autonomous',
      successes: 2,
      failures: 1,
      overrides: 0,
      consecutiveSuccesses: 0,
      consecutiveFailures: 1,
      successRate: 2 / 3,
      changedAt: 'set',
      changeReason: 'promoted',
    },
  );
  assert.deepEqual(
    rows.find((r) => r.environment === 'sandbox' && r.agent === 'reviewer'),
    startLevelRow('reviewer', 'sandbox'),
    'a record that never changed level',
  );
  assert.deepEqual(
    rows.find((r) => r.environment === 'preview' && r.agent === 'writer'),
    startLevelRow('writer', 'preview'),
    'a pair without a record shows the start level',
  );
  assert.deepEqual(
    (await createStandingStore(db, { ...T, initial: 'autonomous' }).list({ agents: ['indexer'], environments: ['production'] })).find(
      (r) => r.agent === 'indexer',
    )?.level,
    'assisted',
    'the start level shown for production is capped',
  );
});

test('outcomes counted at the same time for one agent are all counted: each roll-up waits for the other’s row lock', async () => {
  const db = await freshDb();
  const store = createStandingStore(db, { ...T, promoteAfter: 100 });
  await store.record(events('writer', 'sandbox', ['neutral'], 'first'));
  await Promise.all(Array.from({ length: 5 }, (_, i) => store.record(events('writer', 'sandbox', ['success'], `run-${i}`))));
  const row = await standingRow(db, 'writer', 'sandbox');
  assert.deepEqual([row.successes, row.consecutive_successes], [5, 5]);
});
