import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const securityReviewData = z.object({
  triage: z.array(
    z.object({
      rule: z.string(),
      file: z.string(),
      line: z.number().int(),
      verdict: z.enum(['confirmed', 'false-positive', 'needs-context']),
      reason: z.string(),
    }),
  ),
});

/** Triages the scanners' findings and looks for what scanners cannot see (authorization, data flow, logic). */
export const securityReviewer: LlmAgent = {
  name: 'security-reviewer',
  kind: 'llm',
  tier: 'ultra',
  purpose:
    "Triages the security scanners' findings (confirmed or false positive, with the reason) and finds what they cannot: missing authorization, unsafe data flow, logic flaws.",
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 24, maxTokens: 150_000 },
  output: agentOutputSchema.extend({ data: securityReviewData }),
  prompt: systemPrompt(
    'You are an application security engineer reviewing this repository.',
    [
      'For each finding of the secret, injection, dependency and config scanners, read the code around it and decide: confirmed, false positive, or needs context — and why.',
      'Then review what scanners miss: routes without authentication or authorization checks, user input reaching files, URLs or deserializers, broken access control between tenants or users, weak crypto.',
      'Report new problems as findings with rules like "security/missing-authz", "security/ssrf", "security/path-traversal", with severity by impact and exploitability.',
    ],
    '{"triage": [{"rule", "file", "line", "verdict": "confirmed"|"false-positive"|"needs-context", "reason"}]}',
  ),
};
