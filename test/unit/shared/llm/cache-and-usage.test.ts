import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalTools, historyBreakpointIndex, promptCacheKey } from '../../../../shared/llm/cache-shaping.ts';
import { fromAnthropicUsage, fromOpenAIUsage, mergeAnthropicUsage, toOpenAIUsage } from '../../../../shared/llm/usage.ts';
import type { ChatTool } from '../../../../shared/llm/schema.ts';

test('the prompt cache key is stable per tenant and agent, differs across them, and hides the tenant id', () => {
  const k = promptCacheKey('tenant-a', 'reviewer');
  assert.equal(k, promptCacheKey('tenant-a', 'reviewer'));
  assert.notEqual(k, promptCacheKey('tenant-b', 'reviewer'));
  assert.notEqual(k, promptCacheKey('tenant-a', 'planner'));
  assert.equal(k.includes('tenant-a'), false);
});

test('tool definitions serialise byte-identically whatever key order the caller used; tool order is kept', () => {
  const a: ChatTool[] = [
    {
      type: 'function',
      function: { name: 'b', parameters: { type: 'object', properties: { y: { type: 'string' }, x: { type: 'number' } } } },
    },
    { type: 'function', function: { name: 'a' } },
  ];
  const b = [
    {
      function: { parameters: { properties: { x: { type: 'number' }, y: { type: 'string' } }, type: 'object' }, name: 'b' },
      type: 'function',
    },
    { function: { name: 'a' }, type: 'function' },
  ] as ChatTool[];
  assert.equal(JSON.stringify(canonicalTools(a)), JSON.stringify(canonicalTools(b)));
  assert.deepEqual(
    canonicalTools(a)!.map((t) => t.function.name),
    ['b', 'a'],
  );
});

test('the Anthropic history breakpoint sits just before the newest user message', () => {
  assert.equal(historyBreakpointIndex([{ role: 'user' }]), -1);
  assert.equal(historyBreakpointIndex([{ role: 'user' }, { role: 'assistant' }, { role: 'user' }]), 1);
  assert.equal(historyBreakpointIndex([{ role: 'user' }, { role: 'assistant' }, { role: 'user' }, { role: 'assistant' }]), 1);
});

test('OpenAI usage: cached tokens are split out of prompt_tokens, not counted twice', () => {
  const u = fromOpenAIUsage({
    prompt_tokens: 1000,
    completion_tokens: 50,
    total_tokens: 1050,
    prompt_tokens_details: { cached_tokens: 800 },
  });
  assert.deepEqual(u, { inputTokens: 200, cachedInputTokens: 800, cacheCreationTokens: 0, outputTokens: 50 });
  assert.deepEqual(toOpenAIUsage(u), {
    prompt_tokens: 1000,
    completion_tokens: 50,
    total_tokens: 1050,
    prompt_tokens_details: { cached_tokens: 800 },
  });
});

test('Anthropic usage: input, cache reads and cache writes are three separate counts', () => {
  const u = fromAnthropicUsage({ input_tokens: 10, cache_read_input_tokens: 300, cache_creation_input_tokens: 40, output_tokens: 5 });
  assert.deepEqual(u, { inputTokens: 10, cachedInputTokens: 300, cacheCreationTokens: 40, outputTokens: 5 });
  // OpenAI's prompt_tokens must include all three kinds of input.
  assert.equal(toOpenAIUsage(u).prompt_tokens, 350);
  assert.equal(toOpenAIUsage(u).prompt_tokens_details?.cached_tokens, 300);
});

test('Anthropic streaming usage merges message_start with the cumulative message_delta, later values winning', () => {
  const start = { input_tokens: 10, cache_read_input_tokens: 300, cache_creation_input_tokens: 0, output_tokens: 1 };
  assert.deepEqual(mergeAnthropicUsage(start, { output_tokens: 42, input_tokens: null }), {
    inputTokens: 10,
    cachedInputTokens: 300,
    cacheCreationTokens: 0,
    outputTokens: 42,
  });
});
