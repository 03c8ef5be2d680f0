/**
 * `npm run mutate [-- <module> ...]`: mutation testing of the security-critical modules, one module at a
 * time (the machine is shared: one Stryker run, `MUTATE_CONCURRENCY` test processes, default 1). Prints
 * each module's score and every survivor that scripts/mutation/survivors/<module>.json does not explain;
 * exits 1 when a module scores under 90% or leaves an unexplained survivor.
 *
 * Options: `--incremental` reuses earlier results for unchanged code and tests (`.state/mutation/`);
 * `--recheck` runs only the mutants of the lines where the last full run left survivors, against today's
 * tests, and scores the module as that run's mutants minus those still surviving (tests added since can
 * only kill more: a whole run costs hours for the git- and guard-heavy modules, a recheck minutes);
 * `--list` prints the modules.
 */
import { createHash } from 'node:crypto';
import { globSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Stryker } from '@stryker-mutator/core';
import { MODULES, type MutationModule } from './modules.ts';
import { checkSurvivors, originalText, readExplained, type Survivor, survivorsFile } from './survivors.ts';

const TARGET = 90;
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const stateDir = join(root, '.state', 'mutation');
const survivorsDir = join(root, 'scripts', 'mutation', 'survivors');

const USAGE = 'usage: npm run mutate [-- [--incremental | --recheck] [<module> ...]] | [-- --list] | [-- --help]';
// A mistyped option must not start a run that takes half an hour: every option is known, or nothing runs.
function readCommandLine() {
  try {
    return parseArgs({
      args: process.argv.slice(2),
      options: { incremental: { type: 'boolean' }, recheck: { type: 'boolean' }, list: { type: 'boolean' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
}
const parsed = readCommandLine();
if (parsed.values.help) {
  console.log(USAGE);
  process.exit(0);
}
const incremental = parsed.values.incremental === true;
const recheck = parsed.values.recheck === true;
if (parsed.values.list) {
  for (const m of MODULES) console.log(`${m.name.padEnd(20)} ${m.claim}`);
  process.exit(0);
}
const names = parsed.positionals;
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

/** What the last full run of a module left: its mutant count and its survivors (written by runModule). */
interface FullRun {
  /** The mutated sources' hash: a recheck matches survivors by line, so the code must be the code measured. */
  sources: string;
  mutants: number;
  measuredAt: string;
  survivors: Survivor[];
}
const fullRunFile = (m: MutationModule) => join(stateDir, `${m.name}.full-run.json`);
const sameMutant = (a: Survivor, b: Survivor) =>
  a.file === b.file && a.line === b.line && a.mutator === b.mutator && a.original === b.original && a.replacement === b.replacement;

function lastFullRun(m: MutationModule, sources: string): FullRun {
  let run: FullRun;
  try {
    run = JSON.parse(readFileSync(fullRunFile(m), 'utf8')) as FullRun;
  } catch (err) {
    throw new Error(`--recheck needs a full run of ${m.name} first (${fullRunFile(m)}: ${(err as NodeJS.ErrnoException).code})`);
  }
  if (run.sources !== sources) throw new Error(`--recheck: ${m.name}'s code changed since its full run; run it whole`);
  return run;
}

/** One hash over the module's files (Stryker's globs expanded by Node's glob), in a stable order. */
function sourcesHash(m: MutationModule): string {
  const hash = createHash('sha256');
  const files = m.mutate.flatMap((pattern) => globSync(pattern.replace(/:\d+-\d+$/, ''), { cwd: root })).sort();
  for (const file of files)
    hash
      .update(file)
      .update('\0')
      .update(readFileSync(join(root, file)))
      .update('\0');
  return hash.digest('hex');
}

async function runModule(m: MutationModule): Promise<ModuleScore> {
  mkdirSync(stateDir, { recursive: true });
  const sourcesNow = sourcesHash(m);
  const previous = recheck ? lastFullRun(m, sourcesNow) : undefined;
  // Stryker mutates only the given line ranges (`file:from-to`): every mutant on a survivor's line runs again.
  const mutate = previous ? [...new Set(previous.survivors.map((s) => `${s.file}:${s.line}-${s.line}`))] : m.mutate;
  // Stryker types its log levels as a const enum, which erasable TypeScript cannot import: the options
  // are written as plain values and handed over as its option type.
  const options = {
    testRunner: 'command',
    commandRunner: { command: m.command },
    mutate,
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
  if (previous) return recheckedScore(m, previous, survivors);
  writeFileSync(
    fullRunFile(m),
    `${JSON.stringify({ sources: sourcesNow, mutants: valid, measuredAt: new Date().toISOString(), survivors } satisfies FullRun, null, 2)}\n`,
  );
  return score(m, { mutants: valid, killed, timeout, survived, noCoverage, errors }, survivors);
}

/** A recheck: the full run's survivors that still survive (other mutants on their lines were killed before). */
function recheckedScore(m: MutationModule, previous: FullRun, rerun: Survivor[]): ModuleScore {
  const still = previous.survivors.filter((s) => rerun.some((r) => sameMutant(r, s)));
  const killed = previous.mutants - still.length;
  console.log(
    `   rechecked the ${previous.survivors.length} survivors of the full run of ${previous.measuredAt}: ${still.length} still survive`,
  );
  return score(m, { mutants: previous.mutants, killed, timeout: 0, survived: still.length, noCoverage: 0, errors: 0 }, still);
}

function score(
  m: MutationModule,
  counts: { mutants: number; killed: number; timeout: number; survived: number; noCoverage: number; errors: number },
  survivors: Survivor[],
): ModuleScore {
  const check = checkSurvivors(survivors, readExplained(survivorsFile(survivorsDir, m.name)));
  writeFileSync(join(stateDir, `${m.name}.survivors.json`), `${JSON.stringify(survivors, null, 2)}\n`);
  const { mutants, killed, timeout } = counts;
  return {
    name: m.name,
    ...counts,
    score: mutants === 0 ? 100 : (100 * (killed + timeout)) / mutants,
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
