import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { newUlid } from '../../../shared/ids.ts';
import { agentOutputSchema, type DeterministicAgent, type WorkflowTemplate } from '../../../agents/types.ts';
import type { ApprovalError } from '../../../customer-plane/approvals/errors.ts';
import { createStoredBroker } from '../../../customer-plane/approvals/broker.ts';
import { createHandlers, type RunnerOptions } from '../../../customer-plane/runner/worker.ts';
import { ROOT, waitFor } from '../../../scripts/topology/boundary-rig.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';
import { createTestOnlyGuard, createTestOnlyRunner } from '../../support/test-commands.ts';

/**
 * An approval whose run ends another way — dead-lettered, failed, or finished without the action — is
 * closed at once with the reason, not left pending until its deadline: it is no longer listed as
 * pending, and deciding it afterwards is refused with approval_closed.
 */
const behaviour = { mode: 'push' as 'push' | 'crash' | 'skip-push' };
const pusher: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose: 'test: pushes, or fails, or finishes without pushing',
  tools: ['run_command'],
  programs: ['git'],
  budget: { maxSteps: 5, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    if (behaviour.mode === 'crash') throw new Error('the agent broke before asking again');
    if (behaviour.mode === 'skip-push') return { summary: 'nothing to push', findings: [], patches: [] };
    const r = await ctx.tools.call('run_command', { command: 'git push origin main' });
    return { summary: r.ok ? 'pushed' : `refused: ${r.reason}`, findings: [], patches: [] };
  },
};
const template: WorkflowTemplate = {
  name: 'refactor',
  description: 'one push',
  steps: [{ id: 'push', agent: 'patch-applier', needs: [] }],
};

function cli(args: string[], databaseUrl: string): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(ROOT, 'customer-plane/cli/approvals.ts'), ...args],
      { env: { PATH: process.env.PATH ?? '', DATABASE_URL: databaseUrl }, timeout: 30_000 },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A run whose push waits as a pending approval, then the runner stops: the run is given back, the approval pending. */
async function interruptedRun(t: Parameters<typeof startRuntimeRig>[0]) {
  behaviour.mode = 'push';
  const rig = await startRuntimeRig(t, {
    catalog: { 'patch-applier': pusher },
    templates: { refactor: template },
    guard: createTestOnlyGuard([{ argv: ['git', 'push', 'origin', 'main'], consequences: ['push'] }]),
    runner: createTestOnlyRunner(),
    storedApprovals: { pollMs: 60_000 },
  });
  const workflowId = newUlid();
  const first = rig.run('refactor', { workflowId });
  const pending = await waitFor('the push to be asked about', async () => (await rig.approvals.list())[0]);
  await rig.storedBroker!.close();
  await assert.rejects(first, (err: { code?: string }) => err.code === 'approval_interrupted');
  assert.equal((await rig.approvals.get(pending.id))!.status, 'pending', 'the interruption leaves it pending, for the next delivery');
  const next = createStoredBroker({ db: rig.pool, environments: rig.deps.environments, log: rig.deps.log, pollMs: 60_000 });
  t.after(() => next.close());
  rig.deps.broker = next;
  return { rig, workflowId, pending };
}

test('a run dead-lettered while its approval is pending: the approval is closed at once with the reason, no longer pending, and approving it is refused (store and CLI)', async (t) => {
  const { rig, workflowId, pending } = await interruptedRun(t);
  const handlers = createHandlers({ ...rig.deps, nc: undefined as unknown as RunnerOptions['nc'] });
  await handlers.exhausted({ workflowId, tenant: rig.deps.tenant, template: 'refactor', repo: 'sample', requestedAt: Date.now() });

  const closed = (await rig.approvals.get(pending.id))!;
  assert.equal(closed.status, 'closed');
  assert.match(closed.note!, /the run ended failed \(delivery_exhausted\)/);
  assert.ok(closed.decidedAt, 'when it was closed');
  assert.deepEqual(await rig.approvals.list(), [], 'nothing is listed as pending');
  await assert.rejects(
    rig.approvals.decide(pending.id, 'approved', { who: 'test', now: Date.now() }),
    (err: ApprovalError) => err.code === 'approval_closed' && err.status === 409 && /delivery_exhausted/.test(err.message),
  );
  const approve = await cli(['approve', pending.id], rig.databaseUrl);
  assert.equal(approve.code, 1);
  assert.match(approve.stderr, /approvals approve: approval_closed: the approval was closed: the run ended failed \(delivery_exhausted\)/);
  const list = await cli(['list'], rig.databaseUrl);
  assert.equal(list.stdout, 'no approvals\n');
  assert.equal((await rig.approvals.get(pending.id))!.status, 'closed', 'the refused decision changed nothing');
});

test('a resumed run that fails before asking again, or finishes without the action, closes the approval its earlier attempt left pending', async (t) => {
  const failed = await interruptedRun(t);
  behaviour.mode = 'crash';
  const r = await failed.rig.run('refactor', { workflowId: failed.workflowId });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'agent_error']);
  const afterFailure = (await failed.rig.approvals.get(failed.pending.id))!;
  assert.deepEqual([afterFailure.status, afterFailure.note], ['closed', 'the step failed (agent_error) before anyone decided']);

  const finished = await interruptedRun(t);
  behaviour.mode = 'skip-push';
  const s = await finished.rig.run('refactor', { workflowId: finished.workflowId });
  assert.deepEqual([s.status, s.errorCode], ['succeeded', 'none']);
  const afterSuccess = (await finished.rig.approvals.get(finished.pending.id))!;
  assert.deepEqual([afterSuccess.status, afterSuccess.note], ['closed', 'the step finished without this action']);
  assert.deepEqual(await finished.rig.approvals.list(), []);
});
