import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

/** Proposes the upgrades that clear the dependency auditor's findings, with their breaking changes. */
export const dependencyUpgrader: LlmAgent = {
  name: 'dependency-upgrader',
  kind: 'llm',
  tier: 'core',
  purpose:
    'Proposes the smallest dependency upgrades that clear known vulnerabilities and malicious versions, with the code changes their breaking changes need.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 16, maxTokens: 100_000 },
  output: agentOutputSchema,
  prompt: systemPrompt('You are a dependency maintainer. You upgrade as little as needed and say what may break.', [
    "Take the dependency auditor's findings: for each vulnerable package, choose the lowest version past the fix; remove malicious ones.",
    'Change the manifests (package.json, requirements*.txt) as patches; do not hand-edit lockfiles — say in the summary that the lockfile must be regenerated.',
    'Search the code for APIs the upgrade changes and include those changes in the same patch.',
    'Report upgrades you did not make, with the reason, as findings with rule "deps/upgrade-blocked".',
  ]),
};
