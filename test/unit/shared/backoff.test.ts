import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exponentialDelays, linearDelays } from '../../../shared/backoff.ts';

test('without jitter the delay doubles from the initial one and stays at the cap', () => {
  const delay = exponentialDelays({ initialMs: 500, maxMs: 15_000, jitter: 'none' });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 50].map(delay), [500, 1000, 2000, 4000, 8000, 15_000, 15_000, 15_000]);
});

test('equal jitter waits at least half of each step and at most the whole step', () => {
  const low = exponentialDelays({ initialMs: 250, maxMs: 30_000, jitter: 'equal', random: () => 0 });
  const high = exponentialDelays({ initialMs: 250, maxMs: 30_000, jitter: 'equal', random: () => 1 });
  const steps = [250, 500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000];
  steps.forEach((step, i) => {
    assert.equal(low(i + 1), step / 2, `attempt ${i + 1}`);
    assert.equal(high(i + 1), step, `attempt ${i + 1}`);
  });
  const mid = exponentialDelays({ initialMs: 250, maxMs: 30_000, jitter: 'equal', random: () => 0.5 });
  assert.equal(mid(3), 750);
});

test('an attempt number far past the cap (a message redelivered for hours) costs no more than the cap', () => {
  const delay = exponentialDelays({ initialMs: 250, maxMs: 30_000, jitter: 'none' });
  assert.equal(delay(1_000_000), 30_000);
  assert.equal(delay(0), 250, 'attempt numbers below 1 count as the first retry');
});

test('linear delays grow by one step per attempt to the cap and stay there', () => {
  const delay = linearDelays({ stepMs: 500, maxMs: 15_000 });
  assert.deepEqual([1, 2, 3, 10, 29, 30, 31, 400].map(delay), [500, 1000, 1500, 5000, 14_500, 15_000, 15_000, 15_000]);
});
