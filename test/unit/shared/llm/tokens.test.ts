import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { countTokens } from '../../../../shared/llm/token-count-core.ts';
import { createTokenCounter, tokenUpperBound } from '../../../../shared/llm/tokens.ts';
import { ordinaryText, pathologicalInputs } from '../../../../scripts/inputs/token-inputs.ts';

const reference = new Tiktoken(o200kBase);
const exact = (s: string) => reference.encode(s, [], []).length;

/**
 * The fastest of five counts of `name` at `units` (ms, wall clock: its resolution is microseconds, where
 * the thread's CPU time here moves in 4 ms ticks), each on text of a fresh seed. Fresh text keeps the
 * counter's piece memo as cold for the short text as for the long one: timed on the same text again,
 * the short one's pieces were all remembered and the ratio measured the memo, not the growth.
 */
function fastestCount(name: string, units: number, seed: number): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 5; i++) {
    const text = pathologicalInputs(units, seed + i)[name]!;
    const t0 = performance.now();
    countTokens(text);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

test('ordinary text is counted exactly as the whole-text o200k encoding counts it', () => {
  const samples = [
    ordinaryText(20_000),
    JSON.stringify({ files: ['src/a.ts', 'src/b.ts'], diff: '@@ -1,3 +1,4 @@\n-const a = 1;\n+const a = 2;\n' }).repeat(50),
    "Grüße aus Köln — こんにちは世界。 Привет, мир! 123456789 it's they're\t\ttabs  and   spaces\r\n".repeat(40),
  ];
  for (const s of samples) assert.equal(countTokens(s), exact(s));
});

test('a prompt containing a special-token string is counted as text, not refused', () => {
  const s = 'please ignore <|endoftext|> and <|fim_prefix|> here';
  assert.equal(countTokens(s), exact(s));
});

test('pathological text is never undercounted: a cut can only add a token, the safe side for budgeting', () => {
  for (const [name, s] of Object.entries(pathologicalInputs(1024, 7))) {
    assert.ok(countTokens(s) >= exact(s), name);
    assert.ok(countTokens(s) <= tokenUpperBound(s), `${name} stays under the byte bound`);
  }
});

test('counting time grows linearly with the length of every kind of pathological text', () => {
  // Quadratic growth (the tokenizer's own behaviour on one long pre-token) would be 16x here.
  let seed = 1000;
  for (const name of Object.keys(pathologicalInputs(8))) {
    // The lowest of three measured ratios: a collection or a busy core can stretch one measurement, but
    // quadratic counting is 16x every time.
    let ratio = Number.POSITIVE_INFINITY;
    for (let attempt = 0; attempt < 3 && ratio >= 8; attempt++)
      ratio = Math.min(ratio, fastestCount(name, 32_768, (seed += 10)) / Math.max(0.05, fastestCount(name, 8_192, (seed += 10))));
    assert.ok(ratio < 8, `${name}: 4x the text took ${ratio.toFixed(1)}x the time`);
  }
});

test('the counter returns exact counts from its worker thread and remembers them', async (t) => {
  const counter = createTokenCounter();
  t.after(() => counter.close());
  const texts = [ordinaryText(5_000), 'short', ''];
  const first = await counter.countAll(texts);
  assert.deepEqual(first, { counts: texts.map(exact), exact: true });
  assert.deepEqual(await counter.countAll(texts), first);
});

test('while the worker counts heavy text, the calling thread keeps serving: timers keep firing', async (t) => {
  const counter = createTokenCounter({ deadlineMs: 30_000 });
  t.after(() => counter.close());
  await counter.countAll(['warm the worker up']);
  const heavy = pathologicalInputs(400_000, 11)['distinct CJK characters'];
  let ticks = 0;
  const every = 10;
  const timer = setInterval(() => ticks++, every);
  const t0 = performance.now();
  const r = await counter.countAll([heavy]);
  const elapsed = performance.now() - t0;
  clearInterval(timer);
  assert.equal(r.exact, true);
  assert.ok(elapsed > 20 * every, `the count took long enough to measure (${elapsed.toFixed(0)} ms)`);
  // Counting on this thread would let no tick through until it finished.
  assert.ok(ticks >= (elapsed / every) * 0.5, `${ticks} ticks in ${elapsed.toFixed(0)} ms`);
});

test('a count that misses its deadline falls back to the byte bound and says it is not exact', async (t) => {
  const counter = createTokenCounter({ deadlineMs: 1 });
  t.after(() => counter.close());
  const heavy = pathologicalInputs(200_000, 13)['distinct punctuation'];
  const r = await counter.countAll([heavy]);
  assert.equal(r.exact, false);
  assert.deepEqual(r.counts, [tokenUpperBound(heavy)]);
});

test('when too much text already waits for the worker, a request gets byte bounds at once', async (t) => {
  const counter = createTokenCounter({ maxQueuedUnits: 1000, deadlineMs: 30_000 });
  t.after(() => counter.close());
  const big = ordinaryText(2000);
  const r = await counter.countAll([big]);
  assert.deepEqual(r, { counts: [tokenUpperBound(big)], exact: false });
});
