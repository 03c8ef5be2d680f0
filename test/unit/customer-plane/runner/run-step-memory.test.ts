import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AutonomyLevel } from '../../../../customer-plane/gate/policy.ts';
import type { Memory, StepScope } from '../../../../customer-plane/memory/memory.ts';
import type { StepToolBox } from '../../../../customer-plane/tools/toolbox.ts';
import { answer, llmAgent, scriptedLlm } from '../../../support/scripted-llm.ts';
import { runOneStep as runOne, writesThen } from '../../../support/one-step.ts';
import { deterministic, ok, useStepRig } from '../../../support/step-rig.ts';

/**
 * A step with agent memory (faked, recorded): the autonomy level it runs at, the trace and memo it opens,
 * and what memory is told when it ends — on a scratch ledger and a real workspace, like run-step.test.ts.
 */
useStepRig();

/** Agent memory as a step uses it, recorded: the level it asks for, the memo and trace it opens, what it is told at the end. */
function fakeMemory(level: AutonomyLevel) {
  const asked: Array<[string, string]> = [];
  const traced: string[] = [];
  const closed: Array<{ scope: StepScope; step: Record<string, unknown>; sameOpened: boolean }> = [];
  const keyed: number[] = [];
  const opened = {
    memo: {
      keyOf: (req: { messages: unknown[] }) => {
        keyed.push(req.messages.length);
        return '';
      },
      lookup: async () => undefined,
      remember: () => {},
      commit: async () => {},
      stats: () => ({ reused: 0, remembered: 0 }),
    },
    trace: {
      wrap: (box: StepToolBox): StepToolBox => ({
        ...box,
        callRaw: (tool: string, input: unknown) => (traced.push(tool), box.callRaw(tool, input)),
        call: (tool, input) => (traced.push(tool), box.callRaw(tool, input)),
      }),
    },
  };
  const scopes: StepScope[] = [];
  const memory = {
    levelOf: async (agent: string, environment: string) => (asked.push([agent, environment]), level),
    openStep: (scope: StepScope, agent: string) => (scopes.push({ ...scope, agent } as StepScope), opened),
    closeStep: async (scope: StepScope, step: Record<string, unknown>, o: unknown) =>
      void closed.push({ scope, step, sameOpened: o === opened }),
  } as unknown as Memory;
  return { memory, asked, traced, closed, scopes, keyed };
}

test('with memory, a step runs at the level its agent earned in the environment, its calls are traced, and memory is told how it ended', async () => {
  const m = fakeMemory('observe');
  const s = await runOne(
    writesThen(() => ok('tried')),
    { deps: { memory: m.memory }, run: { baseline: false, template: 'refactor' } },
  );
  assert.deepEqual(m.asked, [['fixer', 'sandbox']]);
  assert.equal(s.result.status, 'succeeded');
  assert.deepEqual(s.files, ['README.md'], 'at observe, the write was refused');
  assert.equal(s.finish.refusals, 1);
  assert.deepEqual(m.traced, ['write_file'], 'the agent’s calls went through memory’s trace');
  assert.deepEqual(m.scopes, [
    { runId: s.runId, stepId: s.stepId, repo: 'sample', environment: 'sandbox', template: 'refactor', stepKey: 'only', agent: 'fixer' },
  ]);
  assert.equal(m.closed.length, 1);
  assert.deepEqual(m.closed[0]!.scope, {
    runId: s.runId,
    stepId: s.stepId,
    repo: 'sample',
    environment: 'sandbox',
    template: 'refactor',
    stepKey: 'only',
  });
  assert.deepEqual(m.closed[0]!.step, {
    agent: 'fixer',
    autonomy: 'observe',
    succeeded: true,
    baseline: false,
    output: ok('tried'),
    turnsLive: 0,
  });
  assert.equal(m.closed[0]!.sameOpened, true);
});

test('with memory, an LLM step’s turns are keyed for reuse and a failed step is reported as failed with its live turns', async () => {
  const m = fakeMemory('autonomous');
  const model = scriptedLlm([{ content: answer('ok') }]);
  const s = await runOne(llmAgent(), { deps: { memory: m.memory, llm: model.llm } });
  assert.deepEqual(m.keyed, [2], 'the loop asked the step’s memo for the key of its request');
  assert.deepEqual([m.closed[0]!.step.succeeded, m.closed[0]!.step.turnsLive, m.closed[0]!.step.autonomy], [true, 1, 'autonomous']);
  assert.equal(s.result.status, 'succeeded');
  const failing = fakeMemory('assisted');
  await runOne(
    deterministic('fixer', async () => {
      throw new Error('no');
    }),
    { deps: { memory: failing.memory } },
  );
  assert.deepEqual([failing.closed[0]!.step.succeeded, failing.closed[0]!.step.output], [false, undefined]);
  const invalid = fakeMemory('assisted');
  const prose = scriptedLlm([{ content: 'prose' }, { content: 'more prose' }]);
  await runOne(llmAgent(), { deps: { memory: invalid.memory, llm: prose.llm } });
  assert.deepEqual(
    [invalid.closed[0]!.step.succeeded, invalid.closed[0]!.step.turnsLive],
    [false, 2],
    'a failed LLM step’s live turns are the model calls it made',
  );
});

test('with memory but no agent, memory is neither asked nor told (the step fails with unknown_agent)', async () => {
  const m = fakeMemory('autonomous');
  const s = await runOne(undefined, { deps: { memory: m.memory } });
  assert.equal(s.result.errorCode, 'unknown_agent');
  assert.deepEqual([m.asked, m.scopes, m.closed], [[], [], []]);
});
