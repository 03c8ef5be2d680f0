import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { AgentName } from '../../../../shared/boundary.ts';
import type { AgentOutput, StepContext, WorkflowTemplate } from '../../../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../../customer-plane/environments/defaults.ts';
import type { AutonomyLevel } from '../../../../customer-plane/gate/policy.ts';
import type { Memory } from '../../../../customer-plane/memory/memory.ts';
import type { FinishedRun } from '../../../../customer-plane/memory/rollup.ts';
import type { RunInputs } from '../../../../customer-plane/runner/ledger/inputs.ts';
import type { SecretsProvider } from '../../../../customer-plane/secrets/provider.ts';
import { deterministic, environmentsOf, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * Whole runs through runWorkflow on a scratch ledger and a real workspace, with scripted agents: how
 * steps' outcomes make the run's (the first failure by completion, dependents skipped), what each step
 * is given, and what the run's end does — its approvals closed, its inputs discarded, memory told, the
 * workspace destroyed.
 */
useStepRig();

const finding = { rule: 'r/x', severity: 'low' as const, file: 'README.md', line: 1, message: 'm' };
const template = (steps: WorkflowTemplate['steps']): Record<string, WorkflowTemplate> => ({
  'security-audit': { name: 'security-audit', description: 'test', steps },
});
type Seen = { inputs: StepContext['inputs']; params: StepContext['params'] };

test('a failing step skips its dependents, the others run, and the run fails with its code; each step gets its needs’ outputs and its parameters', async () => {
  const seen: Record<string, Seen> = {};
  const agent = (name: AgentName, out: () => AgentOutput) =>
    deterministic(name, async (ctx) => ((seen[name] = { inputs: ctx.inputs, params: ctx.params }), out()), { tools: ['read_file'] });
  const discarded: string[] = [];
  const inputs = {
    claim: async () => ({ params: { shared: 'run', only: 'run' }, secrets: { names: [], read: async () => undefined } }),
    discardFor: async (runId: string) => void discarded.push(runId),
  } as unknown as RunInputs;
  const rig = await workflowRig({
    inputs,
    catalog: {
      'secret-scanner': agent('secret-scanner', () => ok('a', { findings: [finding] })),
      'dependency-auditor': agent('dependency-auditor', () => ({ summary: 'no findings field' }) as AgentOutput),
      'license-checker': agent('license-checker', () => ok('c')),
      'change-summarizer': agent('change-summarizer', () => ok('d')),
    },
    templates: template([
      { id: 'a', agent: 'secret-scanner', needs: [] },
      { id: 'b', agent: 'dependency-auditor', needs: [] },
      { id: 'c', agent: 'license-checker', needs: ['b'] },
      { id: 'd', agent: 'change-summarizer', needs: ['a'], params: { shared: 'step', mode: 'fast' } },
    ]),
  });
  const r = await rig.run('security-audit', { inputs: 'inp_1' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'invalid_output']);
  assert.deepEqual((await rig.recordOf(r.runId)).steps, [
    ['a', 'succeeded', 'none'],
    ['b', 'failed', 'invalid_output'],
    ['c', 'skipped', 'dependency_failed'],
    ['d', 'succeeded', 'none'],
  ]);
  assert.equal(seen['license-checker'], undefined, 'the dependent of the failed step never ran');
  assert.deepEqual(seen['change-summarizer'], {
    inputs: { a: ok('a', { findings: [finding] }) },
    params: { shared: 'step', only: 'run', mode: 'fast' },
  });
  assert.deepEqual(seen['secret-scanner'], { inputs: {}, params: { shared: 'run', only: 'run' } });
  assert.deepEqual(rig.eventsOf(r.runId).sort(), [
    'step.finished:failed:invalid_output',
    'step.finished:skipped:dependency_failed',
    'step.finished:succeeded:none',
    'step.finished:succeeded:none',
    'workflow.finished:failed:invalid_output',
    'workflow.started',
  ]);
  assert.deepEqual(rig.rejected, []);
  const steps = (await rig.ledger.getRun(r.runId))!.steps;
  assert.ok(
    rig.closed.some((c) => c.scope.stepId === steps[2]!.id && c.reason === 'the step was skipped: a step it needs failed'),
    'the skipped step’s approvals were closed',
  );
  assert.deepEqual(rig.closed.at(-1), { scope: { runId: r.runId }, reason: 'the run ended failed (invalid_output) before anyone decided' });
  assert.deepEqual(discarded, [r.runId], 'the run’s inputs are discarded at its end');
  const finished = rig.events.find((e) => e.event.type === 'workflow.finished')!.event;
  assert.equal(finished.type === 'workflow.finished' && finished.steps, 3, 'the steps that ran (skipped ones not counted)');
  const line = rig.lines.find((l) => l.msg === 'workflow finished')!;
  assert.deepEqual([line.status, line.errorCode, line.steps], ['failed', 'invalid_output', 3]);
  assert.deepEqual(readdirSync(rig.workspaceDir), [], 'the workspace is destroyed');
});

test('the run fails with the code of the step that failed first, not of the first in the template', async () => {
  const rig = await workflowRig();
  let firstId = '';
  // Readers, so the two run at once.
  const first = deterministic(
    'license-checker',
    async (ctx) => {
      firstId = ctx.stepId;
      throw new Error('failed first');
    },
    { tools: ['read_file'] },
  );
  // Fails only once the other step's failure is in the ledger.
  const later = deterministic(
    'secret-scanner',
    async () => {
      while (!rig.finishes.some((f) => f.stepId === firstId)) await new Promise((r) => setImmediate(r));
      return { summary: 'late' } as AgentOutput;
    },
    { tools: ['read_file'] },
  );
  rig.deps.catalog = { 'secret-scanner': later, 'license-checker': first };
  rig.deps.templates = template([
    { id: 'late', agent: 'secret-scanner', needs: [] },
    { id: 'early', agent: 'license-checker', needs: [] },
  ]);
  const r = await rig.run('security-audit');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'agent_error']);
  assert.deepEqual((await rig.recordOf(r.runId)).steps, [
    ['late', 'failed', 'invalid_output'],
    ['early', 'failed', 'agent_error'],
  ]);
});

