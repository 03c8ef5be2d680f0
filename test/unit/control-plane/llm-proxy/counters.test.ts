import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createUsageCounters } from '../../../../control-plane/llm-proxy/counters.ts';
import { silentLogger } from '../../../../shared/log.ts';
import { llmCallMeta } from '../../../support/usage-event.ts';

const meta = llmCallMeta();

test('a request on the last millisecond of a UTC day counts on that day, the next millisecond on the next', async () => {
  let now = Date.UTC(2026, 11, 31, 23, 59, 59, 999);
  const counters = createUsageCounters({ log: silentLogger(), clock: () => now });
  counters.record('t1', meta);
  now += 1; // 2027-01-01T00:00:00.000Z
  counters.record('t1', meta);
  counters.record('t1', meta);
  now = Date.UTC(2026, 11, 31, 12); // a clock set back lands on the earlier day again
  counters.record('t1', meta);
  const rows = await counters.query('t1', '2026-12-01', '2027-01-31');
  assert.deepEqual(
    rows.map((r) => [r.day, r.requests, r.input_tokens]),
    [
      ['2026-12-31', 2, 20],
      ['2027-01-01', 2, 20],
    ],
  );
});
