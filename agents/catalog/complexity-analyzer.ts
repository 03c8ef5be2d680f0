import { z } from 'zod';
import { type FunctionMetrics, functionMetrics } from '../analysis/complexity.ts';
import { withTree } from '../support/syntax.ts';
import { commandStdout, countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const DEFAULT_MAX_COMPLEXITY = 10;
const DEFAULT_MAX_NESTING = 4;
const HOTSPOTS = 20;

/**
 * Commits touching each file, from `git log` through the gate; undefined when git is not available
 * or there is no history to speak of. A run's workspace starts as one baseline commit (the customer's
 * history is not copied), in which every file was touched once: that says nothing about churn.
 */
async function churn(ctx: StepContext): Promise<Map<string, number> | undefined> {
  const log = await ctx.tools.call('git', { args: ['log', '--format=', '--name-only', '-n', '500'] });
  if (!log.ok || (log.data as { exitCode?: unknown } | undefined)?.exitCode) return undefined;
  const counts = new Map<string, number>();
  for (const line of commandStdout(log.output, log.data).split('\n'))
    if (line.trim()) counts.set(line.trim(), (counts.get(line.trim()) ?? 0) + 1);
  return Math.max(0, ...counts.values()) > 1 ? counts : undefined;
}

const metricSchema = z.object({
  file: z.string(),
  name: z.string(),
  line: z.number().int(),
  lines: z.number().int(),
  complexity: z.number().int(),
  nesting: z.number().int(),
  churn: z.number().int().optional(),
});

/**
 * Measures every function's cyclomatic complexity and nesting on the syntax tree, reports those over
 * the thresholds (`params.maxComplexity`, `params.maxNesting`), and ranks hotspots: complexity times
 * how often the file changed, where git history is available.
 */
export const complexityAnalyzer: DeterministicAgent = {
  name: 'complexity-analyzer',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Measures cyclomatic complexity and nesting of every function on the syntax tree and ranks hotspots (complex code that changes often) for refactoring.',
  tools: ['list_files', 'read_file', 'git'],
  budget: { maxSteps: 5002, maxTokens: 0 },
  output: agentOutputSchema.extend({
    data: z.object({ functions: z.number().int(), hotspots: z.array(metricSchema), churnAvailable: z.boolean() }),
  }),
  async run(ctx) {
    const maxComplexity = Number(ctx.params.maxComplexity ?? DEFAULT_MAX_COMPLEXITY);
    const maxNesting = Number(ctx.params.maxNesting ?? DEFAULT_MAX_NESTING);
    const findings: Finding[] = [];
    const all: Array<FunctionMetrics & { file: string }> = [];
    for (const path of (await listWorkspace(ctx)).filter((p) => ctx.syntax.languageOf(p) && ctx.syntax.languageOf(p) !== 'bash')) {
      const text = await readText(ctx, path);
      if (text === undefined) continue;
      for (const m of withTree(ctx, path, text, functionMetrics) ?? []) {
        all.push({ file: path, ...m });
        if (m.complexity > maxComplexity) {
          findings.push(
            finding(
              'complexity/cyclomatic',
              m.complexity > 2.5 * maxComplexity ? 'high' : 'medium',
              path,
              m.line,
              `${m.name} has cyclomatic complexity ${m.complexity} (limit ${maxComplexity}): split it or simplify its branching`,
            ),
          );
        }
        if (m.nesting > maxNesting)
          findings.push(
            finding(
              'complexity/deep-nesting',
              'low',
              path,
              m.line,
              `${m.name} nests control flow ${m.nesting} levels deep (limit ${maxNesting})`,
            ),
          );
      }
    }
    const commits = await churn(ctx);
    const score = (m: FunctionMetrics & { file: string }) => m.complexity * (commits ? (commits.get(m.file) ?? 1) : 1);
    const hotspots = [...all]
      .sort((a, b) => score(b) - score(a) || a.file.localeCompare(b.file))
      .slice(0, HOTSPOTS)
      .map((m) => ({ ...m, ...(commits ? { churn: commits.get(m.file) ?? 0 } : {}) }));
    const summary = `${all.length} functions measured${commits ? '' : ' (no git history: hotspots by complexity only)'}: ${countBySeverity(findings)}`;
    return result(summary, findings, { functions: all.length, hotspots, churnAvailable: !!commits });
  },
};
