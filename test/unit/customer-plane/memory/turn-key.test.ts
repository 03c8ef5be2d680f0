import { test } from 'node:test';
import assert from 'node:assert/strict';
import { turnKey, type TurnScope } from '../../../../customer-plane/memory/turn-cache.ts';
import type { RunnerChatRequest } from '../../../../customer-plane/llm/types.ts';

const scope: TurnScope = { tenant: 't1', repo: 'shop', environment: 'sandbox', llmIdentity: 'direct:abc' };
const request = (content = 'read src/a.ts'): RunnerChatRequest => ({
  model: 'core',
  messages: [
    { role: 'system', content: 'You review code.' },
    { role: 'user', content },
  ],
  tools: [{ type: 'function', function: { name: 'read_file', description: 'Read a file.', parameters: { type: 'object' } } }],
  tool_choice: 'auto',
  max_tokens: 4096,
});

test('a model turn’s key covers everything the model sees and where it was asked: any change is another key, key order is not', () => {
  const k = turnKey(scope, request());
  assert.match(k, /^[0-9a-f]{64}$/);
  assert.equal(turnKey({ ...scope }, request()), k, 'the same request in the same place: the same key');
  const reordered = {
    max_tokens: 4096,
    tool_choice: 'auto',
    tools: request().tools,
    messages: request().messages,
    model: 'core',
  } as RunnerChatRequest;
  assert.equal(turnKey(scope, reordered), k, 'object key order does not matter');
  const others = [
    turnKey(scope, request('read src/b.ts')),
    turnKey(scope, { ...request(), max_tokens: 4000 }),
    turnKey(scope, { ...request(), model: 'ultra' }),
    turnKey(scope, { ...request(), tools: [] }),
    turnKey({ ...scope, repo: 'shop-2' }, request()),
    turnKey({ ...scope, environment: 'preview' }, request()),
    turnKey({ ...scope, tenant: 't2' }, request()),
    turnKey({ ...scope, llmIdentity: 'direct:def' }, request()),
  ];
  assert.equal(
    new Set([k, ...others]).size,
    others.length + 1,
    'content, budget, tier, tools, repository, environment, tenant and models each change the key',
  );
});
