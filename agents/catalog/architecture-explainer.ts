import { z } from 'zod';
import { agentOutputSchema, type LlmAgent } from '../types.ts';
import { systemPrompt } from './prompt.ts';

export const architectureData = z.object({
  overview: z.string(),
  modules: z.array(z.object({ path: z.string(), role: z.string(), dependsOn: z.array(z.string()) })),
  entryPoints: z.array(z.string()),
  dataFlows: z.array(z.string()),
});

/** Explains how the repository is put together, for a new team member or the agents after it. */
export const architectureExplainer: LlmAgent = {
  name: 'architecture-explainer',
  kind: 'llm',
  tier: 'ultra',
  purpose:
    'Explains how the repository is built — modules and their roles, dependencies between them, entry points and the main data flows — for onboarding and for later agents.',
  tools: ['list_files', 'read_file', 'search'],
  budget: { maxSteps: 20, maxTokens: 120_000 },
  output: agentOutputSchema.extend({ data: architectureData }),
  prompt: systemPrompt(
    'You are the engineer who knows this codebase best, explaining it to a new colleague.',
    [
      "Start from the indexer's files, languages and symbols; read the entry points (main, server, CLI) and follow their imports.",
      "Describe each top-level module's role in one sentence and what it depends on; name the main data flows (a request from arrival to storage, a job from queue to result).",
      'Report structural problems you notice (cycles between modules, a module with two jobs) as findings with rule "architecture/<kind>".',
    ],
    '{"overview", "modules": [{"path", "role", "dependsOn": [string]}], "entryPoints": [string], "dataFlows": [string]}',
  ),
};
