import { test } from 'node:test';
import assert from 'node:assert/strict';
import { z } from 'zod';
import { silentLogger } from '../../../../shared/log.ts';
import { CATALOG } from '../../../../agents/catalog/index.ts';
import { agentOutputSchema, type LlmAgent } from '../../../../agents/types.ts';
import type { RunnerChatRequest } from '../../../../customer-plane/llm/types.ts';
import { jsonSchemaOf, type LoopResult, runLlmAgent, toolsFor } from '../../../../customer-plane/runner/agent-loop.ts';
import { inputsEnvelope, RUNTIME_FRAME } from '../../../../customer-plane/runner/untrusted.ts';
import { StepFailure } from '../../../../customer-plane/tools/toolbox.ts';
import { answer, llmAgent, recordingJournal, recordingTools, type Reply, scriptedLlm, toolCall } from '../../../support/scripted-llm.ts';

/**
 * The agent loop's refusals, proved directly (a scripted model, no gateway, no database): the one repair
 * turn, the turn and token budgets at their edges, and the codes a failing provider ends the step with.
 */
async function loop(agent: LlmAgent, script: Array<Reply | ((req: RunnerChatRequest) => Reply)>, o: { secretNames?: string[] } = {}) {
  const model = scriptedLlm(script);
  const { tools, calls } = recordingTools();
  const { journal, turns } = recordingJournal();
  const signal = new AbortController().signal;
  let result: LoopResult | undefined;
  let error: unknown;
  try {
    result = await runLlmAgent(agent, {
      llm: model.llm,
      tools,
      journal,
      priorTurns: new Map(),
      inputs: { index: { summary: 'indexed', findings: [], patches: [] } },
      params: { branch: 'main' },
      secretNames: o.secretNames,
      tenant: 'tenant-1',
      requestId: 'req-1',
      signal,
      log: silentLogger(),
    });
  } catch (err) {
    error = err;
  }
  assert.equal(model.overrun, 0, 'the loop never asked the model for a turn past the script');
  return { result, error, requests: model.requests, contexts: model.contexts, calls, turns, signal };
}

/** The StepFailure a loop ended with: its code and message. */
function failure(error: unknown): [string, string] {
  assert.ok(error instanceof StepFailure, `a StepFailure, not ${String(error)}`);
  return [error.code, error.message];
}
const repairOf = (req: RunnerChatRequest) => req.messages.at(-1)!;

test('a valid first answer ends the step after one model call, with its tokens counted (cached and cache-writing input included)', async () => {
  const r = await loop(llmAgent(), [
    { content: answer('fine'), usage: { inputTokens: 10, cachedInputTokens: 3, cacheCreationTokens: 2, outputTokens: 7 } },
  ]);
  assert.deepEqual(r.result, {
    output: { summary: 'fine', findings: [], patches: [] },
    llmCalls: 1,
    inputTokens: 15,
    outputTokens: 7,
    reusedCalls: 0,
    reusedInputTokens: 0,
    reusedOutputTokens: 0,
  });
  assert.deepEqual(r.turns, [
    { seq: 1, message: { content: answer('fine'), tool_calls: undefined }, inputTokens: 15, outputTokens: 7, replayed: false },
  ]);
});

test('the request: the prompt and the runtime frame as instructions, the task with the earlier outputs as data, the agent’s tools and output schema', async () => {
  const agent = llmAgent({ tools: ['read_file', 'list_files'] });
  const r = await loop(agent, [{ content: answer() }]);
  const req = r.requests[0]!;
  assert.deepEqual(req.messages, [
    { role: 'system', content: `You diagnose bugs.\n\n${RUNTIME_FRAME}` },
    {
      role: 'user',
      content: [
        'Task: find the bug',
        'Parameters of this run (operator-set): {"branch":"main"}',
        'Outputs of the earlier steps this step depends on:',
        inputsEnvelope({ index: { summary: 'indexed', findings: [], patches: [] } }),
        'Use your tools to look at the workspace, then answer with the JSON object.',
      ].join('\n'),
    },
  ]);
  assert.equal(req.model, 'core');
  assert.equal(req.tool_choice, 'auto');
  assert.deepEqual(req.response_format, {
    type: 'json_schema',
    json_schema: { name: 'agent_output', schema: jsonSchemaOf(agentOutputSchema), strict: false },
  });
  assert.deepEqual(
    req.tools!.map((t) => [t.type, t.function.name]),
    [
      ['function', 'read_file'],
      ['function', 'list_files'],
    ],
  );
  assert.deepEqual(req.tools, toolsFor(agent));
  assert.match(req.tools![0]!.function.description, /\S/);
  assert.equal((req.tools![0]!.function.parameters as { type?: string }).type, 'object');
  assert.deepEqual(r.contexts[0], { tenant: 'tenant-1', agent: 'bug-diagnoser', requestId: 'req-1', signal: r.signal });
});

