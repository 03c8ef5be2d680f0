import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const triageData = z.object({
  items: z.array(
    z.object({
      priority: z.enum(['p0', 'p1', 'p2', 'p3']),
      title: z.string(),
      findings: z.array(z.object({ rule: z.string(), file: z.string(), line: z.number().int() })),
      area: z.string(),
    }),
  ),
});

/** Turns the many findings of a run into a short, deduplicated, prioritised worklist. */
export const triager: LlmAgent = {
  name: 'triager',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Turns every finding of a run into a deduplicated, prioritised worklist — grouped by root cause and area, with what to fix first.',
  tools: ['read_file', 'search'],
  budget: { maxSteps: 10, maxTokens: 80_000 },
  output: agentOutputSchema.extend({ data: triageData }),
  prompt: systemPrompt(
    'You are an engineering lead turning a pile of findings into a plan a team can act on this week.',
    [
      'Group the findings of the earlier steps that share a root cause (one vulnerable helper used in five places is one item).',
      'Prioritise: p0 exploitable or data-losing now, p1 serious, p2 should fix, p3 hygiene; read the code where the severity alone does not tell.',
      "Name the area (module or team) each item belongs to; keep every finding's rule, file and line so nothing is lost.",
    ],
    '{"items": [{"priority": "p0"|"p1"|"p2"|"p3", "title", "findings": [{"rule", "file", "line"}], "area"}]}',
  ),
};
