/**
 * npm run bench:agents-eval — how well the deterministic agents find what was planted in the fixture
 * repositories (test/fixtures/repos/<name>/, answer key in each expected.json), per agent: precision
 * (share of reports that are planted defects) and recall (share of planted defects reported), against
 * the targets precision ≥ 0.9 and recall ≥ 0.95. The secret scanner is compared with secretlint and
 * its recommended preset on the same files in the same run, both matched by file and line.
 *
 * The agents run as production runs them (bench/support/gated-toolbox.ts): a fresh workspace per run,
 * every tool call through the customer plane's gate to the real executors, commands resolved by the
 * command guard and run by the argv runner in its bubblewrap sandbox — so test-runner and lint-runner
 * really run each fixture's tests and linters (npm test, pytest, ESLint, Ruff). A test or lint program
 * that is not installed on this machine is reported as not run, and its planted findings count as missed.
 *
 * LLM agents are not scored here: see the last lines this prints.
 *
 * Options: --json (one JSON object instead of the table). Exit code 1 when an agent misses a target.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '@secretlint/node';
import { type IndexData, indexer } from '../agents/catalog/indexer.ts';
import { CATALOG } from '../agents/catalog/index.ts';
import type { AgentOutput, DeterministicAgent, Finding } from '../agents/types.ts';
import { createGatedFixtures, type RecordedCall } from './support/gated-toolbox.ts';
import { addScores, FIXTURE_REPOS, loadExpected, ratios, type Score, scoreFindings, scoreSymbols } from './support/score.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPOS = join(ROOT, 'test/fixtures/repos');
const TARGET = { precision: 0.9, recall: 0.95 };
const json = process.argv.includes('--json');

const FINDERS = [
  'secret-scanner',
  'injection-scanner',
  'dependency-auditor',
  'license-checker',
  'config-auditor',
  'complexity-analyzer',
  'dead-code-finder',
  'test-runner',
  'lint-runner',
] as const;

type Row = { agent: string; basis: string; score: Score; ms: number };
const fixtures = await createGatedFixtures();
process.once('exit', () => fixtures.dispose());

async function run(agent: DeterministicAgent, repo: string): Promise<{ out: AgentOutput; ms: number }> {
  const started = performance.now();
  const out = await fixtures.run(agent, repo);
  return { out, ms: performance.now() - started };
}

/** What the command-running agents did not run, and why (not installed, refused), per fixture. */
const notRun: string[] = [];
const rows: Row[] = [];
{
  const scores: Score[] = [];
  let ms = 0;
  for (const repo of FIXTURE_REPOS) {
    const r = await run(indexer, repo);
    ms += r.ms;
    scores.push(scoreSymbols((r.out.data as IndexData).symbols, loadExpected(join(REPOS, repo))));
  }
  rows.push({ agent: 'indexer', basis: 'symbols of the listed files', score: addScores(scores), ms });
}
for (const name of FINDERS) {
  const agent = CATALOG[name] as DeterministicAgent;
  const scores: Score[] = [];
  let ms = 0;
  for (const repo of FIXTURE_REPOS) {
    const r = await run(agent, repo);
    ms += r.ms;
    scores.push(scoreFindings(name, r.out.findings, loadExpected(join(REPOS, repo))));
    for (const f of r.out.findings) if (f.rule.endsWith('/not-run')) notRun.push(`${name} on ${repo}: ${f.message}`);
  }
  const live = name === 'test-runner' || name === 'lint-runner';
  rows.push({
    agent: name,
    basis: live ? 'planted findings, tests and linters run live in the sandbox' : 'planted findings',
    score: addScores(scores),
    ms,
  });
}

