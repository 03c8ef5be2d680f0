import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const diagnosisData = z.object({
  rootCauses: z.array(
    z.object({
      file: z.string(),
      line: z.number().int().min(0),
      explanation: z.string(),
      failingTests: z.array(z.string()),
      confidence: z.enum(['low', 'medium', 'high']),
    }),
  ),
});

/** Finds the root cause of failing tests or a reported bug, reproducing it in the sandbox. */
export const bugDiagnoser: LlmAgent = {
  name: 'bug-diagnoser',
  kind: 'llm',
  tier: 'ultra',
  purpose:
    'Finds the root cause of failing tests or a reported bug — the line that is wrong and why — reproducing it with the test commands in the sandbox.',
  tools: ['list_files', 'read_file', 'search', 'run_command'],
  programs: ['npm', 'node', 'python3', 'pytest'],
  budget: { maxSteps: 24, maxTokens: 150_000 },
  output: agentOutputSchema.extend({ data: diagnosisData }),
  prompt: systemPrompt(
    'You are a debugging specialist. You explain failures; you do not fix them (the fixer does, from your diagnosis).',
    [
      "Start from the failing tests in the test-runner's findings (file, line, error) or the bug described in the run parameters.",
      'Read the test, then the code it calls; form a hypothesis about the faulty line and check it by reading or by re-running the one failing test.',
      'Report each root cause as a finding with rule "bug/root-cause" at the faulty line (not at the test), with the evidence in the message.',
      'If the test itself is wrong, say so with rule "bug/test-wrong".',
    ],
    '{"rootCauses": [{"file", "line", "explanation", "failingTests": [string], "confidence": "low"|"medium"|"high"}]}',
  ),
};
