import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseJsonOrUndefined } from '../../../shared/json-text.ts';

test('JSON text, as a string or as the bytes of a message, gives its value', () => {
  assert.deepEqual(parseJsonOrUndefined('{"a":[1,"é"]}'), { a: [1, 'é'] });
  assert.deepEqual(parseJsonOrUndefined(new TextEncoder().encode('{"a":[1,"é"]}')), { a: [1, 'é'] });
  assert.equal(parseJsonOrUndefined('null'), null);
});

test('text that is not JSON gives undefined instead of throwing, so the schema after it refuses it', () => {
  for (const text of ['', '{', 'not json', '{"a":1}}', new Uint8Array([0xff, 0xfe])]) {
    assert.equal(parseJsonOrUndefined(text), undefined, String(text));
  }
});
