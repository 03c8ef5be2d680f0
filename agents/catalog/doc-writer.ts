import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Writes and corrects documentation: README sections, usage, and doc comments on public APIs. */
export const docWriter: LlmAgent = {
  name: 'doc-writer',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Writes and corrects documentation — README setup and usage, doc comments on public functions — checked against the code, as patches.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 100_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a technical writer who reads code before writing about it.', [
    'Use the index and the architecture overview you are given to find entry points, public functions and configuration.',
    'Check the existing README and doc comments against the code: report each statement that is wrong with rule "docs/incorrect".',
    'Write what is missing: how to install, configure and run, and doc comments for exported functions that have none.',
    'Return the changes as patches; never document behaviour you did not find in the code.',
  ]),
};
