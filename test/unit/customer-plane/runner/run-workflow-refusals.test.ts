import { mock, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import fsPromises from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import type { AgentName } from '../../../../shared/boundary.ts';
import { newUlid } from '../../../../shared/ids.ts';
import { RetryableError } from '../../../../shared/worker-errors.ts';
import type { AgentDefinition, WorkflowTemplate } from '../../../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../../customer-plane/environments/defaults.ts';
import { LedgerError } from '../../../../customer-plane/runner/ledger/journal.ts';
import type { RunInputs } from '../../../../customer-plane/runner/ledger/inputs.ts';
import { policyFor } from '../../../../customer-plane/runner/run-workflow.ts';
import { SecretNameError } from '../../../../customer-plane/secrets/errors.ts';
import type { SecretsProvider } from '../../../../customer-plane/secrets/provider.ts';
import { deterministic, environmentsOf, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * Dispatches the runner refuses before any step runs — an environment it does not have, a template it
 * does not have or may not run there, a template that is not a DAG, a repository alias it does not
 * know, inputs it cannot find, a secret scope that is not valid — each ends the run with its code,
 * never a crash, and without a workspace. runWorkflow runs directly on a scratch ledger.
 */
useStepRig();

let ran = 0;
const reader = (name: AgentName): AgentDefinition => deterministic(name, async () => (ran++, ok(name)), { tools: ['read_file'] });
const catalog = { indexer: reader('indexer'), reviewer: reader('reviewer') };
const review: WorkflowTemplate = {
  name: 'code-review',
  description: 'test',
  steps: [
    { id: 'index', agent: 'indexer', needs: [] },
    { id: 'review', agent: 'reviewer', needs: ['index'] },
  ],
};
const templates = { 'code-review': review };

async function refusedRig(o: Parameters<typeof workflowRig>[0] = {}) {
  ran = 0;
  return workflowRig({ catalog, templates, ...o });
}
/** The run's steps all ended skipped: a run that failed before them leaves none pending. */
async function stepsSkipped(rig: Awaited<ReturnType<typeof refusedRig>>, runId: string) {
  assert.deepEqual((await rig.recordOf(runId)).steps, [
    ['index', 'skipped', 'dependency_failed'],
    ['review', 'skipped', 'dependency_failed'],
  ]);
}
/** Nothing ran and no workspace was made. */
function nothingRan(rig: Awaited<ReturnType<typeof refusedRig>>) {
  assert.equal(ran, 0, 'no agent ran');
  assert.deepEqual(readdirSync(rig.workspaceDir), [], 'no workspace was made');
}

test('an environment the plane does not have: the run fails with unknown_environment, its steps are abandoned, and nothing runs', async () => {
  const rig = await refusedRig();
  const r = await rig.run('code-review', { environment: 'staging' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'unknown_environment']);
  assert.deepEqual(await rig.recordOf(r.runId), {
    run: ['failed', 'unknown_environment'],
    steps: [
      ['index', 'skipped', 'dependency_failed'],
      ['review', 'skipped', 'dependency_failed'],
    ],
  });
  nothingRan(rig);
  assert.deepEqual(rig.eventsOf(r.runId), ['workflow.started', 'workflow.finished:failed:unknown_environment']);
  assert.deepEqual(rig.rejected, []);
  const warned = rig.lines.find((l) => l.msg === 'run refused by its environment')!;
  assert.deepEqual(
    [warned.level, warned.errorCode, warned.environment, warned.template, warned.why, warned.workflowId],
    [40, 'unknown_environment', 'staging', 'code-review', 'this customer plane has no environment of that name', r.runId],
  );
  assert.deepEqual(rig.closed, [{ scope: { runId: r.runId }, reason: 'the run ended failed (unknown_environment) before anyone decided' }]);
  assert.equal(rig.flushes(), 2, 'the start (the plane’s acceptance) and the end are flushed');
});

test('a refused run delivered again reports its refusal again and sends no event for the steps it abandoned', async () => {
  const rig = await refusedRig();
  const workflowId = newUlid();
  const first = await rig.run('code-review', { environment: 'staging', workflowId });
  const again = await rig.run('code-review', { environment: 'staging', workflowId });
  assert.deepEqual([again.status, again.errorCode], [first.status, first.errorCode]);
  assert.deepEqual(rig.eventsOf(workflowId), [
    'workflow.started',
    'workflow.finished:failed:unknown_environment',
    'workflow.started',
    'workflow.finished:failed:unknown_environment',
  ]);
  assert.deepEqual(rig.rejected, []);
  nothingRan(rig);
});

test('a template the environment does not allow, or has not reviewed: the run fails with that code and nothing runs', async () => {
  const sandbox = DEFAULT_ENVIRONMENTS[0]!;
  const rig = await refusedRig({ environments: environmentsOf([{ ...sandbox, templates: ['security-audit'] }, DEFAULT_ENVIRONMENTS[2]!]) });
  const notAllowed = await rig.run('code-review');
  assert.deepEqual([notAllowed.status, notAllowed.errorCode], ['failed', 'template_not_allowed']);
  assert.deepEqual((await rig.recordOf(notAllowed.runId)).steps, [
    ['index', 'skipped', 'dependency_failed'],
    ['review', 'skipped', 'dependency_failed'],
  ]);
  const warned = rig.lines.find((l) => l.msg === 'run refused by its environment')!;
  assert.equal(warned.why, 'the sandbox environment does not allow this template');
  const notReviewed = await rig.run('code-review', { environment: 'production' });
  assert.deepEqual([notReviewed.status, notReviewed.errorCode], ['failed', 'template_not_reviewed']);
  assert.deepEqual(rig.eventsOf(notReviewed.runId), ['workflow.started', 'workflow.finished:failed:template_not_reviewed']);
  nothingRan(rig);
});

test('a template this release does not have: unknown_template, and the run has no steps', async () => {
  const rig = await refusedRig();
  const r = await rig.run('refactor');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'unknown_template']);
  assert.deepEqual(await rig.recordOf(r.runId), { run: ['failed', 'unknown_template'], steps: [] });
  assert.deepEqual(rig.eventsOf(r.runId), ['workflow.started', 'workflow.finished:failed:unknown_template']);
  nothingRan(rig);
});

