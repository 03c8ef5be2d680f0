/**
 * bench:guard — how long the command guard takes to classify one command line, over the whole corpus
 * (test/fixtures/commands: dangerous and benign), against a baseline measured in the same run: the bare
 * tree-sitter parse of the same strings, which the guard cannot be faster than. Target: p99 < 1 ms.
 * Not part of `npm test`; no timing is asserted anywhere.
 *
 *   npm run bench:guard -- [--rounds 20]
 */
import { parseArgs } from 'node:util';
import { createCommandGuard } from '../customer-plane/guard/guard.ts';
import { createBashParser } from '../customer-plane/guard/parser.ts';
import { registeredPrograms } from '../customer-plane/guard/programs/registry.ts';
import { pct } from './stats.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '20' } } });
const ROUNDS = Number(values.rounds);

function corpus(file: string): string[] {
  return readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', 'commands', file), 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.startsWith('#'))
    .map((l) => (l.startsWith('@json ') ? (JSON.parse(l.slice(6)) as string) : l));
}

const commands = [...corpus('dangerous.txt'), ...corpus('benign.txt')];
const policy = { programs: registeredPrograms() };
const guard = await createCommandGuard();
const parser = await createBashParser();

function measure(fn: (c: string) => void): number[] {
  const samples: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of commands) {
      const t = process.hrtime.bigint();
      fn(c);
      samples.push(Number(process.hrtime.bigint() - t) / 1e6);
    }
  }
  return samples.sort((a, b) => a - b);
}

// Warm both paths (JIT, wasm) before measuring, alternating so neither gets the machine to itself.
for (let i = 0; i < 3; i++) for (const c of commands) guard.check(c, policy), parser.parse(c)?.delete();
const parse = measure((c) => parser.parse(c)?.delete());
const classify = measure((c) => void guard.check(c, policy));

const row = (name: string, s: number[]) =>
  `${name.padEnd(28)} p50 ${(pct(s, 50) * 1000).toFixed(0).padStart(5)} µs   p99 ${(pct(s, 99) * 1000).toFixed(0).padStart(5)} µs   max ${(s[s.length - 1]! * 1000).toFixed(0).padStart(6)} µs`;
console.log(`${commands.length} corpus commands × ${ROUNDS} rounds`);
console.log(row('baseline: tree-sitter parse', parse));
console.log(row('guard.check (parse + rules)', classify));
console.log(
  `guard / parse at p50: ${(pct(classify, 50) / pct(parse, 50)).toFixed(2)}×   p99 target < 1000 µs: ${pct(classify, 99) < 1 ? 'met' : 'NOT met'}`,
);
