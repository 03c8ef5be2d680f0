import { test } from 'node:test';
import assert from 'node:assert/strict';
import { agentOutputSchema, type AgentOutput, type DeterministicAgent, type WorkflowTemplate } from '../../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../customer-plane/environments/defaults.ts';
import { parseEnvironments } from '../../../customer-plane/environments/environments.ts';
import { templateHash } from '../../../customer-plane/environments/template-hash.ts';
import { startRuntimeRig } from '../../support/runtime-rig.ts';

/** The shipped environments, with the test's template pinned as reviewed in production (else it would not run there). */
function shippedWithPin(template: WorkflowTemplate, catalog: Parameters<typeof templateHash>[1]) {
  const environments = Object.fromEntries(
    DEFAULT_ENVIRONMENTS.map(({ name, ...e }) => [
      name,
      name === 'production' ? { ...e, reviewed: { [template.name]: templateHash(template, catalog) } } : e,
    ]),
  );
  return parseEnvironments(JSON.stringify({ environments }), 'test');
}

/**
 * The meta-cognitive layer driving the gate, on the real runtime and a real Postgres: an agent's record
 * in an environment moves its autonomy level, and the next step runs at that level.
 */

let mode: 'fail' | 'write' = 'write';
const writes: Array<{ ok: boolean; reason?: string }> = [];
const writer: DeterministicAgent = {
  name: 'fixer',
  kind: 'deterministic',
  tier: null,
  purpose: 'test writer',
  tools: ['read_file', 'write_file'],
  budget: { maxSteps: 5, maxTokens: 0 },
  output: agentOutputSchema,
  async run(ctx) {
    if (mode === 'fail') return { summary: 1 } as unknown as AgentOutput; // not its schema: invalid_output, the agent's own failure
    const r = await ctx.tools.call('write_file', { path: 'NOTES.md', content: 'notes\n' });
    writes.push(r.ok ? { ok: true } : { ok: false, reason: r.reason });
    return { summary: r.ok ? 'wrote' : `not written (${r.reason})`, findings: [], patches: [] };
  },
};
const oneWriter: Record<'refactor', WorkflowTemplate> = {
  refactor: { name: 'refactor', description: 'test', steps: [{ id: 'fix', agent: 'fixer', needs: [] }] },
};

async function decisions(rig: Awaited<ReturnType<typeof startRuntimeRig>>, runId: string) {
  const rows = await rig.query<{ decision: string; reason: string }>(
    `SELECT decision, reason FROM runtime.gate_decisions WHERE run_id = $1 AND tool = 'write_file' ORDER BY id`,
    [runId],
  );
  return rows.map((r) => `${r.decision}:${r.reason}`);
}

test('failures in a row demote an agent in that environment, and the gate then refuses its writes there (observe); its other environments keep their level', async (t) => {
  const rig = await startRuntimeRig(t, {
    catalog: { fixer: writer },
    templates: oneWriter,
    memory: { autonomy: { demoteAfterFailures: 2 } },
  });
  mode = 'write';
  const before = await rig.run('refactor');
  assert.deepEqual(await decisions(rig, before.runId), ['allow:allowed'], 'assisted, in the sandbox: writes on its own');
  mode = 'fail';
  for (let i = 0; i < 2; i++) assert.equal((await rig.run('refactor')).errorCode, 'invalid_output');
  mode = 'write';
  const after = await rig.run('refactor');
  assert.deepEqual(await decisions(rig, after.runId), ['deny:autonomy_level'], 'observe: proposes only');
  assert.equal(after.status, 'succeeded');
  const levels = await rig.memory!.autonomyLevels({ agents: ['fixer'], environments: ['sandbox', 'preview', 'production'] });
  assert.deepEqual(
    levels.map((l) => [l.environment, l.level, l.failures, l.consecutiveFailures]),
    [
      ['preview', 'assisted', 0, 0],
      ['production', 'assisted', 0, 0],
      ['sandbox', 'observe', 2, 0],
    ],
  );
  const sandbox = levels.find((l) => l.environment === 'sandbox')!;
  assert.equal(sandbox.changeReason, 'demoted_failures');
  assert.ok(sandbox.changedAt);
});