test('a template that is not a runnable DAG fails the run with internal before any step exists', async () => {
  const cyclic: WorkflowTemplate = {
    ...review,
    steps: [
      { id: 'index', agent: 'indexer', needs: ['review'] },
      { id: 'review', agent: 'reviewer', needs: ['index'] },
    ],
  };
  const rig = await refusedRig({ templates: { 'code-review': cyclic } });
  const r = await rig.run('code-review');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'internal']);
  assert.deepEqual((await rig.recordOf(r.runId)).steps, []);
  const logged = rig.lines.find((l) => l.msg === 'template is not a runnable DAG')!;
  assert.equal(logged.level, 50);
  assert.ok(Array.isArray(logged.problems) && logged.problems.length > 0);
  nothingRan(rig);
});

test('a repository alias the plane does not know: repo_not_found, its steps skipped, and nothing runs', async () => {
  const rig = await refusedRig();
  const r = await rig.run('code-review', { repo: 'no-such-repo' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'repo_not_found']);
  assert.deepEqual((await rig.recordOf(r.runId)).run, ['failed', 'repo_not_found']);
  await stepsSkipped(rig, r.runId);
  nothingRan(rig);
});

test('the refusals come in order: environment, then template, then admission, then the DAG, then the repository', async () => {
  const sandbox = DEFAULT_ENVIRONMENTS[0]!;
  const cyclic: WorkflowTemplate = { name: 'refactor', description: 't', steps: [{ id: 'a', agent: 'indexer', needs: ['a'] }] };
  const rig = await refusedRig({
    environments: environmentsOf([
      { ...sandbox, templates: ['code-review'] },
      { ...sandbox, name: 'preview', secrets: { prefix: 'preview/' } },
    ]),
    templates: { ...templates, refactor: cyclic },
  });
  const codeOf = async (template: string, d: { environment?: string; repo?: string }) => (await rig.run(template, d)).errorCode;
  assert.equal(await codeOf('diagnose-and-fix', { environment: 'staging', repo: 'nope' }), 'unknown_environment');
  assert.equal(await codeOf('diagnose-and-fix', { repo: 'nope' }), 'unknown_template');
  assert.equal(await codeOf('refactor', { repo: 'nope' }), 'template_not_allowed');
  assert.equal(await codeOf('refactor', { environment: 'preview', repo: 'nope' }), 'internal');
  assert.equal(await codeOf('code-review', { environment: 'preview', repo: 'nope' }), 'repo_not_found');
  nothingRan(rig);
});

test('inputs the run names but cannot have — no inputs store, or an id it does not find — fail the run with inputs_not_found, its steps skipped', async () => {
  const none = await refusedRig();
  const r = await none.run('code-review', { inputs: 'inp_missing' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'inputs_not_found']);
  await stepsSkipped(none, r.runId);
  const asked: unknown[] = [];
  const inputs = { claim: async (...a: unknown[]) => void asked.push(a), discardFor: async () => {} } as unknown as RunInputs;
  const missing = await refusedRig({ inputs });
  const m = await missing.run('code-review', { inputs: 'inp_missing' });
  assert.deepEqual([m.status, m.errorCode], ['failed', 'inputs_not_found']);
  assert.deepEqual(asked, [['inp_missing', { runId: m.runId, template: 'code-review' }]]);
  nothingRan(missing);
});