// The secret scanner against secretlint, on the same files, matched by file and line (rule names differ).
type Located = { file: string; line: number };
const byPlace = (xs: Located[]) => new Set(xs.map((x) => `${x.file}:${x.line}`));
function placeScore(got: Located[], want: Located[]): Score {
  const g = byPlace(got);
  const w = byPlace(want);
  return {
    truePositives: [...g].filter((k) => w.has(k)).length,
    falsePositives: [...g].filter((k) => !w.has(k)).length,
    falseNegatives: [...w].filter((k) => !g.has(k)).length,
    missed: [...w].filter((k) => !g.has(k)),
    unexpected: [...g].filter((k) => !w.has(k)),
    cleanFlagged: [],
  };
}
const engine = await createEngine({
  cwd: ROOT,
  formatter: 'json',
  color: false,
  maskSecrets: true,
  configFileJSON: { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend' }] },
});
const ours: Score[] = [];
const theirs: Score[] = [];
let oursMs = 0;
let theirsMs = 0;
for (const repo of FIXTURE_REPOS) {
  const dir = join(REPOS, repo);
  const want = loadExpected(dir).findings.filter((f) => f.agent === 'secret-scanner');
  const calls: RecordedCall[] = [];
  const started0 = performance.now();
  const out = await fixtures.run(CATALOG['secret-scanner'] as DeterministicAgent, repo, { calls });
  oursMs += performance.now() - started0;
  ours.push(placeScore(out.findings as Finding[], want));
  // The same files the scanner was given: its own listing of the workspace, read from the fixture.
  const listed = calls.find((c) => c.tool === 'list_files')?.result;
  const files = listed?.ok ? listed.output.split('\n').filter(Boolean) : [];
  const started = performance.now();
  const res = await engine.executeOnFiles({ filePathList: files.map((f) => join(dir, f)) });
  theirsMs += performance.now() - started;
  const reported = (JSON.parse(res.output) as Array<{ filePath: string; messages: Array<{ loc: { start: { line: number } } }> }>).flatMap(
    (f) => f.messages.map((m) => ({ file: f.filePath.slice(dir.length + 1), line: m.loc.start.line })),
  );
  theirs.push(placeScore(reported, want));
}
const secretlintVersion = JSON.parse(
  readFileSync(join(ROOT, 'node_modules/@secretlint/secretlint-rule-preset-recommend/package.json'), 'utf8'),
).version;
const comparison = [
  { tool: 'agentplane secret-scanner (workspace+gate)', score: addScores(ours), ms: oursMs },
  { tool: `secretlint + preset-recommend ${secretlintVersion}`, score: addScores(theirs), ms: theirsMs },
];

const haveKeys = !!(process.env.OPENAI_API_KEY || process.env.ANTHROPIC_API_KEY);
const llmNote = haveKeys
  ? 'LLM agents: provider keys are set, but this bench does not score the LLM agents yet: their fixtures have no answer key for reviews and patches.'
  : 'LLM agents: not scored. No real provider keys are set; with the fake providers a score would mean nothing (they answer from a script, not from the code).';

const missed = rows.filter((r) => ratios(r.score).precision < TARGET.precision || ratios(r.score).recall < TARGET.recall);
if (json) {
  console.log(
    JSON.stringify({
      fixtures: FIXTURE_REPOS,
      targets: TARGET,
      agents: rows.map((r) => ({
        agent: r.agent,
        basis: r.basis,
        ...ratios(r.score),
        tp: r.score.truePositives,
        fp: r.score.falsePositives,
        fn: r.score.falseNegatives,
        ms: Math.round(r.ms),
      })),
      secretScannerComparison: comparison.map((c) => ({
        tool: c.tool,
        ...ratios(c.score),
        tp: c.score.truePositives,
        fp: c.score.falsePositives,
        fn: c.score.falseNegatives,
        ms: Math.round(c.ms),
      })),
      sandbox: fixtures.execution.runner.sandbox,
      notRun,
      llm: llmNote,
    }),
  );
} else {
  const pct = (x: number) => x.toFixed(2).padStart(9);
  console.log(
    `agents-eval: ${FIXTURE_REPOS.length} fixture repositories (${FIXTURE_REPOS.join(', ')}), targets precision ≥ ${TARGET.precision}, recall ≥ ${TARGET.recall}`,
  );
  console.log(
    `tools: the customer plane's gate, executors, command guard and argv runner (sandbox: ${fixtures.execution.runner.sandbox}), a fresh workspace per run\n`,
  );
  console.log(
    `${'agent'.padEnd(22)}${'planted'.padStart(8)}${'reported'.padStart(9)}${'TP'.padStart(5)}${'FP'.padStart(5)}${'FN'.padStart(5)}${'precision'.padStart(10)}${'recall'.padStart(9)}${'ms'.padStart(7)}  basis`,
  );
  for (const r of rows) {
    const s = r.score;
    const { precision, recall } = ratios(s);
    const flag = precision < TARGET.precision || recall < TARGET.recall ? '  BELOW TARGET' : '';
    console.log(
      `${r.agent.padEnd(22)}${String(s.truePositives + s.falseNegatives).padStart(8)}${String(s.truePositives + s.falsePositives).padStart(9)}${String(s.truePositives).padStart(5)}${String(s.falsePositives).padStart(5)}${String(s.falseNegatives).padStart(5)}${pct(precision)} ${pct(recall)}${String(Math.round(r.ms)).padStart(7)}  ${r.basis}${flag}`,
    );
    for (const m of s.missed) console.log(`    missed: ${m}`);
    for (const u of s.unexpected) console.log(`    not planted: ${u}`);
  }
  for (const n of notRun) console.log(`  not run: ${n}`);
  console.log('not scored: patch-applier, change-summarizer (they report on changes, not planted defects; see their unit tests)\n');
  console.log('secret scanner vs secretlint on the same files, matched by file and line:');
  for (const c of comparison) {
    const { precision, recall } = ratios(c.score);
    console.log(
      `  ${c.tool.padEnd(42)} TP ${String(c.score.truePositives).padStart(3)}  FP ${String(c.score.falsePositives).padStart(3)}  FN ${String(c.score.falseNegatives).padStart(3)}  precision ${precision.toFixed(2)}  recall ${recall.toFixed(2)}  ${Math.round(c.ms)} ms`,
    );
    if (c.tool.startsWith('secretlint')) {
      for (const m of c.score.missed) console.log(`    missed by secretlint: ${m}`);
      for (const u of c.score.unexpected) console.log(`    reported by secretlint, not planted: ${u}`);
    }
  }
  console.log(`\n${llmNote}`);
}
process.exitCode = missed.length > 0 ? 1 : 0;
