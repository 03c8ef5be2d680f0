import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { agentOutputSchema, type DeterministicAgent } from '../../../agents/types.ts';
import { createRunInputs } from '../../../customer-plane/runner/ledger/inputs.ts';
import { tryLockRun } from '../../../customer-plane/runner/ledger/lock.ts';
import { createFileSecretStore } from '../../../customer-plane/secrets/file-store.ts';
import { ROOT } from '../../../scripts/topology/boundary-rig.ts';
import { newUlid } from '../../../shared/ids.ts';
import { pushAsk } from '../../support/approvals.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

/**
 * `npm run data -- erase --yes`: one command deletes all of the tenant's local data — every row of the
 * run records, approvals and memory schemas, and the secret values of run inputs — and refuses, deleting
 * nothing, while a live runner executes a run.
 */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/cli/data.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

const reporter: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'test: writes a file and reports a finding',
  tools: ['write_file', 'read_file'],
  budget: { maxSteps: 5, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    await ctx.tools.call('write_file', { path: 'fixed.txt', content: 'fixed\n' });
    await ctx.tools.call('read_file', { path: 'README.md' });
    return {
      summary: 'fixed it',
      findings: [{ rule: 'test/rule', severity: 'low', file: 'README.md', line: 1, message: 'a finding' }],
      patches: [],
    };
  },
};

async function rowsLeft(query: (sql: string) => Promise<Array<Record<string, unknown>>>): Promise<Record<string, number>> {
  const tables = await query(
    `SELECT table_schema || '.' || table_name AS t FROM information_schema.tables
     WHERE table_schema IN ('runtime', 'approvals', 'memory') AND table_name <> 'migrations' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const out: Record<string, number> = {};
  for (const { t } of tables) out[String(t)] = Number((await query(`SELECT count(*)::int AS n FROM ${String(t)}`))[0].n);
  return out;
}

test('npm run data -- erase --yes leaves no row in the runtime, approvals and memory schemas and no run-input secret in the store; without --yes, or while a run is live, nothing is deleted', async (t) => {
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': reporter },
    templates: { refactor: { name: 'refactor', description: 'one step', steps: [{ id: 'fix', agent: 'patch-applier', needs: [] }] } },
    memory: true,
  });
  const stateDir = join(rig.dir, 'state');
  const store = createFileSecretStore(join(stateDir, 'secrets.json'));
  await store.put('openai-api-key', 'sk-plane-own-secret-1');
  const inputs = createRunInputs({ db: rig.pool, backend: store });
  rig.deps.inputs = inputs;
  const used = await inputs.create({ params: { ticket: 'T-1' }, secrets: { API_TOKEN: 'used-input-secret-1' } });
  const unused = await inputs.create({ params: {}, secrets: { OTHER_TOKEN: 'unused-input-secret-2' } });
  const done = await rig.run('refactor', { inputs: used });
  assert.equal(done.status, 'succeeded');
  await rig.approvals.open(pushAsk({ runId: done.runId, stepId: newUlid() }), {
    now: Date.now(),
    warnAt: Date.now() + 60_000,
    deadlineAt: Date.now() + 120_000,
  });
  const before = await rowsLeft((sql) => rig.query(sql));
  for (const table of ['runtime.runs', 'runtime.steps', 'runtime.findings', 'runtime.effects', 'runtime.run_inputs', 'approvals.requests'])
    assert.ok(before[table] > 0, `${table} has rows before the erase`);
  assert.ok(
    Object.entries(before).some(([k, n]) => k.startsWith('memory.') && n > 0),
    'memory has rows',
  );
  assert.ok(await store.get(`run-inputs/${unused}/OTHER_TOKEN`), 'an unused input’s secret is in the store');

  const env = { DATABASE_URL: rig.databaseUrl, STATE_DIR: stateDir };
  const unconfirmed = await cli(['erase'], env);
  assert.equal(unconfirmed.code, 2);
  assert.match(unconfirmed.stderr, /confirm with --yes/);

  // A run a live runner holds: refused, nothing deleted.
  const live = await rig.query<{ id: string }>(
    `INSERT INTO runtime.runs (id, tenant_id, template, repo, status, started_event_id, attempts)
     SELECT $1, tenant_id, template, repo, 'running', $2, 1 FROM runtime.runs LIMIT 1 RETURNING id`,
    [newUlid(), newUlid()],
  );
  const lock = (await tryLockRun(rig.pool, live[0].id))!;
  const refused = await cli(['erase', '--yes'], env);
  await lock.release();
  assert.equal(refused.code, 1, refused.stderr);
  assert.match(refused.stderr, /runs_in_progress: 1 run\(s\) are being executed right now .*nothing was deleted/);
  assert.equal((await rowsLeft((sql) => rig.query(sql)))['runtime.runs'], before['runtime.runs'] + 1);

  const erased = await cli(['erase', '--yes'], env);
  assert.equal(erased.code, 0, erased.stderr);
  assert.match(erased.stdout, /runs: .*runs 2/);
  assert.match(erased.stdout, /approvals: 1/);
  assert.match(erased.stdout, /run-input secret values: 1/);
  const after = await rowsLeft((sql) => rig.query(sql));
  assert.deepEqual(
    Object.entries(after).filter(([, n]) => n > 0),
    [],
    'no row left in any table of the three schemas',
  );
  assert.equal(Object.keys(after).length, 17, 'every table of the three schemas was looked at (9 runtime, 1 approvals, 7 memory)');
  assert.equal(await store.get(`run-inputs/${unused}/OTHER_TOKEN`), undefined, 'the unused input’s secret value is gone');
  assert.equal(await store.get('openai-api-key'), 'sk-plane-own-secret-1', 'the plane’s own secrets are kept');
});