test('an inputs store that cannot be read gives the run back for a retry (LedgerError): it is not failed', async () => {
  const inputs = { claim: async () => Promise.reject(new Error('db down')), discardFor: async () => {} } as unknown as RunInputs;
  const rig = await refusedRig({ inputs });
  let runId = '';
  await assert.rejects(rig.run('code-review', { inputs: 'inp_1', workflowId: (runId = newUlid()) }), LedgerError);
  assert.deepEqual((await rig.recordOf(runId)).run, ['running', 'none']);
  nothingRan(rig);
});

const provider = (names: SecretsProvider['names']): SecretsProvider => ({
  names,
  get: async () => undefined,
  has: async () => false,
  put: async () => {},
  delete: async () => {},
});

test('a secret scope that is not valid fails the run with internal; a secret store that cannot be read now is retried', async () => {
  const invalid = await refusedRig({
    secrets: { provider: provider(async () => Promise.reject(new SecretNameError('secret_scope_invalid', 'bad prefix'))) },
  });
  const r = await invalid.run('code-review');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'internal']);
  await stepsSkipped(invalid, r.runId);
  const scopeLine = invalid.lines.find((l) => l.msg === 'the run’s secret scope is not valid')!;
  assert.deepEqual([scopeLine.level, (scopeLine.err as { message: string }).message], [50, 'bad prefix'], 'the cause is logged');
  nothingRan(invalid);
  const down = await refusedRig({
    secrets: { provider: provider(async () => Promise.reject(new RetryableError('secrets_unavailable', 'store down'))) },
  });
  await assert.rejects(down.run('code-review'), RetryableError);
  nothingRan(down);
});

test('a workspace that cannot be made fails the run with workspace_error before its steps, which end skipped', async () => {
  const rig = await refusedRig({ repos: { sample: '/nonexistent/agentplane-test-repo' } });
  const r = await rig.run('code-review');
  assert.deepEqual([r.status, r.errorCode], ['failed', 'workspace_error']);
  assert.equal(rig.lines.find((l) => l.msg === 'workflow failed before its steps')?.errorCode, 'workspace_error');
  await stepsSkipped(rig, r.runId);
  nothingRan(rig);
});

test('a broker without closeFor and an inputs store that cannot discard do not stop a run from ending; the second is logged', async () => {
  const inputs = {
    claim: async () => undefined,
    discardFor: async () => Promise.reject(new Error('store down')),
  } as unknown as RunInputs;
  const rig = await refusedRig({ closeFor: null, inputs });
  const r = await rig.run('code-review', { inputs: 'inp_3' });
  assert.deepEqual([r.status, r.errorCode], ['failed', 'inputs_not_found']);
  const logged = rig.lines.find((l) => l.msg === 'could not delete the run’s secret inputs')!;
  assert.deepEqual([logged.level, (logged.err as { message: string }).message], [50, 'store down']);
  assert.deepEqual((await rig.recordOf(r.runId)).run, ['failed', 'inputs_not_found']);
});

test('a workspace that cannot be removed does not stop the run from ending; the failure is logged with its cause', async (t) => {
  let stepsDone = false;
  const last = deterministic('reviewer', async () => ((stepsDone = true), ok('reviewer')), { tools: ['read_file'] });
  const rig = await refusedRig({ catalog: { ...catalog, reviewer: last } });
  const workflowId = newUlid();
  const runDir = join(rig.workspaceDir, workflowId);
  // Only the removal at the run's end fails (the workspace module imports rm by name: the builtin's exports are re-synced).
  const realRm = fsPromises.rm;
  mock.method(fsPromises, 'rm', async (path: string, o?: object) =>
    stepsDone && path === runDir ? Promise.reject(new Error('device busy (test)')) : realRm(path, o),
  );
  syncBuiltinESMExports();
  t.after(async () => {
    mock.restoreAll();
    syncBuiltinESMExports();
    await realRm(runDir, { recursive: true, force: true });
  });
  const r = await rig.run('code-review', { workflowId });
  assert.deepEqual([r.status, r.errorCode], ['succeeded', 'none']);
  const logged = rig.lines.find((l) => l.msg === 'workspace cleanup failed')!;
  assert.deepEqual([logged.level, (logged.err as { message: string }).message], [50, 'device busy (test)']);
});

test('the gate’s policy for a run is its environment’s, at the assisted level until memory says otherwise', () => {
  const production = DEFAULT_ENVIRONMENTS[2]!;
  assert.deepEqual(policyFor(production), { environment: 'production', writes: 'ask', actAloneFrom: 'autonomous', autonomy: 'assisted' });
  assert.deepEqual(policyFor(DEFAULT_ENVIRONMENTS[0]!), {
    environment: 'sandbox',
    writes: 'allow',
    actAloneFrom: 'assisted',
    autonomy: 'assisted',
  });
});
