import { AgentError, type AgentOutput, type Finding, type Patch, type StepContext } from '../types.ts';
import type { FindingSeverity } from '../../shared/boundary.ts';

/**
 * How the deterministic agents read the workspace: only through `ctx.tools`, i.e. through the gate.
 * A refusal of the listing is the step's failure (nothing can be analysed); a refused or unreadable
 * single file is skipped and counted, so one odd file does not sink the step.
 */

/** Directories whose content is not the repository's own source (installed, generated or VCS data). */
const SKIP_DIRS = new Set(['node_modules', '.git', 'dist', 'build', 'vendor', '.venv', 'venv', '__pycache__', 'coverage', '.next', '.tox']);

/** True for paths under a directory of installed or generated files, and for minified bundles. */
export function isVendored(path: string): boolean {
  const parts = path.split('/');
  if (parts.slice(0, -1).some((p) => SKIP_DIRS.has(p))) return true;
  return /\.min\.(js|css)$/.test(path);
}

export const MAX_FILES = 5000;

/** Every file of the workspace (relative paths), vendored ones left out unless asked for. */
export async function listWorkspace(ctx: StepContext, opts: { includeVendored?: boolean } = {}): Promise<string[]> {
  const listed = await ctx.tools.call('list_files', { maxFiles: MAX_FILES });
  if (!listed.ok) throw new AgentError('tool_denied', `list_files was refused (${listed.reason})`);
  const paths = listed.output
    .split('\n')
    .map((p) => p.trim())
    .filter(Boolean);
  return opts.includeVendored ? paths : paths.filter((p) => !isVendored(p));
}

/** The text of one file, or undefined when the gate refused it or it is binary. */
export async function readText(ctx: StepContext, path: string): Promise<string | undefined> {
  if (ctx.signal.aborted) throw new AgentError('timeout', 'step aborted');
  const read = await ctx.tools.call('read_file', { path });
  if (!read.ok) return undefined;
  return read.output.includes('\u0000') ? undefined : read.output;
}

export function finding(rule: string, severity: FindingSeverity, file: string, line: number, message: string): Finding {
  return { rule, severity, file, line, message };
}

/** Findings in a stable order (file, line, rule), so two runs over the same tree compare equal. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
}

export function result(summary: string, findings: Finding[], data?: Record<string, unknown>, patches: Patch[] = []): AgentOutput {
  return { summary, findings: sortFindings(findings), patches, ...(data ? { data } : {}) };
}

/** "3 findings (1 high, 2 medium)" — the summary line every scanner ends with. */
export function countBySeverity(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'no findings';
  const order: FindingSeverity[] = ['critical', 'high', 'medium', 'low', 'info'];
  const parts = order.map((s) => [s, findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  return `${findings.length} finding${findings.length === 1 ? '' : 's'} (${parts.map(([s, n]) => `${n} ${s}`).join(', ')})`;
}

/**
 * The command runner answers exit 127 when a program is not installed where commands run (the
 * shell's convention). Then nothing was tested or linted: say so, rather than parse an empty report.
 */
export function notInstalled(command: string, data: unknown): string | undefined {
  const exitCode = data && typeof data === 'object' && 'exitCode' in data ? (data as { exitCode: unknown }).exitCode : undefined;
  if (exitCode !== 127) return undefined;
  return `"${command}" exited 127: a program it needs is not installed where this customer plane runs commands`;
}

/**
 * What a command printed on stdout alone. run_command's output is stdout, then `[stderr]` and
 * stderr, then `[exit N]`; `data.stdoutChars` says where stdout ends.
 */
export function commandStdout(output: string, data: unknown): string {
  const n = data && typeof data === 'object' && 'stdoutChars' in data ? (data as { stdoutChars: unknown }).stdoutChars : undefined;
  return typeof n === 'number' && n >= 0 ? output.slice(0, n) : output;
}

/**
 * Runs one of the repository's own tools (its tests, its linters) through the gate. When it did not
 * run — the gate refused or asked, or the program is not installed — that is recorded in `runs` and
 * as a `<rulePrefix>/not-run` finding, and undefined is returned; otherwise the command's result.
 */
export async function runRepositoryCommand(
  ctx: StepContext,
  command: string,
  opts: { timeoutMs: number; rulePrefix: 'lint' | 'test'; severity: FindingSeverity; what: string },
  record: { runs: Array<{ command: string; refused?: string }>; findings: Finding[] },
): Promise<{ output: string; data?: unknown } | undefined> {
  const out = await ctx.tools.call('run_command', { command, timeoutMs: opts.timeoutMs });
  const rule = `${opts.rulePrefix}/not-run`;
  if (!out.ok) {
    record.runs.push({ command, refused: out.reason });
    record.findings.push(
      finding(rule, opts.severity, '', 0, `${opts.what} not run: the gate answered ${out.decision} (${out.reason}) to "${command}"`),
    );
    return undefined;
  }
  const missing = notInstalled(command, out.data);
  if (missing) {
    record.runs.push({ command, refused: 'not_installed' });
    record.findings.push(finding(rule, opts.severity, '', 0, missing));
    return undefined;
  }
  return out;
}

/** For a summary: ` (not run: <command> → <why>, …)` for the commands that did not run, or nothing. */
export function notRunNote(runs: ReadonlyArray<{ command: string; refused?: string }>): string {
  const refused = runs.filter((r) => r.refused);
  return refused.length ? ` (not run: ${refused.map((r) => `${r.command} → ${r.refused}`).join(', ')})` : '';
}
