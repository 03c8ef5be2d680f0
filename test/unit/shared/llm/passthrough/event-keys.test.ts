import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeEscaped, keyAt, retag, stringEnd } from '../../../../../shared/llm/passthrough/event-keys.ts';

const event = (o: object) => JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 7, model: 'gpt-4.1-mini', ...o });

test('a key is found at its opening quote; a key that only ends like it, or a value that spells it, is not', () => {
  const d = event({ choices: [{ index: 0, delta: { reasoning_content: 'x', content: 'Hi' }, finish_reason: null }] });
  assert.equal(keyAt(d, 'content":"'), d.indexOf('"content":"'));
  const decoy = event({ choices: [{ index: 0, delta: { reasoning_content: 'say \\"content\\":\\"' }, finish_reason: null }] });
  assert.equal(keyAt(decoy, 'content":"'), -1, 'reasoning_content and an escaped look-alike inside a value are no match');
  assert.equal(keyAt(d, 'usage":{'), -1);
});

test('the end of a string value is its first unescaped quote, after any run of backslashes', () => {
  for (const value of ['plain', 'a \\"quoted\\" word', 'ends in a backslash \\\\', 'three \\\\\\" then', '']) {
    const d = `{"content":"${value}","x":1}`;
    const from = d.indexOf('":"') + 3;
    assert.equal(d.slice(from, stringEnd(d, from)), value);
  }
  assert.equal(stringEnd('{"content":"torn', 12), -1, 'an unterminated string has no end');
});

test('retag puts the tier in the top-level model only, and leaves an event without one as it was', () => {
  const d = event({ base_model: 'gpt-base', choices: [{ index: 0, delta: { content: '"model":"x"' }, finish_reason: null }] });
  const out = JSON.parse(retag(d, 'core'));
  assert.equal(out.model, 'core');
  assert.equal(out.base_model, 'gpt-base');
  assert.equal(out.choices[0].delta.content, '"model":"x"');
  const none = '{"choices":[]}';
  assert.equal(retag(none, 'core'), none);
});

test('text kept JSON-escaped decodes to what the caller read; a torn escape decodes to nothing rather than throwing', () => {
  const text = 'Say "hi" \\ café ✓\n';
  assert.equal(decodeEscaped(JSON.stringify(text).slice(1, -1)), text);
  assert.equal(decodeEscaped('\\u00e9t\\u00e9'), 'été');
  assert.equal(decodeEscaped('cut at \\u00'), '');
  assert.equal(decodeEscaped(''), '');
});
