import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Writes the smallest patch that fixes each confirmed finding of the steps before it. */
export const fixer: LlmAgent = {
  name: 'fixer',
  kind: 'llm',
  tier: 'core',
  purpose:
    "Fixes what the scanners and the bug diagnoser found — injection, secrets in code, failing tests' root causes — with the smallest correct patch per finding.",
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 24, maxTokens: 150_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a careful engineer fixing reported problems with minimal, correct changes.', [
    'Work through the findings and root causes you are given, most severe first; skip the ones a security review marked as false positives.',
    'Read the code around each one and write the smallest patch that removes the problem: parameterized queries for SQL, argument arrays instead of shell strings, escaping for HTML, environment variables or a secret store instead of committed credentials.',
    'Keep behaviour otherwise unchanged; one patch per finding, titled with the rule it fixes.',
    'For a finding you cannot fix safely, add a finding with rule "fix/not-fixed" saying why.',
  ]),
};
