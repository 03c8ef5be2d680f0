import { test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsTermReason } from '../../../shared/jetstream-worker.ts';

test('a term carries its reason only to servers that understand it (nats-server 2.10.4 and later)', () => {
  for (const v of ['2.10.4', '2.10.5', '2.10.30', '2.11.0', '2.12.1', '3.0.0', '2.10.4-beta.1'])
    assert.equal(acceptsTermReason(v), true, v);
  for (const v of ['2.9.10', '2.9.99', '2.10.0', '2.10.3', '2.10.3-RC.2', '1.99.99', '', 'unknown', undefined])
    assert.equal(acceptsTermReason(v), false, String(v));
});
