import { z } from 'zod';
import { type FileChange, parseUnifiedDiff } from '../analysis/diffs.ts';
import { symbolsOf } from '../analysis/symbols.ts';
import { withTree } from '../support/syntax.ts';
import { commandStdout, finding, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type AgentOutput, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const SENSITIVE: Array<[RegExp, string]> = [
  [/^\.github\/workflows\//, 'a CI workflow'],
  [/(^|\/)(Dockerfile[^/]*|[^/]+\.dockerfile|(docker-)?compose[^/]*\.ya?ml)$/, 'container configuration'],
  [/(^|\/)(package(-lock)?\.json|requirements[^/]*\.txt|pyproject\.toml|poetry\.lock|yarn\.lock|pnpm-lock\.yaml)$/, 'dependencies'],
  [/(^|\/)[^/]*(auth|security|crypto|secret|permission|password|token)[^/]*$/i, 'security-relevant code'],
];
const isTestPath = (p: string) =>
  /(^|\/)(test|tests|__tests__)\//.test(p) || /\.(test|spec)\.[cm]?[jt]sx?$/.test(p) || /(^|\/)test_[^/]*\.py$/.test(p);
const LARGE_CHANGE = 500;

/** The change to summarize: `git diff` of the workspace against its baseline commit, else the diffs the inputs applied or proposed. */
async function changedFiles(ctx: StepContext): Promise<{ source: string; files: FileChange[] }> {
  const git = await ctx.tools.call('git', { args: ['diff', '--no-color', '--no-ext-diff', 'HEAD'] });
  const diff = git.ok ? commandStdout(git.output, git.data) : '';
  if (diff.trim()) {
    const parsed = parseUnifiedDiff(diff);
    if (parsed.ok) return { source: 'git diff', files: parsed.files };
  }
  const diffs: string[] = [];
  for (const out of Object.values(ctx.inputs) as AgentOutput[]) {
    const applied = (out.data as { applied?: Array<{ diff?: unknown }> } | undefined)?.applied;
    if (Array.isArray(applied)) for (const a of applied) if (typeof a.diff === 'string') diffs.push(a.diff);
    for (const p of out.patches) diffs.push(p.diff);
  }
  const byPath = new Map<string, FileChange>();
  for (const d of diffs) {
    const parsed = parseUnifiedDiff(d);
    if (!parsed.ok) continue;
    for (const f of parsed.files) {
      const prev = byPath.get(f.path);
      byPath.set(
        f.path,
        prev
          ? { ...prev, added: prev.added + f.added, removed: prev.removed + f.removed, newRanges: [...prev.newRanges, ...f.newRanges] }
          : f,
      );
    }
  }
  return { source: git.ok ? 'input patches' : `input patches (git: ${git.reason})`, files: [...byPath.values()] };
}

/**
 * Summarizes what a run changed, for the person who reviews it: files with lines added and removed,
 * the functions and classes the hunks fall in (on the syntax tree of the new text), and flags for
 * changes a reviewer should look at first (CI, containers, dependencies, security code, no tests).
 */
export const changeSummarizer: DeterministicAgent = {
  name: 'change-summarizer',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Summarizes a change set for review: files and lines changed, the functions touched, and the changes that need a careful look (CI, dependencies, security code, untested source).',
  tools: ['read_file', 'git'],
  budget: { maxSteps: 200, maxTokens: 0 },
  output: agentOutputSchema.extend({
    data: z.object({
      source: z.string(),
      files: z.array(
        z.object({
          path: z.string(),
          status: z.string(),
          added: z.number().int(),
          removed: z.number().int(),
          symbols: z.array(z.string()),
        }),
      ),
    }),
  }),
  async run(ctx) {
    const { source, files } = await changedFiles(ctx);
    const findings: Finding[] = [];
    const rows: Array<{ path: string; status: string; added: number; removed: number; symbols: string[] }> = [];
    for (const f of files) {
      let symbols: string[] = [];
      const text = f.status === 'deleted' ? undefined : await readText(ctx, f.path);
      if (text !== undefined) {
        const declared = withTree(ctx, f.path, text, symbolsOf) ?? [];
        symbols = declared
          .filter((s) => s.kind !== 'variable' && f.newRanges.some(([a, b]) => a <= s.endLine && b >= s.line))
          .map((s) => (s.container ? `${s.container}.${s.name}` : s.name));
      }
      rows.push({ path: f.path, status: f.status, added: f.added, removed: f.removed, symbols: [...new Set(symbols)] });
      for (const [re, what] of SENSITIVE) {
        if (re.test(f.path)) {
          findings.push(finding('change/sensitive-file', 'info', f.path, 0, `the change touches ${what}: review it first`));
          break;
        }
      }
    }
    const added = files.reduce((n, f) => n + f.added, 0);
    const removed = files.reduce((n, f) => n + f.removed, 0);
    const sourceChanged = rows.filter((r) => ctx.syntax.languageOf(r.path) && !isTestPath(r.path));
    if (sourceChanged.length > 0 && !rows.some((r) => isTestPath(r.path))) {
      findings.push(finding('change/no-tests', 'low', '', 0, `${sourceChanged.length} source files changed and no test changed with them`));
    }
    if (added + removed > LARGE_CHANGE)
      findings.push(finding('change/large', 'low', '', 0, `${added + removed} lines changed: consider splitting the change for review`));
    const lines = rows.map(
      (r) => `${r.path} (${r.status}, +${r.added} −${r.removed}${r.symbols.length ? `; ${r.symbols.join(', ')}` : ''})`,
    );
    const summary =
      rows.length === 0 ? 'no changes' : `${rows.length} files changed, +${added} −${removed} (from ${source}):\n${lines.join('\n')}`;
    return result(summary, findings, { source, files: rows });
  },
};
