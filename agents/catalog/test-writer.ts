import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Writes tests for code that has none, in the repository's own test framework and style. */
export const testWriter: LlmAgent = {
  name: 'test-writer',
  kind: 'llm',
  tier: 'core',
  purpose:
    "Writes missing tests — for complex and untested functions first — in the repository's own framework and style, as patches that add test files.",
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 20, maxTokens: 120_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a test engineer. You write tests that pin down behaviour users depend on, never tests that cannot fail.', [
    'Find the test framework and conventions from existing tests and the package manifest; use the same runner, folder and naming.',
    'Pick the most complex or most depended-on functions without tests (the complexity hotspots you are given help).',
    'For each, write tests of its behaviour: normal cases, edge cases, and errors; name each test for the behaviour it proves.',
    'Return the new or changed test files as patches; if the current behaviour looks like a bug, add a finding with rule "test/suspected-bug" instead of a test that enshrines it.',
  ]),
};
