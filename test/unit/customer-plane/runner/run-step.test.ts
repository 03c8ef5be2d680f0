import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AgentDefinition } from '../../../../agents/types.ts';
import { LedgerError } from '../../../../customer-plane/runner/ledger/journal.ts';
import { StepInterrupted } from '../../../../customer-plane/runner/run-step.ts';
import { policyFor } from '../../../../customer-plane/runner/run-workflow.ts';
import { createMasker } from '../../../../customer-plane/secrets/masker.ts';
import type { RunSecrets } from '../../../../customer-plane/secrets/run-secrets.ts';
import { RetryableError } from '../../../../shared/worker-errors.ts';
import { answer, llmAgent, scriptedLlm, toolCall } from '../../../support/scripted-llm.ts';
import { runOneStep as runOne, SANDBOX as sandbox, writesThen } from '../../../support/one-step.ts';
import { deterministic, ok, stepRig, useStepRig } from '../../../support/step-rig.ts';

/**
 * One step, run directly against a real ledger (a scratch database) and a real workspace, with the
 * agent scripted: the code each way of failing ends with, that a failed step's changes are undone and
 * nothing of its output recorded, and what the step's record counts. The runtime's integration tests
 * prove the same through whole runs; these pin each case in well under a second.
 */
useStepRig();

test('an agent missing from the catalog fails its step with unknown_agent; nothing ran, and its pending approvals are closed', async () => {
  const s = await runOne(undefined);
  assert.deepEqual(s.result, { status: 'failed', errorCode: 'unknown_agent', tree: s.workspace.baselineTree });
  assert.deepEqual([s.stored.status, s.stored.errorCode, s.stored.output], ['failed', 'unknown_agent', null]);
  assert.deepEqual(
    [s.finish.toolCalls, s.finish.refusals, s.finish.llmCalls, s.finish.gateEventId, s.finish.appliedDiff, s.finish.output],
    [0, 0, 0, '', '', undefined],
  );
  assert.deepEqual(s.rig.closed, [
    { scope: { runId: s.runId, stepId: s.stepId }, reason: 'the step failed (unknown_agent) before anyone decided' },
  ]);
});

test('a writer that succeeds: its output and its change to the workspace are the step’s record; its duration is what the clock measured', async () => {
  const s = await runOne(
    writesThen(() => ok('wrote', { findings: [{ rule: 'r/x', severity: 'low', file: 'new.txt', line: 1, message: 'm' }] })),
  );
  assert.equal(s.result.status, 'succeeded');
  assert.equal(s.result.errorCode, 'none');
  assert.notEqual(s.result.tree, s.workspace.baselineTree, 'the step’s tree is the one after its write');
  assert.match(s.diff, /\+\+\+ b\/new\.txt/);
  assert.deepEqual(s.files, ['new.txt', 'README.md']);
  assert.equal(s.finish.appliedDiff, s.diff);
  assert.equal(s.finish.treeAfter, s.result.tree);
  assert.deepEqual([s.stored.status, s.stored.errorCode, s.stored.output?.summary], ['succeeded', 'none', 'wrote']);
  assert.deepEqual([s.finish.toolCalls, s.finish.refusals, s.finish.durationMs], [1, 0, 250]);
  assert.match(s.finish.gateEventId, /^[0-9A-Z]{26}$/, 'a step the gate decided for has a gate event');
  assert.match(s.finish.finishedEventId, /^[0-9A-Z]{26}$/);
  assert.deepEqual(s.rig.closed, [{ scope: { runId: s.runId, stepId: s.stepId }, reason: 'the step finished without this action' }]);
});

test('an agent that throws fails with agent_error: its change is undone, and neither its output nor a diff is recorded', async () => {
  const s = await runOne(
    writesThen(() => {
      throw new Error('boom');
    }),
  );
  assert.deepEqual(s.result, { status: 'failed', errorCode: 'agent_error', tree: s.workspace.baselineTree });
  assert.deepEqual(s.files, ['README.md'], 'the workspace is back where the step started');
  assert.deepEqual(
    [s.finish.appliedDiff, s.finish.output, s.finish.treeAfter, s.finish.toolCalls],
    ['', undefined, s.workspace.baselineTree, 1],
  );
  const warned = s.rig.lines.find((l) => l.msg === 'step failed')!;
  assert.deepEqual(
    [warned.errorCode, warned.step, warned.agent, (warned.err as { message?: string }).message],
    ['agent_error', 'only', 'fixer', 'boom'],
  );
});

