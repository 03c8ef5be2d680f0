/**
 * bench:masking — what masking costs on the outputs it runs over (a tool result, a prompt, a log line):
 * the per-run masker on texts of 1 KiB, 64 KiB (the largest tool output an agent gets) and 256 KiB
 * (a command's stdout cap), holding 1, 10 and 50 secrets (each ~10 forms), against a baseline measured
 * in the same run on the same text: encoding it to UTF-8 once, which every exit does anyway (the
 * Postgres write, the HTTP request to the model). Prints median milliseconds, the ratio to the
 * baseline, and the cost of masking a text that was cut in the middle of a secret (`maskCut`, used
 * only on truncated output). Not part of `npm test`; no timing is asserted anywhere.
 *
 *   npm run bench:masking -- [--rounds 30]
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createMasker } from '../customer-plane/secrets/masker.ts';
import { pct } from './stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '30' } } });
const ROUNDS = Number(values.rounds);

function median(fn: () => unknown): number {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  return pct(
    samples.sort((a, b) => a - b),
    50,
  );
}

// Ordinary program output: words, paths, hex and base64-looking runs, none of them a secret.
const line = 'src/server.ts:42:7 warning: unused variable tmp_3f9a (sha 9c1e0b7a4d2f) token=dGhpcyBpcyBub3Q=\n';
const text = (bytes: number) => line.repeat(Math.ceil(bytes / line.length)).slice(0, bytes);

const rows: string[] = [];
rows.push('size     secrets  utf-8 ms  mask ms  ratio  cut-text ms');
for (const size of [1024, 64 * 1024, 256 * 1024]) {
  const t = text(size);
  const baseline = median(() => Buffer.from(t, 'utf8'));
  for (const count of [1, 10, 50]) {
    const m = createMasker();
    for (let i = 0; i < count; i++) m.add(`S${i}`, randomBytes(24).toString('base64url'));
    m.mask(''); // compile once, as the first tool result of a run does
    const mask = median(() => m.mask(t));
    const cut = median(() => m.maskCut(t));
    rows.push(
      `${`${size / 1024} KiB`.padEnd(8)} ${String(count).padEnd(8)} ${baseline.toFixed(3).padStart(8)} ${mask.toFixed(3).padStart(8)} ${(mask / Math.max(baseline, 1e-6)).toFixed(1).padStart(6)} ${cut.toFixed(3).padStart(12)}`,
    );
  }
}
process.stdout.write(`${rows.join('\n')}\n`);
