import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseUnifiedDiff } from '../analysis/diffs.ts';
import { countBySeverity, finding, result } from '../support/workspace.ts';
import { agentOutputSchema, type DeterministicAgent, type Finding } from '../types.ts';

const appliedSchema = z.object({ from: z.string(), title: z.string(), files: z.array(z.string()), diff: z.string() });

/**
 * Applies the patches the steps before it proposed (their outputs' `patches`), one at a time through
 * `apply_patch` — i.e. through the gate, which may ask a person first. Identical patches are applied
 * once; a malformed patch, one whose paths leave the workspace, or one the gate or the tree refuses
 * becomes a finding, and the others still apply.
 */
export const patchApplier: DeterministicAgent = {
  name: 'patch-applier',
  kind: 'deterministic',
  tier: null,
  purpose:
    'Applies the unified diffs proposed by earlier steps to the workspace through the gate, one at a time, and reports which applied and why others did not.',
  tools: ['apply_patch'],
  budget: { maxSteps: 100, maxTokens: 0 },
  output: agentOutputSchema.extend({ data: z.object({ applied: z.array(appliedSchema), notApplied: z.number().int() }) }),
  async run(ctx) {
    const findings: Finding[] = [];
    const applied: Array<z.infer<typeof appliedSchema>> = [];
    const seen = new Set<string>();
    let notApplied = 0;
    for (const [from, output] of Object.entries(ctx.inputs)) {
      for (const patch of output.patches) {
        const digest = createHash('sha256').update(patch.diff).digest('hex');
        if (seen.has(digest)) continue;
        seen.add(digest);
        const parsed = parseUnifiedDiff(patch.diff);
        if (!parsed.ok) {
          notApplied++;
          findings.push(
            finding('patch/malformed', 'medium', '', 0, `patch "${patch.title}" from step ${from} was not applied: ${parsed.problem}`),
          );
          continue;
        }
        const files = parsed.files.map((f) => f.path);
        const res = await ctx.tools.call('apply_patch', { diff: patch.diff });
        if (res.ok) {
          applied.push({ from, title: patch.title, files, diff: patch.diff });
        } else {
          notApplied++;
          findings.push(
            finding(
              'patch/not-applied',
              'medium',
              files[0] ?? '',
              0,
              res.decision === 'error'
                ? `patch "${patch.title}" from step ${from} was not applied: it does not apply to the workspace (${res.reason}): ${res.message}`
                : `patch "${patch.title}" from step ${from} was not applied: the gate answered ${res.decision} (${res.reason}): ${res.message}`,
            ),
          );
        }
      }
    }
    const total = applied.length + notApplied;
    const summary = total === 0 ? 'no patches to apply' : `${applied.length} of ${total} patches applied: ${countBySeverity(findings)}`;
    return result(summary, findings, { applied, notApplied });
  },
};
