import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eraseTenantData } from '../../../customer-plane/data/erase.ts';
import { type RunLock, tryLockRun } from '../../../customer-plane/runner/ledger/lock.ts';
import type { Db } from '../../../shared/db/pool.ts';
import { newUlid } from '../../../shared/ids.ts';
import { failDeletesFrom, rememberRun, rememberStanding, rowsOf, tenantDatabase } from '../../support/tenant-data.ts';

/**
 * `eraseTenantData` against a real Postgres, rows written straight into every table the erase names:
 * what `npm run data -- erase --yes` deletes and reports, per table, and when it refuses.
 */

const SCHEMAS = ['runtime', 'approvals', 'memory'];
const TENANT = '00000000-0000-4000-8000-000000000001';

/** A run with one step and one row in each of the step's tables; `status` as the ledger left it. */
async function recordRun(db: Db, status: 'succeeded' | 'running'): Promise<string> {
  const runId = newUlid();
  const stepId = newUlid();
  await db.query(
    `INSERT INTO runtime.runs (id, tenant_id, template, repo, status, started_event_id) VALUES ($1, $2, 'refactor', 'sample', $3, $4)`,
    [runId, TENANT, status, newUlid()],
  );
  await db.query(
    `INSERT INTO runtime.steps (id, run_id, step_key, idx, agent, status) VALUES ($1, $2, 'fix', 0, 'reviewer', 'succeeded')`,
    [stepId, runId],
  );
  const step = [runId, stepId];
  await db.query(
    `INSERT INTO runtime.tool_calls (run_id, step_id, attempt, seq, tool, decision, reason, ok) VALUES ($1, $2, 0, 0, 'write_file', 'allow', 'ok', true)`,
    step,
  );
  await db.query(
    `INSERT INTO runtime.gate_decisions (run_id, step_id, attempt, seq, agent, tool, decision, reason, approval)
     VALUES ($1, $2, 0, 0, 'reviewer', 'write_file', 'allow', 'ok', 'none')`,
    step,
  );
  await db.query(
    `INSERT INTO runtime.effects (run_id, step_id, attempt, seq, tool, input_hash, external, status)
     VALUES ($1, $2, 0, 0, 'write_file', 'h', false, 'committed')`,
    step,
  );
  await db.query(
    `INSERT INTO runtime.model_turns (step_id, attempt, seq, message, input_tokens, output_tokens) VALUES ($1, 0, 0, '{}', 1, 1)`,
    [stepId],
  );
  for (const line of [1, 2])
    await db.query(
      `INSERT INTO runtime.findings (run_id, step_id, rule, severity, file, line, message) VALUES ($1, $2, 'r', 'low', 'README.md', $3, 'm')`,
      [...step, line],
    );
  await db.query(`INSERT INTO runtime.patches (run_id, step_id, kind, title, diff) VALUES ($1, $2, 'applied', 't', 'd')`, step);
  return runId;
}

/** A run input holding secret values by name; `discarded` when its run already deleted them. */
async function recordInput(db: Db, secretNames: string[], discarded = false): Promise<string> {
  const id = newUlid();
  await db.query(
    `INSERT INTO runtime.run_inputs (id, secret_names, expires_at, discarded_at) VALUES ($1, $2, now() + interval '1 day', $3)`,
    [id, secretNames, discarded ? new Date() : null],
  );
  return id;
}

async function recordApproval(db: Db, runId: string): Promise<void> {
  await db.query(
    `INSERT INTO approvals.requests (id, run_id, step_id, seq, action_key, agent, tool, reason, environment, autonomy, preview,
       status, created_at, warn_at, deadline_at)
     VALUES ($1, $2, $3, 0, 'push', 'reviewer', 'git_push', 'r', 'sandbox', 'assisted', '{}', 'pending', now(), now(), now())`,
    [newUlid(), runId, newUlid()],
  );
}

/** A tenant's database with rows in every table the erase names, and the run inputs whose secrets are still stored. */
async function seeded(t: Parameters<typeof tenantDatabase>[0]) {
  const db = await tenantDatabase(t);
  const done = await recordRun(db, 'succeeded');
  // Left 'running' by a runner that died: no live runner holds it, so it must not block the erase.
  const abandoned = await recordRun(db, 'running');
  await recordApproval(db, done);
  await recordApproval(db, abandoned);
  await recordApproval(db, newUlid());
  await recordInput(db, ['USED_TOKEN'], true);
  const pending = [await recordInput(db, ['API_TOKEN', 'DEPLOY_KEY']), await recordInput(db, ['OTHER_TOKEN'])];
  await rememberRun(db, { repo: 'sample', environment: 'sandbox', canary: 'cnr-sample' });
  await rememberRun(db, { repo: 'other', environment: 'production', canary: 'cnr-other' });
  await rememberStanding(db, 'sandbox');
  return { db, pending, before: await rowsOf(db, SCHEMAS) };
}