function fakeMemory(levels: Partial<Record<AgentName, AutonomyLevel>>) {
  const finished: FinishedRun[] = [];
  const memory = {
    levelOf: async (agent: AgentName) => levels[agent] ?? 'autonomous',
    openStep: () => ({
      memo: {
        keyOf: () => '',
        lookup: async () => undefined,
        remember: () => {},
        commit: async () => {},
        stats: () => ({ reused: 0, remembered: 0 }),
      },
      trace: { wrap: <T>(box: T) => box },
    }),
    closeStep: async () => {},
    finishRun: async (run: FinishedRun) => void finished.push(run),
  } as unknown as Memory;
  return { memory, finished };
}

test('a run that succeeds: its steps’ outcomes go to memory, its approvals are closed as not needed, and its gate decisions are events', async () => {
  const m = fakeMemory({});
  const rig = await workflowRig({
    memory: m.memory,
    catalog: {
      fixer: deterministic('fixer', async (ctx) => {
        await ctx.tools.call('write_file', { path: 'fixed.txt', content: 'ok\n' });
        return ok('fixed', { findings: [finding, finding] });
      }),
    },
    templates: template([{ id: 'fix', agent: 'fixer', needs: [] }]),
  });
  const r = await rig.run('security-audit');
  assert.deepEqual([r.status, r.errorCode], ['succeeded', 'none']);
  const stepId = (await rig.ledger.getRun(r.runId))!.steps[0]!.id;
  assert.deepEqual(m.finished, [
    {
      runId: r.runId,
      repo: 'sample',
      template: 'security-audit',
      environment: 'sandbox',
      status: 'succeeded',
      errorCode: 'none',
      steps: [
        {
          id: stepId,
          stepKey: 'fix',
          agent: 'fixer',
          status: 'succeeded',
          errorCode: 'none',
          llmCalls: 0,
          inputTokens: 0,
          outputTokens: 0,
          findings: 2,
          refusedForLevel: false,
          overridden: false,
        },
      ],
    },
  ]);
  assert.deepEqual(rig.closed.at(-1), { scope: { runId: r.runId }, reason: 'the run finished without this action' });
  assert.deepEqual(rig.rejected, []);
  assert.deepEqual(rig.eventsOf(r.runId), [
    'workflow.started',
    'step.finished:succeeded:none',
    'gate.decisions',
    'workflow.finished:succeeded:none',
  ]);
  assert.deepEqual(readdirSync(rig.workspaceDir), []);
});

