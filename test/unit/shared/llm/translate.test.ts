import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { RawMessageStreamEvent } from '@anthropic-ai/sdk/resources/messages';
import { parseChatRequest } from '../../../../shared/llm/schema.ts';
import { toAnthropicRequest } from '../../../../shared/llm/translate-request.ts';
import {
  anthropicStopReason,
  createAnthropicStreamTranslator,
  fromAnthropicMessage,
  fromOpenAICompletion,
} from '../../../../shared/llm/translate-response.ts';
import type { StreamEvent } from '../../../../shared/llm/normalized.ts';

const tool = {
  type: 'function' as const,
  function: { name: 'read_file', description: 'Reads', parameters: { type: 'object', properties: { path: { type: 'string' } } } },
};

test('system and developer messages become Anthropic system blocks, with a cache breakpoint on the last', () => {
  const r = toAnthropicRequest(
    parseChatRequest({
      model: 'core',
      messages: [
        { role: 'system', content: 'A' },
        { role: 'developer', content: 'B' },
        { role: 'user', content: 'hi' },
      ],
    }),
    'claude-x',
    100,
  );
  assert.deepEqual(r.system, [
    { type: 'text', text: 'A' },
    { type: 'text', text: 'B', cache_control: { type: 'ephemeral' } },
  ]);
  assert.deepEqual(r.messages, [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  assert.equal(r.max_tokens, 100);
  assert.equal(r.model, 'claude-x');
});

test('tool definitions, tool calls and tool results translate to tools, tool_use and merged tool_result blocks', () => {
  const r = toAnthropicRequest(
    parseChatRequest({
      model: 'core',
      tools: [tool],
      tool_choice: 'required',
      messages: [
        { role: 'user', content: 'look' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'read_file', arguments: '{"path":"a"}' } },
            { id: 'c2', type: 'function', function: { name: 'read_file', arguments: '{"path":"b"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'A' },
        { role: 'tool', tool_call_id: 'c2', content: 'B' },
      ],
    }),
    'm',
    10,
  );
  assert.deepEqual(r.tools, [
    {
      name: 'read_file',
      description: 'Reads',
      input_schema: { type: 'object', properties: { path: { type: 'string' } } },
      cache_control: { type: 'ephemeral' },
    },
  ]);
  assert.deepEqual(r.tool_choice, { type: 'any' });
  assert.equal(r.messages.length, 3);
  assert.deepEqual(r.messages[1].content, [
    { type: 'tool_use', id: 'c1', name: 'read_file', input: { path: 'a' } },
    { type: 'tool_use', id: 'c2', name: 'read_file', input: { path: 'b' }, cache_control: { type: 'ephemeral' } },
  ]);
  assert.deepEqual(r.messages[2], {
    role: 'user',
    content: [
      { type: 'tool_result', tool_use_id: 'c1', content: 'A' },
      { type: 'tool_result', tool_use_id: 'c2', content: 'B' },
    ],
  });
});

test('stop, json_schema and a trailing assistant prefix are mapped to Anthropic forms; sampling parameters are dropped', () => {
  const r = toAnthropicRequest(
    parseChatRequest({
      model: 'core',
      stop: 'END',
      temperature: 1.5,
      response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' } } },
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: 'partial answer ' },
      ],
    }),
    'm',
    10,
  );
  assert.deepEqual(r.stop_sequences, ['END']);
  assert.equal('temperature' in r, false);
  assert.deepEqual(r.output_config, { format: { type: 'json_schema', schema: { type: 'object' } } });
  assert.deepEqual(r.messages[1], { role: 'assistant', content: [{ type: 'text', text: 'partial answer' }] });
});

test('tool call arguments that are not a JSON object are a 400, not a crash', () => {
  const req = parseChatRequest({
    model: 'core',
    messages: [
      { role: 'user', content: 'q' },
      { role: 'assistant', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '[1' } }] },
    ],
  });
  assert.throws(() => toAnthropicRequest(req, 'm', 1), { code: 'invalid_request', status: 400 });
});

test('Anthropic stop reasons map to OpenAI finish reasons', () => {
  assert.equal(anthropicStopReason('end_turn'), 'stop');
  assert.equal(anthropicStopReason('stop_sequence'), 'stop');
  assert.equal(anthropicStopReason('max_tokens'), 'length');
  assert.equal(anthropicStopReason('tool_use'), 'tool_calls');
  assert.equal(anthropicStopReason('refusal'), 'content_filter');
});

test('an Anthropic message becomes text, tool calls and usage with cache reads and writes apart', () => {
  const r = fromAnthropicMessage({
    id: 'm',
    type: 'message',
    role: 'assistant',
    model: 'x',
    content: [
      { type: 'text', text: 'Hi', citations: null },
      { type: 'tool_use', id: 't1', name: 'f', input: { a: 1 }, caller: undefined },
    ],
    stop_reason: 'tool_use',
    stop_sequence: null,
    usage: { input_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 20, output_tokens: 7 },
  } as never);
  assert.equal(r.text, 'Hi');
  assert.deepEqual(r.toolCalls, [{ id: 't1', name: 'f', arguments: '{"a":1}' }]);
  assert.equal(r.finishReason, 'tool_calls');
  assert.deepEqual(r.usage, { inputTokens: 5, cachedInputTokens: 100, cacheCreationTokens: 20, outputTokens: 7 });
});

test('a reply that is not a completion object (an HTML page) is a bad response, not a crash', () => {
  assert.throws(() => fromOpenAICompletion('<html>' as never), { code: 'upstream_bad_response', status: 502 });
  assert.throws(() => fromAnthropicMessage('<html>' as never), { code: 'upstream_bad_response', status: 502 });
});

test('the Anthropic event stream translates to text, indexed tool calls, finish and merged usage', () => {
  const t = createAnthropicStreamTranslator();
  const out: StreamEvent[] = [];
  const events = [
    {
      type: 'message_start',
      message: { usage: { input_tokens: 3, cache_read_input_tokens: 50, cache_creation_input_tokens: 0, output_tokens: 1 } },
    },
    { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hel' } },
    { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'lo' } },
    { type: 'content_block_stop', index: 0 },
    { type: 'content_block_start', index: 1, content_block: { type: 'tool_use', id: 'tu', name: 'f', input: {} } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '{"a":' } },
    { type: 'content_block_delta', index: 1, delta: { type: 'input_json_delta', partial_json: '1}' } },
    { type: 'message_delta', delta: { stop_reason: 'tool_use' }, usage: { output_tokens: 9 } },
    { type: 'message_stop' },
  ];
  for (const e of events) t.push(e as RawMessageStreamEvent, out);
  assert.deepEqual(out, [
    { type: 'text', text: 'Hel' },
    { type: 'text', text: 'lo' },
    { type: 'tool_call', index: 0, id: 'tu', name: 'f', arguments: '' },
    { type: 'tool_call', index: 0, arguments: '{"a":' },
    { type: 'tool_call', index: 0, arguments: '1}' },
    { type: 'finish', reason: 'tool_calls' },
    { type: 'usage', usage: { inputTokens: 3, cachedInputTokens: 50, cacheCreationTokens: 0, outputTokens: 9 } },
  ]);
});