test('erasing deletes every row of the runtime, approvals and memory schemas and reports each table’s count; a run a dead runner left "running" does not stop it; then the secret values of inputs not yet discarded are deleted', async (t) => {
  const { db, pending, before } = await seeded(t);
  assert.equal(Object.keys(before).length, 17, 'every table of the three schemas is looked at (9 runtime, 1 approvals, 7 memory)');
  const deleted: string[] = [];
  const erased = await eraseTenantData(db, {
    async deleteInputSecret(inputId, name) {
      const { rows } = await db.query('SELECT id FROM runtime.run_inputs');
      assert.deepEqual(rows, [], 'the values go after the rows that name them are deleted for good');
      deleted.push(`${inputId}/${name}`);
    },
  });
  assert.deepEqual(erased, {
    runtime: {
      patches: 2,
      findings: 4,
      model_turns: 2,
      effects: 2,
      gate_decisions: 2,
      tool_calls: 2,
      steps: 2,
      runs: 2,
      run_inputs: 3,
    },
    approvals: 3,
    memory: { working: 2, episodes: 2, semantic_files: 4, semantic_turns: 2, procedures: 2, standing_events: 3, standing: 2 },
    inputSecrets: 3,
  });
  assert.deepEqual(
    Object.entries(await rowsOf(db, SCHEMAS)).filter(([, rows]) => rows.length),
    [],
    'no row left in any table of the three schemas',
  );
  assert.deepEqual(
    deleted.sort(),
    [`${pending[0]}/API_TOKEN`, `${pending[0]}/DEPLOY_KEY`, `${pending[1]}/OTHER_TOKEN`].sort(),
    'every stored value of an input not yet discarded, and no other',
  );
});

test('while live runners execute runs the erase is refused with runs_in_progress, names them, and deletes nothing, not even a secret value', async (t) => {
  const { db } = await seeded(t);
  const live: string[] = [];
  for (let i = 0; i < 6; i++) live.push(await recordRun(db, 'running'));
  // Released before the test's database ends (the pool waits for the connections holding them).
  const locks: RunLock[] = [];
  try {
    for (const runId of live) locks.push((await tryLockRun(db, runId))!);
    await refusedWithNothingDeleted(db, live);
  } finally {
    for (const lock of locks) await lock.release();
  }
});

async function refusedWithNothingDeleted(db: Db, live: string[]): Promise<void> {
  const withLive = await rowsOf(db, SCHEMAS);

  const deleted: string[] = [];
  await assert.rejects(
    eraseTenantData(db, { deleteInputSecret: async (id, name) => void deleted.push(`${id}/${name}`) }),
    (err: { code: string; message: string; details: { runIds: string[] } }) => {
      assert.equal(err.code, 'runs_in_progress');
      assert.deepEqual([...err.details.runIds].sort(), [...live].sort(), 'every live run, and not the one a dead runner left');
      const named = /^6 run\(s\) are being executed right now \(([^)]*)\); stop the customer plane's runners, then erase$/.exec(
        err.message,
      );
      assert.ok(named, err.message);
      const ids = named[1].split(', ');
      assert.equal(ids.length, 5, 'the message names the first five; the details carry them all');
      assert.ok(
        ids.every((id) => live.includes(id)),
        'only live runs are named',
      );
      return true;
    },
  );
  assert.deepEqual(await rowsOf(db, SCHEMAS), withLive, 'nothing deleted');
  assert.deepEqual(deleted, [], 'no secret value deleted');
}

test('erasing is one transaction: when the last table’s delete fails, nothing of the three schemas is deleted and no secret value is', async (t) => {
  const { db, before } = await seeded(t);
  await failDeletesFrom(db, 'memory.standing');
  const deleted: string[] = [];
  await assert.rejects(
    eraseTenantData(db, { deleteInputSecret: async (id, name) => void deleted.push(`${id}/${name}`) }),
    /delete refused \(test\)/,
  );
  assert.deepEqual(await rowsOf(db, SCHEMAS), before, 'nothing deleted');
  assert.deepEqual(deleted, [], 'no secret value deleted');
});
