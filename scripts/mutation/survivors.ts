/**
 * Survivors that are explained: a mutant no test kills must be listed in scripts/mutation/survivors/<module>.json
 * with the reason it cannot change behaviour. A listed entry explains exactly one surviving mutant with the
 * same file, mutator, original code and replacement (lines shift as code changes, so they are not part of
 * the match; they are kept for the reader).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  /** The source text the mutant replaced, whitespace collapsed. */
  original: string;
  replacement: string;
}

export interface ExplainedSurvivor extends Survivor {
  reason: string;
}

export interface SurvivorCheck {
  explained: ExplainedSurvivor[];
  unexplained: Survivor[];
  /** Listed entries no surviving mutant matched: killed since, or the code moved on. */
  stale: ExplainedSurvivor[];
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();
const key = (s: Survivor) => JSON.stringify([s.file, s.mutator, collapse(s.original), collapse(s.replacement)]);

export function survivorsFile(dir: string, module: string): string {
  return join(dir, `${module}.json`);
}

export function readExplained(file: string): ExplainedSurvivor[] {
  if (!existsSync(file)) return [];
  const list = JSON.parse(readFileSync(file, 'utf8')) as ExplainedSurvivor[];
  for (const entry of list) {
    if (typeof entry.reason !== 'string' || entry.reason.trim().length < 20) {
      throw new Error(`${file}: the entry for ${entry.file}:${entry.line} (${entry.mutator}) needs a reason`);
    }
  }
  return list;
}

export function checkSurvivors(survivors: Survivor[], listed: ExplainedSurvivor[]): SurvivorCheck {
  const pool = new Map<string, ExplainedSurvivor[]>();
  for (const entry of listed) {
    const k = key(entry);
    pool.set(k, [...(pool.get(k) ?? []), entry]);
  }
  const explained: ExplainedSurvivor[] = [];
  const unexplained: Survivor[] = [];
  for (const s of survivors) {
    const match = pool.get(key(s))?.shift();
    if (match) explained.push({ ...s, reason: match.reason });
    else unexplained.push(s);
  }
  return { explained, unexplained, stale: [...pool.values()].flat() };
}

/** The source a mutant replaced, from its file and Stryker's location (1-based lines and columns). */
export function originalText(source: string, start: { line: number; column: number }, end: { line: number; column: number }): string {
  const lines = source.split('\n');
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const first = lines[start.line - 1].slice(start.column - 1);
  const middle = lines.slice(start.line, end.line - 1);
  const last = lines[end.line - 1].slice(0, end.column - 1);
  return [first, ...middle, last].join('\n');
}
