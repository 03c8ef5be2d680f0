/**
 * Scoring agents against a fixture repository's `expected.json`: the planted findings an agent must
 * report (recall), everything else it reports counts against it (precision), and the clean
 * look-alikes it reported are listed by name. Used by `bench/agents-eval.ts` and the agents' tests.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Finding } from '../../agents/types.ts';

export type ExpectedFinding = { agent: string; rule: string; file: string; line: number };
export type CleanLookAlike = { agent: string; file: string; line: number; why: string };
export type ExpectedSymbol = { file: string; name: string; kind: string; line: number };
export type Expected = { description: string; findings: ExpectedFinding[]; clean: CleanLookAlike[]; symbols: ExpectedSymbol[] };

export type Score = {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  missed: string[];
  unexpected: string[];
  cleanFlagged: string[];
};

export function loadExpected(repoDir: string): Expected {
  return JSON.parse(readFileSync(join(repoDir, 'expected.json'), 'utf8')) as Expected;
}

const key = (f: { rule: string; file: string; line: number }) => `${f.rule} ${f.file}:${f.line}`;

/** One agent's findings against the planted set (duplicates of one rule, file and line count once). */
export function scoreFindings(agent: string, findings: readonly Finding[], expected: Expected): Score {
  const want = new Set(expected.findings.filter((e) => e.agent === agent).map(key));
  const got = new Set(findings.map(key));
  const clean = expected.clean.filter((c) => c.agent === agent);
  const cleanFlagged = findings
    .filter((f) => clean.some((c) => c.file === f.file && (c.line === 0 || c.line === f.line)))
    .map((f) => `${key(f)} (${clean.find((c) => c.file === f.file && (c.line === 0 || c.line === f.line))?.why})`);
  return {
    truePositives: [...got].filter((k) => want.has(k)).length,
    falsePositives: [...got].filter((k) => !want.has(k)).length,
    falseNegatives: [...want].filter((k) => !got.has(k)).length,
    missed: [...want].filter((k) => !got.has(k)),
    unexpected: [...got].filter((k) => !want.has(k)),
    cleanFlagged,
  };
}

/** The indexer's symbols for the files `expected.symbols` names. */
export function scoreSymbols(symbols: readonly ExpectedSymbol[], expected: Expected): Score {
  const files = new Set(expected.symbols.map((s) => s.file));
  const k = (s: ExpectedSymbol) => `${s.kind} ${s.name} ${s.file}:${s.line}`;
  const want = new Set(expected.symbols.map(k));
  const got = new Set(symbols.filter((s) => files.has(s.file)).map(k));
  return {
    truePositives: [...got].filter((x) => want.has(x)).length,
    falsePositives: [...got].filter((x) => !want.has(x)).length,
    falseNegatives: [...want].filter((x) => !got.has(x)).length,
    missed: [...want].filter((x) => !got.has(x)),
    unexpected: [...got].filter((x) => !want.has(x)),
    cleanFlagged: [],
  };
}

export function addScores(scores: readonly Score[]): Score {
  return scores.reduce(
    (a, s) => ({
      truePositives: a.truePositives + s.truePositives,
      falsePositives: a.falsePositives + s.falsePositives,
      falseNegatives: a.falseNegatives + s.falseNegatives,
      missed: [...a.missed, ...s.missed],
      unexpected: [...a.unexpected, ...s.unexpected],
      cleanFlagged: [...a.cleanFlagged, ...s.cleanFlagged],
    }),
    { truePositives: 0, falsePositives: 0, falseNegatives: 0, missed: [], unexpected: [], cleanFlagged: [] },
  );
}

/** Precision and recall; with nothing reported (or nothing planted) the ratio is 1 by convention, and `n` says how much it rests on. */
export function ratios(s: Score): { precision: number; recall: number } {
  const reported = s.truePositives + s.falsePositives;
  const planted = s.truePositives + s.falseNegatives;
  return { precision: reported === 0 ? 1 : s.truePositives / reported, recall: planted === 0 ? 1 : s.truePositives / planted };
}

export const FIXTURE_REPOS = ['node-shop', 'py-service', 'clean-lib'] as const;
