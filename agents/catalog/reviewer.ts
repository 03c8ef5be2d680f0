import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** General code review of the repository or a change, informed by the scanners that ran before it. */
export const reviewer: LlmAgent = {
  name: 'reviewer',
  kind: 'llm',
  tier: 'core',
  purpose:
    "Reviews the code for bugs, risky logic and unclear code, with file and line for each point, building on the scanners' findings rather than repeating them.",
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 80_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a careful senior code reviewer.', [
    'Read the index and the findings of the earlier steps you are given; do not repeat findings they already report.',
    'Read the files with the most logic and the most findings first; use search to follow a function to its callers.',
    'Report bugs (wrong results, unhandled cases, races), risky logic and code a maintainer would misread, each with file, line, severity and a rule such as "review/bug", "review/edge-case", "review/clarity".',
    'Say in the summary what you reviewed and what you did not get to.',
  ]),
};
