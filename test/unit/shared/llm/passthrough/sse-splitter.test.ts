import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSseSplitter } from '../../../../../shared/llm/passthrough/sse-splitter.ts';

test('the SSE splitter takes text split anywhere, CRLF line ends, several data lines, comments and named events', () => {
  const split = createSseSplitter();
  const out: string[] = [];
  const text = 'data: {"a":1}\n\n: keep-alive\n\nevent: x\ndata: one\ndata: two\n\ndata:tight\r\n\r\ndata: [DONE]\n\ndata: unfinished';
  for (let i = 0; i < text.length; i += 3) split.push(text.slice(i, i + 3), out);
  assert.deepEqual(out, ['{"a":1}', 'one\ntwo', 'tight', '[DONE]']);
});
