import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitContext, pruneHeader } from '../../../../shared/llm/context-budget.ts';
import type { ChatMessage } from '../../../../shared/llm/schema.ts';
import type { TokenCounter } from '../../../../shared/llm/tokens.ts';

// One token per character keeps the arithmetic visible; every message adds 4, the reply header 3.
const counterOf = (count: (s: string) => number, exact = true): TokenCounter => ({
  countAll: async (texts) => ({ counts: texts.map(count), exact }),
  close: async () => {},
});
const chars = counterOf((s) => s.length);
const x = (n: number) => 'x'.repeat(n);

const convo: ChatMessage[] = [
  { role: 'system', content: x(10) },
  { role: 'user', content: x(100) }, // turn 0
  { role: 'assistant', content: x(100) },
  { role: 'user', content: x(100) }, // turn 1
  { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
  { role: 'tool', tool_call_id: 'c', content: x(400) },
  { role: 'user', content: x(20) }, // newest user turn
];

test('a conversation within the budget by its byte bound is returned untouched without tokenising', async () => {
  const counter = counterOf(() => assert.fail('no counting needed'));
  const r = await fitContext({ messages: convo, budget: 10_000, counter });
  assert.equal(r.messages, convo);
  assert.deepEqual(r.report, { turnsDropped: 0, toolResultsElided: 0 });
});

test('an oversized old tool result is elided before any turn is dropped, keeping its tool call answered', async () => {
  const r = await fitContext({ messages: convo, budget: 600, counter: chars, toolResultMaxTokens: 200 });
  assert.equal(r.report.toolResultsElided, 1);
  assert.equal(r.report.turnsDropped, 0);
  const toolMsg = r.messages.find((m) => m.role === 'tool');
  assert.match(String(toolMsg?.content), /^\[tool result omitted by the gateway/);
  assert.equal(r.messages.length, convo.length);
  assert.ok(r.report.tokensAfter! <= 600);
});

test('old turns are dropped whole, oldest first; the system prompt and newest user turn stay', async () => {
  const r = await fitContext({ messages: convo, budget: 200, counter: chars, toolResultMaxTokens: 200 });
  assert.equal(r.report.turnsDropped, 2);
  assert.deepEqual(r.messages, [convo[0], convo[6]]);
  assert.equal(pruneHeader(r.report), `turns=2; tool_results=1; tokens=${r.report.tokensBefore}->${r.report.tokensAfter}`);
});

test('no message is ever cut: every kept message is identical to its original or an elision note', async () => {
  const r = await fitContext({ messages: convo, budget: 300, counter: chars, toolResultMaxTokens: 200 });
  for (const m of r.messages) {
    const original = convo.find((o) => o === m);
    assert.ok(original || (m.role === 'tool' && /omitted/.test(String(m.content))));
  }
});

test('when even the system prompt and newest user turn do not fit, it is a context_length_exceeded error', async () => {
  await assert.rejects(fitContext({ messages: convo, budget: 30, counter: chars }), { code: 'context_length_exceeded', status: 400 });
});

test('an oversized tool result in the newest turn is elided only as a last resort', async () => {
  const msgs: ChatMessage[] = [
    { role: 'user', content: x(10) },
    { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] },
    { role: 'tool', tool_call_id: 'c', content: x(1000) },
  ];
  const r = await fitContext({ messages: msgs, budget: 300, counter: chars });
  assert.equal(r.report.toolResultsElided, 1);
  assert.equal(r.messages.length, 3);
});

test('counts that fell back to byte bounds are marked estimated, in the report and the header', async () => {
  const r = await fitContext({ messages: convo, budget: 600, counter: counterOf((s) => s.length, false), toolResultMaxTokens: 200 });
  assert.equal(r.report.estimated, true);
  assert.match(pruneHeader(r.report), /; estimated$/);
});
