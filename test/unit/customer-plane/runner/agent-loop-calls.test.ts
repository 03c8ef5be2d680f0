import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../../../shared/log.ts';
import type { RunnerChatRequest } from '../../../../customer-plane/llm/types.ts';
import type { CachedTurn, StepTurnMemo } from '../../../../customer-plane/memory/turn-cache.ts';
import { runLlmAgent, toolCallBudget } from '../../../../customer-plane/runner/agent-loop.ts';
import type { PriorTurn } from '../../../../customer-plane/runner/ledger/journal.ts';
import { toolResultEnvelope } from '../../../../customer-plane/runner/untrusted.ts';
import { answer, llmAgent, recordingJournal, recordingTools, type Reply, scriptedLlm, toolCall } from '../../../support/scripted-llm.ts';

/**
 * What the loop does with a model's tool calls, whatever their shape — each goes to the toolbox (the gate
 * refuses what is malformed), and what is sent back to the provider is always a shape it accepts — and how
 * a resumed step replays its journaled turns and a memo reuses turns instead of calling the model.
 */
async function loop(script: Reply[], o: { priorTurns?: Map<number, PriorTurn>; memo?: StepTurnMemo } = {}) {
  const model = scriptedLlm(script);
  const { tools, calls } = recordingTools((tool) => ({
    ok: false,
    decision: 'deny',
    reason: 'invalid_arguments',
    message: `refused ${tool}`,
  }));
  const { journal, turns } = recordingJournal();
  const result = await runLlmAgent(llmAgent(), {
    llm: model.llm,
    tools,
    journal,
    priorTurns: o.priorTurns ?? new Map(),
    inputs: {},
    params: {},
    tenant: 't',
    signal: new AbortController().signal,
    log: silentLogger(),
    memo: o.memo,
  });
  assert.equal(model.overrun, 0);
  return { result, requests: model.requests, calls, turns };
}
type Msg = RunnerChatRequest['messages'][number];
const assistantOf = (req: RunnerChatRequest) => req.messages.find((m) => m.role === 'assistant') as Extract<Msg, { role: 'assistant' }>;
const toolMessagesOf = (req: RunnerChatRequest) => req.messages.filter((m) => m.role === 'tool') as Array<Extract<Msg, { role: 'tool' }>>;

test('every tool call goes to the toolbox in order with its parsed arguments; each result comes back as a tool message for its call id', async () => {
  const r = await loop([
    { tool_calls: [toolCall('read_file', { path: 'a.ts' }, 'c1'), toolCall('list_files', {}, 'c2')] },
    { content: answer() },
  ]);
  assert.deepEqual(r.calls, [
    { tool: 'read_file', input: { path: 'a.ts' } },
    { tool: 'list_files', input: {} },
  ]);
  const refused = { ok: false as const, decision: 'deny' as const, reason: 'invalid_arguments', message: '' };
  assert.deepEqual(toolMessagesOf(r.requests[1]!), [
    {
      role: 'tool',
      tool_call_id: 'c1',
      content: toolResultEnvelope('read_file', { path: 'a.ts' }, { ...refused, message: 'refused read_file' }),
    },
    { role: 'tool', tool_call_id: 'c2', content: toolResultEnvelope('list_files', {}, { ...refused, message: 'refused list_files' }) },
  ]);
  assert.deepEqual(assistantOf(r.requests[1]!), {
    role: 'assistant',
    content: null,
    tool_calls: [toolCall('read_file', { path: 'a.ts' }, 'c1'), toolCall('list_files', {}, 'c2')],
  });
  assert.deepEqual(r.turns[0]!.message, {
    content: null,
    tool_calls: [toolCall('read_file', { path: 'a.ts' }, 'c1'), toolCall('list_files', {}, 'c2')],
  });
});

test('malformed arguments reach the toolbox as the raw text (the gate refuses them); the provider is sent {} in their place', async () => {
  const r = await loop([
    {
      tool_calls: [
        toolCall('read_file', '{"path": "a.ts"', 'c1'),
        toolCall('read_file', '[1,2]', 'c2'),
        toolCall('read_file', 'null', 'c3'),
      ],
    },
    { content: answer() },
  ]);
  assert.deepEqual(
    r.calls.map((c) => c.input),
    ['{"path": "a.ts"', [1, 2], null],
  );
  assert.deepEqual(
    assistantOf(r.requests[1]!).tool_calls!.map((c) => c.function.arguments),
    ['{}', '{}', '{}'],
  );
});

