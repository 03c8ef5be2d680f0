import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsMsg } from '@nats-io/jetstream';
import type { DeterministicAgent } from '../../../agents/types.ts';
import { RunLockLost } from '../../../customer-plane/runner/ledger/lock.ts';
import { createHandlers } from '../../../customer-plane/runner/worker.ts';
import { newUlid } from '../../../shared/ids.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { deterministic } from '../../support/step-rig.ts';

/**
 * A runner whose run-lock connection fails mid-run (a database failover, a cut network): Postgres has
 * freed the lock, so the run must stop in this runner and go back to the queue — not crash the process
 * and every run in it, not record the interrupted step as failed, not keep telling JetStream it is alive.
 */
const writer = (body: DeterministicAgent['run']) => deterministic('fixer', body, { tools: ['write_file', 'read_file'] });

/** A work message as JetStream delivers it: the dispatch, and a count of the runner's "still working" signals. */
function delivery(workflowId: string, tenant: string) {
  const msg = {
    data: new TextEncoder().encode(
      JSON.stringify({ workflowId, tenant, template: 'diagnose-and-fix', repo: 'sample', requestedAt: Date.now() }),
    ),
    headers: undefined,
    working: () => {
      msg.workingCalls += 1;
    },
    workingCalls: 0,
  };
  return msg;
}

test('a run whose lock connection fails mid-step stops in that runner without crashing it, its step unrecorded, and resumes on the next delivery with its committed effects replayed', {
  timeout: 60000,
}, async (t) => {
  let attempt = 0;
  let workingAtLoss = -1;
  let reached!: () => void;
  const atWait = new Promise<void>((r) => {
    reached = r;
  });
  const rig = await startRuntimeRig(t, {
    catalog: {
      fixer: writer(async (ctx) => {
        attempt += 1;
        const wrote = await ctx.tools.call('write_file', { path: 'one.txt', content: '1\n' });
        assert.ok(wrote.ok);
        if (attempt === 1) {
          // As a slow tool does when its signal aborts: the agent's work fails on its way out, a while later.
          reached();
          await new Promise<void>((resolve, reject) => {
            // A step that never hears of the loss ends normally after a while, and the assertions say so.
            const unheard = setTimeout(resolve, 10_000);
            ctx.signal.addEventListener('abort', () => {
              clearTimeout(unheard);
              workingAtLoss = first.workingCalls;
              setTimeout(() => reject(new Error('request aborted')), 1000);
            });
          });
        }
        return { summary: `attempt ${attempt}`, findings: [], patches: [] };
      }),
    },
    templates: {
      'diagnose-and-fix': { name: 'diagnose-and-fix', description: 'one writer', steps: [{ id: 'fix', agent: 'fixer', needs: [] }] },
    },
  });
  const handlers = createHandlers({ ...rig.deps, nc: undefined as never, ackWaitMs: 600 });
  const workflowId = newUlid();

  const first = delivery(workflowId, rig.deps.tenant);
  const running = handlers.runOne(first as unknown as JsMsg);
  await atWait;
  // The runner says it is working every 200 ms while it holds the run: wait for the first time.
  while (first.workingCalls === 0) await new Promise((r) => setTimeout(r, 20));
  // The failover: only this scratch database's advisory-lock holder, the run lock's connection, is cut.
  const cut = await rig.query(
    `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND pid <> pg_backend_pid()
       AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  assert.equal(cut.length, 1, 'the run lock is one connection');
  await assert.rejects(running, RunLockLost, 'the delivery ends retryable (nak): the process is still here to say so');
  assert.ok(workingAtLoss >= 1, 'the step heard the loss through its signal');
  // The step took another second to stop (five heartbeats' worth): the runner said nothing more once the lock was gone.
  assert.equal(first.workingCalls, workingAtLoss, '"still working" after the lock was lost');

  const steps = await rig.query<{ status: string; error_code: string | null }>(
    `SELECT status, error_code FROM runtime.steps WHERE run_id = $1`,
    [workflowId],
  );
  assert.deepEqual(
    steps.map((s) => s.status),
    ['running'],
    'the interrupted step is not recorded as failed: it was stopped, it did not fail',
  );

  const second = delivery(workflowId, rig.deps.tenant);
  await handlers.runOne(second as unknown as JsMsg);
  const rec = (await rig.records.show(workflowId))!;
  assert.deepEqual([rec.status, rec.errorCode], ['succeeded', 'none']);
  assert.deepEqual(
    rec.stepList.map((s) => [s.key, s.status, s.attempt, s.summary]),
    [['fix', 'succeeded', 2, 'attempt 2']],
  );
  const effects = await rig.query<{ attempt: number; status: string; replayed: boolean }>(
    `SELECT e.attempt, e.status, e.replayed FROM runtime.effects e WHERE e.run_id = $1 ORDER BY e.attempt, e.seq`,
    [workflowId],
  );
  assert.deepEqual(
    effects.map((e) => [e.attempt, e.status, e.replayed]),
    [
      [1, 'committed', false],
      [2, 'committed', true],
    ],
    'the write the first attempt committed is replayed, not redone',
  );
});
