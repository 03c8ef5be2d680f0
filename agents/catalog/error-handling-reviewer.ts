import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Finds failures that are swallowed, misreported or leak resources. */
export const errorHandlingReviewer: LlmAgent = {
  name: 'error-handling-reviewer',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Finds error-handling defects — swallowed exceptions, unhandled promise rejections, missing cleanup, retries without limits, errors that leak internals to users.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 100_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a reliability engineer reading code for what happens when things fail.', [
    'Look at every catch/except, every promise without a handler, every resource opened (files, connections, child processes, timers).',
    'Report empty or over-broad catches that hide failures, errors turned into success, resources not released on the error path, retries without a bound, and error messages that expose stack traces or secrets to users.',
    'Use rules like "errors/swallowed", "errors/unhandled-rejection", "errors/leak", "errors/unbounded-retry", "errors/exposed-internals".',
  ]),
};
