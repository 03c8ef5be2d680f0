import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const migrationData = z.object({
  target: z.string(),
  inventory: z.array(z.object({ file: z.string(), line: z.number().int(), usage: z.string() })),
  phases: z.array(z.object({ title: z.string(), steps: z.array(z.string()), rollback: z.string() })),
});

/** Plans a migration (framework, runtime or library version) from an inventory of what must change. */
export const migrationPlanner: LlmAgent = {
  name: 'migration-planner',
  kind: 'llm',
  tier: 'ultra',
  purpose:
    'Plans a migration to a new framework, runtime or major library version (params.target): an inventory of every affected use and phases that keep the code shippable.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 24, maxTokens: 150_000 },
  output: agentOutputSchema.extend({ data: migrationData }),
  prompt: systemPrompt(
    'You plan migrations that never leave the main branch broken.',
    [
      'The target is in the run parameters. Search for every use of what changes (imports, APIs, configuration) and list them with file and line.',
      'Group the work into phases that each leave the code building and tested; give each a rollback.',
      'Report uses you cannot migrate mechanically as findings with rule "migration/manual".',
    ],
    '{"target", "inventory": [{"file", "line", "usage"}], "phases": [{"title", "steps": [string], "rollback"}]}',
  ),
};
