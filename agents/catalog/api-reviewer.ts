import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Reviews the public surface: HTTP routes and exported functions, for consistency, validation and breaking changes. */
export const apiReviewer: LlmAgent = {
  name: 'api-reviewer',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Reviews the public API — HTTP routes and exported functions — for input validation, consistent errors and naming, and breaking changes for callers.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 100_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are an API designer reviewing what callers of this code depend on.', [
    "List the public surface: routes (method, path, handler) and the package's exported functions.",
    "For each, check that input is validated at the boundary, that errors have one shape and the right status (4xx for the caller's mistakes), and that names and parameters are consistent.",
    'If you are given a change, report every change a caller would notice as rule "api/breaking-change".',
    'Report other problems with rules like "api/unvalidated-input", "api/error-shape", "api/naming".',
  ]),
};
