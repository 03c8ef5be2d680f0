/**
 * bench:token-count — the cost of counting prompt tokens for context budgeting, before and after
 * counting was made linear and moved off the event loop. Same run, same inputs:
 *   before  js-tiktoken encoding the whole text on the calling thread (what the gateway did);
 *   after   countTokens (pre-tokenised, long pieces cut and memoised), and the gateway's counter,
 *           which runs it on a worker thread, with how long the calling thread was blocked.
 * Inputs are the kinds of text that are costly to tokenise (scripts/inputs/token-inputs.ts) and
 * ordinary text. "before" is measured only up to --before-max code units: past that it takes
 * minutes (16 K copies of one character: ~19 s). Not part of `npm test`.
 *
 *   npm run bench:token-count -- [--sizes 2048,8192,1048576] [--before-max 8192]
 */
import { parseArgs } from 'node:util';
import { Tiktoken } from 'js-tiktoken/lite';
import o200kBase from 'js-tiktoken/ranks/o200k_base';
import { countTokens, createTokenCounter } from '../shared/llm/index.ts';
import { ordinaryText, pathologicalInputs } from '../scripts/inputs/token-inputs.ts';

const { values } = parseArgs({
  options: { sizes: { type: 'string', default: '2048,8192,1048576' }, 'before-max': { type: 'string', default: '8192' } },
});
const sizes = values.sizes.split(',').map(Number);
const beforeMax = Number(values['before-max']);

const whole = new Tiktoken(o200kBase);
whole.encode('warm up');
countTokens('warm up');
const counter = createTokenCounter({ deadlineMs: 600_000 });
await counter.countAll(['warm the worker up']);

function time(fn: () => unknown): number {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
}

/** Wall time of a count on the worker, and the longest gap between 1 ms timer ticks meanwhile. */
async function onWorker(text: string): Promise<{ ms: number; blockedMs: number }> {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  await counter.countAll([text]);
  const ms = performance.now() - t0;
  clearInterval(timer);
  return { ms, blockedMs: worst };
}

const f = (v: number) => (Number.isNaN(v) ? '—' : v.toFixed(1)).padStart(9);
console.log(
  `${'input'.padEnd(28)}${'units'.padStart(9)}${'before ms'.padStart(11)}${'after ms'.padStart(10)}${'ratio'.padStart(9)}${'worker ms'.padStart(11)}${'blocked ms'.padStart(12)}`,
);
for (const units of sizes) {
  // A fresh seed per size, so distinct runs are not served from the piece memo of a smaller size.
  const inputs = { ...pathologicalInputs(units, units), 'ordinary text': ordinaryText(units) };
  for (const [name, text] of Object.entries(inputs)) {
    const before = units <= beforeMax ? time(() => whole.encode(text, [], [])) : NaN;
    const after = time(() => countTokens(text));
    const w = await onWorker(`${text} `);
    console.log(
      `${name.padEnd(28)}${String(units).padStart(9)}${f(before)} ${f(after)}${(Number.isNaN(before) ? '—' : `${(before / after).toFixed(0)}x`).padStart(9)}${f(w.ms)}  ${f(w.blockedMs)}`,
    );
  }
}
await counter.close();