test('output that does not match the agent’s schema fails with invalid_output, and its change is undone too', async () => {
  const s = await runOne(writesThen(() => ({ summary: 'no findings field' })));
  assert.deepEqual(s.result, { status: 'failed', errorCode: 'invalid_output', tree: s.workspace.baselineTree });
  assert.deepEqual(s.files, ['README.md']);
  const warned = s.rig.lines.find((l) => l.msg === 'step failed')!;
  assert.deepEqual([warned.errorCode, warned.err], ['invalid_output', undefined], 'an expected failure is logged without its stack');
});

test('a step that fails after a refusal ends with what the refusal says: a tool it lacks, arguments that are not valid, its call budget', async () => {
  const failsAfter = (
    call: (
      tools: Parameters<AgentDefinition extends infer A ? (A extends { run: infer R } ? R : never) : never>[0]['tools'],
    ) => Promise<unknown>,
    maxSteps = 20,
  ) =>
    deterministic(
      'fixer',
      async (ctx) => {
        await call(ctx.tools);
        throw new Error('gave up');
      },
      { budget: { maxSteps, maxTokens: 0 } },
    );
  const lacks = await runOne(failsAfter((t) => t.call('run_command', { command: 'id' })));
  assert.deepEqual([lacks.result.errorCode, lacks.finish.refusals], ['tool_denied', 1]);
  const badArgs = await runOne(failsAfter((t) => t.call('read_file', { nope: 1 } as never)));
  assert.deepEqual([badArgs.result.errorCode, badArgs.finish.refusals], ['invalid_tool_arguments', 1]);
  const overBudget = await runOne(
    failsAfter(async (t) => {
      for (let i = 0; i < 3; i++) await t.call('read_file', { path: 'README.md' });
    }, 2),
  );
  assert.deepEqual([overBudget.result.errorCode, overBudget.finish.toolCalls, overBudget.finish.refusals], ['budget_exhausted', 3, 1]);
  const outside = await runOne(failsAfter((t) => t.call('read_file', { path: '../../etc/passwd' })));
  assert.equal(outside.result.errorCode, 'tool_denied', 'a refusal with no code of its own');
});

test('a refusal the agent works around does not fail the step; it is counted', async () => {
  const s = await runOne(
    deterministic('fixer', async (ctx) => {
      const r = await ctx.tools.call('run_command', { command: 'id' });
      return ok(`refused: ${r.ok}`);
    }),
  );
  assert.deepEqual(
    [s.result.status, s.stored.output?.summary, s.finish.refusals, s.finish.toolCalls],
    ['succeeded', 'refused: false', 1, 1],
  );
});

test('an LLM step: the model’s tool calls go through the gate (malformed ones refused), its calls and tokens are the step’s record', async () => {
  const model = scriptedLlm([
    {
      tool_calls: [toolCall('read_file', '{"path":', 'c1'), toolCall('read_file', { path: 'README.md' }, 'c2')],
      usage: { inputTokens: 30, outputTokens: 3 },
    },
    { content: answer('diagnosed'), usage: { inputTokens: 40, outputTokens: 4 } },
  ]);
  const s = await runOne(llmAgent(), { deps: { llm: model.llm } });
  assert.deepEqual([s.result.status, s.stored.output?.summary], ['succeeded', 'diagnosed']);
  assert.deepEqual(
    [s.finish.llmCalls, s.finish.inputTokens, s.finish.outputTokens, s.finish.toolCalls, s.finish.refusals],
    [2, 70, 7, 2, 1],
  );
  const tool = JSON.parse(model.requests[1]!.messages.find((m) => m.role === 'tool')!.content as string);
  assert.deepEqual([tool.kind, tool.reason], ['refusal', 'invalid_arguments']);
  assert.deepEqual(model.contexts[0]!.tenant, 'tenant-1');
});

