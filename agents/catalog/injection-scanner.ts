import { z } from 'zod';
import type { InjectionHit } from '../analysis/injection-common.ts';
import { scanJs } from '../analysis/injection-js.ts';
import { scanPython } from '../analysis/injection-python.ts';
import { withTree } from '../support/syntax.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding, type StepContext } from '../types.ts';

const ANALYSERS: Record<string, (root: Parameters<typeof scanJs>[0]) => InjectionHit[]> = {
  javascript: scanJs,
  typescript: scanJs,
  tsx: scanJs,
  python: scanPython,
};

/** The injection findings of one file's text (exported for tests of single snippets). */
export function scanSource(ctx: Pick<StepContext, 'syntax'>, path: string, text: string): Finding[] {
  const hits = withTree(ctx, path, text, (root, language) => ANALYSERS[language]?.(root) ?? []) ?? [];
  return hits.map((h) => finding(h.rule, h.severity, path, h.line, h.message));
}

/**
 * Finds SQL built from strings, shell command strings, eval of dynamic code and unescaped HTML on the
 * syntax tree: a sink is reported when the value reaching it is assembled from non-constant parts
 * (followed through local variables), so parameterized queries, argv arrays and escaped output pass.
 */
export const injectionScanner: DeterministicAgent = {
  name: 'injection-scanner',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Finds injection sinks on the syntax tree (SQL built from strings, shell command strings, eval of dynamic code, unescaped HTML) in JavaScript, TypeScript and Python.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 5001, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ filesParsed: z.number().int(), byRule: z.record(z.string(), z.number().int()) }) }),
  async run(ctx) {
    const paths = (await listWorkspace(ctx)).filter((p) => ctx.syntax.languageOf(p) && ctx.syntax.languageOf(p) !== 'bash');
    const findings: Finding[] = [];
    let filesParsed = 0;
    for (const path of paths) {
      const text = await readText(ctx, path);
      if (text === undefined) continue;
      filesParsed++;
      findings.push(...scanSource(ctx, path, text));
    }
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    return result(`injection scan of ${filesParsed} source files: ${countBySeverity(findings)}`, findings, { filesParsed, byRule });
  },
};
