/**
 * `npm run mutate [-- <module> ...]`: mutation testing of the security-critical modules, one module at a
 * time (the machine is shared: one Stryker run, `MUTATE_CONCURRENCY` test processes, default 1). Prints
 * each module's score and every survivor that scripts/mutation/survivors/<module>.json does not explain;
 * exits 1 when a module scores under 90% or leaves an unexplained survivor.
 *
 * Options: `--incremental` reuses earlier results for unchanged code and tests (`.state/mutation/`);
 * `--list` prints the modules.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stryker } from '@stryker-mutator/core';
import { MODULES, type MutationModule } from './modules.ts';
import { checkSurvivors, originalText, readExplained, type Survivor, survivorsFile } from './survivors.ts';

const TARGET = 90;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateDir = join(root, '.state', 'mutation');
const survivorsDir = join(root, 'scripts', 'mutation', 'survivors');

const args = process.argv.slice(2);
const incremental = args.includes('--incremental');
if (args.includes('--list')) {
  for (const m of MODULES) console.log(`${m.name.padEnd(20)} ${m.claim}`);
  process.exit(0);
}
const names = args.filter((a) => !a.startsWith('--'));
const unknown = names.filter((n) => !MODULES.some((m) => m.name === n));
if (unknown.length > 0) {
  console.error(`unknown module(s): ${unknown.join(', ')}; known: ${MODULES.map((m) => m.name).join(', ')}`);
  process.exit(2);
}
const selected = names.length > 0 ? MODULES.filter((m) => names.includes(m.name)) : MODULES;

interface ModuleScore {
  name: string;
  mutants: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  errors: number;
  score: number;
  explained: number;
  unexplained: Survivor[];
  stale: number;
}

async function runModule(m: MutationModule): Promise<ModuleScore> {
  mkdirSync(stateDir, { recursive: true });
  // Stryker types its log levels as a const enum, which erasable TypeScript cannot import: the options
  // are written as plain values and handed over as its option type.
  const options = {
    testRunner: 'command',
    commandRunner: { command: m.command },
    mutate: m.mutate,
    coverageAnalysis: 'off',
    concurrency: Number(process.env.MUTATE_CONCURRENCY ?? 1),
    reporters: ['progress-append-only'],
    tempDirName: '.stryker-tmp',
    cleanTempDir: true,
    ignorePatterns: ['.state', 'scratch', 'terraform/cdktf.out'],
    timeoutMS: 20_000,
    timeoutFactor: 2,
    incremental,
    incrementalFile: join(stateDir, `${m.name}.incremental.json`),
    logLevel: 'warn',
    plugins: [],
  };
  const results = await new Stryker(options as unknown as ConstructorParameters<typeof Stryker>[0]).runMutationTest();

  const count = (status: string) => results.filter((r) => r.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const errors = count('CompileError') + count('RuntimeError');
  const valid = killed + timeout + survived + noCoverage;
  const sources = new Map<string, string>();
  const source = (file: string) => {
    if (!sources.has(file)) sources.set(file, readFileSync(join(root, file), 'utf8'));
    return sources.get(file)!;
  };
  const survivors: Survivor[] = results
    .filter((r) => r.status === 'Survived' || r.status === 'NoCoverage')
    .map((r) => {
      const file = r.fileName.startsWith(root) ? r.fileName.slice(root.length + 1) : r.fileName;
      return {
        file,
        line: r.location.start.line,
        mutator: r.mutatorName,
        original: originalText(source(file), r.location.start, r.location.end),
        replacement: r.replacement,
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  const check = checkSurvivors(survivors, readExplained(survivorsFile(survivorsDir, m.name)));
  writeFileSync(join(stateDir, `${m.name}.survivors.json`), `${JSON.stringify(survivors, null, 2)}\n`);
  return {
    name: m.name,
    mutants: valid,
    killed,
    timeout,
    survived,
    noCoverage,
    errors,
    score: valid === 0 ? 100 : (100 * (killed + timeout)) / valid,
    explained: check.explained.length,
    unexplained: check.unexplained,
    stale: check.stale.length,
  };
}

const scores: ModuleScore[] = [];
const failed: string[] = [];
for (const m of selected) {
  console.log(`\n== ${m.name}: ${m.claim}\n   ${m.command}`);
  let s: ModuleScore;
  try {
    s = await runModule(m);
  } catch (err) {
    // A module whose tests fail unmutated (or whose command cannot run) has no score; the others still run.
    console.log(`   not measured: ${(err as Error).message}`);
    failed.push(m.name);
    continue;
  }
  scores.push(s);
  console.log(
    `   ${s.name}: ${s.mutants} mutants, ${s.killed + s.timeout} killed, ${s.survived + s.noCoverage} survived: ${s.score.toFixed(1)}%`,
  );
  for (const u of s.unexplained) {
    console.log(`   unexplained survivor ${u.file}:${u.line} ${u.mutator}: ${u.original.slice(0, 120)} -> ${u.replacement.slice(0, 120)}`);
  }
}

const pad = (v: string | number, n: number) => String(v).padStart(n);
console.log(`\nmodule               mutants  killed timeout survived  score  explained unexplained`);
for (const s of scores) {
  console.log(
    `${s.name.padEnd(20)} ${pad(s.mutants, 7)} ${pad(s.killed, 7)} ${pad(s.timeout, 7)} ${pad(s.survived + s.noCoverage, 8)} ${pad(s.score.toFixed(1), 5)}% ${pad(s.explained, 10)} ${pad(s.unexplained.length, 11)}${s.stale > 0 ? `  (${s.stale} listed survivors no longer survive)` : ''}`,
  );
}
const failing = scores.filter((s) => s.score < TARGET || s.unexplained.length > 0);
if (failing.length > 0) console.log(`\nbelow ${TARGET}% or with unexplained survivors: ${failing.map((s) => s.name).join(', ')}`);
if (failed.length > 0) console.log(`\nnot measured (the unmutated tests failed): ${failed.join(', ')}`);
if (failing.length > 0 || failed.length > 0) process.exit(1);