test('an LLM step may make eight tool calls per turn of its budget; the next is refused', async () => {
  const calls = Array.from({ length: 17 }, (_, i) => toolCall('read_file', { path: 'README.md' }, `c${i}`));
  const model = scriptedLlm([{ tool_calls: calls }, { content: answer() }]);
  const s = await runOne(llmAgent({ budget: { maxSteps: 2, maxTokens: 100_000 } }), { deps: { llm: model.llm } });
  assert.deepEqual([s.result.status, s.finish.toolCalls, s.finish.refusals], ['succeeded', 17, 1]);
  const last = JSON.parse(model.requests[1]!.messages.filter((m) => m.role === 'tool').at(-1)!.content as string);
  assert.equal(last.reason, 'budget_exhausted');
});

test('an LLM step whose answer stays invalid fails with invalid_output; a provider that refuses, with llm_rejected', async () => {
  const invalid = scriptedLlm([{ content: 'prose' }, { content: 'more prose' }]);
  assert.equal((await runOne(llmAgent(), { deps: { llm: invalid.llm } })).result.errorCode, 'invalid_output');
  const refused = scriptedLlm([Object.assign(new Error('bad request'), { status: 400 })]);
  assert.equal((await runOne(llmAgent(), { deps: { llm: refused.llm } })).result.errorCode, 'llm_rejected');
});

test('an LLM step that fails still records the model calls and tokens it spent: its answer never valid, its token budget used up', async () => {
  const invalid = scriptedLlm([
    { content: 'prose', usage: { inputTokens: 10, outputTokens: 1 } },
    { content: 'more prose', usage: { inputTokens: 20, outputTokens: 2 } },
  ]);
  const s = await runOne(llmAgent(), { deps: { llm: invalid.llm } });
  assert.deepEqual([s.result.errorCode, s.finish.llmCalls, s.finish.inputTokens, s.finish.outputTokens], ['invalid_output', 2, 30, 3]);
  const spender = scriptedLlm([
    { tool_calls: [toolCall('read_file', { path: 'README.md' }, 'c1')], usage: { inputTokens: 90, outputTokens: 20 } },
  ]);
  const t = await runOne(llmAgent({ budget: { maxSteps: 5, maxTokens: 100 } }), { deps: { llm: spender.llm } });
  assert.deepEqual(
    [t.result.errorCode, t.finish.llmCalls, t.finish.inputTokens, t.finish.outputTokens, t.finish.toolCalls],
    ['budget_exhausted', 1, 90, 20, 1],
  );
});

test('a retryable failure (the runner stopping, a store unreachable) is thrown for the run to be retried, and the step is not recorded', async () => {
  const rig = await stepRig();
  await assert.rejects(
    runOne(
      deterministic('fixer', async () => {
        throw new RetryableError('stopping', 'the runner is stopping');
      }),
      { rig },
    ),
    RetryableError,
  );
  assert.deepEqual(rig.finishes, []);
});

test('a step stopped from outside is interrupted, not failed: whatever the agent threw is the cause, and nothing is recorded', async () => {
  const rig = await stepRig();
  const stop = new AbortController();
  const onTheWayOut = new Error('cancelled on the way out');
  const agent = deterministic('fixer', async () => {
    stop.abort(new Error('the run lock was lost'));
    throw onTheWayOut;
  });
  await assert.rejects(runOne(agent, { rig, run: { signal: stop.signal } }), (err: unknown) => {
    assert.ok(err instanceof StepInterrupted && err instanceof RetryableError);
    assert.deepEqual(
      [err.code, err.message, err.cause],
      ['step_interrupted', 'the step was stopped before it ended; the run goes back to the queue', onTheWayOut],
    );
    return true;
  });
  assert.deepEqual(rig.finishes, []);
});

