import { z } from 'zod';
import { languageOfPath } from '../analysis/languages.ts';
import { SECRET_RULES } from '../analysis/secret-rules.ts';
import { countBySeverity, finding, listWorkspace, readText, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding } from '../types.ts';

/** Lockfiles are full of integrity hashes (high entropy by design) and never hold credentials. */
const LOCKFILES = new Set([
  'package-lock.json',
  'npm-shrinkwrap.json',
  'yarn.lock',
  'pnpm-lock.yaml',
  'poetry.lock',
  'Pipfile.lock',
  'Cargo.lock',
  'go.sum',
]);
const CODE_LANGUAGES = new Set([
  'javascript',
  'typescript',
  'tsx',
  'python',
  'go',
  'rust',
  'java',
  'kotlin',
  'ruby',
  'php',
  'csharp',
  'c',
  'cpp',
  'swift',
  'scala',
]);
/** A line carrying this marker is skipped (a reviewed false positive), like gitleaks:allow. */
const IGNORE_MARKER = 'secret-scanner: ignore';

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}
function lineIndex(starts: number[], offset: number): number {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Findings for one file's text: one per line at most (the most specific rule wins); never the value. */
export function scanText(path: string, text: string): Finding[] {
  const base = path.slice(path.lastIndexOf('/') + 1);
  const isConfig = base.startsWith('.env') || !CODE_LANGUAGES.has(languageOfPath(path));
  const starts = lineStarts(text);
  const lines = text.split('\n');
  const byLine = new Map<number, Finding>();
  for (const rule of SECRET_RULES) {
    if (rule.configOnly && !isConfig) continue;
    for (const m of text.matchAll(rule.pattern)) {
      const value = m.groups?.v ?? m[0];
      // The line where the match starts: a PEM block is reported at its header, not its body.
      const index = lineIndex(starts, m.index + (m[0].startsWith('-----') ? 0 : m[0].indexOf(value)));
      const lineText = lines[index] ?? '';
      if (byLine.has(index + 1) || lineText.includes(IGNORE_MARKER)) continue;
      if (rule.accept && !rule.accept(value, lineText)) continue;
      byLine.set(
        index + 1,
        finding(
          rule.id,
          rule.severity,
          path,
          index + 1,
          `${rule.kind} committed in ${path} at line ${index + 1}; revoke it and load it from a secret store instead`,
        ),
      );
    }
  }
  return [...byLine.values()];
}

/** Finds committed credentials by known token formats and by entropy, with placeholders left alone. No LLM. */
export const secretScanner: DeterministicAgent = {
  name: 'secret-scanner',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Finds committed credentials — cloud keys, API tokens, private keys, passwords in URLs and high-entropy values under secret-named keys — naming the kind and place, never the value.',
  tools: ['list_files', 'read_file'],
  budget: { maxSteps: 5001, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ filesScanned: z.number().int(), byRule: z.record(z.string(), z.number().int()) }) }),
  async run(ctx) {
    const paths = await listWorkspace(ctx);
    const findings: Finding[] = [];
    let filesScanned = 0;
    for (const path of paths) {
      if (LOCKFILES.has(path.slice(path.lastIndexOf('/') + 1))) continue;
      const text = await readText(ctx, path);
      if (text === undefined) continue;
      filesScanned++;
      findings.push(...scanText(path, text));
    }
    const byRule: Record<string, number> = {};
    for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
    return result(`secret scan of ${filesScanned} files: ${countBySeverity(findings)}`, findings, { filesScanned, byRule });
  },
};
