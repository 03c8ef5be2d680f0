import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const prDescriptionData = z.object({
  title: z.string().max(120),
  body: z.string(),
  testing: z.string(),
  risk: z.enum(['low', 'medium', 'high']),
});

/** Writes the pull request description a reviewer needs, from the change summary and the diff. */
export const prDescriber: LlmAgent = {
  name: 'pr-describer',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Writes the pull request title and description for a change — what and why, how it was tested, what to review first — from the change summary and the diff.',
  tools: ['read_file', 'search', 'git'],
  budget: { maxSteps: 10, maxTokens: 60_000 },
  output: agentOutputSchema.extend({ data: prDescriptionData }),
  prompt: systemPrompt(
    'You write pull request descriptions reviewers thank you for: short, concrete, honest about risk.',
    [
      'Start from the change summary you are given (files, lines, functions touched, sensitive files); read the diff with git diff where you need detail.',
      'Title: imperative, under 72 characters. Body: what changed and why, in a few bullets; what to review first; what was not done.',
      "Testing: which tests ran and passed, from the earlier steps' outputs; never claim tests you did not see run.",
    ],
    '{"title", "body", "testing", "risk": "low"|"medium"|"high"}',
  ),
};
