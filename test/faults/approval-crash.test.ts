import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { newUlid } from '../../shared/ids.ts';
import { silentLogger } from '../../shared/log.ts';
import { migrateApprovals } from '../../customer-plane/approvals/migrate.ts';
import { query, ROOT, waitFor } from '../../scripts/topology/boundary-rig.ts';
import { crashRig } from './support/crash-rig.ts';

/**
 * The approval cycle survives kill -9 of the customer plane's runner at every point — asked, pending,
 * decided, running the effect, committed — with real processes: a nats-server work queue, Postgres,
 * runner processes (test/faults/support/approval-runner-child.ts) and `npm run approvals` as a person
 * uses it. Every execution of the approved push is logged before it starts, so duplicates are counted.
 */
const TENANT = '00000000-0000-4000-8000-0000000000dd';
const ACK_WAIT_MS = 1500;

async function setup(t: { after(fn: () => Promise<void> | void): void }) {
  const rig = await crashRig(t, { name: 'apcrash', tenant: TENANT, readme: '# release\n', endRunners: 'kill9' });
  const { db, execLog } = rig;
  await migrateApprovals({ databaseUrl: db.url, log: silentLogger() });

  /** A runner of the approval agents that kills itself at `crashAt` of the approval cycle (never, if empty). */
  const startRunner = (name: string, crashAt = '') =>
    rig.startRunnerProcess('test/faults/support/approval-runner-child.ts', name, {
      env: { CRASH_AT: crashAt, ACK_WAIT_MS: String(ACK_WAIT_MS) },
      readyMs: 30_000,
    });

  /** `npm run approvals -- <args>` against this database, as a person runs it. */
  function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(ROOT, 'customer-plane/cli/approvals.ts'), ...args],
        { env: { PATH: process.env.PATH ?? '', DATABASE_URL: db.url }, timeout: 30_000 },
        (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
    });
  }

  const pushes = () =>
    readFileSync(execLog, 'utf8')
      .split('\n')
      .filter((l) => l.endsWith(' git push origin main'))
      .map((l) => ({ runner: l.split(' ')[0], at: Number(l.split(' ')[1]) }));
  const approvals = (runId: string) =>
    query<{ id: string; status: string; decided_at: Date | null }>(
      db.url,
      'SELECT id, status, decided_at FROM approvals.requests WHERE run_id = $1',
      [runId],
    );
  const pendingApproval = (runId: string) =>
    waitFor('the pending approval', async () => (await approvals(runId)).find((a) => a.status === 'pending'), 30_000, 25);
  const effects = (runId: string) =>
    query<{ attempt: number; seq: number; status: string; replayed: boolean }>(
      db.url,
      "SELECT attempt, seq, status, replayed FROM runtime.effects WHERE run_id = $1 AND tool = 'run_command' ORDER BY attempt, seq",
      [runId],
    );
  return { startRunner, enqueue: rig.enqueue, cli, pushes, approvals, pendingApproval, finished: rig.finished, effects };
}

async function approve(rig: Awaited<ReturnType<typeof setup>>, id: string): Promise<void> {
  const r = await rig.cli(['approve', id, '--note', 'release approved']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`approval ${id} approved`));
}

/**
 * A new run on runner `one`, which kills itself (SIGKILL) at `point` of the approval cycle. Its approval
 * is decided through the CLI: after the crash when the runner dies on asking (decided while no runner
 * is up), before it otherwise (the later points come only once the runner has heard the decision).
 */
async function crashedAt(rig: Awaited<ReturnType<typeof setup>>, point: 'asked' | 'decided' | 'running' | 'committed') {
  const id = newUlid();
  const one = await rig.startRunner('one', point);
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  if (point !== 'asked') await approve(rig, pending.id);
  await one.exited;
  assert.equal(one.child.signalCode, 'SIGKILL', 'the runner died at the crash point');
  if (point === 'asked') await approve(rig, pending.id);
  return id;
}

/** Runner `two` resumes run `id`; what the run ended as. */
async function resumedByAnotherRunner(rig: Awaited<ReturnType<typeof setup>>, id: string) {
  await rig.startRunner('two');
  return rig.finished(id);
}

test('kill -9 right after the approval is asked: it survives the restart, is decided while no runner is up, and the resumed run pushes exactly once', async (t) => {
  const rig = await setup(t);
  const id = await crashedAt(rig, 'asked');
  const run = await resumedByAnotherRunner(rig, id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['two'],
    'pushed once, by the runner that resumed',
  );
  assert.deepEqual(
    (await rig.approvals(id)).map((a) => a.status),
    ['approved'],
    'one approval for the one action',
  );
});

test('kill -9 while the approval is pending: a restarted runner waits on the same approval, and a decision then resumes the run within a second', async (t) => {
  const rig = await setup(t);
  const id = newUlid();
  const one = await rig.startRunner('one');
  await rig.enqueue(id);
  const pending = await rig.pendingApproval(id);
  await new Promise((r) => setTimeout(r, 200));
  await one.kill9();
  const two = await rig.startRunner('two');
  await waitFor('the restarted runner to wait on the stored approval', () => two.output().includes('the stored one stands'), 30_000, 25);
  await approve(rig, pending.id);
  const run = await rig.finished(id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  const pushes = rig.pushes();
  assert.deepEqual(
    pushes.map((p) => p.runner),
    ['two'],
  );
  const [decided] = await rig.approvals(id);
  const resumedAfterMs = pushes[0].at - decided.decided_at!.getTime();
  t.diagnostic(`decision → push started: ${resumedAfterMs} ms`);
  assert.ok(resumedAfterMs >= 0 && resumedAfterMs < 1000, `the run resumed ${resumedAfterMs} ms after the decision`);
  assert.equal((await rig.approvals(id)).length, 1);
});

test('kill -9 right after the runner hears the decision: the resumed run takes the stored decision and pushes exactly once', async (t) => {
  const rig = await setup(t);
  const id = await crashedAt(rig, 'decided');
  assert.deepEqual(rig.pushes(), [], 'killed before the push');
  const run = await resumedByAnotherRunner(rig, id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['two'],
  );
  assert.equal((await rig.approvals(id)).length, 1);
});

test('kill -9 while the approved push runs: it is never run again — the resumed run fails with effect_uncommitted, 1 push in all', async (t) => {
  const rig = await setup(t);
  const id = await crashedAt(rig, 'running');
  const run = await resumedByAnotherRunner(rig, id);
  assert.deepEqual([run.status, run.error_code], ['failed', 'effect_uncommitted']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['one'],
    'the push that may have happened is not repeated',
  );
  assert.deepEqual(
    (await rig.effects(id)).map((e) => [e.attempt, e.status]),
    [[1, 'started']],
  );
});

test('kill -9 right after the push committed: the resumed run replays it from the ledger and finishes, 1 push in all', async (t) => {
  const rig = await setup(t);
  const id = await crashedAt(rig, 'committed');
  const run = await resumedByAnotherRunner(rig, id);
  assert.deepEqual([run.status, run.error_code], ['succeeded', 'none']);
  assert.deepEqual(
    rig.pushes().map((p) => p.runner),
    ['one'],
  );
  assert.deepEqual(
    (await rig.effects(id)).map((e) => [e.attempt, e.status, e.replayed]),
    [
      [1, 'committed', false],
      [2, 'committed', true],
    ],
  );
});
