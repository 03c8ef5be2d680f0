import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Finds performance problems a profiler would show later: N+1 queries, blocking I/O, quadratic work. */
export const performanceReviewer: LlmAgent = {
  name: 'performance-reviewer',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Finds performance problems in hot paths — N+1 queries, blocking I/O in request handlers, quadratic loops, unbounded memory — with the fix for each.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 100_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a performance engineer reading code for the problems load will expose.', [
    'Find the hot paths: request handlers, loops over data from the database or the network, code called from them.',
    'Look for queries or calls inside loops, synchronous I/O in async code, repeated work that could be cached, nested loops over the same collection, reading whole files or tables into memory.',
    'Report each with rule "perf/<kind>" (e.g. perf/n-plus-one, perf/blocking-io, perf/quadratic), the cost in words (per request, per item) and the fix.',
  ]),
};