test('a ledger write that failed inside a tool call is thrown even when the agent swallowed it: the step is never recorded as succeeded', async () => {
  const rig = await stepRig();
  const db = new Proxy(rig.db, {
    get(target, prop, receiver) {
      if (prop !== 'query') return Reflect.get(target, prop, receiver);
      return (text: unknown, ...rest: unknown[]) =>
        typeof text === 'string' && /INSERT INTO runtime\.tool_calls/.test(text)
          ? Promise.reject(new Error('connection lost (test)'))
          : (target.query as (...a: unknown[]) => Promise<unknown>)(text, ...rest);
    },
  });
  await assert.rejects(
    runOne(
      deterministic('fixer', async (ctx) => {
        await ctx.tools.call('read_file', { path: 'README.md' }).catch(() => undefined);
        return ok('carried on');
      }),
      { rig, deps: { db } },
    ),
    LedgerError,
  );
  assert.deepEqual(rig.finishes, []);
});

test('the run’s secrets are masked in the recorded output and applied diff; the step’s result keeps its tree', async () => {
  const masker = createMasker();
  masker.add('GH_TOKEN', 'ghp_secretvalue1234567890');
  const secrets = { masker, names: () => ['GH_TOKEN'], resolve: async () => 'ghp_secretvalue1234567890' } as unknown as RunSecrets;
  let readBack = '';
  const s = await runOne(
    deterministic('fixer', async (ctx) => {
      await ctx.tools.call('write_file', { path: 'leak.txt', content: 'ghp_secretvalue1234567890\n' });
      const read = await ctx.tools.call('read_file', { path: 'leak.txt' });
      readBack = read.ok ? read.output : '';
      return ok('the token is ghp_secretvalue1234567890');
    }),
    { run: { secrets } },
  );
  assert.equal(s.result.status, 'succeeded');
  assert.equal(readBack, '[masked:GH_TOKEN]\n', 'the agent’s tools mask the run’s secrets in what they return');
  assert.equal(s.stored.output?.summary, 'the token is [masked:GH_TOKEN]');
  assert.match(s.finish.appliedDiff!, /\+\[masked:GH_TOKEN\]/);
  assert.doesNotMatch(JSON.stringify(s.finish), /ghp_secretvalue/);
  assert.match(s.diff, /ghp_secretvalue1234567890/, 'the workspace itself has the value (the next step needs it)');
});

test('a clock that went back records a duration of zero, not a negative one', async () => {
  let t = 10_000;
  const s = await runOne(
    deterministic('fixer', async () => ok('x')),
    { deps: { clock: () => (t -= 100) } },
  );
  assert.equal(s.finish.durationMs, 0);
});

test('an LLM step with secrets: the model is told the names its commands may use, and never sees a value, even in earlier steps’ outputs', async () => {
  const masker = createMasker();
  masker.add('GH_TOKEN', 'ghp_secretvalue1234567890');
  const secrets = { masker, names: () => ['GH_TOKEN'], resolve: async () => 'ghp_secretvalue1234567890' } as unknown as RunSecrets;
  const model = scriptedLlm([{ content: answer() }]);
  const s = await runOne(llmAgent({ tools: ['read_file', 'run_command'] }), {
    deps: { llm: model.llm },
    run: { secrets, inputs: { scan: ok('found ghp_secretvalue1234567890') } },
  });
  assert.equal(s.result.status, 'succeeded');
  const task = model.requests[0]!.messages[1]!.content as string;
  assert.match(task, /Secrets your commands may use.*: GH_TOKEN$/m);
  assert.match(task, /found \[masked:GH_TOKEN\]/);
  assert.doesNotMatch(JSON.stringify(model.requests), /ghp_secretvalue/);
});

test('an approval nobody gave in time fails the step with approval_timeout even when the agent carried on, and its output is not recorded', async () => {
  const asking = policyFor({ ...sandbox, writes: 'ask' });
  const s = await runOne(
    deterministic('fixer', async (ctx) => {
      await ctx.tools.call('write_file', { path: 'new.txt', content: 'x\n' }).catch(() => undefined);
      return ok('carried on');
    }),
    {
      run: { policy: asking },
      deps: { broker: { request: async () => ({ outcome: 'timeout', note: 'nobody decided' }), closeFor: async () => {} } },
    },
  );
  assert.deepEqual([s.result.status, s.result.errorCode], ['failed', 'approval_timeout']);
  assert.deepEqual([s.stored.output, s.finish.output], [null, undefined]);
  assert.deepEqual(s.files, ['README.md']);
});