test('memory hears which failed steps the agent’s level refused something, and which steps a person overrode', async () => {
  const m = fakeMemory({ fixer: 'observe', 'patch-applier': 'observe', 'migration-planner': 'assisted' });
  const writes = (name: AgentName, fail: boolean) =>
    deterministic(name, async (ctx) => {
      await ctx.tools.call('write_file', { path: `${name}.txt`, content: 'x\n' });
      if (fail) throw new Error('could not write');
      return ok(name);
    });
  const sandbox = DEFAULT_ENVIRONMENTS[0]!;
  const rig = await workflowRig({
    memory: m.memory,
    environments: environmentsOf([{ ...sandbox, writes: 'ask' }]),
    catalog: {
      fixer: writes('fixer', true),
      'patch-applier': writes('patch-applier', false),
      'migration-planner': writes('migration-planner', false),
    },
    templates: template([
      { id: 'refused-failed', agent: 'fixer', needs: [] },
      { id: 'refused-ok', agent: 'patch-applier', needs: [] },
      { id: 'asked', agent: 'migration-planner', needs: ['refused-ok'] },
    ]),
  });
  const r = await rig.run('security-audit');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'tool_denied']);
  assert.deepEqual(
    m.finished[0]!.steps.map((s) => [s.stepKey, s.status, s.refusedForLevel, s.overridden]),
    [
      ['refused-failed', 'failed', true, false],
      ['refused-ok', 'succeeded', false, false],
      ['asked', 'succeeded', false, true],
    ],
  );
  assert.deepEqual([m.finished[0]!.status, m.finished[0]!.errorCode], ['failed', 'tool_denied']);
});

test('the runner’s stop signal reaches every step', async () => {
  const stop = new AbortController();
  const rig = await workflowRig({
    catalog: {
      indexer: deterministic('indexer', async (ctx) => {
        const before = ctx.signal.aborted;
        stop.abort();
        return ok(`${before} → ${ctx.signal.aborted}`);
      }),
    },
    templates: template([{ id: 'i', agent: 'indexer', needs: [] }]),
  });
  const r = await rig.run('security-audit', {}, { signal: stop.signal });
  assert.equal(r.status, 'succeeded');
  assert.equal((await rig.ledger.getRun(r.runId))!.steps[0]!.output?.summary, 'false → true');
});

test('a run’s secrets are read from its environment’s scope (or the one the plane sets) and let go when the run ends', async () => {
  const scopes: string[] = [];
  let tracked = 0;
  const provider: SecretsProvider = {
    names: async (scope) => (scopes.push(scope.prefix), ['GH_TOKEN']),
    get: async () => 'ghp_value_long_enough_to_mask_123',
    has: async () => true,
    put: async () => {},
    delete: async () => {},
  };
  const masking = { track: () => (tracked++, () => void tracked--), mask: (s: string) => s, maskJsonLine: (s: string) => s };
  const summary = deterministic('indexer', async () => ok('token ghp_value_long_enough_to_mask_123'), { tools: ['read_file'] });
  const rig = await workflowRig({
    secrets: { provider, masking },
    catalog: { indexer: summary },
    templates: template([{ id: 'i', agent: 'indexer', needs: [] }]),
  });
  const r = await rig.run('security-audit', { environment: 'preview' });
  assert.equal(r.status, 'succeeded');
  assert.deepEqual(scopes, ['preview/']);
  assert.equal(tracked, 0, 'the run’s masker is no longer tracked once it ended');
  assert.equal((await rig.ledger.getRun(r.runId))!.steps[0]!.output?.summary, 'token [masked:GH_TOKEN]');
  rig.deps.secrets = { provider, masking, scopeFor: () => ({ prefix: 'plane/' }) };
  await rig.run('security-audit');
  assert.deepEqual(scopes, ['preview/', 'plane/']);
});

test('secret inputs alone (no secrets provider) are the run’s secrets: masked in what it records', async () => {
  const inputs = {
    claim: async () => ({ params: {}, secrets: { names: ['DEPLOY_KEY'], read: async () => 'deploy-key-value-0123456789' } }),
    discardFor: async () => {},
  } as unknown as RunInputs;
  const rig = await workflowRig({
    inputs,
    catalog: { indexer: deterministic('indexer', async () => ok('key deploy-key-value-0123456789'), { tools: ['read_file'] }) },
    templates: template([{ id: 'i', agent: 'indexer', needs: [] }]),
  });
  const r = await rig.run('security-audit', { inputs: 'inp_2' });
  assert.equal(r.status, 'succeeded');
  assert.equal((await rig.ledger.getRun(r.runId))!.steps[0]!.output?.summary, 'key [masked:DEPLOY_KEY]');
});