test('jsonSchemaOf drops $schema and keeps the schema itself', () => {
  const s = jsonSchemaOf(agentOutputSchema);
  assert.equal('$schema' in s, false);
  assert.equal(s.type, 'object');
  assert.deepEqual(Object.keys(s.properties as object).sort(), ['data', 'findings', 'patches', 'summary']);
});

test('the schema a model is given is what its answer is parsed as (the input side, where defaulted fields are optional); a part JSON Schema cannot express does not stop the request', () => {
  const output = (CATALOG['bug-diagnoser'] as LlmAgent).output;
  const { $schema: _in, ...input } = z.toJSONSchema(output, { io: 'input', unrepresentable: 'any' });
  const { $schema: _out, ...parsed } = z.toJSONSchema(output, { io: 'output', unrepresentable: 'any' });
  assert.notDeepEqual(input, parsed, 'this agent’s schema has defaulted fields: the two sides differ');
  assert.deepEqual(jsonSchemaOf(output), input);
  const defaulted = jsonSchemaOf(z.object({ summary: z.string(), severity: z.string().default('low') }));
  assert.deepEqual(defaulted.required, ['summary'], 'a field with a default may be left out of an answer');
  const withDate = jsonSchemaOf(z.object({ summary: z.string(), at: z.date() }));
  assert.deepEqual(Object.keys(withDate.properties as object), ['summary', 'at']);
});

test('secret names are offered only to an agent that runs commands (run_command or git), and only when there are some', async () => {
  const line = (agent: LlmAgent, names?: string[]) =>
    loop(agent, [{ content: answer() }], { secretNames: names }).then((r) =>
      (r.requests[0]!.messages[1]!.content as string).split('\n').filter((l) => l.startsWith('Secrets your commands may use')),
    );
  const named = await line(llmAgent({ tools: ['read_file', 'run_command'] }), ['GH_TOKEN', 'NPM_TOKEN']);
  assert.equal(named.length, 1);
  assert.match(named[0]!, /\{\{secret:NAME\}\}/);
  assert.ok(named[0]!.endsWith(': GH_TOKEN, NPM_TOKEN'));
  assert.match(
    named[0]!,
    /run_command's env \(\{"NAME": "\{\{secret:NAME\}\}"\}\)/,
    'env is offered first to an agent that has run_command',
  );
  const gitOnly = await line(llmAgent({ tools: ['git'] }), ['GH_TOKEN']);
  assert.equal(gitOnly.length, 1);
  assert.doesNotMatch(gitOnly[0]!, /env/, 'git has no env');
  assert.match(gitOnly[0]!, /write \{\{secret:NAME\}\} as an argument/, 'a git-only agent is told how to write a reference');
  assert.deepEqual(await line(llmAgent({ tools: ['read_file', 'write_file'] }), ['GH_TOKEN']), []);
  assert.deepEqual(await line(llmAgent({ tools: ['run_command'] }), []), []);
  assert.deepEqual(await line(llmAgent({ tools: ['run_command'] })), []);
});

test('an answer that is not JSON gets exactly one repair turn naming the problem; the repaired answer ends the step', async () => {
  const r = await loop(llmAgent(), [{ content: 'Here is my diagnosis: it is fine.' }, { content: answer('repaired') }]);
  assert.equal(r.result?.output.summary, 'repaired');
  assert.equal(r.result?.llmCalls, 2);
  const second = r.requests[1]!.messages;
  assert.deepEqual(second.slice(-2), [
    { role: 'assistant', content: 'Here is my diagnosis: it is fine.' },
    {
      role: 'user',
      content: 'Your reply is not a JSON object valid for the output schema (the reply is not JSON). Reply with only that JSON object.',
    },
  ]);
});