test('successes in a row promote an agent in preview to autonomous, so it writes there without asking; in production it stays assisted and is asked before every write', async (t) => {
  const asked: string[] = [];
  const rig = await startRuntimeRig(t, {
    catalog: { fixer: writer },
    templates: oneWriter,
    environments: shippedWithPin(oneWriter.refactor!, { fixer: writer }),
    memory: { autonomy: { promoteAfter: 2, promoteMinSuccessRate: 1 } },
    broker: {
      request: async (req) => {
        asked.push(`${req.policy.environment}:${req.policy.autonomy}:${req.reason}`);
        // A person approves: an approved ask is no override, so the successes count toward promotion.
        return { outcome: 'approved', note: 'test: a person approves' };
      },
    },
  });
  mode = 'write';
  const first = await rig.run('refactor', { environment: 'preview' });
  assert.deepEqual(await decisions(rig, first.runId), ['ask:autonomy_level'], 'assisted outside the sandbox: acts with approval');
  await rig.run('refactor', { environment: 'preview' });
  const promoted = await rig.run('refactor', { environment: 'preview' });
  assert.deepEqual(await decisions(rig, promoted.runId), ['allow:allowed'], 'autonomous: acts within policy');
  for (let i = 0; i < 4; i++) await rig.run('refactor', { environment: 'production' });
  const prod = await rig.run('refactor', { environment: 'production' });
  assert.deepEqual(await decisions(rig, prod.runId), ['ask:environment_policy']);
  assert.deepEqual(asked, [
    'preview:assisted:autonomy_level',
    'preview:assisted:autonomy_level',
    ...Array(5).fill('production:assisted:environment_policy'),
  ]);
  const levels = await rig.memory!.autonomyLevels();
  assert.deepEqual(
    levels.map((l) => [l.environment, l.agent, l.level, l.successes]),
    [
      ['preview', 'fixer', 'autonomous', 3],
      ['production', 'fixer', 'assisted', 5],
    ],
  );
});

test('a person rejecting what an agent asked to do counts as an override when the run ends, and demotes the agent', async (t) => {
  const rig = await startRuntimeRig(t, {
    catalog: { fixer: writer },
    templates: oneWriter,
    environments: shippedWithPin(oneWriter.refactor!, { fixer: writer }),
    memory: true,
    broker: { request: async () => ({ outcome: 'rejected', note: 'test: a person rejects' }) },
  });
  mode = 'write';
  const run = await rig.run('refactor', { environment: 'preview' });
  assert.deepEqual(await decisions(rig, run.runId), ['ask:autonomy_level']);
  const levels = await rig.memory!.autonomyLevels();
  assert.deepEqual(
    levels.map((l) => [l.environment, l.agent, l.level, l.overrides]),
    [['preview', 'fixer', 'observe', 1]],
    'one override demotes an assisted agent to observe (the default threshold)',
  );
});

test('a person’s override (a rejected approval, a reverted patch) demotes the agent once per override; an operator can reset it', async (t) => {
  const rig = await startRuntimeRig(t, { catalog: { fixer: writer }, templates: oneWriter, memory: true });
  const m = rig.memory!;
  const change = await m.recordOverride({ agent: 'fixer', environment: 'sandbox', ref: 'approval-01' });
  assert.deepEqual(change && [change.from, change.to, change.reason], ['assisted', 'observe', 'demoted_overrides']);
  assert.equal(
    await m.recordOverride({ agent: 'fixer', environment: 'sandbox', ref: 'approval-01' }),
    undefined,
    'the same override counts once',
  );
  mode = 'write';
  const r = await rig.run('refactor');
  assert.deepEqual(await decisions(rig, r.runId), ['deny:autonomy_level']);
  assert.equal(await m.resetStanding('fixer', 'sandbox'), 'assisted');
  const again = await rig.run('refactor');
  assert.deepEqual(await decisions(rig, again.runId), ['allow:allowed']);
  const [row] = await m.autonomyLevels();
  assert.deepEqual([row.level, row.overrides, row.successes, row.changeReason], ['assisted', 1, 2, 'reset']);
});

test('a run rolled up twice (a redelivered finish) counts each step once', async (t) => {
  const rig = await startRuntimeRig(t, { catalog: { fixer: writer }, templates: oneWriter, memory: true });
  mode = 'write';
  const r = await rig.run('refactor', { workflowId: '01JZZZZZZZZZZZZZZZZZZZZZZZ' });
  await rig.run('refactor', { workflowId: r.runId }); // the same work delivered again: the finished run finishes again
  const [row] = await rig.memory!.autonomyLevels();
  assert.equal(row.successes, 1);
  assert.deepEqual(await rig.query('SELECT run_id FROM memory.episodes'), [{ run_id: r.runId }]);
});
