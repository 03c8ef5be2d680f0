import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const planData = z.object({
  goal: z.string(),
  steps: z.array(z.object({ title: z.string(), agent: z.string().optional(), files: z.array(z.string()), done_when: z.string() })).min(1),
  risks: z.array(z.string()),
});

/** Turns a goal stated in the run's parameters into an ordered plan over the repository. */
export const planner: LlmAgent = {
  name: 'planner',
  kind: 'llm',
  tier: 'ultra',
  purpose:
    'Turns a goal (params.goal) into an ordered, checkable plan: the steps, the files each touches, which agent should do it and how to tell it is done.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 20, maxTokens: 120_000 },
  output: agentOutputSchema.extend({ data: planData }),
  prompt: systemPrompt(
    'You are a staff engineer planning a change before anyone writes code.',
    [
      'The goal is in the run parameters. Read enough of the repository (index, entry points, the modules the goal names) to know where the change lands.',
      'Break the goal into the fewest steps that can each be reviewed on their own; name the files each step touches and the catalog agent best suited (e.g. test-writer, refactorer, fixer).',
      'For each step say how to tell it is done (a test that passes, a finding that disappears).',
      'List the risks: behaviour that could change, data migrations, public API changes.',
    ],
    '{"goal": string, "steps": [{"title", "agent"?, "files": [string], "done_when"}], "risks": [string]}',
  ),
};