test('an answer still invalid after the repair turn fails the step with invalid_output, and no third turn is asked for', async () => {
  const r = await loop(llmAgent(), [{ content: '{"summary": 1}' }, { content: '{"summary": 2}' }, { content: answer() }]);
  const [code, message] = failure(r.error);
  assert.equal(code, 'invalid_output');
  assert.match(message, /^the final answer is not valid for the output schema: summary: /);
  assert.equal(r.requests.length, 2);
});

test('the repair is granted once per step: tool calls after it do not earn a second one', async () => {
  const r = await loop(llmAgent({ budget: { maxSteps: 6, maxTokens: 100_000 } }), [
    { content: 'prose' },
    { tool_calls: [toolCall('read_file', { path: 'a.ts' })] },
    { content: 'more prose' },
    { content: answer() },
  ]);
  assert.equal(failure(r.error)[0], 'invalid_output');
  assert.equal(r.requests.length, 3);
});

test('what the repair turn says is wrong: an empty reply, no choices at all, a schema issue at the root or at a path, at most five issues', async () => {
  const problem = async (reply: Reply) => {
    const r = await loop(llmAgent(), [reply, { content: answer() }]);
    assert.equal(r.result?.output.summary, 'done');
    return /\((.*)\)\. Reply with only that JSON object\.$/.exec(repairOf(r.requests[1]!).content as string)![1]!;
  };
  assert.equal(await problem({ content: '' }), 'the reply is empty');
  assert.equal(await problem({ content: null }), 'the reply is empty');
  assert.equal(await problem({ content: ['not', 'a', 'string'] }), 'the reply is empty');
  assert.equal(await problem({ choices: [] }), 'the reply is empty');
  assert.match(await problem({ content: '[]' }), /^\(root\): /);
  assert.match(await problem({ content: '{"summary":"s","findings":[],"patches":[{"x":1}]}' }), /^patches\.0\.\w+: /);
  const many = await problem({ content: JSON.stringify({ summary: 's', findings: [1, 2, 3, 4, 5, 6, 7], patches: [] }) });
  assert.deepEqual(
    many.split('; ').map((p) => p.split(':')[0]),
    ['findings.0', 'findings.1', 'findings.2', 'findings.3', 'findings.4'],
  );
});

test('an answer in a markdown code fence, or with whitespace around it, is read as the JSON inside', async () => {
  const fence = '```';
  for (const content of [
    `${fence}json\n${answer('fenced')}\n${fence}`,
    `${fence}\n${answer('fenced')}${fence}`,
    `  \n${answer('fenced')}\n  `,
    `\n  ${fence}json\n${answer('fenced')}\n${fence}\n`, // whitespace outside the fence
    `${fence}${answer('fenced')}${fence}`, // no whitespace inside it
  ]) {
    const r = await loop(llmAgent(), [{ content }]);
    assert.equal(r.result?.output.summary, 'fenced', content);
    assert.equal(r.requests.length, 1);
  }
});

test('fences are stripped only at the ends: a fence inside the answer’s text is kept as written', async () => {
  const summary = 'wrap it in ```json fences, then ``` close them';
  const r = await loop(llmAgent(), [{ content: answer(summary) }]);
  assert.equal(r.result?.output.summary, summary);
  assert.equal(r.requests.length, 1);
});

test('the turn budget: an answer on the last allowed turn is accepted; a model still calling tools then fails with budget_exhausted', async () => {
  const agent = llmAgent({ budget: { maxSteps: 3, maxTokens: 100_000 } });
  const call = { tool_calls: [toolCall('read_file', { path: 'a.ts' })] };
  const inTime = await loop(agent, [call, call, { content: answer('just in time') }]);
  assert.equal(inTime.result?.output.summary, 'just in time');
  const late = await loop(agent, [call, call, call, { content: answer() }]);
  assert.deepEqual(failure(late.error), ['budget_exhausted', 'no answer within 3 model turns']);
  assert.equal(late.requests.length, 3);
  assert.equal(late.calls.length, 3, 'the last turn’s tool calls still ran through the toolbox');
});

