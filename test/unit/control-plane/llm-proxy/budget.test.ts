import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLlmBudget } from '../../../../control-plane/llm-proxy/budget.ts';

test('a monthly budget spent on the last millisecond of a month is fresh again on the first of the next', async () => {
  let now = Date.UTC(2026, 0, 31, 23, 59, 59, 999);
  const budget = createLlmBudget({ monthlyTokens: 100, clock: () => now });
  await budget.spend('t1', 100);
  await assert.rejects(budget.check('t1'), { code: 'insufficient_quota', status: 429 });
  now += 1; // 2026-02-01T00:00:00.000Z
  assert.equal(await budget.used('t1'), 0);
  await budget.check('t1');
  await budget.spend('t1', 40);
  now = Date.UTC(2026, 1, 28, 12);
  assert.equal(await budget.used('t1'), 40, 'the rest of February counts the same month');
  now = Date.UTC(2026, 0, 15); // a clock set back lands in January's count again
  assert.equal(await budget.used('t1'), 100);
});
