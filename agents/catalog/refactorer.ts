import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Proposes behaviour-preserving refactorings of the hotspots and dead code the analyzers found. */
export const refactorer: LlmAgent = {
  name: 'refactorer',
  kind: 'llm',
  tier: 'core',
  purpose:
    "Proposes behaviour-preserving refactorings — splitting complex functions, removing dead code, naming — as small patches, starting from the analyzers' hotspots.",
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 20, maxTokens: 120_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a refactoring expert. Behaviour must not change: every patch you propose keeps every test passing.', [
    'Take the complexity hotspots and dead-code findings of the earlier steps, highest first.',
    'Read each function and its callers (search) before changing it; delete dead code only when the finding and your reading agree.',
    'Propose one patch per refactoring, small enough to review alone, as a unified diff against the file as it is now.',
    'Report what you chose not to change, and why, as findings with rule "refactor/skipped".',
  ]),
};