test('the repair turn counts against the turn budget: with one turn, an invalid answer ends as budget_exhausted', async () => {
  const r = await loop(llmAgent({ budget: { maxSteps: 1, maxTokens: 100_000 } }), [{ content: 'prose' }, { content: answer() }]);
  assert.equal(failure(r.error)[0], 'budget_exhausted');
  assert.equal(r.requests.length, 1);
});

test('the token budget: one token under the limit allows another turn; exactly at the limit, the step fails with budget_exhausted', async () => {
  const agent = llmAgent({ budget: { maxSteps: 10, maxTokens: 100 } });
  const call = (inputTokens: number, outputTokens: number): Reply => ({
    tool_calls: [toolCall('read_file', { path: 'a' })],
    usage: { inputTokens, outputTokens },
  });
  const under = await loop(agent, [call(60, 39), { content: answer('under') }]);
  assert.equal(under.result?.output.summary, 'under');
  assert.deepEqual([under.result?.inputTokens, under.result?.outputTokens], [60 + 10, 39 + 5]);
  const at = await loop(agent, [call(60, 40), { content: answer() }]);
  assert.deepEqual(failure(at.error), ['budget_exhausted', 'token budget of 100 used up']);
  assert.equal(at.requests.length, 1);
  const cached = await loop(agent, [
    { ...call(50, 40), usage: { inputTokens: 50, cachedInputTokens: 5, cacheCreationTokens: 5, outputTokens: 40 } },
  ]);
  assert.equal(failure(cached.error)[0], 'budget_exhausted', 'cached and cache-writing input count against the budget too');
});

test('each request asks for at most what the token budget has left, between 256 and 4096', async () => {
  const maxTokensOf = async (maxTokens: number, firstTurn: number) => {
    const r = await loop(llmAgent({ budget: { maxSteps: 5, maxTokens } }), [
      { tool_calls: [toolCall('read_file', { path: 'a' })], usage: { inputTokens: firstTurn, outputTokens: 0 } },
      { content: answer() },
    ]);
    return r.requests.map((q) => q.max_tokens);
  };
  assert.deepEqual(await maxTokensOf(10_000, 9_000), [4096, 1000]);
  assert.deepEqual(await maxTokensOf(4097, 1), [4096, 4096]);
  assert.deepEqual(await maxTokensOf(2000, 1744), [2000, 256]);
  assert.deepEqual(await maxTokensOf(2000, 1745), [2000, 256]);
  assert.deepEqual(await maxTokensOf(2000, 1743), [2000, 257]);
  const withOutput = await loop(llmAgent({ budget: { maxSteps: 5, maxTokens: 2000 } }), [
    { tool_calls: [toolCall('read_file', { path: 'a' })], usage: { inputTokens: 1000, outputTokens: 500 } },
    { content: answer() },
  ]);
  assert.deepEqual(
    withOutput.requests.map((q) => q.max_tokens),
    [2000, 500],
    'output tokens count against what is left',
  );
});

test('a provider that refuses the request fails the step with llm_rejected; one that is down, overloaded or cancelled with llm_unavailable', async () => {
  const codeFor = async (err: Error) => {
    const r = await loop(llmAgent(), [err]);
    const [code, message] = failure(r.error);
    assert.equal(message, 'the LLM call failed');
    assert.equal((r.error as Error).cause, err, 'the provider’s error is kept as the cause');
    return code;
  };
  const withStatus = (status: unknown) => Object.assign(new Error('provider said no'), { status });
  assert.equal(await codeFor(withStatus(400)), 'llm_rejected');
  assert.equal(await codeFor(withStatus(404)), 'llm_rejected');
  assert.equal(await codeFor(withStatus(498)), 'llm_rejected');
  assert.equal(await codeFor(withStatus(429)), 'llm_unavailable');
  assert.equal(await codeFor(withStatus(499)), 'llm_unavailable');
  assert.equal(await codeFor(withStatus(500)), 'llm_unavailable');
  assert.equal(await codeFor(withStatus(503)), 'llm_unavailable');
  assert.equal(await codeFor(withStatus('400')), 'llm_unavailable');
  assert.equal(await codeFor(new Error('socket hang up')), 'llm_unavailable');
});
