import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { AgentName } from '../../../../shared/boundary.ts';
import type { WorkflowTemplate } from '../../../../agents/types.ts';
import { DEFAULT_ENVIRONMENTS } from '../../../../customer-plane/environments/defaults.ts';
import type { AutonomyLevel } from '../../../../customer-plane/gate/policy.ts';
import type { Memory } from '../../../../customer-plane/memory/memory.ts';
import type { FinishedRun } from '../../../../customer-plane/memory/rollup.ts';
import { deterministic, environmentsOf, ok, useStepRig, workflowRig } from '../../../support/step-rig.ts';

/**
 * What a run's end tells memory and the plane, through runWorkflow on a scratch ledger and a real
 * workspace with scripted agents: each step's outcome, which failed steps the agent's level refused and
 * which a person overrode, the approvals closed as not needed, the gate decisions as events.
 */
useStepRig();

const finding = { rule: 'r/x', severity: 'low' as const, file: 'README.md', line: 1, message: 'm' };
const template = (steps: WorkflowTemplate['steps']): Record<string, WorkflowTemplate> => ({
  'security-audit': { name: 'security-audit', description: 'test', steps },
});
function fakeMemory(levels: Partial<Record<AgentName, AutonomyLevel>>) {
  const finished: FinishedRun[] = [];
  const baselines: Array<[string, boolean]> = [];
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
    closeStep: async (scope: { stepKey: string }, step: { baseline: boolean }) => void baselines.push([scope.stepKey, step.baseline]),
    finishRun: async (run: FinishedRun) => void finished.push(run),
  } as unknown as Memory;
  return { memory, finished, baselines };
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
      indexer: deterministic(
        'indexer',
        async (ctx) => {
          const listed = await ctx.tools.call('list_files', {});
          return ok(listed.ok ? listed.output.replace(/\n/g, ' ') : 'no list');
        },
        { tools: ['list_files'] },
      ),
    },
    templates: template([
      { id: 'fix', agent: 'fixer', needs: [] },
      { id: 'after', agent: 'indexer', needs: ['fix'] },
    ]),
  });
  const r = await rig.run('security-audit');
  assert.deepEqual([r.status, r.errorCode], ['succeeded', 'none']);
  const record = (await rig.ledger.getRun(r.runId))!;
  assert.equal(record.steps[1]!.output?.summary, 'README.md fixed.txt src/a.ts', 'the next step works on the tree the writer left');
  assert.deepEqual(m.baselines, [
    ['fix', true],
    ['after', false],
  ]);
  assert.equal(m.finished[0]!.steps.length, 2);
  m.finished[0]!.steps.pop();
  const stepId = record.steps[0]!.id;
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
    'step.finished:succeeded:none',
    'gate.decisions',
    'workflow.finished:succeeded:none',
  ]);
  const finished = rig.events.find((e) => e.event.type === 'workflow.finished')!.event;
  assert.equal(finished.type === 'workflow.finished' && finished.at, record.run.finishedAt, 'the run’s end as the ledger stored it');
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
      // Failed steps the level refused nothing: one the gate never saw, one whose read it allowed.
      'secret-scanner': deterministic('secret-scanner', async () => Promise.reject(new Error('no gate decision')), {
        tools: ['read_file'],
      }),
      'license-checker': deterministic(
        'license-checker',
        async (ctx) => {
          await ctx.tools.call('read_file', { path: 'README.md' });
          throw new Error('read, then failed');
        },
        { tools: ['read_file'] },
      ),
    },
    templates: template([
      { id: 'refused-failed', agent: 'fixer', needs: [] },
      { id: 'refused-ok', agent: 'patch-applier', needs: [] },
      { id: 'asked', agent: 'migration-planner', needs: ['refused-ok'] },
      { id: 'ungated-failed', agent: 'secret-scanner', needs: ['asked'] },
      { id: 'allowed-failed', agent: 'license-checker', needs: ['asked'] },
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
      ['ungated-failed', 'failed', false, false],
      ['allowed-failed', 'failed', false, false],
    ],
  );
  assert.deepEqual([m.finished[0]!.status, m.finished[0]!.errorCode], ['failed', 'tool_denied']);
});