test('arguments given as an object are sent as its JSON, missing ones as {}; a content beside tool calls is kept', async () => {
  const r = await loop([
    {
      content: 'let me look',
      tool_calls: [
        { id: 'c1', function: { name: 'read_file', arguments: { path: 'a.ts' } } },
        { id: 'c2', function: { name: 'list_files' } },
      ],
    },
    { content: answer() },
  ]);
  assert.deepEqual(r.calls, [
    { tool: 'read_file', input: { path: 'a.ts' } },
    { tool: 'list_files', input: {} },
  ]);
  const echoed = assistantOf(r.requests[1]!);
  assert.equal(echoed.content, 'let me look');
  assert.deepEqual(
    echoed.tool_calls!.map((c) => [c.id, c.type, c.function.arguments]),
    [
      ['c1', 'function', '{"path":"a.ts"}'],
      ['c2', 'function', '{}'],
    ],
  );
});

test('unusable entries are skipped; a call without an id (or with one that is not text) gets one from its position; ids and names are cut to what the API accepts', async () => {
  const longId = 'i'.repeat(300);
  const r = await loop([
    {
      tool_calls: [
        null,
        { id: 'x' },
        { id: 'y', function: { name: 7, arguments: '{}' } },
        { function: { name: 'read file!', arguments: '{}' } },
        { id: '', function: { name: 'n'.repeat(80), arguments: '{}' } },
        { id: longId, function: { name: '', arguments: '{}' } },
        { id: 5, function: { name: 'search', arguments: '{}' } },
      ],
    },
    { content: answer() },
  ]);
  assert.deepEqual(
    r.calls.map((c) => c.tool),
    ['read file!', 'n'.repeat(80), '', 'search'],
    'the toolbox sees the names as the model gave them',
  );
  const echoed = assistantOf(r.requests[1]!).tool_calls!;
  assert.deepEqual(
    echoed.map((c) => [c.id, c.function.name]),
    [
      ['call_3', 'read_file_'],
      ['call_4', 'n'.repeat(64)],
      ['i'.repeat(200), 'unnamed'],
      ['call_6', 'search'],
    ],
  );
  assert.deepEqual(
    toolMessagesOf(r.requests[1]!).map((m) => m.tool_call_id),
    ['call_3', 'call_4', 'i'.repeat(200), 'call_6'],
  );
});

test('tool_calls that are not a list, or hold nothing usable, make the reply an answer', async () => {
  for (const tool_calls of [{ function: { name: 'read_file', arguments: '{}' } }, [], [null, { id: 'x' }], null]) {
    const r = await loop([{ content: answer('answered'), tool_calls }]);
    assert.equal(r.result.output.summary, 'answered');
    assert.deepEqual(r.calls, []);
  }
});

test('a resumed step replays its journaled turns without calling the model, then goes live; the replayed turns count as model calls', async () => {
  const first = { content: null, tool_calls: [toolCall('read_file', { path: 'a.ts' }, 'c1')] };
  const prior = new Map<number, PriorTurn>([
    [1, { seq: 1, message: first, inputTokens: 100, outputTokens: 20 }],
    // A turn of the earlier attempt beyond where this one goes live again: dropped.
    [3, { seq: 3, message: { content: answer('stale') }, inputTokens: 1, outputTokens: 1 }],
  ]);
  const r = await loop([{ content: 'not json' }, { content: answer('live') }], { priorTurns: prior });
  assert.equal(r.result.output.summary, 'live');
  assert.equal(r.requests.length, 2, 'turn 1 came from the journal');
  assert.deepEqual(r.calls, [{ tool: 'read_file', input: { path: 'a.ts' } }], 'the replayed turn’s call went through the toolbox again');
  assert.equal(prior.size, 0, 'the earlier attempt’s later turns are forgotten once the step is live');
  assert.deepEqual(
    r.turns.map((t) => [t.seq, t.replayed, t.inputTokens, t.outputTokens]),
    [
      [1, true, 100, 20],
      [2, false, 10, 5],
      [3, false, 10, 5],
    ],
  );
  assert.deepEqual(r.turns[0]!.message, first);
  assert.deepEqual([r.result.llmCalls, r.result.inputTokens, r.result.outputTokens, r.result.reusedCalls], [3, 120, 30, 0]);
});

