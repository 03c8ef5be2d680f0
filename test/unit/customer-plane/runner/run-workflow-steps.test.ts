import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { AgentName } from '../../../../shared/boundary.ts';
import type { AgentOutput, StepContext, WorkflowTemplate } from '../../../../agents/types.ts';
import type { RunInputs } from '../../../../customer-plane/runner/ledger/inputs.ts';
import type { SecretsProvider } from '../../../../customer-plane/secrets/provider.ts';
import { answer, llmAgent, scriptedLlm } from '../../../support/scripted-llm.ts';
import { deterministic, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * Whole runs through runWorkflow on a scratch ledger and a real workspace, with scripted agents: how
 * steps' outcomes make the run's (the first failure by completion, dependents skipped), what each step
 * is given, and what the run's end does — its inputs discarded, its secrets let go, the workspace
 * destroyed (what it tells memory: run-workflow-memory.test.ts).
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

test('the run fails with the code of the step that failed first, not of the first or the last in the template', async () => {
  const rig = await workflowRig();
  const ids: Record<string, string> = {};
  /** Waits until the named step's record is in the ledger. */
  const after = async (key: string) => {
    while (!rig.finishes.some((f) => f.stepId === ids[key])) await new Promise((r) => setImmediate(r));
  };
  // Readers, so the three run at once; they fail in the order second, first, third.
  const failing = (name: AgentName, key: string, wait: string | undefined, error: () => unknown) =>
    deterministic(
      name,
      async (ctx) => {
        ids[key] = ctx.stepId;
        if (wait) await after(wait);
        throw error();
      },
      { tools: ['read_file'] },
    );
  rig.deps.catalog = {
    'secret-scanner': failing('secret-scanner', 'first', 'second', () => new Error('failed after the second')),
    'license-checker': failing('license-checker', 'second', undefined, () => Object.assign(new Error('x'), { code: 'timeout' })),
    'dependency-auditor': failing('dependency-auditor', 'third', 'first', () => Object.assign(new Error('x'), { code: 'path_rejected' })),
  };
  rig.deps.templates = template([
    { id: 'first', agent: 'secret-scanner', needs: [] },
    { id: 'second', agent: 'license-checker', needs: [] },
    { id: 'third', agent: 'dependency-auditor', needs: [] },
  ]);
  const r = await rig.run('security-audit');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'timeout']);
  assert.deepEqual((await rig.recordOf(r.runId)).steps, [
    ['first', 'failed', 'agent_error'],
    ['second', 'failed', 'timeout'],
    ['third', 'failed', 'path_rejected'],
  ]);
  const finished = rig.events.find((e) => e.event.type === 'workflow.finished')!.event;
  assert.equal(finished.type === 'workflow.finished' && finished.steps, 3, 'failed steps ran, so they count');
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
  const model = scriptedLlm([{ content: answer('key deploy-key-value-0123456789') }]);
  const rig = await workflowRig({
    inputs,
    llm: model.llm,
    catalog: { 'bug-diagnoser': llmAgent({ tools: ['read_file', 'run_command'] }) },
    templates: template([{ id: 'i', agent: 'bug-diagnoser', needs: [] }]),
  });
  const r = await rig.run('security-audit', { inputs: 'inp_2' });
  assert.equal(r.status, 'succeeded');
  assert.equal((await rig.ledger.getRun(r.runId))!.steps[0]!.output?.summary, 'key [masked:DEPLOY_KEY]');
  assert.match(model.requests[0]!.messages[1]!.content as string, /^Secrets your commands may use.*: DEPLOY_KEY$/m);
});
