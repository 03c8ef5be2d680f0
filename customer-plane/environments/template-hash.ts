import { createHash } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../shared/canonical-json.ts';
import type { AgentName } from '../../shared/boundary.ts';
import type { AgentDefinition, WorkflowTemplate } from '../../agents/types.ts';

/**
 * The content hash a template is reviewed under: the template's definition (its steps, their agents,
 * needs and parameters) and the definition of every agent it runs — purpose, kind, model tier,
 * prompt, tools, programs, budget, output schema, and for a deterministic agent the source text of its
 * `run` function (not of the helpers that function calls). Any change to what a reviewer looked at
 * changes the hash, so a pinned review stops applying until someone pins the new one.
 */
export function templateHash(template: WorkflowTemplate, catalog: Partial<Record<AgentName, AgentDefinition>>): string {
  const agents: Record<string, unknown> = {};
  for (const step of template.steps) agents[step.agent] = agentContent(catalog[step.agent]);
  const content = {
    template: {
      name: template.name,
      description: template.description,
      steps: template.steps.map((s) => ({ id: s.id, agent: s.agent, needs: [...s.needs], params: s.params ?? {} })),
    },
    agents,
  };
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

function agentContent(agent: AgentDefinition | undefined): unknown {
  if (!agent) return null;
  return {
    name: agent.name,
    kind: agent.kind,
    tier: agent.tier,
    purpose: agent.purpose,
    prompt: agent.kind === 'llm' ? agent.prompt : null,
    run: agent.kind === 'deterministic' ? agent.run.toString() : null,
    tools: [...agent.tools],
    programs: [...(agent.programs ?? [])],
    budget: { maxSteps: agent.budget.maxSteps, maxTokens: agent.budget.maxTokens },
    output: outputSchema(agent.output),
  };
}

function outputSchema(schema: z.ZodType): unknown {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    // A schema JSON Schema cannot express still has to hash the same every time.
    return 'unrepresentable';
  }
}