test('a replayed turn journaled without a content is sent back to the provider with a null content', async () => {
  const call = toolCall('read_file', { path: 'a.ts' }, 'c1');
  const prior = new Map<number, PriorTurn>([[1, { seq: 1, message: { tool_calls: [call] }, inputTokens: 1, outputTokens: 1 }]]);
  const r = await loop([{ content: answer('live') }], { priorTurns: prior });
  assert.equal(r.result.output.summary, 'live');
  assert.deepEqual(assistantOf(r.requests[0]!), { role: 'assistant', content: null, tool_calls: [call] });
});

function memo(cached: Record<string, CachedTurn> = {}, keyOf = (req: RunnerChatRequest) => `k${req.messages.length}`) {
  const remembered: Array<[string, CachedTurn]> = [];
  const lookups: string[] = [];
  const m: StepTurnMemo = {
    keyOf,
    async lookup(key) {
      lookups.push(key);
      return cached[key];
    },
    remember: (key, turn) => void remembered.push([key, turn]),
    commit: async () => {},
    stats: () => ({ reused: 0, remembered: remembered.length }),
  };
  return { memo: m, remembered, lookups };
}

test('a memo’s turn is used instead of the model: journaled as live, counted as reused, and its tokens still count against the budget', async () => {
  const m = memo({ k2: { message: { content: null, tool_calls: [toolCall('list_files', {}, 'm1')] }, inputTokens: 40, outputTokens: 4 } });
  const r = await loop([{ content: answer('after reuse'), usage: { inputTokens: 11, outputTokens: 6 } }], { memo: m.memo });
  assert.equal(r.requests.length, 1, 'only the turn the memo lacked went to the model');
  assert.deepEqual(m.lookups, ['k2', 'k4']);
  assert.deepEqual(
    r.turns.map((t) => [t.seq, t.replayed, t.inputTokens, t.outputTokens]),
    [
      [1, false, 40, 4],
      [2, false, 11, 6],
    ],
  );
  assert.deepEqual(r.calls, [{ tool: 'list_files', input: {} }]);
  assert.deepEqual(
    [
      r.result.llmCalls,
      r.result.inputTokens,
      r.result.outputTokens,
      r.result.reusedCalls,
      r.result.reusedInputTokens,
      r.result.reusedOutputTokens,
    ],
    [1, 11, 6, 1, 40, 4],
  );
  assert.equal(r.requests[0]!.max_tokens, 4096);
  assert.deepEqual(m.remembered, [
    ['k4', { message: { content: answer('after reuse'), tool_calls: undefined }, inputTokens: 11, outputTokens: 6 }],
  ]);
});

test('a reused turn’s tokens use up the budget like a live one', async () => {
  const m = memo({
    k2: { message: { content: null, tool_calls: [toolCall('list_files', {}, 'm1')] }, inputTokens: 100_000, outputTokens: 0 },
  });
  await assert.rejects(loop([{ content: answer() }], { memo: m.memo }), { code: 'budget_exhausted' });
});

test('replayed turns are remembered for the memo too; with reuse off (an empty key) nothing is looked up or remembered', async () => {
  const prior = new Map<number, PriorTurn>([
    [1, { seq: 1, message: { tool_calls: [toolCall('list_files', {}, 'c1')] }, inputTokens: 7, outputTokens: 3 }],
  ]);
  const on = memo();
  await loop([{ content: answer() }], { priorTurns: prior, memo: on.memo });
  assert.deepEqual(on.remembered[0], [
    'k2',
    { message: { content: null, tool_calls: [toolCall('list_files', {}, 'c1')] }, inputTokens: 7, outputTokens: 3 },
  ]);
  assert.equal(on.remembered.length, 2);
  const off = memo({}, () => '');
  const prior2 = new Map<number, PriorTurn>([
    [1, { seq: 1, message: { tool_calls: [toolCall('list_files', {}, 'c1')] }, inputTokens: 7, outputTokens: 3 }],
  ]);
  await loop([{ content: answer() }], { priorTurns: prior2, memo: off.memo });
  assert.deepEqual([off.lookups, off.remembered], [[], []]);
});

test('a model’s null tool_calls are journaled as absent', async () => {
  const r = await loop([{ content: answer(), tool_calls: null }]);
  assert.deepEqual(r.turns[0]!.message, { content: answer(), tool_calls: undefined });
  assert.equal((r.turns[0]!.message as { tool_calls?: unknown }).tool_calls, undefined);
});

test('an LLM step may make eight tool calls per turn of its budget', () => {
  assert.equal(toolCallBudget({ budget: { maxSteps: 3 } }), 24);
  assert.equal(toolCallBudget({ budget: { maxSteps: 1 } }), 8);
});
