/**
 * npm run bench:agents-eval — how well the deterministic agents find what was planted in the fixture
 * repositories (test/fixtures/repos/<name>/, answer key in each expected.json), per agent: precision
 * (share of reports that are planted defects) and recall (share of planted defects reported), against
 * the targets precision ≥ 0.9 and recall ≥ 0.95. The secret scanner is compared with secretlint and
 * its recommended preset on the same files in the same run, both matched by file and line.
 *
 * The agents read the fixtures through the READ-ONLY fixture toolbox (bench/support/fixture-toolbox.ts):
 * the gate is not in this path (production runs go through customer-plane/gate/), and run_command is
 * refused there, so test-runner and lint-runner are scored on recorded real outputs of the fixtures'
 * tests and linters (test/fixtures/command-outputs/) — which measures their parsers, not a live run.
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
import type { DeterministicAgent, Finding, ToolBox } from '../agents/types.ts';
import { createSyntaxService } from '../customer-plane/analysis/syntax.ts';
import { createFixtureToolbox, fixtureStepContext } from './support/fixture-toolbox.ts';
import { addScores, FIXTURE_REPOS, loadExpected, ratios, type Score, scoreFindings, scoreSymbols } from './support/score.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const REPOS = join(ROOT, 'test/fixtures/repos');
const OUTPUTS = join(ROOT, 'test/fixtures/command-outputs');
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
] as const;
/** Recorded real outputs per fixture for the command-running agents (the toolbox refuses commands). */
const RECORDED: Record<string, Partial<Record<string, string>>> = {
  'test-runner': { 'node-shop': 'node-test-spec.txt', 'py-service': 'pytest-line.txt', 'clean-lib': 'node-test-spec-pass.txt' },
  'lint-runner': { 'node-shop': 'eslint-json.txt', 'py-service': 'ruff-json.txt' },
};

type Row = { agent: string; basis: string; score: Score; ms: number };
const syntax = await createSyntaxService();

async function run(agent: DeterministicAgent, repo: string, tools?: ToolBox) {
  const started = performance.now();
  const out = await agent.run(fixtureStepContext({ root: join(REPOS, repo), agent, syntax, ...(tools ? { tools } : {}) }));
  agent.output.parse(out);
  return { out, ms: performance.now() - started };
}

function recordedToolbox(agent: DeterministicAgent, repo: string, file: string | undefined): ToolBox {
  const base = createFixtureToolbox(join(REPOS, repo), agent.tools);
  const output = file ? readFileSync(join(OUTPUTS, file), 'utf8') : '';
  return {
    call: (tool, input) =>
      tool === 'run_command'
        ? Promise.resolve({ ok: true, output, data: { exitCode: /fail [1-9]|failed|error/.test(output) ? 1 : 0 } })
        : base.call(tool, input),
  };
}

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
  }
  rows.push({ agent: name, basis: 'planted findings', score: addScores(scores), ms });
}
for (const name of ['test-runner', 'lint-runner'] as const) {
  const agent = CATALOG[name] as DeterministicAgent;
  const live = await run(agent, 'node-shop');
  const scores: Score[] = [];
  let ms = 0;
  for (const repo of FIXTURE_REPOS) {
    const r = await run(agent, repo, recordedToolbox(agent, repo, RECORDED[name][repo]));
    ms += r.ms;
    scores.push(scoreFindings(name, r.out.findings, loadExpected(join(REPOS, repo))));
  }
  const refused = live.out.summary.match(/→ (\w+)/)?.[1] ?? 'not refused';
  rows.push({ agent: name, basis: `recorded outputs (live run refused: ${refused})`, score: addScores(scores), ms });
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
  const r = await run(CATALOG['secret-scanner'] as DeterministicAgent, repo);
  oursMs += r.ms;
  ours.push(placeScore(r.out.findings as Finding[], want));
  const listed = await createFixtureToolbox(dir, ['list_files']).call('list_files', { maxFiles: 5000 });
  const files = listed.ok ? listed.output.split('\n').filter(Boolean) : [];
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
  { tool: 'agentplane secret-scanner', score: addScores(ours), ms: oursMs },
  { tool: `secretlint + preset-recommend ${secretlintVersion}`, score: addScores(theirs), ms: theirsMs },
];

const haveKeys = !!(process.env.OPENAI_API_KEY || process.env.ANTHROPIC_API_KEY);
const llmNote = haveKeys
  ? 'LLM agents: provider keys are set, but no LLM agent is scored in this build: the tool-calling loop that runs them (customer-plane/runner) is not merged yet.'
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
      llm: llmNote,
    }),
  );
} else {
  const pct = (x: number) => x.toFixed(2).padStart(9);
  console.log(
    `agents-eval: ${FIXTURE_REPOS.length} fixture repositories (${FIXTURE_REPOS.join(', ')}), targets precision ≥ ${TARGET.precision}, recall ≥ ${TARGET.recall}`,
  );
  console.log('tools: the read-only fixture toolbox (bench/support/fixture-toolbox.ts); the gate is NOT in this path\n');
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
