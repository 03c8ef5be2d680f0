import type { FindingSeverity } from '../../shared/boundary.ts';
import { toWorkspacePath } from './test-output.ts';

/**
 * Lint problems out of a linter's output: ESLint and Ruff JSON reports, the one-line format of
 * flake8/pylint/ruff (`path:line:col: CODE message`), TypeScript's `path(line,col): error TSnnnn:`
 * and ESLint's stylish report. Rule ids become `lint/<tool>/<rule>` in the finding vocabulary.
 */
export type LintProblem = { tool: string; rule: string; severity: FindingSeverity; file: string; line: number; message: string };

/** A linter's rule id as a finding rule (lower case, only the characters findings allow). */
export function lintRule(tool: string, id: string): string {
  const clean = id
    .toLowerCase()
    .replace(/^@/, '')
    .replace(/[^a-z0-9_./-]+/g, '-')
    .replace(/^[^a-z0-9]+/, '');
  return `lint/${tool}/${clean || 'unnamed'}`.slice(0, 80);
}

type EslintFile = { filePath: string; messages: Array<{ ruleId: string | null; severity: number; message: string; line?: number }> };
type RuffItem = { code: string | null; message: string; filename: string; location: { row: number } };

function fromJson(output: string, files: readonly string[]): LintProblem[] | undefined {
  const start = output.indexOf('[');
  if (start < 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(output.slice(start, output.lastIndexOf(']') + 1));
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  if (parsed.every((f) => f && typeof f === 'object' && 'filePath' in f && 'messages' in f)) {
    return (parsed as EslintFile[]).flatMap((f) =>
      f.messages.map((m) => ({
        tool: 'eslint',
        rule: lintRule('eslint', m.ruleId ?? 'parse-error'),
        severity: m.severity >= 2 ? 'medium' : 'low',
        file: toWorkspacePath(f.filePath, files),
        line: m.line ?? 0,
        message: m.message,
      })),
    );
  }
  if (parsed.every((f) => f && typeof f === 'object' && 'filename' in f && 'location' in f)) {
    return (parsed as RuffItem[]).map((m) => ({
      tool: 'ruff',
      rule: lintRule('ruff', m.code ?? 'syntax-error'),
      severity: !m.code || /^(E9|F8)/.test(m.code) ? 'medium' : 'low',
      file: toWorkspacePath(m.filename, files),
      line: m.location.row,
      message: m.message,
    }));
  }
  return undefined;
}

function fromLines(output: string, files: readonly string[], tool: string): LintProblem[] {
  const out: LintProblem[] = [];
  let stylishFile = '';
  for (const line of output.split('\n')) {
    const tsc = line.match(/^(.+?)\((\d+),\d+\): (error|warning) (TS\d+): (.*)$/);
    if (tsc) {
      out.push({
        tool: 'tsc',
        rule: lintRule('tsc', tsc[4]),
        severity: tsc[3] === 'error' ? 'medium' : 'low',
        file: toWorkspacePath(tsc[1], files),
        line: Number(tsc[2]),
        message: tsc[5],
      });
      continue;
    }
    const flat = line.match(/^(.+?):(\d+):(\d+): ([A-Z]+\d+) (.*)$/);
    if (flat && toWorkspacePath(flat[1], files)) {
      out.push({
        tool,
        rule: lintRule(tool, flat[4]),
        severity: /^(E9|F8)/.test(flat[4]) ? 'medium' : 'low',
        file: toWorkspacePath(flat[1], files),
        line: Number(flat[2]),
        message: flat[5],
      });
      continue;
    }
    if (toWorkspacePath(line.trim(), files)) {
      stylishFile = toWorkspacePath(line.trim(), files);
      continue;
    }
    const stylish = line.match(/^\s+(\d+):\d+\s+(error|warning)\s+(.+?)\s{2,}(\S+)\s*$/);
    if (stylish && stylishFile) {
      out.push({
        tool: 'eslint',
        rule: lintRule('eslint', stylish[4]),
        severity: stylish[2] === 'error' ? 'medium' : 'low',
        file: stylishFile,
        line: Number(stylish[1]),
        message: stylish[3],
      });
    }
  }
  return out;
}

export function parseLintOutput(output: string, files: readonly string[], tool = 'lint'): LintProblem[] {
  return fromJson(output, files) ?? fromLines(output, files, tool);
}
